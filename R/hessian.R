#' Accurate finite-difference Hessian with per-parameter steps and error estimates
#'
#' Computes the Hessian of `fn` at `par` by finite differences whose steps are chosen for
#' each parameter from the function itself, extrapolated (Richardson) to fourth order, and
#' reports an error estimate for every element. It works for parameters whose natural
#' scales differ by many orders of magnitude, for parameters at zero, for noisy objectives
#' (computed with [stats::integrate()] or an ODE solver), and near or on bounds.
#'
#' @section How the steps are chosen:
#' Every step is a power of two no smaller than the spacing of doubles near the stencil, so
#' that each point `par[i] + k * h` is exact and the step the formula uses is the step `fn`
#' saw. For each parameter the diagonal element comes from the five-point formula at `h`
#' (points `par[i] + c(-2, -1, 1, 2) * h`) and, as its second opinion, the same formula
#' at `2h` (points out to `4h`): their difference measures the truncation error where the
#' other tools model it, and it grows where `fn` stops behaving like a polynomial along the
#' axis, or is noisier than assumed. One rule chooses the steps in both modes (f only and
#' with `gr`), in the parameter's own scale as `fn` shows it:
#' * The search starts at `5e-3 * |par[i]|` (`2e-3` with `gr`; `|par[i]|` taken as 1 at
#'   0): a rate of `1e-5` changes `fn` on a scale of `1e-5`, not of 1. A step too short is
#'   seen (its estimate stays inside its rounding) and grows, at once to
#'   `max(|par[i]|, 1)`'s scale where it is lost in the rounding (a variance of `1e-60` on
#'   a scale of 1); a step too long can hide what `fn` does on the parameter's own scale,
#'   so the search starts short.
#' * Each step moves `h` by the factor that balances the measured truncation against the
#'   rounding; it never follows the size of the curvature or of `|fn|`. A stencil whose two
#'   steps disagree by a good part of the estimate is far outside the polynomial range:
#'   its bound means nothing and the step shrinks by `2^10` at least (or at once to
#'   `|par[i]|`'s scale). A disagreement whose second correction is as large as the first,
#'   yet small against the estimate, is not truncation but something below the step
#'   moving the values (an oscillation): the step grows to average it out.
#' * Where the estimate stays inside its rounding (a flat direction) the step grows, but
#'   not past where the two estimates of the first derivative disagree (the end of the
#'   polynomial range) nor beyond `1024 * max(|par[i]|, 1)`; a resolved estimate whose
#'   slope is past its polynomial range grows no further than a quarter of that scale.
#'   The best stencil seen is kept: one in the asymptotic range first.
#'
#' The noise of `fn` is measured, not inferred from `|fn|` (rounding from cancellation
#' inside `fn`, residuals of a near-exact fit or a shifted objective near 0, counts):
#' * first, from high-order differences of up to 16 values along a short line at `2^-20`
#'   of the steps (More & Wild 2011); where the values there are equal (`fn` rounded to a
#'   few digits, a table) the spacing grows until they differ and the smallest jump is the
#'   noise; where the few points of a 2- or 3-parameter problem found nothing and a first
#'   stencil falls outside the polynomial range, the line is extended;
#' * then again *at the scale of the step used*, along a parameter's axis at `1/16` of
#'   its step, where its stencils look noisy (second corrections as large as the first, or
#'   a shorter step that fell outside the polynomial range): noise that is smooth far below
#'   the steps but rough at theirs (an oscillation of `fn`) counts in the bounds, and the
#'   searches are judged again with it.
#'
#' Mixed elements come from the second derivative along `h[i] e_i + h[j] e_j` (four
#' evaluations) less the diagonal terms, whose errors are carried into the mixed element's.
#' Where that bound is large against the pair's smaller curvature (a nearly collinear pair,
#' where standard errors depend on the difference of large terms), a second estimate from
#' the cross stencil along `h[i] e_i - h[j] e_j` (four more) is made that does not depend
#' on the diagonal; the two are compared, and their disagreement beyond their bounds
#' widens the error reported. A pair involving a parameter whose curvature was not resolved,
#' or whose step lies past the polynomial range of its slope, tries shorter steps for it.
#' Near a bound, or where `fn` is not finite, one-sided stencils are used and `fn` is never
#' evaluated outside `[lower, upper]`: a non-finite value is treated as a wall the next
#' stencil stays away from.
#'
#' With `gr`, each column is the Richardson-extrapolated central difference of `gr` at `h`,
#' with the same formula at `2h` as its second opinion; the noise of each component of `gr`
#' is measured (cancellation inside `gr` included, and again at the scale of the step
#' where a column looks noisy); the matrix is symmetrised, and the disagreement of
#' `H[i, j]` and `H[j, i]` (different columns, different steps) widens the error where it
#' exceeds their bounds.
#'
#' @section How far the error estimates can be trusted:
#' `attr(H, "error")` bounds truncation (measured between two steps), rounding (from the
#' measured noise) and, where two estimates were made, their disagreement. An element is
#' *unresolved*, marked in `attr(H, "unresolved")` and named in a warning of class
#' `hesscheck_warning_unresolved`, whenever
#' * its bound exceeds 10% of its size, or of its scale `sqrt(d_i d_j)` when it is near
#'   zero, `d_i = max(|H_ii| - E_ii, 1e-8 max_k |H_kk|)` (the maximum over the diagonal
#'   elements that are themselves resolved: one lost in noise does not make the others'
#'   errors look small; computed without overflow for any `|H_ii|`);
#' * its estimates at different steps disagree beyond their combined bounds (noise the
#'   probes did not see, or a step outside the polynomial range that looked inside it):
#'   its bound is then widened to cover the other estimate too;
#' * it lies in the row of a *kink*: where the one-sided second derivatives from the left
#'   and from the right (each extrapolated from two steps) disagree beyond their bounds,
#'   or where the second differences grow as `1 / h` at every step (as `|x|` at 0), `fn`
#'   has no Hessian there; `attr(H, "status")` says `"kink"` and the bound covers both
#'   one-sided values;
#' * its curvature was lost in the rounding at a step where `fn` is rough (rounded to a
#'   few digits: the slope's differences there far outside their polynomial range), so a
#'   value near 0 is not established; a mixed element measured along such a parameter
#'   rests on the same noise and is unresolved with it, unless it stands above four
#'   times its own bound;
#' * its curvature could be measured only at a step more than 64 times the parameter's
#'   scale `max(|x|, 1)`, where the noise of `fn` had grown more than a thousandfold
#'   over its noise at the parameter's scale (`fn` rounded relative to its value, so
#'   that no step resolves it better): that is `fn`'s average curvature over the step,
#'   the Hessian only if `fn` is quadratic that far.
#'
#' The bound of an unresolved element is what its stencils measured, not a bound to rely
#' on: the element itself is not established. The property below asks coverage of the
#' elements that are not flagged (the README gives both figures).
#'
#' The bounds are tested as a property over problems drawn at random from a generator of
#' 28 kinds with exact Hessians (likelihoods; random scales from `1e-6` to `1e6` and
#' offsets of `fn`; tiny parameters near poles and rates; collinear and zero-curvature
#' directions; five shapes of noise; bounds; both modes): `tests/testthat/helper-random.R`,
#' with a fresh seed on every run of the tests, and `bench/random.R` over thousands of
#' problems (see the README for the figures). Two known limits, both noise of `fn` that no
#' probe sees. An oscillation whose period lies between the first probe's spacing and the
#' step, and which no step the search tries reveals (above all one whose period nearly
#' divides the step: the stencil's points then see a slow curve), can leave an error above
#' its bound, up to about the oscillation's amplitude over the step squared (in the bench,
#' on about 5% of such problems, mostly below `1e-6` of the element's scale, once `7e-4`).
#' And an `fn` that cancels large terms near its own zero (a log-likelihood minus its value
#' at the estimate) keeps their rounding, far above what its own small values suggest: give
#' it, e.g. `control = list(noise = 4 * .Machine$double.eps * abs(c0))` for `fn(p) =
#' f(p) - c0` (in the bench, about 1 problem in 2000 misses by more than 10 times its
#' bound without it, at about `1e-9` of the element's scale). Differences cannot see an
#' error of `fn` that is itself a smooth function of `par` either: an objective computed by
#' [stats::integrate()] or an ODE solver to a tolerance has a Hessian of its own that
#' differs from the exact one by the curvature of that error. Tighten the tolerance (e.g.
#' `rel.tol = 1e-10`) before trusting a Hessian of such a function.
#'
#' @section Errors, interrupts and time limits:
#' Bad arguments and values of `fn` or `gr` of the wrong type, length or finiteness give
#' classed errors (`hesscheck_error_*`) before or as soon as they occur; an error inside
#' `fn` or `gr` becomes `hesscheck_error_fn_failed`, naming the point, with the
#' original error as its `parent`. `Ctrl-C` interrupts the computation, and a limit set
#' with [setTimeLimit()] stops it with R's own error, unchanged, with one exception: a
#' limit that expires while `parallel = "snow"` starts its workers is lost, because
#' [parallel::makeCluster()] catches the error it raises and R clears the limit as it
#' signals it. Start the cluster first and give it as `cl`. The work space is
#' allocated once per call (about `2 n^2` doubles, `4 n^2` with `gr`), whatever the
#' number of evaluations.
#'
#' @section Expensive objectives: parallel evaluation and progress:
#' The points are evaluated in batches: the noise probe's line; the stencils of a group of
#' parameters whose step searches run in lockstep (the first parameter alone, whose search
#' teaches the others their first step, then up to 16 at a time in f-only mode; one at a
#' time with `gr`); then the lines of up to 32 mixed elements at a time, their second
#' opinions and refinements. With `parallel = "no"` (the default) each point is evaluated
#' in this process as soon as it is known; with `"multicore"` (forked workers, not on
#' Windows), `"snow"` (the cluster `cl`, or `ncpus` local workers started for the call)
#' or `"future"` (the workers of the current [future::plan()]) each batch is split into
#' one chunk per worker. The points, and so every decision and the result, are the same
#' whatever the backend: the Hessian is identical, bit for bit, to the serial one (for an
#' `fn` that does not draw random numbers). Parallel evaluation pays when one evaluation
#' of `fn` costs more than the overhead of a batch divided by its points: on a 2-core
#' machine, from about 1 ms per evaluation (see the README for measured figures). A snow
#' or future worker gets `fn` with the objects it uses from its environment (found with
#' the globals package); packages `fn` calls must be installed there.
#'
#' Sockets: a cluster that `"snow"` starts for the call sends without delay (TCP_NODELAY).
#' A cluster or a `future` plan of socket workers that you make yourself does that only
#' when `options(socketOptions = "no-delay")` is set before it is made: with R's default
#' sockets each batch waits about 40 ms for the worker's delayed acknowledgement (on a
#' 2-core machine: a `multisession` batch took about 140 ms instead of 14 ms), which
#' makes parallel evaluation pay only for a far more expensive `fn`.
#'
#' An error in `fn` on a worker is reported as in serial mode: `hesscheck_error_fn_failed`
#' at the first failing point in the order serial mode evaluates them, with `fn`'s error
#' as its `parent`. A worker that dies is an error of class `hesscheck_error_worker_died`,
#' not a hang; `Ctrl-C` interrupts. A call projected to take more than about 2 s (from
#' the mean cost of the evaluations so far, so that an `fn` cheap at `par` and slow
#' elsewhere gets one too) shows a progress bar ([utils::txtProgressBar()]), filled to
#' the end only when the Hessian is complete; `control = list(trace = 0)` silences it.
#' Warnings from `fn` on a worker are collected there and signalled in this process,
#' each once, as in serial mode; each batch's chunks get their own L'Ecuyer-CMRG
#' random-number streams, drawn from the caller's random-number state, so that an `fn`
#' that draws random numbers gives the same Hessian again after the same [set.seed()]
#' (on a given backend and number of workers).
#'
#' @param fn Function to differentiate, called as `fn(par, ...)`; returns one number.
#' @param par Numeric vector: the point. Its names label the result (missing or empty
#'   ones become `p<i>`, the others are kept).
#' @param ... Further arguments passed to `fn` and `gr`.
#' @param gr Optional gradient of `fn`, called as `gr(par, ...)`, returning a vector of
#'   `length(par)`. When given, the Hessian is computed from differences of `gr`.
#' @param lower,upper Bounds (length 1 or `length(par)`): `fn` is never evaluated outside.
#' @param control A list of settings:
#'   * `noise`: the absolute noise level (standard deviation) of one value of `fn`, if
#'     known; `NULL` (default) estimates it.
#'   * `step`: a vector of steps to use as given (no search), one per parameter, rounded
#'     to the nearest power of two (at least the spacing of doubles near `par`, so that
#'     the points are exact).
#'   * `start`: a vector of first trial steps, one per parameter, from which the search
#'     starts instead of `5e-3 * |par[i]|` (where the scale of a parameter is known: the
#'     step that moves `fn` by a chosen amount at a known curvature, say).
#'   * `max_search`: at most this many stencils per parameter in the step search
#'     (default 8).
#'   * `trace`: `0` for no progress bar; `1` (default) shows one on calls projected to
#'     take more than about 2 s.
#'   * `parallel`, `ncpus`, `cl`: as the arguments, for callers that pass only a
#'     `control` list (such as [check_fit()]'s `control$hessian`); arguments not at
#'     their defaults win.
#'   * `max_memory`: the most memory, in bytes, the computation may need (`Inf` for no
#'     limit); `NULL` (default) allows half the memory available (4 GB where that cannot
#'     be read). A larger job stops at once with `hesscheck_error_too_large`, naming the
#'     memory and the number of evaluations it would need.
#' @param parallel,ncpus,cl The backend that evaluates the batches of points (see the
#'   section on expensive objectives): `"no"`, `"multicore"`, `"snow"` or `"future"`; the
#'   number of workers (`"multicore"`, and `"snow"` without `cl`); a cluster from
#'   [parallel::makeCluster()] for `"snow"`. The conventions of [bootstrap_se()].
#' @return A symmetric numeric matrix of class `"hessian_fd"` with `dimnames` from
#'   `names(par)` (missing ones `p1`, `p2`, ...), and attributes
#'   * `error`: matrix of error estimates for each element;
#'   * `step`: the step used for each parameter;
#'   * `side`: `0` for central differences, `1` / `-1` for one-sided towards the upper /
#'     lower bound;
#'   * `resolved`: `FALSE` for a parameter whose curvature stayed below the rounding at
#'     every step tried;
#'   * `unresolved`: a logical matrix, `TRUE` for elements whose error bound exceeds 10%
#'     of their size (see above);
#'   * `status`: per parameter, `"ok"`; `"stairs"` where `fn` was exactly flat at a
#'     step over which its slope predicts a clear change (piecewise constant, as with
#'     `floor()` or a table look-up: no derivative at `par`; its row is unresolved);
#'     or `"kink"` where `fn` has a kink at `par` along the parameter (see
#'     above: no second derivative; the bound covers the one-sided values);
#'   * `quartic`: a 2-row matrix, per parameter the fourth-order term `q` of its second
#'     differences, `D(s) = H[i, i] + q s^2 + ...` (row `value`), and its error (row
#'     `error`), from the accepted central stencil (0 and `Inf` otherwise); [check_fit()]
#'     uses it to tell a curved ridge from a minimum;
#'   * `noise`: the noise level of `fn` used (absolute, per value);
#'   * `value`: `fn(par)`;
#'   * `gradient`, `gradient_error`: the gradient at `par` (from `gr`, or from the
#'     stencil's first differences at no extra cost) and its error estimate;
#'   * `evaluations`: `c(fn = , gr = )`, the number of calls made, the check at `par`
#'     included.
#'   `as.matrix()` drops the attributes.
#' @references
#' More, J. J. and Wild, S. M. (2011). Estimating computational noise. *SIAM Journal on
#' Scientific Computing* 33(3), 1292-1314.
#'
#' Gill, P. E., Murray, W., Saunders, M. A. and Wright, M. H. (1983). Computing
#' forward-difference intervals for numerical optimization. *SIAM Journal on Scientific
#' and Statistical Computing* 4(2), 310-321.
#' @examples
#' f <- function(p) 2 * p[2] * p[1]^4 + 2 * p[2]^3 + 2 * p[1] * p[3]^3
#' H <- hessian_fd(f, c(x = 1, y = 2, z = 3))
#' H
#' attr(H, "error")
#'
#' # Parameters on very different scales, at zero:
#' s <- c(1e-6, 1, 1e6)
#' q <- function(p) 1 + sum((p / s)^2) / 2 + prod(p / s)
#' diag(hessian_fd(q, c(0, 0, 0))) * s^2
#' @export
hessian_fd <- function(fn, par, ..., gr = NULL, lower = -Inf, upper = Inf,
                       control = list(),
                       parallel = c("no", "multicore", "snow", "future"), ncpus = 1L,
                       cl = NULL) {
  a <- hessian_args(fn, par, gr, lower, upper, control, parallel, ncpus, cl,
                    parallel_given = !missing(parallel), ncpus_given = !missing(ncpus))
  hessian_engine(..., .hesscheck_problem = a)
}

# hessian_fd()'s control entries and their defaults.
hessian_defaults <- list(noise = NULL, step = NULL, start = NULL, max_search = 8L,
                         max_memory = NULL, trace = 1, parallel = NULL, ncpus = NULL,
                         cl = NULL, .progress = NULL)

# hessian_fd()'s arguments checked, before any evaluation of fn: a list of fn, gr, the
# point (x_user as fn sees it, par named), its bounds, the control list as the engine
# reads it, the backend and check_fit()'s shared progress bar. Arguments are promises
# forced here in hessian_fd()'s order, so the first bad one is the one reported.
# parallel_given, ncpus_given: whether the caller gave them (an argument at its default
# counts as not given, so that a caller may forward its own).
hessian_args <- function(fn, par, gr, lower, upper, control, parallel, ncpus, cl,
                         parallel_given = TRUE, ncpus_given = TRUE) {
  fn <- check_function(fn, "fn")
  if (!is.null(gr)) gr <- check_function(gr, "gr")
  ctrl <- check_control(control, hessian_defaults)
  # check_fit()'s progress bar, which this Hessian's evaluations join (internal)
  shared <- ctrl$.progress
  ctrl$.progress <- NULL
  if (!is.null(shared) && !inherits(shared, "hesscheck_progress")) {
    hc_abort("bad_control", "`control$.progress` is internal to hesscheck: leave it out.")
  }
  # The memory guard before anything proportional to the number of parameters is built
  # (names, bounds: 1e7 parameters took 15 s to refuse, 3e7 reached 6.5 GB).
  guard_work(par_length(par), gradient = !is.null(gr), max_memory = ctrl$max_memory,
             announce = FALSE)
  x_user <- par
  par <- check_par(par)
  if (is.null(names(x_user))) {
    x_user <- unname(par)
  } else {
    x_user <- par
  }
  n <- length(par)
  bounds <- check_bounds(lower, upper, par)
  if (!identical(ctrl$trace, 1)) {
    ctrl$trace <- check_number(ctrl$trace, "control$trace", lower = 0, null_ok = FALSE)
  }
  # The backend: the arguments, else control's entries (so that check_fit()'s
  # control$hessian can carry them), else serial (without a check: the common case). An
  # argument at its default counts as not given, so a caller may forward its own.
  if (!parallel_given || identical(parallel, parallel_backends)) {
    parallel <- if (is.null(ctrl$parallel)) "no" else ctrl$parallel
  }
  if (!identical(parallel, "no")) {
    if ((!ncpus_given || identical(ncpus, 1L)) && !is.null(ctrl$ncpus)) ncpus <- ctrl$ncpus
    if (is.null(cl) && !is.null(ctrl$cl)) cl <- ctrl$cl
    parallel <- check_parallel(parallel)
    if (parallel != "no") ncpus <- check_backend(parallel, ncpus, cl)
  }
  ctrl$parallel <- ctrl$ncpus <- ctrl$cl <- NULL
  ctrl$noise <- check_number(ctrl$noise, "control$noise", lower = 0)
  ctrl$max_search <- check_number(ctrl$max_search, "control$max_search", lower = 1,
                                  null_ok = FALSE, integer = TRUE)
  for (nm in c("step", "start")) {
    s <- ctrl[[nm]]
    if (is.null(s)) next
    if (!is.numeric(s) || length(s) != n || !all(is.finite(s)) || any(s <= 0)) {
      hc_abort("bad_control", sprintf(
        "`control$%s` must be %d positive finite numbers, one per parameter.", nm, n
      ))
    }
    ctrl[[nm]] <- as.double(s)
  }
  ctrl$noise <- if (is.null(ctrl$noise)) NA_real_ else ctrl$noise
  list(fn = fn, gr = gr, x_user = x_user, par = par, bounds = bounds, ctrl = ctrl,
       parallel = parallel, ncpus = ncpus, cl = cl, shared = shared)
}
