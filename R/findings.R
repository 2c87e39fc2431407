# From the C classification to the "hesscheck" object: findings in words that name the
# parameters involved, the table of estimates and standard errors, the verdict.

# A linear combination of parameters, e.g. "mu1 - mu2" or "a + 0.5 b": the parameters that
# carry eigenvector v (scaled coordinates) and its coefficients in the original units u.
format_combo <- function(v, u, nm, min_share = 0.25) {
  sel <- which(abs(v) >= min_share * max(abs(v)))
  lead <- sel[which.max(abs(v[sel]))]
  cf <- u[sel] / u[lead]
  cf <- cf * sign(cf[1L])
  terms <- character(length(sel))
  for (k in seq_along(sel)) {
    a <- abs(cf[k])
    coef <- if (abs(a - 1) < 0.05) "" else paste0(fmt(a), " ")
    sign <- if (cf[k] < 0) "- " else if (k > 1L) "+ " else ""
    terms[k] <- paste0(sign, coef, nm[sel[k]])
  }
  list(text = paste(terms, collapse = " "), parameters = nm[sel])
}

# A name as R code: backtick-quoted unless syntactic, so that advice such as
# c(`(Intercept)` = 1) parses.
r_name <- function(x) ifelse(make.names(x) == x, x, paste0("`", gsub("`", "\\\\`", x), "`"))

new_finding <- function(type, severity, parameters, message) {
  list(list(type = type, severity = severity,
            parameters = paste(parameters, collapse = ", "), message = message))
}

# new_finding()s, concatenated, as a findings data frame (no rows for none).
findings_frame <- function(out) {
  cols <- c("type", "severity", "parameters", "message")
  if (!length(out)) {
    return(fast_df(`names<-`(rep(list(character()), 4L), cols)))
  }
  fast_df(`names<-`(lapply(cols, function(k) vapply(out, function(o) o[[k]], "")), cols))
}

# Standard errors from a Hessian over the free parameters (NA for the others): NA unless
# its free block is finite and positive definite.
se_from_hessian <- function(H, free) {
  out <- rep(NA_real_, length(free))
  Hf <- H[free, free, drop = FALSE]
  if (all(is.finite(Hf))) {
    v <- tryCatch(sqrt(diag(chol2inv(chol(Hf)))), error = function(e) NULL)
    if (!is.null(v)) out[free] <- v
  }
  out
}

# A direction v of the scaled Hessian (scale: the free parameters' scales), in words:
# the one label print(), summary() and plot() give it.
direction_label <- function(v, scale, nm, share = hc_thresholds$combo_share) {
  format_combo(v, v / scale, nm, share)
}

# The direction of eigenvector q of the scaled Hessian, in words.
combo_of <- function(ctx, q) {
  direction_label(ctx$cl$vectors[, q], ctx$cl$scale[ctx$cl$free], ctx$fnm, ctx$th$combo_share)
}

# One function per finding: each takes the context built by new_hesscheck() and returns a
# list of findings (possibly empty).

finding_not_smooth <- function(ctx) {
  clf <- ctx$cl
  out <- list()
  if (length(clf$stairs_parameters)) {
    p <- ctx$nm[clf$stairs_parameters]
    out <- new_finding("not_smooth", "error", p, sprintf(
      "not smooth: %s is piecewise constant in %s (exactly flat over a step on which its slope elsewhere predicts a clear change, as with floor() or a table look-up), so it has no derivatives at par and Wald standard errors do not apply; use a profile likelihood or the bootstrap.",
      ctx$fx, name_list(p)
    ))
  }
  if (!any(clf$kink) && !length(clf$kink_parameters)) return(out)
  p <- ctx$nm[clf$kink_parameters]
  where <- if (length(p)) {
    paste("in", name_list(p))
  } else {
    paste("along", paste(vapply(which(clf$kink), function(q) combo_of(ctx, q)$text, ""),
                         collapse = " and "))
  }
  if (!length(p)) p <- unique(unlist(lapply(which(clf$kink), function(q) combo_of(ctx, q)$parameters)))
  c(out, new_finding("not_smooth", "error", p, sprintf(
    "not smooth: %s has a kink at par %s (its second differences halve as the step doubles, as |x| does; a smooth fn keeps them), so it has no Hessian there and Wald standard errors do not apply; use a profile likelihood or the bootstrap.",
    ctx$fx, where
  )))
}

# What a flat direction u (original units) through the estimates x of two parameters p
# leaves identified: on a curved ridge (fn rises at fourth order along the straight line:
# the ridge bends away from it), their product when u is proportional to (x1, -x2)
# (d log x1 + d log x2 = 0) and their ratio when proportional to (x1, x2); else the
# linear combination orthogonal to u (v: the same direction in scaled coordinates).
identified_pair <- function(u, x, v, p, curved) {
  if (curved && all(x != 0) && all(u != 0)) {
    r <- (u[1] / u[2]) / (x[1] / x[2])
    if (abs(r + 1) < 0.05) return(sprintf("%s*%s", p[1], p[2]))
    if (abs(r - 1) < 0.05) return(sprintf("%s/%s", p[1], p[2]))
  }
  format_combo(c(v[2], -v[1]), c(u[2], -u[1]), p, min_share = 0)$text
}

finding_not_identified <- function(ctx) {
  clf <- ctx$cl
  out <- list()
  # on a slope down to -Inf, or where fn's noise swamps its curvature, the curvatures
  # say nothing about identification
  if (ctx$verdict %in% c("unbounded", "too_noisy")) return(out)
  nodep <- which(clf$no_dependence)
  if (length(nodep)) {
    p <- ctx$nm[nodep]
    out <- c(out, new_finding("not_identified", "error", p, sprintf(
      "not identified: %s does not depend on %s at this point (%s row of the Hessian is zero within its error): %s no standard error.",
      ctx$fx, name_list(p), if (length(p) == 1L) "its" else "their",
      if (length(p) == 1L) "it has" else "they have"
    )))
  }
  lmax <- max(abs(clf$values), 0)
  # a flat direction a drift runs along says no more than the drift's finding
  along_drift <- in_span(clf$vectors, drift_span(ctx$drifts, clf))
  for (q in which(clf$sign == 0L & !clf$kink & !along_drift)) {
    v <- clf$vectors[, q]
    u <- v / clf$scale[clf$free]
    cmb <- combo_of(ctx, q)
    p <- cmb$parameters
    pr <- clf$profiles[[q]]
    how <- if (identical(pr$shape, "constant")) {
      sprintf("its profile, the other parameters re-minimised, stays constant out to %s scaled units: curvature %s +- %s, the largest being %s",
              fmt(pr$t), fmt(clf$values[q]), fmt(ctx$th$significant * clf$uncertainty[q]),
              fmt(lmax))
    } else if (isTRUE(clf$ridge[q])) {
      sprintf("its curvature is %s, the largest being %s; fn rises a little along this straight line only because the valley of equal fn bends away from it",
              fmt(clf$values[q]), fmt(lmax))
    } else {
      sprintf("curvature %s +- %s there, the largest being %s%s", fmt(clf$values[q]),
              fmt(ctx$th$significant * clf$uncertainty[q]), fmt(lmax),
              if (clf$source[q] == "fn") ", measured with fn along it" else "")
    }
    if (isTRUE(clf$weak[q])) {
      # fn rises along it, at fourth order only: identified, but not at second order
      pr_how <- sprintf("its profile, the other parameters re-minimised, rises as the fourth power of the distance; curvature %s +- %s there, the largest being %s",
                        fmt(clf$values[q]), fmt(ctx$th$significant * clf$uncertainty[q]),
                        fmt(lmax))
      out <- c(out, new_finding("weakly_identified", "warning", p, sprintf(
        "weakly identified: %s rises only at fourth order along %s (%s): the minimum is there, but a Wald standard error, which assumes a quadratic rise, does not apply along it; use a profile likelihood for %s.",
        ctx$fx, cmb$text, pr_how, name_list(p)
      )))
      next
    }
    msg <- if (length(p) == 1L) {
      sprintf("not identified: %s does not depend on %s (%s).", ctx$fx, p, how)
    } else if (length(p) == 2L) {
      sel <- match(p, ctx$fnm)
      sm <- clf$sums[[q]]
      ident <- if (!is.null(sm)) {
        terms <- sprintf(ifelse(sm$k == 1, "exp(%s)", "exp(2*%s)"), ctx$nm[sm$i])
        paste(terms, collapse = " + ")
      } else {
        identified_pair(u[sel], ctx$par[ctx$cl$free[sel]], v[sel], p,
                        curved = isTRUE(clf$ridge[q]))
      }
      sums <- if (!is.null(sm)) {
        sprintf(" That is a sum of two variances, sigma^2 + tau^2, with %s = %s and %s = %s.",
                ctx$nm[sm$i[1L]], if (sm$k[1L] == 1) "log(sigma^2)" else "log(sigma)",
                ctx$nm[sm$i[2L]], if (sm$k[2L] == 1) "log(tau^2)" else "log(tau)")
      } else ""
      sprintf("not identified: %s are not separately identified (only %s is); %s is flat along %s (%s).%s",
              name_list(p), ident, ctx$fx, cmb$text, how, sums)
    } else {
      sprintf("not identified: %s are not separately identified; %s is flat along %s (%s).",
              name_list(p), ctx$fx, cmb$text, how)
    }
    out <- c(out, new_finding("not_identified", "error", p, msg))
  }
  out
}

finding_maximum <- function(ctx) {
  if (!ctx$cl$maximum) return(list())
  msg <- if (ctx$sgn > 0) {
    paste("maximum: the Hessian is negative definite, so fn looks maximised, not",
          "minimised. If fn is a log-likelihood that was maximised",
          "(optim(control = list(fnscale = -1))), pass fnscale = -1.")
  } else {
    paste("maximum: -fn has a maximum here, so fn is at a minimum although",
          "fnscale = -1 says it was maximised: check the sign of fn and of fnscale.")
  }
  new_finding("maximum", "error", ctx$fnm, msg)
}

finding_saddle <- function(ctx) {
  clf <- ctx$cl
  if (!clf$saddle) return(list())
  decreases <- if (ctx$sgn < 0) "fn increases" else "fn decreases"
  out <- list()
  for (q in which(clf$sign == -1L)) {
    cmb <- combo_of(ctx, q)
    msg <- if (identical(clf$profiles[[q]]$shape, "decreasing")) {
      sprintf(
        "saddle: %s's profile along %s (the other parameters re-minimised) falls, although its curvature there is %s +- %s (flat at second order): a degenerate saddle.",
        ctx$fx, cmb$text, fmt(clf$values[q]), fmt(ctx$th$significant * clf$uncertainty[q]))
    } else {
      sprintf("saddle: %s along %s (curvature %s on the scale of the diagonal).",
              decreases, cmb$text, fmt(clf$values[q]))
    }
    out <- c(out, new_finding("saddle", "error", cmb$parameters, msg))
  }
  e <- ctx$escape
  if (!is.null(e)) {
    if (e$decrease > 0) {
      d <- e$direction[ctx$cl$free]
      cmb <- format_combo(d * clf$scale[clf$free], d, ctx$fnm, ctx$th$combo_share)
      out <- c(out, new_finding("escape", "note", cmb$parameters, sprintf(
        "escape: a step along %s lowers %s by %s (to %s); restart the optimiser from x$escape$par.",
        cmb$text, ctx$fx, fmt(e$decrease, 3), fmt(ctx$sgn * e$value, 8)
      )))
    } else {
      out <- c(out, new_finding("escape", "note", character(), sprintf(
        "escape: no lower value of %s was found along the directions of negative curvature; the saddle is very flat.",
        ctx$fx
      )))
    }
  }
  out
}

finding_not_stationary <- function(ctx) {
  clf <- ctx$cl
  out <- list()
  # a gradient of noise says nothing about the optimum
  if (identical(ctx$verdict, "too_noisy")) return(out)
  z <- clf$newton_z
  sig <- clf$off_optimum
  if (any(sig)) {
    fnm <- ctx$fnm
    ord <- order(-abs(z))
    top <- ord[sig[ord]][seq_len(min(4L, sum(sig)))]
    fix <- paste0("Restart the optimiser from x$par with ", restart_setting(ctx$info),
                  if (is.null(ctx$refine)) ", or use control = list(refine = TRUE)." else ".")
    msg <- if (!is.null(clf$cov)) {
      sprintf(
        "not stationary: the estimate is %s standard errors from the optimum this Hessian predicts (%s). %s",
        fmt(max(abs(z[sig]))), paste0(fnm[top], " ", fmt(z[top]), collapse = ", "), fix
      )
    } else {
      sprintf(
        "not stationary: a Newton step with |curvature| is %s standard errors (%s), so the curvature found here may differ at the optimum. %s",
        fmt(max(abs(z[sig]))), paste0(fnm[top], " ", fmt(z[top]), collapse = ", "), fix
      )
    }
    out <- c(out, new_finding("not_stationary", "warning", fnm[top], msg))
  }
  for (i in which(clf$kkt_violated)) {
    side <- if (clf$at_bound[i] < 0L) "lower" else "upper"
    out <- c(out, new_finding("not_stationary", "warning", ctx$nm[i], sprintf(
      "not stationary: %s decreases moving %s away from its %s bound (gradient %s in units of 1/sqrt(H[i, i])): the bound is not where the minimum is.",
      ctx$fx, ctx$nm[i], side, fmt(clf$kkt[i])
    )))
  }
  out
}

# The setting to change when restarting an optimiser that stopped short: its iteration
# (or evaluation) limit when that is what stopped it, else a tighter tolerance.
restart_setting <- function(info) {
  limit <- iteration_limit(info)
  if (is.null(limit)) return("a tighter tolerance")
  sprintf("a larger %s (it stopped at that limit), e.g. %s", limit$name, limit$code)
}

# The iteration limit an optimiser's result says it reached: list(name, code), the code
# a setting that raises it (valid R for that optimiser), or NULL.
iteration_limit <- function(info) {
  conv <- info$convergence
  msg <- if (is.character(info$message) && length(info$message) == 1L) info$message else ""
  if (!is.numeric(conv) || length(conv) != 1L || is.na(conv)) return(NULL)
  switch(info$optimizer,
    optim = if (conv == 1) list(name = "maxit", code = "control = list(maxit = 1000)"),
    nlminb = if (grepl("iteration limit", msg)) {
      list(name = "iter.max", code = "control = list(iter.max = 1000)")
    } else if (grepl("evaluation limit", msg)) {
      list(name = "eval.max", code = "control = list(eval.max = 2000)")
    },
    nlm = if (conv == 4) list(name = "iterlim", code = "iterlim = 1000"),
    NULL)
}

finding_optimizer <- function(ctx) {
  info <- ctx$info
  if (is.na(info$convergence) || info$convergence == 0) return(list())
  fixed <- !is.null(ctx$refine) && ctx$refine$status == "stationary"
  new_finding("optimizer", if (fixed) "note" else "warning", character(), sprintf(
    "%s reported convergence code %s%s: it did not claim a minimum%s.",
    info$optimizer, info$convergence,
    if (is.null(info$message)) "" else paste0(" (", info$message, ")"),
    if (fixed) "; refine = TRUE has since moved the estimate to the optimum" else ""
  ))
}

finding_refine <- function(ctx) {
  r <- ctx$refine
  if (is.null(r) || r$status != "the Newton steps grow") return(list())
  p <- r$growing_step
  fnm <- ctx$fnm
  lead <- fnm[which.max(abs(p) * ctx$cl$scale[ctx$cl$free])]
  # A parameter at 0 or 1 whose Newton step points outward: a probability or a variance
  # whose bound was left out.
  start <- r$start[ctx$cl$free]
  lo <- ctx$cl$free[start == 0 & p < 0]
  up <- ctx$cl$free[start == 1 & p > 0]
  hint <- bounds_advice(ctx, lo, up)
  new_finding("refine", "warning", lead, sprintf(
    "refine: the Newton steps grew, so refinement stopped: %s may be unbounded along the step (mostly %s), or a bound is missing%s.",
    ctx$fx, lead,
    if (length(hint)) paste0(" (e.g. ", hint, " in the optimiser and in check_fit())") else ""
  ))
}

# The bounds to pass, as code: the bounds already given, with 0 as the lower bound of the
# parameters in `lo` and 1 as the upper bound of those in `up`, one element per
# parameter (a single value would be recycled to all of them).
bounds_advice <- function(ctx, lo, up) {
  one <- function(b, idx, value, what) {
    if (!length(idx)) return(NULL)
    b[idx] <- value
    sprintf("%s = c(%s)", what, paste0(r_name(ctx$nm), " = ", b, collapse = ", "))
  }
  paste(c(one(ctx$bounds$lower, lo, 0, "lower"), one(ctx$bounds$upper, up, 1, "upper")),
        collapse = ", ")[length(lo) + length(up) > 0]
}

# A free parameter at exactly 0 or 1 in the fit, with fn decreasing out of [0, 1]: a
# probability or a variance fitted with a bound that check_fit() was not given.
missing_bound_parameters <- function(first, th) {
  g <- attr(first$h, "gradient")
  ge <- attr(first$h, "gradient_error")
  x <- first$par
  sig <- abs(g) > th$significant * ge
  list(lo = which(first$clf$at_bound == 0L & x == 0 & g > 0 & sig),
       up = which(first$clf$at_bound == 0L & x == 1 & g < 0 & sig))
}

finding_missing_bound <- function(ctx) {
  mb <- ctx$missing_bound_parameters
  if (is.null(mb)) return(list())
  lo <- mb$lo
  up <- mb$up
  if (!length(lo) && !length(up)) return(list())
  hint <- bounds_advice(ctx, lo, up)
  p <- ctx$nm[c(lo, up)]
  new_finding("missing_bound", "warning", p, sprintf(
    "bound: %s %s at %s in the fit and %s decreases beyond it; if %s cannot go there (a probability, a variance), pass %s to check_fit() as to the optimiser.",
    name_list(p), if (length(p) == 1L) "sits" else "sit",
    if (length(lo) && length(up)) "0 or 1" else if (length(lo)) "0" else "1",
    ctx$fx, if (length(p) == 1L) "it" else "they", hint
  ))
}

finding_at_bound <- function(ctx) {
  clf <- ctx$cl
  out <- list()
  for (i in which(clf$at_bound != 0L)) {
    nm <- ctx$nm[i]
    side <- if (clf$at_bound[i] < 0L) "lower" else "upper"
    b <- if (side == "lower") ctx$bounds$lower[i] else ctx$bounds$upper[i]
    out <- c(out, new_finding("at_bound", "warning", nm, sprintf(
      "at bound: %s is on its %s bound (%s): no Wald standard error for it; the others are computed with %s held there. Use a likelihood-ratio test or a profile for %s.",
      nm, side, fmt(b, 6), nm, nm
    )))
  }
  out
}

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

finding_functions <- list(
  finding_too_noisy,
  finding_not_smooth, finding_not_identified, finding_maximum, finding_saddle,
  finding_not_stationary, finding_optimizer, finding_refine, finding_missing_bound,
  finding_at_bound,
  finding_ill_conditioned, finding_scaling, finding_extreme, finding_drift, finding_unresolved,
  finding_fit_hessian, finding_fnscale, finding_near_bound
)

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
  # Relative uncertainty of each SE from its eigenvalues' error bars: SE^2 = sum_k
  # (v_ik / d_i)^2 / lambda_k, so dSE / SE = sum_k w_k (u_k / lambda_k) / 2 with weights
  # w_k = v_ik^2 / lambda_k / sum.
  se_unc <- rep(NA_real_, length(clf$free))
  if (!is.null(clf$cov)) {
    w <- t(t(clf$vectors^2) / clf$values)
    se_unc <- drop(w %*% (clf$uncertainty / clf$values)) / rowSums(w) / 2
  }
  # Estimable parameters where the verdict leaves flat directions: those orthogonal (in
  # the scaled coordinates) to every direction that is flat, weak, or (with a drift) below
  # drift_small of the largest curvature; their variance is c' H^+ c over the other
  # directions, the same for any generalised inverse (numerics notes, "What stays
  # estimable under non-identification").
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
  out <- list()
  for (f in finding_functions) {
    r <- f(ctx)
    if (length(r)) out <- c(out, r)
  }
  findings <- findings_frame(out)

  V <- NULL
  if (!is.null(clf$cov)) {
    V <- matrix(NA_real_, n, n, dimnames = list(nm, nm))
    V[clf$free, clf$free] <- clf$cov
    if (any(drift)) V[clf$free[drift], ] <- V[, clf$free[drift]] <- NA_real_
  }
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
