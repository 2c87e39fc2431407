# check_fit() on maxLik fits (fit-maxlik.R).

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
