# Findings about the numerics of the Hessian and of fn (findings.R has their helpers and
# the list of all findings): ill-conditioning, scaling, extreme values, drifts to infinity,
# unresolved elements, the fit's own Hessian, fnscale, nearness to bounds, noise.

finding_ill_conditioned <- function(ctx) {
  clf <- ctx$cl
  if (ctx$verdict != "ill_conditioned") return(list())
  q <- which.min(clf$values)
  cmb <- combo_of(ctx, q)
  unc <- clf$uncertainty[q] / clf$values[q]
  se_unc <- max(ctx$se_uncertainty)
  new_finding("ill_conditioned", "warning", cmb$parameters, sprintf(
    "ill-conditioned: the scaled Hessian has condition number %s; the smallest curvature, along %s, is %s within %s%%%s. The standard errors are uncertain by up to %s%%.",
    fmt(clf$cond), cmb$text, fmt(clf$values[q]), fmt(100 * unc),
    if (clf$source[q] == "fn") " (measured with fn along it, beyond what the Hessian's differences resolve)" else "",
    fmt(100 * se_unc)
  ))
}

# Standard errors (or 1/sqrt(H[i, i])) spanning orders of magnitude: optim's fixed steps
# suit none of them; `ndeps` (in parscale units, parscale left at 1) sets optim's and
# optimHess()'s steps, ndeps_se standard errors each.
finding_scaling <- function(ctx) {
  # SEs of parameters drifting to infinity measure nothing: no advice built on them;
  # and the advice is for optim()'s Hessian: none where the fit came with a Hessian whose
  # SEs are within fit_hessian_se of hesscheck's (it would change nothing)
  if (length(ctx$drifts)) return(list())
  fh <- ctx$fit_hessian
  if (!is.null(fh) && !is.na(fh$difference) &&
      (fh$difference <= 3 * fh$error ||
       (any(!is.na(fh$se_ratio)) &&
          max(abs(fh$se_ratio - 1), na.rm = TRUE) <= ctx$th$fit_hessian_se))) {
    return(list())
  }
  sc <- if (!is.null(ctx$cl$cov)) ctx$se_free else 1 / ctx$cl$scale[ctx$cl$free]
  if (length(sc) < 2L || !all(is.finite(sc))) return(list())
  span <- max(sc) / min(sc)
  if (span <= ctx$th$scaling_span) return(list())
  fnm <- ctx$fnm
  lo <- which.min(sc)
  hi <- which.max(sc)
  nd <- ctx$th$ndeps_se * sc
  new_finding("scaling", "warning", fnm[c(lo, hi)], sprintf(
    "scaling: the standard errors span %s orders of magnitude (%s %s, %s %s). optim()'s fixed steps (ndeps = 1e-3 for every parameter) are then %s standard errors for %s but %s for %s, so its Hessian is inaccurate; for optim(hessian = TRUE) or optimHess(), pass control = list(ndeps = c(%s)), or rescale the parameters.",
    fmt(log10(span), 2), fnm[lo], fmt(sc[lo]), fnm[hi], fmt(sc[hi]),
    fmt(1e-3 / sc[lo]), fnm[lo], fmt(1e-3 / sc[hi]), fnm[hi],
    paste0(r_name(fnm), " = ", fmt(nd, 1), collapse = ", ")
  ))
}

finding_extreme <- function(ctx) {
  if (is.null(ctx$cl$cov)) return(list())
  out <- list()
  fnm <- ctx$fnm
  est <- ctx$par[ctx$cl$free]
  se <- ctx$se_free
  zz <- est / se
  big <- which(abs(zz) > ctx$th$large_z)
  if (length(big)) {
    out <- c(out, new_finding("large_z", "warning", fnm[big], sprintf(
      "extreme: |z| = %s for %s is implausibly large: check that fn is the whole negative log-likelihood (not divided by the sample size) and that it was minimised.",
      fmt(max(abs(zz[big]))), name_list(fnm[big])
    )))
  }
  out
}

# Drift (find_drift()): fn falls towards an asymptote, or without bound, as parameters run
# off to infinity along a direction.
finding_drift <- function(ctx) {
  out <- list()
  for (dr in ctx$drifts) {
    u <- dr$direction[ctx$cl$free]
    # p: the parameters without a finite estimate; own: those the direction itself moves
    p <- ctx$nm[dr$parameters]
    own <- ctx$nm[if (is.null(dr$own)) dr$parameters else dr$own]
    combo <- function(u) {
      format_combo(u * ctx$cl$scale[ctx$cl$free], u, ctx$fnm, ctx$th$combo_share)$text
    }
    along <- if (dr$how == "estimate" && length(own) > 1L) {
      sprintf("the direction of the estimate itself (%s scaled up together)", name_list(own))
    } else if (dr$how == "coordinate" || length(own) == 1L) {
      # (by name in the whole direction: a parameter fn seemed to ignore is not free)
      name_list(sprintf("%s (%s)", own, ifelse(dr$direction[own] > 0, "increasing",
                                               "decreasing")))
    } else {
      combo(u)
    }
    # the directions that tilt the drift either way without stopping it
    tilts <- vapply(dr$tilts, function(w) combo(w[ctx$cl$free]), "")
    if (length(tilts)) {
      along <- sprintf("%s (and along %s tilted either way towards %s)", along,
                       if (dr$how == "coordinate" && length(own) > 1L) "them" else "it",
                       name_list(unique(tilts)))
    }
    one <- length(p) == 1L
    msg <- if (dr$kind == "unbounded") {
      sprintf(
        "unbounded: %s decreases without bound along %s, by more at each step out: it has no minimum. If %s is a log-likelihood, you minimised it: maximise it with optim(control = list(fnscale = -1)), or minimise -%s. %s no standard error.",
        ctx$fx, along, ctx$fx, ctx$fx, if (one) "It has" else "They have"
      )
    } else {
      sprintf(
        "no finite estimate: %s decreases monotonically towards an asymptote along %s, so the maximum-likelihood estimate is at infinity (separation in a logistic model; on a logit or log scale, a zero-inflation probability or a variance component at 0). %s %s no standard error, and a bootstrap would not give one: drop or fix %s, or use a penalised or bounded fit.",
        ctx$fx, along, name_list(p), if (one) "has" else "have",
        if (one) "that term" else "those terms"
      )
    }
    out <- c(out, new_finding(if (dr$kind == "unbounded") "unbounded" else "no_finite_estimate",
                              "error", p, msg))
  }
  out
}

finding_unresolved <- function(ctx) {
  h <- ctx$h
  out <- list()
  unres <- !attr(h, "resolved")
  if (any(unres)) {
    out <- c(out, new_finding("unresolved", "warning", ctx$nm[unres], sprintf(
      "noise: the curvature of %s in %s stayed below the noise of fn (%s): its Hessian entries are unreliable.",
      ctx$fx, name_list(ctx$nm[unres]), fmt(attr(h, "noise"))
    )))
  }
  # Elements whose error bound exceeds 10% of their size (hessian_fd()'s warning, which
  # check_fit() reports here instead); a kink or noise already found says it better, and
  # on a slope down to -Inf no standard error depends on them.
  u <- attr(h, "unresolved")
  if (!is.null(u) && any(u) && !ctx$verdict %in% c("not_smooth", "too_noisy", "unbounded")) {
    lab <- unresolved_labels(u, ctx$nm)
    out <- c(out, new_finding("unresolved", "warning", lab$parameters, sprintf(
      "unresolved: differences could not resolve the Hessian's elements for %s (error bounds above %s of their size: %s is flat, kinked, saturating or too noisy there); standard errors that depend on them are not reliable.",
      lab$text, sprintf("%g%%", 100 * hessian_thresholds$unresolved), ctx$fx
    )))
  }
  out
}

# The Hessian the optimiser returned, compared with hesscheck's at the same point (the
# fit's estimate, before any refinement). With no free parameter or non-finite entries
# there is nothing to compare: the matrix is kept with NA differences.
compare_fit_hessian <- function(ctx) {
  info <- ctx$info
  if (is.null(info$hessian)) return(NULL)
  first <- ctx$first
  clf <- first$clf
  free <- clf$free
  nm <- names(first$par)
  Hf <- info$hessian * (if (info$optimizer == "optim") ctx$sgn else 1)
  fnm <- nm[free]
  if (!length(free) || !all(is.finite(Hf[free, free, drop = FALSE]))) {
    return(list(difference = NA_real_, error = NA_real_,
                se_ratio = stats::setNames(rep(NA_real_, length(free)), fnm), matrix = Hf))
  }
  H <- as.matrix(first$h)
  sc <- clf$scale[free]
  s <- outer(sc, sc)
  dif <- abs(Hf[free, free, drop = FALSE] - H[free, free, drop = FALSE]) / s
  err <- attr(first$h, "error")[free, free, drop = FALSE] / s
  se_fit <- se_from_hessian(Hf, seq_len(ncol(Hf)) %in% free)[free]
  ratio <- if (!is.null(clf$cov)) se_fit / sqrt(diag(clf$cov)) else rep(NA_real_, length(free))
  names(ratio) <- fnm
  list(difference = max(dif), error = max(err), se_ratio = ratio, matrix = Hf)
}

finding_fit_hessian <- function(ctx) {
  fh <- ctx$fit_hessian
  if (is.null(fh)) return(list())
  if (is.na(fh$difference)) {
    # no comparison: no free parameters, or fit$hessian not finite over them
    if (!length(ctx$first$clf$free)) return(list())
    return(new_finding("fit_hessian", "warning", character(),
                       "fit$hessian has non-finite entries for the free parameters: it cannot give standard errors; use hesscheck's."))
  }
  ratio <- fh$se_ratio
  worst <- if (all(is.na(ratio))) NA else which.max(abs(ratio - 1))
  moved <- !is.null(ctx$refine) && ctx$refine$steps > 0L
  msg <- sprintf(
    "fit$hessian differs from hesscheck's %sby up to %s of sqrt(|H[i, i] H[j, j]|); hesscheck's error estimate is %s, so the difference is %s",
    if (moved) "at the fit's estimate (before refinement) " else "",
    fmt(fh$difference), fmt(fh$error),
    if (fh$difference > 3 * fh$error) "error in fit$hessian" else "within hesscheck's error"
  )
  msg <- if (!is.na(worst)) {
    sprintf("%s; its standard errors differ by up to %s%% (%s).", msg,
            fmt(100 * abs(ratio[worst] - 1)), names(ratio)[worst])
  } else {
    paste0(msg, ".")
  }
  sev <- if (!is.na(worst) && abs(ratio[worst] - 1) > ctx$th$fit_hessian_se) "warning" else "note"
  new_finding("fit_hessian", sev, character(), msg)
}

finding_fnscale <- function(ctx) {
  if (ctx$sgn > 0) return(list())
  new_finding("fnscale", "note", character(),
              "fnscale < 0: fn was maximised, so the check works on -fn (a negative log-likelihood).")
}

finding_near_bound <- function(ctx) {
  cross <- ctx$table_cross
  if (!any(cross)) return(list())
  new_finding("near_bound", "note", ctx$nm[cross], sprintf(
    "near bound: the Wald interval for %s crosses a bound; a transformation (e.g. log) or a profile interval is more reliable there.",
    name_list(ctx$nm[cross])
  ))
}

# The findings in the order they are printed: the verdict's kind first.
finding_too_noisy <- function(ctx) {
  if (!isTRUE(ctx$cl$too_noisy)) return(list())
  h <- ctx$h
  u <- attr(h, "unresolved")
  lab <- unresolved_labels(u, ctx$nm)
  new_finding("too_noisy", "error", lab$parameters, sprintf(
    "too noisy: %s's noise, measured at %s (%s of |%s|), swamps its curvature at the steps a difference can take for %s: the Hessian there measures the noise, and no standard error follows from it. If %s is simulated, fix its random numbers inside it (the same seed on every call) or use more draws.",
    ctx$fx, fmt(attr(h, "noise")), fmt(attr(h, "noise") / max(abs(attr(h, "value")), 1)),
    ctx$fx, lab$text, ctx$fx
  ))
}
