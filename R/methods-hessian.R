# S3 methods for "hessian_fd" matrices: printing shows the matrix, then one line on its
# accuracy, never the raw attributes.

#' @export
as.matrix.hessian_fd <- function(x, ...) {
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

#' @export
format.hessian_fd <- function(x, digits = 4, ...) {
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
  ev <- attr(x, "evaluations")
  how <- if (identical(attr(x, "method"), "gradient")) {
    sprintf("differences of gr, %d gr and %d fn evaluations", ev[["gr"]], ev[["fn"]])
  } else {
    sprintf("differences of fn, %d evaluations", ev[["fn"]])
  }
  cat(sprintf("Hessian (%d x %d) from %s\n", nrow(x), ncol(x), how))
  print(signif(as.matrix(x), digits), ...)
  rel <- scaled_error(x, attr(x, "error"))
  worst <- suppressWarnings(max(rel, na.rm = TRUE))
  cat(sprintf("Largest error estimate: %s of sqrt(|H[i,i] H[j,j]|)",
              if (is.finite(worst)) format(signif(worst, 2)) else "NA"))
  noise <- attr(x, "noise")
  if (is.finite(noise) && noise > 0) cat(sprintf("; noise of fn %s", format(signif(noise, 2))))
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
