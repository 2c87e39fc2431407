# Passing check_fit()'s `...` to fn, gr and fn_obs by name from an environment (dots.R):
# the values reach fn unevaluated and unchanged, names that cannot be symbols get their
# own, an error names the argument rather than deparsing the data, and the checked fn and
# gr carry the sign of fnscale.

test_that("dots_call() calls f(x, <dots>) with every value as given, language included", {
  f <- function(p, a, b) list(p = p, a = a, b = b)
  dc <- hesscheck:::dots_call(f, list(a = 1:3, b = quote(exp(p[2]))), c(1, 2))
  v <- eval(dc$call, dc$env)
  expect_identical(v, list(p = c(1, 2), a = 1:3, b = quote(exp(p[2]))))
  # x is inlined as the call's second element (the C core writes the parameters there)
  expect_identical(dc$call[[2L]], c(1, 2))
  # the arguments are symbols, not the values: the call stays small
  expect_true(all(vapply(as.list(dc$call)[-(1:2)], is.name, logical(1))))
})

test_that("dots_call() gives unnamed, duplicated and reserved names symbols of their own", {
  f <- function(p, ...) list(...)
  dots <- list(10, x = 20, x = 30, .fn = 40, ..1 = 50)
  dc <- hesscheck:::dots_call(f, dots, 0)
  v <- eval(dc$call, dc$env)
  expect_identical(unname(unlist(v)), c(10, 20, 30, 40, 50))
  expect_identical(names(v), c("", "x", "x", ".fn", "..1"))
  expect_identical(unname(vapply(as.list(dc$call)[-(1:2)], as.character, "")),
                   c(".arg1", "x", ".arg3", ".arg4", ".arg5"))
  # no dots: f(x) alone
  dc0 <- hesscheck:::dots_call(function(p) p + 1, list(), 2)
  expect_identical(eval(dc0$call, dc0$env), 3)
})

test_that("an unused argument's error names it, not its data", {
  yy <- seq(0.5, 100, by = 0.5)
  dc <- hesscheck:::dots_call(function(p) p, list(yy = yy), 1)
  e <- tryCatch(eval(dc$call, dc$env), error = identity)
  expect_match(conditionMessage(e), "unused argument (yy = yy)", fixed = TRUE)
})

test_that("bind_dots(), checked_fn() and checked_gr() are fn and gr with their arguments bound", {
  fn <- function(p, y) sum((y - p)^2)
  gr <- function(p, y) -2 * sum(y - p)
  y <- c(1, 2, 6)
  f <- hesscheck:::bind_dots(fn, list(y = y))
  expect_identical(f(2), 1 + 0 + 16)
  pr <- list(fn = fn, gr = gr, dots = list(y = y), fnscale = 1)
  expect_identical(hesscheck:::checked_fn(pr)(2), 17)
  expect_identical(hesscheck:::checked_gr(pr)(2), -2 * (-1 + 0 + 4))
  # a maximised function (fnscale < 0) is checked as its negative
  pr$fnscale <- -2
  expect_identical(hesscheck:::checked_fn(pr)(2), -17)
  expect_identical(hesscheck:::checked_gr(pr)(2), 6)
  # other data given explicitly
  expect_identical(hesscheck:::checked_fn(pr, list(y = 0))(1), -1)
  pr$gr <- NULL
  expect_null(hesscheck:::checked_gr(pr))
  # a value that is not a number is an error, not a coerced NA
  expect_error(hesscheck:::checked_fn(list(fn = function(p) "a", dots = list(),
                                           fnscale = 1))(1))
})

test_that("hold_state() restores a fit's state, and is a no-op without one", {
  st <- new.env()
  st$v <- 1
  pr <- list(state = function() {
    saved <- st$v
    function() st$v <- saved
  })
  restore <- hesscheck:::hold_state(pr)
  st$v <- 99
  restore()
  expect_identical(st$v, 1)
  expect_invisible(hesscheck:::hold_state(list(fn = identity))())
  expect_invisible(hesscheck:::hold_state(NULL)())
})
