# S3 methods for the standard-error objects: "hesscheck_se" (compare_se()),
# "hesscheck_boot" (bootstrap_se()) and "hesscheck_coverage" (coverage_check()).
# format() builds the lines, print() writes them; every number is shown with its own
# significant digits (fmt()), so a column never pads 54.62 to 54.6200. Each method checks
# the object first (validate-objects.R): a changed or corrupted one is a classed
# hesscheck_error_object naming the field.

# What each of compare_se()'s verdicts tells the user to report.
report_text <- c(
  hessian = "the Hessian SEs", sandwich = "the sandwich SEs", bootstrap = "the bootstrap SEs",
  profile = "the profile-likelihood intervals", none = "nothing yet"
)

report_line <- function(v) {
  if (is.null(v)) return(character())
  sprintf("Report %s: %s", report_text[[v$report]], v$reason)
}

# b, a valid bootstrap_se() result for the parameters named nm: the argument `of` is
# the fit it must belong to.
check_boot_of <- function(b, nm, of) {
  validate_boot(b)
  if (!identical(names(b$estimate), nm)) {
    hc_abort("bad_bootstrap", sprintf(
      "`bootstrap` is for other parameters than `%s`: give bootstrap_se() results of this fit.",
      of))
  }
  invisible(b)
}

# Lines of a character matrix with row and column names, columns right-aligned.
table_lines <- function(m) {
  rn <- rownames(m)
  if (is.null(rn)) rn <- rep("", nrow(m))
  cols <- rbind(colnames(m), m)
  out <- formatC(c("", rn), width = -max(nchar(c("", rn), type = "width")), flag = "-")
  for (j in seq_len(ncol(cols))) {
    w <- max(nchar(cols[, j], type = "width"))
    out <- paste(out, formatC(cols[, j], width = w))
  }
  out
}

# The failure reasons of the replicates, counted, most frequent first.
failure_lines <- function(messages) {
  if (!length(messages)) return(character())
  m <- sort(messages, decreasing = TRUE)
  c("Failed replicates, by reason:",
    sprintf("  %*d  %s", max(nchar(as.character(m))), as.integer(m), names(m)))
}

#' @export
format.hesscheck_boot <- function(x, digits = 4, ...) {
  validate_boot(x)
  digits <- check_digits(digits)
  cells <- cbind(estimate = fmt(x$estimate, digits), se = fmt(x$se, digits),
                 mc_error = fmt(x$mc_error, 2), "2.5 %" = fmt(x$ci[, 1L], digits),
                 "97.5 %" = fmt(x$ci[, 2L], digits))
  rownames(cells) <- names(x$estimate)
  c(sprintf("%s bootstrap: %d replicates, %d converged, %d not converged, %d failed (seed %s)",
            if (x$type == "parametric") "Parametric" else "Non-parametric", as.integer(x$R),
            sum(x$status == "ok"), sum(x$status == "not_converged"),
            sum(x$status == "failed"), format(x$seed)),
    verdict_line(x$verdict),
    table_lines(cells),
    failure_lines(x$messages))
}

# The check_fit verdict a replicate run was made at, for the header of its print.
verdict_line <- function(verdict) {
  if (!is_verdict(verdict)) {
    return(character())
  }
  sprintf("The estimate, by check_fit(): %s.", verdict_text[[verdict]])
}

#' @export
print.hesscheck_boot <- function(x, digits = 4, ...) {
  validate_boot(x)
  cat(format(x, digits = digits), sep = "\n")
  invisible(x)
}

#' @export
format.hesscheck_coverage <- function(x, digits = 3, ...) {
  validate_coverage(x)
  digits <- check_digits(digits)
  tab <- x$table
  cells <- vapply(tab[c("coverage", "mc_error", "se_ratio", "bias")], fmt,
                  character(nrow(tab)), digits = digits)
  cells <- matrix(cells, nrow(tab), dimnames = list(rownames(tab),
                                                    c("coverage", "mc_error", "se_ratio", "bias")))
  out <- c(sprintf("Coverage of %s%% Wald intervals over %d simulated data sets (%d used; seed %s)",
                   fmt(100 * x$level, 4), as.integer(x$R), as.integer(x$used), format(x$seed)),
           verdict_line(x$verdict), table_lines(cells), failure_lines(x$messages))
  if (x$used < 2L) {
    return(c(out, "Fewer than 2 replicates could be used: coverage not assessed."))
  }
  low <- abs(tab$coverage - x$level) > 2 * pmax(tab$mc_error, 1e-12)
  c(out, interval_lines(x$intervals), if (any(low, na.rm = TRUE)) {
    paste("Coverage more than 2 Monte-Carlo SEs from nominal for:",
          paste(rownames(tab)[which(low)], collapse = ", "))
  } else {
    "Coverage is within 2 Monte-Carlo SEs of nominal for every parameter."
  })
}

# Coverage of each kind of interval in the same simulation, parameters by kinds: the
# coverage with its Monte-Carlo SE; nothing when only Wald intervals were counted.
interval_lines <- function(iv) {
  if (!is.data.frame(iv) || !all(c("parameter", "interval", "coverage", "mc_error") %in% names(iv)) ||
      length(unique(iv$interval)) < 2L) {
    return(character())
  }
  nm <- unique(iv$parameter)
  kinds <- unique(iv$interval)
  m <- matrix("", length(nm), length(kinds), dimnames = list(nm, kinds))
  for (k in seq_len(nrow(iv))) {
    m[iv$parameter[k], iv$interval[k]] <- if (is.na(iv$coverage[k])) "NA" else
      sprintf("%s (%s)", fmt(iv$coverage[k], 3), fmt(iv$mc_error[k], 2))
  }
  c("Coverage by interval in the same simulation (Monte-Carlo SE):", table_lines(m))
}

#' @export
print.hesscheck_coverage <- function(x, digits = 3, ...) {
  validate_coverage(x)
  cat(format(x, digits = digits), sep = "\n")
  invisible(x)
}

#' @export
format.hesscheck_se <- function(x, digits = 3, ...) {
  validate_se(x)
  digits <- check_digits(digits)
  t <- x$table
  srcs <- unique(t$source)
  nm <- unique(t$parameter)
  m <- matrix("", length(nm), length(srcs), dimnames = list(nm, srcs))
  for (k in seq_len(nrow(t))) {
    r <- t[k, ]
    cell <- if (is.na(r$se)) "NA" else if (r$source == "hesscheck") fmt(r$se, digits) else
      sprintf("%s (%s)%s", fmt(r$se, digits),
              if (is.finite(r$ratio)) sprintf("%.3f", r$ratio) else "NA",
              if (isTRUE(r$flag)) "*" else "")
    m[r$parameter, r$source] <- cell
  }
  c(report_line(x$verdict),
    "Standard errors by source (ratio to hesscheck; * = beyond expected error)",
    table_lines(m), if (length(x$notes)) paste0("  ", x$notes))
}

#' @export
print.hesscheck_se <- function(x, digits = 3, ...) {
  validate_se(x)
  cat(format(x, digits = digits), sep = "\n")
  invisible(x)
}

#' @export
as.data.frame.hesscheck_se <- function(x, row.names = NULL, optional = FALSE, ...) {
  validate_se(x)
  x$table
}

#' @export
plot.hesscheck_se <- function(x, ...) {
  validate_se(x)
  t <- x$table
  srcs <- unique(t$source)
  nm <- unique(t$parameter)
  ok <- is.finite(t$ratio) & t$ratio > 0
  lo <- t$ratio * (1 - pmin(t$expected, 0.9))
  hi <- t$ratio * (1 + t$expected)
  yl <- range(c(1, lo[ok & is.finite(lo)], hi[ok & is.finite(hi)]))
  yl[2L] <- yl[2L] * (yl[2L] / yl[1L])^0.25     # room for the legend above the points
  pos <- match(t$parameter, nm) + (match(t$source, srcs) - (length(srcs) + 1) / 2) * 0.8 /
    length(srcs)
  pal <- grDevices::hcl.colors(length(srcs), "Dark 3")
  cols <- pal[match(t$source, srcs)]
  flag <- ok & t$flag %in% TRUE
  graphics::plot(pos[ok], t$ratio[ok], xlim = c(0.5, length(nm) + 0.5), ylim = yl,
                 log = "y", pch = ifelse(flag[ok], 17, 19), col = cols[ok], xaxt = "n",
                 xlab = "", ylab = "SE / hesscheck SE", main = "Standard errors by source",
                 ...)
  graphics::axis(1, at = seq_along(nm), labels = nm)
  graphics::abline(h = 1, lty = 2)
  bar <- ok & t$source %in% c("bootstrap", "parametric") & is.finite(t$expected)
  if (any(bar)) {
    graphics::arrows(pos[bar], pmax(lo[bar], yl[1L]), pos[bar], hi[bar], angle = 90,
                     code = 3, length = 0.03, col = cols[bar])
  }
  graphics::legend("top", legend = c(srcs, "beyond expected error"),
                   col = c(pal, "grey30"), pch = c(rep(19, length(srcs)), 17),
                   bty = "n", cex = 0.8, ncol = 3)
  invisible(t)
}
