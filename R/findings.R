# From the C classification to the "hesscheck" object: findings in words that name the
# parameters involved, the table of estimates and standard errors, the verdict.

verdict_order <- c("maximum", "saddle", "singular", "not_stationary", "at_bound",
                   "ill_conditioned", "minimum")

verdict_text <- c(
  maximum = "a maximum, not a minimum: the standard errors are not valid",
  saddle = "a saddle point, not a minimum: the standard errors are not valid",
  singular = "flat directions: some parameters are not identified and have no standard error",
  not_stationary = "not at the optimum: the estimate is not a stationary point",
  at_bound = "a minimum with parameters on a bound: no Wald standard error for those",
  ill_conditioned = "a minimum, but ill-conditioned: treat the standard errors with care",
  minimum = "a minimum: the Hessian is positive definite and the standard errors can be used"
)

fmt <- function(x, digits = 2) {
  # as.character() of the rounded values: what format() gives element by element (the
  # shorter of fixed and scientific) up to 7 digits, at a fraction of its cost.
  # Rounded by sprintf() and read back, so that values beyond 1e+-177, which signif()
  # cannot round exactly, show no rounding noise.
  x <- as.double(unname(x))
  out <- as.character(x)                       # NA, NaN, Inf and -Inf as they are
  ok <- is.finite(x)
  out[ok] <- as.character(as.numeric(sprintf(paste0("%.", digits - 1L, "e"), x[ok])))
  out[is.na(x) & !is.nan(x)] <- "NA"
  dec <- getOption("OutDec", ".")
  if (!identical(dec, ".")) out <- sub(".", dec, out, fixed = TRUE)
  out
}

name_list <- function(x) {
  if (length(x) <= 1L) return(x)
  paste(paste(x[-length(x)], collapse = ", "), "and", x[length(x)])
}

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

# data.frame() without its checks, which cost more than the whole diagnosis on a cheap fn.
fast_df <- function(cols, row_names = NULL) {
  n <- length(cols[[1L]])
  structure(cols, class = "data.frame",
            row.names = if (is.null(row_names)) .set_row_names(n) else row_names)
}

new_finding <- function(type, severity, parameters, message) {
  list(type = type, severity = severity,
       parameters = paste(parameters, collapse = ", "), message = message)
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

new_hesscheck <- function(state, info, value, sgn, ctrl, bounds, escape, refine, evals) {
  h <- state$h
  cl <- state$cl
  par <- state$par
  nm <- names(par)
  n <- length(par)
  free <- cl$at_bound == 0L
  fnm <- nm[free]
  flags <- cl$flags
  decreases <- if (sgn < 0) "fn increases" else "fn decreases"
  fx <- if (sgn < 0) "-fn" else "fn"
  out <- list()
  add <- function(...) out[[length(out) + 1L]] <<- new_finding(...)

  pd <- !is.null(cl$cov)
  se_free <- if (pd) sqrt(diag(cl$cov)) else rep(NA_real_, sum(free))
  names(se_free) <- fnm

  # Negative and zero curvature, one finding per direction.
  neg <- which(cl$sign < 0L)
  zero <- which(cl$sign == 0L)
  if (flags[["maximum"]]) {
    msg <- if (sgn > 0) {
      paste("maximum: the Hessian is negative definite, so fn looks maximised, not",
            "minimised. If fn is a log-likelihood that was maximised",
            "(optim(control = list(fnscale = -1))), pass fnscale = -1.")
    } else {
      paste("maximum: -fn has a maximum here, so fn is at a minimum although",
            "fnscale = -1 says it was maximised: check the sign of fn and of fnscale.")
    }
    add("maximum", "error", fnm, msg)
  } else {
    for (q in neg) {
      cmb <- format_combo(cl$vectors[, q], cl$vectors[, q] / cl$scale, fnm)
      msg <- sprintf("saddle: %s along %s (curvature %s on the scale of the diagonal).",
                     decreases, cmb$text, fmt(cl$values[q]))
      add("saddle", "error", cmb$parameters, msg)
    }
    if (!is.null(escape)) {
      if (escape$decrease > 0) {
        d <- escape$direction
        cmb <- format_combo(d[free] * cl$scale, d[free], fnm)
        add("escape", "note", cmb$parameters, sprintf(
          "escape: a step along %s lowers %s by %s (to %s); restart the optimiser from x$escape$par.",
          cmb$text, fx, fmt(escape$decrease, 3), fmt(sgn * escape$value, 8)
        ))
      } else {
        add("escape", "note", character(), sprintf(
          "escape: no lower value of %s was found along the directions of negative curvature; the saddle is very flat.",
          fx
        ))
      }
    }
  }
  for (q in zero) {
    v <- cl$vectors[, q]
    u <- v / cl$scale
    cmb <- format_combo(v, u, fnm)
    p <- cmb$parameters
    msg <- if (length(p) == 1L) {
      sprintf("flat: %s does not depend on %s (its curvature is zero within its uncertainty).",
              fx, p)
    } else if (length(p) == 2L) {
      sel <- match(p, fnm)
      ident <- format_combo(c(v[sel[2]], -v[sel[1]]), c(u[sel[2]], -u[sel[1]]), p,
                            min_share = 0)
      sprintf("flat: %s are not separately identified (%s is); %s is flat along %s.",
              name_list(p), ident$text, fx, cmb$text)
    } else {
      sprintf("flat: %s are not separately identified; %s is flat along %s.",
              name_list(p), fx, cmb$text)
    }
    add("singular", "error", p, msg)
  }

  # Stationarity, in standard errors.
  z <- cl$newton_z
  names(z) <- fnm
  sig <- cl$off_optimum
  if (any(sig)) {
    ord <- order(-abs(z))
    top <- ord[sig[ord]][seq_len(min(4L, sum(sig)))]
    if (pd) {
      msg <- sprintf(
        "not stationary: the estimate is %s standard errors from the optimum this Hessian predicts (%s); lme4's scaled gradient is %s. Restart the optimiser from x$par with a tighter tolerance, or use control = list(refine = TRUE).",
        fmt(max(abs(z))), paste0(fnm[top], " ", fmt(z[top]), collapse = ", "),
        fmt(cl$scaled_gradient)
      )
    } else {
      msg <- sprintf(
        "not stationary: the gradient is far from zero, %s in units of 1/sqrt(H[i, i]) (%s).",
        fmt(max(abs(z))), paste0(fnm[top], " ", fmt(-z[top]), collapse = ", ")
      )
    }
    add("not_stationary", "warning", fnm[top], msg)
  }
  if (!is.na(info$convergence) && info$convergence != 0) {
    fixed <- !is.null(refine) && refine$status == "stationary"
    add("optimizer", if (fixed) "note" else "warning", character(), sprintf(
      "%s reported convergence code %s%s: it did not claim a minimum%s.",
      info$optimizer, info$convergence,
      if (is.null(info$message)) "" else paste0(" (", info$message, ")"),
      if (fixed) "; refine = TRUE has since moved the estimate to the optimum" else ""
    ))
  }

  # Bounds.
  bnd <- which(!free)
  for (i in bnd) {
    side <- if (cl$at_bound[i] < 0L) "lower" else "upper"
    b <- if (side == "lower") bounds$lower[i] else bounds$upper[i]
    add("at_bound", "warning", nm[i], sprintf(
      "at bound: %s is on its %s bound (%s): no Wald standard error for it; the others are computed with %s held there. Use a likelihood-ratio test or a profile for %s.",
      nm[i], side, fmt(b, 6), nm[i], nm[i]
    ))
    if (cl$kkt_violated[i]) {
      add("not_stationary", "warning", nm[i], sprintf(
        "not stationary: %s decreases moving %s away from its %s bound (gradient %s in units of 1/sqrt(H[i, i])): the bound is not where the minimum is.",
        fx, nm[i], side, fmt(cl$kkt[i])
      ))
    }
  }

  # Conditioning.
  if (flags[["ill_conditioned"]]) {
    q <- which.min(cl$values)
    cmb <- format_combo(cl$vectors[, q], cl$vectors[, q] / cl$scale, fnm)
    cond <- max(abs(cl$values)) / min(cl$values)
    unc <- cl$uncertainty[q] / cl$values[q]
    add("ill_conditioned", "warning", cmb$parameters, sprintf(
      "ill-conditioned: the scaled Hessian has condition number %s; the smallest curvature, along %s, is uncertain by %s%% of itself. The standard errors of %s are sensitive to small errors in the Hessian.",
      fmt(cond), cmb$text, fmt(100 * unc), name_list(cmb$parameters)
    ))
  }

  # Scaling: standard errors (or 1/sqrt(H[i, i])) spanning orders of magnitude.
  scale_se <- if (pd) se_free else 1 / cl$scale
  if (length(scale_se) > 1L && all(is.finite(scale_se))) {
    span <- max(scale_se) / min(scale_se)
    if (span > 1e3) {
      lo <- which.min(scale_se)
      hi <- which.max(scale_se)
      add("scaling", "warning", fnm[c(lo, hi)], sprintf(
        "scaling: the standard errors span %s orders of magnitude (%s %s, %s %s). optim()'s fixed steps (ndeps = 1e-3 for every parameter) are then %s standard errors for %s but %s for %s, so its Hessian is inaccurate; pass control = list(parscale = c(%s)) to optim(), or rescale the parameters.",
        fmt(log10(span), 2), fnm[lo], fmt(scale_se[lo]), fnm[hi], fmt(scale_se[hi]),
        fmt(1e-3 / scale_se[lo]), fnm[lo], fmt(1e-3 / scale_se[hi]), fnm[hi],
        paste0(fnm, " = ", fmt(scale_se, 1), collapse = ", ")
      ))
    }
  }

  # Extreme values: huge |z|, or a large estimate with a larger SE (separation).
  est_free <- par[free]
  if (pd) {
    zz <- est_free / se_free
    big <- which(abs(zz) > 1e3)
    if (length(big)) {
      add("large_z", "warning", fnm[big], sprintf(
        "extreme: |z| = %s for %s is implausibly large: check that fn is the whole negative log-likelihood (not divided by the sample size) and that it was minimised.",
        fmt(max(abs(zz[big]))), name_list(fnm[big])
      ))
    }
    sep <- which(abs(est_free) > 10 & se_free > abs(est_free))
    if (length(sep)) {
      add("separation", "warning", fnm[sep], sprintf(
        "extreme: %s %s large with a larger standard error; on a logit or log scale this suggests separation (the estimate drifting to infinity), where Wald standard errors are meaningless.",
        name_list(fnm[sep]), if (length(sep) == 1L) "is" else "are"
      ))
    }
  }

  # Parameters whose curvature stayed below the noise.
  unres <- !attr(h, "resolved")
  if (any(unres)) {
    add("unresolved", "warning", nm[unres], sprintf(
      "noise: the curvature of %s in %s stayed below the noise of fn (%s): its Hessian entries are unreliable.",
      fx, name_list(nm[unres]), fmt(attr(h, "noise"))
    ))
  }

  # The Hessian the optimiser returned. With no free parameter, or non-finite entries,
  # there is nothing to compare: the matrix is kept (compare_se() shows its NA standard
  # errors) with NA differences.
  fit_hessian <- NULL
  if (!is.null(info$hessian)) {
    Hf <- info$hessian * (if (info$optimizer == "optim") sgn else 1)
    if (!any(free) || !all(is.finite(Hf[free, free, drop = FALSE]))) {
      fit_hessian <- list(difference = NA_real_, error = NA_real_,
                          se_ratio = stats::setNames(rep(NA_real_, sum(free)), fnm),
                          matrix = Hf)
      if (any(free)) {
        add("fit_hessian", "warning", character(),
            "fit$hessian has non-finite entries for the free parameters: it cannot give standard errors; use hesscheck's.")
      }
    } else {
      H <- as.matrix(h)
      s <- outer(cl$scale, cl$scale)
      dif <- abs(Hf[free, free, drop = FALSE] - H[free, free, drop = FALSE]) / s
      err <- attr(h, "error")[free, free, drop = FALSE] / s
      se_fit <- se_from_hessian(Hf, free)[free]
      ratio <- if (pd) se_fit / se_free else rep(NA_real_, sum(free))
      names(ratio) <- fnm
      fit_hessian <- list(difference = max(dif), error = max(err), se_ratio = ratio,
                          matrix = Hf)
      worst <- if (all(is.na(ratio))) NA else which.max(abs(ratio - 1))
      msg <- sprintf(
        "fit$hessian differs from hesscheck's by up to %s of sqrt(|H[i, i] H[j, j]|); hesscheck's error estimate is %s, so the difference is %s",
        fmt(max(dif)), fmt(max(err)),
        if (max(dif) > 3 * max(err)) "error in fit$hessian" else "within hesscheck's error"
      )
      if (!is.na(worst)) {
        msg <- sprintf("%s; its standard errors differ by up to %s%% (%s).", msg,
                       fmt(100 * abs(ratio[worst] - 1)), fnm[worst])
      } else {
        msg <- paste0(msg, ".")
      }
      sev <- if (!is.na(worst) && abs(ratio[worst] - 1) > 0.01) "warning" else "note"
      add("fit_hessian", sev, character(), msg)
    }
  }

  if (sgn < 0) {
    add("fnscale", "note", character(),
        "fnscale < 0: fn was maximised, so the check works on -fn (a negative log-likelihood).")
  }

  cols <- c("type", "severity", "parameters", "message")
  findings <- fast_df(stats::setNames(lapply(cols, function(k) {
    vapply(out, function(o) o[[k]], "")
  }), cols))

  verdict <- verdict_order[verdict_order %in% names(flags)[flags]][1L]
  if (is.na(verdict)) verdict <- if (sum(free) == 0L) "at_bound" else "singular"

  # Table of estimates.
  se <- rep(NA_real_, n)
  names(se) <- nm
  status <- rep("", n)
  se[free] <- se_free
  if (!pd && any(free)) {
    status[free] <- switch(verdict,
      maximum = "NA: maximum", saddle = "NA: saddle", "NA: Hessian not positive definite"
    )
  }
  status[cl$at_bound < 0L] <- "NA: on lower bound"
  status[cl$at_bound > 0L] <- "NA: on upper bound"
  zq <- stats::qnorm(1 - (1 - ctrl$level) / 2)
  z <- par / se
  lo <- par - zq * se
  up <- par + zq * se
  cross <- free & is.finite(se) & (lo < bounds$lower | up > bounds$upper)
  status[cross] <- "interval crosses a bound"
  if (any(cross)) {
    add_near <- new_finding("near_bound", "note", nm[cross], sprintf(
      "near bound: the Wald interval for %s crosses a bound; a transformation (e.g. log) or a profile interval is more reliable there.",
      name_list(nm[cross])
    ))
    findings <- fast_df(Map(c, findings, add_near[names(findings)]))
  }
  table <- fast_df(list(estimate = unname(par), se = unname(se), z = unname(z),
                        lower = unname(lo), upper = unname(up), status = status),
                   row_names = nm)

  V <- NULL
  if (pd) {
    V <- matrix(NA_real_, n, n, dimnames = list(nm, nm))
    V[free, free] <- cl$cov
  }
  newton <- stats::setNames(rep(NA_real_, n), nm)
  newton[free] <- cl$newton
  newton_z <- stats::setNames(rep(NA_real_, n), nm)
  newton_z[free] <- cl$newton_z

  structure(list(
    verdict = verdict,
    findings = findings,
    table = table,
    par = par,
    value = value,
    gradient = attr(h, "gradient"),
    gradient_error = attr(h, "gradient_error"),
    hessian = h,
    vcov = V,
    eigen = list(values = cl$values, vectors = `dimnames<-`(cl$vectors, list(fnm, NULL)),
                 uncertainty = cl$uncertainty, sign = cl$sign, parameters = fnm),
    newton = list(step = newton, z = newton_z, scaled_gradient = cl$scaled_gradient),
    at_bound = stats::setNames(cl$at_bound, nm),
    escape = escape,
    refine = refine,
    fit_hessian = fit_hessian,
    optimizer = info$optimizer,
    convergence = info$convergence,
    fnscale = sgn,
    level = ctrl$level,
    evaluations = evals
  ), class = "hesscheck")
}
