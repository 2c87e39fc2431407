# check_fit() on MASS's fitdistr and fitdistrplus's fitdist fits (fit-dist.R): analytic
# SEs, the location-scale t, fixed arguments and bounds.

test_that("MASS fitdistr's \"t\" is its location-scale t: SEs of the Fisher information", {
  skip_if_not_installed("MASS")
  set.seed(3)
  y <- 1 + 2 * rt(400, 5)
  f <- suppressWarnings(MASS::fitdistr(y, "t"))
  x <- check_fit(f, x = y, densfun = "t")
  expect_verdict(x, "minimum")
  expect_identical(names(x$par), c("m", "s", "df"))
  expect_equal(x$value, -f$loglik, tolerance = 1e-10)
  # the Hessian of -log L of the location-scale t, analytic (stats::deriv3)
  nll_i <- stats::deriv3(~ -(lgamma((df + 1) / 2) - lgamma(df / 2) - log(sqrt(df * pi) * s) -
                               (df + 1) / 2 * log(1 + ((y - m) / s)^2 / df)),
                         c("m", "s", "df"), function(m, s, df) NULL)
  H <- apply(attr(do.call(nll_i, as.list(f$estimate)), "hessian"), 2:3, sum)
  expect_lt(rel_diff(x$table$se, sqrt(diag(solve(H)))), 1e-5)
  # df held at a value: the t with m and s only
  f3 <- suppressWarnings(MASS::fitdistr(y, "t", df = 5))
  x3 <- check_fit(f3, x = y, densfun = "t", df = 5)
  expect_verdict(x3, "minimum")
  expect_identical(names(x3$par), c("m", "s"))
  expect_equal(x3$value, -f3$loglik, tolerance = 1e-10)
})

test_that("MASS fitdistr needs its data and density, and then gives the analytic SEs", {
  skip_if_not_installed("MASS")
  set.seed(1)
  y <- rnorm(50, 3, 2)
  f <- MASS::fitdistr(y, "normal")
  expect_error(check_fit(f), class = "hesscheck_error_fitdistr_needs")
  expect_error(check_fit(f, y, "nonsense"), class = "hesscheck_error_fitdistr_needs")
  expect_error(check_fit(f, y[-1], "normal"), class = "hesscheck_error_fitdistr_needs")
  x <- check_fit(f, y, "normal")
  expect_verdict(x, "minimum")
  s <- sqrt(mean((y - mean(y))^2))
  expect_lt(rel_diff(x$table$se, c(s / sqrt(50), s / sqrt(100))), 1e-5)
  expect_lt(rel_diff(x$table$se, f$sd), 1e-5)   # closed form in MASS too
  x2 <- check_fit(f, y, dnorm)
  expect_equal(x2$table$se, x$table$se)
})

test_that("MASS fitdistr stopped on an L-BFGS-B bound is at_bound (bounds passed on)", {
  skip_if_not_installed("MASS")
  set.seed(5)
  y <- rgamma(100, 2, 3)
  lo <- c(shape = 3, rate = 0.001)
  f <- suppressWarnings(MASS::fitdistr(y, "gamma", start = list(shape = 4, rate = 5),
                                       lower = lo))
  x <- check_fit(f, y, "gamma", lower = lo)
  expect_verdict(x, "at_bound")
  expect_equal(unname(x$at_bound), c(-1, 0))
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
