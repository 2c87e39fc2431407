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
#' @section Failures:
#' A replicate fails, with its reason counted in `messages` and in the print, when
#' `resample`, `simulate` or the refit throws an error, when the refit returns something
#' other than `n` finite estimates (`NA` or `NaN` estimates, a list without `par`) or a
#' convergence code that is not a single number (`NA`, `c(0, 1)`, `list()`), and when the
#' worker process running it dies (under `"multicore"`, `"snow"` or `"future"`). In the
#' last case the other replicates still complete, with the same values as without the
#' failure (each has its own random-number stream); replicates that shared the dead
#' worker's batch are run again, and a warning of class `hesscheck_warning_worker_died`
#' says what happened. A `"snow"` node that dies is replaced by a new local worker (for
#' a cluster passed in `cl`, for the rest of the call only: `cl` itself cannot be used as
#' a whole any more, the warning says which node, and `cl[-k]` keeps the others);
#' replicates left should no node be left fail as "not run", not as lost with a worker.
#' The workers of a `"future"` plan are restarted. Only the replicate counts are kept: a
#' replicate run in this process (`parallel = "no"`) that kills the process ends the
#' session.
#'
#' Every argument is checked first (classed errors `hesscheck_error_*`), and a run whose
#' results would not fit in memory (a huge `R`) stops with `hesscheck_error_too_large`.
#'
#' @section Warnings:
#' Warnings raised while a replicate is drawn and refitted (`NaNs produced` from a
#' density evaluated outside its support, say) are not signalled one by one: they are
#' kept, per replicate, in the result's `warnings`, and one warning of class
#' `hesscheck_warning_replicates_warned` sums them up, as in "127 of 200 refits warned:
#' NaNs produced (first at replicate 3)". The same on every backend.
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
#' `"snow"` and `"future"` workers get `fn`, `gr`, `resample`, `simulate` and `refit`
#' with the objects they use from the global environment, the helpers those call in turn
#' included (found with the globals package); packages they call must be installed
#' there. Warnings raised on a worker are kept with its replicate's result, as in this
#' process (see "Warnings"). Fits whose objective works on compiled objects of this
#' session (lme4, TMB; see [check_fit()]) run on `"no"` and `"multicore"` only.
#'
#' @param x A `"hesscheck"` object from [check_fit()].
#' @param data The name of the argument of `fn` (passed through `...` to [check_fit()])
#'   that holds the data, or the names of several (`c("X", "y")`), which are then
#'   resampled jointly by rows; `resample`, `simulate` and `refit` are then given, and
#'   return, a named list of them. `NULL` (the default) takes the arguments that
#'   [check_fit()]'s method for a fitted model recorded (a `glm`'s `X`, `y`, `weights`
#'   and `offset`, a formula model's `data`); for other fits, give it.
#' @param R Number of replicates.
#' @param resample Optional `function(data)` returning a resampled data set; by default
#'   the rows of a data frame or matrix, or the elements of a vector (or list), are
#'   drawn with replacement, the same rows for every argument named in `data`.
#' @param cluster Optional groups for the default resampling: one label per row of the
#'   data, or the name of a column of a data frame in `data`. Whole groups are then drawn
#'   with replacement, each with all its rows (a cluster bootstrap); a column named
#'   here is relabelled by draw, so that a group drawn twice is two groups in the refit
#'   (as a mixed model's grouping factor must be). For a mixed model (`merMod`,
#'   `glmmTMB`) `NULL` means its top-level grouping factor, the one its other grouping
#'   factors are nested in (the print says so); a fit with crossed grouping factors
#'   (none nested in the others) stops with an error of class
#'   `hesscheck_error_crossed_groups` that shows the parametric bootstrap,
#'   `bootstrap_se(x, simulate = x$problem$simulate)`, unless `cluster` is given.
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
#' @param force Run even when [check_fit()] says the point is not smooth, not
#'   identified, a maximum, a saddle or not stationary: without it such a fit stops with
#'   a `hesscheck_error_bad_verdict`, since the replicates would describe nothing (refits
#'   that wander off to other points, or along a ridge).
#' @return An object of class `"hesscheck_boot"`: a list with `replicates` (an `R` x
#'   `n` matrix, `NA` rows for failed replicates), `status` (`"ok"`, `"not_converged"`
#'   or `"failed"` per replicate: an error in `resample`, `simulate` or the refit fails
#'   that replicate only), `messages` (the error messages of failed replicates, counted),
#'   `se` (standard deviation over the converged replicates), `mc_error` (Monte-Carlo
#'   standard error of `se`), `ci` (95% percentile intervals: the 2.5% and 97.5%
#'   quantiles), `type`
#'   (`"nonparametric"` or `"parametric"`), `R`, `seed`, `parallel`, `estimate`,
#'   `force`, `verdict` (check_fit's, printed in the header), `cluster` (`NULL`, or for
#'   a cluster bootstrap a list with the `name` of the grouping column, the number of
#'   `groups` and whether it was the `default` of a mixed model) and `warnings` (a data
#'   frame with the `replicate` and `message` of every warning the replicates gave) and
#'   `hessian_se` (check_fit()'s standard errors, for the plot).
#'   `plot()` shows a histogram of each parameter's replicates with the normal density
#'   of the Hessian's standard error over it, and returns the data it drew, invisibly.
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
bootstrap_se <- function(x, data = NULL, R = 999, resample = NULL, simulate = NULL,
                         refit = NULL, method = NULL, control = list(), cluster = NULL,
                         parallel = c("no", "multicore", "snow", "future"), ncpus = 1L,
                         cl = NULL, seed = NULL, progress = interactive(), force = FALSE) {
  args <- check_replicate_args(x, data, R, parallel, force, progress, "bootstrap_se")
  R <- args$R
  dat <- args$dat
  data <- args$data
  parallel <- args$parallel
  if (!is.null(resample)) resample <- check_function(resample, "resample")
  if (!is.null(simulate)) simulate <- check_function(simulate, "simulate")
  if (!is.null(refit)) refit <- check_function(refit, "refit")
  # snow and future workers get the user's functions with the objects they use
  if (parallel %in% c("snow", "future")) {
    x <- ship_problem(x, parallel)
    resample <- with_globals(resample)
    simulate <- with_globals(simulate)
    refit <- with_globals(refit)
  }
  refit <- make_refit(x, data, refit, method, control)
  # the fit's own state (lme4, TMB) as it was, also after an error
  restore <- hold_state(x$problem)
  on.exit(restore(), add = TRUE)
  par <- x$par
  if (!is.null(cluster) && (!is.null(resample) || !is.null(simulate))) {
    hc_abort("bad_cluster", "`cluster` applies to the default resampling: leave it out with `resample` or `simulate`.")
  }
  by_default <- is.null(cluster) && is.null(resample) && is.null(simulate)
  if (by_default) cluster <- default_cluster(x, "bootstrap_se")
  column <- if (is.character(cluster) && length(cluster) == 1L) cluster
  cluster <- check_cluster(cluster, dat, data)
  groups <- if (!is.null(cluster)) list(
    name = if (is.null(column)) "(the labels given)" else column,
    groups = length(unique(cluster)), default = by_default)
  if (is.null(simulate) && is.null(resample)) resample <- default_resample(dat, data, cluster, column)
  one <- function(r) {
    d <- if (is.null(simulate)) generated(resample, "resample", dat) else
      generated(simulate, "simulate", par, dat)
    if (inherits(d, "hesscheck_failed")) return(d)
    refit(d, par)
  }
  out <- run_replicates(one, R, length(par), parallel, ncpus, cl, seed, progress, "refits")
  reps <- out$values
  colnames(reps) <- names(par)
  ok <- out$status == "ok"
  se <- apply(reps[ok, , drop = FALSE], 2L, stats::sd)
  ci <- t(apply(reps[ok, , drop = FALSE], 2L, stats::quantile,
                probs = c(0.025, 0.975), names = FALSE))
  dimnames(ci) <- list(names(par), c("2.5 %", "97.5 %"))
  structure(list(
    replicates = reps, status = out$status, messages = out$messages, se = se,
    mc_error = sd_mc_error(reps[ok, , drop = FALSE]), ci = ci,
    type = if (is.null(simulate)) "nonparametric" else "parametric",
    R = R, seed = out$seed, parallel = parallel, estimate = par, force = force,
    verdict = x$verdict, cluster = groups, warnings = out$warnings,
    hessian_se = stats::setNames(x$table$se, names(par))
  ), class = "hesscheck_boot")
}
