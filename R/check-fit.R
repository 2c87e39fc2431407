#' Diagnose an optimiser's result: can its Hessian-based standard errors be trusted?
#'
#' Computes an accurate Hessian and gradient at the estimate with [hessian_fd()], then
#' classifies the point (in C, from a LAPACK eigen-decomposition of the Hessian scaled to
#' unit diagonal) and reports what it finds in words that name the parameters involved:
#' a saddle and the direction along which `fn` decreases, a maximum (a log-likelihood
#' maximised without `fnscale = -1`), flat directions (parameters that are not separately
#' identified), an estimate that is not stationary (measured in standard errors), a
#' parameter on a bound, ill-conditioning, badly scaled parameters and signs of
#' separation. Standard errors are given only where they mean something.
#'
#' @section Thresholds:
#' All thresholds are scale-free. The Hessian `H` is scaled to `D^-1/2 H D^-1/2`, `D` its
#' diagonal, so that its eigenvalues do not depend on the units of the parameters; each
#' eigenvalue's uncertainty is `|v|' E |v|` for its eigenvector `v` and the scaled error
#' matrix `E` of the Hessian. An eigenvalue is negative only if it is below minus its
#' uncertainty, and zero if its size is within its uncertainty or below
#' `tol_zero` times the largest. The estimate is not stationary if the Newton step
#' `-solve(H, g)` exceeds `tol_step` standard errors in some parameter (and three times
#' its own uncertainty).
#'
#' @param fit The optimiser's result: from [stats::optim()], [stats::nlminb()] or
#'   [stats::nlm()], or a plain numeric vector of estimates. Parameter names come from
#'   the fit, else `p1`, `p2`, ....
#' @param fn The objective the optimiser was given, called as `fn(par, ...)`.
#' @param ... Further arguments passed to `fn` and `gr`, as [stats::optim()] does.
#' @param gr Optional gradient of `fn`; the Hessian then comes from its differences.
#' @param lower,upper Bounds used in the fit (length 1 or one per parameter); `NULL`
#'   means none.
#' @param fnscale As in [stats::optim()]'s `control`: a negative value means `fn` was
#'   maximised (a log-likelihood), and the check works on `-fn`. Only its sign is used.
#' @param control A list of settings:
#'   * `refine` (`FALSE`): take safeguarded Newton steps with the accurate Hessian until
#'     the estimate is stationary, and report how far it moved;
#'   * `refine_maxit` (`10`): at most this many Newton steps;
#'   * `escape` (`TRUE`): at a saddle, search along each direction of negative curvature
#'     for a lower value of `fn` and return a restart point;
#'   * `level` (`0.95`): confidence level of the Wald intervals;
#'   * `tol_zero` (`1e-8`): eigenvalues below this fraction of the largest are zero;
#'   * `tol_ill` (`1e8`): condition number (of the scaled Hessian) above which it is
#'     called ill-conditioned;
#'   * `tol_step` (`0.05`): Newton step, in standard errors, above which the estimate
#'     is not stationary;
#'   * `tol_bound` (`1e-3`): a parameter closer than this to a bound, in units of
#'     `1 / sqrt(H[i, i])`, is on it;
#'   * `hessian`: a list of `control` settings passed to [hessian_fd()].
#' @return An object of class `"hesscheck"`, a list with
#'   * `verdict`: the most serious finding's type: one of `"maximum"`, `"saddle"`,
#'     `"singular"`, `"not_stationary"`, `"at_bound"`, `"ill_conditioned"`, `"minimum"`;
#'   * `findings`: a data frame with columns `type`, `severity` (`"error"`, `"warning"`,
#'     `"note"`), `parameters` (comma-separated names) and `message`;
#'   * `table`: a data frame with one row per parameter: `estimate`, `se`, `z`, `lower`,
#'     `upper` (Wald interval) and `status` (why the SE is `NA`, where it is);
#'   * `par`: the estimates (after refinement, if asked for); `value`: `fn` there;
#'   * `gradient`, `gradient_error`: the gradient of the function checked (`fn` times the
#'     sign of `fnscale`) and its error estimate;
#'   * `hessian`: the [hessian_fd()] result for the function checked;
#'   * `vcov`: the inverse Hessian of the free parameters where it is positive definite,
#'     else `NULL`;
#'   * `eigen`: a list with `values` (of the scaled Hessian of the free parameters,
#'     ascending), `vectors`, `uncertainty` and `sign` (`-1`, `0`, `1`);
#'   * `newton`: the Newton step `-solve(H, g)` and its size in standard errors (`z`),
#'     with `scaled_gradient`, lme4's `max(abs(solve(chol(H), g)))`;
#'   * `at_bound`: per parameter, `-1` / `1` on the lower / upper bound, else `0`;
#'   * `escape`: at a saddle, `par` (a restart point), `value`, `decrease` and
#'     `direction`; else `NULL`;
#'   * `refine`: when `refine = TRUE`, the starting point, the steps taken and the
#'     distance moved in standard errors;
#'   * `fit_hessian`: when the fit has a Hessian, the comparison with it: `difference`
#'     and `error` (largest scaled difference from hesscheck's Hessian, and hesscheck's
#'     largest scaled error estimate), `se_ratio` (its standard errors over hesscheck's)
#'     and `matrix` (for `optim()` fits, times the sign of `fnscale`); the comparisons
#'     are `NA` when no parameter is free or its free block is not finite;
#'   * `optimizer`, `convergence`, `fnscale`, `evaluations` (calls of `fn` and `gr`);
#'   * `problem`: `fn`, `gr`, the `...` arguments, bounds and `fnscale`, kept for
#'     [compare_se()], [bootstrap_se()] and [coverage_check()].
#' @seealso [hessian_fd()] for the Hessian alone.
#' @examples
#' # A two-component normal mixture started with equal means: optim() "converges"
#' # (code 0) to a saddle point.
#' set.seed(1)
#' y <- c(rnorm(100, -2), rnorm(100, 2))
#' nll <- function(p, y) -sum(log(0.5 * dnorm(y, p[1]) + 0.5 * dnorm(y, p[2])))
#' fit <- optim(c(mu1 = 0.1, mu2 = 0.1), nll, y = y, method = "BFGS")
#' fit$convergence
#' x <- check_fit(fit, nll, y = y)
#' x
#' x$escape$par
#'
#' # A log-likelihood maximised with fnscale = -1:
#' ll <- function(p, y) sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
#' fit <- optim(c(mu = 0, log_sd = 0), ll, y = y, control = list(fnscale = -1))
#' check_fit(fit, ll, y = y, fnscale = -1)
#' @export
check_fit <- function(fit, ...) {
  if (is_tmb_adfun(fit)) return(check_fit_tmb(fit, ...))
  check_fit_supported(fit)
  UseMethod("check_fit")
}

#' @rdname check_fit
#' @export
check_fit.default <- function(fit, fn, ..., gr = NULL, lower = NULL, upper = NULL, fnscale = 1,
                              control = list()) {
  fn <- check_function(fn, "fn")
  if (!is.null(gr)) gr <- check_function(gr, "gr")
  info <- fit_info(fit)
  par <- info$par
  n <- length(par)
  if (!is.numeric(fnscale) || length(fnscale) != 1L || !is.finite(fnscale) ||
      fnscale == 0) {
    hc_abort("bad_fnscale", paste(
      "`fnscale` must be a single non-zero number, as in optim(): 1 if `fn` was",
      "minimised, -1 if it was maximised."
    ))
  }
  sgn <- if (fnscale < 0) -1 else 1
  ctrl <- check_control(control, list(
    refine = FALSE, refine_maxit = 10L, escape = TRUE, level = 0.95, tol_zero = 1e-8,
    tol_ill = 1e8, tol_step = 0.05, tol_bound = 1e-3, hessian = list()
  ))
  for (nm in c("refine", "escape")) {
    if (!is.logical(ctrl[[nm]]) || length(ctrl[[nm]]) != 1L || is.na(ctrl[[nm]])) {
      hc_abort("bad_control", sprintf("`control$%s` must be TRUE or FALSE.", nm))
    }
  }
  ctrl$refine_maxit <- check_number(ctrl$refine_maxit, "control$refine_maxit", 1,
                                    null_ok = FALSE, integer = TRUE)
  ctrl$level <- check_number(ctrl$level, "control$level", 0, null_ok = FALSE)
  if (ctrl$level >= 1) hc_abort("bad_control", "`control$level` must be below 1.")
  for (nm in c("tol_zero", "tol_ill", "tol_step", "tol_bound")) {
    ctrl[[nm]] <- check_number(ctrl[[nm]], paste0("control$", nm), 0, null_ok = FALSE)
  }
  if (!is.list(ctrl$hessian)) {
    hc_abort("bad_control", "`control$hessian` must be a list of hessian_fd() settings.")
  }
  bounds <- check_bounds(if (is.null(lower)) -Inf else lower,
                         if (is.null(upper)) Inf else upper, par)
  if (!is.null(info$hessian) && (!is.numeric(info$hessian) ||
                                  !identical(dim(info$hessian), c(n, n)))) {
    hc_abort("bad_fit", sprintf(
      "`fit$hessian` is not a numeric %d x %d matrix (one row per parameter in the fit).", n, n
    ))
  }

  # The function checked: fn, or -fn when it was maximised.
  f <- if (sgn < 0) function(p, ...) -fn(p, ...) else fn
  g <- if (!is.null(gr) && sgn < 0) function(p, ...) -gr(p, ...) else gr
  evaluate <- function(p) {
    h <- hessian_fd(f, p, ..., gr = g, lower = bounds$lower, upper = bounds$upper,
                    control = ctrl$hessian)
    cl <- .Call(hc_classify, as.matrix(h), attr(h, "error"), attr(h, "gradient"),
                attr(h, "gradient_error"), unname(p), bounds$lower, bounds$upper,
                ctrl[c("tol_zero", "tol_ill", "tol_step", "tol_bound")])
    list(h = h, cl = cl, par = p)
  }
  evals <- c(fn = 0, gr = 0)
  state <- evaluate(par)
  evals <- evals + attr(state$h, "evaluations")

  refine <- NULL
  if (ctrl$refine) {
    r <- refine_newton(state, evaluate, f, ..., bounds = bounds, ctrl = ctrl)
    state <- r$state
    evals <- evals + r$evaluations
    refine <- r$refine
  }

  value <- attr(state$h, "value")
  escape <- NULL
  if (ctrl$escape && state$cl$flags[["saddle"]]) {
    escape <- saddle_escape(state, f, ..., bounds = bounds, value = value)
    evals[["fn"]] <- evals[["fn"]] + escape$evaluations
    escape$evaluations <- NULL
    if (sgn < 0) escape$value <- -escape$value
  }
  x <- new_hesscheck(state, info, value = sgn * value, sgn = sgn, ctrl = ctrl,
                     bounds = bounds, escape = escape, refine = refine, evals = evals)
  # What compare_se(), bootstrap_se() and coverage_check() need to recompute.
  x$problem <- list(fn = fn, gr = gr, dots = list(...), lower = bounds$lower,
                    upper = bounds$upper, fnscale = fnscale)
  x
}

# Parameters and what the optimiser said, from the result of optim(), nlminb(), nlm() or
# a plain vector.
fit_info <- function(fit) {
  if (is.numeric(fit) && is.null(dim(fit)) && !is.object(fit)) {
    names(fit) <- unique_names(names(fit), length(fit))
    return(list(par = check_par(fit, "fit"), optimizer = "none", convergence = NA,
                message = NULL, hessian = NULL))
  }
  if (!is.list(fit)) {
    hc_abort("bad_fit", sprintf(
      "`fit` must be the result of optim(), nlminb() or nlm(), or a numeric vector of estimates, not %s.",
      describe_value(fit)
    ))
  }
  if (!is.null(fit$estimate) && !is.null(fit$minimum) && !is.null(fit$code)) {
    par <- fit$estimate
    optimizer <- "nlm"
    conv <- fit$code
    if (!is.numeric(fit$code) || length(fit$code) != 1L || is.na(fit$code)) {
      hc_abort("bad_fit", sprintf(
        "`fit$code` must be nlm()'s single convergence code, not %s.", describe_value(fit$code)
      ))
    }
    msg <- switch(as.character(fit$code),
      "1" = "relative gradient is close to zero",
      "2" = "successive iterates within tolerance",
      "3" = "last global step failed to locate a point lower than estimate",
      "4" = "iteration limit exceeded",
      "5" = "maximum step size exceeded five consecutive times",
      NULL
    )
    # nlm's codes 1 and 2 mean convergence.
    conv <- if (conv %in% 1:2) 0L else conv
  } else if (!is.null(fit$par)) {
    par <- fit$par
    optimizer <- if (!is.null(fit$objective) && !is.null(fit$iterations)) "nlminb" else "optim"
    conv <- if (is.null(fit$convergence)) NA else fit$convergence
    msg <- fit$message
    if (optimizer == "optim" && is.null(msg) && identical(conv, 1L)) {
      msg <- "iteration limit maxit reached"
    }
  } else {
    hc_abort("bad_fit", paste(
      "`fit` has no parameter estimates: expected `fit$par` (optim(), nlminb())",
      "or `fit$estimate` (nlm())."
    ))
  }
  if (is.numeric(par)) names(par) <- unique_names(names(par), length(par))
  par <- check_par(par, if (optimizer == "nlm") "fit$estimate" else "fit$par")
  list(par = par, optimizer = optimizer, convergence = conv, message = msg,
       hessian = fit$hessian)
}

# Safeguarded Newton: step -solve(H, g) from the accurate Hessian, halved until fn does
# not increase beyond its noise, kept inside the bounds; stop when stationary.
refine_newton <- function(state, evaluate, f, ..., bounds, ctrl) {
  start <- state$par
  evals <- c(fn = 0, gr = 0)
  steps <- 0L
  status <- "stationary"
  for (it in seq_len(ctrl$refine_maxit)) {
    cl <- state$cl
    if (is.null(cl$cov)) {
      status <- "the Hessian is not positive definite"
      break
    }
    if (refined_enough(cl)) break
    free <- cl$at_bound == 0L
    f0 <- attr(state$h, "value")   # fn(par), already evaluated by hessian_fd()
    noise <- attr(state$h, "noise")
    t <- 1
    accepted <- FALSE
    for (k in 1:20) {
      p <- state$par
      p[free] <- p[free] + t * cl$newton
      p <- pmin(pmax(p, bounds$lower), bounds$upper)
      f1 <- catch_user(f(p, ...), function(e) NA_real_)
      evals[["fn"]] <- evals[["fn"]] + 1
      if (is.numeric(f1) && length(f1) == 1L && is.finite(f1) &&
          f1 <= f0 + 4 * max(noise, 0)) {
        accepted <- TRUE
        break
      }
      t <- t / 2
    }
    if (!accepted) {
      status <- "no Newton step lowered fn"
      break
    }
    state <- evaluate(p)
    evals <- evals + attr(state$h, "evaluations")
    steps <- steps + 1L
  }
  if (steps == ctrl$refine_maxit && !is.null(state$cl$cov) && !refined_enough(state$cl)) {
    status <- "iteration limit reached"
  }
  moved <- state$par - start
  moved_se <- stats::setNames(rep(NA_real_, length(moved)), names(moved))
  if (!is.null(state$cl$cov)) {
    fr <- state$cl$at_bound == 0L
    moved_se[fr] <- moved[fr] / sqrt(diag(state$cl$cov))
  }
  list(state = state, evaluations = evals,
       refine = list(start = start, steps = steps, moved = moved, moved_se = moved_se,
                     status = status))
}

# Stationary as far as can be told: the Newton step is below 1e-6 standard errors, or
# within three times its own uncertainty.
refined_enough <- function(cl) {
  all(abs(cl$newton_z) <= pmax(1e-6, 3 * cl$newton_error))
}

# At a saddle: fn along each direction of negative curvature, both ways, at distances
# 1/4, 1/2, 1, ... in the scaled coordinates while fn decreases (where a unit step raises a quadratic fn by about
# 1/2 per unit eigenvalue, one standard error for a negative log-likelihood).
saddle_escape <- function(state, f, ..., bounds, value) {
  cl <- state$cl
  par <- state$par
  free <- which(cl$at_bound == 0L)
  neg <- which(cl$sign < 0L)
  best <- list(value = value, par = par, direction = NULL, t = 0)
  count <- 0
  for (q in neg) {
    u <- cl$vectors[, q] / cl$scale
    for (s in c(1, -1)) {
      # Double the distance from 1/4 while fn keeps decreasing (at most 2^12).
      last <- value
      for (t in 0.25 * 2^(0:14)) {
        p <- par
        p[free] <- p[free] + s * t * u
        if (any(p < bounds$lower | p > bounds$upper)) break
        v <- catch_user(f(p, ...), function(e) NA_real_)
        count <- count + 1
        if (!is.numeric(v) || length(v) != 1L || !is.finite(v) || v >= last) break
        last <- v
        if (v < best$value) {
          d <- stats::setNames(numeric(length(par)), names(par))
          d[free] <- s * u
          best <- list(value = v, par = p, direction = d, t = t)
        }
      }
    }
  }
  list(par = best$par, value = best$value, decrease = value - best$value,
       direction = best$direction, distance = best$t, evaluations = count)
}
