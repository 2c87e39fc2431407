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
  lines <- c(lines, sprintf("(%s; check_fit evaluated fn %d times%s)", how,
                            as.integer(ev[["fn"]]),
                            if (ev[["gr"]] > 0) sprintf(" and gr %d", as.integer(ev[["gr"]])) else ""))
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
      "\nLargest Newton step: %s standard errors; lme4's scaled gradient: %s; condition number %s\n",
      zmax, fmt(g$scaled_gradient), fmt(x$condition)
    ))
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
  k <- nrow(e)
  if (k == 0L) {
    graphics::plot.new()
    graphics::title(main = "No free parameters")
    return(invisible(e))
  }
  if (!any(is.finite(e$eigenvalue) & e$eigenvalue != 0)) {
    graphics::plot.new()
    graphics::title(main = "No finite non-zero eigenvalues")
    return(invisible(e))
  }
  pal <- c(negative = "firebrick", zero = "darkorange", positive = "grey20")
  col <- pal[e$sign]
  v <- abs(e$eigenvalue)
  u <- e$uncertainty
  # log10 |eigenvalue|: the sign is the colour; the error bar spans |lambda| -+ its
  # uncertainty (down to the plot's floor where the interval reaches zero).
  floor10 <- floor(log10(min(c(v[v > 0], u[is.finite(u) & u > 0])))) - 1
  y <- ifelse(v > 0, log10(v), floor10)
  lo <- ifelse(v - u > 0, log10(pmax(v - u, 10^floor10)), floor10)
  hi <- log10(v + u)
  hi[!is.finite(hi)] <- NA
  yr <- range(c(y, lo, hi), finite = TRUE)
  yr <- yr + c(-0.05, 0.25) * max(diff(yr), 1)    # room above the points for the legend
  op <- graphics::par(mar = c(4, 4.5, 3, 1))
  on.exit(graphics::par(op))
  graphics::plot(seq_len(k), y, ylim = yr, xlim = c(0.5, k + 0.5), pch = 19, col = col,
                 xlab = "direction (ascending eigenvalue)",
                 ylab = "log10 |scaled eigenvalue|",
                 main = sprintf("Curvature of fn along each direction: %s", x$verdict),
                 xaxt = "n", ...)
  graphics::axis(1, at = seq_len(k))
  bar <- !is.na(hi) & hi - lo > 0.02
  if (any(bar)) {
    graphics::arrows(which(bar), lo[bar], which(bar), hi[bar], angle = 90, code = 3,
                     length = 0.04, col = col[bar])
  }
  flagged <- e$sign != "positive"
  if (any(flagged)) {
    graphics::text(which(flagged), y[flagged], e$direction[flagged], pos = 4, cex = 0.8,
                   col = col[flagged])
  }
  graphics::legend("top", horiz = TRUE, bty = "n", cex = 0.8, pch = 19, col = pal,
                   legend = c("negative", "zero (flat)", "positive"))
  invisible(e)
}
