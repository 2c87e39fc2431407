# Findings about the numerics (findings-numerics.R): standard errors spanning orders of
# magnitude and the ndeps that fixes optim, separation as a drift, and the fit's own
# Hessian compared where it can be.

test_that("SEs spanning orders of magnitude are flagged with the ndeps that fixes optim", {
  s <- c(a = 1e-4, b = 1, c = 100)
  fn <- function(p) sum((p / s)^2) / 2
  x <- check_fit(c(a = 0, b = 0, c = 0), fn)
  expect_equal(x$verdict, "minimum")
  f <- x$findings[x$findings$type == "scaling", ]
  expect_equal(f$parameters, "a, c")
  expect_match(f$message, "ndeps = c(a = 1e-07, b = 0.001, c = 0.1)", fixed = TRUE)
  expect_equal(unname(x$table$se), unname(s), tolerance = 1e-7)
})

test_that("separation in a logistic regression is flagged", {
  set.seed(8)
  xx <- sort(rnorm(40))
  y <- as.numeric(xx > 0)
  fn <- function(b) {
    eta <- b[1] + b[2] * xx
    sum(log1p(exp(-abs(eta))) + pmax(eta, 0)) - sum(y * eta)
  }
  fit <- optim(c(int = 0, slope = 0), fn, method = "BFGS")
  x <- check_fit(fit, fn)
  expect_equal(x$verdict, "no_finite_estimate")
  expect_true("no_finite_estimate" %in% x$findings$type)
  expect_match(x$findings$parameters[x$findings$type == "no_finite_estimate"], "slope")
})

test_that("fit$hessian is compared only where it can be: free parameters, finite entries", {
  fn <- function(p) sum((p - c(1, 2))^2)
  # Both parameters on their bounds: nothing to compare, and no warning from R.
  x <- expect_silent(check_fit(list(par = c(1, 2), hessian = diag(2)), fn,
                               lower = c(1, 2)))
  expect_equal(x$verdict, "at_bound")
  expect_false("fit_hessian" %in% x$findings$type)
  expect_true(is.na(x$fit_hessian$difference))
  # A fit$hessian with NaN is reported, not compared; compare_se() shows it as NA
  # rather than silently putting optimHess() in its place.
  x <- expect_silent(check_fit(list(par = c(1, 2), hessian = matrix(NaN, 2, 2)), fn))
  f <- x$findings[x$findings$type == "fit_hessian", ]
  expect_equal(f$severity, "warning")
  expect_match(f$message, "non-finite entries")
  expect_true(is.na(x$fit_hessian$difference))
  expect_equal(x$table$se, rep(sqrt(1 / 2), 2), tolerance = 1e-8)
  cs <- compare_se(x, numderiv = FALSE)
  expect_true(all(is.na(cs$table$se[cs$table$source == "optim"])))
  expect_match(paste(cs$notes, collapse = " "), "from fit\\$hessian")
})
