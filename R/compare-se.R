#' Standard errors side by side: hesscheck, optim, numDeriv, sandwich, bootstrap
#'
#' Computes the standard errors of the same fit from every source a user might reach
#' for, and shows where they agree:
#' * `hesscheck`: the inverse of the accurate Hessian from [check_fit()];
#' * `optim`: from `fit$hessian` when the fit has one (`optim(hessian = TRUE)`, `nlm`),
#'   else [stats::optimHess()] at the estimate with optim's defaults (`ndeps = 1e-3`),
#'   which is what `hessian = TRUE` would have given;
#' * `numDeriv`: [numDeriv::hessian()] (Richardson, steps relative to `|par|`), when
#'   numDeriv is installed;
#' * `sandwich`: the robust (Huber-White, HC0) covariance `H^-1 S'S H^-1` when `fn_obs`,
#'   the per-observation contributions to `fn`, is given; the score matrix `S` is
#'   computed in C by fourth-order differences;
#' * `bootstrap` / `parametric`: from [bootstrap_se()] results passed in `bootstrap`.
#'
#' A source is flagged where it differs from the hesscheck SE by more than its expected
#' error: for the Hessian-based sources, three times hesscheck's own error (from the
#' Hessian's error estimates) or 0.1%, whichever is larger; for the bootstrap, two
#' Monte-Carlo standard errors; for the sandwich, `2 sqrt(2 / nobs)` relative, its
#' sampling error under a correct model (a larger difference points at misspecification).
#'
#' @param x A `"hesscheck"` object from [check_fit()] whose Hessian is positive definite.
#' @param fn_obs Optional `function(par, ...)` returning the vector of per-observation
#'   contributions whose sum is `fn`.
#' @param bootstrap Optional [bootstrap_se()] result, or a list of them.
#' @param numderiv Include `numDeriv::hessian()` when numDeriv is installed.
#' @return An object of class `"hesscheck_se"`: a list with `table` (long format: one
#'   row per parameter and source, with `se`, `ratio` to the hesscheck SE, `expected`
#'   relative error, `flag`) and `se` (a parameters x sources matrix), and `notes`.
#' @examples
#' set.seed(1)
#' y <- rnorm(40, 10, 2)
#' nll <- function(p, y) -sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
#' obs <- function(p, y) -dnorm(y, p[1], exp(p[2]), log = TRUE)
#' fit <- optim(c(mu = 5, log_sd = 0), nll, y = y, method = "BFGS", hessian = TRUE)
#' x <- check_fit(fit, nll, y = y)
#' compare_se(x, fn_obs = obs)
#' @export
compare_se <- function(x, fn_obs = NULL, bootstrap = NULL, numderiv = TRUE) {
  check_hesscheck(x)
  if (is.null(x$vcov)) {
    hc_abort("not_positive_definite", sprintf(
      "The Hessian at this estimate is not positive definite (the point is %s), so there are no Hessian-based standard errors to compare. Fix the fit first: see print(x).",
      verdict_text[[x$verdict]]
    ))
  }
  if (!is.null(fn_obs)) fn_obs <- check_function(fn_obs, "fn_obs")
  if (inherits(bootstrap, "hesscheck_boot")) bootstrap <- list(bootstrap)
  if (!is.null(bootstrap) && !all(vapply(bootstrap, inherits, TRUE, "hesscheck_boot"))) {
    hc_abort("bad_bootstrap", "`bootstrap` must be a bootstrap_se() result or a list of them.")
  }
  pr <- x$problem
  par <- x$par
  nm <- names(par)
  free <- x$at_bound == 0L
  f <- checked_fn(pr)
  se_hc <- x$table$se
  names(se_hc) <- nm
  # hesscheck's own relative error: the scaled Hessian error times the conditioning.
  h <- x$hessian
  rel_h <- suppressWarnings(max(scaled_error(h, attr(h, "error"))[free, free], na.rm = TRUE))
  cond <- max(abs(x$eigen$values)) / min(abs(x$eigen$values))
  exp_hc <- max(0.5 * rel_h * cond, 1e-12)
  exp_num <- max(3 * exp_hc, 1e-3)

  se_from <- function(H) se_from_hessian(H, free)
  rows <- list()
  notes <- character()
  add <- function(source, se, expected) {
    ratio <- se / se_hc
    rows[[length(rows) + 1L]] <<- data.frame(
      parameter = nm, source = source, se = se, ratio = ratio, expected = expected,
      flag = !is.na(ratio) & abs(ratio - 1) > expected, stringsAsFactors = FALSE
    )
  }
  add("hesscheck", se_hc, exp_hc)

  if (!is.null(x$fit_hessian$matrix)) {
    add("optim", se_from(x$fit_hessian$matrix), exp_num)
    notes <- c(notes, sprintf("optim: from fit$hessian (%s).", x$optimizer))
  } else {
    Ho <- catch_user(stats::optimHess(par, f), function(e) e)
    if (inherits(Ho, "error")) {
      add("optim", rep(NA_real_, length(par)), exp_num)
      notes <- c(notes, paste("optim: optimHess() failed:", error_text(Ho)))
    } else {
      add("optim", se_from(Ho), exp_num)
      notes <- c(notes, "optim: optimHess() at the estimate with optim's defaults (ndeps = 1e-3).")
    }
  }
  if (numderiv) {
    if (requireNamespace("numDeriv", quietly = TRUE)) {
      Hn <- catch_user(numDeriv::hessian(f, par), function(e) e)
      if (inherits(Hn, "error") || !all(is.finite(Hn))) {
        add("numDeriv", rep(NA_real_, length(par)), exp_num)
        notes <- c(notes, "numDeriv: numDeriv::hessian() failed or was not finite.")
      } else {
        add("numDeriv", se_from(Hn), exp_num)
      }
    } else {
      notes <- c(notes, "numDeriv: not installed, skipped.")
    }
  }
  if (!is.null(fn_obs)) {
    S <- score_matrix(fn_obs, par, pr, attr(h, "step"))
    Hinv <- x$vcov[free, free, drop = FALSE]
    Sf <- S[, free, drop = FALSE]
    V <- Hinv %*% crossprod(Sf) %*% Hinv
    se_s <- rep(NA_real_, length(par))
    se_s[free] <- sqrt(diag(V))
    add("sandwich", se_s, 2 * sqrt(2 / nrow(S)))
    notes <- c(notes, sprintf("sandwich: HC0 from %d per-observation contributions.", nrow(S)))
  }
  for (b in bootstrap) {
    src <- if (b$type == "parametric") "parametric" else "bootstrap"
    se_b <- b$se[nm]
    add(src, se_b, 2 * b$mc_error[nm] / se_hc)
    notes <- c(notes, sprintf(
      "%s: %d replicates (%d not converged, %d failed); flagged beyond 2 Monte-Carlo SEs.",
      src, b$R, sum(b$status == "not_converged"), sum(b$status == "failed")
    ))
  }
  table <- do.call(rbind, rows)
  rownames(table) <- NULL
  wide <- tapply(table$se, list(factor(table$parameter, nm),
                                factor(table$source, unique(table$source))), identity)
  structure(list(table = table, se = wide, notes = notes), class = "hesscheck_se")
}

# Per-observation scores by differences of fn_obs, in C.
score_matrix <- function(fn_obs, par, pr, step) {
  f0 <- catch_user(do.call(fn_obs, c(list(par), pr$dots)),
                   function(e) abort_fn_failed("fn_obs", par, e))
  if (!is.numeric(f0) || length(f0) < 1L || !all(is.finite(f0))) {
    hc_abort("bad_fn_value", sprintf(
      "`fn_obs` must return a finite numeric vector (one value per observation), but returned %s.",
      describe_value(f0)
    ))
  }
  f0 <- as.double(f0)
  call <- as.call(c(list(fn_obs, unname(par) + 0), pr$dots))
  handler <- function(id, p, what) {
    hc_abort("bad_fn_value", sprintf(
      "`fn_obs` must return %d finite values near par = %s; it did not at %s.",
      length(f0), format_par(par), format_par(p)
    ))
  }
  where <- integer(1L)
  tryCatch(
    .Call(hc_jacobian, call, environment(), unname(par), unname(step), pr$lower, pr$upper,
          f0, handler, where),
    error = function(e) {
      rethrow_user(e, where, "fn_obs", stats::setNames(call[[2L]], names(par)))
    }
  )
}

#' @export
print.hesscheck_se <- function(x, digits = 3, ...) {
  t <- x$table
  srcs <- unique(t$source)
  nm <- unique(t$parameter)
  cat("Standard errors by source (ratio to hesscheck; * = beyond expected error)\n")
  cell <- function(p, s) {
    r <- t[t$parameter == p & t$source == s, ]
    if (is.na(r$se)) return("NA")
    if (s == "hesscheck") return(format(signif(r$se, digits)))
    sprintf("%s (%s)%s", format(signif(r$se, digits)), format(round(r$ratio, 3), nsmall = 3),
            if (r$flag) "*" else "")
  }
  m <- outer(nm, srcs, Vectorize(cell))
  dimnames(m) <- list(nm, srcs)
  print(noquote(m), right = TRUE)
  if (length(x$notes)) cat(paste0("  ", x$notes), sep = "\n")
  invisible(x)
}

#' @export
as.data.frame.hesscheck_se <- function(x, row.names = NULL, optional = FALSE, ...) {
  x$table
}

#' @export
plot.hesscheck_se <- function(x, ...) {
  t <- x$table
  srcs <- unique(t$source)
  nm <- unique(t$parameter)
  ok <- is.finite(t$ratio)
  yl <- range(c(1, t$ratio[ok] * (1 - t$expected[ok]), t$ratio[ok] * (1 + t$expected[ok])))
  pos <- match(t$parameter, nm) + (match(t$source, srcs) - (length(srcs) + 1) / 2) * 0.8 /
    length(srcs)
  cols <- grDevices::hcl.colors(length(srcs), "Dark 3")[match(t$source, srcs)]
  graphics::plot(pos[ok], t$ratio[ok], xlim = c(0.5, length(nm) + 0.5), ylim = yl,
                 log = "y", pch = ifelse(t$flag[ok], 17, 19), col = cols[ok], xaxt = "n",
                 xlab = "", ylab = "SE / hesscheck SE", main = "Standard errors by source",
                 ...)
  graphics::axis(1, at = seq_along(nm), labels = nm)
  graphics::abline(h = 1, lty = 2)
  bar <- ok & t$source %in% c("bootstrap", "parametric")
  if (any(bar)) {
    graphics::arrows(pos[bar], t$ratio[bar] - t$expected[bar], pos[bar],
                     t$ratio[bar] + t$expected[bar], angle = 90, code = 3, length = 0.03,
                     col = cols[bar])
  }
  graphics::legend("topright", legend = srcs, col = grDevices::hcl.colors(length(srcs), "Dark 3"),
                   pch = 19, bty = "n", cex = 0.8)
  invisible(t)
}
