# hessian_fd(): bad input gets a classed error before any work.

test_that("bad par is a hesscheck_error_bad_par", {
  f <- function(p) sum(p^2)
  expect_error(hessian_fd(f, "a"), class = "hesscheck_error_bad_par")
  expect_error(hessian_fd(f, NULL), class = "hesscheck_error_bad_par")
  expect_error(hessian_fd(f, list(1, 2)), class = "hesscheck_error_bad_par")
  expect_error(hessian_fd(f, factor(1:2)), class = "hesscheck_error_bad_par")
  expect_error(hessian_fd(f, numeric(0)), class = "hesscheck_error_bad_par")
  expect_error(hessian_fd(f, c(a = 1, b = NA)), "b is NA", class = "hesscheck_error_bad_par")
  expect_error(hessian_fd(f, c(1, Inf)), class = "hesscheck_error_bad_par")
  expect_error(hessian_fd(f, c(1, NaN)), class = "hesscheck_error_bad_par")
})

test_that("fn and gr must be functions", {
  expect_error(hessian_fd("sum", 1), class = "hesscheck_error_bad_function")
  expect_error(hessian_fd(sum, 1, gr = 3), class = "hesscheck_error_bad_function")
})

test_that("fn must return one finite number at par", {
  expect_error(hessian_fd(function(p) NA, c(1, 2)), class = "hesscheck_error_bad_fn_value")
  expect_error(hessian_fd(function(p) NaN, c(1, 2)), class = "hesscheck_error_bad_fn_value")
  expect_error(hessian_fd(function(p) Inf, c(1, 2)), class = "hesscheck_error_bad_fn_value")
  expect_error(hessian_fd(function(p) "a", c(1, 2)), class = "hesscheck_error_bad_fn_value")
  expect_error(hessian_fd(function(p) p, c(1, 2)), "length 2",
               class = "hesscheck_error_bad_fn_value")
  expect_error(hessian_fd(function(p) list(1), c(1, 2)),
               class = "hesscheck_error_bad_fn_value")
  expect_error(hessian_fd(function(p) NULL, c(1, 2)),
               class = "hesscheck_error_bad_fn_value")
})

test_that("gr of the wrong length or non-finite is a classed error", {
  f <- function(p) sum(p^2)
  expect_error(hessian_fd(f, c(1, 2), gr = function(p) 1),
               class = "hesscheck_error_bad_gr_value")
  expect_error(hessian_fd(f, c(1, 2), gr = function(p) c(1, NA)),
               class = "hesscheck_error_bad_gr_value")
  expect_error(hessian_fd(f, c(1, 2), gr = function(p) if (p[1] > 1.0001) 1 else 2 * p),
               class = "hesscheck_error_bad_gr_value")
})

test_that("bad bounds are a hesscheck_error_bad_bounds", {
  f <- function(p) sum(p^2)
  expect_error(hessian_fd(f, c(1, 2), lower = 3), "p1, p2", class = "hesscheck_error_bad_bounds")
  expect_error(hessian_fd(f, c(1, 2), lower = c(0, 3), upper = c(2, 1)),
               class = "hesscheck_error_bad_bounds")
  expect_error(hessian_fd(f, c(1, 2), lower = c(0, 0, 0)), class = "hesscheck_error_bad_bounds")
  expect_error(hessian_fd(f, c(1, 2), lower = NA), class = "hesscheck_error_bad_bounds")
  expect_error(hessian_fd(f, c(1, 2), lower = 1, upper = 1), class = "hesscheck_error_bad_bounds")
})

test_that("unknown or malformed control entries are errors", {
  f <- function(p) sum(p^2)
  expect_error(hessian_fd(f, 1, control = list(foo = 1)), "foo",
               class = "hesscheck_error_bad_control")
  expect_error(hessian_fd(f, 1, control = list(1)), class = "hesscheck_error_bad_control")
  expect_error(hessian_fd(f, 1, control = "x"), class = "hesscheck_error_bad_control")
  expect_error(hessian_fd(f, 1, control = list(noise = -1)), class = "hesscheck_error_bad_control")
  expect_error(hessian_fd(f, 1, control = list(step = c(1, 2))),
               class = "hesscheck_error_bad_control")
  expect_error(hessian_fd(f, 1, control = list(max_search = 0)),
               class = "hesscheck_error_bad_control")
})

test_that("a Hessian too large for memory stops at once with a classed error naming both figures", {
  fn <- function(p) sum(p^2)
  gc(reset = TRUE)
  before <- sum(gc()[, 2])
  t <- system.time(
    e <- tryCatch(hessian_fd(fn, rep(1, 50000)), error = function(e) e)
  )[["elapsed"]]
  used <- sum(gc()[, 6]) - before   # "max used" in Mb, above what was in use before
  expect_s3_class(e, "hesscheck_error_too_large")
  expect_match(conditionMessage(e), "GB of memory")
  expect_match(conditionMessage(e), "evaluations of fn")
  expect_lt(t, 1)
  expect_lt(used, 100)
  # the limit is a control setting, and raising it lets a small job through
  expect_error(hessian_fd(fn, rep(1, 10), control = list(max_memory = 1000)),
               class = "hesscheck_error_too_large")
  H <- hessian_fd(fn, rep(1, 10), control = list(max_memory = 1e6))
  expect_lt(max(abs(as.matrix(H) - diag(2, 10))), 1e-8)
})
