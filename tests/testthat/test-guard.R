# hessian_fd()'s memory guard (guard.R): a job too large is refused before anything
# proportional to the number of parameters is built, and a limit just below the need reads
# as a different number.

test_that("a job too large is refused before names or bounds are built", {
  f <- function(p) sum(p^2)
  x <- numeric(1e7)
  t <- system.time(expect_error(hessian_fd(f, x), class = "hesscheck_error_too_large"))
  expect_lt(t[["elapsed"]], 1)
  t <- system.time(expect_error(check_fit(x, f), class = "hesscheck_error_too_large"))
  expect_lt(t[["elapsed"]], 1)
  # 3e7 parameters allocate nothing near their size (names alone were 2 GB)
  x <- numeric(3e7)
  before <- gc(reset = TRUE)[2L, 2L]
  expect_error(hessian_fd(f, x, lower = -1), class = "hesscheck_error_too_large")
  expect_lt(gc()[2L, 6L] - before, 50)         # MB, the most used since the reset
})

test_that("a memory limit just below the need reads as a different number", {
  f <- function(p) sum(p^2)
  e <- tryCatch(hessian_fd(f, 1, control = list(max_memory = 31.9)), error = identity)
  expect_s3_class(e, "hesscheck_error_too_large")
  expect_identical(e$bytes, 32)
  expect_match(conditionMessage(e), "about 32.0 bytes of memory, more than the limit of 31.9 bytes",
               fixed = TRUE)
  e <- tryCatch(hessian_fd(f, 1:1000, control = list(max_memory = 32e6 - 1)), error = identity)
  m <- regmatches(conditionMessage(e), gregexpr("[0-9.]+ MB", conditionMessage(e)))[[1]]
  expect_length(m, 2L)
  expect_false(identical(m[1], m[2]))
  expect_snapshot(error = TRUE, hessian_fd(f, 1, control = list(max_memory = 31.9)))
})
