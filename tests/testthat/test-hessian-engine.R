# hessian_fd()'s engine (hessian-engine.R): fn and gr called with the names of par and the
# extra arguments, and every failure of the user's functions worded as a classed error
# naming the point: a value of the wrong type, non-finite values, errors inside fn, an
# interrupt.

test_that("a value of the wrong type away from par is a classed error naming the point", {
  f <- function(p) if (p[1] > 1.001) "oops" else sum(p^2)
  err <- expect_error(hessian_fd(f, c(1, 2)), class = "hesscheck_error_bad_fn_value")
  expect_match(conditionMessage(err), "p1 = 1.00")
  f <- function(p) if (p[1] > 1.001) c(1, 2) else sum(p^2)
  expect_error(hessian_fd(f, c(1, 2)), class = "hesscheck_error_bad_fn_value")
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

test_that("names of par reach fn, and fn may keep or modify its argument", {
  kept <- list()
  fn <- function(p) {
    kept[[length(kept) + 1L]] <<- p
    p[["b"]] <- p[["b"]] * 1
    sum(p^2) + p[["a"]] * p[["b"]]
  }
  H <- hessian_fd(fn, c(a = 1, b = 2))
  expect_lte(scaled_err(H, matrix(c(2, 1, 1, 2), 2)), 1e-8)
  m <- do.call(rbind, kept)
  expect_identical(colnames(m), c("a", "b"))
  expect_equal(nrow(unique(m)), nrow(m))   # no kept vector was overwritten
})

test_that("extra arguments in ... reach fn and gr", {
  fn <- function(p, a, b = 1) a * sum(p^2) + b * prod(p)
  gr <- function(p, a, b = 1) 2 * a * p + b * rev(p)
  H <- hessian_fd(fn, c(1, 2), a = 3, b = 5)
  expect_lte(scaled_err(H, matrix(c(6, 5, 5, 6), 2)), 1e-8)
  H <- hessian_fd(fn, c(1, 2), a = 3, b = 5, gr = gr)
  expect_lte(scaled_err(H, matrix(c(6, 5, 5, 6), 2)), 1e-9)
})
