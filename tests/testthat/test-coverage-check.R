# coverage_check(): nominal coverage on a normal MLE, failures that void replicates.

test_that("coverage of the Wald intervals of a normal MLE is nominal within MC error", {
  nf <- normal_fit(n = 50)
  sim <- function(par, data) rnorm(length(data), par[1], exp(par[2]))
  cc <- coverage_check(nf$x, "y", sim, R = 200, seed = 4, progress = FALSE)
  expect_s3_class(cc, "hesscheck_coverage")
  expect_equal(cc$used, 200L)
  expect_true(all(abs(cc$table$coverage - 0.95) <= 2.5 * cc$table$mc_error))
  expect_output(print(cc), "Coverage of 95% Wald intervals")
})

test_that("a failing simulate() or Hessian fails or voids that replicate only", {
  nf <- normal_fit(n = 30)
  wrong <- function(par) rnorm(30, par[1])     # forgets the data argument
  cc <- coverage_check(nf$x, "y", wrong, R = 5, seed = 1, progress = FALSE)
  expect_equal(cc$used, 0L)
  expect_true(all(cc$status == "failed"))
  expect_output(print(cc), "Fewer than 2 replicates could be used")
  expect_output(print(cc), "`simulate` failed: unused argument")

  # A data set on which fn cannot be evaluated near the refitted estimate leaves that
  # replicate's SEs NA, without stopping the others.
  j <- 0
  sim <- function(par, data) {
    j <<- j + 1
    if (j == 2) rep(NA_real_, length(data)) else rnorm(length(data), par[1], exp(par[2]))
  }
  refit <- function(data, start) {
    if (anyNA(data)) return(start)
    c(mean(data), log(sqrt(mean((data - mean(data))^2))))
  }
  cc <- coverage_check(nf$x, "y", sim, R = 6, refit = refit, seed = 1, progress = FALSE)
  expect_equal(cc$used, 5L)
  expect_true(all(is.na(cc$se[2, ])))
  expect_true(all(is.finite(cc$se[-2, ])))
})

test_that("Wald, profile and percentile coverage of an exponential rate (n = 10), one simulation", {
  set.seed(3)
  y <- rexp(10, 2)
  nll <- function(p, y) -sum(dexp(y, p[1], log = TRUE))
  x <- check_fit(c(rate = 1 / mean(y)), nll, y = y, lower = 1e-8)
  sim <- function(par, data) rexp(length(data), par[1])
  refit <- function(d, start) 1 / mean(d)
  cc <- coverage_check(x, "y", sim, R = 100, intervals = c("profile", "percentile"),
                       boot_R = 49, refit = refit, seed = 1, progress = FALSE)
  iv <- cc$intervals
  expect_equal(iv$interval, c("wald", "profile", "percentile"))
  expect_equal(iv$used, rep(100L, 3))
  expect_equal(iv$coverage[1], cc$table$coverage)
  # The profile limits of every replicate are the analytic ones for its estimate.
  est <- cc$estimates[, 1]
  h <- function(t) t - 1 - log(t) - qchisq(0.95, 1) / 20
  lo <- uniroot(h, c(1e-6, 1), tol = 1e-14)$root
  up <- uniroot(h, c(1, 100), tol = 1e-14)$root
  expect_equal(unname(cc$limits$profile$lower[, 1]), unname(lo * est), tolerance = 1e-6)
  expect_equal(unname(cc$limits$profile$upper[, 1]), unname(up * est), tolerance = 1e-6)
  expect_output(print(cc), "Coverage by interval in the same simulation")
  skip_on_cran()
  cc <- coverage_check(x, "y", sim, R = 200, intervals = "profile", refit = refit, seed = 2,
                       progress = FALSE)
  pc <- cc$intervals[cc$intervals$interval == "profile", ]
  expect_lt(abs(pc$coverage - 0.95), 2.5 * pc$mc_error)
  expect_error(coverage_check(x, "y", sim, R = 5, intervals = "bca"),
               class = "hesscheck_error_bad_intervals")
})
