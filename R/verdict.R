# The one place where check_fit()'s verdict is decided: the thresholds and their meaning,
# the classification of a point (C's linear algebra, then fn itself along the directions
# the Hessian leaves undecided), and verdict(), which ranks what was found.

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
  separation = 10,
  # fit$hessian's standard errors off by more than this fraction: a warning.
  fit_hessian_se = 0.01,
  # Coefficients of a direction below this share of the largest (on the parameters'
  # own scale) are left out of its printed form.
  combo_share = 0.25,
  # Relative step of optim's Hessian that `ndeps` advice aims at, in standard errors.
  ndeps_se = 1e-3
)

verdict_order <- c("not_smooth", "not_identified", "not_stationary_far", "maximum",
                   "saddle", "not_stationary", "at_bound", "ill_conditioned", "minimum")

verdict_text <- c(
  not_smooth = "fn is not smooth at par: Wald standard errors do not apply",
  not_identified = "flat directions: some parameters are not identified and have no standard error",
  maximum = "a maximum, not a minimum: the standard errors are not valid",
  saddle = "a saddle point, not a minimum: the standard errors are not valid",
  not_stationary = "not at the optimum: the estimate is not a stationary point",
  at_bound = "a minimum with parameters on a bound: no Wald standard error for those",
  ill_conditioned = "a minimum, but ill-conditioned: treat the standard errors with care",
  minimum = "a minimum: the Hessian is positive definite and the standard errors can be used"
)

# The point as a noun phrase, for sentences such as "No covariance matrix: ...".
verdict_noun <- c(
  not_smooth = "a point where fn is not smooth",
  not_identified = "on a flat ridge (parameters not identified)",
  maximum = "a maximum",
  saddle = "a saddle point",
  not_stationary = "not a stationary point",
  at_bound = "on a bound",
  ill_conditioned = "an ill-conditioned minimum",
  minimum = "a minimum"
)

# Whether v is one verdict check_fit() gives (objects read back are checked with it).
is_verdict <- function(v) {
  is.character(v) && length(v) == 1L && !is.na(v) && v %in% names(verdict_text)
}

# Verdicts at which Hessian-based (and resampled) standard errors mean nothing.
unusable_verdicts <- c("not_smooth", "not_identified", "maximum", "saddle", "not_stationary")

# For bootstrap_se() and coverage_check(): stop with a classed error at a point whose
# standard errors mean nothing, unless force = TRUE. `what` names the caller.
require_usable_verdict <- function(x, force, what) {
  if (isTRUE(force) || !(x$verdict %in% unusable_verdicts)) return(invisible(x))
  hc_abort("bad_verdict", sprintf(
    "%s(): check_fit() says the estimate is %s (%s), so resampled standard errors would describe nothing. Fix the fit first (see print(x)), or pass force = TRUE to run anyway.",
    what, verdict_noun[[x$verdict]], x$verdict
  ), verdict = x$verdict)
}

# Classify the point: C's scaled eigen-decomposition with error bars, then fn along each
# direction the Hessian leaves undecided, the stationarity measures and the covariance.
# `probe`: make_probe()'s function(cl, sure, ask), or NULL to use the Hessian alone.
classify_point <- function(h, par, bounds, th, probe = NULL) {
  g <- attr(h, "gradient")
  ge <- attr(h, "gradient_error")
  cl <- .Call(hc_classify, unclass(h), attr(h, "error"), g, ge, unname(par),
              bounds$lower, bounds$upper, th$tol_bound)
  free <- cl$free
  # fn piecewise constant in a parameter: its zero curvature is no evidence that fn
  # does not depend on it (the not-smooth finding says what it is).
  cl$depends[attr(h, "status") %in% c("stairs", "kink")] <- 1L
  k <- length(free)
  d <- cl$scale
  lam <- cl$values
  unc <- cl$uncertainty
  src <- rep("hessian", k)
  kink <- rep(FALSE, k)
  ridge <- rep(FALSE, k)
  probed <- NULL
  gs <- g[free] / d[free]
  gse <- ge[free] / d[free]
  lmax <- if (k) max(abs(lam)) else 0
  # Undecided (|lambda| within its error bar) or suspicious (error bar above probe_rel
  # of it, or |lambda| below probe_small of the largest) directions are asked of fn.
  ask <- which(!(abs(lam) > th$significant * unc) | unc > th$probe_rel * abs(lam) |
                 abs(lam) < th$probe_small * lmax)
  if (length(ask) && !is.null(probe)) {
    # The Newton point is sought along the certain positive directions only: along a
    # certain negative one a Newton step with |curvature| would descend, not approach
    # the stationary point.
    sure <- setdiff(seq_len(k), ask)
    probed <- probe(cl, sure[lam[sure] > 0], ask)
    M <- probed$matrix
    Em <- probed$error
    kink[ask] <- probed$kink
    qd <- probed$quartic
    ok <- !is.na(diag(M))
    if (all(ok) && !anyNA(M)) {
      # Rayleigh-Ritz on the probed subspace: its eigenvalues replace the Hessian's,
      # its eigenvectors rotate theirs, with the error bars of eigen.c.
      e <- eigen(M, symmetric = TRUE)
      ord <- order(e$values)
      W <- e$vectors[, ord, drop = FALSE]
      frob <- sqrt(sum(Em^2))
      vecs <- cl$vectors
      vecs[, ask] <- cl$vectors[, ask, drop = FALSE] %*% W
      cl$vectors <- vecs
      lam[ask] <- e$values[ord]
      unc[ask] <- pmin(colSums(abs(W) * (Em %*% abs(W))), frob)
      src[ask] <- "fn"
      # The quartic term along each new direction, from those along the old ones.
      qn <- drop(crossprod(W^2, qd))
      if (any(qn != 0)) {
        ridge[ask] <- abs(qn) > ridge_limit(probed, cl, lam, unc, sure, th) * lam[ask]^2
      }
      # The Rayleigh quotient along each rotated direction, asked of fn again: second
      # order in the rotation's error, so it is kept where the probe's own error bar is
      # below the Ritz value's.
      for (j in seq_along(ask)) {
        q <- ask[j]
        if (ridge[q]) next
        pr <- probed$along(vecs[, q], lam[q], unc[q])
        if (!is.null(pr) && pr$error < unc[q]) {
          lam[q] <- pr$value
          unc[q] <- pr$error
          kink[q] <- kink[q] || pr$kink
        }
      }
    } else {
      lim <- if (any(qd[ok] != 0)) ridge_limit(probed, cl, lam, unc, sure, th) else Inf
      for (i in which(ok)) {
        q <- ask[i]
        if (Em[i, i] < unc[q]) {
          ridge[q] <- abs(qd[i]) > lim * M[i, i]^2
          lam[q] <- M[i, i]
          unc[q] <- Em[i, i]
          src[q] <- "fn"
        }
      }
    }
  }
  # A kink seen along some direction: which parameters carry it, along each axis.
  kink_par <- integer()
  if (any(kink) && !is.null(probed$along)) {
    kink_par <- free[vapply(seq_len(k), function(i) {
      w <- numeric(k)
      w[i] <- 1
      pr <- probed$along(w, 1, 1)
      !is.null(pr) && pr$kink
    }, NA)]
  }
  # A kink the engine saw on an axis (its one-sided second differences disagree).
  kink_par <- sort(union(kink_par, which(attr(h, "status") == "kink" & cl$at_bound == 0L)))
  if (is.unsorted(lam)) {
    o <- order(lam)
    lam <- lam[o]; unc <- unc[o]; src <- src[o]; kink <- kink[o]; ridge <- ridge[o]
    cl$vectors <- cl$vectors[, o, drop = FALSE]
  }
  sgn <- (lam > th$significant * unc) - (lam < -th$significant * unc)
  # A curved ridge's own curvature is zero up to the tilt of a leftover gradient; a
  # clearly curved direction (a banana-shaped valley such as Rosenbrock's at its
  # minimum, whose fn also rises at fourth order) is identified.
  ridge <- ridge & abs(lam) < th$ridge_curvature * max(abs(lam), 0)
  sgn[ridge] <- 0L
  flat <- sgn == 0L

  # Stationarity: the Newton step over the non-flat directions, with |lambda| (so that
  # it is defined at a saddle too), in standard errors of that metric; per parameter,
  # and along each direction in its own standard errors, so that a step along a
  # well-determined direction is not hidden by a poorly determined one (eigen.c).
  pos <- k > 0L && all(sgn == 1L)
  nt <- .Call(hc_newton, cl$vectors, lam, !flat, gs, gse, d[free], pos)
  z <- nt$z
  ze <- nt$z_error
  zk <- nt$direction_z
  sig_k <- !flat & abs(zk) > th$significant * nt$direction_z_error
  zdir <- max(0, abs(zk[sig_k]))
  newton <- nt$step / d[free]
  off <- !is.na(z) & abs(z) > th$tol_step & abs(z) > th$significant * ze
  if (zdir > th$tol_step && !any(off)) off[which.max(abs(z))] <- TRUE
  cov <- if (pos) nt$cov / tcrossprod(d[free])
  scaled_gradient <- nt$scaled_gradient
  kkt_bad <- cl$at_bound != 0L & !is.na(cl$kkt) & cl$kkt < 0 &
    abs(cl$kkt) > th$tol_step & abs(cl$kkt) > th$significant * cl$kkt_error
  list(
    scale = d, at_bound = cl$at_bound, kkt = cl$kkt,
    kkt_violated = kkt_bad, free = free,
    values = lam, vectors = cl$vectors, uncertainty = unc, hessian_values = cl$values,
    hessian_uncertainty = cl$uncertainty, source = src, sign = sgn, kink = kink,
    ridge = ridge, probed = probed,
    kink_parameters = kink_par,
    stairs_parameters = which(attr(h, "status") == "stairs" & cl$at_bound == 0L),
    newton = newton, newton_z = z, newton_error = ze, off_optimum = off,
    cov = cov, scaled_gradient = scaled_gradient,
    # the states read by the verdict, the findings and check_fit(), derived once
    positive = pos, saddle = any(sgn == -1L) && any(sgn == 1L),
    maximum = length(sgn) > 0L && all(sgn == -1L),
    no_dependence = !cl$depends & cl$at_bound == 0L,
    cond = if (pos) max(lam) / min(lam) else NA_real_,
    newton_distance = max(zdir, abs(z[off]))
  )
}

# The bound on quartic term / curvature^2 beyond which a probed direction is a ridge:
# ridge_ratio times the same along the certain direction of largest curvature, and at
# least 1 (see hc_thresholds). Called only when a probed direction has a quartic term.
ridge_limit <- function(probed, cl, lam, unc, sure, th) {
  r <- 0
  top <- sure[lam[sure] > 0]
  if (length(top)) {
    q <- top[which.max(lam[top])]
    pr <- probed$along(cl$vectors[, q], lam[q], unc[q])
    if (!is.null(pr) && pr$value > 0) r <- abs(pr$quartic) / pr$value^2
  }
  max(th$ridge_ratio * r, 1)
}

# The verdict: the most serious of the states found, in verdict_order. Far from
# stationary (beyond tol_far standard errors) outranks curvature, whose sign there
# says little about the optimum.
verdict <- function(cl, th, drift = logical()) {
  n_nodep <- sum(cl$no_dependence)
  zmax <- cl$newton_distance
  ill <- cl$positive &&
    (cl$cond > th$tol_ill || any(cl$uncertainty > th$ill_uncertainty * cl$values))
  state <- c(
    not_smooth = any(cl$kink) || length(cl$kink_parameters) > 0L ||
      length(cl$stairs_parameters) > 0L,
    not_identified = n_nodep > 0L || any(cl$sign == 0L) || any(drift),
    not_stationary_far = zmax > th$tol_far,
    maximum = cl$maximum,
    saddle = cl$saddle,
    not_stationary = any(cl$off_optimum) || any(cl$kkt_violated),
    at_bound = any(cl$at_bound != 0L),
    ill_conditioned = ill,
    minimum = cl$positive
  )
  v <- verdict_order[state[verdict_order]][1L]
  if (is.na(v)) v <- "at_bound"        # no free parameter: all on bounds
  if (v == "not_stationary_far") v <- "not_stationary"
  v
}
