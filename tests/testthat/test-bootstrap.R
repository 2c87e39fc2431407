# bootstrap_se(): analytic SEs, reproducibility across backends, failed replicates.

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

test_that("the parametric bootstrap uses simulate() and matches the analytic SEs", {
  nf <- normal_fit(n = 50)
  sim <- function(par, data) rnorm(length(data), par[1], exp(par[2]))
  b <- bootstrap_se(nf$x, data = "y", R = 400, simulate = sim, seed = 2, progress = FALSE)
  expect_equal(b$type, "parametric")
  expect_true(all(abs(b$se - nf$se) < 3 * b$mc_error + 0.02 * nf$se))
})

test_that("the refits' warnings are one summary warning, with every warning in the result", {
  # A Weibull in its natural parameters: BFGS tries negative shapes while refitting, and
  # dweibull() says "NaNs produced" each time (the original fit warned too: muffled here).
  y <- as.numeric(na.omit(datasets::airquality$Ozone))
  nll <- function(p, y) -sum(dweibull(y, p[1], p[2], log = TRUE))
  f <- suppressWarnings(optim(c(shape = 1, scale = 30), nll, y = y, method = "BFGS"))
  x <- check_fit(f, nll, y = y)
  caught <- list()
  b <- withCallingHandlers(
    bootstrap_se(x, data = "y", R = 60, seed = 1, progress = FALSE,
                 control = list(parscale = c(1, 30))),
    warning = function(w) {
      caught[[length(caught) + 1L]] <<- w
      invokeRestart("muffleWarning")
    })
  expect_length(caught, 1L)
  w <- caught[[1L]]
  expect_s3_class(w, "hesscheck_warning_replicates_warned")
  wf <- b$warnings
  expect_identical(names(wf), c("replicate", "message"))
  expect_gt(nrow(wf), 0L)
  expect_true(all(wf$message == "NaNs produced"))
  k <- length(unique(wf$replicate))
  expect_identical(conditionMessage(w), sprintf(
    "%d of 60 refits warned: NaNs produced (first at replicate %d). Every warning is in the result's $warnings.",
    k, min(wf$replicate)))
  expect_identical(w$warnings, wf)
  # the print says so too
  expect_match(format(b), sprintf("^%d of 60 refits warned, most often: NaNs produced", k),
               all = FALSE)
  # the same replicates warn, in the same words, on two forked workers
  skip_on_os("windows")
  b2 <- suppressWarnings(bootstrap_se(x, data = "y", R = 60, seed = 1, progress = FALSE,
                                      control = list(parscale = c(1, 30)),
                                      parallel = "multicore", ncpus = 2))
  expect_identical(b2$warnings, wf)
})

test_that("several kinds of warning are counted by message, the most frequent first", {
  nf <- normal_fit(n = 20)
  refit <- function(d, s) {
    if (mean(d) > 10) warning("high mean")
    warning("always")
    s
  }
  expect_snapshot(b <- bootstrap_se(nf$x, "y", R = 10, seed = 3, refit = refit,
                                    progress = FALSE))
  expect_identical(sum(b$warnings$message == "always"), 10L)
  expect_identical(b$warnings$replicate[b$warnings$message == "always"], 1:10)
})
