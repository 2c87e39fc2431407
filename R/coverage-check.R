#' Coverage of confidence intervals by simulation: Wald, profile and percentile
#'
#' Simulates data sets from the fitted model at the estimate, refits each, computes the
#' Hessian-based standard errors there with [hessian_fd()], and reports per parameter the
#' empirical coverage of the Wald intervals (with its Monte-Carlo error) and the ratio of
#' the mean standard error to the standard deviation of the estimates: the simulation
#' study that tells whether these standard errors deserve trust. In the same simulation
#' it can count the coverage of the profile-likelihood and bootstrap percentile intervals
#' too (`intervals`).
#'
#' A parameter without a Wald standard error at the estimate (on a bound, not identified:
#' `check_fit()` gives it none) has no Wald interval to count: its coverage, Monte-Carlo
#' error and SE ratio are `NA`, and the table's `note` says why, instead of a coverage of
#' 1 from intervals that mean nothing. Warnings from the replicates are kept and summed
#' up in one warning, as in [bootstrap_se()] (see its section "Warnings").
#'
#' @inheritParams bootstrap_se
#' @param data The name of the argument of `fn` (passed through `...` to [check_fit()])
#'   that holds the data, or the names of several (`c("X", "y")`); each simulated data
#'   set, returned by `simulate` in the same shape (a named list of them for several),
#'   takes its place in the refit and in the Hessian there. `NULL` (the default) takes
#'   the arguments that [check_fit()]'s method for a fitted model recorded (a `glm`'s
#'   `X`, `y`, `weights` and `offset`, a formula model's `data`); for other fits, give
#'   it.
#' @param cluster For the `"percentile"` intervals only: the groups their bootstrap
#'   resamples whole, as in [bootstrap_se()] (by default a mixed model's top-level
#'   grouping factor; crossed grouping factors need it given).
#' @param simulate `function(par, data)` returning a data set simulated from the model at
#'   `par` (required: without it, a classed error shows a call that works).
#' @param level Nominal coverage of the intervals.
#' @param intervals The intervals whose coverage is counted, in the same simulation:
#'   any of `"wald"` (always computed), `"profile"` (the profile-likelihood intervals of
#'   [profile_ci()] at each refitted estimate) and `"percentile"` (bootstrap percentile
#'   intervals from `boot_R` non-parametric resamples of each simulated data set, drawn
#'   as [bootstrap_se()] draws them, refitted with `refit`).
#' @param boot_R Number of bootstrap resamples per simulated data set for
#'   `"percentile"`.
#' @return An object of class `"hesscheck_coverage"`: a list with `table` (a data frame
#'   per parameter: `coverage`, `mc_error`, `se_ratio` = mean SE / SD of the estimates,
#'   `bias`, `note`: why the coverage is `NA`, where it is), `warnings` (every warning of the
#'   replicates, with its `replicate`), `cluster` (as in [bootstrap_se()], for the
#'   percentile intervals), `estimates` and `se` (`R` x `n` matrices), `status`,
#'   `messages`, `level`, `R`, `seed`, `used`, `force`, and `intervals`: a data frame
#'   with one row per
#'   parameter and interval type (`parameter`, `interval`, `coverage`, `mc_error`,
#'   `used`: the replicates where that interval could be computed), and `limits`: per
#'   interval type other than Wald, the `R` x `n` matrices `lower` and `upper`. A
#'   replicate whose `simulate` or refit fails has status
#'   `"failed"`; one whose Hessian cannot be computed or inverted has `NA` SEs; neither
#'   counts towards the coverage (`used` is the number that do). Failures are handled as
#'   in [bootstrap_se()] (see its section "Failures"). `plot()` shows each interval's
#'   coverage with its Monte-Carlo error bar against the nominal level, and returns the
#'   data it drew, invisibly.
#' @examples
#' set.seed(1)
#' y <- rnorm(40, 10, 2)
#' nll <- function(p, y) -sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
#' mle <- c(mu = mean(y), log_sd = log(sqrt(mean((y - mean(y))^2))))
#' x <- check_fit(mle, nll, y = y)
#' sim <- function(par, data) rnorm(length(data), par[1], exp(par[2]))
#' coverage_check(x, "y", sim, R = 50, seed = 1)
#' @export
coverage_check <- function(x, data = NULL, simulate, R = 200, level = 0.95,
                           intervals = "wald", boot_R = 199L, refit = NULL,
                           method = NULL, control = list(),
                           parallel = c("no", "multicore", "snow", "future"), ncpus = 1L,
                           cl = NULL, seed = NULL, progress = interactive(),
                           force = FALSE, cluster = NULL) {
  if (missing(simulate)) {
    check_hesscheck(x)
    missing_simulate(x, data)
  }
  args <- check_replicate_args(x, data, R, parallel, force, progress, "coverage_check")
  R <- args$R
  dat <- args$dat
  data <- args$data
  parallel <- args$parallel
  simulate <- check_function(simulate, "simulate")
  check_level(level)
  kinds <- check_intervals(intervals)
  boot_R <- check_whole(boot_R, "boot_R", "bad_R", 2)
  if (!is.null(refit)) refit <- check_function(refit, "refit")
  # snow and future workers get the user's functions with the objects they use
  if (parallel %in% c("snow", "future")) {
    x <- ship_problem(x, parallel)
    simulate <- with_globals(simulate)
    refit <- with_globals(refit)
  }
  pc <- percentile_cluster(x, kinds, cluster, dat, data)
  cluster <- pc$cluster
  refit <- make_refit(x, data, refit, method, control)
  # the fit's own state (lme4, TMB) as it was, also after an error
  restore <- hold_state(x$problem)
  on.exit(restore(), add = TRUE)
  par <- x$par
  n <- length(par)
  pr <- x$problem
  one <- function(r) {
    d <- generated(simulate, "simulate", par, dat)
    if (inherits(d, "hesscheck_failed")) return(d)
    fitted <- refit(d, par)
    if (inherits(fitted, "hesscheck_failed")) return(fitted)
    dots <- with_data(pr$dots, data, d)
    # A Hessian that cannot be computed at the refitted estimate leaves its SEs NA: the
    # replicate then does not count towards the coverage.
    H <- NULL
    se <- catch_user({
      H <- hessian_fd(checked_fn(pr, dots), fitted$value, lower = pr$lower,
                      upper = pr$upper)
      sqrt(diag(chol2inv(chol(as.matrix(H)))))
    }, function(e) rep(NA_real_, n))
    extra <- replicate_intervals(x, kinds, fitted$value, H, dots, data, d, refit, boot_R,
                                 level, cluster)
    fitted$value <- c(fitted$value, se, extra)
    fitted
  }
  out <- run_replicates(one, R, 2L * n * length(kinds), parallel, ncpus, cl, seed, progress,
                        "replicates")
  wald <- wald_coverage(x, out, level)
  iv <- interval_coverage(out, kinds, wald$estimates, wald$se, par, wald$q)
  structure(list(table = wald$table, estimates = wald$estimates, se = wald$se,
                 status = out$status, messages = out$messages, level = level, R = R,
                 seed = out$seed, used = wald$used, force = force, verdict = x$verdict,
                 intervals = iv$table, limits = iv$limits, cluster = pc$groups,
                 warnings = out$warnings),
            class = "hesscheck_coverage")
}

# The percentile intervals' bootstrap: by whole groups when asked (`cluster`), or by a
# mixed model's top-level grouping factor; `cluster` given without "percentile" among
# the `kinds` is an error. Returns list(cluster, groups), `groups` describing the groups
# for the result (NULL for rows).
percentile_cluster <- function(x, kinds, cluster, dat, data) {
  groups <- NULL
  if ("percentile" %in% kinds) {
    if (is.null(cluster)) {
      cluster <- default_cluster(x, "coverage_check", instead = paste(
        "count the Wald and profile intervals only: coverage_check(x, simulate = x$problem$simulate,",
        "intervals = c(\"wald\", \"profile\")), x being this check_fit() result"))
      by_default <- TRUE
    } else {
      by_default <- FALSE
    }
    labels <- check_cluster(cluster, dat, data)
    if (!is.null(labels)) {
      groups <- list(name = if (is.character(cluster) && length(cluster) == 1L) cluster else
        "(the labels given)", groups = length(unique(labels)), default = by_default)
    }
  } else if (!is.null(cluster)) {
    hc_abort("bad_cluster", "`cluster` applies to the \"percentile\" intervals' bootstrap: leave it out, or add \"percentile\" to `intervals`.")
  }
  list(cluster = cluster, groups = groups)
}

# The Wald intervals' coverage at x's estimate over the replicates `out` of
# run_replicates() (estimates, then SEs): returns list(table, estimates, se, used, q),
# the R x n matrices, the replicates counted and the normal quantile of `level`.
wald_coverage <- function(x, out, level) {
  par <- x$par
  n <- length(par)
  # Parameters without a Wald SE at the estimate (on a bound, not identified): no Wald
  # interval to count.
  no_se <- is.na(x$table$se)
  est <- out$values[, seq_len(n), drop = FALSE]
  se <- out$values[, n + seq_len(n), drop = FALSE]
  se[, no_se] <- NA_real_
  colnames(est) <- colnames(se) <- names(par)
  ok <- out$status == "ok" & stats::complete.cases(se[, !no_se, drop = FALSE])
  q <- stats::qnorm(1 - (1 - level) / 2)
  covered <- abs(est[ok, , drop = FALSE] - rep(par, each = sum(ok))) <=
    q * se[ok, , drop = FALSE]
  cov <- colMeans(covered)
  table <- data.frame(
    coverage = cov, mc_error = sqrt(cov * (1 - cov) / sum(ok)),
    se_ratio = colMeans(se[ok, , drop = FALSE]) / apply(est[ok, , drop = FALSE], 2L, stats::sd),
    bias = colMeans(est[ok, , drop = FALSE]) - par,
    note = ifelse(no_se, sprintf("no Wald SE at the estimate (%s)",
                                 sub("^NA: ", "", x$table$status)), ""),
    row.names = names(par), stringsAsFactors = FALSE
  )
  table$coverage[no_se] <- table$mc_error[no_se] <- table$se_ratio[no_se] <- NA_real_
  list(table = table, estimates = est, se = se, used = sum(ok), q = q)
}

# coverage_check() called without `simulate`: a classed error that says what it is for
# and shows a call that runs, with this fit's data argument and a simulate built for its
# data's shape (it resamples the data, which a simulator of the model should replace).
missing_simulate <- function(x, data) {
  if (is.null(data)) data <- x$problem$data
  nm <- names(x$problem$dots)
  nm <- nm[!is.na(nm) & nzchar(nm)]
  if (!is.character(data) || length(data) != 1L || !data %in% nm) {
    data <- if (length(nm)) nm[[1L]] else NULL
  }
  example <- if (is.null(data)) {
    "pass the data to check_fit() as a named argument of fn (e.g. y = y), then coverage_check(x, data = \"y\", simulate = function(par, data) <a data set like data, simulated at par>)"
  } else {
    d <- x$problem$dots[[data]]
    draw <- if (is.data.frame(d) || is.matrix(d)) {
      "data[sample.int(nrow(data), replace = TRUE), , drop = FALSE]"
    } else "data[sample.int(length(data), replace = TRUE)]"
    sprintf("for example coverage_check(x, data = \"%s\", simulate = function(par, data) %s) runs (it resamples the data; a function that simulates from the model at par is the real check)",
            data, draw)
  }
  hc_abort("missing_argument", sprintf(
    "`simulate` is missing, with no default: coverage_check() refits the model to data sets simulated from it at the estimate, so it needs a function(par, data) that returns one, shaped like the data; %s.",
    example), argument = "simulate")
}

# ---- profile and bootstrap-percentile intervals in the same simulation ----------------

interval_kinds <- c("wald", "profile", "percentile")

check_intervals <- function(intervals) {
  if (!is.character(intervals) || !length(intervals) || anyNA(intervals) ||
      !all(intervals %in% interval_kinds)) {
    hc_abort("bad_intervals", sprintf("`intervals` must be some of %s.",
                                      paste0("\"", interval_kinds, "\"", collapse = ", ")))
  }
  interval_kinds[interval_kinds %in% c("wald", intervals)]
}

# The lower and upper limits (2 n values per kind other than Wald, NA where an interval
# could not be computed) of the profile and percentile intervals of one simulated data
# set d, at its refitted estimate p with Hessian H.
replicate_intervals <- function(x, kinds, p, H, dots, data, d, refit, boot_R, level,
                                cluster = NULL) {
  n <- length(p)
  out <- numeric()
  names(p) <- names(x$par)
  if ("profile" %in% kinds) {
    lim <- rep(NA_real_, 2L * n)
    if (!is.null(H)) {
      pr <- x$problem
      at_bound <- ifelse(p <= pr$lower, -1L, ifelse(p >= pr$upper, 1L, 0L))
      pb <- catch_user(profile_problem(x, dots = dots, par = p, H = as.matrix(H),
                                       at_bound = at_bound), function(e) NULL)
      if (!is.null(pb)) {
        for (j in seq_len(n)) {
          r <- profile_one(pb, j, level, profile_defaults)
          lim[c(j, n + j)] <- c(r$lower$limit, r$upper$limit)
        }
      }
    }
    out <- c(out, lim)
  }
  if ("percentile" %in% kinds) {
    column <- if (is.character(cluster) && length(cluster) == 1L) cluster
    resample <- default_resample(d, data, check_cluster(cluster, d, data), column)
    reps <- matrix(NA_real_, boot_R, n)
    for (b in seq_len(boot_R)) {
      fb <- refit(resample(d), p)
      if (!inherits(fb, "hesscheck_failed") && identical(fb$status, "ok")) reps[b, ] <- fb$value
    }
    a <- (1 - level) / 2
    lim <- apply(reps, 2L, function(v) {
      v <- v[is.finite(v)]
      if (length(v) < 2L) c(NA_real_, NA_real_) else
        stats::quantile(v, c(a, 1 - a), names = FALSE)
    })
    out <- c(out, lim[1L, ], lim[2L, ])
  }
  out
}

# Coverage of each kind of interval over the replicates where it could be computed.
interval_coverage <- function(out, kinds, est, se, par, q) {
  n <- length(par)
  rows <- list()
  limits <- list()
  ok_rep <- out$status == "ok"
  add <- function(kind, lo, up) {
    for (j in seq_len(n)) {
      use <- ok_rep & !is.na(lo[, j]) & !is.na(up[, j])
      k <- sum(use)
      cov <- if (k) mean(lo[use, j] <= par[[j]] & par[[j]] <= up[use, j]) else NA_real_
      rows[[length(rows) + 1L]] <<- data.frame(
        parameter = names(par)[j], interval = kind, coverage = cov,
        mc_error = if (k) sqrt(cov * (1 - cov) / k) else NA_real_, used = k,
        stringsAsFactors = FALSE)
    }
  }
  add("wald", est - q * se, est + q * se)
  col <- 2L * n
  for (kind in setdiff(kinds, "wald")) {
    lo <- out$values[, col + seq_len(n), drop = FALSE]
    up <- out$values[, col + n + seq_len(n), drop = FALSE]
    colnames(lo) <- colnames(up) <- names(par)
    limits[[kind]] <- list(lower = lo, upper = up)
    add(kind, lo, up)
    col <- col + 2L * n
  }
  table <- do.call(rbind, rows)
  rownames(table) <- NULL
  list(table = table, limits = limits)
}
