# hessian_fd()'s result (hessian-result.R): the elements whose bounds exceed a tenth of
# their size or scale are unresolved, named in a classed warning.

test_that("an element that cannot be resolved is flagged with a classed warning naming it", {
  kink <- function(p) abs(p[1]) + p[2]^2
  expect_warning(H <- hessian_fd(kink, c(0, 1)), class = "hesscheck_warning_unresolved")
  expect_true(attr(H, "unresolved")[1, 1])
  expect_false(attr(H, "unresolved")[2, 2])
  w <- tryCatch(hessian_fd(kink, c(a = 0, b = 1)), warning = function(w) w)
  # the kinked diagonal, and the mixed element that inherits its error
  expect_match(conditionMessage(w), "for a, a:b could not be resolved", fixed = TRUE)
  expect_true("a" %in% w$parameters)
  # a smooth problem is silent
  expect_silent(hessian_fd(function(p) sum(p^2), c(1, 2)))
})

test_that("the unresolved test neither overflows nor lets a lost diagonal hide its row", {
  # beyond |H_ii| = 1e154, sqrt(d %o% d) was Inf: every bound looked small
  H <- diag(c(1e200, 1e200))
  E <- diag(c(2e199, 1e190))
  expect_identical(diag(hesscheck:::unresolved_elements(H, E)), c(TRUE, FALSE))
  # a diagonal lost in its own bound (1e28 +- 1e29) is not the scale of its row
  H <- matrix(c(-1.5e28, 2e21, 2e21, 5), 2)
  E <- matrix(c(1e29, 2e22, 2e22, 1e-3), 2)
  u <- hesscheck:::unresolved_elements(H, E)
  expect_true(u[1, 1] && u[1, 2] && !u[2, 2])
})

test_that("unresolved_elements() flags bounds above a tenth of the size, or of the scale", {
  H <- matrix(c(4, 0, 0, 9), 2)
  # error bounds of 0.3 and 1 on the diagonal: 0.3 / 4 resolved, 1 / 9 not
  E <- matrix(c(0.3, 1e-3, 1e-3, 1), 2)
  expect_identical(hesscheck:::unresolved_elements(H, E),
                   matrix(c(FALSE, FALSE, FALSE, TRUE), 2))
  # an off-diagonal element near 0 is judged against sqrt(d_1 d_2), d_i = |H_ii| less its
  # bound: sqrt(3.7 * 8) = 5.44, so a bound of 0.5 is resolved and 0.7 is not
  expect_false(hesscheck:::unresolved_elements(H, `[<-`(E, c(2, 3), 0.5))[1, 2])
  expect_true(hesscheck:::unresolved_elements(H, `[<-`(E, c(2, 3), 0.7))[1, 2])
  lab <- hesscheck:::unresolved_labels(matrix(c(FALSE, TRUE, TRUE, TRUE), 2), c("a", "b"))
  expect_identical(lab, list(text = "a:b, b", parameters = c("a", "b")))
})
