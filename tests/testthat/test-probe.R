# probe.R: fn asked along a direction. Its curvature against the analytic u' H u, the
# room the bounds leave, the counting wrapper of fn and the kind of a drift.

test_that("the curvature along a direction is u' H u of a quadratic, within its error", {
  H <- matrix(c(4, 1, 0, 1, 3, -1, 0, -1, 2), 3)
  f <- function(p) 0.5 * sum(p * (H %*% p)) + sum(p) + 7
  fx <- hesscheck:::make_fx(f)
  th <- hesscheck:::hc_thresholds
  x0 <- c(0.5, -1, 2)
  bounds <- list(lower = rep(-Inf, 3), upper = rep(Inf, 3))
  for (u in list(c(1, 0, 0), c(1, 1, 0) / sqrt(2), c(1, -2, 3) / sqrt(14))) {
    exact <- sum(u * (H %*% u))
    pc <- hesscheck:::probe_curvature(fx$f, x0, f(x0), u, exact, 0, 0, bounds, th)
    expect_lt(abs(pc$value - exact), max(pc$error, 1e-10 * exact))
    expect_lt(pc$error, 1e-6 * exact)
    expect_false(pc$kink)
  }
  # along a kink of |t| (fn = |u' p| + p' p) the probe says so
  g <- function(p) abs(p[1] - p[2]) + sum(p^2)
  gx <- hesscheck:::make_fx(g)
  u <- c(1, -1) / sqrt(2)
  pc <- hesscheck:::probe_curvature(gx$f, c(1, 1), g(c(1, 1)), u, 2, 0, 0,
                                    list(lower = c(-Inf, -Inf), upper = c(Inf, Inf)), th)
  expect_true(pc$kink)
  # and its error bar covers the jump of the slope over the probe's steps
  expect_gt(pc$error, 0.5 * abs(pc$value - 2))
})

test_that("the room along a direction is where the first bound is met", {
  ra <- hesscheck:::room_along
  b <- list(lower = c(0, -1), upper = c(10, 1))
  # from (2, 0) along (1, 0.5): t <= 2 (p1 >= 0), t <= 2 (p2 <= 1 and >= -1)
  expect_equal(ra(c(2, 0), c(1, 0.5), b), 2)
  expect_equal(ra(c(2, 0.5), c(0, 1), b), 0.5)
  expect_identical(ra(c(2, 0), c(0, 0), b), Inf)
})

test_that("fn is counted, and what is not one finite number is NA", {
  fk <- function(p, k) if (p > 0) k * p else if (p == 0) -Inf else stop("no")
  fx <- hesscheck:::make_fx(function(p) fk(p, k = 2))
  expect_identical(fx$f(3), 6)
  expect_identical(fx$f(0), NA_real_)
  expect_identical(fx$raw(0), -Inf)
  expect_identical(fx$f(-1), NA_real_)
  expect_identical(fx$count(), 4)
})

test_that("a drift whose falls keep growing is unbounded, one that levels off is not", {
  dk <- hesscheck:::drift_kind
  expect_identical(dk(c(1, 4, 16), 1e-8), "unbounded")
  expect_identical(dk(c(1, 0.25, 1 / 16), 1e-8), "asymptote")
  expect_identical(dk(c(1e-12, 4e-12), 1e-8), "asymptote")
  expect_identical(dk(1, 1e-8), "asymptote")
})
