# check_fit() methods for bbmle, fitdistrplus, maxLik and optimx fits.

normal_sample <- function() {
  set.seed(1)
  rnorm(50, 3, 2)
}

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

test_that("fitdistrplus fitdist: analytic SEs of a normal, fix.arg held, bound found", {
  skip_if_not_installed("fitdistrplus")
  y <- normal_sample()
  s <- sqrt(mean((y - mean(y))^2))
  f <- fitdistrplus::fitdist(y, "norm")
  x <- check_fit(f)
  expect_verdict(x, "minimum")
  expect_lt(rel_diff(x$table$se, c(s / sqrt(50), s / sqrt(100))), 1e-5)
  ff <- fitdistrplus::fitdist(y, "norm", fix.arg = list(sd = 2))
  xf <- check_fit(ff)
  expect_identical(names(xf$par), "mean")
  expect_equal(xf$table$se, 2 / sqrt(50), tolerance = 1e-6)
  fb <- fitdistrplus::fitdist(y, "norm", lower = c(4, 0.01), start = list(mean = 5, sd = 2))
  xb <- check_fit(fb)
  expect_verdict(xb, "at_bound")
  expect_equal(unname(xb$at_bound), c(-1, 0))
  # Started at sd = 1, L-BFGS-B stops with sd 0.07 SE short of its optimum there.
  fs <- fitdistrplus::fitdist(y, "norm", lower = c(4, 0.01), start = list(mean = 5, sd = 1))
  expect_verdict(check_fit(fs), "not_stationary")
  fm <- fitdistrplus::fitdist(y, "norm", method = "mme")
  expect_error(check_fit(fm), class = "hesscheck_error_unsupported_fit")
})

test_that("maxLik: maximised log-likelihood handled, analytic SEs; a flat direction found", {
  skip_if_not_installed("maxLik")
  y <- normal_sample()
  s <- sqrt(mean((y - mean(y))^2))
  ll <- function(p, yy) sum(dnorm(yy, p[1], exp(p[2]), log = TRUE))
  m <- maxLik::maxLik(ll, start = c(mu = 1, lsd = 0), yy = y, method = "NR")
  x <- check_fit(m, yy = y)
  expect_verdict(x, "minimum")
  expect_identical(x$fnscale, -1)
  expect_lt(rel_diff(x$table$se, c(s / sqrt(50), 1 / sqrt(100))), 1e-5)
  expect_equal(x$value, m$maximum, tolerance = 1e-12)
  bad <- maxLik::maxLik(function(p) sum(dnorm(y, p[1] + p[2], exp(p[3]), log = TRUE)),
                        start = c(a = 1, b = 1, lsd = 0), method = "BFGS")
  xb <- check_fit(bad)
  expect_verdict(xb, "not_identified")
  expect_match(paste(xb$findings$parameters, collapse = " "), "a, b", fixed = TRUE)
})

test_that("optimx: the best row by default, a named row on request; a saddle is found", {
  skip_if_not_installed("optimx")
  y <- normal_sample()
  nll <- function(p, y) -sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
  o <- suppressWarnings(optimx::optimx(c(mu = 1, lsd = 1), nll, y = y,
                                       method = c("BFGS", "Nelder-Mead")))
  x <- check_fit(o, nll, y = y)
  expect_verdict(x, "minimum")
  expect_identical(x$optimizer, "optimx (BFGS)")
  xn <- check_fit(o, nll, y = y, method = "Nelder-Mead")
  expect_identical(xn$optimizer, "optimx (Nelder-Mead)")
  expect_equal(unname(xn$par), unlist(o["Nelder-Mead", 1:2]), ignore_attr = TRUE)
  expect_error(check_fit(o, nll, y = y, method = "CG"), class = "hesscheck_error_bad_method")
  expect_error(check_fit(o), class = "hesscheck_error_bad_fn")
  set.seed(1)
  ym <- c(rnorm(100, -2), rnorm(100, 2))
  mix <- function(p, y) -sum(log(0.5 * dnorm(y, p[1]) + 0.5 * dnorm(y, p[2])))
  om <- optimx::optimx(c(mu1 = 0.1, mu2 = 0.1), mix, y = ym, method = "BFGS")
  expect_verdict(check_fit(om, mix, y = ym), "saddle")
})
