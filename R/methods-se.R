# S3 methods for the standard-error objects: "hesscheck_se" (compare_se()),
# "hesscheck_boot" (bootstrap_se()) and "hesscheck_coverage" (coverage_check()).
# format() builds the lines, print() writes them; every number is shown with its own
# significant digits (fmt()), so a column never pads 54.62 to 54.6200. Each method checks
# the object first: a changed or corrupted one is a hesscheck_error_bad_object.

bad_object <- function(what, fn) {
  hc_abort("bad_object", sprintf(
    "`x` is not a valid %s result (%s is missing or malformed); compute it again with %s().",
    fn, what, fn
  ))
}

is_count <- function(v) is.numeric(v) && length(v) == 1L && is.finite(v) && v >= 0
is_num <- function(v, n) is.numeric(v) && length(v) == n
is_failure_table <- function(m) {
  (is.numeric(m) || is.table(m)) && (length(m) == 0L || !is.null(names(m)))
}

validate_se <- function(x) {
  t <- if (is.list(x)) x$table
  if (!is.data.frame(t) || nrow(t) < 1L) bad_object("`table`", "compare_se")
  k <- nrow(t)
  ok <- is.character(t$parameter) && is.character(t$source) && is_num(t$se, k) &&
    is_num(t$ratio, k) && is_num(t$expected, k) && is.logical(t$flag) && length(t$flag) == k
  if (!ok) bad_object("a column of `table`", "compare_se")
  if (!is.null(x$notes) && !is.character(x$notes)) bad_object("`notes`", "compare_se")
  v <- x$verdict
  if (!is.null(v) && !(is.list(v) && is.character(v$report) && length(v$report) == 1L &&
                       v$report %in% names(report_text) && is.character(v$reason) &&
                       length(v$reason) == 1L)) {
    bad_object("`verdict`", "compare_se")
  }
  invisible(x)
}

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

validate_boot <- function(x) {
  if (!is.list(x)) bad_object("the whole object", "bootstrap_se")
  if (!is_count(x$R)) bad_object("`R`", "bootstrap_se")
  st <- x$status
  if (!is.character(st) || length(st) != x$R || !all(st %in% c("ok", "not_converged", "failed"))) {
    bad_object("`status`", "bootstrap_se")
  }
  n <- length(x$estimate)
  ok <- is.numeric(x$estimate) && n >= 1L && !is.null(names(x$estimate)) &&
    is_num(x$se, n) && is_num(x$mc_error, n) && is.numeric(x$ci) &&
    identical(dim(x$ci), c(n, 2L))
  if (!ok) bad_object("`estimate`, `se`, `mc_error` or `ci`", "bootstrap_se")
  if (!is.character(x$type) || length(x$type) != 1L ||
      !x$type %in% c("parametric", "nonparametric")) {
    bad_object("`type`", "bootstrap_se")
  }
  if (!is.numeric(x$seed) || length(x$seed) != 1L || is.na(x$seed)) {
    bad_object("`seed`", "bootstrap_se")
  }
  if (!is_failure_table(x$messages)) bad_object("`messages`", "bootstrap_se")
  invisible(x)
}

validate_coverage <- function(x) {
  if (!is.list(x)) bad_object("the whole object", "coverage_check")
  t <- x$table
  if (!is.data.frame(t) || nrow(t) < 1L) bad_object("`table`", "coverage_check")
  k <- nrow(t)
  cols <- c("coverage", "mc_error", "se_ratio", "bias")
  if (!all(cols %in% names(t)) || !all(vapply(t[cols], is_num, TRUE, k))) {
    bad_object("a column of `table`", "coverage_check")
  }
  if (!is.numeric(x$level) || length(x$level) != 1L || !isTRUE(x$level > 0 && x$level < 1)) {
    bad_object("`level`", "coverage_check")
  }
  if (!is_count(x$R) || !is_count(x$used)) bad_object("`R` or `used`", "coverage_check")
  if (!is.numeric(x$seed) || length(x$seed) != 1L || is.na(x$seed)) {
    bad_object("`seed`", "coverage_check")
  }
  if (!is_failure_table(x$messages)) bad_object("`messages`", "coverage_check")
  invisible(x)
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
  cat(format(x, digits = digits), sep = "\n")
  invisible(x)
}

#' @export
format.hesscheck_coverage <- function(x, digits = 3, ...) {
  validate_coverage(x)
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
  cat(format(x, digits = digits), sep = "\n")
  invisible(x)
}

#' @export
format.hesscheck_se <- function(x, digits = 3, ...) {
  validate_se(x)
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
