# What every adapter shares (fit-base.R): optim-like lists and their names, nlm results,
# a class method's convergence code, unsupported classes, and extra arguments refused.

test_that("optim-like lists with duplicate or missing names print, with unique names", {
  nll <- function(p) sum((p - c(1, 2, 3))^2) / 2
  x <- check_fit(list(par = c(beta = 1, beta = 2, theta = 3), value = 0), nll)
  expect_identical(names(x$par), c("beta[1]", "beta[2]", "theta"))
  expect_silent(format(x))
  y <- check_fit(list(par = c(a = 1, 2, 3), value = 0), nll)
  expect_identical(names(y$par), c("a", "p2", "p3"))
  expect_silent(format(y))
  z <- check_fit(c(1, 2, 3), nll)
  expect_identical(names(z$par), c("p1", "p2", "p3"))
})

test_that("an nlm result with a non-scalar code is a classed error", {
  fit <- list(estimate = c(a = 1), minimum = 0, code = c(1, 2))
  expect_error(check_fit(fit, function(p) p^2), class = "hesscheck_error_bad_fit")
})

test_that("a class method's non-convergence is reported under its source's name", {
  fn <- function(p) sum((p - 1)^2)
  x <- hesscheck:::from_package(structure(list(), class = "foo"), "glmmTMB", c(a = 1, b = 1),
                                fn, convergence = 1L)
  f <- x$findings[x$findings$type == "optimizer", ]
  # not optim's "iteration limit maxit reached", which is optim's code 1 only
  expect_identical(f$message, "glmmTMB reported convergence code 1: it did not claim a minimum.")
  expect_identical(x$optimizer, "glmmTMB")
  fit <- optim(c(a = 0, b = 0), fn, control = list(maxit = 1), method = "BFGS")
  expect_match(check_fit(fit, fn)$findings$message, "(iteration limit maxit reached)",
               fixed = TRUE, all = FALSE)
})

test_that("an unsupported class is a classed error naming the classes and the fallback", {
  e <- expect_error(check_fit(lm(dist ~ speed, cars)),
                    class = "hesscheck_error_unsupported_fit")
  expect_match(conditionMessage(e), "\"lm\"", fixed = TRUE)
  expect_match(conditionMessage(e), "glmmTMB", fixed = TRUE)
  expect_match(conditionMessage(e), "list(par = ", fixed = TRUE)
})

test_that("methods whose objective comes from the fit reject extra arguments", {
  d <- glm_data(n = 50)
  f <- glm(yp ~ x1, poisson, d)
  e <- expect_error(check_fit(f, function(p) sum(p^2)), class = "hesscheck_error_bad_argument")
  expect_match(conditionMessage(e), "(unnamed)", fixed = TRUE)
  expect_error(check_fit(f, contol = list()), class = "hesscheck_error_bad_argument")
})
