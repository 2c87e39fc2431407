# check_fit() methods on the ways of calling the fitting functions that the first
# methods missed: nls() with subset, NA rows, weights and vector parameters; stats4's
# mle() with fixed parameters and bounds; MASS's location-scale t; bbmle's data passed
# to a minuslogl that takes it as an argument.

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

test_that("nls with subset = checks the rows the fit used", {
  dd <- linear_data()
  f <- nls(yy ~ a + b * xx, dd, start = list(a = 1, b = 1), subset = xx > 5)
  x <- expect_linear_nls(f, 25)
  # the same as a fit to those rows
  g <- nls(yy ~ a + b * xx, dd[dd$xx > 5, ], start = list(a = 1, b = 1))
  expect_equal(x$table$se, check_fit(g)$table$se, tolerance = 1e-6)
  # with weights too
  fw <- nls(yy ~ a + b * xx, dd, start = list(a = 1, b = 1), subset = xx > 5,
            weights = w)
  expect_linear_nls(fw, 25)
})

test_that("nls with an NA row in the data checks the rows the fit used", {
  dd <- linear_data()
  dd$yy[3] <- NA
  dd$xx[7] <- NA
  f <- nls(yy ~ a + b * xx, dd, start = list(a = 1, b = 1))
  x <- expect_linear_nls(f, 28)
  # its bootstrap resamples those rows
  b <- bootstrap_se(x, R = 20, seed = 1, progress = FALSE)
  expect_true(all(b$status == "ok"))
  fe <- nls(yy ~ a + b * xx, dd, start = list(a = 1, b = 1), na.action = na.exclude)
  expect_linear_nls(fe, 28)
})

test_that("nls with a vector parameter: b[1], b[2] in the formula, b1, b2 checked", {
  dd <- linear_data()
  f <- nls(yy ~ b[1] + b[2] * xx, dd, start = list(b = c(1, 1)))
  x <- expect_linear_nls(f, 30)
  expect_identical(names(x$par), c("b1", "b2"))
  dd$yy <- dd$yy - 0.3 * dd$w       # c, the effect of w, would be negative: on its bound 0
  f3 <- nls(yy ~ b[1] + b[2] * xx + c * w, dd, start = list(b = c(1, 1), c = 1),
            algorithm = "port", lower = c(-Inf, -Inf, 0))
  x3 <- check_fit(f3)
  expect_identical(names(x3$par), c("b1", "b2", "c"))
  expect_equal(unname(x3$at_bound), c(0, 0, -1))
})

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
