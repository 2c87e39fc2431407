# check_fit()'s probes along undecided directions on its parallel backend: fn's batches
# (the noise points, the Newton slope steps, the line's Hessian) evaluated on the
# workers, counted and ticked in this process, with the same points and values as serial
# mode, so that the verdict, the table and the counts are identical.

test_that("a batch of probe points gives serial mode's values, counts and ticks", {
  skip_on_os("windows")
  skip_on_cran()
  # every kind of value fn can give: a number, an integer, Inf, -Inf, NaN, NA, an error,
  # a string, two numbers
  f <- function(p, k) {
    switch(p[["i"]], k * p[["x"]], 3L, Inf, -Inf, NaN, NA, stop("no"), "a", c(1, 2))
  }
  pts <- lapply(1:9, function(i) c(i = i, x = 0.5 * i))
  serial <- hesscheck:::make_fx(function(p) f(p, k = 2))
  want <- vapply(pts, serial$f, 0)
  expect_identical(want, c(1, 3, rep(NA_real_, 7)))
  for (be in c("multicore", "snow")) {
    ev <- hesscheck:::batch_evaluator(
      be, 2L, NULL, hesscheck:::chunk_function(f, NULL, list(k = 2), c("i", "x"),
                                               ship = be != "multicore", tolerant = TRUE),
      fail = function(...) stop("not expected"), progress = NULL,
      name = ".hesscheck_probe_chunk", persistent = TRUE)
    ticks <- 0
    fx <- hesscheck:::make_fx(function(p) f(p, k = 2), tick = function() ticks <<- ticks + 1,
                              runner = function(X) ev$evaluate(X, 1L))
    got <- hesscheck:::fn_many(fx$f, pts)
    ev$close()
    expect_identical(got, want)
    expect_identical(fx$count(), 9)
    expect_identical(ticks, 9)
  }
})

# fn along a nearly collinear pair (a, b), c 1e-4 from its optimum: the leftover gradient
# could tilt the flat direction a + b past its sign, so check_fit() asks fn along it.
# Each call leaves a line in a file named by the id of its process, in the folder `log`.
collinear_case <- function(log) {
  force(log)
  dir.create(log, showWarnings = FALSE)
  list(fit = c(a = 0, b = 0, c = 1e-4), fn = function(p) {
    cat("1\n", file = file.path(log, Sys.getpid()), append = TRUE)
    (p[1] - p[2])^2 + 1e-7 * (p[1] + p[2])^2 + p[3]^2
  })
}

# The calls logged by collinear_case()'s fn: here and in other processes; the log cleared.
calls_logged <- function(log) {
  files <- list.files(log, full.names = TRUE)
  n <- vapply(files, function(f) length(readLines(f)), 0L)
  here <- basename(files) == as.character(Sys.getpid())
  unlink(files)
  c(here = sum(n[here]), there = sum(n[!here]))
}

test_that("check_fit()'s probes run on multicore and snow workers, as in serial mode", {
  skip_on_os("windows")
  skip_on_cran()
  log <- tempfile()
  on.exit(unlink(log, recursive = TRUE), add = TRUE)
  cs <- collinear_case(log)
  x0 <- check_fit(cs$fit, cs$fn, control = list(hessian = list(trace = 0)))
  calls0 <- sum(calls_logged(log))
  h_evals <- attr(x0$hessian, "evaluations")[["fn"]]
  # fn was asked after the Hessian (the probes), and every call was counted
  expect_gt(x0$evaluations[["fn"]], 2 * h_evals)
  expect_identical(x0$evaluations[["fn"]], as.numeric(calls0))
  for (be in c("multicore", "snow")) {
    x <- check_fit(cs$fit, cs$fn, parallel = be, ncpus = 2,
                   control = list(hessian = list(trace = 0)))
    expect_identical(x$verdict, x0$verdict)
    expect_identical(x$table, x0$table)
    expect_identical(x$findings, x0$findings)
    expect_identical(x$eigen, x0$eigen)
    expect_identical(x$par, x0$par)
    expect_identical(x$evaluations, x0$evaluations)
    n <- calls_logged(log)
    expect_identical(sum(n), calls0)
    # more calls on the workers than the whole Hessian made: the probes' batches ran
    # there (before, every probe ran here)
    expect_gt(n[["there"]], h_evals)
  }
})

test_that("check_fit()'s probes on a future plan give serial mode's result", {
  skip_on_os("windows")
  skip_on_cran()
  skip_if_not_installed("future.apply")
  log <- tempfile()
  on.exit(unlink(log, recursive = TRUE), add = TRUE)
  cs <- collinear_case(log)
  x0 <- check_fit(cs$fit, cs$fn, control = list(hessian = list(trace = 0)))
  old <- future::plan("multisession", workers = 2)
  on.exit(future::plan(old), add = TRUE)
  calls_logged(log)
  x <- check_fit(cs$fit, cs$fn, parallel = "future",
                 control = list(hessian = list(trace = 0)))
  expect_identical(x$table, x0$table)
  expect_identical(x$eigen, x0$eigen)
  expect_identical(x$evaluations, x0$evaluations)
  expect_gt(calls_logged(log)[["there"]], attr(x0$hessian, "evaluations")[["fn"]])
})

test_that("a refinement's Hessians on snow leave the probes' batches their workers", {
  skip_on_os("windows")
  skip_on_cran()
  log <- tempfile()
  on.exit(unlink(log, recursive = TRUE), add = TRUE)
  cs <- collinear_case(log)
  ctrl <- list(refine = TRUE, hessian = list(trace = 0))
  x0 <- check_fit(cs$fit, cs$fn, control = ctrl)
  for (be in c("multicore", "snow")) {
    x <- check_fit(cs$fit, cs$fn, control = ctrl, parallel = be, ncpus = 2)
    expect_identical(x$table, x0$table)
    expect_identical(x$refine, x0$refine)
    expect_identical(x$evaluations, x0$evaluations)
  }
})

test_that("a ridge's profile runs its Newton steps' batches on the workers, as in serial mode", {
  skip_on_os("windows")
  skip_on_cran()
  log <- tempfile()
  on.exit(unlink(log, recursive = TRUE), add = TRUE)
  dir.create(log)
  # fn constant along a - b (a + b = 2): not identified, decided by the profile along it
  # with c and d re-minimised by Newton steps
  fn <- function(p) {
    cat("1\n", file = file.path(log, Sys.getpid()), append = TRUE)
    (p[1] + p[2] - 2)^2 + (p[3] - 0.1)^2 + (p[4] - 0.2)^2 + 0.1 * (p[3] - p[4])^2
  }
  par <- c(a = 1, b = 1, c = 0.1, d = 0.2)
  q <- list(hessian = list(trace = 0))
  x0 <- check_fit(par, fn, control = q)
  calls_logged(log)
  expect_identical(x0$verdict, "not_identified")
  expect_true("profile" %in% x0$eigen$source)
  for (be in c("multicore", "snow")) {
    x <- check_fit(par, fn, control = q, parallel = be, ncpus = 2)
    expect_identical(x$table, x0$table)
    expect_identical(x$eigen, x0$eigen)
    expect_identical(x$findings, x0$findings)
    expect_identical(x$evaluations, x0$evaluations)
    expect_gt(calls_logged(log)[["there"]], attr(x0$hessian, "evaluations")[["fn"]])
  }
})

test_that("a kept forked worker that dies is a classed error naming it, not a hang", {
  skip_on_os("windows")
  skip_on_cran()
  master <- Sys.getpid()
  # kills the worker evaluating a point beyond 1 (never this process)
  f <- function(p) {
    if (p[[1]] > 1 && Sys.getpid() != master) tools::pskill(Sys.getpid(), tools::SIGKILL)
    sum(p^2)
  }
  ev <- hesscheck:::batch_evaluator(
    "multicore", 2L, NULL, hesscheck:::chunk_function(f, NULL, list(), c("a", "b"),
                                                      tolerant = TRUE),
    fail = function(...) stop("not expected"), progress = NULL, persistent = TRUE)
  on.exit(ev$close(), add = TRUE)
  expect_identical(ev$evaluate(cbind(c(0.5, 1), c(1, 0)), 1L), c(1.25, 1))
  t <- system.time(
    e <- tryCatch(ev$evaluate(cbind(c(0.5, 1), c(2, 0)), 1L), error = identity)
  )[["elapsed"]]
  expect_s3_class(e, "hesscheck_error_worker_died")
  expect_match(conditionMessage(e), "^forked multicore worker 2 died while evaluating")
  expect_lt(t, 30)
})

test_that("quasi-separation's drift search gives serial mode's result on the backends", {
  skip_on_os("windows")
  skip_on_cran()
  # the Titanic passengers: fn asked along the flattest directions (their slopes, the
  # walk along the drift with the others re-minimised), in batches on the workers
  ti <- as.data.frame(datasets::Titanic)
  ti <- subset(ti, Class != "Crew")
  ti$Class <- droplevels(ti$Class)
  m <- glm(Survived ~ Sex + Class * Age, binomial, ti, weights = Freq)
  x0 <- check_fit(m, control = list(hessian = list(trace = 0)))
  expect_identical(x0$verdict, "no_finite_estimate")
  for (be in c("multicore", "snow")) {
    x <- check_fit(m, control = list(hessian = list(trace = 0, parallel = be, ncpus = 2)))
    expect_identical(x$table, x0$table)
    expect_identical(x$eigen, x0$eigen)
    expect_identical(x$findings, x0$findings)
    expect_identical(x$drifts, x0$drifts)
    expect_identical(x$evaluations, x0$evaluations)
  }
})

test_that("a fit whose objective keeps state is asked along directions here, as in serial mode", {
  skip_on_os("windows")
  skip_on_cran()
  skip_if_not_installed("glmmTMB")
  skip_if_not_installed("nlme")
  # TMB's Laplace approximation starts its inner optimisation where the calls before left
  # it: values on workers differ in their last digits, and with them the probes' (and
  # the evaluations counted); asked here, they are serial mode's
  ox <- nlme::Oxboys
  ox$obs <- factor(seq_len(nrow(ox)))
  m <- suppressWarnings(glmmTMB::glmmTMB(height ~ age + (1 | Subject) + (1 | obs), data = ox))
  x0 <- check_fit(m, control = list(hessian = list(trace = 0)))
  x <- check_fit(m, control = list(hessian = list(trace = 0, parallel = "multicore", ncpus = 2)))
  expect_identical(x$eigen, x0$eigen)
  expect_identical(x$evaluations, x0$evaluations)
  expect_identical(x$table, x0$table)
  # the objective kept in the result is the fit's own, without the internal mark
  expect_null(attr(x$problem$fn, "hesscheck_stateful"))
})
