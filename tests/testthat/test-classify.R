# The classification of a point (classify.R): the scaled Hessian's eigen-decomposition
# and its error bars, the Newton measures, and which directions fn is asked along.

test_that("a diagonal Hessian with equal eigenvalues names the parameters, not a + b", {
  x <- check_fit(c(a = 0, b = 0), function(p) -(p[1]^2 + p[2]^2))
  expect_equal(x$verdict, "maximum")
  y <- check_fit(c(a = 0, b = 0, c = 0), function(p) p[1]^2 - p[2]^2 - p[3]^2)
  sad <- y$findings[y$findings$type == "saddle", ]
  expect_setequal(sad$parameters, c("b", "c"))
  expect_equal(unname(abs(y$eigen$vectors)), diag(3)[, c(2, 3, 1)], tolerance = 1e-8)
})

test_that("the eigenvalues' error bars cover the exact eigenvalues", {
  for (r in 1:5) {
    pr <- problem_random_convex(3 + r, seed = 200 + r)
    x <- check_fit(pr$par, pr$fn)
    d <- sqrt(diag(as.matrix(x$hessian)))     # the same scaling for the exact Hessian
    exact <- sort(eigen(pr$hess / outer(d, d), symmetric = TRUE, only.values = TRUE)$values)
    expect_true(all(abs(x$eigen$values - exact) <= 3 * x$eigen$uncertainty + 1e-15),
                info = paste("problem", r))
    expect_true(all(x$eigen$uncertainty < 1e-6))
  }
})

test_that("lme4's scaled gradient is solve(chol(H), g) with the analytic H and g", {
  pr <- problem_logistic(k = 4, n = 300, seed = 5)
  b <- pr$par + c(0.05, -0.02, 0.03, 0.01)
  x <- check_fit(b, pr$fn)
  expect_equal(x$newton$scaled_gradient,
               max(abs(solve(chol(pr$hess(b)), pr$gr(b)))), tolerance = 1e-6)
  # The Newton step, in standard errors, against the analytic one.
  V <- solve(pr$hess(b))
  expect_equal(unname(x$newton$z), unname(-drop(V %*% pr$gr(b)) / sqrt(diag(V))),
               tolerance = 1e-6)
})

test_that("an optimum reached to its tolerance is not probed along small, certain directions", {
  # issue 24: an ordinary regression with condition number 1e4 (two nearly collinear
  # columns), at lm's exact solution: its smallest eigenvalue is 2e-4 of the largest yet
  # known to 1e-7 of itself, and no leftover gradient can tilt it: fn is asked nothing
  # after the Hessian, and the SEs are the analytic ones, sqrt(diag((X'X)^-1))
  set.seed(1)
  n <- 200
  X <- cbind(1, matrix(rnorm(n * 7), n))
  X[, 3] <- X[, 2] + 0.02 * X[, 3]
  y <- drop(X %*% rnorm(8)) + rnorm(n)
  fn <- function(b) sum((y - X %*% b)^2) / 2
  b0 <- qr.solve(X, y)
  x <- check_fit(b0, fn)
  expect_identical(x$verdict, "minimum")
  expect_identical(x$evaluations[["fn"]], attr(x$hessian, "evaluations")[["fn"]])
  expect_equal(unname(x$table$se), sqrt(diag(solve(crossprod(X)))), tolerance = 1e-6)
  # 0.05 SE off the optimum along the collinear pair's flat direction (in lm's metric):
  # a leftover gradient that could tilt it, so fn is asked along it, and the point is
  # still a minimum with the same SEs
  v <- eigen(crossprod(X), symmetric = TRUE)
  d <- v$vectors[, 8] / sqrt(v$values[8])
  x2 <- check_fit(b0 + 0.05 * d, fn)
  expect_gt(x2$evaluations[["fn"]], attr(x2$hessian, "evaluations")[["fn"]])
  expect_identical(x2$verdict, "minimum")
  expect_equal(unname(x2$table$se), sqrt(diag(solve(crossprod(X)))), tolerance = 1e-4)
})
