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

test_that("a value of the wrong type away from par is a classed error naming the point", {
  f <- function(p) if (p[1] > 1.001) "oops" else sum(p^2)
  err <- expect_error(hessian_fd(f, c(1, 2)), class = "hesscheck_error_bad_fn_value")
  expect_match(conditionMessage(err), "p1 = 1.00")
  f <- function(p) if (p[1] > 1.001) c(1, 2) else sum(p^2)
  expect_error(hessian_fd(f, c(1, 2)), class = "hesscheck_error_bad_fn_value")
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

test_that("an error inside fn is passed on with the parameter values", {
  f <- function(p) stop("boom")
  err <- expect_error(hessian_fd(f, c(a = 1, b = 2)), class = "hesscheck_error_fn_failed")
  expect_match(conditionMessage(err), "boom")
  expect_equal(err$par, c(a = 1, b = 2))

  f <- function(p) if (p[["a"]] > 1.002) stop("boom midway") else sum(p^2)
  err <- expect_error(hessian_fd(f, c(a = 1, b = 2)), class = "hesscheck_error_fn_failed")
  expect_match(conditionMessage(err), "boom midway")
  expect_gt(err$par[["a"]], 1.002)
  expect_s3_class(err$parent, "simpleError")

  g <- function(p) if (p[1] > 1.0005) stop("gr broke") else 2 * p
  err <- expect_error(hessian_fd(function(p) sum(p^2), c(1, 2), gr = g),
                      class = "hesscheck_error_fn_failed")
  expect_match(conditionMessage(err), "^`gr` failed")
})

test_that("fn non-finite everywhere near par is a classed error", {
  f <- function(p) if (identical(p, c(1, 2))) 1 else NaN
  expect_error(hessian_fd(f, c(1, 2)), class = "hesscheck_error_nonfinite")
})

test_that("a long computation can be interrupted", {
  slow <- function(p) { Sys.sleep(0.01); sum(p^2) }
  setTimeLimit(elapsed = 0.5, transient = TRUE)
  on.exit(setTimeLimit(elapsed = Inf))
  expect_error(hessian_fd(slow, rep(1, 20)), "time limit|elapsed")
})

test_that("a hesscheck error raised inside fn is fn's failure, not passed off as ours", {
  # An objective that itself calls hessian_fd() (a Laplace approximation, say) and
  # fails there: the outer call reports that fn failed, with the inner error as parent.
  inner_bad <- function(p) hessian_fd(function(q) "oops", p)
  f <- function(p) sum(p^2) + sum(inner_bad(p))
  err <- expect_error(hessian_fd(f, c(1, 2)), class = "hesscheck_error_fn_failed")
  expect_match(conditionMessage(err), "^`fn` failed at par = \\(p1 = 1, p2 = 2\\)")
  expect_s3_class(err$parent, "hesscheck_error_bad_fn_value")
})

test_that("errors with unusual messages from user code are still handled", {
  odd <- function(p) stop(structure(class = c("odd_error", "error", "condition"),
                                    list(message = c("line 1", "line 2"), call = NULL)))
  err <- expect_error(hessian_fd(odd, c(1, 2)), class = "hesscheck_error_fn_failed")
  expect_length(conditionMessage(err), 1L)
  expect_match(conditionMessage(err), "line 1 line 2$")
  later <- function(p) if (p[1] > 1) odd(p) else sum(p^2)
  expect_error(hessian_fd(later, c(1, 2)), class = "hesscheck_error_fn_failed")
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

test_that("a value of the wrong type is reported as fn returned it, without running fn again", {
  calls <- 0L
  # "a" once, at the fourth call; a number at every other call
  fn <- function(p) {
    calls <<- calls + 1L
    if (calls == 4L) "a" else sum(p^2)
  }
  e <- expect_error(hessian_fd(fn, c(a = 1, b = 2)), class = "hesscheck_error_bad_fn_value")
  expect_match(conditionMessage(e), "it returned \"a\" (character)", fixed = TRUE)
  expect_identical(calls, 4L)
  calls <- 0L
  gr <- function(p) {
    calls <<- calls + 1L
    if (calls == 3L) quote(p) else 2 * p
  }
  e <- expect_error(hessian_fd(function(p) sum(p^2), c(a = 1, b = 2), gr = gr),
                    class = "hesscheck_error_bad_gr_value")
  expect_match(conditionMessage(e), "an object of class \"name\"", fixed = TRUE)
  expect_identical(calls, 3L)
})
