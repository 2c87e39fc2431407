# Benchmark of hessian_fd() against numDeriv and optimHess, all in one process.
# Prints, per problem, the scaled error max|H_hat - H| / sqrt(|H_ii H_jj|), the number of
# evaluations and the wall-time ratio (hesscheck / peer); then the calibration of the error
# estimates and the per-evaluation overhead. Run with `make bench`.
suppressPackageStartupMessages(library(hesscheck))
has_numderiv <- requireNamespace("numDeriv", quietly = TRUE)
if (!has_numderiv) cat("numDeriv is not installed: its columns are NA\n")
args <- commandArgs(trailingOnly = TRUE)
quick <- "--quick" %in% args
only_parallel <- "--parallel" %in% args

here <- local({
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  if (length(f)) dirname(normalizePath(f)) else "bench"
})
source(file.path(here, "..", "tests", "testthat", "helper-problems.R"))

source(file.path(here, "timing.R"))

counted <- function(f) {
  env <- new.env()
  env$n <- 0L
  g <- function(...) { env$n <- env$n + 1L; f(...) }
  list(f = g, count = function() env$n, reset = function() env$n <- 0L)
}

problems <- local({
  out <- list()
  add <- function(name, fn, par, hess, gr = NULL, smooth = TRUE) {
    out[[name]] <<- list(name = name, fn = fn, par = par, hess = hess, gr = gr, smooth = smooth)
  }
  pb <- problem_cubic(); add("cubic at (1,2,3)", pb$fn, pb$par, pb$hess, pb$gr)
  pb <- problem_rosenbrock()
  add("Rosenbrock at (-1.2,1)", pb$fn, c(-1.2, 1), pb$hess, pb$gr)
  add("Rosenbrock at minimum", pb$fn, c(1, 1), pb$hess, pb$gr)
  pb <- problem_normal(); add("normal NLL (2)", pb$fn, pb$par, pb$hess)
  for (k in c(4, 10)) {
    pb <- problem_logistic(k = k)
    add(sprintf("logistic NLL (%d)", k), pb$fn, pb$par, pb$hess, pb$gr)
  }
  pb <- problem_scaled_quadratic()
  add("scaled quadratic at 0", pb$fn, rep(0, 5), pb$hess)
  add("scaled quadratic at scales", pb$fn, pb$scales, pb$hess)
  pb <- problem_exp_sum(); add("exp(sum) at (5,5)", pb$fn, c(5, 5), pb$hess, pb$gr)
  pb <- problem_noisy(); add("1e-10 noise (3)", pb$fn, c(0.2, 0.5, 0.8), pb$hess, smooth = FALSE)
  pb <- problem_noisy(); add("1e-10 noise (10)", pb$fn, seq(-1, 1, length.out = 10), pb$hess,
                             smooth = FALSE)
  for (k in c(2, 5, 10, 20, 50)) {
    pb <- problem_big(k)
    add(sprintf("ridge logistic (%d)", k), pb$fn, pb$par, pb$hess, pb$gr)
  }
  out
})

sc_err <- function(H, Ht) scaled_err(H, Ht)

# hessian_fd(parallel = ): the speed-up on an expensive fn, the overhead per batch, and the
# same Hessian whatever the backend (run alone with `Rscript bench/run.R --parallel`).
bench_parallel <- function() {
  cat("\n== Parallel evaluation (hessian_fd(parallel = )) ==\n")
  if (.Platform$OS.type == "windows" || parallel::detectCores() < 2L) {
    cat("fewer than 2 cores (or Windows): not measured\n")
    return(invisible())
  }
  n <- 10L
  A <- crossprod(matrix(sin(seq_len(n * n)), n)) / n + diag(n)
  slow <- function(p) {
    Sys.sleep(0.02)
    sum(p * (A %*% p)) / 2 + sum(cos(p))
  }
  par0 <- seq(-0.5, 0.5, length.out = n)
  reps <- if (quick) 1L else 3L
  wall <- function(...) {
    stats::median(vapply(seq_len(reps), function(r) {
      system.time(h <- hessian_fd(slow, par0, control = list(trace = 0), ...))[["elapsed"]]
    }, 0))
  }
  H1 <- hessian_fd(slow, par0, control = list(trace = 0))
  ne <- attr(H1, "evaluations")[["fn"]]
  t1 <- wall()
  tm1 <- wall(parallel = "multicore", ncpus = 1L)
  tm <- wall(parallel = "multicore", ncpus = 2L)
  # Sockets made as ?hessian_fd advises (options(socketOptions = "no-delay") first); the
  # future plan is also timed with R's default sockets, for comparison.
  no_delay <- options(socketOptions = "no-delay")
  cl <- parallel::makeCluster(2L)
  options(no_delay)
  parallel::clusterExport(cl, "A", envir = environment())
  ts <- wall(parallel = "snow", cl = cl)
  same <- c(multicore = identical(hessian_fd(slow, par0, control = list(trace = 0),
                                             parallel = "multicore", ncpus = 2L), H1),
            snow = identical(hessian_fd(slow, par0, control = list(trace = 0),
                                        parallel = "snow", cl = cl), H1))
  tf <- tf_default <- NA_real_
  if (requireNamespace("future.apply", quietly = TRUE)) {
    old <- future::plan(future::multisession, workers = 2L)
    invisible(future::value(future::future(NULL)))   # workers started before timing
    tf_default <- wall(parallel = "future")
    no_delay <- options(socketOptions = "no-delay")
    future::plan(future::multisession, workers = 2L)
    options(no_delay)
    invisible(future::value(future::future(NULL)))
    tf <- wall(parallel = "future")
    same[["future"]] <- identical(hessian_fd(slow, par0, control = list(trace = 0),
                                             parallel = "future"), H1)
    future::plan(old)
  }
  # This machine's own ceiling: two independent R loops on 2 cores against one after the
  # other (a shared or loaded host gives less than 2).
  spin <- function() { s <- 0; for (i in 1:1e7) s <- s + i; s }
  c1 <- system.time(spin())[["elapsed"]]
  c2 <- system.time(parallel::mclapply(1:2, function(i) spin(), mc.cores = 2L))[["elapsed"]]
  cat(sprintf("fn of 20 ms, n = %d, f only, %d evaluations: 1 worker (serial) %.2f s; multicore 1 worker %.2f s\n",
              n, ne, t1, tm1))
  cat(sprintf("  2 workers: multicore %.2f s = %s x serial (target <= 0.6; this machine's 2-core ceiling: two CPU-bound R loops on 2 workers take %s x the time of one after the other, 0.5 on two idle cores); snow %.2f s (%s x multicore), future multisession %.2f s (%s x multicore) (targets <= 1.1), both with no-delay sockets as ?hessian_fd advises; future with R's default sockets %.2f s (%s x multicore)\n",
              tm, fmt(tm / t1, 3), fmt(c2 / (2 * c1), 3), ts, fmt(ts / tm, 3), tf,
              fmt(tf / tm, 3), tf_default, fmt(tf_default / tm, 3)))
  cat(sprintf("  identical to serial: %s\n",
              paste(sprintf("%s %s", names(same), same), collapse = ", ")))
  # Overhead per batch: a cheap fn on 2 workers against serial, per batch of points.
  cheap <- function(p) sum(p * (A %*% p)) / 2 + sum(cos(p))
  hc <- hessian_fd(cheap, par0)
  tc <- time_it(function() hessian_fd(cheap, par0))
  tcm <- time_it(function() hessian_fd(cheap, par0, parallel = "multicore", ncpus = 2L), 3L)
  tcs <- time_it(function() hessian_fd(cheap, par0, parallel = "snow", cl = cl), 3L)
  nb <- batches(cheap, par0)
  cat(sprintf("  overhead: %d batches a call; per batch %.1f ms (multicore), %.1f ms (snow); parallel pays when one evaluation costs more than about %.1f ms (multicore), %.1f ms (snow)\n",
              nb, 1e3 * (tcm - tc) / nb, 1e3 * (tcs - tc) / nb,
              1e3 * 2 * (tcm - tc) / attr(hc, "evaluations")[["fn"]],
              1e3 * 2 * (tcs - tc) / attr(hc, "evaluations")[["fn"]]))
  parallel::stopCluster(cl)
  invisible()
}

# check_fit(parallel = ) on an expensive fn (20 ms a call), serial against 2 multicore
# workers in this process: issue 24's regression (8 parameters, condition number 1e4) at
# lm's solution (nothing undecided: fn is asked nothing after the Hessian) and 0.05 SE
# off it along its flat direction (a leftover gradient: fn asked along it), and three
# nearly collinear pairs off their optimum (three directions asked of fn, the others'
# Newton steps, the line Hessians), where the probes' batches run on the workers. The
# verdicts, tables and counts must be identical.
bench_check_fit_parallel <- function() {
  cat("\n== Parallel check_fit() (probes in batches on the backend) ==\n")
  if (.Platform$OS.type == "windows" || parallel::detectCores() < 2L) {
    cat("fewer than 2 cores (or Windows): not measured\n")
    return(invisible())
  }
  set.seed(1)
  n <- 200
  X <- cbind(1, matrix(rnorm(n * 7), n))
  X[, 3] <- X[, 2] + 0.02 * X[, 3]
  y <- drop(X %*% rnorm(8)) + rnorm(n)
  reg <- function(b) {
    Sys.sleep(0.02)
    sum((y - X %*% b)^2) / 2
  }
  b0 <- qr.solve(X, y)
  v <- eigen(crossprod(X), symmetric = TRUE)
  pairs <- function(p) {
    Sys.sleep(0.02)
    (p[1] - p[2])^2 + 1e-7 * (p[1] + p[2])^2 + (p[3] - p[4])^2 + 2e-7 * (p[3] + p[4])^2 +
      (p[5] - p[6])^2 + 3e-7 * (p[5] + p[6])^2 + p[7]^2 + p[8]^2
  }
  cases <- list(
    list(name = "issue 24's regression at lm's solution", fn = reg, par = b0),
    list(name = "the same 0.05 SE off along its flat direction", fn = reg,
         par = b0 + 0.05 * v$vectors[, 8] / sqrt(v$values[8])),
    list(name = "three nearly collinear pairs, 1e-4 off", fn = pairs,
         par = c(a1 = 0, b1 = 0, a2 = 0, b2 = 0, a3 = 0, b3 = 0, c = 1e-4, d = 1e-4)))
  q <- list(hessian = list(trace = 0))
  for (cs in cases) {
    t1 <- system.time(x1 <- check_fit(cs$par, cs$fn, control = q))[["elapsed"]]
    t2 <- system.time(x2 <- check_fit(cs$par, cs$fn, control = q, parallel = "multicore",
                                      ncpus = 2L))[["elapsed"]]
    same <- identical(x1$table, x2$table) && identical(x1$verdict, x2$verdict) &&
      identical(x1$evaluations, x2$evaluations) && identical(x1$eigen, x2$eigen)
    ne <- x1$evaluations[["fn"]]
    nh <- attr(x1$hessian, "evaluations")[["fn"]]
    cat(sprintf("%s: %s, %d evaluations (%d after the Hessian); serial %.2f s, 2 multicore workers %.2f s = %s x serial (target <= 0.65); identical to serial: %s\n",
                cs$name, x1$verdict, ne, ne - nh, t1, t2, fmt(t2 / t1, 3), same))
  }
  invisible()
}

# Number of batches hessian_fd() sends to a backend on this problem.
batches <- function(fn, par) {
  count <- new.env()
  count$k <- 0L
  suppressMessages(trace("split_points", bquote(assign("k", get("k", envir = .(count)) + 1L,
                                                      envir = .(count))), print = FALSE,
                         where = asNamespace("hesscheck")))
  on.exit(suppressMessages(untrace("split_points", where = asNamespace("hesscheck"))))
  hessian_fd(fn, par, parallel = "multicore", ncpus = 2L)
  count$k
}

# Identical Hessians serial vs parallel on every problem of this bench.
bench_identical <- function() {
  if (.Platform$OS.type == "windows") return(invisible())
  same <- vapply(problems, function(pb) {
    q <- list(trace = 0)
    a <- suppressWarnings(hessian_fd(pb$fn, pb$par, control = q))
    b <- suppressWarnings(hessian_fd(pb$fn, pb$par, control = q, parallel = "multicore",
                                     ncpus = 2L))
    ok <- identical(a, b)
    if (!is.null(pb$gr)) {
      a <- hessian_fd(pb$fn, pb$par, gr = pb$gr, control = q)
      b <- hessian_fd(pb$fn, pb$par, gr = pb$gr, control = q, parallel = "multicore",
                      ncpus = 2L)
      ok <- ok && identical(a, b)
    }
    ok
  }, TRUE)
  cat(sprintf("  serial and multicore Hessians identical on %d of %d problems of this bench%s\n",
              sum(same), length(same),
              if (all(same)) "" else paste0(" (differ: ", paste(names(same)[!same], collapse = ", "), ")")))
}

fmt <- function(x, d = 2) ifelse(is.na(x), "", format(signif(x, d), trim = TRUE))
if (only_parallel) {
  bench_parallel()
  bench_check_fit_parallel()
  bench_identical()
  quit(save = "no")
}

rows <- list()
calib <- list()
for (pb in problems) {
  n <- length(pb$par)
  Ht <- pb$hess(pb$par)
  cf <- counted(pb$fn)
  # hesscheck, f only
  H <- hessian_fd(cf$f, pb$par)
  res <- data.frame(problem = pb$name, n = n, method = "hesscheck fn",
                    error = sc_err(H, Ht), evals = attr(H, "evaluations")[["fn"]],
                    budget = 2 * (n^2 + n) + 4 * n + 1, time_ratio = NA_real_,
                    peer = NA_character_)
  if (pb$smooth) {
    d <- sqrt(abs(diag(Ht)))
    s <- outer(d, d)
    ut <- upper.tri(s, diag = TRUE)
    calib[[length(calib) + 1]] <- data.frame(
      est = (attr(H, "error") / s)[ut], true = (abs(as.matrix(H) - Ht) / s)[ut])
  }
  t_hc <- time_it(function() hessian_fd(pb$fn, pb$par))
  if (has_numderiv) {
    cf$reset()
    Hn <- numDeriv::hessian(cf$f, pb$par)
    t_nd <- time_it(function() numDeriv::hessian(pb$fn, pb$par))
    res <- rbind(res, data.frame(problem = pb$name, n = n, method = "numDeriv::hessian",
                                 error = sc_err(Hn, Ht), evals = cf$count(), budget = NA,
                                 time_ratio = NA, peer = NA))
    res$time_ratio[1] <- t_hc / t_nd
    res$peer[1] <- "numDeriv"
  }
  cf$reset()
  Ho <- optimHess(pb$par, cf$f)
  t_oh <- time_it(function() optimHess(pb$par, pb$fn))
  res <- rbind(res, data.frame(problem = pb$name, n = n, method = "optimHess(fn)",
                               error = sc_err(Ho, Ht), evals = cf$count(), budget = NA,
                               time_ratio = t_hc / t_oh, peer = "hesscheck fn / optimHess"))
  if (!is.null(pb$gr)) {
    cg <- counted(pb$gr)
    Hg <- hessian_fd(pb$fn, pb$par, gr = cg$f)
    if (pb$smooth) {
      d <- sqrt(abs(diag(Ht)))
      s <- outer(d, d)
      ut <- upper.tri(s, diag = TRUE)
      calib[[length(calib) + 1]] <- data.frame(
        est = (attr(Hg, "error") / s)[ut], true = (abs(as.matrix(Hg) - Ht) / s)[ut])
    }
    t_hg <- time_it(function() hessian_fd(pb$fn, pb$par, gr = pb$gr))
    res <- rbind(res, data.frame(problem = pb$name, n = n, method = "hesscheck gr",
                                 error = sc_err(Hg, Ht), evals = attr(Hg, "evaluations")[["gr"]],
                                 budget = 6 * n + 16, time_ratio = NA, peer = NA))
    if (has_numderiv) {
      cg$reset()
      Hj <- numDeriv::jacobian(cg$f, pb$par)
      Hj <- (Hj + t(Hj)) / 2
      t_nj <- time_it(function() numDeriv::jacobian(pb$gr, pb$par))
      res$time_ratio[nrow(res)] <- t_hg / t_nj
      res$peer[nrow(res)] <- "numDeriv::jacobian"
      res <- rbind(res, data.frame(problem = pb$name, n = n, method = "numDeriv::jacobian(gr)",
                                   error = sc_err(Hj, Ht), evals = cg$count(), budget = NA,
                                   time_ratio = NA, peer = NA))
    }
    cg$reset()
    Hog <- optimHess(pb$par, pb$fn, cg$f)
    t_og <- time_it(function() optimHess(pb$par, pb$fn, pb$gr))
    res <- rbind(res, data.frame(problem = pb$name, n = n, method = "optimHess(fn, gr)",
                                 error = sc_err(Hog, Ht), evals = cg$count(), budget = NA,
                                 time_ratio = t_hg / t_og, peer = "hesscheck gr / optimHess"))
  }
  rows[[pb$name]] <- res
}
tab <- do.call(rbind, rows)
rownames(tab) <- NULL

fmt <- function(x, d = 2) ifelse(is.na(x), "", format(signif(x, d), trim = TRUE))
cat("\n== Accuracy, evaluations and time ==\n")
cat("error: max |H_hat - H| / sqrt(|H_ii H_jj|) against the analytic Hessian;\n")
cat("evals: calls of fn (fn methods) or gr (gr methods); budget: the issue's target;\n")
cat("time ratio: hesscheck's wall time / the peer's (numDeriv on the hesscheck rows,\n")
cat("optimHess on the optimHess rows).\n\n")
cat(sprintf("%-27s %3s  %-23s %8s %7s %7s %10s\n", "problem", "n", "method", "error",
            "evals", "budget", "time ratio"))
for (k in seq_len(nrow(tab))) {
  cat(sprintf("%-27s %3d  %-23s %8s %7d %7s %10s\n", tab$problem[k], tab$n[k], tab$method[k],
              fmt(tab$error[k]), as.integer(tab$evals[k]),
              if (is.na(tab$budget[k])) "" else as.character(tab$budget[k]),
              fmt(tab$time_ratio[k], 3)))
}

smooth_names <- vapply(Filter(function(p) p$smooth, problems), `[[`, "", "name")
hc_f <- tab[tab$method == "hesscheck fn", ]
hc_g <- tab[tab$method == "hesscheck gr", ]
cat("\n== Targets ==\n")
cat(sprintf("f-only, smooth problems: worst scaled error %s (target <= 1e-8)\n",
            fmt(max(hc_f$error[hc_f$problem %in% smooth_names]))))
cat(sprintf("f-only, 1e-10 noise: worst scaled error %s (target <= 1e-6)\n",
            fmt(max(hc_f$error[!hc_f$problem %in% smooth_names]))))
over <- hc_f$evals > hc_f$budget
cat(sprintf("f-only evaluations within 2(n^2+n)+4n+1 on %d of %d problems%s\n",
            sum(!over), nrow(hc_f),
            if (any(over)) paste0(" (over: ", paste(sprintf("%s %d > %d", hc_f$problem[over],
              hc_f$evals[over], hc_f$budget[over]), collapse = "; "), ")") else ""))
cat(sprintf("gradient mode: worst scaled error %s (target <= 1e-9); evaluations within 6n+16 on %d of %d\n",
            fmt(max(hc_g$error)), sum(hc_g$evals <= hc_g$budget), nrow(hc_g)))
if (has_numderiv) {
  nd <- tab[tab$method == "numDeriv::hessian", ]
  cat(sprintf("numDeriv::hessian misses 1e-8 on %d of %d smooth problems\n",
              sum(nd$error[nd$problem %in% smooth_names] > 1e-8), length(smooth_names)))
}
cal <- do.call(rbind, calib)
floor_rel <- 1e-14
ratio <- cal$est / pmax(cal$true, floor_rel)
cat(sprintf("error estimates >= true error on %.1f%% of %d entries (target >= 99%%)\n",
            100 * mean(cal$est >= cal$true), nrow(cal)))
cat(sprintf("estimate / true error: median %s, 99th percentile %s, max %s (target <= 1e4;\n  true errors below %g of the element's scale counted as %g)\n",
            fmt(stats::median(ratio)), fmt(stats::quantile(ratio, 0.99)), fmt(max(ratio)),
            floor_rel, floor_rel))

# Wall time on the 10-parameter logistic regression and the per-evaluation overhead.
pb <- problem_logistic(k = 10)
t_hc <- time_it(function() hessian_fd(pb$fn, pb$par))
if (has_numderiv) {
  t_nd <- time_it(function() numDeriv::hessian(pb$fn, pb$par))
  cat(sprintf("logistic (10): hesscheck / numDeriv wall time %s (target <= 0.6)\n", fmt(t_hc / t_nd, 3)))
}
cheap <- function(p) {
  s <- 0
  for (k in 1:8) s <- s + sum(p * p) / k
  s + p[1] * p[2] + exp(p[3])
}
# Per evaluation: the whole call against a plain R loop over the same number of calls, at
# n = 10 and n = 20; and the marginal cost per evaluation between the two (the fixed cost
# of argument checks and result assembly taken out).
tt <- list()
for (n_cheap in c(10L, 20L)) {
  par0 <- seq(0.1, 1, length.out = n_cheap)
  H <- hessian_fd(cheap, par0)
  ne <- attr(H, "evaluations")[["fn"]]
  pts <- lapply(seq_len(ne), function(k) par0 + k * 1e-6)
  tr <- time_ratio(function() hessian_fd(cheap, par0), function() for (p in pts) cheap(p))
  t_h <- tr[["a"]]
  t_loop <- tr[["b"]]
  tt[[length(tt) + 1L]] <- c(ne = ne, h = t_h, loop = t_loop)
  cat(sprintf("cheap fn (%.1f microseconds a call), n = %d, %d evaluations: hessian_fd %.2f microseconds per evaluation, %.2f x a plain R loop over the same calls (target <= 1.10)\n",
              1e6 * t_loop / ne, n_cheap, ne, 1e6 * t_h / ne, tr[["ratio"]]))
}
d_ne <- tt[[2]][["ne"]] - tt[[1]][["ne"]]
cat(sprintf("marginal cost per evaluation (n = 10 -> 20): %.2f x the plain loop; fixed cost of a call %.0f microseconds\n",
            (tt[[2]][["h"]] - tt[[1]][["h"]]) / (tt[[2]][["loop"]] - tt[[1]][["loop"]]),
            1e6 * (tt[[1]][["h"]] - tt[[1]][["loop"]])))

# check_fit(): its cost over the hessian_fd() call it makes (target <= 1.2).
cat("\n== check_fit() ==\n")
for (k in c(5L, 10L, 20L)) {
  pk <- problem_logistic(k = k, n = 50 * k)
  tr <- time_ratio(function() check_fit(pk$par, pk$fn), function() hessian_fd(pk$fn, pk$par))
  cat(sprintf("logistic (%d): check_fit / hessian_fd wall time %s (target <= 1.3 with nothing undecided)\n", k,
              fmt(tr[["ratio"]], 3)))
}
# ... and on well-posed fits of the verdict corpus where nothing is undecided (every
# eigenvalue decided by the Hessian: no probe, no profile, no drift walk but the estimate's
# own direction)
local({
  tt <- file.path(here, "..", "tests", "testthat")
  test_path <- function(...) file.path(tt, ...)
  source(file.path(tt, "helper-nist.R"), local = TRUE)
  cases <- list(
    "NIST Misra1a" = nist_problem("Misra1a", file.path(tt, "fixtures", "nist")),
    "NIST Gauss1" = nist_problem("Gauss1", file.path(tt, "fixtures", "nist")),
    "NIST Eckerle4" = nist_problem("Eckerle4", file.path(tt, "fixtures", "nist")))
  set.seed(11)
  y <- rnorm(60, 5, 2)
  cases[["normal (mu, log sd)"]] <- list(
    fn = function(p) -sum(dnorm(y, p[1], exp(p[2]), log = TRUE)),
    par = c(mu = mean(y), ls = log(sqrt(mean((y - mean(y))^2)))))
  for (nm in names(cases)) {
    pk <- cases[[nm]]
    x <- check_fit(pk$par, pk$fn)
    undecided <- sum(x$eigen$source != "hessian")
    tr <- time_ratio(function() check_fit(pk$par, pk$fn), function() hessian_fd(pk$fn, pk$par))
    cat(sprintf("%s: %s, %d direction(s) asked of fn; check_fit / hessian_fd wall time %s (target <= 1.3 with nothing undecided)\n",
                nm, x$verdict, undecided, fmt(tr[["ratio"]], 3)))
  }
})

# bootstrap_se(): speed-up with 2 workers over 1 on a refit of about 5 ms, R = 400
# (target >= 1.7), and the same replicates either way.
cat("\n== bootstrap_se() ==\n")
if (.Platform$OS.type != "windows" && parallel::detectCores() >= 2L) {
  pb <- problem_logistic(k = 6, n = 600, seed = 9)
  dat <- data.frame(y = pb$y, pb$X)
  nll_d <- function(b, d) {
    X <- as.matrix(d[, -1L])
    eta <- drop(X %*% b)
    sum(log1p(exp(-abs(eta))) + pmax(eta, 0)) - sum(d$y * eta)
  }
  xb <- check_fit(pb$par, nll_d, d = dat)
  t_refit <- time_it(function() {
    optim(xb$par, nll_d, d = dat[sample.int(nrow(dat), replace = TRUE), ], method = "BFGS")
  })
  R_boot <- if (quick) 100L else 400L
  t1 <- system.time(b1 <- bootstrap_se(xb, "d", R = R_boot, seed = 1, progress = FALSE))[["elapsed"]]
  t2 <- system.time(b2 <- bootstrap_se(xb, "d", R = R_boot, seed = 1, parallel = "multicore",
                                      ncpus = 2L))[["elapsed"]]
  cat(sprintf("refit %.1f ms; R = %d: 1 worker %.2f s, 2 workers %.2f s, speed-up %s (target >= 1.7); identical replicates: %s\n",
              1e3 * t_refit, R_boot, t1, t2, fmt(t1 / t2, 3), identical(b1$replicates, b2$replicates)))
  # What this machine's two cores give two independent R loops, for comparison.
  spin <- function() { s <- 0; for (i in 1:2e7) s <- s + i; s }
  c1 <- system.time(spin())[["elapsed"]]
  c2 <- system.time(parallel::mclapply(1:2, function(i) spin(), mc.cores = 2L))[["elapsed"]]
  cat(sprintf("  this machine: two independent R loops run %s x faster on 2 cores than one after the other\n",
              fmt(2 * c1 / c2, 3)))
} else {
  cat("fewer than 2 cores (or Windows): speed-up not measured\n")
}

# profile_ci(): agreement with glm's (MASS's) and bbmle's profile intervals, the time of a
# 10-parameter logistic profile on one core (target <= 2 s) and with 2 workers (target
# >= 1.7 x), beside what this machine's two cores give two independent R loops; then the
# coverage of Wald, profile and bootstrap-percentile intervals of an exponential rate
# from n = 10 observations (profile within 2 Monte-Carlo SEs of 95%).
cat("\n== profile_ci() ==\n")
local({
  b <- birthwt_fit()
  g <- b$glm
  lim <- as.matrix(profile_ci(b$x)$table[, c("lower", "upper")])
  ci <- suppressMessages(confint(g))
  cat(sprintf("logistic (birthwt, 4): largest relative difference from confint(glm) %s (target <= 1e-3)\n",
              fmt(max(abs(lim / ci - 1)))))
  if (requireNamespace("bbmle", quietly = TRUE)) {
    gm <- gamma_mle2_fit()
    d <- max(abs(as.matrix(profile_ci(gm$x)$table[, c("lower", "upper")]) /
                   bbmle::confint(gm$mle2, method = "uniroot") - 1))
    cat(sprintf("gamma (log shape, log rate), mle2: largest relative difference from bbmle's confint(method = \"uniroot\") %s (target <= 1e-5)\n",
                fmt(d)))
  } else {
    cat("bbmle is not installed: its comparison is skipped\n")
  }
})
local({
  for (nn in c(200L, 2000L)) {
    pk <- problem_logistic(k = 10, n = nn)
    xk <- check_fit(pk$par, pk$fn)
    reps <- if (quick) 3L else 9L
    p1 <- profile_ci(xk)
    if (.Platform$OS.type != "windows" && parallel::detectCores() >= 2L) {
      p2 <- profile_ci(xk, parallel = "multicore", ncpus = 2L)
      # Alternating: one worker, two workers, and this workload's own ceiling on this
      # machine (the whole profile in one forked child, against two children that each
      # run the whole profile at once: what sharing the two cores costs this kind of work,
      # with no splitting or imbalance).
      tt <- vapply(seq_len(reps), function(r) {
        t1 <- system.time(profile_ci(xk))[["elapsed"]]
        t2 <- system.time(profile_ci(xk, parallel = "multicore", ncpus = 2L))[["elapsed"]]
        a <- system.time(parallel::mclapply(1L, function(w) profile_ci(xk),
                                            mc.cores = 1L))[["elapsed"]]
        b <- system.time(parallel::mclapply(1:2, function(w) profile_ci(xk),
                                            mc.cores = 2L))[["elapsed"]]
        c(t1, t2, t1 / t2, 2 * a / b)
      }, numeric(4))
      m <- apply(tt, 1L, stats::median)
      cat(sprintf("logistic (10), n = %d, fn only: %d inner fits, 1 worker %.2f s (target <= 2 s), 2 workers %.2f s, speed-up %s (median of %d alternating runs; target >= 1.7); the same work's ceiling on this machine %s (two forked children each running the whole profile at once against one); identical intervals: %s\n",
                  nn, p1$evaluations, m[1L], m[2L], fmt(m[3L], 3), reps, fmt(m[4L], 3),
                  identical(p1$table, p2$table)))
    } else {
      t1 <- stats::median(replicate(reps, system.time(profile_ci(xk))[["elapsed"]]))
      cat(sprintf("logistic (10), n = %d, fn only: %d inner fits, 1 worker %.2f s (target <= 2 s)\n",
                  nn, p1$evaluations, t1))
    }
    # How evenly the work splits between two workers (multicore gives worker 1 the odd
    # parameters, worker 2 the even ones): the speed-up an idle machine would allow.
    ct <- vapply(seq_along(pk$par), function(j) {
      system.time(profile_ci(xk, parm = j))[["user.self"]]
    }, 0)
    half <- max(sum(ct[c(TRUE, FALSE)]), sum(ct[c(FALSE, TRUE)]))
    cat(sprintf("  CPU time %.2f s in all, %.2f s for the busier worker: at most %s x on two idle cores\n",
                sum(ct), half, fmt(sum(ct) / half, 3)))
  }
  if (.Platform$OS.type != "windows" && parallel::detectCores() >= 2L) {
    spin <- function() { s <- 0; for (i in 1:2e7) s <- s + i; s }
    c1 <- system.time(spin())[["elapsed"]]
    c2 <- system.time(parallel::mclapply(1:2, function(i) spin(), mc.cores = 2L))[["elapsed"]]
    cat(sprintf("  this machine: two independent R loops run %s x faster on 2 cores than one after the other\n",
                fmt(2 * c1 / c2, 3)))
  }
})
local({
  set.seed(3)
  y <- rexp(10, 2)
  nll <- function(p, y) -sum(dexp(y, p[1], log = TRUE))
  x <- check_fit(c(rate = 1 / mean(y)), nll, y = y, lower = 1e-8)
  sim <- function(par, data) rexp(length(data), par[1])
  R_cov <- if (quick) 200L else 1000L
  t <- system.time(cc <- coverage_check(x, "y", sim, R = R_cov,
                                        intervals = c("profile", "percentile"), boot_R = 199L,
                                        refit = function(d, start) 1 / mean(d), seed = 1,
                                        progress = FALSE))[["elapsed"]]
  iv <- cc$intervals
  cat(sprintf("exponential rate, n = 10, R = %d (%.1f s): coverage of 95%% intervals\n", R_cov, t))
  for (k in seq_len(nrow(iv))) {
    cat(sprintf("  %-10s %.3f (Monte-Carlo SE %.3f; %s SEs from 0.95)%s\n", iv$interval[k],
                iv$coverage[k], iv$mc_error[k], fmt((iv$coverage[k] - 0.95) / iv$mc_error[k], 2),
                if (iv$interval[k] == "profile") " (target: within 2)" else ""))
  }
})

# Scale: time and peak memory (R's "max used" after gc(reset = TRUE), above what was in use
# before the call) for gradient mode on 500 parameters, f-only on 100 and check_fit() on 200
# (gradient mode), and at half those sizes, so the growth can be read off. The peak includes
# the garbage left by the user's fn between collections; Rprofmem() (where R was built with
# memory profiling) separates what hesscheck allocates from what fn allocates, and shows
# that the C core allocates a fixed number of vectors of O(n^2) doubles, whatever the number
# of evaluations.
cat("\n== Scale ==\n")
peak <- function(expr) {
  g0 <- gc(reset = TRUE)
  base <- sum(g0[, 2])
  t <- system.time(force(expr))[["elapsed"]]
  g <- gc()
  c(time = t, mb = sum(g[, ncol(g)]) - base)
}
big_quad <- function(k, seed) {
  set.seed(seed)
  A <- crossprod(matrix(rnorm(k * k), k)) / k + diag(k)
  list(fn = function(x) sum(x * (A %*% x)) / 2 + sum(cos(x)),
       gr = function(x) drop(A %*% x) - sin(x), par = rnorm(k) / 10)
}
has_profmem <- isTRUE(capabilities("profmem"))
scale_cases <- if (quick) list(c(200, 50, 80)) else list(c(250, 50, 100), c(500, 100, 200))
for (sz in scale_cases) {
  runs <- list(
    list(label = sprintf("hessian_fd(), gradient mode, n = %d", sz[1]), n = sz[1],
         call = local({ bq <- big_quad(sz[1], 1); function() hessian_fd(bq$fn, bq$par, gr = bq$gr) })),
    list(label = sprintf("hessian_fd(), f only, n = %d", sz[2]), n = sz[2],
         call = local({ bq <- big_quad(sz[2], 2); function() hessian_fd(bq$fn, bq$par) })),
    list(label = sprintf("check_fit(), gradient mode, n = %d", sz[3]), n = sz[3],
         call = local({ bq <- big_quad(sz[3], 3); function() check_fit(bq$par, bq$fn, gr = bq$gr) })))
  for (r in runs) {
    res <- NULL
    p <- peak(res <- r$call())
    h <- if (inherits(res, "hesscheck")) res$hessian else res
    ev <- attr(h, "evaluations")
    cat(sprintf("%-40s %6.2f s, peak %5.1f Mb above baseline (the Hessian alone: %.2f Mb); %d fn + %d gr evaluations\n",
                r$label, p[["time"]], p[["mb"]], 8 * r$n^2 / 2^20, ev[["fn"]], ev[["gr"]]))
    if (has_profmem) {
      a <- allocations(r$call)
      cat(sprintf("%-40s allocated: C core %.1f n^2 doubles in %d vectors, hesscheck R code %.1f n^2, the user's fn/gr %.1f n^2\n",
                  "", a$core / (8 * r$n^2), a$ncore, a$rest / (8 * r$n^2), a$user / (8 * r$n^2)))
    }
  }
}
if (!has_profmem) cat("R was built without memory profiling: allocations not broken down\n")

bench_parallel()
bench_identical()
bench_check_fit_parallel()
