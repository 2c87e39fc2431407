# The print and plot methods of standard-error results (s3-se.R): plot() of bootstrap_se()
# and coverage_check() results, each drawn to a PNG file (helper-plots.R), returns the data
# it drew, and labels what print() and summary() label.

test_that("plot(bootstrap_se()) draws the replicates with the Hessian's normal curve", {
  np <- normal_fit(n = 40)
  x <- np$x
  b <- bootstrap_se(x, "y", R = 200, seed = 1, progress = FALSE)
  out <- to_png("bootstrap", plot(b), width = 800)
  expect_gt(out$size, 2000)
  d <- out$value
  expect_identical(names(d), c("parameter", "replicate"))
  expect_identical(unname(unlist(split(d$replicate, factor(d$parameter, names(np$mle))))),
                   as.vector(b$replicates[b$status == "ok", ]))
  expect_identical(b$hessian_se, stats::setNames(x$table$se, names(np$mle)))
  # a parameter without a Hessian SE: the histogram alone
  b2 <- b
  b2$hessian_se[2] <- NA
  expect_gt(to_png("bootstrap-no-se", plot(b2), width = 800)$size, 2000)
})

test_that("plot(coverage_check()) draws each interval's coverage against nominal, NA with why", {
  np <- normal_fit(n = 40)
  x <- np$x
  sim <- function(par, data) rnorm(length(data), par[1], exp(par[2]))
  cc <- coverage_check(x, "y", sim, R = 40, seed = 1, progress = FALSE,
                       intervals = c("wald", "profile", "percentile"), boot_R = 19)
  out <- to_png("coverage", plot(cc))
  expect_gt(out$size, 2000)
  d <- out$value
  expect_identical(d[names(cc$intervals)], cc$intervals)
  # one row per parameter and interval, the parameters' rows apart
  expect_identical(anyDuplicated(d$y), 0L)
  zp <- zip_problem()
  cz <- coverage_check(zp$x, "y", zp$simulate, R = 20, seed = 2, progress = FALSE)
  out <- to_png("coverage-bound", plot(cz), height = 380)
  expect_gt(out$size, 2000)
  expect_true(is.na(out$value$coverage[out$value$parameter == "pi0"]))
})
