# hessian_fd(): every numerical claim against an analytic Hessian.

test_that("cubic 2yx^4 + 2y^3 + 2xz^3 at (1, 2, 3) matches the analytic Hessian", {
  pb <- problem_cubic()
  H <- hessian_fd(pb$fn, pb$par)
  expect_s3_class(H, "hessian_fd")
  expect_lte(scaled_err(H, pb$hess(pb$par)), 1e-8)
  expect_equal(dimnames(H), list(c("x", "y", "z"), c("x", "y", "z")))
  expect_true(isSymmetric(as.matrix(H)))
  expect_named(attr(H, "step"), c("x", "y", "z"))
  expect_equal(dim(attr(H, "error")), c(3L, 3L))
  expect_named(attr(H, "evaluations"), c("fn", "gr"))
})

test_that("Rosenbrock Hessian is accurate away from and at its minimum", {
  pb <- problem_rosenbrock()
  for (p in list(c(-1.2, 1), c(1, 1), c(0.5, -0.3))) {
    H <- hessian_fd(pb$fn, p)
    expect_lte(scaled_err(H, pb$hess(p)), 1e-8)
  }
})

test_that("normal and logistic negative log-likelihoods match their analytic Hessians", {
  pb <- problem_normal()
  H <- hessian_fd(pb$fn, pb$par)
  expect_lte(scaled_err(H, pb$hess(pb$par)), 1e-8)
  expect_equal(rownames(H), c("mu", "log_sigma"))

  pb <- problem_logistic(k = 4)
  H <- hessian_fd(pb$fn, pb$par)
  expect_lte(scaled_err(H, pb$hess(pb$par)), 1e-8)
})

test_that("parameters on scales from 1e-6 to 1e6, at 0 and at the scales, are accurate", {
  pb <- problem_scaled_quadratic()
  for (p in list(rep(0, 5), pb$scales, -3 * pb$scales)) {
    H <- hessian_fd(pb$fn, p)
    expect_lte(scaled_err(H, pb$hess(p)), 1e-8)
    expect_true(all(attr(H, "error") >= abs(as.matrix(H) - pb$hess(p))))
  }
})

test_that("a step never grows past where fn stops behaving like a polynomial", {
  # exp(-p / s) on the scale s = 1e-4: the step must follow s although |p| = 1
  s <- 1e-4
  fn <- function(p) exp(-(p[1] - 1) / s) + p[2]^2
  H <- hessian_fd(fn, c(1, 1))
  expect_lt(attr(H, "step")[[1]], 1e-5)
  expect_lte(abs(H[1, 1] - 1 / s^2) / (1 / s^2), 1e-8)
  # and a tiny |par| does not mean a tiny step: v = 1e-60 on the scale 1
  y <- c(-1.2, 0.3, 0.8, 1.9, -0.4)
  fv <- function(p) -sum(dnorm(y, p[1], sqrt(1 + p[2]), log = TRUE))
  e <- deriv3(~ 0.5 * log(2 * pi * (1 + v)) + (yy - mu)^2 / (2 * (1 + v)), c("mu", "v"),
              hessian = TRUE)
  Ht <- local({ yy <- y; mu <- 0.1; v <- 1e-60; apply(attr(eval(e), "hessian"), c(2, 3), sum) })
  H <- hessian_fd(fv, c(0.1, 1e-60))
  expect_true(all(attr(H, "resolved")))
  expect_lte(scaled_err(H, Ht), 1e-8)
})

test_that("exp(sum(x)) at (5, 5) is accurate", {
  pb <- problem_exp_sum()
  H <- hessian_fd(pb$fn, c(5, 5))
  expect_lte(scaled_err(H, pb$hess(c(5, 5))), 1e-8)
})

test_that("noise of 1e-10 relative is detected and the steps respect it", {
  pb <- problem_noisy(1e-10)
  for (p in list(c(0.2, 0.5, 0.8), seq(-1, 1, length.out = 6))) {
    H <- hessian_fd(pb$fn, p)
    expect_lte(scaled_err(H, pb$hess(p)), 1e-6)
    # the noise found is within a factor 4 of the bound 2 sigma = 2 * 0.29e-10 * |f|
    ratio <- attr(H, "noise") / (2 * 2e-10 / sqrt(12) * abs(pb$fn(p)))
    expect_gt(ratio, 1 / 4)
    expect_lt(ratio, 4)
  }
  # a known noise level can be given instead
  H <- hessian_fd(pb$fn, c(0.2, 0.5, 0.8), control = list(noise = 1e-10))
  expect_lte(scaled_err(H, pb$hess(c(0.2, 0.5, 0.8))), 1e-6)
  expect_equal(attr(H, "noise"), 1e-10)
})

test_that("gradient mode on 50 parameters is accurate within 6.5n + 16 gradient calls", {
  # six per parameter: the estimate at h and its second opinion at 2h; 15 for the noise
  pb <- problem_big(50)
  H <- hessian_fd(pb$fn, pb$par, gr = pb$gr)
  expect_lte(scaled_err(H, pb$hess(pb$par)), 1e-9)
  # (a few more where a parameter far below its scale starts with a short step)
  expect_lte(attr(H, "evaluations")[["gr"]], 6.5 * 50 + 16)
  expect_true(isSymmetric(as.matrix(H)))
  expect_identical(attr(H, "method"), "gradient")

  pb <- problem_cubic()
  H <- hessian_fd(pb$fn, pb$par, gr = pb$gr)
  expect_lte(scaled_err(H, pb$hess(pb$par)), 1e-9)
})

test_that("f-only evaluations on well-scaled problems stay within 2(n^2 + n) + 4n + 1", {
  budget <- function(n) 2 * (n^2 + n) + 4 * n + 1
  # The first step is a share of |x|: a coefficient far below its scale (0.09 on a scale
  # of 1) starts short and costs one stencil more, so the logistic fits stay within
  # numDeriv's 4(n^2 + n) + 2 and within 20% of the budget.
  for (k in c(2, 3, 5, 10)) {
    pb <- problem_logistic(k = k)
    H <- hessian_fd(pb$fn, pb$par)
    expect_lte(attr(H, "evaluations")[["fn"]], min(1.2 * budget(k), 4 * (k^2 + k) + 2))
  }
  H <- hessian_fd(problem_logistic(k = 2)$fn, problem_logistic(k = 2)$par)
  expect_lte(attr(H, "evaluations")[["fn"]], budget(2))
  pb <- problem_cubic()
  expect_lte(attr(hessian_fd(pb$fn, pb$par), "evaluations")[["fn"]], budget(3))
  pb <- problem_normal()
  expect_lte(attr(hessian_fd(pb$fn, pb$par), "evaluations")[["fn"]], budget(2))
  # and never above numDeriv's 4(n^2 + n) + 2 on a badly scaled one
  pb <- problem_scaled_quadratic()
  expect_lte(attr(hessian_fd(pb$fn, pb$scales), "evaluations")[["fn"]], 4 * 30 + 2)
})

test_that("error estimates bound the true error on at least 95% of entries", {
  est <- true <- numeric()
  add <- function(H, Ht) {
    d <- sqrt(abs(diag(Ht)))
    s <- outer(d, d)
    ut <- upper.tri(s, diag = TRUE)
    est <<- c(est, (attr(H, "error") / s)[ut])
    true <<- c(true, (abs(as.matrix(H) - Ht) / s)[ut])
  }
  pb <- problem_cubic(); add(hessian_fd(pb$fn, pb$par), pb$hess(pb$par))
  pb <- problem_rosenbrock(); add(hessian_fd(pb$fn, c(-1.2, 1)), pb$hess(c(-1.2, 1)))
  pb <- problem_normal(); add(hessian_fd(pb$fn, pb$par), pb$hess(pb$par))
  pb <- problem_logistic(k = 6); add(hessian_fd(pb$fn, pb$par), pb$hess(pb$par))
  pb <- problem_exp_sum(); add(hessian_fd(pb$fn, c(5, 5)), pb$hess(c(5, 5)))
  pb <- problem_scaled_quadratic(); add(hessian_fd(pb$fn, rep(0, 5)), pb$hess(0))
  pb <- problem_noisy(); add(hessian_fd(pb$fn, c(0.2, 0.5, 0.8)), pb$hess(c(0.2, 0.5, 0.8)))
  pb <- problem_big(20); add(hessian_fd(pb$fn, pb$par, gr = pb$gr), pb$hess(pb$par))
  expect_gte(mean(est >= true), 0.99)
  expect_true(all(true <= 10 * est | true <= 1e-10))
  # and not uselessly large: at most 1e-5 of the element's scale on these problems (the
  # noisy one's noise, 1e-10 of fn, limits its accuracy to about 2e-7; the others are
  # below 1e-7)
  expect_lte(max(est), 1e-5)
})

test_that("fn is never evaluated outside the bounds; one-sided differences at a bound", {
  seen <- NULL
  fn <- function(p) {
    seen <<- rbind(seen, p)
    if (p[1] < 0 || p[2] > 2) stop("outside the bounds")
    sum(exp(p)) + p[1] * p[2]
  }
  Ht <- function(p) diag(exp(p)) + matrix(c(0, 1, 1, 0), 2)
  H <- hessian_fd(fn, c(0, 2), lower = c(0, -Inf), upper = c(Inf, 2))
  expect_true(all(seen[, 1] >= 0) && all(seen[, 2] <= 2))
  expect_equal(unname(attr(H, "side")), c(1L, -1L))
  expect_lte(scaled_err(H, Ht(c(0, 2))), 1e-6)

  # near (not at) a bound, a shrunken central stencil
  H <- hessian_fd(fn, c(1e-3, 1), lower = c(0, -Inf), upper = c(2e-3, 2))
  expect_lte(scaled_err(H, Ht(c(1e-3, 1))), 1e-7)

  # gradient mode at a bound
  gr <- function(p) exp(p) + rev(p)
  seen <- NULL
  H <- hessian_fd(fn, c(0, 1), gr = function(p) {
    seen <<- rbind(seen, p)
    gr(p)
  }, lower = c(0, -Inf))
  expect_true(all(seen[, 1] >= 0))
  expect_lte(scaled_err(H, Ht(c(0, 1))), 1e-8)
})

test_that("where fn is non-finite nearby the step shrinks instead of failing", {
  fn <- function(p) if (p[1] > 1.004) NA else sum(p^2) + p[1]^3
  H <- hessian_fd(fn, c(1, 2))
  expect_lte(scaled_err(H, diag(c(2 + 6, 2))), 1e-8)
  # the accepted stencil stays where fn is finite: central within 0.004, or one-sided away
  side <- attr(H, "side")[[1]]
  if (side == 0L) expect_lte(4 * attr(H, "step")[[1]], 0.004) else expect_identical(side, -1L)
  fn <- function(p) if (p[1] > 1.0000001) Inf else sum(p^2)
  H <- hessian_fd(fn, c(1, 2))
  expect_lte(scaled_err(H, diag(2, 2)), 1e-6)
})

test_that("user steps are used as given, rounded to the nearest power of two", {
  pb <- problem_cubic()
  H <- hessian_fd(pb$fn, pb$par, control = list(step = c(1e-3, 1e-3, 1e-3)))
  expect_equal(unname(attr(H, "step")), rep(2^-10, 3))
  expect_lte(scaled_err(H, pb$hess(pb$par)), 1e-7)
})

test_that("partly missing names keep the given ones, as check_fit() does", {
  f <- function(p) p[["a"]]^2 + 3 * p[[2]]^2
  h <- hessian_fd(f, c(a = 1, 2))
  expect_identical(dimnames(h), list(c("a", "p2"), c("a", "p2")))
  expect_equal(unname(as.matrix(h)), diag(c(2, 6)), tolerance = 1e-7)
  expect_identical(rownames(h), names(check_fit(c(a = 0, 0), f)$par))
  h2 <- hessian_fd(function(p) sum(p^2), stats::setNames(c(1, 2, 3), c("p3", NA, "")))
  expect_identical(rownames(h2), c("p3", "p2", "p3.1"))
  expect_identical(rownames(hessian_fd(function(p) sum(p^2), c(1, 2))), c("p1", "p2"))
})
