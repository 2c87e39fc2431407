# A catalogue of the classed errors (hc_abort(), conditions.R) that other files check by
# class only, each from a small real case: the snapshot pins the class ("Error <class>")
# and the wording, which must say what was wrong with which argument and what to do.

cond_fit <- function() {
  set.seed(1)
  y <- rnorm(20, 3, 2)
  nll <- function(p, y) -sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
  list(y = y, nll = nll,
       x = check_fit(optim(c(mu = 0, ls = 0), nll, y = y, method = "BFGS",
                           control = list(reltol = 1e-12)), nll, y = y))
}

test_that("check_fit()'s own errors are worded", {
  cf <- cond_fit()
  nll <- cf$nll
  y <- cf$y
  expect_snapshot(error = TRUE, {
    check_fit(c(mu = 3, ls = 0.7), nll, y = y, fnscale = 0)
    check_fit(list(par = c(mu = 3, ls = 0.7), hessian = diag(3)), nll, y = y)
    check_fit(list(value = 1), nll, y = y)
    check_fit("a", nll, y = y)
    check_fit(list(estimate = c(3, 0.7), minimum = 1, code = NA), nll, y = y)
    check_fit(c(mu = 3, ls = 0.7), nll, y = y, control = list(level = 1))
    check_fit(c(mu = 3, ls = 0.7), nll, y = y, control = list(hessian = 1))
    check_fit(c(mu = 3, ls = 0.7), nll, y = y, control = list(refine = "yes"))
    check_fit(c(mu = 3, ls = 0.7), nll, y = y,
              control = list(hessian = list(max_memory = -1)))
    check_fit(c(a = 1), function(p) -exp(1e308 * p))
    check_fit(structure(list(), class = "lm"))
  })
})

test_that("compare_se(), profile_ci() and confint() say what they need", {
  cf <- cond_fit()
  x <- cf$x
  saddle <- check_fit(c(a = 0, b = 0), function(p) p[1]^2 - p[2]^2)
  expect_snapshot(error = TRUE, {
    compare_se(saddle)
    compare_se(x, bootstrap = list(1))
    compare_se(x, profile = NA, numderiv = FALSE)
    compare_se(x, fn_obs = function(p, y) c(1, NA), numderiv = FALSE, profile = FALSE)
    profile_ci(saddle)
    profile_ci(x, parm = "sigma")
    profile_ci(x, control = list(tol = 1))
    profile_ci(x, control = list(tol_newmin = Inf))
    profile_ci(x, control = list(maxit = 0))
    confint(x, method = "bootstrap", bootstrap = 1)
  })
})

test_that("bootstrap_se() and coverage_check() say what they need", {
  cf <- cond_fit()
  x <- cf$x
  y <- cf$y
  saddle <- check_fit(c(a = 0, b = 0), function(p, y) p[1]^2 - p[2]^2 + 0 * sum(y), y = y)
  sim <- function(par, data) rnorm(length(data), par[1], exp(par[2]))
  expect_snapshot(error = TRUE, {
    bootstrap_se(x, R = 5)
    bootstrap_se(x, data = "z", R = 5)
    bootstrap_se(x, data = 1:3, R = 5)
    bootstrap_se(saddle, "y", R = 5)
    coverage_check(saddle, "y", sim, R = 5)
    bootstrap_se(x, "y", R = 5, cluster = "g")
    bootstrap_se(x, "y", R = 5, cluster = 1:3)
    bootstrap_se(x, "y", R = 5, cluster = rep(1:2, 10), simulate = sim)
    bootstrap_se(x, "y", R = 5, method = 1)
    bootstrap_se(x, "y", R = 5, control = 1)
    coverage_check(x, "y", R = 5)
    coverage_check(x, "y", sim, R = 5, intervals = "bayes")
    coverage_check(x, "y", sim, R = 5, intervals = "wald", cluster = rep(1:2, 10))
  })
})

test_that("hessian_fd()'s run-time errors say where and what to do", {
  f <- function(p) sum(p^2)
  expect_snapshot(error = TRUE, {
    hessian_fd(f, 1, control = list(.progress = "a"))
    hessian_fd(f, rep(1, 100), control = list(max_memory = 1000))
    hessian_fd(function(p) 1.7e308 * p^2, c(a = 1))
    hessian_fd(function(p) if (abs(p - 1) > 0) Inf else 1, c(a = 1))
    hessian_fd(function(p) stop("boom"), c(a = 1))
  })
})
