# check_fit() on stats4's mle and bbmle's mle2 fits (fit-stats4.R): the analytic SEs of
# a normal sample, fixed parameters, bounds, and data passed to minuslogl.

test_that("stats4 mle with fixed = and bounds gives each free parameter its own bound", {
  set.seed(1)
  y <- rnorm(50, 3, 2)
  nll <- function(mu = 0, lsd = 0) -sum(dnorm(y, mu, exp(lsd), log = TRUE))
  # stats4 takes the bounds for all parameters (mu, lsd) and drops the fixed mu: lsd
  # sits on its bound 0.8 (its free optimum is log(2) = 0.69)
  for (lo in list(c(-10, 0.8), list(mu = -10, lsd = 0.8), list(lsd = 0.8))) {
    m <- suppressWarnings(stats4::mle(nll, start = list(lsd = 1), fixed = list(mu = 3),
                                      method = "L-BFGS-B", lower = lo, upper = c(10, 5)))
    expect_equal(unname(m@coef), 0.8)
    x <- check_fit(m)
    expect_identical(x$problem$lower, 0.8)
    expect_identical(x$problem$upper, 5)
    expect_verdict(x, "at_bound")
    expect_equal(x$at_bound[["lsd"]], -1)
  }
})

test_that("bbmle mle2 with the data as an argument of minuslogl, given in data = ", {
  skip_if_not_installed("bbmle")
  set.seed(2)
  y <- rpois(40, 3)
  m <- bbmle::mle2(function(lambda, y) -sum(dpois(y, lambda, log = TRUE)),
                   start = list(lambda = 2), data = list(y = y), method = "L-BFGS-B",
                   lower = 1e-6, control = list(factr = 1))
  x <- check_fit(m)
  expect_verdict(x, "minimum")
  expect_equal(x$table$se, sqrt(mean(y) / 40), tolerance = 1e-5)
  # the data argument is resampled by the bootstrap
  b <- bootstrap_se(x, R = 20, seed = 1, progress = FALSE)
  expect_true(all(b$status == "ok"))
  expect_gt(sd(b$replicates[, 1]), 0)
  # several parameters, the data argument first
  z <- rnorm(30, 2, 3)
  m2 <- bbmle::mle2(function(z, mu, lsd) -sum(dnorm(z, mu, exp(lsd), log = TRUE)),
                    start = list(mu = 0, lsd = 0), data = list(z = z), method = "BFGS",
                    control = list(reltol = 1e-14))
  x2 <- check_fit(m2)
  s <- sqrt(mean((z - mean(z))^2))
  expect_lt(rel_diff(x2$table$se, c(s / sqrt(30), 1 / sqrt(60))), 1e-5)
})

test_that("stats4 mle: SEs are the analytic ones of a normal sample", {
  set.seed(1)
  y <- rnorm(50, 3, 2)
  m <- stats4::mle(function(mu = 0, lsd = 0) -sum(dnorm(y, mu, exp(lsd), log = TRUE)),
                   method = "BFGS", control = list(reltol = 1e-14))
  x <- check_fit(m)
  expect_verdict(x, "minimum")
  s <- sqrt(mean((y - mean(y))^2))
  expect_lt(rel_diff(x$table$se, c(s / sqrt(50), 1 / sqrt(100))), 1e-5)
  expect_identical(x$optimizer, "stats4::mle")
  expect_true(is.matrix(x$vcov_package))
})

test_that("stats4 mle with fixed parameters checks only the free ones", {
  set.seed(1)
  y <- rnorm(50, 3, 2)
  m <- stats4::mle(function(mu = 0, lsd = 0) -sum(dnorm(y, mu, exp(lsd), log = TRUE)),
                   fixed = list(lsd = log(2)), method = "BFGS")
  x <- check_fit(m)
  expect_identical(names(x$par), "mu")
  expect_equal(x$table$se, 2 / sqrt(50), tolerance = 1e-6)
})

test_that("stats4 mle stopped on an L-BFGS-B bound is at_bound", {
  set.seed(1)
  y <- rnorm(50, 3, 2)
  m <- suppressWarnings(stats4::mle(
    function(mu = 5, sd = 1) -sum(dnorm(y, mu, sd, log = TRUE)),
    method = "L-BFGS-B", lower = c(mu = 4, sd = 0.01)))
  x <- check_fit(m)
  expect_verdict(x, "at_bound")
  expect_equal(unname(x$at_bound), c(-1, 0))
})

test_that("bbmle mle2 (function and formula): SEs are the analytic ones of a normal sample", {
  skip_if_not_installed("bbmle")
  y <- normal_sample()
  s <- sqrt(mean((y - mean(y))^2))
  m <- bbmle::mle2(function(mu, lsd) -sum(dnorm(x, mu, exp(lsd), log = TRUE)),
                   start = list(mu = 0, lsd = 0), data = list(x = y),
                   control = list(reltol = 1e-14))
  x <- check_fit(m)
  expect_verdict(x, "minimum")
  expect_lt(rel_diff(x$table$se, c(s / sqrt(50), 1 / sqrt(100))), 1e-5)
  expect_identical(x$problem$data, "data")
  m2 <- bbmle::mle2(y ~ dnorm(mean = mu, sd = exp(lsd)), start = list(mu = 0, lsd = 0),
                    data = data.frame(y = y), control = list(reltol = 1e-14))
  x2 <- check_fit(m2)
  expect_verdict(x2, "minimum")
  expect_lt(rel_diff(x2$table$se, c(s / sqrt(50), 1 / sqrt(100))), 1e-5)
  # The default bootstrap refits the recovered objective on resampled data.
  b <- bootstrap_se(x2, R = 30, seed = 1, progress = FALSE)
  expect_true(all(b$status == "ok"))
  expect_lt(max(abs(log(b$se / x2$table$se))), 0.5)
})

test_that("bbmle mle2 with a fixed parameter and an L-BFGS-B bound: at_bound", {
  skip_if_not_installed("bbmle")
  y <- normal_sample()
  m <- suppressWarnings(bbmle::mle2(
    function(mu, sd) -sum(dnorm(x, mu, sd, log = TRUE)), start = list(mu = 5, sd = 1),
    data = list(x = y), method = "L-BFGS-B", lower = c(mu = 4, sd = 0.01)))
  x <- check_fit(m)
  expect_verdict(x, "at_bound")
  expect_equal(unname(x$at_bound), c(-1, 0))
  mf <- bbmle::mle2(function(mu, sd) -sum(dnorm(x, mu, sd, log = TRUE)),
                    start = list(mu = 5, sd = 1), fixed = list(sd = 2), data = list(x = y))
  xf <- check_fit(mf)
  expect_identical(names(xf$par), "mu")
  expect_equal(xf$table$se, 2 / sqrt(50), tolerance = 1e-6)
})
