# S3 methods for "hesscheck_profile" objects (profile_ci()), and confint() for check_fit()
# results with its three methods: Wald, profile and bootstrap percentile.

#' Methods for `profile_ci()` results
#'
#' `print()` shows the intervals (profile beside Wald), then one line per finding;
#' `as.data.frame()` the table; `plot()` the signed root of the likelihood-ratio
#' statistic against each parameter, with the Wald (quadratic) line beside it, so an
#' asymmetric profile shows at a glance.
#'
#' @param x A `"hesscheck_profile"` object from [profile_ci()].
#' @param digits Significant digits shown.
#' @param parm Parameters (names or indices) to plot; all by default.
#' @param ... Passed to [graphics::plot()] (`plot()`); unused otherwise.
#' @param row.names,optional Unused; for compatibility with [as.data.frame()].
#' @return `print()` returns `x` invisibly; `format()` a character vector of lines;
#'   `as.data.frame()` the table with a `parameter` column; `plot()` the list of profile
#'   data frames plotted, invisibly.
#' @name profile-methods
#' @examples
#' set.seed(1)
#' y <- rexp(10, rate = 2)
#' nll <- function(p, y) -sum(dexp(y, p[1], log = TRUE))
#' pr <- profile_ci(check_fit(c(rate = 1 / mean(y)), nll, y = y, lower = 1e-8))
#' as.data.frame(pr)
#' plot(pr)
NULL

#' @rdname profile-methods
#' @export
format.hesscheck_profile <- function(x, digits = 4, ...) {
  validate_profile(x)
  digits <- check_digits(digits)
  t <- x$table
  cells <- cbind(estimate = fmt(t$estimate, digits), lower = fmt(t$lower, digits),
                 upper = fmt(t$upper, digits), "Wald lower" = fmt(t$wald_lower, digits),
                 "Wald upper" = fmt(t$wald_upper, digits),
                 asymmetry = ifelse(is.na(t$asymmetry), "", fmt(t$asymmetry, 3)),
                 status = t$status)
  rownames(cells) <- rownames(t)
  f <- x$findings
  c(sprintf("Profile-likelihood %s%% intervals (asymmetry: distance to the upper limit / to the lower)",
            fmt(100 * x$level, 4)),
    table_lines(cells),
    if (nrow(f)) c("", "Findings:", paste0("  ", format(paste0("[", f$severity, "]")), " ",
                                           f$message)))
}

#' @rdname profile-methods
#' @export
print.hesscheck_profile <- function(x, digits = 4, ...) {
  validate_profile(x)
  cat(format(x, digits = digits), sep = "\n")
  invisible(x)
}

#' @rdname profile-methods
#' @export
as.data.frame.hesscheck_profile <- function(x, row.names = NULL, optional = FALSE, ...) {
  validate_profile(x)
  cbind(parameter = rownames(x$table), x$table, stringsAsFactors = FALSE)
}

#' @rdname profile-methods
#' @export
plot.hesscheck_profile <- function(x, parm, ...) {
  validate_profile(x)
  t <- x$table
  nm <- rownames(t)
  k <- parm_index(nm, parm)
  if (length(k) > 1L) {
    old <- graphics::par(mfrow = grDevices::n2mfrow(length(k)))
    on.exit(graphics::par(old), add = TRUE)
  }
  for (i in k) {
    cut <- sqrt(if (is.numeric(x$cutoffs) && length(x$cutoffs) == nrow(t) &&
                    is.finite(x$cutoffs[i])) x$cutoffs[i] else x$cutoff)
    p <- x$profiles[[i]]
    p <- p[is.finite(p$value) & is.finite(p$z), , drop = FALSE]
    est <- t$estimate[i]
    if (!nrow(p)) {
      graphics::plot.new()
      graphics::title(main = sprintf("%s: no profile points", nm[i]))
      next
    }
    xr <- range(c(p$value, est, t$lower[i], t$upper[i], t$wald_lower[i], t$wald_upper[i]),
                finite = TRUE)
    yr <- range(c(p$z, -cut, cut), finite = TRUE)
    graphics::plot(p$value, p$z, pch = 19, cex = 0.6, xlim = xr, ylim = yr,
                   xlab = nm[i], ylab = "signed root of the LR statistic",
                   main = sprintf(if (is.na(t$wald_lower[i])) "%s: profile (no Wald interval)" else
                     "%s: profile (solid) and Wald (dashed)", nm[i]), ...)
    # The profile between the points evaluated: a monotone cubic interpolant (the signed
    # root increases with the parameter; Fritsch & Carlson 1980), as drawn, not computed.
    u <- !duplicated(p$value)
    if (sum(u) >= 2L) {
      sf <- stats::splinefun(p$value[u], p$z[u], method = "monoH.FC")
      grid <- seq(min(p$value), max(p$value), length.out = 200L)
      graphics::lines(grid, sf(grid))
    }
    # The Wald line: z = (theta - estimate) / SE, through the estimate.
    # No Wald line for a parameter on a bound, which has no Wald interval.
    se <- (p$value - est) / p$wald_z
    se <- stats::median(se[is.finite(se) & se > 0])
    if (is.finite(se) && !is.na(t$wald_lower[i])) {
      graphics::abline(a = -est / se, b = 1 / se, lty = 2, col = "grey40")
    }
    graphics::abline(h = c(-cut, cut), lty = 3, col = "firebrick")
    lim <- c(t$lower[i], t$upper[i])
    graphics::abline(v = lim[is.finite(lim)], col = "steelblue")
    graphics::abline(v = est, lty = 3)
  }
  invisible(x$profiles[k])
}

#' Confidence intervals for a `check_fit()` result: Wald, profile or bootstrap
#'
#' `method = "wald"` gives the Wald intervals from the Hessian (`NA` wherever they are
#' not valid: a parameter on a bound, a Hessian that is not positive definite);
#' `"profile"` the profile-likelihood intervals of [profile_ci()] (which takes `...`:
#' `parallel`, `ncpus`, `cl`, `control`); `"bootstrap"` the percentile intervals of a
#' [bootstrap_se()] result given as `bootstrap = `, or computed with `...` passed to
#' [bootstrap_se()] (at least `data`).
#'
#' @param object A `"hesscheck"` object from [check_fit()].
#' @param parm Parameters (names or indices); all by default.
#' @param level Confidence level.
#' @param method `"wald"`, `"profile"` or `"bootstrap"`.
#' @param ... Passed to [profile_ci()] or [bootstrap_se()] (only their arguments: any
#'   other is an error of class `hesscheck_error_bad_argument`, as is any with
#'   `"wald"`); `bootstrap` for a result of [bootstrap_se()] already computed.
#' @return A matrix with one row per parameter and the lower and upper limits.
#' @examples
#' set.seed(1)
#' y <- rexp(10, rate = 2)
#' nll <- function(p, y) -sum(dexp(y, p[1], log = TRUE))
#' x <- check_fit(c(rate = 1 / mean(y)), nll, y = y, lower = 1e-8)
#' confint(x)
#' confint(x, method = "profile")
#' confint(x, method = "bootstrap", data = "y", R = 199, seed = 1)
#' @export
confint.hesscheck <- function(object, parm, level = object$level,
                              method = c("wald", "profile", "bootstrap"), ...) {
  validate_hesscheck(object)
  check_level(level)
  method <- check_choice(method, c("wald", "profile", "bootstrap"), "method")
  # `...` goes to profile_ci() or bootstrap_se(): only their arguments
  takes <- switch(method, wald = character(),
                  profile = setdiff(names(formals(profile_ci)), c("x", "parm", "level")),
                  bootstrap = c("bootstrap", setdiff(names(formals(bootstrap_se)), "x")))
  check_dots_names(list(...), takes, sprintf("confint(method = \"%s\")", method))
  nm <- names(object$par)
  idx <- parm_index(nm, parm)
  a <- (1 - level) / 2
  ci <- switch(method,
    wald = {
      tab <- object$table
      q <- stats::qnorm(1 - a)
      cbind(tab$estimate - q * tab$se, tab$estimate + q * tab$se)[idx, , drop = FALSE]
    },
    profile = {
      pr <- profile_ci(object, parm = idx, level = level, ...)
      as.matrix(pr$table[, c("lower", "upper")])
    },
    bootstrap = {
      args <- list(...)
      b <- args$bootstrap
      if (is.null(b)) {
        b <- do.call(bootstrap_se, c(list(object), args))
      } else if (!inherits(b, "hesscheck_boot")) {
        hc_abort("bad_bootstrap", "`bootstrap` must be a bootstrap_se() result of this fit.")
      }
      check_boot_of(b, nm, "object")
      ok <- b$status == "ok"
      t(apply(b$replicates[ok, idx, drop = FALSE], 2L, stats::quantile,
              probs = c(a, 1 - a), names = FALSE, na.rm = TRUE))
    }
  )
  dimnames(ci) <- list(nm[idx], paste(format(100 * c(a, 1 - a), trim = TRUE), "%"))
  ci
}
