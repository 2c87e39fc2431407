# check_fit() on optimx results (fit-optimx.R).

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
