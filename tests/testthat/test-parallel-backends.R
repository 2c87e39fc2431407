# The parallel backends under attack: helpers that call other helpers, fits whose
# objective cannot leave this session, workers that die, warnings from fn, and an fn that
# draws random numbers under future.

normal_problem <- function() {
  set.seed(1)
  y <- rnorm(20)
  list(y = y, mle = c(mu = mean(y), ls = log(sqrt(mean((y - mean(y))^2)))))
}

test_that("a global helper that calls another global works on snow and future", {
  skip_on_os("windows")
  skip_on_cran()
  skip_if_not_installed("future.apply")
  # helpers in the global environment, as a user defines them
  genv <- globalenv()
  global <- function(f) {
    environment(f) <- genv
    f
  }
  assign("hc_test_h2", global(function(p, y) -sum(dnorm(y, p[1], exp(p[2]), log = TRUE))),
         genv)
  assign("hc_test_h1", global(function(p, y) hc_test_h2(p, y)), genv)
  nll <- global(function(p, y) hc_test_h1(p, y))
  on.exit(rm(list = c("hc_test_h1", "hc_test_h2"), envir = genv), add = TRUE)
  np <- normal_problem()
  x <- check_fit(np$mle, nll, y = np$y)
  h0 <- hessian_fd(nll, np$mle, y = np$y)
  p0 <- profile_ci(x)
  b0 <- bootstrap_se(x, "y", R = 6, seed = 2, progress = FALSE)
  old <- future::plan("multisession", workers = 2)
  on.exit(future::plan(old), add = TRUE)
  for (be in c("snow", "future")) {
    expect_identical(hessian_fd(nll, np$mle, y = np$y, parallel = be, ncpus = 2), h0)
    expect_identical(profile_ci(x, parallel = be, ncpus = 2)$table, p0$table)
    b <- bootstrap_se(x, "y", R = 6, seed = 2, parallel = be, ncpus = 2, progress = FALSE)
    expect_identical(b$replicates, b0$replicates)
    # the user's own functions too: a simulate that calls a global helper
    assign("hc_test_draw", global(function(n, m) rnorm(n, m)), genv)
    sim <- global(function(par, data) hc_test_draw(length(data), par[1]))
    cc <- coverage_check(x, "y", sim, R = 4, seed = 3, parallel = be, ncpus = 2,
                         progress = FALSE)
    expect_true(all(cc$status == "ok"))
    rm("hc_test_draw", envir = genv)
  }
})

test_that("profile_ci() on a worker where fn fails says fn's own error", {
  skip_on_os("windows")
  skip_on_cran()
  np <- normal_problem()
  master <- Sys.getpid()
  nll <- function(p, y) {
    if (Sys.getpid() != master) stop("fn refuses to run outside the master")
    -sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
  }
  x <- check_fit(np$mle, nll, y = np$y)
  pr <- profile_ci(x, parm = "mu", parallel = "snow", ncpus = 1)
  expect_identical(pr$table$status, "failed")
  expect_match(pr$findings$message, "fn refuses to run outside the master", fixed = TRUE)
})

test_that("lme4 and TMB fits on snow or a multisession future: a classed error naming what works", {
  skip_on_os("windows")
  skip_if_not_installed("lme4")
  skip_if_not_installed("glmmTMB")
  skip_if_not_installed("future.apply")
  fm <- lme4::lmer(Reaction ~ Days + (Days | Subject), lme4::sleepstudy, REML = FALSE)
  g <- glmmTMB::glmmTMB(count ~ mined + (1 | site), family = poisson,
                        data = glmmTMB::Salamanders)
  old <- future::plan("multisession", workers = 2)
  on.exit(future::plan(old), add = TRUE)
  for (fit in list(fm, g, g$obj)) {
    x <- check_fit(fit)
    for (be in c("snow", "future")) {
      for (call in list(quote(profile_ci(x, parallel = be)),
                        quote(bootstrap_se(x, R = 3, parallel = be, progress = FALSE)),
                        quote(coverage_check(x, simulate = function(par, data) data, R = 3,
                                             parallel = be, progress = FALSE)))) {
        if (identical(fit, g$obj) && !identical(call[[1L]], as.name("profile_ci"))) next
        e <- tryCatch(eval(call), error = identity)
        expect_s3_class(e, "hesscheck_error_bad_parallel")
        expect_match(conditionMessage(e), "Use parallel = \"no\" or \"multicore\"", fixed = TRUE)
        expect_identical(e$backends, c("no", "multicore", "future"))
      }
    }
    expect_error(check_fit(fit, control = list(hessian = list(parallel = "snow"))),
                 class = "hesscheck_error_bad_parallel")
  }
  expect_snapshot(error = TRUE, profile_ci(check_fit(fm), parallel = "snow"))
  # what the error names works: multicore, and future with a sequential plan, give the
  # serial intervals
  x <- check_fit(fm)
  p0 <- profile_ci(x, parm = 4:5)
  expect_identical(profile_ci(x, parm = 4:5, parallel = "multicore", ncpus = 2)$table, p0$table)
  future::plan("sequential")
  expect_identical(profile_ci(x, parm = 4:5, parallel = "future")$table, p0$table)
  future::plan("multicore", workers = 2)
  xg <- check_fit(g)
  b0 <- bootstrap_se(xg, R = 4, seed = 1, progress = FALSE)
  expect_true(all(b0$status == "ok"))
  expect_identical(bootstrap_se(xg, R = 4, seed = 1, parallel = "multicore", ncpus = 2,
                                progress = FALSE)$replicates, b0$replicates)
  expect_identical(bootstrap_se(xg, R = 4, seed = 1, parallel = "future",
                                progress = FALSE)$replicates, b0$replicates)
})

test_that("snow: a dying worker loses only its own replicate; never-run ones are not 'died'", {
  skip_on_os("windows")
  skip_on_cran()
  np <- normal_problem()
  nll <- function(p, y) -sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
  x <- check_fit(np$mle, nll, y = np$y)
  means <- bootstrap_se(x, "y", R = 10, seed = 4, progress = FALSE,
                        refit = function(d, s) c(mean(d), 0))$replicates[, 1]
  killing <- function(k) {
    force(k)
    function(d, s) {
      if (any(abs(mean(d) - means[k]) < 1e-12)) tools::pskill(Sys.getpid())
      s + c(mean(d), 0)
    }
  }
  serial <- bootstrap_se(x, "y", R = 10, seed = 4, progress = FALSE,
                         refit = function(d, s) s + c(mean(d), 0))
  # a cluster started for the call (of one node): the dead node is replaced, only
  # replicate 3 is lost
  w <- NULL
  b <- withCallingHandlers(
    bootstrap_se(x, "y", R = 10, seed = 4, refit = killing(3), parallel = "snow",
                 ncpus = 1, progress = FALSE),
    hesscheck_warning_worker_died = function(c) {
      w <<- c
      invokeRestart("muffleWarning")
    })
  expect_identical(b$status == "ok", seq_len(10) != 3)
  expect_identical(b$replicates[-3, ], serial$replicates[-3, ])
  expect_identical(w$replicates, 3L)
  expect_match(conditionMessage(w), "1 of 10 replicates failed", fixed = TRUE)
  # the user's cluster of 2 nodes, both killed (replicates 2 and 3): local workers stand
  # in for the rest of the call, so only those two are lost, and `cl` is left as it was
  cl <- parallel::makeCluster(2)
  on.exit(try(parallel::stopCluster(cl), silent = TRUE), add = TRUE)
  cl0 <- cl
  w <- NULL
  b <- withCallingHandlers(
    bootstrap_se(x, "y", R = 10, seed = 4, refit = killing(2:3), parallel = "snow",
                 cl = cl, progress = FALSE),
    hesscheck_warning_worker_died = function(c) {
      w <<- c
      invokeRestart("muffleWarning")
    })
  expect_identical(b$status == "ok", !seq_len(10) %in% 2:3)
  expect_identical(b$replicates[-(2:3), ], serial$replicates[-(2:3), ])
  expect_identical(w$replicates, 2:3)
  expect_match(conditionMessage(w), "2 of 10 replicates failed", fixed = TRUE)
  expect_match(conditionMessage(w), "cl[-c(1, 2)]", fixed = TRUE)
  expect_false(any(grepl("^not run", names(b$messages))))
  expect_identical(cl, cl0)
  # no node left at all (a replacement that cannot start): the replicates never run say
  # so, and are not counted as lost with a worker
  local_mocked <- function() {
    # make_cluster() failing, as on a machine that cannot start another R
    assignInNamespace("make_cluster", function(ncpus) stop("cannot start R"), "hesscheck")
  }
  real <- get("make_cluster", envir = asNamespace("hesscheck"))
  on.exit(assignInNamespace("make_cluster", real, "hesscheck"), add = TRUE, after = FALSE)
  cl2 <- parallel::makeCluster(2)
  on.exit(try(parallel::stopCluster(cl2), silent = TRUE), add = TRUE)
  local_mocked()
  w <- NULL
  b <- withCallingHandlers(
    bootstrap_se(x, "y", R = 10, seed = 4, refit = killing(2:3), parallel = "snow",
                 cl = cl2, progress = FALSE),
    hesscheck_warning_worker_died = function(c) {
      w <<- c
      invokeRestart("muffleWarning")
    })
  assignInNamespace("make_cluster", real, "hesscheck")
  expect_identical(b$status, c("ok", rep("failed", 9)))
  expect_identical(w$replicates, 2:3)
  expect_equal(unname(b$messages[grep("^not run", names(b$messages))]), 7)
  expect_equal(sum(b$messages[grep("worker process running", names(b$messages))]), 2)
})

test_that("warnings from fn on a backend are signalled once each, as in serial mode", {
  skip_on_os("windows")
  skip_on_cran()
  skip_if_not_installed("future.apply")
  old <- future::plan("multisession", workers = 2)
  on.exit(future::plan(old), add = TRUE)
  count_warnings <- function(expr) {
    n <- 0L
    msgs <- character()
    withCallingHandlers(expr, warning = function(w) {
      n <<- n + 1L
      msgs <<- c(msgs, conditionMessage(w))
      invokeRestart("muffleWarning")
    })
    msgs
  }
  f <- function(p) {
    warning("fn warns at ", format(p[1]))
    sum(p^2)
  }
  np <- normal_problem()
  nll <- function(p, y) {
    warning("nll warns")
    -sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
  }
  x <- suppressWarnings(check_fit(np$mle, nll, y = np$y))
  refit <- function(d, s) {
    warning("refit warns")
    s + mean(d)
  }
  h0 <- count_warnings(hessian_fd(f, c(1, 2)))
  b0 <- count_warnings(bootstrap_se(x, "y", R = 4, seed = 1, refit = refit, progress = FALSE))
  p0 <- count_warnings(profile_ci(x, parm = "mu"))
  expect_gt(length(h0), 10)
  # the replicates' warnings: one summary, the same on every backend
  expect_identical(b0, "4 of 4 refits warned: refit warns (first at replicate 1). Every warning is in the result's $warnings.")
  for (be in c("multicore", "snow", "future")) {
    expect_identical(sort(count_warnings(hessian_fd(f, c(1, 2), parallel = be, ncpus = 2))),
                     sort(h0))
    expect_identical(count_warnings(bootstrap_se(x, "y", R = 4, seed = 1, refit = refit,
                                                 parallel = be, ncpus = 2,
                                                 progress = FALSE)), b0)
    expect_identical(count_warnings(profile_ci(x, parm = "mu", parallel = be, ncpus = 2)), p0)
  }
})

test_that("future with an fn that draws random numbers: no RngFutureWarning, reproducible", {
  skip_on_os("windows")
  skip_if_not_installed("future.apply")
  old <- future::plan("sequential")
  on.exit(future::plan(old), add = TRUE)
  f <- function(p) sum(p^2) + 1e-9 * stats::runif(1)
  warned <- FALSE
  set.seed(5)
  h1 <- withCallingHandlers(hessian_fd(f, c(1, 2), parallel = "future"),
                            warning = function(w) warned <<- TRUE)
  expect_false(warned)
  set.seed(5)
  h2 <- hessian_fd(f, c(1, 2), parallel = "future")
  expect_identical(h1, h2)
  expect_equal(unname(as.matrix(h1)), diag(2, 2), tolerance = 1e-3)
  # multicore is reproducible the same way
  set.seed(5)
  m1 <- hessian_fd(f, c(1, 2), parallel = "multicore", ncpus = 2)
  set.seed(5)
  expect_identical(hessian_fd(f, c(1, 2), parallel = "multicore", ncpus = 2), m1)
  # and the caller's kind of generator is left as it was
  expect_identical(RNGkind()[1L], "Mersenne-Twister")
})
