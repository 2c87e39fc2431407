# From the C classification to the "hesscheck" object: the table of estimates and standard
# errors, the estimable parameters, the findings (findings.R, findings-numerics.R), the
# covariance matrix and the eigen-analysis, under the verdict.

# The table of estimates: SEs where they mean something, and why not elsewhere.
se_table <- function(ctx) {
  clf <- ctx$cl
  n <- length(ctx$par)
  nm <- ctx$nm
  se <- rep(NA_real_, n)
  names(se) <- nm
  se[clf$free] <- ctx$se_free
  status <- rep("", n)
  if (is.null(clf$cov)) {
    status[clf$free] <- switch(ctx$verdict,
      maximum = "NA: maximum", saddle = "NA: saddle", not_smooth = "NA: fn not smooth",
      not_identified = "NA: not identified", too_noisy = "NA: fn too noisy",
      weakly_identified = "NA: fn flat at second order",
      "NA: Hessian not positive definite"
    )
  }
  # Estimable parameters (orthogonal to the flat directions) keep their SEs: c' H^+ c;
  # the others have none.
  est <- ctx$estimable
  if (any(ctx$null)) {
    se[clf$free[!est]] <- NA_real_
    status[clf$free[!est]] <- switch(ctx$verdict,
      no_finite_estimate = , unbounded = "NA: on a direction with no finite estimate",
      weakly_identified = "NA: fn flat at second order",
      "NA: not identified")
  }
  if (any(est)) {
    se[clf$free[est]] <- ctx$se_estimable[est]
    status[clf$free[est]] <- if (length(ctx$drifts)) "estimable (off the drifting directions)" else
      "estimable (off the flat directions)"
  }
  status[clf$no_dependence] <- "NA: fn does not depend on it"
  if (any(ctx$drift)) se[clf$free[ctx$drift]] <- NA_real_
  # (a parameter fn seemed to ignore, found at its edge, is not free: it has no SE anyway)
  drifting <- unique(unlist(lapply(ctx$drifts, `[[`, "parameters")))
  status[drifting] <- "NA: drifts to infinity (no finite estimate)"
  if (ctx$verdict %in% c("not_smooth", "too_noisy")) {
    # no Hessian at par: no Wald SE for any parameter of the joint fit
    se[] <- NA_real_
    status[clf$at_bound == 0L] <- if (ctx$verdict == "too_noisy") "NA: fn too noisy" else
      "NA: fn not smooth"
  }
  # An SE shown at a point the verdict rejects says why it is not valid.
  shown <- is.finite(se) & !nzchar(status)
  if (!verdict_table$se_usable[verdict_table$verdict == ctx$verdict]) {
    why <- switch(ctx$verdict,
      not_stationary = if (!is.na(ctx$info$convergence) && ctx$info$convergence != 0)
        "not valid: the optimiser stopped short of the optimum" else
        "not valid: not at the optimum",
      paste("not valid:", verdict_noun[[ctx$verdict]]))
    status[shown] <- why
  }
  status[ctx$missing_bound] <- "not valid: at a bound check_fit() was not given"
  status[clf$at_bound < 0L] <- "NA: on lower bound"
  status[clf$at_bound > 0L] <- "NA: on upper bound"
  par <- ctx$par
  zq <- stats::qnorm(1 - (1 - ctx$level) / 2)
  lo <- par - zq * se
  up <- par + zq * se
  cross <- is.finite(se) & (lo < ctx$bounds$lower | up > ctx$bounds$upper)
  status[cross] <- "interval crosses a bound"
  list(table = fast_df(list(estimate = unname(par), se = unname(se), z = unname(par / se),
                            lower = unname(lo), upper = unname(up), status = status),
                       row_names = nm),
       cross = cross)
}

# The drifts' directions (and the directions that tilt them) in the scaled coordinates of
# the free parameters, orthonormal: a k x m matrix. Single coordinates drifting (one
# finding names them together) each span their own axis: each drifts on its own.
drift_span <- function(drifts, clf) {
  d <- clf$scale[clf$free]
  cols <- unlist(lapply(drifts, function(dr) {
    own <- if (is.null(dr$own)) dr$parameters else dr$own
    dirs <- if (identical(dr$how, "coordinate")) {
      lapply(intersect(own, clf$free), function(i) `[<-`(dr$direction * 0, i, 1))
    } else list(dr$direction)
    lapply(c(dirs, dr$tilts), function(u) u[clf$free] * d)
  }), recursive = FALSE)
  if (!length(cols)) return(matrix(0, length(clf$free), 0L))
  S <- do.call(cbind, cols)
  q <- qr(S)
  qr.Q(q)[, seq_len(q$rank), drop = FALSE]
}

# Whether each column of V (unit vectors) lies mostly (more than half its squared length)
# in the span of the orthonormal columns of S: a direction of small curvature that the
# drift runs along; the others (a collinear pair beside a separated cell) stay finite.
in_span <- function(V, S) {
  if (!ncol(S)) return(rep(FALSE, ncol(V)))
  colSums(crossprod(S, V)^2) > 0.5
}

new_hesscheck <- function(state, info, verdict, value, sgn, ctrl, th, bounds, escape,
                          refine, evals, first, drift = logical(), drifts = list(),
                          problem = NULL) {
  h <- state$h
  clf <- state$clf
  par <- state$par
  nm <- names(par)
  n <- length(par)
  fnm <- nm[clf$free]
  se_free <- if (!is.null(clf$cov)) sqrt(diag_of(clf$cov)) else rep(NA_real_, length(clf$free))
  names(se_free) <- fnm
  se_unc <- se_uncertainty(clf)
  es <- estimable_se(clf, verdict, th, drift, drifts)
  est <- es$est
  se_est <- es$se_est
  null <- es$null
  # Parameters at 0 or 1 with fn falling beyond: a bound check_fit() was not given.
  mb <- if (verdict != "too_noisy") missing_bound_parameters(first, th)
  ctx <- list(cl = clf, h = h, par = par, nm = nm, fnm = fnm, sgn = sgn, th = th,
              estimable = est, se_estimable = se_est, null = null,
              missing_bound = seq_along(par) %in% c(mb$lo, mb$up),
              missing_bound_parameters = mb,
              bounds = bounds, info = info, escape = escape, refine = refine,
              verdict = verdict, level = ctrl$level, se_free = se_free,
              se_uncertainty = se_unc, first = first, drift = drift, drifts = drifts,
              fx = if (sgn < 0) "-fn" else "fn")
  tab <- se_table(ctx)
  ctx$table_cross <- tab$cross
  ctx$fit_hessian <- compare_fit_hessian(ctx)
  findings <- ask_findings(ctx)
  V <- full_vcov(clf, drift, nm, n)
  na_n <- rep(NA_real_, n)
  names(na_n) <- nm
  full <- function(x) `[<-`(na_n, clf$free, x)
  structure(list(
    verdict = verdict,
    findings = findings,
    table = tab$table,
    par = par,
    value = value,
    gradient = attr(h, "gradient"),
    gradient_error = attr(h, "gradient_error"),
    hessian = h,
    vcov = V,
    eigen = list(values = clf$values, vectors = `dimnames<-`(clf$vectors, list(fnm, NULL)),
                 uncertainty = clf$uncertainty, sign = clf$sign, parameters = fnm,
                 source = clf$source,
                 scale = clf$scale[clf$free],
                 hessian_values = clf$hessian_values,
                 hessian_uncertainty = clf$hessian_uncertainty),
    se_uncertainty = full(se_unc),
    condition = clf$cond,
    newton = list(step = full(clf$newton), z = full(clf$newton_z),
                  scaled_gradient = clf$scaled_gradient),
    at_bound = `names<-`(clf$at_bound, nm),
    escape = escape,
    refine = refine,
    fit_hessian = ctx$fit_hessian,
    optimizer = info$optimizer,
    convergence = info$convergence,
    fnscale = sgn,
    level = ctrl$level,
    evaluations = evals,
    problem = problem
  ), class = "hesscheck")
}

# Relative uncertainty of each SE from its eigenvalues' error bars: SE^2 = sum_k
# (v_ik / d_i)^2 / lambda_k, so dSE / SE = sum_k w_k (u_k / lambda_k) / 2 with weights
# w_k = v_ik^2 / lambda_k / sum (NA without a covariance matrix).
se_uncertainty <- function(clf) {
  se_unc <- rep(NA_real_, length(clf$free))
  if (!is.null(clf$cov)) {
    w <- t(t(clf$vectors^2) / clf$values)
    se_unc <- drop(w %*% (clf$uncertainty / clf$values)) / rowSums(w) / 2
  }
  se_unc
}

# Estimable parameters where the verdict leaves flat directions: those orthogonal (in
# the scaled coordinates) to every direction that is flat, weak, or (with a drift) below
# drift_small of the largest curvature; their variance is c' H^+ c over the other
# directions, the same for any generalised inverse (numerics notes, "What stays
# estimable under non-identification"). list(est, se_est, null): which free parameters
# are estimable, their SEs, and the null directions (NULL where the verdict has none).
estimable_se <- function(clf, verdict, th, drift, drifts) {
  est <- rep(FALSE, length(clf$free))
  se_est <- rep(NA_real_, length(clf$free))
  null <- if (verdict %in% c("not_identified", "weakly_identified")) {
    clf$sign == 0L
  } else if (verdict %in% c("no_finite_estimate", "unbounded")) {
    clf$sign != 1L | (clf$values < th$drift_small * max(abs(clf$values), 0) &
                       in_span(clf$vectors, drift_span(drifts, clf)))
  }
  if (any(null) && all(clf$sign[!null] == 1L) && !any(clf$no_dependence)) {
    V <- clf$vectors
    est <- apply(abs(V[, null, drop = FALSE]), 1L, max) <= th$estimable & !drift
    keep <- !null
    se_est <- sqrt(drop((V[, keep, drop = FALSE]^2) %*% (1 / clf$values[keep]))) /
      clf$scale[clf$free]
    se_est[!est] <- NA_real_
  } else if (length(drifts) && !is.null(clf$cov)) {
    # drifting coordinates with no flat eigen-direction: the others keep theirs
    null <- rep(TRUE, length(clf$free))
    est <- !drift
    se_est <- ifelse(est, sqrt(diag(clf$cov)), NA_real_)
  }
  list(est = est, se_est = se_est, null = null)
}

# Every finding of the context, in the order of finding_functions, as one data frame.
ask_findings <- function(ctx) {
  out <- list()
  for (f in finding_functions) {
    r <- f(ctx)
    if (length(r)) out <- c(out, r)
  }
  findings_frame(out)
}

# The covariance matrix of all parameters (NA for those not free or drifting), or NULL
# where the free parameters have none.
full_vcov <- function(clf, drift, nm, n) {
  if (is.null(clf$cov)) return(NULL)
  V <- matrix(NA_real_, n, n, dimnames = list(nm, nm))
  V[clf$free, clf$free] <- clf$cov
  if (any(drift)) V[clf$free[drift], ] <- V[, clf$free[drift]] <- NA_real_
  V
}
