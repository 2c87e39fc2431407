#' Bootstrap standard errors by refitting, in parallel and reproducibly
#'
#' Resamples the data argument of `fn` (non-parametric) or simulates new data from the
#' fitted model (parametric), refits from the estimate with the same optimiser, and
#' returns the replicate estimates, their standard deviations (the bootstrap SEs) with
#' their Monte-Carlo error, and percentile intervals. Failed refits (errors) and refits
#' that did not converge are counted and reported, never silently dropped. `Ctrl-C`,
#' or a limit set with [setTimeLimit()], stops the whole call rather than failing one
#' replicate.
#'
#' @section Parallel and reproducible:
#' Each replicate draws from its own L'Ecuyer-CMRG random-number stream, derived from
#' `seed`, so the replicates are identical whatever the backend and the number of
#' workers: `"no"` (this process), `"multicore"` (forked workers, [parallel::mclapply()],
#' not on Windows), `"snow"` (a cluster from [parallel::makeCluster()], which may span
#' machines; pass it as `cl`, or `ncpus` local workers are started), or `"future"` (any
#' [future](https://future.futureverse.org) backend set with `future::plan()`, through
#' `future.apply`, which must be installed). The caller's random-number state is
#' restored afterwards. In interactive sessions a progress bar is shown when
#' `parallel = "no"`.
#'
#' @param x A `"hesscheck"` object from [check_fit()].
#' @param data The name of the argument of `fn` (passed through `...` to [check_fit()])
#'   that holds the data.
#' @param R Number of replicates.
#' @param resample Optional `function(data)` returning a resampled data set; by default
#'   the rows of a data frame or matrix, or the elements of a vector (or list), are
#'   drawn with replacement.
#' @param simulate Optional `function(par, data)` returning a new data set simulated from
#'   the model at `par`: a parametric bootstrap.
#' @param refit Optional `function(data, start)` returning the new estimates (a numeric
#'   vector, or a list with `par` and `convergence`). By default [stats::optim()] is
#'   called on `fn` (and `gr`) from `start` with `method`, `control` and the bounds
#'   and `fnscale` given to [check_fit()].
#' @param method,control The [stats::optim()] method (default `"L-BFGS-B"` when there
#'   are bounds, else `"BFGS"`) and control list of the default refit.
#' @param parallel,ncpus,cl The backend (see the section), the number of workers, and a
#'   cluster object for `"snow"`.
#' @param seed An integer seed; `NULL` draws one from the current random-number state.
#' @param progress Show a progress bar (with `parallel = "no"`).
#' @return An object of class `"hesscheck_boot"`: a list with `replicates` (an `R` x
#'   `n` matrix, `NA` rows for failed replicates), `status` (`"ok"`, `"not_converged"`
#'   or `"failed"` per replicate: an error in `resample`, `simulate` or the refit fails
#'   that replicate only), `messages` (the error messages of failed replicates, counted),
#'   `se` (standard deviation over the converged replicates), `mc_error` (Monte-Carlo
#'   standard error of `se`), `ci` (95% percentile intervals: the 2.5% and 97.5%
#'   quantiles), `type`
#'   (`"nonparametric"` or `"parametric"`), `R`, `seed`, `parallel` and `estimate`.
#' @seealso [compare_se()] to put these SEs beside the others.
#' @examples
#' set.seed(1)
#' y <- rnorm(40, 10, 2)
#' nll <- function(p, y) -sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
#' fit <- optim(c(mu = 5, log_sd = 0), nll, y = y, method = "BFGS")
#' x <- check_fit(fit, nll, y = y)
#' b <- bootstrap_se(x, data = "y", R = 99, seed = 42)
#' b
#' @export
bootstrap_se <- function(x, data, R = 999, resample = NULL, simulate = NULL, refit = NULL,
                         method = NULL, control = list(),
                         parallel = c("no", "multicore", "snow", "future"), ncpus = 1L,
                         cl = NULL, seed = NULL, progress = interactive()) {
  parallel <- match.arg(parallel)
  args <- check_replicate_args(x, data, R)
  R <- args$R
  dat <- args$dat
  if (!is.null(resample)) resample <- check_function(resample, "resample")
  if (!is.null(simulate)) simulate <- check_function(simulate, "simulate")
  refit <- make_refit(x, data, refit, method, control)
  par <- x$par
  if (is.null(simulate) && is.null(resample)) resample <- default_resample(dat, data)
  one <- function(r) {
    d <- if (is.null(simulate)) generated(resample, "resample", dat) else
      generated(simulate, "simulate", par, dat)
    if (inherits(d, "hesscheck_failed")) return(d)
    refit(d, par)
  }
  out <- run_replicates(one, R, length(par), parallel, ncpus, cl, seed, progress)
  reps <- out$values
  colnames(reps) <- names(par)
  ok <- out$status == "ok"
  se <- apply(reps[ok, , drop = FALSE], 2L, stats::sd)
  ci <- t(apply(reps[ok, , drop = FALSE], 2L, stats::quantile,
                probs = c(0.025, 0.975), na.rm = TRUE, names = FALSE))
  dimnames(ci) <- list(names(par), c("2.5 %", "97.5 %"))
  structure(list(
    replicates = reps, status = out$status, messages = out$messages, se = se,
    mc_error = sd_mc_error(reps[ok, , drop = FALSE]), ci = ci,
    type = if (is.null(simulate)) "nonparametric" else "parametric",
    R = R, seed = out$seed, parallel = parallel, estimate = par
  ), class = "hesscheck_boot")
}

#' @export
print.hesscheck_boot <- function(x, digits = 4, ...) {
  n_ok <- sum(x$status == "ok")
  cat(sprintf("%s bootstrap: %d replicates, %d converged, %d not converged, %d failed (seed %d)\n",
              if (x$type == "parametric") "Parametric" else "Non-parametric", x$R, n_ok,
              sum(x$status == "not_converged"), sum(x$status == "failed"), x$seed))
  tab <- data.frame(estimate = signif(x$estimate, digits), se = signif(x$se, digits),
                    mc_error = signif(x$mc_error, 2), signif(x$ci, digits),
                    check.names = FALSE)
  print(tab)
  print_failures(x$messages)
  invisible(x)
}

#' Coverage of the Wald intervals by simulation
#'
#' Simulates data sets from the fitted model at the estimate, refits each, computes the
#' Hessian-based standard errors there with [hessian_fd()], and reports per parameter the
#' empirical coverage of the Wald intervals (with its Monte-Carlo error) and the ratio of
#' the mean standard error to the standard deviation of the estimates: the simulation
#' study that tells whether these standard errors deserve trust.
#'
#' @inheritParams bootstrap_se
#' @param simulate `function(par, data)` returning a data set simulated from the model at
#'   `par`.
#' @param level Nominal coverage of the intervals.
#' @return An object of class `"hesscheck_coverage"`: a list with `table` (a data frame
#'   per parameter: `coverage`, `mc_error`, `se_ratio` = mean SE / SD of the estimates,
#'   `bias`), `estimates` and `se` (`R` x `n` matrices), `status`, `messages`, `level`,
#'   `R`, `seed`, `used`. A replicate whose `simulate` or refit fails has status
#'   `"failed"`; one whose Hessian cannot be computed or inverted has `NA` SEs; neither
#'   counts towards the coverage (`used` is the number that do).
#' @examples
#' set.seed(1)
#' y <- rnorm(40, 10, 2)
#' nll <- function(p, y) -sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
#' x <- check_fit(c(mu = mean(y), log_sd = log(sd(y))), nll, y = y)
#' sim <- function(par, data) rnorm(length(data), par[1], exp(par[2]))
#' coverage_check(x, "y", sim, R = 50, seed = 1)
#' @export
coverage_check <- function(x, data, simulate, R = 200, level = 0.95, refit = NULL,
                           method = NULL, control = list(),
                           parallel = c("no", "multicore", "snow", "future"), ncpus = 1L,
                           cl = NULL, seed = NULL, progress = interactive()) {
  parallel <- match.arg(parallel)
  args <- check_replicate_args(x, data, R)
  R <- args$R
  dat <- args$dat
  simulate <- check_function(simulate, "simulate")
  check_level(level)
  refit <- make_refit(x, data, refit, method, control)
  par <- x$par
  n <- length(par)
  pr <- x$problem
  one <- function(r) {
    d <- generated(simulate, "simulate", par, dat)
    if (inherits(d, "hesscheck_failed")) return(d)
    fitted <- refit(d, par)
    if (inherits(fitted, "hesscheck_failed")) return(fitted)
    dots <- pr$dots
    dots[[data]] <- d
    # A Hessian that cannot be computed at the refitted estimate leaves its SEs NA: the
    # replicate then does not count towards the coverage.
    se <- catch_user({
      H <- hessian_fd(checked_fn(pr, dots), fitted$value, lower = pr$lower,
                      upper = pr$upper)
      sqrt(diag(chol2inv(chol(as.matrix(H)))))
    }, function(e) rep(NA_real_, n))
    fitted$value <- c(fitted$value, se)
    fitted
  }
  out <- run_replicates(one, R, 2L * n, parallel, ncpus, cl, seed, progress)
  est <- out$values[, seq_len(n), drop = FALSE]
  se <- out$values[, n + seq_len(n), drop = FALSE]
  colnames(est) <- colnames(se) <- names(par)
  ok <- out$status == "ok" & stats::complete.cases(se)
  q <- stats::qnorm(1 - (1 - level) / 2)
  covered <- abs(est[ok, , drop = FALSE] - rep(par, each = sum(ok))) <=
    q * se[ok, , drop = FALSE]
  cov <- colMeans(covered)
  table <- data.frame(
    coverage = cov, mc_error = sqrt(cov * (1 - cov) / sum(ok)),
    se_ratio = colMeans(se[ok, , drop = FALSE]) / apply(est[ok, , drop = FALSE], 2L, stats::sd),
    bias = colMeans(est[ok, , drop = FALSE]) - par,
    row.names = names(par)
  )
  structure(list(table = table, estimates = est, se = se, status = out$status,
                 messages = out$messages, level = level, R = R, seed = out$seed,
                 used = sum(ok)),
            class = "hesscheck_coverage")
}

#' @export
print.hesscheck_coverage <- function(x, digits = 3, ...) {
  cat(sprintf("Coverage of %g%% Wald intervals over %d simulated data sets (%d used; seed %d)\n",
              100 * x$level, x$R, x$used, x$seed))
  tab <- x$table
  tab[] <- lapply(tab, signif, digits)
  print(tab)
  print_failures(x$messages)
  if (x$used < 2L) {
    cat("Fewer than 2 replicates could be used: coverage not assessed.\n")
    return(invisible(x))
  }
  low <- abs(x$table$coverage - x$level) > 2 * pmax(x$table$mc_error, 1e-12)
  if (any(low, na.rm = TRUE)) {
    cat("Coverage more than 2 Monte-Carlo SEs from nominal for:",
        paste(rownames(x$table)[low], collapse = ", "), "\n")
  } else {
    cat("Coverage is within 2 Monte-Carlo SEs of nominal for every parameter.\n")
  }
  invisible(x)
}

# ---- shared machinery -------------------------------------------------------------

check_hesscheck <- function(x) {
  if (!inherits(x, "hesscheck") || is.null(x$problem)) {
    hc_abort("bad_object", sprintf(
      "`x` must be the result of check_fit(), not %s.", describe_value(x)
    ))
  }
}

# The arguments every resampling function shares: the check_fit() result, the name of its
# data argument and the number of replicates.
check_replicate_args <- function(x, data, R) {
  check_hesscheck(x)
  list(R = check_replicates(R), dat = check_data_arg(x, data))
}

# Data for one replicate from the user's resample() or simulate(); an error there makes
# the replicate fail (status "failed", with the message), as an error in the refit does.
generated <- function(gen, what, ...) {
  catch_user(gen(...), function(e) {
    failed_replicate(sprintf("`%s` failed: %s", what, error_text(e)))
  })
}

# One replicate that failed, with why; run_replicates() leaves its row of values NA.
failed_replicate <- function(message) {
  structure(list(value = NA_real_, status = "failed", message = message),
            class = "hesscheck_failed")
}

# The counted error messages of failed replicates, if any.
print_failures <- function(messages) {
  if (length(messages)) {
    cat("Errors in failed replicates:\n")
    print(messages)
  }
}

# fn of a check_fit() problem as the function that was checked (fn times the sign of
# fnscale), with its `...` arguments bound.
checked_fn <- function(pr, dots = pr$dots) {
  sgn <- if (pr$fnscale < 0) -1 else 1
  function(p) sgn * do.call(pr$fn, c(list(p), dots))
}

check_replicates <- function(R) {
  if (!is.numeric(R) || length(R) != 1L || !is.finite(R) || R < 2 || R != round(R)) {
    hc_abort("bad_R", "`R`, the number of replicates, must be a whole number >= 2.")
  }
  as.integer(R)
}

check_data_arg <- function(x, data) {
  dots <- x$problem$dots
  if (!is.character(data) || length(data) != 1L || is.na(data) ||
      !data %in% names(dots)) {
    hc_abort("bad_data", sprintf(
      "`data` must name the argument of fn that holds the data, one of: %s.",
      if (length(dots)) paste(names(dots), collapse = ", ") else
        "(none: pass the data to check_fit() as a named argument of fn)"
    ))
  }
  dots[[data]]
}

default_resample <- function(dat, data) {
  if (is.data.frame(dat) || is.matrix(dat)) {
    function(d) d[sample.int(nrow(d), replace = TRUE), , drop = FALSE]
  } else if (is.atomic(dat) || is.list(dat)) {
    function(d) d[sample.int(length(d), replace = TRUE)]
  } else {
    hc_abort("bad_data", sprintf(
      "Cannot resample `%s` (%s): give a `resample` function.", data, describe_value(dat)
    ))
  }
}

# A refit function(data, start) -> list(value, status, message).
make_refit <- function(x, data, refit, method, control) {
  pr <- x$problem
  if (!is.null(refit)) {
    refit <- check_function(refit, "refit")
    user <- refit
  } else {
    bounded <- any(is.finite(pr$lower) | is.finite(pr$upper))
    if (is.null(method)) method <- if (bounded) "L-BFGS-B" else "BFGS"
    if (!is.list(control)) hc_abort("bad_control", "`control` must be a list.")
    control$fnscale <- pr$fnscale
    user <- function(d, start) {
      dots <- pr$dots
      dots[[data]] <- d
      args <- c(list(par = start, fn = pr$fn, gr = pr$gr), dots,
                list(method = method, control = control))
      if (method == "L-BFGS-B") args <- c(args, list(lower = pr$lower, upper = pr$upper))
      do.call(stats::optim, args)
    }
  }
  n <- length(x$par)
  function(d, start) {
    res <- catch_user(user(d, start), function(e) e)
    if (inherits(res, "error")) return(failed_replicate(error_text(res)))
    p <- if (is.list(res)) res$par else res
    conv <- if (is.list(res) && !is.null(res$convergence)) res$convergence else 0
    if (!is.numeric(p) || length(p) != n) {
      return(failed_replicate(sprintf("refit returned %s, not %d estimates",
                                      describe_value(p), n)))
    }
    list(value = as.double(p), status = if (conv == 0) "ok" else "not_converged",
         message = NA_character_)
  }
}

# Run one(r) for r = 1..R, each with its own L'Ecuyer-CMRG stream; one() returns
# list(value (length m), status, message).
run_replicates <- function(one, R, m, parallel, ncpus, cl, seed, progress) {
  if (!is.numeric(ncpus) || length(ncpus) != 1L || ncpus < 1 || ncpus != round(ncpus)) {
    hc_abort("bad_ncpus", "`ncpus` must be a whole number >= 1.")
  }
  if (!is.null(seed) && (!is.numeric(seed) || length(seed) != 1L || !is.finite(seed))) {
    hc_abort("bad_seed", "`seed` must be a single number, or NULL.")
  }
  # Keep the caller's random-number state.
  had_seed <- exists(".Random.seed", envir = globalenv(), inherits = FALSE)
  old_seed <- if (had_seed) get(".Random.seed", envir = globalenv())
  old_kind <- RNGkind()
  on.exit({
    RNGkind(old_kind[1L], old_kind[2L], old_kind[3L])
    if (had_seed) assign(".Random.seed", old_seed, envir = globalenv())
  }, add = TRUE)
  if (is.null(seed)) seed <- sample.int(.Machine$integer.max, 1L)
  seed <- as.integer(seed)
  RNGkind("L'Ecuyer-CMRG")
  set.seed(seed)
  streams <- vector("list", R)
  s <- get(".Random.seed", envir = globalenv())
  for (r in seq_len(R)) streams[[r]] <- s <- parallel::nextRNGStream(s)

  task <- function(r, set_seed = TRUE) {
    if (set_seed) assign(".Random.seed", streams[[r]], envir = globalenv())
    one(r)
  }
  res <- switch(parallel,
    no = {
      bar <- if (isTRUE(progress) && R > 1L) utils::txtProgressBar(0, R, style = 3)
      out <- vector("list", R)
      for (r in seq_len(R)) {
        out[[r]] <- task(r)
        if (!is.null(bar)) utils::setTxtProgressBar(bar, r)
      }
      if (!is.null(bar)) close(bar)
      out
    },
    multicore = {
      if (.Platform$OS.type == "windows") {
        hc_abort("bad_parallel", "parallel = \"multicore\" needs forking, which Windows lacks: use \"snow\" or \"future\".")
      }
      parallel::mclapply(seq_len(R), task, mc.cores = ncpus, mc.preschedule = TRUE)
    },
    snow = {
      if (is.null(cl)) {
        cl <- parallel::makeCluster(ncpus)
        on.exit(parallel::stopCluster(cl), add = TRUE)
      } else if (!inherits(cl, "cluster")) {
        hc_abort("bad_parallel", "`cl` must be a cluster from parallel::makeCluster().")
      }
      parallel::parLapply(cl, seq_len(R), task)
    },
    future = {
      if (!requireNamespace("future.apply", quietly = TRUE)) {
        hc_abort("bad_parallel", "parallel = \"future\" needs the future.apply package: install.packages(\"future.apply\").")
      }
      future.apply::future_lapply(seq_len(R), task, set_seed = FALSE,
                                  future.seed = streams)
    }
  )
  values <- matrix(NA_real_, R, m)
  status <- character(R)
  msgs <- character(R)
  for (r in seq_len(R)) {
    o <- res[[r]]
    if (inherits(o, "try-error") || !is.list(o)) {
      status[r] <- "failed"
      msgs[r] <- as.character(o)
      next
    }
    status[r] <- o$status
    msgs[r] <- o$message
    if (length(o$value) == m) values[r, ] <- o$value
  }
  msgs <- msgs[status == "failed" & !is.na(msgs)]
  list(values = values, status = status, messages = table(msgs, dnn = NULL), seed = seed)
}

# Monte-Carlo standard error of a standard deviation from R draws:
# var(s) ~ (mu4 - sigma^4) / (4 sigma^2 R) (delta method).
sd_mc_error <- function(reps) {
  apply(reps, 2L, function(v) {
    v <- v[is.finite(v)]
    k <- length(v)
    if (k < 3L) return(NA_real_)
    d <- v - mean(v)
    s2 <- mean(d^2)
    m4 <- mean(d^4)
    sqrt(max(m4 - s2^2, 0) / (4 * s2 * k))
  })
}
