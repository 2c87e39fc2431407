# validate.R: every argument check's classed error, worded as the user sees it (the class
# is in each snapshot's "Error <class>" line), each from a call of an exported function.

test_that("hessian_fd()'s argument errors name the argument and what to do", {
  f <- function(p) sum(p^2)
  expect_snapshot(error = TRUE, {
    hessian_fd("f", 1)
    hessian_fd(f, 1, gr = 2)
    hessian_fd(f, "a")
    hessian_fd(f, numeric())
    hessian_fd(f, c(a = 1, b = NA, c = Inf))
    hessian_fd(f, c(1, NaN))
    hessian_fd(f, 1, control = 1)
    hessian_fd(f, 1, control = list(1))
    hessian_fd(f, 1, control = list(nosie = 1, tarce = 0))
    hessian_fd(f, 1, control = list(noise = -1))
    hessian_fd(f, 1, control = list(trace = NA))
    hessian_fd(f, 1, control = list(max_search = 0.5))
    hessian_fd(f, c(1, 2), control = list(step = 1))
    hessian_fd(f, c(1, 2), control = list(start = c(1, -1)))
    hessian_fd(f, c(1, 2), lower = c(0, 0, 0))
    hessian_fd(f, c(1, 2), lower = NA)
    hessian_fd(f, c(a = 1, b = 2), lower = c(0, 3), upper = c(2, 3))
    hessian_fd(f, c(a = 1, b = 2), lower = 1.5)
    hessian_fd(f, 1, parallel = "threads")
    hessian_fd(f, 1, parallel = "snow", ncpus = 0)
    hessian_fd(f, 1, parallel = "snow", cl = 3)
  })
})

test_that("fn's and gr's values are checked where the Hessian is wanted", {
  expect_snapshot(error = TRUE, {
    hessian_fd(function(p) c(1, 2), c(a = 1))
    hessian_fd(function(p) "1", c(a = 1))
    hessian_fd(function(p) NaN, c(a = 1))
    hessian_fd(function(p) -Inf, c(a = 1, b = 2))
    hessian_fd(function(p) sum(p^2), c(a = 1, b = 2), gr = function(p) 1)
    hessian_fd(function(p) sum(p^2), c(a = 1, b = 2), gr = function(p) c(1, NA))
  })
})

test_that("the checks shared by the resampling and profile functions are worded", {
  set.seed(1)
  y <- rnorm(20, 3, 2)
  nll <- function(p, y) -sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
  x <- check_fit(optim(c(mu = 0, ls = 0), nll, y = y, method = "BFGS"), nll, y = y)
  expect_snapshot(error = TRUE, {
    bootstrap_se(list(a = 1), R = 5)
    bootstrap_se(x, R = 5, force = NA)
    bootstrap_se(x, R = 5, progress = "yes")
    bootstrap_se(x, R = 1.5)
    bootstrap_se(x, "y", R = 5, parallel = c("snow", "no"))
    profile_ci(x, level = 1)
    confint(x, method = "bayes")
    confint(x, method = "wald", R = 10)
    print(x, digits = 0)
    format(hessian_fd(function(p) sum(p^2), 1), digits = 16)
  })
})
