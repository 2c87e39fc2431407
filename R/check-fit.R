#' Diagnose an optimiser's result: can its Hessian-based standard errors be trusted?
#'
#' Computes an accurate Hessian and gradient at the estimate with [hessian_fd()], then
#' classifies the point and reports what it finds in words that name the parameters
#' involved: a kink (no Hessian), a function too noisy for differences, no finite
#' estimate (separation: `fn` falls towards an asymptote as parameters run off to
#' infinity) or none at all (`fn` unbounded below: a log-likelihood minimised by
#' mistake), flat directions (parameters that are not identified, and which functions of
#' them are), an estimate that is not stationary (measured in standard errors), a
#' maximum (a log-likelihood maximised without `fnscale = -1`), a saddle and the point
#' along which `fn` decreases, a parameter on a bound, a weakly identified or an
#' ill-conditioned minimum. Standard errors are given only where they mean something,
#' and a standard error shown at a point the verdict rejects says why it is not valid.
#'
#' @section How the verdict is reached:
#' One verdict, decided in R from one table of verdicts (`hesscheck:::verdict_table`:
#' its wording, its order and whether standard errors mean anything there). The Hessian
#' `H` is scaled to `D^-1/2 H D^-1/2`, `D` its diagonal (a diagonal that is zero within
#' its error takes the scale of its largest off-diagonal element; with none, `fn` does not
#' depend on the parameter, unless `fn` has a kink along its axis), so that its
#' eigenvalues do not depend on the units of the parameters. Each eigenvalue has an error
#' bar from the Hessian's element errors: the smaller of the first-order bound
#' `|v|' E |v|` and Weyl's bound `||E||`, and at least `64 eps` times the largest
#' eigenvalue: an eigenvalue below what the rounding of `fn` and its data can resolve is
#' zero (an aliased column is not identified, whether its factor is exact in binary or
#' not). A direction whose eigenvalue is within three error bars of zero, uncertain by
#' more than `1e-4` of itself, or below `1e-3` of the largest is asked of `fn` itself:
#' from the Newton point over the certain directions, second differences along it with
#' steps that balance truncation against `fn`'s noise give its curvature and error
#' (Rayleigh-Ritz on the subspace of such directions). These replace the Hessian's
#' unless every such direction was asked only for its precision (its sign certain, its
#' curvature not small), `fn` agrees with the Hessian there within both error bars and
#' measures none of them more precisely: second differences of `fn` are often coarser
#' than a Hessian from differences of the gradient, and their noise would rotate the
#' Hessian's directions. Second differences that halve as the step doubles are a kink (as
#' is the engine's status `"kink"`).
#'
#' Along every direction still flat or undecided (and every tiny negative curvature),
#' the **profile** decides: `fn` stepped along the direction (1, 4 and 16 scaled units
#' each way) with the other parameters re-minimised by Newton steps with the Hessian we
#' have (each Newton step from the curvatures measured where it is taken). Constant
#' within `fn`'s noise: a ridge, not identified (constant on both sides out to some
#' distance, then rising on one side only: a ridge that ends further out). Falling: a
#' (degenerate) saddle, whose lowest point is `x$escape`; falling all the way out: a
#' drift. Rising quadratically: identified; rising at fourth order only: a weakly
#' identified minimum (whatever the sign of its tiny curvature).
#'
#' **Drift** (no finite estimate) is searched along the flat directions' profiles, the
#' direction of the estimate itself (`fn` at 2, 4, 8 and 16 times the estimate, when
#' doubling it would raise `fn` by less than 1 on the Hessian's prediction: complete
#' separation), the subspace of the flattest directions (curvature below `1e-4` of the
#' largest) as a whole: the Newton step over it, from `fn`'s slopes along it, walked out
#' to 64 such steps with the other parameters re-minimised (quasi-separation, where the
#' drift runs along a combination of coefficients and the null space can have several
#' dimensions; where `fn` falls like `exp(-eta)`, each Newton step moves the separated
#' linear predictors by about one unit); and each estimate beyond 5 in absolute value
#' with a larger standard error, doubled (a zero-inflation logit or a log-SD whose
#' maximum-likelihood value is at 0 on its natural scale). `fn` must never rise along the
#' way; falls that shrink are an asymptote (no finite estimate), falls that do not are
#' unbounded (`fn` has no minimum: a log-likelihood minimised, say). And, whatever noise
#' leaves the curvature along it undecided, an estimate beyond 5 **at its edge**: along a
#' flat direction whose profile did not decide, along the axis of a parameter `fn` seems
#' not to depend on at the estimate, or (without a positive definite Hessian) along its
#' own axis where its standard error with the others held fixed exceeds it, `fn` rises
#' beyond its noise at half the estimate, and further at a quarter, while at twice the
#' estimate it rises by no more than its noise and moves by at most 1/8 of that rise (a
#' variance or a probability on a log or logit scale effectively at 0: a log-SD at -16
#' is an SD of 1e-7). A direction that
#' tilts a drift either way (by a quarter of its length) without stopping it belongs to
#' the drift: the rest of the flattest subspace, and the axes of the other parameters (a
#' slope informed only by separated cells is carried off with them); its parameters have
#' no finite estimate either.
#'
#' Where directions are flat or drift, parameters orthogonal to them (in the scaled
#' coordinates; for a drift, to its directions and the flat ones it runs along, not to an
#' ill-conditioned but finite direction beside it) keep their standard errors, `sqrt(c' H^+ c)` over the other directions
#' (estimable functions; the same for any generalised inverse); the others have none. A
#' flat direction of two parameters proportional to their estimates `(a, -b)` on a
#' curved ridge leaves only `a*b` identified, one proportional to `(a, b)` only `a/b`,
#' and one along the curve `exp(k1 a) + exp(k2 b) = const` (`k = 1` for a log-variance,
#' `2` for a log-SD), where `fn` is unchanged with the sum split 1:9 and 9:1, only that
#' sum of variances (a residual variance and an observation-level random effect's).
#' `fn`'s measured noise above `1e-6` of `|fn|` with Hessian elements it leaves
#' unresolved is too noisy (a simulated likelihood re-seeded on every call).
#'
#' The estimate is not stationary if the Newton step `-solve(H, g)` (with `|curvature|`,
#' so that it is defined at a saddle too) exceeds `tol_step` standard errors in some
#' parameter and three times its own uncertainty. The verdict is the first of: not
#' smooth, too noisy, unbounded, no finite estimate, not identified, not stationary
#' beyond one standard error (the curvature there says little about the optimum),
#' maximum, saddle, not stationary, at bound, weakly identified, ill-conditioned,
#' minimum. The thresholds and their meanings are listed in `hesscheck:::hc_thresholds`.
#'
#' @param fit The optimiser's result: from [stats::optim()], [stats::nlminb()] or
#'   [stats::nlm()], or a plain numeric vector of estimates. Parameter names come from
#'   the fit, else `p1`, `p2`, ....
#' @param fn The objective the optimiser was given, called as `fn(par, ...)`.
#' @param ... Further arguments passed to `fn` and `gr`, as [stats::optim()] does.
#' @param gr Optional gradient of `fn`; the Hessian then comes from its differences.
#' @param lower,upper Bounds used in the fit (length 1 or one per parameter); `NULL`
#'   means none.
#' @param fnscale As in [stats::optim()]'s `control`: a negative value means `fn` was
#'   maximised (a log-likelihood), and the check works on `-fn`. Only its sign is used.
#' @param parallel,ncpus,cl Evaluate the Hessian's stencil on a parallel backend, as in
#'   [hessian_fd()] (`"no"`, the default, evaluates one point at a time); for objectives
#'   that take milliseconds or more. The same settings in `control$hessian` work too.
#'   `fn`'s points along the directions asked of it (their noise, the Newton steps over
#'   the other directions, the second differences along them, the profiles' Newton steps)
#'   go to the same backend in batches, counted and shown in the progress bar here, with
#'   the same points as serial mode, hence the same values where fn depends on its
#'   arguments only (`"multicore"` forks its workers for them once, when
#'   first asked; `"snow"` without `cl` starts one cluster for the whole check). The
#'   objective of an lme4 or TMB fit keeps state between calls (where its inner
#'   optimisation starts): it is asked along directions here, in serial mode's order.
#' @param fn_obs Optional `function(par, ...)` returning the per-observation
#'   contributions whose sum is `fn` (called with the same `...`); kept in
#'   `x$problem$fn_obs`, so that [compare_se()] shows the sandwich standard errors by
#'   default. The methods for fitted models build it themselves where the contributions
#'   are known (see "Fits from other packages").
#' @param control A list of settings:
#'   * `refine` (`FALSE`): take safeguarded Newton steps with the accurate Hessian until
#'     the estimate is stationary, and report how far it moved; a step is halved until
#'     `fn` does not increase, and refinement stops when the steps grow (`fn` may then
#'     be unbounded along them, or a bound is missing);
#'   * `refine_maxit` (`10`): at most this many Newton steps;
#'   * `escape` (`TRUE`): at a saddle, search along each direction of negative curvature
#'     for a lower value of `fn` and return a restart point;
#'   * `level` (`0.95`): confidence level of the Wald intervals;
#'   * `tol_ill` (`1e8`): condition number (of the scaled Hessian) above which it is
#'     called ill-conditioned;
#'   * `tol_step` (`0.05`): Newton step, in standard errors, above which the estimate
#'     is not stationary;
#'   * `tol_bound` (`1e-3`): a parameter closer than this to a bound, in units of
#'     `1 / sqrt(H[i, i])`, is on it;
#'   * `hessian`: a list of `control` settings passed to [hessian_fd()].
#' @return An object of class `"hesscheck"`, a list with
#'   * `verdict`: the most serious finding's type: one of `"not_smooth"`,
#'     `"too_noisy"`, `"unbounded"`, `"no_finite_estimate"`, `"not_identified"`,
#'     `"maximum"`, `"saddle"`, `"not_stationary"`, `"at_bound"`, `"weakly_identified"`,
#'     `"ill_conditioned"`, `"minimum"`;
#'   * `findings`: a data frame with columns `type`, `severity` (`"error"`, `"warning"`,
#'     `"note"`), `parameters` (comma-separated names) and `message`;
#'   * `table`: a data frame with one row per parameter: `estimate`, `se`, `z`, `lower`,
#'     `upper` (Wald interval) and `status` (why the SE is `NA`, where it is; that it is
#'     `"estimable"` where other directions are flat; why it is not valid where it is
#'     shown at a point the verdict rejects);
#'   * `par`: the estimates (after refinement, if asked for); `value`: `fn` there;
#'   * `gradient`, `gradient_error`: the gradient of the function checked (`fn` times the
#'     sign of `fnscale`) and its error estimate;
#'   * `hessian`: the [hessian_fd()] result for the function checked;
#'   * `vcov`: the inverse Hessian of the free parameters where it is positive definite,
#'     else `NULL`;
#'   * `eigen`: a list with `values` (curvatures of the scaled Hessian of the free
#'     parameters that enter `fn`, ascending), `vectors`, `uncertainty` (error bars),
#'     `sign` (`-1`, `0`, `1`), `parameters`, `source` (`"hessian"`, `"fn"` where
#'     measured with `fn` along the direction, `"profile"` where its profile decided),
#'     `scale` (the free parameters' scales), and `hessian_values` and
#'     `hessian_uncertainty` (from the Hessian alone);
#'   * `se_uncertainty`: relative uncertainty of each standard error, from the error
#'     bars; `condition`: the scaled condition number (`NA` unless positive definite);
#'   * `newton`: the Newton step `-solve(H, g)` and its size in standard errors (`z`),
#'     with `scaled_gradient`, lme4's `max(abs(solve(chol(H), g)))`;
#'   * `at_bound`: per parameter, `-1` / `1` on the lower / upper bound, else `0`;
#'   * `escape`: at a saddle, `par` (a restart point: the lowest point of a falling
#'     profile at a degenerate saddle), `value`, `decrease`, `direction` and `distance`;
#'     else `NULL`;
#'   * `refine`: when `refine = TRUE`, the starting point, the steps taken, the
#'     distance moved in standard errors, `status` (how it ended) and `growing_step`
#'     (the step that grew, if that ended it);
#'   * `fit_hessian`: when the fit has a Hessian, the comparison with hesscheck's at the
#'     fit's own estimate (before any refinement): `difference`
#'     and `error` (largest scaled difference from hesscheck's Hessian, and hesscheck's
#'     largest scaled error estimate), `se_ratio` (its standard errors over hesscheck's)
#'     and `matrix` (for `optim()` fits, times the sign of `fnscale`); the comparisons
#'     are `NA` when no parameter is free or its free block is not finite;
#'   * `optimizer`, `convergence`, `fnscale`, `evaluations` (calls of `fn` and `gr`);
#'   * `problem`: `fn`, `gr`, the `...` arguments, bounds and `fnscale`, kept for
#'     [compare_se()], [bootstrap_se()] and [coverage_check()]; `fn_obs` (the
#'     per-observation or per-cluster contributions, or `NULL`) and `obs_unit` (what they
#'     are contributions of); for a fitted model, `data` (the names of fn's data
#'     arguments), and for a mixed model `groups` (its grouping factors: `factors`, the
#'     `top` level in which the others are nested, `NA` when some are crossed, its
#'     `column` in the data and its `count` of groups) and `simulate` (a
#'     `function(par, data)` that returns the data with a response simulated from the
#'     fitted model at its estimates, for the parametric bootstrap: `bootstrap_se(x,
#'     simulate = x$problem$simulate)`).
#' @seealso [hessian_fd()] for the Hessian alone.
#' @examples
#' # A two-component normal mixture started with equal means: optim() "converges"
#' # (code 0) to a saddle point.
#' set.seed(1)
#' y <- c(rnorm(100, -2), rnorm(100, 2))
#' nll <- function(p, y) -sum(log(0.5 * dnorm(y, p[1]) + 0.5 * dnorm(y, p[2])))
#' fit <- optim(c(mu1 = 0.1, mu2 = 0.1), nll, y = y, method = "BFGS")
#' fit$convergence
#' x <- check_fit(fit, nll, y = y)
#' x
#' x$escape$par
#'
#' # A log-likelihood maximised with fnscale = -1:
#' ll <- function(p, y) sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
#' fit <- optim(c(mu = 0, log_sd = 0), ll, y = y, control = list(fnscale = -1))
#' check_fit(fit, ll, y = y, fnscale = -1)
#' @order 1
#' @export
check_fit <- function(fit, ...) {
  if (is_tmb_adfun(fit)) return(check_fit_tmb(fit, ...))
  UseMethod("check_fit")
}

#' @rdname check_fit
#' @order 2
#' @export
check_fit.default <- function(fit, fn, ..., gr = NULL, lower = NULL, upper = NULL, fnscale = 1,
                              control = list(),
                              parallel = c("no", "multicore", "snow", "future"),
                              ncpus = 1L, cl = NULL, fn_obs = NULL) {
  if (is.object(fit)) unsupported_fit(fit)
  fn <- check_function(fn, "fn")
  if (!is.null(fn_obs)) fn_obs <- check_function(fn_obs, "fn_obs")
  if (!is.null(gr)) gr <- check_function(gr, "gr")
  # hessian_fd()'s memory guard before anything proportional to the number of
  # parameters is built (their names)
  given <- if (is.list(fit)) (if (!is.null(fit$par)) fit$par else fit$estimate) else fit
  guard_work(par_length(given), gradient = !is.null(gr), announce = FALSE,
             max_memory = if (is.list(control) && is.list(control$hessian)) {
               control$hessian$max_memory
             })
  info <- fit_info(fit)
  par <- info$par
  n <- length(par)
  if (!is.numeric(fnscale) || length(fnscale) != 1L || !is.finite(fnscale) ||
      fnscale == 0) {
    hc_abort("bad_fnscale", paste(
      "`fnscale` must be a single non-zero number, as in optim(): 1 if `fn` was",
      "minimised, -1 if it was maximised."
    ))
  }
  sgn <- if (fnscale < 0) -1 else 1
  th <- hc_thresholds
  ctrl <- check_fit_control(control)
  th[control_tols] <- ctrl[control_tols]
  bounds <- check_bounds(if (is.null(lower)) -Inf else lower,
                         if (is.null(upper)) Inf else upper, par)
  if (!is.null(info$hessian) && (!is.numeric(info$hessian) ||
                                  !identical(dim(info$hessian), c(n, n)))) {
    hc_abort("bad_fit", sprintf(
      "`fit$hessian` is not a numeric %d x %d matrix (one row per parameter in the fit).", n, n
    ))
  }

  # The function checked: fn, or -fn when it was maximised.
  f <- if (sgn < 0) function(p, ...) -fn(p, ...) else fn
  g <- if (!is.null(gr) && sgn < 0) function(p, ...) -gr(p, ...) else gr
  # One progress bar for the whole check (control$hessian$trace): the Hessians'
  # evaluations and, after them, fn's along the directions probed, the drift tests and
  # the saddle escape, which the Hessian's own bar would leave out.
  prog <- if (isTRUE(tryCatch(ctrl$hessian$trace > 0, error = function(e) FALSE)) ||
              is.null(ctrl$hessian$trace)) new_progress(10 * n)
  completed <- FALSE
  on.exit(if (!is.null(prog)) prog$close(completed), add = TRUE)
  ctrl$hessian$.progress <- prog
  # No bounds passed as such, which keeps hessian_fd()'s fast path.
  unbounded <- all(bounds$lower == -Inf) && all(bounds$upper == Inf)
  hlower <- if (unbounded) -Inf else bounds$lower
  hupper <- if (unbounded) Inf else bounds$upper
  # hessian_fd()'s arguments are checked at the estimate, once: the Newton steps of the
  # refinement (inside the bounds, named as par) only move the point.
  hargs <- hessian_args(f, par, g, hlower, hupper, ctrl$hessian, parallel, ncpus, cl)
  # The backend serves every Hessian (one per Newton step of the refinement) and fn's
  # batches along the directions probed: a snow cluster is started once for all of them.
  if (hargs$parallel == "snow" && is.null(hargs$cl)) {
    hargs$cl <- make_cluster(hargs$ncpus)
    attr(hargs$cl, "hesscheck_internal") <- TRUE
    on.exit(parallel::stopCluster(hargs$cl), add = TRUE)
  }
  # fn's batches along the directions probed, on the backend (its workers started when
  # first asked: a well-posed fit asks nothing after the Hessian); counted and ticked
  # here, the same points and values as serial mode's.
  pool <- NULL
  on.exit(if (!is.null(pool)) pool$close(), add = TRUE, after = FALSE)
  # (Not for an objective that keeps state between calls, from a fitted model's method:
  # its values depend on the calls before, which only serial order reproduces.)
  batched <- hargs$parallel != "no" && !isTRUE(attr(fn, "hesscheck_stateful"))
  runner <- if (batched) function(X) {
    if (is.null(pool)) {
      pool <<- batch_evaluator(
        hargs$parallel, hargs$ncpus, hargs$cl,
        chunk_function(f, NULL, list(...), names(par), ship = hargs$parallel != "multicore",
                       tolerant = TRUE),
        fail = function(id, x, cond) stop("hesscheck internal: a tolerant chunk failed"),
        progress = NULL, name = ".hesscheck_probe_chunk", persistent = TRUE)
    }
    pool$evaluate(X, 1L)
  }
  fx <- make_fx(f, ..., tick = if (!is.null(prog)) prog$tick, runner = runner)
  # At a point where fn is -Inf or hugely negative (its differences overflow): a classed
  # error that says what that means; elsewhere hessian_fd()'s own error stands.
  unbounded_abort <- function(p) {
    v <- fx$raw(p)
    if (!is.na(v) && v < -th$unbounded_value) {
      hc_abort("unbounded", sprintf(
        "%s is %s at the estimate (its differences overflow): it falls without bound there. If fn is a log-likelihood, you minimised it: maximise it with optim(control = list(fnscale = -1)), or minimise -fn, and check the fit again.",
        if (sgn < 0) "-fn" else "fn", format(signif(v, 3))
      ), par = p)
    }
  }
  first_hessian <- TRUE
  hessian_at <- function(p) {
    if (!first_hessian) hargs$x_user <<- hargs$par <<- p
    first_hessian <<- FALSE
    hessian_engine(..., .hesscheck_problem = hargs)
  }
  evaluate <- function(p) {
    # hessian_fd()'s warning about unresolved elements becomes a finding of check_fit's;
    # differences that overflow where fn is hugely negative say what that means.
    h <- withCallingHandlers(
      hessian_at(p),
      hesscheck_warning_unresolved = function(w) invokeRestart("muffleWarning"),
      hesscheck_error_nonfinite = function(e) unbounded_abort(p),
      hesscheck_error_bad_fn_value = function(e) unbounded_abort(p)
    )
    f0 <- attr(h, "value")
    noise <- max(attr(h, "noise"), 2 * .Machine$double.eps * abs(f0),
                 .Machine$double.xmin, na.rm = TRUE)
    probe <- make_probe(fx$f, p, f0, noise, bounds, th)
    list(h = h, clf = classify_point(h, p, bounds, th, probe), par = p, noise = noise)
  }
  evals <- c(fn = 0, gr = 0)
  state <- evaluate(par)
  first <- state
  evals <- evals + attr(state$h, "evaluations")

  refine <- NULL
  if (ctrl$refine) {
    r <- refine_newton(state, evaluate, fx$f, bounds = bounds, ctrl = ctrl, th = th)
    state <- r$state
    evals <- evals + r$evaluations
    refine <- r$refine
  }
  # flat pairs of log-scale parameters of which fn knows only a sum of variances
  if (any(state$clf$sign == 0L)) {
    state$clf$sums <- identified_sums(state$clf, state$par, fx$f, attr(state$h, "value"),
                                     state$noise, th)
  }
  clf <- state$clf
  drifts <- find_drift(clf, state, fx$raw, bounds, th)
  # a parameter fn seemed not to depend on, found at its edge: it does, nearer 0
  edged <- intersect(unlist(lapply(drifts, `[[`, "parameters")), which(clf$no_dependence))
  if (length(edged)) {
    state$clf$no_dependence[edged] <- FALSE
    clf <- state$clf
  }
  kinds <- vapply(drifts, `[[`, "", "kind")
  drift <- clf$free %in% unlist(lapply(drifts, `[[`, "parameters"))
  v <- verdict(clf, th, list(unbounded = any(kinds == "unbounded"),
                            no_finite_estimate = any(kinds == "asymptote")))

  value <- attr(state$h, "value")
  escape <- NULL
  if (ctrl$escape && clf$saddle) {
    x0 <- if (is.null(clf$probed)) state$par else clf$probed$par
    v0 <- if (is.null(clf$probed)) value else clf$probed$value
    escape <- saddle_escape(clf, fx$f, x0, v0, bounds)
    # a degenerate saddle: the lowest point of a falling profile (the others re-minimised)
    for (pr in clf$profiles) {
      if (identical(pr$shape, "decreasing") && v0 - pr$value > escape$decrease) {
        dd <- pr$par - x0
        escape <- list(par = pr$par, value = pr$value, decrease = v0 - pr$value,
                       direction = dd / sqrt(sum(dd^2)), distance = sqrt(sum(dd^2)))
      }
    }
    if (sgn < 0) escape$value <- -escape$value
  }
  evals[["fn"]] <- evals[["fn"]] + fx$count()
  # What compare_se(), bootstrap_se() and coverage_check() need to recompute.
  problem <- list(fn = fn, gr = gr, dots = list(...), lower = bounds$lower,
                  upper = bounds$upper, fnscale = fnscale, fn_obs = fn_obs,
                  obs_unit = if (!is.null(fn_obs)) "observations")
  completed <- TRUE
  ctrl$hessian$.progress <- NULL
  new_hesscheck(state, info, verdict = v, value = sgn * value, sgn = sgn, ctrl = ctrl,
                th = th, bounds = bounds, escape = escape, refine = refine,
                evals = evals, first = first, drift = drift, drifts = drifts,
                problem = problem)
}

# Drift: a direction along which fn decreases monotonically as the parameters run off to
# infinity, so that no finite estimate exists (numerics notes, "Separation and drift").
# The candidates: (a) a flat direction whose profile kept falling (classify_point()); (b)
# the direction of the estimate itself (complete separation: fn at m times the estimate,
# m = 2, 4, 8, 16), tried when a doubling would raise fn by less than th$drift_rise on the
# Hessian's own prediction; (c) the subspace of the flattest directions (curvature below
# th$drift_small of the largest) as a whole, along the Newton step over it and the
# directions that tilt it (drift_subspace(); quasi-separation: the drift runs along a
# combination of coefficients, and the null space can have several dimensions); (d) each
# large estimate with a larger standard error, doubled (a zero-inflation logit or a log-SD
# whose maximum-likelihood value is at 0 on its natural scale, where what is left of the
# fall is below the noise); (e) a large estimate at its edge (at_edge(): fn rises
# inwards, not outwards), along a flat direction whose profile did not decide, the axis
# of a parameter fn seems to ignore, or without a covariance matrix its own axis (what
# (d) cannot ask where noise leaves a curvature undecided, however honest its error
# bar). fn must not rise beyond its noise at any of these points, and (but for (d) and
# (e)) must fall in all: "asymptote" where the falls shrink, "unbounded" (a
# log-likelihood minimised, say) where they do not. Returns a list of drifts, each with its
# direction (original units, all parameters), kind and the free parameters it involves
# (and for (c), `tilts`: the other directions of the subspace that belong to the drift).
# `fx`: fn, -Inf kept (reached: unbounded at once), NA where it fails.
find_drift <- function(clf, state, fx, bounds, th) {
  out <- list()
  free <- clf$free
  k <- length(free)
  if (!k) return(out)
  par <- state$par
  x <- par[free]
  d <- clf$scale[free]
  # Which searches apply, decided first: on a well-posed fit none does, and nothing
  # else is done. (a) a profile that kept falling; (b) not at a maximum or saddle (where
  # fn falls away from par anyway: those verdicts say more), a doubling of the estimate
  # that the Hessian says raises fn by less than drift_rise; (c) directions among the
  # flattest; (d) large estimates with larger standard errors.
  prof <- vapply(clf$profiles, function(pr) identical(pr$shape, "drift"), NA)
  concave <- any(clf$sign < 0L)
  rise <- if (any(x != 0) && !concave) {
    sum((x * d) * (clf$hessian_scaled %*% (x * d))) / 2
  } else NA_real_
  by_estimate <- is.finite(rise) && rise < th$drift_rise
  lam <- clf$values
  flat <- which(clf$sign >= 0L & abs(lam) < th$drift_small * max(abs(lam), 0))
  by_flat <- length(flat) > 0L && !concave && !is.null(clf$probed$profile_at)
  big <- if (!is.null(clf$cov)) {
    se <- sqrt(diag_of(clf$cov))
    which(abs(x) > th$separation & se > abs(x))
  } else integer()
  # (e) not at a saddle or maximum, what is flat or undecided (however honest the error
  # bars that left it so) and moves a large estimate: flat directions (profile constant
  # or failed, not a sum of variances); parameters fn seems not to depend on at the
  # point; and without a covariance matrix (for (d)), large estimates whose standard
  # error along their own axis (the others held fixed, 1 / d: no larger than the
  # marginal one) exceeds them. Each is asked whether it sits at its edge (at_edge()).
  edge_axes <- if (is.null(clf$cov) && !concave) {
    which(abs(x) > th$separation & 1 / d > abs(x))
  } else integer()
  edge_dirs <- if (!concave) edge_directions(clf, x, th) else list()
  edge_nodep <- if (!concave) which(clf$no_dependence & abs(par) > th$separation) else integer()
  if (!any(prof) && !by_estimate && !by_flat && !length(big) && !length(edge_axes) &&
      !length(edge_dirs) && !length(edge_nodep)) return(out)
  f0 <- attr(state$h, "value")
  tol <- th$significant * state$noise
  nm <- names(par)
  direction <- function(u) {
    full <- stats::setNames(numeric(length(par)), nm)
    full[free] <- u
    full
  }
  # fn at the distances ts (value_at(t): fn there, NA where it fails or is out of
  # bounds): a drift, or NULL
  walk <- function(value_at, ts, start = f0, need_fall = TRUE) {
    vals <- start
    for (t in ts) {
      v <- value_at(t)
      if (identical(v, -Inf)) return(list(kind = "unbounded", value = v))
      if (!is.finite(v) || v > vals[length(vals)] + tol) return(NULL)
      vals <- c(vals, v)
    }
    falls <- -diff(vals)
    m <- length(falls)
    if (m < 1L + need_fall || (need_fall && !(vals[1L] - vals[m + 1L] > tol))) return(NULL)
    list(kind = drift_kind(falls, tol), value = vals[m + 1L])
  }
  straight <- function(u) {
    function(t) {
      p <- par
      p[free] <- p[free] + t * u
      if (any(p < bounds$lower | p > bounds$upper)) NA_real_ else fx(p)
    }
  }
  # A parameter at its edge, along uf (all parameters; one unit of t moves the large
  # estimate x_i by x_i, outwards). Inwards, fn rises beyond its noise at x_i / 2 and
  # further at x_i / 4: the term matters nearer 0 (fn does not simply ignore it, and the
  # direction is no ridge flat both ways, nor rounding along an aliased one). Outwards,
  # at 2 x_i, fn rises no more than its noise and moves by at most 1 / edge_ratio of
  # that inward rise (flat or falling: the term no longer matters out there; a quadratic
  # rises 4 times as much at 2 x_i as at x_i / 2). Not further out: a Laplace
  # approximation's inner optimisation can fail there (a variance of 1e-56). On a log
  # or logit scale, a variance or a probability effectively at 0 (or 1) already: a drift
  # towards an asymptote, or NULL.
  at_edge <- function(uf) {
    line <- function(t) {
      p <- par + t * uf
      if (any(p < bounds$lower | p > bounds$upper)) NA_real_ else fx(p)
    }
    rise <- c(line(-0.5), line(-0.75)) - f0
    if (anyNA(rise) || !all(is.finite(rise)) || !(rise[1L] > tol) ||
        !(rise[2L] > rise[1L])) return(NULL)
    out <- line(1)
    if (!is.finite(out) || out > f0 + tol || abs(out - f0) * th$edge_ratio > rise[1L]) {
      return(NULL)
    }
    list(kind = "asymptote", value = out)
  }
  add <- function(u, dr, how, tilts = list()) {
    w <- abs(u * d)
    involved <- free[w >= th$combo_share * max(w)]
    out[[length(out) + 1L]] <<- list(direction = direction(u), kind = dr$kind,
                                     parameters = involved, how = how,
                                     tilts = lapply(tilts, direction))
  }
  # The axes of the free parameters `cand` that tilt the straight drift u either way
  # (by drift_tilt of its length, scaled coordinates) without stopping it: parameters
  # the drift carries off (a slope informed only by separated cells, whose curvature
  # vanishes with theirs), whose estimates are no more finite than u's.
  tilting <- function(u, cand, ts) {
    len <- sqrt(sum((u * d)^2))
    keep <- list()
    for (j in cand) {
      w <- numeric(k)
      w[j] <- th$drift_tilt * len / d[j]
      ok <- !is.null(walk(straight(u + w), ts, need_fall = FALSE)) &&
        !is.null(walk(straight(u - w), ts, need_fall = FALSE))
      if (ok) keep[[length(keep) + 1L]] <- w / (th$drift_tilt * len)
    }
    keep
  }
  involved_in <- function() match(unlist(lapply(out, `[[`, "parameters")), free)
  # (a) profiles that kept falling
  for (q in which(prof)) {
    pr <- clf$profiles[[q]]
    add(pr$side * clf$vectors[, q] / d, list(kind = pr$kind), "profile")
  }
  # (b) the direction of the estimate
  if (by_estimate) {
    dr <- walk(straight(x), c(1, 3, 7, 15))
    if (!is.null(dr)) {
      w <- abs(x * d)
      rest <- which(w < th$combo_share * max(w))
      add(x, dr, "estimate", if (dr$kind == "asymptote") tilting(x, rest, c(1, 3, 7)))
    }
  }
  # (c) the flattest directions together (drift_subspace())
  if (by_flat) {
    sub <- drift_subspace(clf, flat, fx, state$noise, bounds, th, walk)
    if (!is.null(sub)) {
      # (a)'s drifts inside the same subspace are part of this one
      prof <- vapply(out, function(o) o$how == "profile", NA)
      out <- out[!prof]
      add(sub$directions[, 1L] / d, sub, "flattest",
          lapply(seq_len(ncol(sub$directions))[-1L], function(j) sub$directions[, j] / d))
    }
  }
  # (e) flat directions and parameters fn seems to ignore, at their edge
  for (e in edge_dirs) {
    dr <- at_edge(direction(e$u))
    if (!is.null(dr)) add(e$u, dr, if (length(e$involved) == 1L) "coordinate" else "flat")
  }
  for (i in edge_nodep) {
    uf <- stats::setNames(numeric(length(par)), nm)
    uf[i] <- par[i]
    dr <- at_edge(uf)
    if (!is.null(dr)) {
      out[[length(out) + 1L]] <- list(direction = uf, kind = dr$kind, parameters = i,
                                       how = "coordinate", tilts = list())
    }
  }
  # (d) single large estimates with larger standard errors, doubled; (e) without a
  # covariance matrix, at their edge
  if (length(big) || length(edge_axes)) {
    coords <- list()
    for (i in union(big, setdiff(edge_axes, involved_in()))) {
      u <- numeric(k)
      u[i] <- x[i]
      dr <- if (i %in% big) {
        walk(straight(u), if (clf$off_optimum[i]) c(1, 3, 7) else 1, need_fall = FALSE)
      } else at_edge(direction(u))
      if (!is.null(dr)) coords[[length(coords) + 1L]] <- list(u = u, dr = dr, i = i)
    }
    # then what each carries off, among the parameters no drift involves
    rest <- setdiff(seq_len(k), c(involved_in(), vapply(coords, `[[`, 0L, "i")))
    for (co in coords) {
      add(co$u, co$dr, "coordinate",
          if (co$dr$kind == "asymptote") tilting(co$u, rest, c(1, 3, 7)))
    }
  }
  # the single coordinates as one drift (one finding names them all)
  co <- vapply(out, function(o) o$how == "coordinate", NA)
  if (sum(co) > 1L) {
    one <- out[[which(co)[1L]]]
    one$direction <- Reduce(`+`, lapply(out[co], `[[`, "direction"))
    one$parameters <- unlist(lapply(out[co], `[[`, "parameters"))
    one$tilts <- unlist(lapply(out[co], `[[`, "tilts"), recursive = FALSE)
    one$kind <- if (all(vapply(out[co], `[[`, "", "kind") == "asymptote")) "asymptote" else
      "unbounded"
    out <- c(out[!co], list(one))
  }
  # the parameters a drift carries off (its tilts') have no finite estimate either
  for (j in seq_along(out)) {
    tp <- unlist(lapply(out[[j]]$tilts, function(w) {
      w <- abs(w[free] * d)
      free[w >= th$combo_share * max(w)]
    }))
    out[[j]]$own <- out[[j]]$parameters
    out[[j]]$parameters <- sort(unique(c(out[[j]]$parameters, tp)))
  }
  # one entry per set of parameters
  keys <- vapply(out, function(o) paste(o$parameters, collapse = ","), "")
  out[!duplicated(keys)]
}

# The flat directions find_drift() asks whether they sit at an edge (a parameter on a log
# or logit scale effectively at its boundary): sign 0, not weak, no kink, not a sum of
# variances, whose profile did not decide (constant, or fn failed along it), that move a
# large estimate (beyond th$separation) among the parameters they involve (a share of at
# least combo_share, scaled coordinates). Each as `u` (free parameters, original units),
# scaled so that one unit moves the largest such estimate x_i by x_i, outwards, and the
# free parameters it involves.
edge_directions <- function(clf, x, th) {
  d <- clf$scale[clf$free]
  out <- list()
  for (q in which(clf$sign == 0L & !clf$weak & !clf$kink)) {
    if (!is.null(clf$sums[[q]])) next
    shape <- clf$profiles[[q]]$shape
    if (!is.null(shape) && shape != "constant") next
    w <- abs(clf$vectors[, q])
    involved <- which(w >= th$combo_share * max(w))
    large <- involved[abs(x[involved]) > th$separation]
    if (!length(large)) next
    i <- large[which.max(w[large])]
    u <- clf$vectors[, q] / d
    out[[length(out) + 1L]] <- list(u = u * x[i] / u[i], involved = involved)
  }
  out
}

# Drift in the subspace of the flattest directions `flat` (columns of clf$vectors, scaled
# coordinates), from the point the probe reached. The null space can have several
# dimensions (quasi-separation with two groups separated), and an eigenvector of it need
# not be a direction of drift, so the direction is sought in the whole subspace: the
# Newton step over it, from fn's slopes along its directions and their curvatures. Where
# fn falls like exp(-eta) towards an asymptote, gradient and curvature shrink together and
# the Newton step moves each separated linear predictor by about one unit, whatever the
# distance already run: fn is walked along it at 1/4, 1, 4, 16 and 64 such steps (the
# other directions re-minimised), and must fall and never rise (walk()). A minimum, however
# flat, rises again beyond one Newton step. Then the rest of the subspace: a direction of
# it that tilts the drift either way (+-drift_tilt, unit vectors) without stopping it is
# part of the drift too (the drift's cone has an interior there), so the parameters along
# it have no finite estimate either. Returns NULL or the directions (a matrix, scaled
# coordinates, the Newton direction first) and the kind of the drift.
drift_subspace <- function(clf, flat, fx, noise, bounds, th, walk) {
  free <- clf$free
  d <- clf$scale[free]
  probed <- clf$probed
  x0 <- probed$par
  V <- clf$vectors[, flat, drop = FALSE]
  fin <- function(p) {
    v <- fx(p)
    if (is.finite(v)) v else NA_real_
  }
  # its batches on check_fit()'s backend, where fx has them (make_fx())
  if (!is.null(attr(fx, "batch"))) {
    attr(fin, "batch") <- function(points) finite_or_na(attr(fx, "batch")(points))
  }
  sl <- slopes_along(fin, x0, V, free, d, noise, bounds)
  g <- ifelse(!is.na(sl$value) & abs(sl$value) > th$significant * sl$error, sl$value, 0)
  if (all(g == 0)) return(NULL)
  curv <- pmax(abs(clf$values[flat]), th$significant * clf$uncertainty[flat],
               .Machine$double.xmin)
  # the clearly curved directions are re-minimised at every point of the walk
  comp <- which(clf$sign == 1L & !seq_along(clf$values) %in% flat)
  W <- clf$vectors[, comp, drop = FALSE]
  lc <- clf$values[comp]
  along <- function(s) {
    walk(function(t) {
      r <- probed$profile_at(s, W, lc, t)
      if (is.null(r)) NA_real_ else r$value
    }, th$drift_walk, probed$value)
  }
  a <- -g / curv
  s <- drop(V %*% a)
  dr <- along(s)
  if (is.null(dr)) return(NULL)
  dirs <- matrix(s / sqrt(sum(s^2)), ncol = 1L)
  kinds <- dr$kind
  # the rest of the subspace, orthogonal to the drift: does it tilt the drift?
  m <- length(flat)
  if (m > 1L) {
    rest <- qr.Q(qr(matrix(a, ncol = 1L)), complete = TRUE)[, -1L, drop = FALSE]
    unit <- a / sqrt(sum(a^2))
    for (j in seq_len(ncol(rest))) {
      both <- lapply(c(1, -1), function(e) {
        b <- unit + e * th$drift_tilt * rest[, j]
        # the tilted direction, as long as the Newton step
        b <- b * sqrt(sum(a^2) / sum(b^2))
        along(drop(V %*% b))
      })
      if (!any(vapply(both, is.null, NA))) {
        dirs <- cbind(dirs, drop(V %*% rest[, j]))
        kinds <- c(kinds, vapply(both, `[[`, "", "kind"))
      }
    }
  }
  list(directions = dirs, kind = if (any(kinds == "unbounded")) "unbounded" else "asymptote")
}

# A flat direction of two parameters a, b along which fn is constant because it knows them
# only through exp(ka a) + exp(kb b), k = 1 for a log-variance and 2 for a log-SD (a
# residual variance and an observation-level random effect's, whose sum alone the data
# identify): the direction is then the tangent of that curve, (u_a, u_b) proportional to
# (kb exp(kb b), -ka exp(ka a)) (within sum_ratio), and fn must be the same (within
# its noise, or sum_rel of |fn|) where the sum is split 1:9 and 9:1 between the two
# terms. Returns, per direction, NULL or the free parameters' indices `i` and `k`.
identified_sums <- function(clf, par, fx, f0, noise, th) {
  out <- vector("list", length(clf$values))
  tol <- max(th$significant * th$profile_noise * noise, th$sum_rel * abs(f0))
  for (q in which(clf$sign == 0L & !clf$weak & !clf$kink)) {
    v <- clf$vectors[, q]
    sel <- which(abs(v) >= th$combo_share * max(abs(v)))
    if (length(sel) != 2L) next
    i <- clf$free[sel]
    u <- v[sel] / clf$scale[i]
    if (u[1L] * u[2L] >= 0) next
    x <- par[i]
    for (k in list(c(1, 1), c(1, 2), c(2, 1), c(2, 2))) {
      pred <- -(k[2L] * exp(k[2L] * x[2L])) / (k[1L] * exp(k[1L] * x[1L]))
      if (!is.finite(pred) || pred == 0 || abs((u[1L] / u[2L]) / pred - 1) > th$sum_ratio) next
      total <- exp(k[1L] * x[1L]) + exp(k[2L] * x[2L])
      same <- vapply(c(0.1, 0.9), function(r) {
        p <- par
        p[i] <- log(c(r, 1 - r) * total) / k
        f1 <- fx(p)
        !is.na(f1) && abs(f1 - f0) <= tol
      }, NA)
      if (all(same)) {
        out[[q]] <- list(i = i, k = k)
        break
      }
    }
  }
  out
}

# The thresholds (hc_thresholds) that check_fit()'s control can set.
control_tols <- c("tol_ill", "tol_step", "tol_bound")

# check_fit()'s control list, checked. The common case, no control, without the checks
# (the defaults are valid).
check_fit_control <- function(control) {
  tols <- control_tols
  defaults <- c(list(refine = FALSE, refine_maxit = 10L, escape = TRUE, level = 0.95),
                hc_thresholds[tols], list(hessian = list()))
  if (is.list(control) && !length(control)) return(defaults)
  ctrl <- check_control(control, defaults)
  for (nm in c("refine", "escape")) check_flag(ctrl[[nm]], paste0("control$", nm), "bad_control")
  ctrl$refine_maxit <- check_number(ctrl$refine_maxit, "control$refine_maxit", 1,
                                    null_ok = FALSE, integer = TRUE)
  ctrl$level <- check_number(ctrl$level, "control$level", 0, null_ok = FALSE)
  if (ctrl$level >= 1) hc_abort("bad_control", "`control$level` must be below 1.")
  for (nm in tols) {
    ctrl[[nm]] <- check_number(ctrl[[nm]], paste0("control$", nm), 0, null_ok = FALSE)
  }
  if (!is.list(ctrl$hessian)) {
    hc_abort("bad_control", "`control$hessian` must be a list of hessian_fd() settings.")
  }
  ctrl
}

# Safeguarded Newton: the step -solve(H, g) from the accurate Hessian, halved until fn
# does not increase (never accepted if it does), kept inside the bounds; stop when
# stationary, when no step lowers fn, or when the steps grow (fn may then have no minimum
# nearby: it decreases without bound along the step, or a bound is missing).
refine_newton <- function(state, evaluate, fx, bounds, ctrl, th) {
  start <- state$par
  evals <- c(fn = 0, gr = 0)
  steps <- 0L
  status <- "stationary"
  last_size <- Inf
  grew <- NULL
  for (it in seq_len(ctrl$refine_maxit)) {
    clf <- state$clf
    if (is.null(clf$cov)) {
      status <- "the Hessian is not positive definite"
      break
    }
    if (refined_enough(clf)) break
    size <- max(abs(clf$newton_z))
    if (size > last_size) {
      status <- "the Newton steps grow"
      grew <- clf$newton
      break
    }
    last_size <- size
    free <- clf$free
    f0 <- attr(state$h, "value")
    t <- 1
    accepted <- FALSE
    for (k in 1:20) {
      p <- state$par
      p[free] <- p[free] + t * clf$newton
      p <- pmin(pmax(p, bounds$lower), bounds$upper)
      f1 <- fx(p)
      if (!is.na(f1) && f1 <= f0) {
        accepted <- TRUE
        break
      }
      t <- t / 2
    }
    if (!accepted) {
      status <- "no Newton step lowered fn"
      break
    }
    state <- evaluate(p)
    evals <- evals + attr(state$h, "evaluations")
    steps <- steps + 1L
  }
  if (steps == ctrl$refine_maxit && !is.null(state$clf$cov) && !refined_enough(state$clf)) {
    status <- "iteration limit reached"
  }
  moved <- state$par - start
  moved_se <- stats::setNames(rep(NA_real_, length(moved)), names(moved))
  if (!is.null(state$clf$cov)) {
    fr <- state$clf$free
    moved_se[fr] <- moved[fr] / sqrt(diag(state$clf$cov))
  }
  list(state = state, evaluations = evals,
       refine = list(start = start, steps = steps, moved = moved, moved_se = moved_se,
                     status = status, growing_step = grew))
}

# Stationary as far as can be told: the Newton step is below 1e-6 standard errors, or
# within three times its own uncertainty.
refined_enough <- function(clf) {
  all(abs(clf$newton_z) <= pmax(1e-6, 3 * clf$newton_error))
}
