# The replicate machinery (run_replicates() and its backends, the refit's result, the
# `...` arguments, argument checks) and the guard before huge work.

# A refit whose worker process kills itself on the data of replicate `k` of a reference
# run (the normal MLE of mu is the mean, so that replicate is recognised by its mean).
killer_refit <- function(target) {
  function(d, start) {
    if (abs(mean(d) - target) < 1e-12) tools::pskill(Sys.getpid())
    c(mean(d), log(sqrt(mean((d - mean(d))^2))))
  }
}
mle_refit <- function(d, start) c(mean(d), log(sqrt(mean((d - mean(d))^2))))

# The value of expr and the hesscheck_warning_worker_died it signalled (NULL if none).
with_death <- function(expr) {
  w <- NULL
  value <- withCallingHandlers(expr, hesscheck_warning_worker_died = function(cnd) {
    w <<- cnd
    invokeRestart("muffleWarning")
  })
  list(value = value, warning = w)
}

expect_lost_replicate <- function(b, ref, k, where) {
  expect_identical(which(b$status == "failed"), k)
  expect_identical(b$replicates[-k, ], ref$replicates[-k, ])
  expect_true(all(is.na(b$replicates[k, ])))
  expect_match(names(b$messages), paste0("worker process running this replicate died \\(", where))
  expect_output(print(b), "1 failed")
  expect_output(print(b), "1  the worker process running this replicate died", fixed = TRUE)
  # The SEs are those of the replicates left.
  expect_equal(b$se, apply(ref$replicates[-k, ], 2L, sd), tolerance = 1e-14)
}

test_that("a worker killed mid-run loses only its replicate under multicore", {
  skip_on_os("windows")
  nf <- normal_fit(n = 30)
  ref <- bootstrap_se(nf$x, "y", R = 20, refit = mle_refit, seed = 5, progress = FALSE)
  kill <- killer_refit(ref$replicates[7, 1])
  run <- with_death(
    bootstrap_se(nf$x, "y", R = 20, refit = kill, seed = 5, parallel = "multicore", ncpus = 2)
  )
  expect_identical(run$warning$replicates, 7L)
  expect_lost_replicate(run$value, ref, 7L, "a forked multicore worker")

  # coverage_check() runs on the same machinery.
  sim <- function(par, data) rnorm(length(data), par[1], exp(par[2]))
  cref <- coverage_check(nf$x, "y", sim, R = 12, refit = mle_refit, seed = 2, progress = FALSE)
  ckill <- killer_refit(cref$estimates[4, 1])
  run <- with_death(
    coverage_check(nf$x, "y", sim, R = 12, refit = ckill, seed = 2, parallel = "multicore",
                   ncpus = 2)
  )
  expect_s3_class(run$warning, "hesscheck_warning_worker_died")
  cc <- run$value
  expect_identical(which(cc$status == "failed"), 4L)
  expect_identical(cc$estimates[-4, ], cref$estimates[-4, ])
  expect_identical(cc$se[-4, ], cref$se[-4, ])
  expect_equal(cc$used, 11L)
})

test_that("a snow worker killed mid-run loses only its replicate; the cluster's state is reported", {
  nf <- normal_fit(n = 30)
  ref <- bootstrap_se(nf$x, "y", R = 20, refit = mle_refit, seed = 5, progress = FALSE)
  kill <- killer_refit(ref$replicates[7, 1])
  cl <- parallel::makeCluster(2)
  on.exit(for (i in seq_along(cl)) {
    # Node by node (a dead one cannot be told to stop), then its connection closed.
    try(parallel::stopCluster(cl[i]), silent = TRUE)
    try(close(cl[[i]]$con), silent = TRUE)
  }, add = TRUE)
  run <- with_death(
    bootstrap_se(nf$x, "y", R = 20, refit = kill, seed = 5, parallel = "snow", cl = cl)
  )
  w <- run$warning
  b <- run$value
  expect_s3_class(w, "hesscheck_warning_worker_died")
  expect_identical(w$replicates, 7L)
  expect_lost_replicate(b, ref, 7L, "snow node")
  # The warning names the dead node and how to keep the others, which still work.
  dead <- as.integer(sub(".*keep its live nodes with cl\\[-([0-9]+)\\].*", "\\1",
                         conditionMessage(w)))
  expect_true(dead %in% 1:2)
  expect_equal(parallel::clusterCall(cl[-dead], function() 40 + 2), list(42))
  b2 <- bootstrap_se(nf$x, "y", R = 20, refit = mle_refit, seed = 5, parallel = "snow",
                     cl = cl[-dead])
  expect_identical(b2$replicates, ref$replicates)
  # The task sent to the workers is removed from them.
  expect_false(parallel::clusterCall(cl[-dead], exists, ".hesscheck_task")[[1]])
  # The whole cluster, dead node included: a classed error before any replicate runs.
  expect_error(bootstrap_se(nf$x, "y", R = 4, refit = mle_refit, seed = 5,
                            parallel = "snow", cl = cl),
               class = "hesscheck_error_worker_died")

  # A cluster started by bootstrap_se() itself: the same, and nothing left open.
  run <- with_death(
    bootstrap_se(nf$x, "y", R = 20, refit = kill, seed = 5, parallel = "snow", ncpus = 2)
  )
  expect_s3_class(run$warning, "hesscheck_warning_worker_died")
  expect_false(grepl("cl[-", conditionMessage(run$warning), fixed = TRUE))
  expect_lost_replicate(run$value, ref, 7L, "snow node")
})

test_that("a future worker killed mid-run loses only its replicate and the plan is restarted", {
  skip_if_not_installed("future.apply")
  nf <- normal_fit(n = 30)
  ref <- bootstrap_se(nf$x, "y", R = 12, refit = mle_refit, seed = 5, progress = FALSE)
  kill <- killer_refit(ref$replicates[7, 1])
  old <- future::plan(future::multisession, workers = 2)
  on.exit(future::plan(old), add = TRUE)
  run <- with_death(
    bootstrap_se(nf$x, "y", R = 12, refit = kill, seed = 5, parallel = "future")
  )
  expect_match(conditionMessage(run$warning), "workers were restarted")
  expect_lost_replicate(run$value, ref, 7L, "a worker of the future plan")
  # The plan works again.
  expect_equal(future::value(future::future(40 + 2)), 42)

  # Forked futures: the same, and parallel's own warning about the child is not shown.
  skip_on_os("windows")
  future::plan(future::multicore, workers = 2)
  other <- NULL
  run <- withCallingHandlers(
    with_death(bootstrap_se(nf$x, "y", R = 12, refit = kill, seed = 5, parallel = "future")),
    warning = function(w) {
      other <<- c(other, conditionMessage(w))
      invokeRestart("muffleWarning")
    }
  )
  expect_null(other)
  expect_s3_class(run$warning, "hesscheck_warning_worker_died")
  expect_lost_replicate(run$value, ref, 7L, "a worker of the future plan")
})

test_that("refits returning NA, c(0, 1) or list() convergence or NaN estimates fail one replicate each", {
  nf <- normal_fit(n = 30)
  ref <- bootstrap_se(nf$x, "y", R = 12, refit = mle_refit, seed = 8, progress = FALSE)
  # Replicate k returns the k-th kind of nonsense, recognised by its data.
  nonsense <- list(
    list(par = c(1, 1), convergence = NA),
    list(par = c(1, 1), convergence = c(0, 1)),
    list(par = c(1, 1), convergence = list()),
    list(par = c(NaN, 1), convergence = 0),
    c(NA_real_, 1),
    list(value = 3),
    list(par = "a", convergence = 0),
    list(estimate = c(1, 1), code = c(1, 2))
  )
  means <- ref$replicates[seq_along(nonsense), 1]
  bad_refit <- local({
    means <- means
    nonsense <- nonsense
    function(d, start) {
      k <- which(abs(means - mean(d)) < 1e-12)
      if (length(k)) return(nonsense[[k]])
      # nlm's result: codes 1 and 2 mean converged.
      list(estimate = c(mean(d), log(sqrt(mean((d - mean(d))^2)))), code = 1)
    }
  })
  for (parallel in c("no", if (.Platform$OS.type != "windows") "multicore")) {
    b <- bootstrap_se(nf$x, "y", R = 12, refit = bad_refit, seed = 8, parallel = parallel,
                      ncpus = 2, progress = FALSE)
    k <- seq_along(nonsense)
    expect_identical(b$status, rep(c("failed", "ok"), c(length(k), 12L - length(k))))
    expect_identical(b$replicates[-k, ], ref$replicates[-k, ])
    expect_equal(sum(b$messages), length(k))
    expect_setequal(names(b$messages), c(
      "refit returned convergence NA (logical), not a single code",
      "refit returned convergence a numeric vector of length 2, not a single code",
      "refit returned convergence an object of class \"list\", not a single code",
      "refit returned non-finite estimates (NA, NaN or Inf)",
      "refit returned a list without `par` (or `estimate`): names value",
      "refit returned a character vector of length 1, not 2 estimates"
    ))
    expect_output(print(b), "4 converged, 0 not converged, 8 failed")
    expect_output(print(b), "2  refit returned non-finite estimates", fixed = TRUE)
    expect_equal(b$se, apply(ref$replicates[-k, ], 2L, sd), tolerance = 1e-14)
  }
})

test_that("language objects passed through ... work in compare_se, the refit and the sandwich", {
  set.seed(3)
  n <- 80
  y <- rnorm(n, 1, 3)
  nll_expr <- function(p, y, sdexpr) -sum(dnorm(y, p[1], eval(sdexpr), log = TRUE))
  obs_expr <- function(p, y, sdexpr) -dnorm(y, p[1], eval(sdexpr), log = TRUE)
  nll <- function(p, y) -sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
  obs <- function(p, y) -dnorm(y, p[1], exp(p[2]), log = TRUE)
  mle <- c(mu = mean(y), log_sd = log(sqrt(mean((y - mean(y))^2))))
  xe <- check_fit(mle, nll_expr, y = y, sdexpr = quote(exp(p[2])))
  x <- check_fit(mle, nll, y = y)
  ce <- compare_se(xe, fn_obs = obs_expr)
  cp <- compare_se(x, fn_obs = obs)
  expect_identical(ce$se, cp$se)
  expect_false(any(grepl("failed", ce$notes)))
  # Analytic: sigma / sqrt(n) and 1 / sqrt(2 n) at the MLE.
  expect_equal(unname(ce$se[, "hesscheck"]), c(exp(mle[[2]]) / sqrt(n), 1 / sqrt(2 * n)),
               tolerance = 1e-6)
  expect_equal(unname(ce$se[, "optim"]), unname(ce$se[, "hesscheck"]), tolerance = 1e-3)
  be <- bootstrap_se(xe, "y", R = 30, seed = 1, progress = FALSE)
  bp <- bootstrap_se(x, "y", R = 30, seed = 1, progress = FALSE)
  expect_true(all(be$status == "ok"))
  expect_identical(be$replicates, bp$replicates)
  sim <- function(par, data) rnorm(length(data), par[1], exp(par[2]))
  cc <- coverage_check(xe, "y", sim, R = 5, seed = 1, progress = FALSE)
  expect_equal(cc$used, 5L)
})

test_that("messages name a misspelled data argument without its values", {
  nf <- normal_fit(n = 200)
  digits <- format(nf$y[1:3])
  e <- expect_error(bootstrap_se(nf$x, data = nf$y), class = "hesscheck_error_bad_data")
  expect_lt(nchar(conditionMessage(e)), 200)
  expect_match(conditionMessage(e), "a numeric vector of length 200", fixed = TRUE)
  e <- expect_error(bootstrap_se(nf$x, data = "yy"), class = "hesscheck_error_bad_data")
  expect_match(conditionMessage(e), "one of: \"y\"; not \"yy\"", fixed = TRUE)
  # An fn_obs with a misspelled data argument: the call is shown by names.
  e <- expect_error(compare_se(nf$x, fn_obs = function(p, obs) -dnorm(obs, p[1], log = TRUE)),
                    class = "hesscheck_error_fn_failed")
  expect_match(conditionMessage(e), "unused argument (y = y)", fixed = TRUE)
  expect_false(any(vapply(digits, grepl, TRUE, conditionMessage(e), fixed = TRUE)))
  expect_lt(nchar(conditionMessage(e)), 300)
})

test_that("hostile arguments to the replicate functions get classed errors", {
  nf <- normal_fit(n = 20)
  x <- nf$x
  sim <- function(par, data) rnorm(length(data), par[1], exp(par[2]))
  for (f in list(
    function(...) bootstrap_se(x, "y", progress = FALSE, ...),
    function(...) coverage_check(x, "y", sim, progress = FALSE, ...)
  )) {
    expect_error(f(R = 5, parallel = "bogus"), class = "hesscheck_error_bad_parallel")
    expect_error(f(R = 5, parallel = 1), class = "hesscheck_error_bad_parallel")
    expect_error(f(R = 5, parallel = c("no", "snow")), class = "hesscheck_error_bad_parallel")
    expect_error(f(R = 3e9), class = "hesscheck_error_bad_R")
    expect_error(f(R = 1e9), class = "hesscheck_error_too_large")
    expect_error(f(R = 5, seed = 1e10), class = "hesscheck_error_bad_seed")
    expect_error(f(R = 5, seed = 1.5), class = "hesscheck_error_bad_seed")
    expect_error(f(R = 5, seed = "a"), class = "hesscheck_error_bad_seed")
    expect_error(f(R = 5, ncpus = 3e9), class = "hesscheck_error_bad_ncpus")
    expect_error(f(R = 5, force = NA), class = "hesscheck_error_bad_flag")
    expect_error(f(R = 5, method = 1), class = "hesscheck_error_bad_method")
    expect_error(f(R = 5, control = 1), class = "hesscheck_error_bad_control")
  }
  expect_error(bootstrap_se(x, "y", R = 5, progress = "yes"), class = "hesscheck_error_bad_flag")
  # Partial matching of the backend, as match.arg() did.
  expect_equal(bootstrap_se(x, "y", R = 3, seed = 1, parallel = "n")$parallel, "no")
  expect_false(bootstrap_se(x, "y", R = 3, seed = 1, progress = FALSE)$force)
  expect_true(coverage_check(x, "y", sim, R = 3, seed = 1, progress = FALSE,
                             force = TRUE)$force)
  # Whole-number controls beyond R's integers (once coerced to NA with a warning).
  expect_error(hessian_fd(function(p) sum(p^2), 1, control = list(max_search = 3e9)),
               class = "hesscheck_error_bad_control")
  expect_error(check_fit(c(a = 0), function(p) sum(p^2),
                         control = list(refine_maxit = 3e9)),
               class = "hesscheck_error_bad_control")
})

test_that("print, format, plot and compare_se on corrupted objects give classed errors", {
  nf <- normal_fit(n = 30)
  b <- bootstrap_se(nf$x, "y", R = 10, seed = 1, progress = FALSE)
  sim <- function(par, data) rnorm(length(data), par[1], exp(par[2]))
  cc <- coverage_check(nf$x, "y", sim, R = 5, seed = 1, progress = FALSE)
  cs <- compare_se(nf$x, numderiv = FALSE)
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off(), add = TRUE)
  corrupt <- function(obj, field, value) {
    obj[field] <- list(value)
    obj
  }
  for (field in c("status", "se", "ci", "estimate", "R", "seed", "type", "messages")) {
    for (value in list(NULL, "a", 1:3)) {
      bad <- corrupt(b, field, value)
      expect_error(print(bad), class = "hesscheck_error_bad_object")
      expect_error(format(bad), class = "hesscheck_error_bad_object")
      expect_error(compare_se(nf$x, bootstrap = bad), class = "hesscheck_error_bad_object")
    }
  }
  for (field in c("table", "level", "R", "used", "seed")) {
    expect_error(print(corrupt(cc, field, "a")), class = "hesscheck_error_bad_object")
  }
  bad <- cc
  bad$table$coverage <- NULL
  expect_error(format(bad), class = "hesscheck_error_bad_object")
  for (field in c("table", "notes")) {
    bad <- corrupt(cs, field, list(1))
    expect_error(print(bad), class = "hesscheck_error_bad_object")
    expect_error(plot(bad), class = "hesscheck_error_bad_object")
    expect_error(as.data.frame(bad), class = "hesscheck_error_bad_object")
  }
  bad <- cs
  bad$table$flag <- NULL
  expect_error(print(bad), class = "hesscheck_error_bad_object")
  for (field in c("hessian", "eigen", "table", "at_bound", "vcov", "verdict", "par",
                  "problem")) {
    expect_error(compare_se(corrupt(nf$x, field, "a")), class = "hesscheck_error_bad_object")
  }
  for (field in c("par", "problem")) {
    expect_error(bootstrap_se(corrupt(nf$x, field, "a"), "y", R = 3),
                 class = "hesscheck_error_bad_object")
  }
  bad <- nf$x
  bad$problem$lower <- 1:5
  expect_error(compare_se(bad), class = "hesscheck_error_bad_object")
  expect_error(bootstrap_se(bad, "y", R = 3), class = "hesscheck_error_bad_object")
  expect_error(compare_se(nf$x, bootstrap = list(b, 1)), class = "hesscheck_error_bad_bootstrap")
  expect_error(compare_se(nf$x, numderiv = NA), class = "hesscheck_error_bad_flag")
})

test_that("the bootstrap and coverage prints show each number with its own digits", {
  set.seed(4)
  y <- rnorm(60, 0, 6)
  y <- y - mean(y) + 54.62
  nll <- function(p, y) -sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
  x <- check_fit(c(mu = mean(y), log_sd = log(sqrt(mean((y - mean(y))^2)))), nll, y = y)
  b <- bootstrap_se(x, "y", R = 50, seed = 1, progress = FALSE)
  out <- format(b)
  mu <- grep("^mu ", out, value = TRUE)
  expect_match(mu, "^mu +54\\.62 ")
  expect_false(grepl("54.6200", mu, fixed = TRUE))
  expect_snapshot(print(b))
  sim <- function(par, data) rnorm(length(data), par[1], exp(par[2]))
  expect_snapshot(print(coverage_check(x, "y", sim, R = 20, seed = 1, progress = FALSE)))
  expect_snapshot(print(compare_se(x, bootstrap = b, numderiv = FALSE)))
})

test_that("guard_work() refuses a 50,000-parameter Hessian at once, naming memory and evaluations", {
  skip_if(memory_limit() > 8 * 6 * 50000^2, "this machine could hold a 50,000-parameter Hessian")
  t0 <- proc.time()[["elapsed"]]
  a <- allocations(function() {
    tryCatch(guard_work(50000, gradient = FALSE), error = identity)
  })
  took <- proc.time()[["elapsed"]] - t0
  e <- a$res
  expect_s3_class(e, "hesscheck_error_too_large")
  expect_lt(took, 1)
  expect_lt(a$user + a$core + a$rest, 100 * 1024^2)
  # 8 bytes x (2 + 2) n^2 and 2 (n^2 + n) + 4 n + 1 evaluations of fn; with gr,
  # 8 x (4 + 2) n^2 bytes and 6 n + 16 evaluations of gr.
  expect_equal(e$bytes, 8 * 4 * 50000^2)
  expect_match(conditionMessage(e), "74.5 GB", fixed = TRUE)
  expect_match(conditionMessage(e), "5.0e+09 evaluations of fn", fixed = TRUE)
  e <- expect_error(guard_work(50000, gradient = TRUE), class = "hesscheck_error_too_large")
  expect_equal(e$bytes, 8 * 6 * 50000^2)
  expect_match(conditionMessage(e), "300,016 evaluations of gr", fixed = TRUE)

  # Under the limit: figures returned, a classed message when the evaluations are many.
  g <- expect_silent(guard_work(100, gradient = FALSE))
  expect_equal(g$evaluations, 2 * (100^2 + 100) + 4 * 100 + 1)
  expect_equal(g$bytes, 8 * 4 * 100^2)
  expect_message(guard_work(1000, gradient = FALSE, max_memory = Inf, seconds_per_eval = 1e-3),
                 "about 2,006,001 evaluations of fn, about 33 min",
                 class = "hesscheck_message_long_run")
  expect_silent(guard_work(1000, gradient = TRUE))
  expect_error(guard_work(1000, FALSE, max_memory = 1e6), class = "hesscheck_error_too_large")
  expect_error(guard_work(10, FALSE, max_memory = -1), class = "hesscheck_error_bad_control")
  expect_error(guard_work(10, FALSE, max_memory = "a"), class = "hesscheck_error_bad_control")
})

test_that("guard_work()'s evaluation counts are those hessian_fd() makes, within a factor 2", {
  n <- 30
  A <- crossprod(matrix(sin(seq_len(n * n)), n)) + diag(n)
  f <- function(p) sum(p * (A %*% p)) / 2 + sum(p^4)
  g <- function(p) drop(A %*% p) + 4 * p^3
  made_f <- attr(hessian_fd(f, rep(0.3, n)), "evaluations")[["fn"]]
  made_g <- attr(hessian_fd(f, rep(0.3, n), gr = g), "evaluations")[["gr"]]
  ratio <- c(made_f / guard_work(n, FALSE)$evaluations, made_g / guard_work(n, TRUE)$evaluations)
  expect_true(all(ratio > 0.5 & ratio < 2))
})

test_that("the memory limit is half of MemAvailable, else 4 GB", {
  f <- tempfile()
  on.exit(unlink(f))
  writeLines(c("MemTotal:       2000000 kB", "MemAvailable:    1000000 kB"), f)
  expect_equal(available_memory(f), 1000000 * 1024)
  expect_true(is.na(available_memory(tempfile())))
  writeLines("nothing", f)
  expect_true(is.na(available_memory(f)))
  expect_equal(memory_limit(123), 123)
  # (read twice, a moment apart: other processes move MemAvailable in between)
  lim <- memory_limit()
  avail <- available_memory()
  expect_equal(lim, if (is.na(avail)) 4 * 1024^3 else avail / 2, tolerance = 0.05)
})

test_that("data over several arguments is resampled by rows, with clusters as wholes", {
  set.seed(7)
  X <- cbind(1, rnorm(60))
  y <- drop(X %*% c(1, 2)) + rnorm(60)
  nll <- function(p, X, y) sum((y - X %*% p)^2) / 2
  fit <- optim(c(a = 0, b = 0), nll, X = X, y = y, method = "BFGS")
  x <- check_fit(fit, nll, X = X, y = y)
  seen <- new.env()
  refit <- function(data, start) {
    # Rows stay paired: y - X b is the same set of residuals.
    seen$ok <- c(seen$ok, all(data$y %in% y) &&
                   all(match(data$y, y) == match(data$X[, 2], X[, 2])))
    qr.coef(qr(data$X), data$y)
  }
  b <- bootstrap_se(x, data = c("X", "y"), R = 20, refit = refit, seed = 1, progress = FALSE)
  expect_true(all(seen$ok))
  expect_true(all(b$status == "ok"))
  g <- rep(1:6, each = 10)
  seen$groups <- NULL
  refit2 <- function(data, start) {
    rows <- match(data$y, y)
    seen$groups <- c(seen$groups, all(table(g[rows]) %% 10 == 0))
    qr.coef(qr(data$X), data$y)
  }
  b2 <- bootstrap_se(x, data = c("X", "y"), R = 20, refit = refit2, cluster = g, seed = 1,
                     progress = FALSE)
  expect_true(all(seen$groups))
  expect_error(bootstrap_se(x, data = c("X", "y"), R = 5, cluster = g[-1]),
               class = "hesscheck_error_bad_cluster")
  expect_error(bootstrap_se(x, data = c("X", "zz"), R = 5), class = "hesscheck_error_bad_data")
  x2 <- check_fit(fit$par, function(p, X, y) sum((p - fit$par)^2), X = X, y = y[-1])
  expect_error(bootstrap_se(x2, data = c("X", "y"), R = 5), class = "hesscheck_error_bad_data")
})

test_that("a data frame is resampled by rows and cluster can name its column", {
  set.seed(8)
  df <- data.frame(g = rep(1:5, each = 8), y = rnorm(40, 3))
  nll <- function(p, df) -sum(dnorm(df$y, p[1], exp(p[2]), log = TRUE))
  x <- check_fit(c(mu = mean(df$y), ls = log(sqrt(mean((df$y - mean(df$y))^2)))), nll, df = df)
  seen <- new.env()
  refit <- function(data, start) {
    seen$ok <- c(seen$ok, all(table(data$g) %% 8 == 0))
    c(mean(data$y), log(sd(data$y)))
  }
  b <- bootstrap_se(x, data = "df", R = 10, refit = refit, cluster = "g", seed = 1,
                    progress = FALSE)
  expect_true(all(seen$ok))
  expect_error(bootstrap_se(x, data = "df", R = 5, cluster = "nope"),
               class = "hesscheck_error_bad_cluster")
})
