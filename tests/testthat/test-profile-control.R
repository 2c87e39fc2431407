# profile_ci()'s control settings: values that would make every limit fail, or an
# interval silently wrong, are classed errors; a search stopped by control$max_se before
# the profile could be judged says so instead of calling the parameter not identified.

normal_fit <- function() {
  set.seed(1)
  y <- rnorm(30, 5, 2)
  nll <- function(p, y) -sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
  mle <- c(mu = mean(y), ls = log(sqrt(mean((y - mean(y))^2))))
  list(x = check_fit(mle, nll, y = y), y = y)
}

test_that("a search limit below the Wald distance is 'search limit reached', not -Inf Inf", {
  nf <- normal_fit()
  pr <- profile_ci(nf$x, parm = "mu", control = list(max_se = 1))
  expect_identical(pr$table["mu", "status"], "search_limit")
  expect_identical(c(pr$table["mu", "lower"], pr$table["mu", "upper"]), c(NA_real_, NA_real_))
  expect_false(any(pr$findings$type == "not_identified"))
  expect_snapshot(print(pr))
  # following the advice finds the interval: for mu, with sigma profiled out,
  # n/2 log(1 + (mu - ybar)^2 / s2) = qchisq(0.95, 1) / 2
  y <- nf$y
  n <- length(y)
  s2 <- mean((y - mean(y))^2)
  half <- sqrt(s2 * (exp(stats::qchisq(0.95, 1) / n) - 1))
  advice <- regmatches(pr$findings$message[1], regexpr("profile_ci\\(x, [^.]*\\)",
                                                      pr$findings$message[1]))
  expect_identical(advice, "profile_ci(x, control = list(max_se = 100))")
  x <- nf$x
  pr2 <- eval(parse(text = advice))$table
  expect_identical(pr2["mu", "status"], "ok")
  expect_equal(c(pr2["mu", "lower"], pr2["mu", "upper"]),
               mean(y) + c(-1, 1) * half, tolerance = 1e-7)
  # a limit that is 3 SEs out but searched only to 3: still not "not identified"
  pr3 <- profile_ci(nf$x, control = list(max_se = 2))
  expect_false(any(pr3$table$status == "not_identified"))
})

test_that("profile_ci() control values that cannot work are classed errors", {
  nf <- normal_fit()
  bad <- list(list(tol = 0), list(tol = -1), list(tol = 1), list(tol = NA),
              list(tol = "a"), list(max_se = 0), list(max_se = -1), list(max_se = Inf),
              list(max_se = NA), list(max_se = c(1, 2)), list(reltol = 1),
              list(reltol = -1e-9), list(tol_newmin = -1), list(tol_newmin = Inf),
              list(maxit = 0), list(maxit = 1.5), list(bogus = 1), list(1))
  for (ct in bad) {
    expect_error(profile_ci(nf$x, control = ct), class = "hesscheck_error_bad_control")
    expect_error(confint(nf$x, method = "profile", control = ct),
                 class = "hesscheck_error_bad_control")
  }
  expect_snapshot(error = TRUE, profile_ci(nf$x, control = list(tol = 0)))
  # the edges of the ranges work
  ok <- profile_ci(nf$x, parm = "mu", control = list(tol = 0.1, reltol = 0, tol_newmin = 0))
  expect_identical(ok$table$status, "ok")
})

test_that("a limit that cannot be found says why fn failed there", {
  f <- function(p) {
    if (p[1] > 1.5) stop("boom at the edge")
    sum(p^2) / 2
  }
  x <- check_fit(c(a = 0, b = 0), f)
  pr <- profile_ci(x, parm = "a")
  expect_identical(pr$table["a", "status"], "failed")
  expect_equal(pr$table["a", "lower"], -sqrt(stats::qchisq(0.95, 1)), tolerance = 1e-7)
  expect_match(pr$findings$message, "boom at the edge", fixed = TRUE)
})
