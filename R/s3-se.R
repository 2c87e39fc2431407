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
    cluster_line(x$cluster, "Resampled"),
    verdict_line(x$verdict),
    table_lines(cells),
    failure_lines(x$messages),
    warning_lines(x$warnings, x$R, "refits"))
}

# How a cluster bootstrap drew its data (NULL: no line).
cluster_line <- function(cl, what) {
  if (is.null(cl)) return(character())
  sprintf("%s by whole groups of %s (%d groups)%s.", what, cl$name, as.integer(cl$groups),
          if (isTRUE(cl$default)) {
            ", the mixed model's top-level grouping factor (give `cluster` for another)"
          } else "")
}

# How many replicates warned, and the most frequent message (NULL: no line).
warning_lines <- function(w, R, what) {
  if (is.null(w) || !nrow(w)) return(character())
  k <- length(unique(w$replicate))
  tab <- sort(table(w$message), decreasing = TRUE)
  sprintf("%d of %d %s warned, most often: %s (details in $warnings).", k, as.integer(R),
          what, names(tab)[1L])
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
  note <- if (is.character(tab$note)) tab$note else rep("", nrow(tab))
  none <- !is.na(note) & nzchar(note)
  out <- c(sprintf("Coverage of %s%% Wald intervals over %d simulated data sets (%d used; seed %s)",
                   fmt(100 * x$level, 4), as.integer(x$R), as.integer(x$used), format(x$seed)),
           cluster_line(x$cluster, "Percentile intervals: bootstraps"),
           verdict_line(x$verdict), table_lines(cells),
           if (any(none)) sprintf("NA for %s: %s, so there is no Wald interval to count.",
                                  rownames(tab)[none], note[none]),
           failure_lines(x$messages), warning_lines(x$warnings, x$R, "replicates"))
  if (x$used < 2L) {
    return(c(out, "Fewer than 2 replicates could be used: coverage not assessed."))
  }
  # Against the Monte-Carlo SE a correct interval's coverage has (at the nominal level):
  # an observed coverage of 1 has an estimated SE of 0, which would flag any R.
  low <- abs(tab$coverage - x$level) > 2 * sqrt(x$level * (1 - x$level) / x$used)
  c(out, interval_lines(x$intervals), if (any(low, na.rm = TRUE)) {
    paste("Coverage more than 2 Monte-Carlo SEs from nominal for:",
          paste(rownames(tab)[which(low)], collapse = ", "))
  } else if (all(is.na(tab$coverage))) {
    "No parameter has a Wald interval to count."
  } else {
    sprintf("Coverage is within 2 Monte-Carlo SEs of nominal for every parameter%s.",
            if (any(is.na(tab$coverage))) " with a Wald interval" else "")
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

#' @export
plot.hesscheck_boot <- function(x, ...) {
  validate_boot(x)
  nm <- names(x$estimate)
  n <- length(nm)
  ok <- x$status == "ok"
  hs <- if (is.null(x$hessian_se)) rep(NA_real_, n) else unname(x$hessian_se)
  op <- graphics::par(no.readonly = TRUE)
  on.exit(graphics::par(op))
  cols <- min(n, 3L)
  graphics::par(mfrow = c(ceiling(n / cols), cols), mar = c(4, 3, 3.2, 1), oma = c(2.2, 0, 2, 0))
  out <- vector("list", n)
  for (j in seq_len(n)) {
    v <- x$replicates[ok, j]
    v <- v[is.finite(v)]
    est <- x$estimate[[j]]
    out[[j]] <- data.frame(parameter = nm[j], replicate = v, stringsAsFactors = FALSE)
    if (length(v) < 2L) {
      graphics::plot.new()
      graphics::title(main = nm[j], sub = "fewer than 2 converged replicates")
      next
    }
    br <- grDevices::nclass.FD(v)
    h <- graphics::hist(v, breaks = if (is.finite(br) && br > 1) br else "Sturges", plot = FALSE)
    grid <- seq(min(h$breaks, est - 4 * hs[j], na.rm = TRUE),
                max(h$breaks, est + 4 * hs[j], na.rm = TRUE), length.out = 201)
    dens <- if (is.finite(hs[j]) && hs[j] > 0) stats::dnorm(grid, est, hs[j])
    graphics::plot(h, freq = FALSE, col = "grey85", border = "white", main = "",
                   xlab = "", ylab = "", xlim = range(grid),
                   ylim = c(0, max(h$density, dens, na.rm = TRUE) * 1.08), las = 1,
                   cex.axis = 0.8, ...)
    graphics::title(main = nm[j], line = 1.9, cex.main = 1)
    graphics::mtext(sprintf("bootstrap SE %s, Hessian SE %s", fmt(x$se[[j]], 3),
                            if (is.finite(hs[j])) fmt(hs[j], 3) else "none"),
                    side = 3, line = 0.6, cex = 0.7)
    if (!is.null(dens)) graphics::lines(grid, dens, col = "#0072B2", lwd = 2)
    graphics::abline(v = est, col = "grey20", lty = 2)
    graphics::abline(v = x$ci[j, ], col = "#D55E00", lty = 3, lwd = 1.5)
  }
  graphics::mtext(sprintf("%s bootstrap, %d converged of %d replicates",
                          if (x$type == "parametric") "Parametric" else "Non-parametric",
                          sum(ok), as.integer(x$R)),
                  side = 3, outer = TRUE, line = 0.5, font = 2)
  graphics::par(fig = c(0, 1, 0, 1), oma = c(0, 0, 0, 0), mar = c(0, 0, 0, 0), new = TRUE)
  graphics::plot.new()
  graphics::legend("bottom", horiz = TRUE, bty = "n", cex = 0.8,
                   fill = c("grey85", NA, NA, NA), border = c("white", NA, NA, NA),
                   lty = c(NA, 1, 2, 3), lwd = c(NA, 2, 1, 1.5),
                   col = c(NA, "#0072B2", "grey20", "#D55E00"),
                   legend = c("replicates", "normal, Hessian SE", "estimate",
                              "95% percentile interval"))
  invisible(do.call(rbind, out))
}

#' @export
plot.hesscheck_coverage <- function(x, ...) {
  validate_coverage(x)
  iv <- x$intervals
  if (!is.data.frame(iv) || !nrow(iv)) {
    tab <- x$table
    iv <- data.frame(parameter = rownames(tab), interval = "wald", coverage = tab$coverage,
                     mc_error = tab$mc_error, used = x$used, stringsAsFactors = FALSE)
  }
  note <- x$table$note
  if (!is.character(note)) note <- rep("", nrow(x$table))
  names(note) <- rownames(x$table)
  kinds <- unique(iv$interval)
  nm <- unique(iv$parameter)
  pal <- c(wald = "#0072B2", profile = "#009E73", percentile = "#D55E00")
  col <- pal[iv$interval]
  col[is.na(col)] <- "grey30"
  # one row per parameter and interval, the parameters' rows together, the first on top
  gap <- 0.6
  pos <- (match(iv$parameter, nm) - 1) * (length(kinds) + gap) + match(iv$interval, kinds)
  y <- max(pos) + 1 - pos
  lev <- x$level
  used <- if (is.numeric(iv$used)) iv$used else rep(x$used, nrow(iv))
  lo <- pmax(iv$coverage - 2 * iv$mc_error, 0)
  hi <- pmin(iv$coverage + 2 * iv$mc_error, 1)
  # where a correct interval's coverage falls (2 Monte-Carlo SEs at the nominal level)
  k <- if (any(used > 0, na.rm = TRUE)) stats::median(used[used > 0 & !is.na(used)]) else 1
  band <- 2 * sqrt(lev * (1 - lev) / k)
  xr <- range(c(lo, hi, lev - band, min(lev + band, 1), 1), na.rm = TRUE)
  xr[1L] <- xr[1L] - 0.02 * diff(xr)
  op <- graphics::par(no.readonly = TRUE)
  on.exit(graphics::par(op))
  lab_w <- max(nchar(nm)) * graphics::par("cin")[1L] * 0.9 + 0.4
  graphics::par(mai = c(1.1, min(lab_w, 0.4 * graphics::par("din")[1L]), 0.8, 0.3))
  graphics::plot(NA, xlim = xr, ylim = c(0.5, max(y) + 0.5), yaxt = "n", las = 1,
                 xlab = "", ylab = "", cex.axis = 0.8, ...)
  graphics::title(main = sprintf("Coverage of %s%% intervals over %d simulated data sets",
                                 fmt(100 * lev, 4), as.integer(x$R)), line = 2,
                  cex.main = 1.05)
  graphics::mtext("error bars: 2 Monte-Carlo SEs; grey band: nominal +- 2 Monte-Carlo SEs, where a correct interval's coverage falls",
                  side = 3, line = 0.6, cex = 0.72)
  graphics::rect(lev - band, 0, min(lev + band, 1), max(y) + 1, col = "grey90", border = NA)
  graphics::abline(v = lev, lty = 2)
  centre <- tapply(y, factor(iv$parameter, nm), mean)
  graphics::axis(2, at = centre, labels = nm, las = 1, tick = FALSE, cex.axis = 0.9)
  ok <- is.finite(iv$coverage)
  if (any(ok)) {
    bar <- ok & hi - lo > 0
    if (any(bar)) {
      graphics::arrows(lo[bar], y[bar], hi[bar], y[bar], angle = 90, code = 3,
                       length = 0.04, col = col[bar], lwd = 1.5)
    }
    graphics::points(iv$coverage[ok], y[ok], pch = 19, col = col[ok], cex = 1.2)
  }
  if (any(!ok)) {
    why <- note[iv$parameter[!ok]]
    why[is.na(why) | !nzchar(why)] <- "no interval could be computed"
    txt <- paste("NA:", why)
    w <- graphics::strwidth(txt, cex = 0.72) / 2 * 1.06
    h <- graphics::strheight(txt, cex = 0.72)
    graphics::rect(lev - w, y[!ok] - h, lev + w, y[!ok] + h, col = "white", border = NA)
    graphics::text(lev, y[!ok], txt, cex = 0.72, col = col[!ok])
  }
  graphics::mtext("coverage", side = 1, line = 2.2, cex = 0.8)
  legend_below(mean(xr), 3.2, pch = 19, col = pal[kinds],
               legend = c(wald = "Wald", profile = "profile likelihood",
                          percentile = "bootstrap percentile")[kinds])
  invisible(cbind(iv, y = y))
}
