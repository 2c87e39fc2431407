# The methods of hessian_fd() results (s3-hessian-fd.R): the print, readable and never NA
# for the largest error estimate.

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

test_that("printing is readable: the matrix and one line on accuracy", {
  pb <- problem_cubic()
  H <- hessian_fd(pb$fn, pb$par)
  out <- capture.output(print(H))
  expect_match(out[1], "^Hessian \\(3 x 3\\) from differences of fn, [0-9]+ evaluations$")
  expect_true(any(grepl("^Largest error estimate", out)))
  expect_false(any(grepl("attr", out)))
  expect_identical(attributes(as.matrix(H)), list(dim = c(3L, 3L), dimnames = dimnames(H)))
  expect_true(is.character(format(H)))
})
