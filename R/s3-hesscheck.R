# S3 methods for "hesscheck" objects: the verdict first, one line per finding, then the
# table of estimates, as summary.lm prints.

#' Methods for `check_fit()` results
#'
#' `print()` shows the verdict, one line per finding and the table of estimates;
#' `summary()` adds the eigenvalues of the scaled Hessian with their uncertainties, the
#' stationarity measures and the cost. `coef()` and `vcov()` give the estimates and the
#' inverse Hessian, with `NA` wherever it is not valid (a parameter on a bound, a Hessian
#' that is not positive definite); `confint()` is [confint.hesscheck()];
#' `as.data.frame()` the table; `plot()` the eigenvalue spectrum with its uncertainty.
#'
#' Every method checks the object first: one whose fields were changed or lost stops with
#' an error of class `hesscheck_error_object` (and `hesscheck_error_bad_object`) whose
#' message and `field` name the field. The methods of the other results
#' ([profile_ci()], [bootstrap_se()], [compare_se()], [coverage_check()],
#' [hessian_fd()]) do the same.
#'
#' @param x,object A `"hesscheck"` object from [check_fit()].
#' @param digits Significant digits shown (a whole number from 1 to 15).
#' @param ... Unused; for compatibility with the generics.
#' @return `print()` returns `x` invisibly; `format()` a character vector of lines;
#'   `summary()` an object of class `"summary.hesscheck"` (the `"hesscheck"` object with
#'   an `eigen_table` data frame); `coef()` the named estimates; `vcov()` the covariance
#'   matrix (all `NA`, with a warning, where the Hessian is not positive definite);
#'   `as.data.frame()` the table of
#'   estimates with a `parameter` column; `plot()` the eigenvalue data frame, invisibly.
#' @name hesscheck-methods
#' @examples
#' nll <- function(p) sum((p - c(1, 2))^2 / c(0.1, 10)) / 2
#' x <- check_fit(c(a = 1, b = 2), nll)
#' x
#' coef(x)
#' vcov(x)
#' confint(x)
#' summary(x)
#' plot(x)
NULL

#' @rdname hesscheck-methods
#' @export
format.hesscheck <- function(x, digits = 4, ...) {
  validate_hesscheck(x)
  digits <- check_digits(digits)
  lines <- sprintf("check_fit: %s.", verdict_text[[x$verdict]])
  how <- if (x$optimizer == "none") "estimates given as a vector" else
    sprintf("%s result, convergence code %s", x$optimizer, format(x$convergence))
  ev <- x$evaluations
  lines <- c(lines, sprintf("(%s; check_fit evaluated fn %s%s)", how,
                            times(ev[["fn"]]),
                            if (ev[["gr"]] > 0) paste(" and gr", times(ev[["gr"]])) else ""))
  if (!is.null(x$refine)) lines <- c(lines, refine_line(x$refine))
  f <- x$findings
  if (nrow(f)) {
    lines <- c(lines, "", "Findings:")
    tag <- format(paste0("[", f$severity, "]"))
    lines <- c(lines, paste0("  ", tag, " ", f$message))
  }
  tab <- x$table
  num <- function(v, d = digits) ifelse(is.na(v), "", fmt(v, d))
  # Values within 10^-digits standard errors of zero print as 0: an exact zero estimated
  # as -6e-11 shows as 0, not in e-notation.
  small <- function(v) !is.na(v) & is.finite(tab$se) & abs(v) < tab$se * 10^-digits
  near0 <- function(v) replace(num(v), small(v), "0")
  shown <- data.frame(
    estimate = near0(tab$estimate), se = ifelse(is.na(tab$se), "NA", num(tab$se)),
    z = ifelse(small(tab$estimate), "0", num(tab$z, 3)),
    lower = near0(tab$lower), upper = near0(tab$upper),
    status = tab$status, row.names = rownames(tab), stringsAsFactors = FALSE
  )
  names(shown)[4:5] <- paste0(c("lower ", "upper "), format(100 * x$level), "%")
  c(lines, "", utils::capture.output(print(shown, right = TRUE)))
}

# "1 time", "21 times".
times <- function(k) {
  k <- as.integer(k)
  sprintf("%d time%s", k, if (k == 1L) "" else "s")
}

# What control$refine did, in one line: the steps taken, how they ended and how far the
# estimates moved, in standard errors at the new point (where there are any).
refine_line <- function(r) {
  ended <- if (identical(r$status, "stationary")) "the estimate is stationary" else r$status
  if (r$steps == 0L) {
    return(sprintf("Refinement took no Newton step: %s.", ended))
  }
  moved <- if (all(is.na(r$moved_se))) {
    "there are no standard errors at the new point to say how far the estimates moved"
  } else {
    sprintf("the estimates moved by up to %s standard errors",
            fmt(max(abs(r$moved_se), na.rm = TRUE)))
  }
  sprintf("Refined by %d Newton step%s (%s); %s.", r$steps, if (r$steps == 1L) "" else "s",
          ended, moved)
}

#' @rdname hesscheck-methods
#' @export
print.hesscheck <- function(x, digits = 4, ...) {
  validate_hesscheck(x)
  cat(format(x, digits = digits), sep = "\n")
  invisible(x)
}

#' @rdname hesscheck-methods
#' @export
summary.hesscheck <- function(object, ...) {
  validate_hesscheck(object)
  e <- object$eigen
  tab <- data.frame(
    eigenvalue = e$values, uncertainty = e$uncertainty,
    sign = c("negative", "zero", "positive")[e$sign + 2L],
    from = if (is.null(e$source)) rep("hessian", length(e$values)) else e$source,
    direction = eigen_labels(e),
    stringsAsFactors = FALSE
  )
  object$eigen_table <- tab
  class(object) <- c("summary.hesscheck", class(object))
  object
}

# The label of each direction in x$eigen, as the findings word it (direction_label()).
eigen_labels <- function(e) {
  sc <- if (is.null(e$scale)) rep(1, length(e$parameters)) else e$scale
  vapply(seq_along(e$values), function(q) {
    direction_label(e$vectors[, q], sc, e$parameters)$text
  }, "")
}

#' @rdname hesscheck-methods
#' @export
print.summary.hesscheck <- function(x, digits = 4, ...) {
  validate_hesscheck(x)
  digits <- check_digits(digits)
  # What print() does not show; the findings and the estimates are print(x)'s.
  cat(format(x, digits = digits)[1:2], sep = "\n")
  cat("\nEigenvalues of the Hessian scaled to unit diagonal (free parameters), with error bars;\n",
      "'fn': measured with fn along the direction, 'hessian': from the Hessian's elements:\n",
      sep = "")
  et <- x$eigen_table
  et$eigenvalue <- fmt(et$eigenvalue, 3)
  et$uncertainty <- fmt(et$uncertainty, 2)
  print(et, right = FALSE, row.names = FALSE)
  g <- x$newton
  zmax <- if (all(is.na(g$z))) "NA" else fmt(max(abs(g$z), na.rm = TRUE))
  if (is.null(x$vcov)) {
    cat(sprintf("\nLargest Newton step (|curvature| as the metric): %s standard errors\n", zmax))
  } else {
    cat(sprintf(
      "\nLargest Newton step: %s standard errors; size of the Hessian-scaled gradient: %s; condition number %s\n",
      zmax, fmt(g$scaled_gradient), fmt(x$condition)
    ))
    cat("(The Newton step is how far the optimum this Hessian predicts is from the estimate;\n",
        "the Hessian-scaled gradient is max |solve(chol(H), g)|, the measure lme4 checks.)\n",
        sep = "")
    su <- x$se_uncertainty
    if (any(is.finite(su))) {
      cat(sprintf("Standard errors uncertain by up to %s (relative)\n",
                  fmt(max(su, na.rm = TRUE))))
    }
  }
  h <- x$hessian
  cat(sprintf("Hessian: %s; largest error estimate %s; noise of fn %s\n",
              if (identical(attr(h, "method"), "gradient")) "differences of gr" else
                "differences of fn",
              largest_error_text(h, "sqrt(|H[i, i] H[j, j]|)"),
              if (is.finite(attr(h, "noise"))) fmt(attr(h, "noise")) else "not finite"))
  cat("print(x) shows the findings and the table of estimates.\n")
  invisible(x)
}

#' @rdname hesscheck-methods
#' @export
coef.hesscheck <- function(object, ...) {
  validate_hesscheck(object)
  object$par
}

#' @rdname hesscheck-methods
#' @export
vcov.hesscheck <- function(object, ...) {
  validate_hesscheck(object)
  if (is.null(object$vcov)) {
    nm <- names(object$par)
    hc_warn("no_vcov", sprintf(
      "No covariance matrix: the point is %s (see print(x)).", verdict_noun[[object$verdict]]
    ))
    return(matrix(NA_real_, length(nm), length(nm), dimnames = list(nm, nm)))
  }
  object$vcov
}

#' @rdname hesscheck-methods
#' @param row.names,optional Unused; for compatibility with [as.data.frame()].
#' @export
as.data.frame.hesscheck <- function(x, row.names = NULL, optional = FALSE, ...) {
  validate_hesscheck(x)
  cbind(parameter = rownames(x$table), x$table, stringsAsFactors = FALSE)
}

#' @rdname hesscheck-methods
#' @export
plot.hesscheck <- function(x, ...) {
  validate_hesscheck(x)
  e <- summary.hesscheck(x)$eigen_table
  bound <- names(x$par)[x$at_bound != 0]
  side <- ifelse(x$at_bound[x$at_bound != 0] < 0, "lower", "upper")
  bound_note <- if (length(bound)) {
    sprintf("On a bound, so not a direction here: %s",
            paste0(bound, " (", side, ")", collapse = ", "))
  }
  k <- nrow(e)
  ok <- is.finite(e$eigenvalue)
  if (k == 0L || !any(ok)) {
    graphics::plot.new()
    graphics::title(main = if (k == 0L) "No free parameters" else "No finite eigenvalues",
                    sub = bound_note)
    return(invisible(e))
  }
  draw_curvatures(e, x$verdict, bound_note, ...)
  invisible(e)
}

# A horizontal legend centred at x, `lines` text lines below the plot region (in the
# bottom margin, which the caller left room for).
legend_below <- function(x, lines, ...) {
  y <- graphics::grconvertY(graphics::grconvertY(graphics::par("usr")[3L], "user", "inches") -
                              lines * graphics::par("csi"), "inches", "user")
  graphics::legend(x, y, xjust = 0.5, yjust = 1, xpd = NA, horiz = TRUE, bty = "n",
                   cex = 0.8, ...)
}

# The colours of the signs of curvature (Okabe and Ito's palette, which readers with a
# colour deficiency tell apart): negative, zero (flat), positive.
sign_colours <- c(negative = "#D55E00", zero = "#CC79A7", positive = "#0072B2")

# plot.hesscheck()'s chart: one row per direction of the scaled Hessian, labelled with its
# parameter combination (direction_label(), as print and summary word it), its curvature
# as a dot coloured by the sign check_fit() decided, with its error bar, on a symmetric
# log scale (linear across the zero band, logarithmic beyond), the flattest direction on
# top. The zero band: curvatures below 1e-3 of the largest, which the Hessian alone
# cannot tell from zero (check_fit() asks fn along them).
draw_curvatures <- function(e, verdict, bound_note, ...) {
  k <- nrow(e)
  ok <- is.finite(e$eigenvalue)
  v <- e$eigenvalue
  u <- ifelse(is.finite(e$uncertainty), e$uncertainty, 0)
  big <- max(abs(v[ok]))
  band <- hc_thresholds$probe_small * (if (big > 0) big else 1)
  tr <- function(z) sign(z) * log10(1 + abs(z) / band)
  xs <- tr(v)
  lo <- tr(v - u)
  hi <- tr(v + u)
  all_x <- c(xs, lo, hi)[is.finite(c(xs, lo, hi))]
  xr <- c(min(all_x, -tr(2 * band)), max(all_x, tr(2 * band))) * 1.04
  # Labels: the combination, cut to 40 characters; the left margin fits the longest.
  lab <- ifelse(nchar(e$direction) > 40, paste0(substr(e$direction, 1, 38), "..."),
                e$direction)
  y <- rev(seq_len(k))                 # ascending eigenvalue: the flattest on top
  op <- graphics::par(no.readonly = TRUE)
  on.exit(graphics::par(op))
  graphics::par(mar = c(6.5, 1, 3.5, 1.5))
  left <- max(nchar(lab)) * graphics::par("cin")[1L] * 0.9 * 0.85 + 0.3
  graphics::par(mai = c(graphics::par("mai")[1L], min(left, 0.45 * graphics::par("din")[1L]),
                        graphics::par("mai")[3:4]))
  graphics::plot(NA, xlim = xr, ylim = c(0.5, k + 0.5), xaxt = "n", yaxt = "n",
                 xlab = "", ylab = "", ...)
  graphics::title(main = "Curvature of fn along each direction", line = 2, cex.main = 1.1)
  graphics::mtext(sprintf("check_fit: %s", verdict_text[[verdict]]), side = 3, line = 0.6,
                  cex = 0.75)
  # the zero band, then a grid line per direction
  graphics::rect(-tr(band), 0, tr(band), k + 1, col = "grey88", border = NA)
  graphics::abline(v = 0, col = "grey40")
  graphics::abline(h = y, col = "grey93", lty = 1)
  # axis ticks at 0 and the powers of ten beyond the band, in the eigenvalues' own units
  j <- seq(ceiling(log10(band)), max(ceiling(log10(band)), ceiling(log10(big))))
  at_v <- 10^j
  if (length(at_v[tr(at_v) <= xr[2L]]) < 2L) at_v <- sort(unique(c(band, at_v)))
  ticks <- c(-rev(at_v[tr(at_v) <= -xr[1L]]), 0, at_v[tr(at_v) <= xr[2L]])
  graphics::axis(1, at = tr(ticks), labels = fmt(ticks, 2), cex.axis = 0.8)
  graphics::mtext("curvature (eigenvalue of the Hessian scaled to unit diagonal; log scale beyond the grey band)",
                  side = 1, line = 2.3, cex = 0.75)
  graphics::axis(2, at = y, labels = lab, las = 1, tick = FALSE, cex.axis = 0.9)
  col <- sign_colours[e$sign]
  bar <- ok & abs(hi - lo) > 1e-3
  if (any(bar)) {
    graphics::arrows(lo[bar], y[bar], hi[bar], y[bar], angle = 90, code = 3,
                     length = 0.05, col = col[bar], lwd = 1.5)
  }
  graphics::points(xs[ok], y[ok], pch = 19, col = col[ok], cex = 1.4)
  # which side is which, in words, at the top of each half
  graphics::text(xr[2L], k + 0.45, "fn rises along these", adj = c(1, 1), cex = 0.75,
                 col = "grey35")
  if (xr[1L] < -1.04 * tr(2 * band)) {
    graphics::text(xr[1L], k + 0.45, "fn falls along these", adj = c(0, 1), cex = 0.75,
                   col = "grey35")
  }
  legend_below(mean(xr), 3.4, pch = c(19, 19, 19, 15), pt.cex = c(1.2, 1.2, 1.2, 2),
               col = c(sign_colours, "grey88"),
               legend = c("negative: fn falls", "zero: flat to second order", "positive",
                          "below 1e-3 of the largest"))
  if (!is.null(bound_note)) {
    graphics::mtext(bound_note, side = 1, line = 5.3, cex = 0.75)
  }
}

