# The verdict: the thresholds check_fit() uses and their meaning, the table of verdicts
# most serious first, and verdict(), which ranks what classify_point() (classify.R)
# and check_fit() found.

# Every threshold check_fit() uses, with its meaning. The first four can be changed
# through check_fit(control = ); the rest are fixed.
hc_thresholds <- list(
  # Scaled condition number above which the point is called ill-conditioned.
  tol_ill = 1e8,
  # Newton step, in standard errors, above which the estimate is not stationary.
  tol_step = 0.05,
  # Distance to a bound, in units of 1 / sqrt(H[i, i]), below which a parameter is on it.
  tol_bound = 1e-3,
  # Newton step, in standard errors, beyond which "not stationary" outranks curvature:
  # the Hessian at the optimum may then differ in sign from the one at the estimate.
  tol_far = 1,
  # A measure counts as non-zero only beyond this many times its uncertainty.
  significant = 3,
  # A direction is probed with fn when its eigenvalue's error bar exceeds this fraction
  # of it (the standard errors then err by up to half of it).
  probe_rel = 1e-4,
  # ... and every direction whose |eigenvalue| is below this fraction of the largest: a
  # leftover gradient tilts the curvature of a flat direction by more than its error bar
  # (third derivatives times the distance to the optimum), so the Hessian's sign there
  # is not trusted; fn is asked at the Newton point instead.
  probe_small = 1e-3,
  # The probe's smallest step raises fn by about this many times its noise.
  probe_rise = 1e8,
  # The noise along a probed direction: from this many values of fn spaced this share of
  # the first step (short enough that the smooth part drops below rounding from the
  # second difference on, so that More and Wild's test sees the noise alone).
  probe_noise_points = 8L,
  probe_noise_delta = 2^-20,
  # fn's measured noise above this share of |fn| (far above rounding: a simulated or
  # approximated fn), with Hessian elements it leaves unresolved: too noisy for a Hessian.
  noisy = 1e-6,
  # Relative size (to the largest curvature) below which an eigenvalue of the scaled
  # Hessian is zero: rounding of fn and of its data at the level of a few eps.
  rounding = 64 * .Machine$double.eps,
  # The profile along a flat direction: its distances (scaled units), and the Newton
  # steps that re-minimise the other parameters at each.
  profile_steps = c(1, 4, 16),
  profile_newton = 8L,
  # ... each Newton step halved at most this many times until fn does not increase (far
  # along a curved ridge, fn can grow exponentially off it, and the Newton step from the
  # estimate's curvatures overshoots by orders of magnitude)
  profile_halvings = 30L,
  # ... and the multiple of fn's noise within which two of its values count as equal
  profile_noise = 10,
  # The probe's largest step, in scaled units (one unit: one standard error of a
  # parameter with the others held fixed, for a negative log-likelihood).
  probe_max = 1e4,
  # Newton steps over the certain directions before probing, their first differences'
  # step (scaled units), and the step (in standard errors) below which they stop.
  probe_newton = 3,
  probe_slope_step = 1e-4,
  probe_stationary = 1e-4,
  # Off-diagonal elements of the probed subspace are measured only up to this many
  # probed directions (their number grows as its square); beyond, each direction alone.
  probe_pairs_max = 6,

  # A probed direction whose fn rises faster than its curvature predicts already within
  # one standard error along it is flat at second order (a curved ridge, fn ~ t^4): not
  # identified, whatever the sign of the curvature left by rounding or the optimiser's
  # leftover gradient. Its quartic term / curvature^2 must exceed 1 (for a negative
  # log-likelihood: the quartic rise overtakes the quadratic one within one standard
  # error) and this many times the same along the direction of largest curvature, which
  # keeps the test free of fn's units (a residual sum of squares, for instance): on
  # cars' a * b ridge the ratio is 1e22, on NIST's Misra1a, identified, 4e7.
  ridge_ratio = 1e12,
  # ... and its curvature (measured with fn) must be below this fraction of the largest:
  # on cars' a * b ridge it is 1e-11 whatever the optimiser, at Rosenbrock's minimum 6e-4,
  # at the Gulf and Biggs EXP6 minima 4e-7 and 3e-6 (identified, More et al. 1981).
  ridge_curvature = 1e-9,
  # Second differences D(h), D(2h) of a smooth fn agree (ratio 1, or 4 when the
  # curvature is zero); a kink gives D(h) / D(2h) = 2. Ratios in this range are a kink.
  kink_ratio = c(1.6, 2.5),
  # Eigenvalues whose relative error bar exceeds this make the point ill-conditioned.
  ill_uncertainty = 0.1,
  # Standard errors spanning more than this ratio: a scaling finding.
  scaling_span = 1e3,
  # |z| above this is implausible (a log-likelihood divided by n, or maximised).
  large_z = 1e3,
  # |estimate| above this with a larger SE, and fn no higher at twice the estimate: the
  # estimate drifts to infinity (separation, a probability or a variance at 0 on a logit
  # or log scale), and the point is not identified.
  separation = 5,
  # Drift searches (find_drift()): the estimate's own direction is tried when doubling it
  # would raise fn by less than this on the Hessian's prediction; eigen-directions whose
  # curvature is below drift_small of the largest are walked from 2 standard errors out.
  drift_rise = 1,
  # A parameter at its edge (at_edge(), drift.R): fn moves outwards (at 2, 4 and 8
  # times a large estimate) by at most this fraction of its rise inwards (at half the
  # estimate). A log-variance at -5 gives 1 / 148, a logit at -5 (fn ~ n p) 1 / 12; a
  # quadratic 4, rounding along an aliased direction about 1.
  edge_ratio = 8,
  # fn below -unbounded_value where its differences overflow: it falls without bound.
  unbounded_value = 1e100,
  drift_small = 1e-4,
  # ... together: the Newton step over them is walked at these multiples (fn falling
  # like exp(-eta) moves eta by about one unit per Newton step), and a direction of the
  # rest of their subspace is part of the drift when tilting it by this much (unit
  # vectors) either way leaves a drift.
  drift_walk = 4^(-1:3),
  drift_tilt = 0.25,
  # A parameter is estimable (keeps its SE where directions are flat) when its share of
  # every flat direction (unit vectors in the scaled coordinates) is below this.
  estimable = 1e-3,
  # fit$hessian's standard errors off by more than this fraction: a warning.
  fit_hessian_se = 0.01,
  # Coefficients of a direction below this share of the largest (on the parameters'
  # own scale) are left out of its printed form.
  combo_share = 0.25,
  # A flat direction of two log-scale parameters is the tangent of exp(ka a) + exp(kb b)
  # = const when its ratio is within sum_ratio of the tangent's, and fn is the same
  # within its noise, or sum_rel of |fn|, where the sum is split otherwise: only the sum
  # of the two variances is identified (identified_sums()).
  sum_ratio = 0.05,
  sum_rel = 1e-10,
  # Relative step of optim's Hessian that `ndeps` advice aims at, in standard errors.
  ndeps_se = 1e-3
)

# The verdicts, one row each, most serious first: `text` heads print(x), `noun` names the
# point in sentences such as "No covariance matrix: the point is ...", `se_usable` says
# whether Hessian-based (and resampled) standard errors mean anything there. verdict()
# takes the first row whose state holds.
verdict_table <- local({
  v <- function(verdict, text, noun, se_usable) {
    list(verdict = verdict, text = text, noun = noun, se_usable = se_usable)
  }
  rows <- list(
    v("not_smooth", "fn is not smooth at par: Wald standard errors do not apply",
      "a point where fn is not smooth", FALSE),
    v("too_noisy", "fn is too noisy here: its differences measure the noise, not a curvature, and no standard error can be had from them",
      "a point where fn is too noisy for a Hessian", FALSE),
    v("unbounded", "fn decreases without bound: you minimised a log-likelihood, or fn has no minimum; maximise it with optim(control = list(fnscale = -1)) or minimise -fn",
      "a point on a slope down to -Inf (a log-likelihood minimised?)", FALSE),
    v("no_finite_estimate", "no finite estimate: fn decreases towards an asymptote as parameters run to infinity, so the standard errors describe nothing",
      "a point on the way to infinity (no finite estimate exists)", FALSE),
    v("not_identified", "flat directions: some parameters are not identified and have no standard error",
      "on a flat ridge (parameters not identified)", FALSE),
    v("not_stationary_far", "not at the optimum: the estimate is not a stationary point",
      "not a stationary point", FALSE),
    v("maximum", "a maximum, not a minimum: the standard errors are not valid",
      "a maximum", FALSE),
    v("saddle", "a saddle point, not a minimum: the standard errors are not valid",
      "a saddle point", FALSE),
    v("not_stationary", "not at the optimum: the estimate is not a stationary point",
      "not a stationary point", FALSE),
    v("at_bound", "a minimum with parameters on a bound: no Wald standard error for those",
      "on a bound", TRUE),
    v("weakly_identified", "a minimum, but fn rises only at fourth order along a direction: Wald standard errors do not apply along it",
      "a weakly identified minimum", TRUE),
    v("ill_conditioned", "a minimum, but ill-conditioned: treat the standard errors with care",
      "an ill-conditioned minimum", TRUE),
    v("minimum", "a minimum: the Hessian is positive definite and the standard errors can be used",
      "a minimum", TRUE)
  )
  fast_df(lapply(stats::setNames(names(rows[[1L]]), names(rows[[1L]])),
                 function(k) unlist(lapply(rows, `[[`, k))))
})

verdict_order <- verdict_table$verdict
# The verdicts check_fit() returns ("not_stationary_far" is reported as "not_stationary").
verdict_text <- stats::setNames(verdict_table$text, verdict_table$verdict)[
  verdict_order != "not_stationary_far"]
verdict_noun <- stats::setNames(verdict_table$noun, verdict_table$verdict)[
  verdict_order != "not_stationary_far"]

# Whether v is one verdict check_fit() gives (objects read back are checked with it).
is_verdict <- function(v) {
  is.character(v) && length(v) == 1L && !is.na(v) && v %in% names(verdict_text)
}

# Verdicts at which Hessian-based (and resampled) standard errors mean nothing.
unusable_verdicts <- verdict_table$verdict[!verdict_table$se_usable]

# For bootstrap_se() and coverage_check(): stop with a classed error at a point whose
# standard errors mean nothing, unless force = TRUE. `what` names the caller.
require_usable_verdict <- function(x, force, what) {
  if (isTRUE(force) || !(x$verdict %in% unusable_verdicts)) return(invisible(x))
  hc_abort("bad_verdict", sprintf(
    "%s(): check_fit() says the estimate is %s (%s), so resampled standard errors would describe nothing. Fix the fit first (see print(x)), or pass force = TRUE to run anyway.",
    what, verdict_noun[[x$verdict]], x$verdict
  ), verdict = x$verdict)
}

# The verdict: the first row of verdict_table whose state holds. Far from stationary
# (beyond tol_far standard errors) outranks curvature, whose sign there says little about
# the optimum. `extra`: states found beyond the classification (drift, profiles), named
# as in verdict_table.
verdict <- function(clf, th, extra = list()) {
  zmax <- clf$newton_distance
  ill <- clf$positive &&
    (clf$cond > th$tol_ill || any(clf$uncertainty > th$ill_uncertainty * clf$values))
  state <- c(
    not_smooth = any(clf$kink) || length(clf$kink_parameters) > 0L ||
      length(clf$stairs_parameters) > 0L,
    too_noisy = clf$too_noisy,
    unbounded = FALSE,
    no_finite_estimate = FALSE,
    not_identified = any(clf$no_dependence) || any(clf$sign == 0L & !clf$weak),
    not_stationary_far = zmax > th$tol_far,
    maximum = clf$maximum,
    saddle = clf$saddle,
    not_stationary = any(clf$off_optimum) || any(clf$kkt_violated),
    at_bound = any(clf$at_bound != 0L),
    weakly_identified = any(clf$weak),
    ill_conditioned = ill,
    minimum = clf$positive
  )
  for (k in names(extra)) state[[k]] <- state[[k]] || isTRUE(extra[[k]])
  v <- verdict_order[state[verdict_order]][1L]
  if (is.na(v)) v <- "at_bound"        # no free parameter: all on bounds
  if (v == "not_stationary_far") v <- "not_stationary"
  v
}
