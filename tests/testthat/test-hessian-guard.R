# hessian_fd()'s guards and labels: the memory guard before anything proportional to the
# number of parameters is built, sizes that read differently, names kept as given, and a
# print that says what is true where the error bounds are not finite.

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

test_that("the print never says NA for the largest error estimate", {
  h <- hessian_fd(function(p) 1e250 * (1 + sum(p^2)), c(a = 1, b = 2))
  out <- capture.output(print(h))
  expect_false(any(grepl("NA", out, fixed = TRUE)))
  # a bound that is not finite is said so, with the elements
  h <- suppressWarnings(hessian_fd(function(p) sum(p^2), c(a = 1, b = 2)))
  attr(h, "error")[1, 2] <- attr(h, "error")[2, 1] <- Inf
  expect_match(capture.output(print(h)), "Largest error estimate: not finite (Inf for a:b)",
               fixed = TRUE, all = FALSE)
  attr(h, "value") <- 1e250
  expect_match(capture.output(print(h)), "overflow, |fn(par)| being about 1e+250; rescale fn",
               fixed = TRUE, all = FALSE)
  # no scale (a constant fn): the absolute error
  h0 <- suppressWarnings(hessian_fd(function(p) 1, c(a = 1, b = 2)))
  out <- capture.output(print(h0))
  expect_false(any(grepl("NA", out, fixed = TRUE)))
  expect_match(out, "absolute: the diagonal is zero", fixed = TRUE, all = FALSE)
  x <- check_fit(c(a = 1, b = 2), function(p) 1e250 * sum(p^2))
  expect_false(any(grepl("estimate NA", capture.output(summary(x)), fixed = TRUE)))
})
