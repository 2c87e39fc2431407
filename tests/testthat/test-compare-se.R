# compare_se(): the sources side by side, the sandwich against HC0, classed errors.

test_that("the sandwich equals the model SE for a correct linear model and HC0 otherwise", {
  set.seed(5)
  n <- 400
  X <- cbind(1, runif(n, 0, 2))
  fit_lm <- function(y) {
    nll <- function(p, y) -sum(dnorm(y, X %*% p[1:2], exp(p[3]), log = TRUE))
    obs <- function(p, y) -dnorm(y, drop(X %*% p[1:2]), exp(p[3]), log = TRUE)
    b <- qr.coef(qr(X), y)
    mle <- c(b0 = b[[1]], b1 = b[[2]], log_s = log(sqrt(mean((y - X %*% b)^2))))
    x <- check_fit(mle, nll, y = y)
    list(cs = compare_se(x, fn_obs = obs), e = drop(y - X %*% b), x = x)
  }
  homo <- fit_lm(drop(X %*% c(1, 2)) + rnorm(n))
  se <- homo$cs$se
  expect_lt(max(abs(se[1:2, "sandwich"] / se[1:2, "hesscheck"] - 1)), 0.1)
  hetero <- fit_lm(drop(X %*% c(1, 2)) + rnorm(n) * X[, 2]^2)
  # HC0 = (X'X)^-1 X' diag(e^2) X (X'X)^-1.
  B <- solve(crossprod(X))
  hc0 <- sqrt(diag(B %*% crossprod(X * hetero$e) %*% B))
  se <- hetero$cs$se
  expect_equal(unname(se[1:2, "sandwich"]), hc0, tolerance = 1e-6)
  expect_gt(abs(se[2, "sandwich"] / se[2, "hesscheck"] - 1), 0.2)
  expect_true(hetero$cs$table$flag[hetero$cs$table$source == "sandwich"][2])
  skip_if_not_installed("sandwich")
  y <- drop(X %*% c(1, 2)) + hetero$e
  m <- lm(y ~ X - 1)
  expect_equal(unname(se[1:2, "sandwich"]),
               unname(sqrt(diag(sandwich::vcovHC(m, type = "HC0")))), tolerance = 1e-6)
})

test_that("compare_se puts optim, numDeriv and hesscheck side by side", {
  nf <- normal_fit()
  fit <- optim(c(mu = 5, log_sd = 0), nf$nll, y = nf$y, method = "BFGS", hessian = TRUE)
  x <- check_fit(fit, nf$nll, y = nf$y)
  cs <- compare_se(x)
  expect_s3_class(cs, "hesscheck_se")
  expect_true(all(c("hesscheck", "optim", "numDeriv") %in% colnames(cs$se)))
  expect_equal(unname(cs$se[, "hesscheck"]), nf$se, tolerance = 1e-5)
  expect_match(cs$notes[1], "fit$hessian", fixed = TRUE)
  # Without fit$hessian, optimHess() at the estimate.
  cs2 <- compare_se(nf$x, numderiv = FALSE)
  expect_false("numDeriv" %in% colnames(cs2$se))
  expect_match(cs2$notes[1], "optimHess")
  expect_output(print(cs), "Standard errors by source")
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  d <- plot(cs)
  expect_equal(nrow(d), 6L)
  expect_equal(nrow(as.data.frame(cs)), 6L)
})

test_that("bad data names, R, objects and parallel settings get classed errors", {
  nf <- normal_fit(n = 20)
  expect_error(bootstrap_se(nf$x, data = "z", R = 10), class = "hesscheck_error_bad_data")
  expect_error(bootstrap_se(nf$x, data = 1, R = 10), class = "hesscheck_error_bad_data")
  expect_error(bootstrap_se(nf$x, data = "y", R = 1), class = "hesscheck_error_bad_R")
  expect_error(bootstrap_se(nf$x, data = "y", R = 2.5), class = "hesscheck_error_bad_R")
  expect_error(bootstrap_se(nf$x, data = "y", R = NA), class = "hesscheck_error_bad_R")
  expect_error(bootstrap_se(list(), data = "y"), class = "hesscheck_error_bad_object")
  expect_error(bootstrap_se(nf$x, data = "y", R = 5, ncpus = 0),
               class = "hesscheck_error_bad_ncpus")
  expect_error(bootstrap_se(nf$x, data = "y", R = 5, parallel = "snow", cl = 3),
               class = "hesscheck_error_bad_parallel")
  expect_error(coverage_check(nf$x, "y", "sim"), class = "hesscheck_error_bad_function")
  expect_error(compare_se(nf$x, bootstrap = 1), class = "hesscheck_error_bad_bootstrap")
  expect_error(compare_se(nf$x, fn_obs = function(p, y) "a"),
               class = "hesscheck_error_bad_fn_value")
  sad <- check_fit(c(a = 0, b = 0), function(p) p[1]^2 - p[2]^2)
  expect_error(compare_se(sad), class = "hesscheck_error_not_positive_definite")
})
