# S3 methods for "hessian_fd" matrices: printing shows the matrix, then one line on its
# accuracy, never the raw attributes.

#' @export
as.matrix.hessian_fd <- function(x, ...) {
  validate_hessian_fd(x)
  m <- unclass(x)
  attributes(m) <- attributes(m)[c("dim", "dimnames")]
  m
}

# Largest error relative to sqrt(|H_ii H_jj|), the scale of each element.
scaled_error <- function(H, E) {
  d <- sqrt(abs(diag(H)))
  s <- outer(d, d)
  r <- E / s
  r[s == 0] <- NA
  r
}

# The largest error estimate of Hessian h relative to the scale of its elements (named
# `scale` in the text), in words that stay true where a bound is not finite (an
# overflow: |fn| near 1e300 leaves no room for the differences' error terms) or where
# the diagonal is zero (no scale: the absolute error is given).
largest_error_text <- function(h, scale) {
  E <- attr(h, "error")
  inf <- !is.finite(E)
  if (any(inf)) {
    lab <- unresolved_labels(inf, rownames(h))$text
    v <- attr(h, "value")
    big <- is.numeric(v) && length(v) == 1L && is.finite(v) && abs(v) > 1e100
    return(sprintf("not finite (Inf for %s%s)", lab, if (big) sprintf(
      ": the error bounds overflow, |fn(par)| being about %s; rescale fn", fmt(abs(v), 2)) else
        ""))
  }
  rel <- scaled_error(h, E)
  if (!any(is.finite(rel))) {
    return(sprintf("%s (absolute: the diagonal is zero, so there is no scale)", fmt(max(E, 0), 2)))
  }
  sprintf("%s of %s", fmt(max(rel, na.rm = TRUE), 2), scale)
}

#' @export
format.hessian_fd <- function(x, digits = 4, ...) {
  digits <- check_digits(digits)
  m <- as.matrix(x)
  format(signif(m, digits), ...)
}

#' Print a finite-difference Hessian
#'
#' @param x A `"hessian_fd"` object from [hessian_fd()].
#' @param digits Significant digits shown.
#' @param ... Passed to [print.default()].
#' @return `x`, invisibly.
#' @examples
#' f <- function(p) exp(p[1]) + p[1] * p[2]^2
#' H <- hessian_fd(f, c(a = 0, b = 1))
#' H                        # the matrix, then one line on its accuracy
#' print(H, digits = 8)
#' as.matrix(H)             # the bare matrix, without the attributes
#' @export
print.hessian_fd <- function(x, digits = 4, ...) {
  validate_hessian_fd(x)
  digits <- check_digits(digits)
  ev <- attr(x, "evaluations")
  how <- if (identical(attr(x, "method"), "gradient")) {
    sprintf("differences of gr, %d gr and %d fn evaluations", ev[["gr"]], ev[["fn"]])
  } else {
    sprintf("differences of fn, %d evaluations", ev[["fn"]])
  }
  cat(sprintf("Hessian (%d x %d) from %s\n", nrow(x), ncol(x), how))
  print(signif(as.matrix(x), digits), ...)
  cat("Largest error estimate:", largest_error_text(x, "sqrt(|H[i,i] H[j,j]|)"))
  noise <- attr(x, "noise")
  if (is.finite(noise) && noise > 0) cat(sprintf("; noise of fn %s", format(signif(noise, 2))))
  if (!is.finite(noise)) cat("; noise of fn not finite")
  cat("\n")
  side <- attr(x, "side")
  if (any(side != 0L)) {
    cat("One-sided differences (near a bound, or where fn is not finite) for:",
        paste(names(side)[side != 0L], collapse = ", "), "\n")
  }
  unres <- !attr(x, "resolved")
  if (any(unres)) {
    cat("Curvature not resolved above the noise for:",
        paste(names(unres)[unres], collapse = ", "), "\n")
  }
  invisible(x)
}
