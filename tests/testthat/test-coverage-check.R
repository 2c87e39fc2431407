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
