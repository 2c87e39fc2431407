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
  guard_fit_size(fit, gr, control)
  info <- fit_info(fit)
  par <- info$par
  n <- length(par)
  sgn <- fnscale_sign(fnscale)
  th <- hc_thresholds
  ctrl <- check_fit_control(control)
  th[control_tols] <- ctrl[control_tols]
  bounds <- check_bounds(if (is.null(lower)) -Inf else lower,
                         if (is.null(upper)) Inf else upper, par)
  check_fit_hessian(info$hessian, n)
  # The function checked: fn, or -fn when it was maximised.
  f <- if (sgn < 0) function(p, ...) -fn(p, ...) else fn
  g <- if (!is.null(gr) && sgn < 0) function(p, ...) -gr(p, ...) else gr
  prog <- check_fit_progress(ctrl$hessian$trace, n)
  completed <- FALSE
  on.exit(if (!is.null(prog)) prog$close(completed), add = TRUE)
  ctrl$hessian$.progress <- prog
  # hessian_fd()'s arguments are checked at the estimate, once: the Newton steps of the
  # refinement (inside the bounds, named as par) only move the point.
  hb <- hessian_bounds(bounds)
  hargs <- hessian_args(f, par, g, hb$lower, hb$upper, ctrl$hessian, parallel, ncpus, cl)
  # The backend serves every Hessian (one per Newton step of the refinement) and fn's
  # batches along the directions probed: a snow cluster is started once for all of them.
  if (hargs$parallel == "snow" && is.null(hargs$cl)) {
    hargs$cl <- make_cluster(hargs$ncpus)
    attr(hargs$cl, "hesscheck_internal") <- TRUE
    on.exit(parallel::stopCluster(hargs$cl), add = TRUE)
  }
  # fn's batches along the directions probed, on the backend (probe_pool(), started when
  # first asked); not for an objective that keeps state between calls (a fitted model's
  # method): its values depend on the calls before, which only serial order reproduces.
  pool <- NULL
  on.exit(if (!is.null(pool)) pool$close(), add = TRUE, after = FALSE)
  batched <- hargs$parallel != "no" && !isTRUE(attr(fn, "hesscheck_stateful"))
  runner <- if (batched) function(X) {
    if (is.null(pool)) pool <<- probe_pool(hargs, f, list(...), names(par))
    pool$evaluate(X, 1L)
  }
  fx <- make_fx(function(p) f(p, ...), tick = if (!is.null(prog)) prog$tick, runner = runner)
  first_hessian <- TRUE
  hessian_at <- function(p) {
    if (!first_hessian) hargs$x_user <<- hargs$par <<- p
    first_hessian <<- FALSE
    hessian_engine(..., .hesscheck_problem = hargs)
  }
  evaluate <- point_evaluator(hessian_at, fx, bounds, th, sgn)
  state <- evaluate(par)
  first <- state
  evals <- c(fn = 0, gr = 0) + attr(state$h, "evaluations")
  refine <- NULL
  if (ctrl$refine) {
    r <- refine_newton(state, evaluate, fx$f, bounds = bounds, ctrl = ctrl)
    state <- r$state
    evals <- evals + r$evaluations
    refine <- r$refine
  }
  judged <- judge_point(state, fx, bounds, th)
  state <- judged$state
  escape <- if (ctrl$escape && state$clf$saddle) escape_point(state, fx$f, bounds, sgn)
  evals[["fn"]] <- evals[["fn"]] + fx$count()
  # What compare_se(), bootstrap_se() and coverage_check() need to recompute.
  problem <- list(fn = fn, gr = gr, dots = list(...), lower = bounds$lower,
                  upper = bounds$upper, fnscale = fnscale, fn_obs = fn_obs,
                  obs_unit = if (!is.null(fn_obs)) "observations")
  completed <- TRUE
  ctrl$hessian$.progress <- NULL
  new_hesscheck(state, info, verdict = judged$verdict, value = sgn * attr(state$h, "value"),
                sgn = sgn, ctrl = ctrl, th = th, bounds = bounds, escape = escape,
                refine = refine, evals = evals, first = first, drift = judged$drift,
                drifts = judged$drifts, problem = problem)
}

# hessian_fd()'s memory guard on the fit's parameters (fit$par, fit$estimate or fit
# itself), before anything proportional to their number is built (their names).
guard_fit_size <- function(fit, gr, control) {
  given <- if (is.list(fit)) (if (!is.null(fit$par)) fit$par else fit$estimate) else fit
  guard_work(par_length(given), gradient = !is.null(gr), announce = FALSE,
             max_memory = if (is.list(control) && is.list(control$hessian)) {
               control$hessian$max_memory
             })
}

# `fnscale` checked; its sign: -1 where fn was maximised, else 1.
fnscale_sign <- function(fnscale) {
  if (!is.numeric(fnscale) || length(fnscale) != 1L || !is.finite(fnscale) ||
      fnscale == 0) {
    hc_abort("bad_fnscale", paste(
      "`fnscale` must be a single non-zero number, as in optim(): 1 if `fn` was",
      "minimised, -1 if it was maximised."
    ))
  }
  if (fnscale < 0) -1 else 1
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

# The fit's own Hessian (NULL where it has none) checked: a numeric n x n matrix.
check_fit_hessian <- function(hessian, n) {
  if (!is.null(hessian) && (!is.numeric(hessian) || !identical(dim(hessian), c(n, n)))) {
    hc_abort("bad_fit", sprintf(
      "`fit$hessian` is not a numeric %d x %d matrix (one row per parameter in the fit).", n, n
    ))
  }
}

# One progress bar for the whole check (trace: control$hessian$trace; none where it is
# 0): the Hessians' evaluations and, after them, fn's along the directions probed (n:
# the number of parameters), the drift tests and the saddle escape, which the Hessian's
# own bar would leave out.
check_fit_progress <- function(trace, n) {
  if (isTRUE(tryCatch(trace > 0, error = function(e) FALSE)) || is.null(trace)) {
    new_progress(10 * n)
  }
}

# The bounds hessian_fd() is given: none passed as such where there are none, which
# keeps its fast path.
hessian_bounds <- function(bounds) {
  unbounded <- all(bounds$lower == -Inf) && all(bounds$upper == Inf)
  list(lower = if (unbounded) -Inf else bounds$lower,
       upper = if (unbounded) Inf else bounds$upper)
}

# The evaluator of fn's batches along the directions probed on check_fit()'s backend
# (hargs: hessian_args()'s, its cluster started), for f with its `...` arguments `dots`
# and parameter names `nm`: counted and ticked by make_fx(), the same points and values
# as serial mode's.
probe_pool <- function(hargs, f, dots, nm) {
  batch_evaluator(
    hargs$parallel, hargs$ncpus, hargs$cl,
    chunk_function(f, NULL, dots, nm, ship = hargs$parallel != "multicore", tolerant = TRUE),
    fail = function(id, x, cond) stop("hesscheck internal: a tolerant chunk failed"),
    progress = NULL, name = ".hesscheck_probe_chunk", persistent = TRUE)
}

# check_fit()'s look at a point, as function(p): the Hessian there (hessian_at(p)),
# fn's noise, the probe (make_probe()) and the classification (classify_point()); a
# list of h, clf, par and noise. fx: make_fx()'s; sgn: the sign of fnscale.
point_evaluator <- function(hessian_at, fx, bounds, th, sgn) {
  function(p) {
    # hessian_fd()'s warning about unresolved elements becomes a finding of check_fit's;
    # differences that overflow where fn is hugely negative say what that means.
    h <- withCallingHandlers(
      hessian_at(p),
      hesscheck_warning_unresolved = function(w) invokeRestart("muffleWarning"),
      hesscheck_error_nonfinite = function(e) abort_unbounded(fx$raw, p, sgn, th),
      hesscheck_error_bad_fn_value = function(e) abort_unbounded(fx$raw, p, sgn, th)
    )
    f0 <- attr(h, "value")
    noise <- max(attr(h, "noise"), 2 * .Machine$double.eps * abs(f0),
                 .Machine$double.xmin, na.rm = TRUE)
    probe <- make_probe(fx$f, p, f0, noise, bounds, th)
    list(h = h, clf = classify_point(h, p, bounds, th, probe), par = p, noise = noise)
  }
}

# At a point p where fn (fx: make_fx()'s raw) is -Inf or hugely negative (its
# differences overflow): a classed error that says what that means; elsewhere (it
# returns) hessian_fd()'s own error stands.
abort_unbounded <- function(fx, p, sgn, th) {
  v <- fx(p)
  if (!is.na(v) && v < -th$unbounded_value) {
    hc_abort("unbounded", sprintf(
      "%s is %s at the estimate (its differences overflow): it falls without bound there. If fn is a log-likelihood, you minimised it: maximise it with optim(control = list(fnscale = -1)), or minimise -fn, and check the fit again.",
      if (sgn < 0) "-fn" else "fn", format(signif(v, 3))
    ), par = p)
  }
}

# The verdict at the point reached (state): the flat pairs of log-scale parameters of
# which fn knows only a sum of variances (identified_sums()), the drifts (find_drift())
# and verdict(). Returns the state (its classification updated), the drifts, whether
# each free parameter drifts (`drift`) and the verdict.
judge_point <- function(state, fx, bounds, th) {
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
  list(state = state, drifts = drifts, drift = drift, verdict = v)
}

# At a saddle (state$clf$saddle), the restart point: saddle_escape()'s lower point of fn
# (fx: make_fx()'s f) from the probe's point, or at a degenerate saddle the lowest point
# of a falling profile (the others re-minimised) where that is lower; its value as fn
# gives it (sgn: the sign of fnscale).
escape_point <- function(state, fx, bounds, sgn) {
  clf <- state$clf
  x0 <- if (is.null(clf$probed)) state$par else clf$probed$par
  v0 <- if (is.null(clf$probed)) attr(state$h, "value") else clf$probed$value
  escape <- saddle_escape(clf, fx, x0, v0, bounds)
  for (pr in clf$profiles) {
    if (identical(pr$shape, "decreasing") && v0 - pr$value > escape$decrease) {
      dd <- pr$par - x0
      escape <- list(par = pr$par, value = pr$value, decrease = v0 - pr$value,
                     direction = dd / sqrt(sum(dd^2)), distance = sqrt(sum(dd^2)))
    }
  }
  if (sgn < 0) escape$value <- -escape$value
  escape
}
