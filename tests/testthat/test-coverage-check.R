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

test_that("a parameter without a Wald SE gets coverage NA with the reason, not 1 and Inf", {
  zp <- zip_problem()
  expect_true(is.na(zp$x$table["pi0", "se"]))
  cz <- coverage_check(zp$x, "y", zp$simulate, R = 30, seed = 2, progress = FALSE)
  t <- cz$table
  expect_true(all(is.na(unlist(t["pi0", c("coverage", "mc_error", "se_ratio")]))))
  expect_identical(t["pi0", "note"], "no Wald SE at the estimate (on lower bound)")
  expect_identical(t["loglam", "note"], "")
  expect_true(is.finite(t["loglam", "coverage"]) && is.finite(t["loglam", "se_ratio"]))
  # loglam's coverage counts every replicate: pi0's missing SE voids none of them
  expect_identical(cz$used, 30L)
  iv <- cz$intervals
  expect_true(is.na(iv$coverage[iv$parameter == "pi0"]))
  expect_snapshot(print(cz), transform = function(l) gsub("-?[0-9]+\\.[0-9]+", "#", l))
  expect_false(any(grepl("from nominal for:.*pi0", format(cz))))
})

test_that("coverage_check()'s `cluster` is for the percentile intervals only", {
  nf <- normal_fit(n = 20)
  sim <- function(par, data) rnorm(length(data), par[1], exp(par[2]))
  expect_error(coverage_check(nf$x, "y", sim, R = 2, cluster = rep(1:4, 5), progress = FALSE),
               class = "hesscheck_error_bad_cluster")
  cc <- coverage_check(nf$x, "y", sim, R = 4, cluster = rep(1:4, 5), seed = 1,
                       intervals = "percentile", boot_R = 9, progress = FALSE)
  expect_identical(cc$cluster, list(name = "(the labels given)", groups = 4L, default = FALSE))
  expect_match(format(cc), "^Percentile intervals: bootstraps by whole groups of \\(the labels given\\) \\(4 groups\\)\\.$",
               all = FALSE)
})

test_that("coverage is flagged against the Monte-Carlo SE at the nominal level", {
  nf <- normal_fit(n = 20)
  sim <- function(par, data) rnorm(length(data), par[1], exp(par[2]))
  cc <- coverage_check(nf$x, "y", sim, R = 30, seed = 1, progress = FALSE)
  # 30 of 30 covered happens with probability 0.95^30 = 0.21 for a correct interval: not
  # flagged (its own estimated SE, 0, flagged it before)
  cc$table$coverage <- c(1, 0.95)
  cc$table$mc_error <- c(0, sqrt(0.95 * 0.05 / 30))
  expect_match(format(cc), "within 2 Monte-Carlo SEs of nominal for every parameter\\.$",
               all = FALSE)
  # 2 SEs at the nominal level, over 30: 0.0796
  cc$table$coverage <- c(0.95 - 0.085, 0.95 - 0.075)
  expect_match(format(cc), "from nominal for: mu$", all = FALSE)
})
