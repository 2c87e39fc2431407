# The methods of check_fit() results (s3-hesscheck.R): print, summary, coef, vcov and
# as.data.frame against the analytic answers, the print's wording, and plot(), drawn to a
# PNG file (helper-plots.R), labelling each direction as summary() does.

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

test_that("methods give the analytic answers and print the verdict first", {
  A <- matrix(c(2, 0.5, 0.5, 1), 2)
  m <- c(a = 1, b = -2)
  fn <- function(p) drop(crossprod(p - m, A %*% (p - m))) / 2
  x <- check_fit(m, fn)
  V <- solve(A)
  expect_equal(unname(vcov(x)), V, tolerance = 1e-8)
  expect_equal(coef(x), m)
  ci <- confint(x, level = 0.9)
  expect_equal(unname(ci[, 2] - ci[, 1]), 2 * qnorm(0.95) * sqrt(diag(V)), tolerance = 1e-8)
  expect_equal(rownames(confint(x, "b")), "b")
  expect_error(confint(x, "zz"), class = "hesscheck_error_bad_parm")
  df <- as.data.frame(x)
  expect_equal(df$parameter, c("a", "b"))
  expect_equal(df$se, sqrt(diag(V)), tolerance = 1e-8)
  out <- capture.output(print(x))
  expect_match(out[1], "^check_fit: a minimum")
  expect_true(any(grepl("estimate", out)))
  expect_equal(format(x), out)
  s <- capture.output(print(summary(x)))
  expect_true(any(grepl("Eigenvalues of the Hessian", s)))
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  e <- plot(x)
  expect_equal(nrow(e), 2L)
  expect_equal(e$sign, c("positive", "positive"))
  ps <- plot(check_fit(c(a = 0, b = 0), function(p) p[1]^2 - p[2]^2))
  expect_equal(ps$sign, c("negative", "positive"))
})

test_that("the print counts evaluations in words and words a refinement that moved nowhere", {
  x <- check_fit(c(a = 1, b = 2), function(p) sum((p - c(1, 2))^2))
  x$evaluations[["fn"]] <- 1
  expect_match(format(x)[2L], "check_fit evaluated fn 1 time)", fixed = TRUE)
  x$evaluations[] <- c(21, 1)
  expect_match(format(x)[2L], "check_fit evaluated fn 21 times and gr 1 time)", fixed = TRUE)
  # refinement from off the optimum
  pr <- problem_logistic(k = 3)
  xr <- check_fit(pr$par + c(0.05, -0.05, 0.02), pr$fn, control = list(refine = TRUE))
  line <- grep("^Refined", format(xr), value = TRUE)
  expect_match(line, "^Refined by [0-9]+ Newton steps? \\(the estimate is stationary\\); the estimates moved by up to [0-9.e-]+ standard errors\\.$")
  # where there are no standard errors at the new point to measure the move by
  xr$refine$moved_se[] <- NA
  expect_snapshot(cat(grep("^Refined", format(xr), value = TRUE)),
                  transform = function(l) sub("by [0-9]+ Newton steps?", "by N Newton steps", l))
  xr$refine$steps <- 0L
  xr$refine$status <- "the Hessian is not positive definite"
  expect_snapshot(cat(grep("^Refinement", format(xr), value = TRUE)))
})
