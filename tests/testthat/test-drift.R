test_that("an estimate short of a finite minimum far out is not stationary, not drifting", {
  # b's minimum is at 40 with SE 50; from b = 20 fn falls at twice the estimate but
  # rises again at four times it
  fn <- function(p) (p[1] - 1)^2 / 2 + (p[2] - 40)^2 / (2 * 50^2)
  x <- check_fit(c(a = 1, b = 20), fn)
  expect_verdict(x, "not_stationary")
  expect_false("separation" %in% x$findings$type)
  expect_false(any(x$table$status == "NA: drifts to infinity"))
})
