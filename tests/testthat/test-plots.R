# plot() of check_fit(), bootstrap_se() and coverage_check() results: each is drawn to a PNG
# file (set HESSCHECK_PLOT_DIR to keep them, to look at), returns the data it drew, and
# labels what print() and summary() label.

plot_dir <- function() {
  d <- Sys.getenv("HESSCHECK_PLOT_DIR")
  if (!nzchar(d)) d <- file.path(tempdir(), "hesscheck-plots")
  dir.create(d, showWarnings = FALSE, recursive = TRUE)
  d
}

# Draw expr to <name>.png; the value of expr and the size of the file written.
to_png <- function(name, expr, width = 700, height = 450) {
  skip_if_not(isTRUE(capabilities("png")), "this R cannot write PNG files")
  f <- file.path(plot_dir(), paste0(name, ".png"))
  grDevices::png(f, width = width, height = height)
  value <- tryCatch(expr, finally = grDevices::dev.off())
  list(value = value, size = file.size(f))
}

test_that("plot(check_fit()) labels each direction as summary() does, at a saddle", {
  pr <- problem_mixture()
  fit <- optim(c(mu1 = 0.1, mu2 = 0.1), pr$fn, y = pr$y, method = "BFGS")
  x <- check_fit(fit, pr$fn, y = pr$y)
  out <- to_png("check-fit-saddle", plot(x))
  expect_gt(out$size, 2000)
  e <- out$value
  expect_s3_class(e, "data.frame")
  expect_identical(e$direction, summary(x)$eigen_table$direction)
  expect_identical(e$direction, c("mu1 - mu2", "mu1 + mu2"))
  expect_identical(e$sign, c("negative", "positive"))
  # the saddle's finding names the same combination
  expect_match(x$findings$message[1], "mu1 - mu2", fixed = TRUE)
})

test_that("plot(check_fit()) shows a flat direction, its error bar and the zero band", {
  # a ridge: only a * b is identified (cars' stopping distances)
  fn <- function(p) sum((datasets::cars$dist - p[1] * p[2] * datasets::cars$speed^2)^2)
  x <- check_fit(optim(c(a = 1, b = 1), fn, method = "BFGS"), fn)
  out <- to_png("check-fit-flat", plot(x))
  expect_gt(out$size, 2000)
  expect_identical(out$value$direction, summary(x)$eigen_table$direction)
  expect_true("zero" %in% out$value$sign)
  # error bars: the engine's are usually far below a dot's width; one of half its
  # eigenvalue, and one reaching across zero, show as bars
  x2 <- check_fit(c(a = 1, b = 2), function(p) {
    d <- p - c(1, 2)
    (d[1]^2 + d[2]^2 - 1.98 * d[1] * d[2]) / 2
  })
  x2$eigen$uncertainty <- c(0.02, 1)
  out <- to_png("check-fit-error-bars", plot(x2))
  expect_gt(out$size, 2000)
  expect_equal(out$value$uncertainty, c(0.02, 1))
})

test_that("plot(check_fit()) at a bound with one free parameter says which is on the bound", {
  x <- check_fit(c(mu = 0, b = 0), function(p) (p[1] + 1)^2 + p[2]^2, lower = c(0, -Inf))
  out <- to_png("check-fit-bound", plot(x))
  expect_gt(out$size, 2000)
  expect_identical(out$value$direction, "b")
  # every parameter on a bound: no direction at all, a plot that says so
  x0 <- check_fit(c(mu = 0), function(p) (p[1] + 1)^2, lower = 0)
  out <- to_png("check-fit-no-free", plot(x0))
  expect_identical(nrow(out$value), 0L)
})

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
