# The verdict vocabulary the class-method tests use, in one place: if check_fit() renames
# a verdict (e.g. "singular" to "not_identified"), change it here only.
verdict_names <- c(minimum = "minimum", saddle = "saddle", maximum = "maximum",
                   not_identified = "not_identified", not_stationary = "not_stationary",
                   at_bound = "at_bound", ill_conditioned = "ill_conditioned",
                   no_finite_estimate = "no_finite_estimate", unbounded = "unbounded",
                   weakly_identified = "weakly_identified", too_noisy = "too_noisy",
                   not_smooth = "not_smooth")

expect_verdict <- function(x, verdict) {
  expect_identical(x$verdict, verdict_names[[verdict]])
}

# Largest relative difference between two vectors of standard errors.
rel_diff <- function(a, b) max(abs(a / b - 1))

# Data of the adapters' tests (test-fit-*.R).
glm_data <- function(n = 200, seed = 2) {
  set.seed(seed)
  x1 <- rnorm(n)
  x2 <- rnorm(n)
  data.frame(x1, x2, yb = rbinom(n, 1, plogis(0.5 + x1)),
             yp = rpois(n, exp(0.3 + 0.5 * x2)),
             yg = rgamma(n, 3, 3 / exp(1 + 0.2 * x1)), yn = 1 + x1 + rnorm(n))
}

linear_data <- function() {
  set.seed(4)
  dd <- data.frame(xx = 1:30, w = rep(c(1, 2, 4), 10))
  dd$yy <- 2 + 0.5 * dd$xx + rnorm(30) / sqrt(dd$w)
  dd
}

# A linear model fitted by nls: with sigma profiled, H = n J'WJ / RSS exactly, and
# vcov() = RSS / (n - p) (J'WJ)^-1, so the SEs are vcov()'s times sqrt((n - p) / n).
expect_linear_nls <- function(f, n, p = 2) {
  x <- check_fit(f)
  expect_verdict(x, "minimum")
  expect_lt(rel_diff(x$table$se, sqrt(diag(vcov(f))) * sqrt((n - p) / n)), 1e-5)
  x
}

normal_sample <- function() {
  set.seed(1)
  rnorm(50, 3, 2)
}
