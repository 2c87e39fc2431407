# Findings in words that name the parameters involved: the helpers every finding uses, and
# the findings about the point and the optimiser (not smooth, not identified, maximum,
# saddle, not stationary, the optimiser's own report, the refinement, bounds). The
# findings about the numerics of the Hessian are in findings-numerics.R, the "hesscheck"
# object they go into in hesscheck-object.R.

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

# Every finding, in the order new_hesscheck() asks them (findings-numerics.R is collated
# before this file, so that its functions exist when the list is built).
finding_functions <- list(
  finding_too_noisy,
  finding_not_smooth, finding_not_identified, finding_maximum, finding_saddle,
  finding_not_stationary, finding_optimizer, finding_refine, finding_missing_bound,
  finding_at_bound,
  finding_ill_conditioned, finding_scaling, finding_extreme, finding_drift, finding_unresolved,
  finding_fit_hessian, finding_fnscale, finding_near_bound
)
