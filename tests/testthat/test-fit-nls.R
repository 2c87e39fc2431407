# check_fit() on nls fits (fit-nls.R): a linear model's SEs against vcov()'s, port bounds,
# subset, NA rows, weights and vector parameters, and the data frame bootstrapped by rows.

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

test_that("nls: linear model via nls gives vcov's SEs times sqrt((n - p) / n), sigma profiled", {
  set.seed(4)
  xx <- 1:30
  yy <- 2 + 0.5 * xx + rnorm(30)
  f <- nls(yy ~ a + b * xx, start = list(a = 1, b = 1))
  x <- check_fit(f)
  expect_verdict(x, "minimum")
  # Profiled: H = n J'J / RSS exactly (the model is linear), vcov() = RSS / (n - p) (J'J)^-1.
  expect_lt(rel_diff(x$table$se, sqrt(diag(vcov(f))) * sqrt(28 / 30)), 1e-5)
  expect_match(x$source$note, "sigma profiled", fixed = TRUE)
  y <- check_fit(f, sigma = "included")
  expect_identical(names(y$par), c("a", "b", "sigma"))
  expect_equal(y$table$se[1:2], x$table$se, tolerance = 1e-5)
  expect_equal(y$table$se[3], y$par[["sigma"]] / sqrt(2 * 30), tolerance = 1e-5)
  expect_match(format(y)[2], "sigma included", fixed = TRUE)
})

test_that("nls with a port bound at the estimate is at_bound", {
  set.seed(4)
  dd <- data.frame(xx = 1:30)
  dd$yy <- 2 + 0.5 * dd$xx + rnorm(30)
  f <- nls(yy ~ a + b * xx, dd, start = list(a = 4, b = 1), algorithm = "port",
           lower = c(3, 0))
  x <- check_fit(f)
  expect_verdict(x, "at_bound")
  expect_equal(x$at_bound[["a"]], -1)
})

test_that("nls bootstraps its data frame by rows with the default refit", {
  set.seed(6)
  dn <- data.frame(t = 1:25)
  dn$conc <- 10 * exp(-0.2 * dn$t) + rnorm(25, 0, 0.2)
  f <- nls(conc ~ A * exp(-k * t), dn, start = list(A = 5, k = 0.1))
  x <- check_fit(f)
  expect_identical(x$problem$data, "data")
  b <- bootstrap_se(x, R = 30, seed = 1, progress = FALSE)
  expect_true(all(b$status == "ok"))
  expect_lt(max(abs(log(b$se / x$table$se))), 0.5)
})
