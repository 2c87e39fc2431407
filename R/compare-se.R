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
  check_se_parts(x)
  check_flag(numderiv, "numderiv")
  if (is.null(x$vcov)) {
    hc_abort("not_positive_definite", sprintf(
      "The Hessian at this estimate is not positive definite (the point is %s), so there are no Hessian-based standard errors to compare. Fix the fit first: see print(x).",
      verdict_noun[[x$verdict]]
    ))
  }
  if (!is.null(fn_obs)) fn_obs <- check_function(fn_obs, "fn_obs")
  if (inherits(bootstrap, "hesscheck_boot")) bootstrap <- list(bootstrap)
  if (!is.null(bootstrap) && !all(vapply(bootstrap, inherits, TRUE, "hesscheck_boot"))) {
    hc_abort("bad_bootstrap", "`bootstrap` must be a bootstrap_se() result or a list of them.")
  }
  for (b in bootstrap) {
    validate_boot(b)
    if (!identical(names(b$estimate), names(x$par))) {
      hc_abort("bad_bootstrap", "`bootstrap` is for other parameters than `x`: give bootstrap_se() results of this fit.")
    }
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
  if (!is.finite(cond)) cond <- Inf
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
  f0 <- catch_user(bind_dots(fn_obs, pr$dots)(par),
                   function(e) abort_fn_failed("fn_obs", par, e))
  if (!is.numeric(f0) || length(f0) < 1L || !all(is.finite(f0))) {
    hc_abort("bad_fn_value", sprintf(
      "`fn_obs` must return a finite numeric vector (one value per observation), but returned %s.",
      describe_value(f0)
    ))
  }
  f0 <- as.double(f0)
  dc <- dots_call(fn_obs, pr$dots, unname(par) + 0)
  call <- dc$call
  handler <- function(id, p, what) {
    hc_abort("bad_fn_value", sprintf(
      "`fn_obs` must return %d finite values near par = %s; it did not at %s.",
      length(f0), format_par(par), format_par(p)
    ))
  }
  where <- integer(1L)
  tryCatch(
    .Call(hc_jacobian, call, dc$env, unname(par), unname(step), pr$lower, pr$upper,
          f0, handler, where),
    error = function(e) {
      rethrow_user(e, where, "fn_obs", stats::setNames(call[[2L]], names(par)))
    }
  )
}

# The parts of a check_fit() result compare_se() reads, checked, so that a changed or
# corrupted object is a classed error rather than a failure deep inside.
check_se_parts <- function(x) {
  n <- length(x$par)
  h <- x$hessian
  e <- x$eigen
  ok <- is.data.frame(x$table) && is.numeric(x$table$se) && length(x$table$se) == n &&
    is.numeric(h) && identical(dim(h), c(n, n)) &&
    is.numeric(attr(h, "error")) && identical(dim(attr(h, "error")), c(n, n)) &&
    is.numeric(attr(h, "step")) && length(attr(h, "step")) == n &&
    is.list(e) && is.numeric(e$values) && length(e$values) >= 1L &&
    is.numeric(x$at_bound) && length(x$at_bound) == n && !anyNA(x$at_bound) &&
    (is.null(x$vcov) || is.numeric(x$vcov) && identical(dim(x$vcov), c(n, n))) &&
    (is.null(x$fit_hessian) || is.list(x$fit_hessian) && (is.null(x$fit_hessian$matrix) ||
       is.numeric(x$fit_hessian$matrix) && identical(dim(x$fit_hessian$matrix), c(n, n)))) &&
    is.character(x$verdict) && length(x$verdict) == 1L && x$verdict %in% names(verdict_text)
  if (!ok) {
    hc_abort("bad_object", paste(
      "`x` is not a valid check_fit() result: its table, Hessian, eigenvalues, bounds or",
      "verdict were changed or lost. Run check_fit() again."
    ))
  }
  invisible(x)
}
