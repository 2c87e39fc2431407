# S3 methods for "hesscheck" objects: the verdict first, one line per finding, then the
# table of estimates, as summary.lm prints.

#' Methods for `check_fit()` results
#'
#' `print()` shows the verdict, one line per finding and the table of estimates;
#' `summary()` adds the eigenvalues of the scaled Hessian with their uncertainties, the
#' stationarity measures and the cost. `coef()`, `vcov()` and `confint()` give the
#' estimates, the inverse Hessian and Wald intervals, with `NA` wherever they are not
#' valid (a parameter on a bound, a Hessian that is not positive definite);
#' `as.data.frame()` the table; `plot()` the eigenvalue spectrum with its uncertainty.
#'
#' @param x,object A `"hesscheck"` object from [check_fit()].
#' @param digits Significant digits shown.
#' @param parm Parameters (names or indices) for `confint()`; all by default.
#' @param level Confidence level of the Wald intervals.
#' @param ... Unused; for compatibility with the generics.
#' @return `print()` returns `x` invisibly; `format()` a character vector of lines;
#'   `summary()` an object of class `"summary.hesscheck"` (the `"hesscheck"` object with
#'   an `eigen_table` data frame); `coef()` the named estimates; `vcov()` the covariance
#'   matrix (all `NA`, with a warning, where the Hessian is not positive definite);
#'   `confint()` a matrix with one row per parameter; `as.data.frame()` the table of
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
  lines <- sprintf("check_fit: %s.", verdict_text[[x$verdict]])
  how <- if (x$optimizer == "none") "estimates given as a vector" else
    sprintf("%s result, convergence code %s", x$optimizer, format(x$convergence))
  ev <- x$evaluations
  lines <- c(lines, sprintf("(%s; %d evaluations of fn%s)", how, as.integer(ev[["fn"]]),
                            if (ev[["gr"]] > 0) sprintf(", %d of gr", as.integer(ev[["gr"]])) else ""))
  if (!is.null(x$refine)) {
    r <- x$refine
    lines <- c(lines, sprintf(
      "Refined by %d Newton step%s (%s); moved up to %s standard errors.", r$steps,
      if (r$steps == 1L) "" else "s", r$status,
      if (all(is.na(r$moved_se))) "NA" else fmt(max(abs(r$moved_se), na.rm = TRUE))
    ))
  }
  f <- x$findings
  if (nrow(f)) {
    lines <- c(lines, "", "Findings:")
    tag <- format(paste0("[", f$severity, "]"))
    lines <- c(lines, paste0("  ", tag, " ", f$message))
  }
  tab <- x$table
  num <- function(v, d = digits) ifelse(is.na(v), "", fmt(v, d))
  shown <- data.frame(
    estimate = num(tab$estimate), se = ifelse(is.na(tab$se), "NA", num(tab$se)),
    z = num(tab$z, 3), lower = num(tab$lower), upper = num(tab$upper),
    status = tab$status, row.names = rownames(tab), stringsAsFactors = FALSE
  )
  names(shown)[4:5] <- paste0(c("lower ", "upper "), format(100 * x$level), "%")
  c(lines, "", utils::capture.output(print(shown, right = TRUE)))
}

#' @rdname hesscheck-methods
#' @export
print.hesscheck <- function(x, digits = 4, ...) {
  cat(format(x, digits = digits), sep = "\n")
  invisible(x)
}

#' @rdname hesscheck-methods
#' @export
summary.hesscheck <- function(object, ...) {
  e <- object$eigen
  tab <- data.frame(
    eigenvalue = e$values, uncertainty = e$uncertainty,
    sign = c("negative", "zero", "positive")[e$sign + 2L],
    direction = vapply(seq_along(e$values), function(q) {
      v <- e$vectors[, q]
      format_combo(v, v, e$parameters, min_share = 0.25)$text
    }, ""),
    stringsAsFactors = FALSE
  )
  object$eigen_table <- tab
  class(object) <- c("summary.hesscheck", class(object))
  object
}

#' @rdname hesscheck-methods
#' @export
print.summary.hesscheck <- function(x, digits = 4, ...) {
  print.hesscheck(x, digits = digits)
  cat("\nEigenvalues of the Hessian scaled to unit diagonal (free parameters):\n")
  et <- x$eigen_table
  et$eigenvalue <- format(signif(et$eigenvalue, 3))
  et$uncertainty <- format(signif(et$uncertainty, 2))
  print(et, right = FALSE, row.names = FALSE)
  g <- x$newton
  zmax <- if (all(is.na(g$z))) "NA" else fmt(max(abs(g$z), na.rm = TRUE))
  if (is.null(x$vcov)) {
    cat(sprintf("\nLargest gradient component, in units of 1/sqrt(H[i, i]): %s\n", zmax))
  } else {
    cat(sprintf(
      "\nLargest Newton step: %s standard errors; lme4's scaled gradient: %s\n",
      zmax, fmt(g$scaled_gradient)
    ))
  }
  h <- x$hessian
  rel <- scaled_error(h, attr(h, "error"))
  cat(sprintf("Hessian: %s; largest error estimate %s of sqrt(|H[i, i] H[j, j]|); noise of fn %s\n",
              if (identical(attr(h, "method"), "gradient")) "differences of gr" else
                "differences of fn",
              fmt(suppressWarnings(max(rel, na.rm = TRUE))), fmt(attr(h, "noise"))))
  invisible(x)
}

#' @rdname hesscheck-methods
#' @export
coef.hesscheck <- function(object, ...) object$par

#' @rdname hesscheck-methods
#' @export
vcov.hesscheck <- function(object, ...) {
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
#' @export
confint.hesscheck <- function(object, parm, level = object$level, ...) {
  tab <- object$table
  check_level(level)
  nm <- rownames(tab)
  if (missing(parm)) parm <- nm
  if (is.numeric(parm)) parm <- nm[parm]
  if (anyNA(parm) || !all(parm %in% nm)) {
    hc_abort("bad_parm", sprintf("`parm` must name parameters among %s.",
                                 paste(nm, collapse = ", ")))
  }
  q <- stats::qnorm(1 - (1 - level) / 2)
  ci <- cbind(tab$estimate - q * tab$se, tab$estimate + q * tab$se)
  dimnames(ci) <- list(nm, paste(format(100 * c((1 - level) / 2, 1 - (1 - level) / 2),
                                        trim = TRUE), "%"))
  ci[parm, , drop = FALSE]
}

#' @rdname hesscheck-methods
#' @param row.names,optional Unused; for compatibility with [as.data.frame()].
#' @export
as.data.frame.hesscheck <- function(x, row.names = NULL, optional = FALSE, ...) {
  cbind(parameter = rownames(x$table), x$table, stringsAsFactors = FALSE)
}

#' @rdname hesscheck-methods
#' @export
plot.hesscheck <- function(x, ...) {
  e <- summary.hesscheck(x)$eigen_table
  k <- nrow(e)
  if (k == 0L) {
    graphics::plot.new()
    graphics::title(main = "No free parameters")
    return(invisible(e))
  }
  if (!any(is.finite(e$eigenvalue))) {
    graphics::plot.new()
    graphics::title(main = "No finite eigenvalues")
    return(invisible(e))
  }
  col <- c(negative = "firebrick", zero = "darkorange", positive = "grey30")[e$sign]
  v <- e$eigenvalue
  u <- e$uncertainty
  # A signed log scale shows eigenvalues over many orders of magnitude and their sign.
  floor <- max(min(abs(v[v != 0]), max(abs(v)) * 1e-12, na.rm = TRUE), .Machine$double.xmin)
  slog <- function(y) sign(y) * log10(1 + abs(y) / floor)
  y <- slog(v)
  u[!is.finite(u)] <- NA
  lo <- slog(v - u)
  hi <- slog(v + u)
  graphics::plot(seq_len(k), y, ylim = range(c(lo, hi, y, 0), finite = TRUE), pch = 19,
                 col = col,
                 xlab = "eigenvalue (ascending)", ylab = "scaled eigenvalue (signed log)",
                 main = sprintf("Hessian spectrum: %s", x$verdict), xaxt = "n", ...)
  graphics::axis(1, at = seq_len(k))
  graphics::abline(h = 0, lty = 2)
  bar <- !is.na(hi - lo) & (hi - lo) > 1e-3 * diff(range(c(lo, hi, y, 0), finite = TRUE))
  if (any(bar)) {
    graphics::arrows(which(bar), lo[bar], which(bar), hi[bar], angle = 90, code = 3,
                     length = 0.04, col = col[bar])
  }
  flagged <- e$sign != "positive"
  if (any(flagged)) {
    graphics::text(which(flagged), y[flagged], e$direction[flagged], pos = 4, cex = 0.8,
                   col = col[flagged])
  }
  graphics::legend("topleft", legend = c("negative", "zero", "positive"),
                   col = c("firebrick", "darkorange", "grey30"), pch = 19, bty = "n",
                   cex = 0.8)
  invisible(e)
}
