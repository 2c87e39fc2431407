normal_fit <- function(n = 100, seed = 1) {
  set.seed(seed)
  y <- rnorm(n, 10, 2)
  nll <- function(p, y) -sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
  mle <- c(mu = mean(y), log_sd = log(sqrt(mean((y - mean(y))^2))))
  list(y = y, nll = nll, x = check_fit(mle, nll, y = y), mle = mle,
       se = c(exp(mle[[2]]) / sqrt(n), 1 / sqrt(2 * n)))
}

test_that("on a normal MLE the bootstrap SE agrees with the analytic SE within MC error", {
  nf <- normal_fit()
  b <- bootstrap_se(nf$x, data = "y", R = 999, seed = 1, progress = FALSE)
  expect_s3_class(b, "hesscheck_boot")
  expect_equal(dim(b$replicates), c(999L, 2L))
  expect_true(all(b$status == "ok"))
  # The bootstrap SE of mu is the plug-in sigma / sqrt(n); of log sd, sqrt((k - 1) / 4n).
  k <- mean((nf$y - mean(nf$y))^4) / mean((nf$y - mean(nf$y))^2)^2
  target <- c(nf$se[1], sqrt((k - 1) / (4 * length(nf$y))))
  expect_true(all(abs(b$se - target) < 3 * b$mc_error + 0.01 * target))
  expect_true(all(b$mc_error > 0 & b$mc_error < 0.1 * b$se))
  expect_true(all(b$ci[, 1] < nf$mle & nf$mle < b$ci[, 2]))
  expect_output(print(b), "999 replicates, 999 converged")
})

test_that("the same seed gives identical replicates with 1 and 2 workers and with future", {
  nf <- normal_fit(n = 30)
  b1 <- bootstrap_se(nf$x, data = "y", R = 40, seed = 11, progress = FALSE)
  again <- bootstrap_se(nf$x, data = "y", R = 40, seed = 11, progress = FALSE)
  expect_identical(b1$replicates, again$replicates)
  other <- bootstrap_se(nf$x, data = "y", R = 40, seed = 12, progress = FALSE)
  expect_false(identical(b1$replicates, other$replicates))
  if (.Platform$OS.type != "windows") {
    b2 <- bootstrap_se(nf$x, data = "y", R = 40, seed = 11, parallel = "multicore",
                       ncpus = 2)
    expect_identical(b1$replicates, b2$replicates)
  }
  cl <- parallel::makeCluster(2)
  on.exit(parallel::stopCluster(cl), add = TRUE)
  b3 <- bootstrap_se(nf$x, data = "y", R = 40, seed = 11, parallel = "snow", cl = cl)
  if (under_valgrind()) {
    # The snow workers are fresh R processes outside valgrind: same resamples, but sums
    # rounded with 80-bit rather than valgrind's 64-bit long doubles.
    expect_equal(b1$replicates, b3$replicates, tolerance = 1e-10)
  } else {
    expect_identical(b1$replicates, b3$replicates)
  }
  skip_if_not_installed("future.apply")
  old <- future::plan("sequential")
  on.exit(future::plan(old), add = TRUE)
  b4 <- bootstrap_se(nf$x, data = "y", R = 40, seed = 11, parallel = "future")
  expect_identical(b1$replicates, b4$replicates)
})

test_that("the caller's random-number state is left as it was", {
  nf <- normal_fit(n = 20)
  set.seed(99)
  before <- .Random.seed
  bootstrap_se(nf$x, data = "y", R = 5, seed = 1, progress = FALSE)
  expect_identical(.Random.seed, before)
  expect_equal(RNGkind()[1], "Mersenne-Twister")
})

test_that("a refit that errors or does not converge is counted, not dropped", {
  nf <- normal_fit(n = 30)
  calls <- 0
  bad <- function(data, start) {
    calls <<- calls + 1
    if (calls %% 4 == 0) stop("singular system")
    if (calls %% 4 == 1) return(list(par = start, convergence = 1))
    c(mean(data), log(sqrt(mean((data - mean(data))^2))))
  }
  b <- bootstrap_se(nf$x, data = "y", R = 20, refit = bad, seed = 3, progress = FALSE)
  expect_equal(sum(b$status == "failed"), 5L)
  expect_equal(sum(b$status == "not_converged"), 5L)
  expect_equal(sum(b$status == "ok"), 10L)
  expect_equal(names(b$messages), "singular system")
  expect_true(all(is.na(b$replicates[b$status == "failed", ])))
  expect_output(print(b), "5 not converged, 5 failed")
})

test_that("an error in resample() or simulate() fails that replicate only", {
  nf <- normal_fit(n = 30)
  k <- 0
  flaky <- function(data) {
    k <<- k + 1
    if (k %% 5 == 0) stop("no resample today")
    sample(data, replace = TRUE)
  }
  b <- bootstrap_se(nf$x, data = "y", R = 20, resample = flaky, seed = 3, progress = FALSE)
  expect_equal(sum(b$status == "failed"), 4L)
  expect_equal(sum(b$status == "ok"), 16L)
  expect_equal(names(b$messages), "`resample` failed: no resample today")
  expect_true(all(is.na(b$replicates[b$status == "failed", ])))
  expect_true(all(is.finite(b$se)))

  wrong <- function(par) rnorm(30, par[1])     # forgets the data argument
  b <- bootstrap_se(nf$x, data = "y", R = 5, simulate = wrong, seed = 1, progress = FALSE)
  expect_true(all(b$status == "failed"))
  expect_match(names(b$messages), "^`simulate` failed: unused argument")
  expect_true(all(is.na(b$se)))

  cc <- coverage_check(nf$x, "y", wrong, R = 5, seed = 1, progress = FALSE)
  expect_equal(cc$used, 0L)
  expect_true(all(cc$status == "failed"))
  expect_output(print(cc), "Fewer than 2 replicates could be used")
  expect_output(print(cc), "`simulate` failed: unused argument")

  # A data set on which fn cannot be evaluated near the refitted estimate leaves that
  # replicate's SEs NA, without stopping the others.
  j <- 0
  sim <- function(par, data) {
    j <<- j + 1
    if (j == 2) rep(NA_real_, length(data)) else rnorm(length(data), par[1], exp(par[2]))
  }
  refit <- function(data, start) {
    if (anyNA(data)) return(start)
    c(mean(data), log(sqrt(mean((data - mean(data))^2))))
  }
  cc <- coverage_check(nf$x, "y", sim, R = 6, refit = refit, seed = 1, progress = FALSE)
  expect_equal(cc$used, 5L)
  expect_true(all(is.na(cc$se[2, ])))
  expect_true(all(is.finite(cc$se[-2, ])))
})

test_that("a refit error with a multi-line or empty message is a failed replicate", {
  nf <- normal_fit(n = 20)
  k <- 0
  odd <- function(data, start) {
    k <<- k + 1
    msg <- if (k %% 2 == 0) c("line 1", "line 2") else character()
    stop(structure(class = c("odd_error", "error", "condition"),
                   list(message = msg, call = NULL)))
  }
  b <- expect_silent(bootstrap_se(nf$x, data = "y", R = 4, refit = odd, seed = 1,
                                  progress = FALSE))
  expect_true(all(b$status == "failed"))
  expect_setequal(names(b$messages),
                  c("line 1 line 2", "an error of class odd_error, without a message"))
})

test_that("parametric bootstrap and coverage use simulate()", {
  nf <- normal_fit(n = 50)
  sim <- function(par, data) rnorm(length(data), par[1], exp(par[2]))
  b <- bootstrap_se(nf$x, data = "y", R = 400, simulate = sim, seed = 2, progress = FALSE)
  expect_equal(b$type, "parametric")
  expect_true(all(abs(b$se - nf$se) < 3 * b$mc_error + 0.02 * nf$se))
  cc <- coverage_check(nf$x, "y", sim, R = 200, seed = 4, progress = FALSE)
  expect_s3_class(cc, "hesscheck_coverage")
  expect_equal(cc$used, 200L)
  expect_true(all(abs(cc$table$coverage - 0.95) <= 2.5 * cc$table$mc_error))
  expect_output(print(cc), "Coverage of 95% Wald intervals")
})

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
