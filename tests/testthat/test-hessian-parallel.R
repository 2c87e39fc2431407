# hessian_fd(parallel = ): the C core's batches evaluated on a backend give the same
# Hessian, bit for bit, as serial mode; failures are reported as serial mode reports them.

skip_if_not(.Platform$OS.type != "windows", "forking backends are not available on Windows")

parallel_problems <- function() {
  cub <- problem_cubic()
  # noise at every scale, fn self-contained (snow and future workers get fn's environment)
  nz <- list(fn = local({
    noise <- bit_noise
    function(p) (exp(sum(p) / 2) + sum(p^2)) * (1 + 2e-10 * noise(p))
  }))
  log_b <- problem_logistic(k = 4)
  list(
    list(fn = cub$fn, par = c(a = 1, b = 2, c = 3), gr = cub$gr),
    list(fn = log_b$fn, par = log_b$par, gr = log_b$gr),
    list(fn = nz$fn, par = seq(-1, 1, length.out = 6)),
    # a bound (one-sided stencils) and a non-finite wall
    list(fn = function(p) sum(p^1.5) + p[1] * p[2], par = c(1e-4, 1), lower = 0),
    list(fn = function(p) exp(p[1] * 800) * 1e-300 + -5e-4 * p[2]^2, par = c(0.5, 3)),
    # unresolved parameters (refined pairs)
    list(fn = function(p) abs(p[1]) + p[2]^2 + p[1] * p[3] + p[3]^2, par = c(0, 1, 2))
  )
}

run_all <- function(pb, ...) {
  lower <- if (is.null(pb$lower)) -Inf else pb$lower
  out <- list(f = suppressWarnings(hessian_fd(pb$fn, pb$par, lower = lower, ...)))
  if (!is.null(pb$gr)) {
    out$gr <- suppressWarnings(hessian_fd(pb$fn, pb$par, gr = pb$gr, lower = lower, ...))
  }
  out
}

test_that("multicore, snow and future give the serial Hessian bit for bit", {
  probs <- parallel_problems()
  serial <- lapply(probs, run_all)
  mc <- lapply(probs, run_all, parallel = "multicore", ncpus = 2)
  expect_identical(mc, serial)
  cl <- parallel::makeCluster(2)
  on.exit(parallel::stopCluster(cl), add = TRUE)
  expect_identical(lapply(probs, run_all, parallel = "snow", cl = cl), serial)
  skip_if_not_installed("future.apply")
  old <- future::plan(future::multisession, workers = 2)
  on.exit(future::plan(old), add = TRUE)
  expect_identical(lapply(probs, run_all, parallel = "future"), serial)
})

test_that("the backend can come through control, as check_fit()'s control$hessian does", {
  pb <- problem_cubic()
  H <- hessian_fd(pb$fn, c(1, 2, 3))
  expect_identical(hessian_fd(pb$fn, c(1, 2, 3),
                              control = list(parallel = "multicore", ncpus = 2)), H)
  # a caller forwarding its own defaulted arguments does not shadow control's entries
  fwd <- function(ctrl, parallel = c("no", "multicore", "snow", "future"), ncpus = 1L,
                  cl = NULL) {
    hessian_fd(pb$fn, c(1, 2, 3), control = ctrl, parallel = parallel, ncpus = ncpus,
               cl = cl)
  }
  expect_identical(fwd(list(parallel = "multicore", ncpus = 2)), H)
  expect_error(fwd(list(parallel = "snow", cl = 3)), class = "hesscheck_error_bad_parallel")
  x <- check_fit(c(a = 1, b = 2), function(p) sum((p - 1:2)^2) + p[1] * p[2],
                 control = list(hessian = list(parallel = "multicore", ncpus = 2)))
  expect_s3_class(x, "hesscheck")
  expect_error(hessian_fd(pb$fn, c(1, 2, 3), parallel = "sideways"),
               class = "hesscheck_error_bad_parallel")
  expect_error(hessian_fd(pb$fn, c(1, 2, 3), parallel = "multicore", ncpus = 0),
               class = "hesscheck_error_bad_ncpus")
  expect_error(hessian_fd(pb$fn, c(1, 2, 3), control = list(parallel = "snow", cl = 3)),
               class = "hesscheck_error_bad_parallel")
})

test_that("an error in fn on a worker is reported as in serial mode: the point, the message, the parent", {
  f <- function(p) if (p[["a"]] > 1.002) stop("boom midway") else sum(p^2)
  e1 <- expect_error(hessian_fd(f, c(a = 1, b = 2)), class = "hesscheck_error_fn_failed")
  e2 <- expect_error(hessian_fd(f, c(a = 1, b = 2), parallel = "multicore", ncpus = 2),
                     class = "hesscheck_error_fn_failed")
  expect_identical(conditionMessage(e2), conditionMessage(e1))
  expect_identical(e2$par, e1$par)
  expect_identical(conditionMessage(e2$parent), "boom midway")
  g <- function(p) if (p[1] > 1.0005) stop("gr broke") else 2 * p
  e3 <- expect_error(hessian_fd(function(p) sum(p^2), c(1, 2), gr = g, parallel = "multicore",
                                ncpus = 2), class = "hesscheck_error_fn_failed")
  expect_match(conditionMessage(e3), "^`gr` failed")
  # a value of the wrong type: the classed error of serial mode, same message
  h <- function(p) if (p[1] > 1.001) "oops" else sum(p^2)
  e4 <- expect_error(hessian_fd(h, c(1, 2)), class = "hesscheck_error_bad_fn_value")
  e5 <- expect_error(hessian_fd(h, c(1, 2), parallel = "multicore", ncpus = 2),
                     class = "hesscheck_error_bad_fn_value")
  expect_identical(conditionMessage(e5), conditionMessage(e4))
})

test_that("a worker that dies is a classed error, not a hang", {
  master <- Sys.getpid()
  # kills the worker evaluating it (never this process)
  f <- function(p) {
    if (p[1] > 1.001 && Sys.getpid() != master) tools::pskill(Sys.getpid(), tools::SIGKILL)
    sum(p^2)
  }
  t <- system.time(
    expect_error(hessian_fd(f, c(1, 2), parallel = "multicore", ncpus = 2),
                 class = "hesscheck_error_worker_died")
  )[["elapsed"]]
  expect_lt(t, 30)
  t <- system.time(
    expect_error(hessian_fd(f, c(1, 2), parallel = "snow", ncpus = 2),
                 class = "hesscheck_error_worker_died")
  )[["elapsed"]]
  expect_lt(t, 30)
  # and the next call works
  expect_lt(max(abs(as.matrix(hessian_fd(function(p) sum(p^2), c(1, 2), parallel = "multicore",
                                         ncpus = 2)) - diag(2, 2))), 1e-8)
})

test_that("a progress bar shows on calls projected past 2 s, never under trace = 0", {
  slow <- function(p) {
    Sys.sleep(0.05)
    sum(p^2)
  }
  out <- capture.output(H <- hessian_fd(slow, c(1, 2, 3, 4)))
  expect_true(any(grepl("100%", out, fixed = TRUE)))
  expect_silent(hessian_fd(slow, c(1, 2, 3, 4), control = list(trace = 0)))
  expect_silent(hessian_fd(function(p) sum(p^2), c(1, 2, 3, 4)))
})

test_that("a time limit (the way Ctrl-C arrives) stops a parallel call with R's own error", {
  slow <- function(p) {
    Sys.sleep(0.01)
    sum(p^2)
  }
  limit_msg <- gettext("reached elapsed time limit", domain = "R")
  # snow's workers started first, as ?hessian_fd advises: parallel::makeCluster() catches
  # a limit that expires while it starts them (on a loaded machine, or under the
  # sanitizers, that took over the 1 s), and R clears the limit as it signals it
  cl <- parallel::makeCluster(2)
  on.exit(try(parallel::stopCluster(cl), silent = TRUE), add = TRUE)
  for (backend in c("multicore", "snow")) {
    start <- proc.time()[["elapsed"]]
    setTimeLimit(elapsed = 1, transient = TRUE)
    e <- tryCatch(hessian_fd(slow, rep(1, 20), parallel = backend, ncpus = 2,
                             cl = if (backend == "snow") cl, control = list(trace = 0)),
                  error = identity)
    setTimeLimit(elapsed = Inf)
    expect_s3_class(e, "error")
    expect_equal(conditionMessage(e), limit_msg)
    expect_lt(proc.time()[["elapsed"]] - start, 15)
  }
  # nothing is left behind: the next call works
  expect_identical(hessian_fd(function(p) sum(p^2), c(1, 2), parallel = "snow", ncpus = 2),
                   hessian_fd(function(p) sum(p^2), c(1, 2)))
})

test_that("check_fit() takes the backend arguments and gives the serial result", {
  skip_on_os("windows")
  nll <- function(p, y) -sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
  set.seed(1)
  y <- rnorm(30)
  mle <- c(mu = mean(y), ls = log(sqrt(mean((y - mean(y))^2))))
  a <- check_fit(mle, nll, y = y)
  b <- check_fit(mle, nll, y = y, parallel = "multicore", ncpus = 2)
  expect_identical(a$table, b$table)
  expect_identical(unclass(a$hessian), unclass(b$hessian))
  expect_identical(b$verdict, "minimum")
})

test_that("a snow cluster started for the call sends without delay, and the option is restored", {
  skip_on_os("windows")
  skip_on_cran()
  old <- options(socketOptions = NULL)
  on.exit(options(old))
  seen <- new.env()
  suppressMessages(trace(parallel::makeCluster, print = FALSE,
                         tracer = bquote(assign("opt", getOption("socketOptions"), .(seen)))))
  on.exit(suppressMessages(untrace(parallel::makeCluster)), add = TRUE)
  expect_identical(hessian_fd(function(p) sum(p^2), c(1, 2), parallel = "snow", ncpus = 2),
                   hessian_fd(function(p) sum(p^2), c(1, 2)))
  expect_identical(seen$opt, "no-delay")
  expect_null(getOption("socketOptions"))
})
