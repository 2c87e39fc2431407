#' Profile-likelihood confidence intervals for a `check_fit()` result
#'
#' For each parameter, holds it at fixed values, re-optimises the others with
#' [stats::optim()] on the `fn` given to [check_fit()] (from the estimate, with warm starts
#' along the profile), and finds by root finding ([stats::uniroot()]) where twice the rise
#' of `fn` above its minimum crosses `qchisq(level, 1)`. The search starts from the
#' Hessian's quadratic guess (the Wald limit) and the nuisance parameters start from
#' their conditional optimum under the same quadratic model, so a nearly quadratic
#' profile costs a handful of inner fits per limit.
#'
#' @section What the profile can find:
#' * **A parameter on a bound** (as [check_fit()] reports it): the interval is one-sided,
#'   from the bound to where twice the rise of `fn` reaches `qchisq(2 * level - 1, 1)`.
#'   On a bound the likelihood-ratio statistic follows the chi-bar-square mixture
#'   `0.5 chi2(0) + 0.5 chi2(1)` (Self & Liang 1987), not `chi2(1)`, and this cutoff gives
#'   the nominal level under it. A limit that reaches a bound without crossing the cutoff
#'   is the bound.
#' * **A profile that flattens**: a limit is `-Inf` or `Inf` when the profile stays below
#'   the cutoff up to `control$max_se` standard errors from the estimate (or stops rising):
#'   the parameter is not identified in that direction. When `control$max_se` is less
#'   than 4 times the distance of the quadratic guess (`sqrt(qchisq(level, 1))` standard
#'   errors), a profile still below the cutoff there says nothing of the kind: that limit
#'   is `NA` with status `"search_limit"`, and a finding says to raise `control$max_se`.
#' * **A lower value of `fn`** than at the estimate (by more than `control$tol_newmin` in
#'   twice `fn`, a deviance): the fit was not at its minimum. That parameter's limits are
#'   `NA`, never a silently wrong interval; the result's `better` holds the point, and a
#'   finding says to refit from it.
#'
#' @section Parallel and reproducible:
#' The profiles of different parameters run in parallel with the backends of
#' [bootstrap_se()] (`parallel`, `ncpus`, `cl`; see its section "Parallel and
#' reproducible"). The profiling itself draws no random numbers; each parameter's task
#' gets its own L'Ecuyer-CMRG stream from a fixed seed, so that an `fn` that does draw
#' them gives the same intervals on every backend. A parameter whose worker process dies
#' gets `NA` limits and status `"failed"`; a limit that cannot be found says why (`fn`'s
#' own error). `"snow"` and `"future"` workers get `fn` and `gr` with the objects they use
#' (as in [bootstrap_se()]). The state of an lme4 or TMB fit is left as it was (see
#' [check_fit()]).
#'
#' @param x A `"hesscheck"` object from [check_fit()].
#' @param parm Parameters (names or indices) to profile; all by default.
#' @param level Confidence level.
#' @param parallel,ncpus,cl The backend, the number of workers and a cluster for
#'   `"snow"`, as in [bootstrap_se()].
#' @param control A list of settings:
#'   * `max_se` (`100`, above 0 and finite): how far, in standard errors, a limit is
#'     searched for before the profile is called flat;
#'   * `tol` (`1e-8`, above 0 and at most 0.1): tolerance of the root finding, in
#'     standard errors;
#'   * `tol_newmin` (`1e-3`, from 0): a fall of twice `fn` below its value at the estimate
#'     larger than this means the fit was not at the minimum (bbmle's `tol.newmin`);
#'   * `reltol` (`1e-12`, from 0 to 1e-6), `maxit` (`1000`): of the inner
#'     [stats::optim()] fits (a looser `reltol` leaves the profile above its minimum and
#'     the interval too narrow).
#'   Values outside these ranges are errors of class `hesscheck_error_bad_control`.
#' @return An object of class `"hesscheck_profile"`: a list with
#'   * `table`: a data frame with one row per profiled parameter: `estimate`, `lower`,
#'     `upper` (the profile interval), `wald_lower`, `wald_upper`, `asymmetry` (the
#'     distance from the estimate to the upper limit over that to the lower limit; 1 for
#'     a symmetric interval) and `status` (`"ok"`, `"one_sided"`, `"not_identified"`,
#'     `"search_limit"`, `"lower_fn"`, `"failed"`);
#'   * `profiles`: per parameter, a data frame of the points evaluated: `value` of the
#'     parameter, `z` (the signed root of twice the rise of `fn`), `deviance` (twice the
#'     rise) and `wald_z` (the same for the quadratic approximation);
#'   * `findings`: a data frame with `type`, `severity`, `parameters` and `message`;
#'   * `better`: `NULL`, or `par` and `value` of the lowest `fn` found while profiling when
#'     it is below the estimate's;
#'   * `level`, `cutoff` (`qchisq(level, 1)`), `cutoffs` (per parameter: the cutoff used,
#'     `qchisq(2 * level - 1, 1)` on a bound), `evaluations` (inner fits), `parallel`.
#' @seealso [confint.hesscheck()] with `method = "profile"`; [compare_se()], whose verdict
#'   uses these intervals.
#' @examples
#' set.seed(1)
#' y <- rexp(10, rate = 2)
#' nll <- function(p, y) -sum(dexp(y, p[1], log = TRUE))
#' x <- check_fit(c(rate = 1 / mean(y)), nll, y = y, lower = 1e-8)
#' pr <- profile_ci(x)
#' pr
#' plot(pr)
#' @export
profile_ci <- function(x, parm, level = 0.95,
                       parallel = c("no", "multicore", "snow", "future"), ncpus = 1L,
                       cl = NULL, control = list()) {
  check_hesscheck(x)
  check_level(level)
  parallel <- check_parallel(parallel)
  check_shippable(x$problem, parallel, "profile_ci()")
  ctrl <- check_profile_control(control)
  idx <- parm_index(names(x$par), parm)
  if (!usable_minimum(x$verdict)) {
    hc_abort("not_minimum", sprintf(
      "check_fit() found %s, so there is no minimum to profile from. Fix the fit first: see print(x).",
      verdict_text[[x$verdict]]
    ))
  }
  # the fit's own state (lme4, TMB) as it was, also after an error
  restore <- hold_state(x$problem)
  on.exit(restore(), add = TRUE)
  # snow and future workers get fn and gr with the objects they use
  pb <- profile_problem(ship_problem(x, parallel))
  task_one <- function(j) profile_one(pb, j, level, ctrl)
  run <- run_over_backend(task_one, idx, parallel, ncpus, cl)
  new_profile(pb, idx, run, level, parallel)
}

# ---- the verdicts a profile (and compare_se()'s verdict) can start from --------------

# A check_fit() verdict at which the point is a minimum (possibly with parameters on
# bounds) that can be profiled and whose standard errors mean something: any verdict
# that verdict.R's unusable_verdicts (the replicate functions' gate) does not exclude.
usable_minimum <- function(verdict) {
  is_verdict(verdict) && !verdict %in% unusable_verdicts
}

# Thresholds of the profile's search, with their meaning.
profile_thresholds <- list(
  # Twice fn, stopped rising: a profile whose signed root rose less than this over a
  # step that doubled the distance is flat.
  flat_rise = 1e-3,
  # A profile still below its cutoff where the search stops (control$max_se) is flat, not
  # identified in that direction, only if the search went at least this many times as
  # far as the quadratic (Wald) guess of the limit; else its limit lies beyond the
  # search: "search limit reached", NA.
  flat_reach = 4
)

# ---- argument helpers -----------------------------------------------------------------

# The indices of `parm` (names or indices) among the parameters named nm; all of them
# when it is missing or NULL.
parm_index <- function(nm, parm) {
  if (missing(parm) || is.null(parm)) return(seq_along(nm))
  if (is.numeric(parm) && !anyNA(parm) && all(parm == round(parm)) &&
      all(parm >= 1 & parm <= length(nm))) {
    return(as.integer(unique(parm)))
  }
  if (is.character(parm) && !anyNA(parm) && all(parm %in% nm)) return(unique(match(parm, nm)))
  hc_abort("bad_parm", sprintf("`parm` must name parameters among %s, or give their indices.",
                               paste(nm, collapse = ", ")))
}

# What profiling needs from a check_fit() result: the function checked (fn times the
# sign of fnscale) and its gradient with the `...` arguments bound, the estimate, the
# bounds, the Hessian and a scale (standard error) per parameter.
profile_problem <- function(x, dots = x$problem$dots, par = x$par, H = as.matrix(x$hessian),
                            at_bound = x$at_bound) {
  pr <- x$problem
  f <- checked_fn(pr, dots)
  g <- checked_gr(pr, dots)
  se <- se_from_hessian(H, at_bound == 0L)
  # Where there is no SE (a bound, a Hessian not positive definite): 1 / sqrt(H[j, j]),
  # else a step relative to the estimate; only a scale for the search.
  d <- diag(H)
  fallback <- ifelse(is.finite(d) & d > 0, 1 / sqrt(abs(d)), 1e-2 * pmax(abs(par), 1))
  se[!is.finite(se) | se <= 0] <- fallback[!is.finite(se) | se <= 0]
  f0 <- catch_user(f(par), function(e) abort_fn_failed("fn", par, e))
  f0 <- check_fn_value(f0, par)
  list(f = f, g = g, par = par, names = names(par), f0 = f0, H = H, se = se,
       lower = pr$lower, upper = pr$upper, at_bound = at_bound)
}

# ---- one parameter's profile ----------------------------------------------------------

# Profile parameter j on both sides: the limits, how each side ended, the points
# evaluated, and the lowest fn found.
profile_one <- function(pb, j, level, ctrl) {
  par <- pb$par
  nu <- profile_nuisance(pb, j)
  pts <- list(t = par[[j]], nuis = list(par[nu$others]), dev = 0)
  best <- list(value = pb$f0, par = par)
  fits <- 0L

  # Twice the rise of fn with theta_j = t and the others re-optimised, from the nuisance
  # of the nearest point evaluated, moved along the quadratic model's slope.
  deviance_at <- function(t) {
    k <- which.min(abs(pts$t - t))
    start <- pts$nuis[[k]] + nu$slope * (t - pts$t[k])
    if (nu$bounded) start <- pmin(pmax(start, nu$lower), nu$upper)
    p <- par
    p[j] <- t
    res <- refit_nuisance(pb, p, nu, start, ctrl)
    fits <<- fits + 1L
    v <- as.double(res$value)
    if (length(v) != 1L || !is.finite(v)) {
      stop(profile_stop("fn is not finite"))
    }
    p[nu$others] <- res$par
    if (v < best$value) best <<- list(value = v, par = p)
    dev <- 2 * (v - pb$f0)
    if (!is.finite(dev)) stop(profile_stop("fn is not finite"))
    if (dev < -ctrl$tol_newmin) stop(profile_stop("lower"))
    dev <- max(dev, 0)
    pts$t <<- c(pts$t, t)
    pts$nuis[[length(pts$nuis) + 1L]] <<- res$par
    pts$dev <<- c(pts$dev, dev)
    dev
  }

  target <- sqrt(stats::qchisq(cutoff_level(level, pb$at_bound[j]), 1))
  sides <- list()
  for (s in c(-1, 1)) {
    sides[[if (s < 0) "lower" else "upper"]] <- profile_side(deviance_at, pb, j, s, target,
                                                              ctrl)
  }
  o <- order(pts$t)
  list(j = j, lower = sides$lower, upper = sides$upper,
       points = data.frame(value = pts$t[o], deviance = pts$dev[o]),
       best = best, fits = fits)
}

# The nuisance parameters of parameter j's profile: list(others, their indices; lower,
# upper, bounded, their bounds; scale, their SEs; slope, of their optimum in theta_j
# under the quadratic model, theta_-j(t) = hat - H_-j,-j^-1 H_-j,j (t - hat_j)).
profile_nuisance <- function(pb, j) {
  others <- seq_len(length(pb$par))[-j]
  slope <- if (length(others)) {
    tryCatch(-solve(pb$H[others, others, drop = FALSE], pb$H[others, j]),
             error = function(e) numeric(length(others)))
  } else numeric()
  slope[!is.finite(slope)] <- 0
  lower <- pb$lower[others]
  upper <- pb$upper[others]
  list(others = others, slope = slope, lower = lower, upper = upper,
       bounded = any(is.finite(lower) | is.finite(upper)), scale = pb$se[others])
}

# fn at p with the nuisance parameters nu$others (from profile_nuisance()) re-optimised
# from `start` by optim(), within their bounds (L-BFGS-B) or not (BFGS); p's own value
# when there are none. Returns list(value, par), par the nuisance parameters.
refit_nuisance <- function(pb, p, nu, start, ctrl) {
  others <- nu$others
  if (!length(others)) return(list(value = pb$f(p), par = numeric()))
  fo <- function(q) {
    p[others] <- q
    pb$f(p)
  }
  go <- if (!is.null(pb$g)) function(q) {
    p[others] <- q
    pb$g(p)[others]
  }
  if (nu$bounded) {
    stats::optim(start, fo, go, method = "L-BFGS-B", lower = nu$lower, upper = nu$upper,
                 control = list(parscale = nu$scale, maxit = ctrl$maxit, factr = 10,
                                pgtol = 0))
  } else {
    stats::optim(start, fo, go, method = "BFGS",
                 control = list(parscale = nu$scale, maxit = ctrl$maxit,
                                reltol = ctrl$reltol))
  }
}

# One side (s = -1 lower, 1 upper) of parameter j's profile, where the signed root of
# deviance_at() reaches `target`: the estimate when it is on that bound, else
# search_limit()'s result, or a limit NA with status "lower_fn" or "failed" and why.
profile_side <- function(deviance_at, pb, j, s, target, ctrl) {
  hat <- pb$par[[j]]
  if (pb$at_bound[j] == s) return(list(limit = hat, status = "at_bound"))
  bound <- if (s < 0) pb$lower[j] else pb$upper[j]
  tryCatch(search_limit(deviance_at, hat, s, pb$se[j], target, bound, ctrl),
           profile_stop = function(e) {
             list(limit = NA_real_, status = if (e$reason == "lower") "lower_fn" else
               "failed", message = e$reason)
           },
           error = function(e) {
             if (is_time_limit(e)) stop(e)
             list(limit = NA_real_, status = "failed", message = error_text(e))
           })
}

profile_stop <- function(reason) {
  structure(class = c("profile_stop", "condition"),
            list(message = reason, call = NULL, reason = reason))
}

# One side (s = -1 or 1) of a profile: step out from the estimate, starting at the
# quadratic guess sqrt(cutoff) SEs, extrapolating the signed root z linearly (the
# secant), until z crosses the cutoff, the bound is reached or the profile is flat; then
# uniroot() on z within the bracket.
search_limit <- function(deviance_at, hat, s, se, target, bound, ctrl) {
  z_at <- function(t) sqrt(deviance_at(t))
  d_prev <- 0
  z_prev <- 0
  max_d <- ctrl$max_se
  d <- min(target, max_d)                  # in standard errors
  d_bound <- s * (bound - hat) / se        # distance to the bound, in SEs
  repeat {
    hit <- d >= d_bound
    if (hit) d <- d_bound
    t <- hat + s * d * se
    z <- try_z(z_at, t, hat, s, se, d_prev, d)
    if (!is.null(z$d)) {                   # fn failed or was not finite beyond d_prev
      d <- z$d
      t <- hat + s * d * se
      hit <- FALSE
    }
    z <- z$z
    if (z >= target) break
    if (hit) return(list(limit = bound, status = "bound"))
    reach <- profile_thresholds$flat_reach * target
    if ((d >= reach && z - z_prev < profile_thresholds$flat_rise) ||
        (d >= max_d && max_d >= reach)) {
      return(list(limit = s * Inf, status = "flat", reached = z, distance = d))
    }
    if (d >= max_d) {
      return(list(limit = NA_real_, status = "search_limit", reached = z, distance = d))
    }
    # Secant prediction of where z reaches the target, 10% beyond it so that the next
    # point brackets the root; at least 1.25 and at most 4 times the distance so far.
    slope <- (z - z_prev) / (d - d_prev)
    guess <- if (slope > 0) d + 1.1 * (target - z) / slope else 4 * d
    d_prev <- d
    z_prev <- z
    d <- min(max(guess, 1.25 * d), 4 * d, max_d)
  }
  # The root of z - target between d_prev and d (in SEs from the estimate). Brent's
  # method stays inside the bracket; should it run out of iterations (a noisy fn), its
  # last point is kept (uniroot()'s warning is not the user's concern).
  r <- suppressWarnings(stats::uniroot(function(u) z_at(hat + s * u * se) - target,
                                       c(d_prev, d), f.lower = z_prev - target,
                                       f.upper = z - target, tol = ctrl$tol,
                                       maxiter = 100L))
  list(limit = hat + s * r$root * se, status = "ok")
}

# z at t; when fn fails or is not finite there, halve the step back towards d_prev
# (up to 20 times) and return the distance that worked. When none did, the reason says
# why the last attempt failed (fn's own error message), not only that it did.
try_z <- function(z_at, t, hat, s, se, d_prev, d) {
  why <- NULL
  for (k in 0:20) {
    z <- tryCatch(z_at(t), profile_stop = function(e) {
      if (e$reason == "lower") stop(e)
      why <<- e$reason
      NULL
    }, error = function(e) {
      if (is_time_limit(e)) stop(e)
      why <<- error_text(e)
      NULL
    })
    if (!is.null(z)) return(list(z = z, d = if (k > 0L) d))
    d <- (d_prev + d) / 2
    t <- hat + s * d * se
  }
  stop(profile_stop(sprintf("fn failed or was not finite beyond %s standard errors (%s)",
                            fmt(d_prev, 3), why)))
}

# The level whose chi-square(1) quantile cuts twice the rise of fn: `level`, or on a
# bound 2 level - 1, for the chi-bar-square mixture 0.5 chi2(0) + 0.5 chi2(1).
cutoff_level <- function(level, at_bound) {
  if (at_bound != 0L) max(2 * level - 1, 0) else level
}

# ---- running the parameters on a backend ------------------------------------------------

# task(k) for each element of idx, on the replicate functions' backends, each with its
# own random-number stream from a fixed seed (the caller's state is restored).
run_over_backend <- function(task, idx, parallel, ncpus, cl) {
  ncpus <- check_backend(parallel, ncpus, cl)
  k <- length(idx)
  run <- run_on_backend(function(r) task(idx[r]), k, parallel, ncpus, cl, seed = 1L)
  res <- run$results
  valid <- function(o) is.list(o) && !is.null(o$j)
  for (r in seq_len(k)) {
    f <- run_failure(run, r, valid, "profile")
    if (!is.null(f)) {
      why <- f$message
      res[[r]] <- list(j = idx[r], lower = list(limit = NA_real_, status = "failed", message = why),
                       upper = list(limit = NA_real_, status = "failed", message = why),
                       points = data.frame(value = numeric(), deviance = numeric()),
                       best = NULL, fits = 0L)
    }
  }
  res
}

# ---- the result ---------------------------------------------------------------------------

new_profile <- function(pb, idx, res, level, parallel) {
  nm <- pb$names
  q <- stats::qnorm(1 - (1 - level) / 2)
  est <- pb$par[idx]
  se <- pb$se[idx]
  wald_se <- ifelse(pb$at_bound[idx] != 0L, NA_real_, se)
  lower <- vapply(res, function(r) r$lower$limit, 0)
  upper <- vapply(res, function(r) r$upper$limit, 0)
  st_lo <- vapply(res, function(r) r$lower$status, "")
  st_up <- vapply(res, function(r) r$upper$status, "")
  status <- ifelse(st_lo == "failed" | st_up == "failed", "failed",
            ifelse(st_lo == "lower_fn" | st_up == "lower_fn", "lower_fn",
            ifelse(st_lo == "search_limit" | st_up == "search_limit", "search_limit",
            ifelse(st_lo == "flat" | st_up == "flat", "not_identified",
            ifelse(st_lo == "at_bound" | st_up == "at_bound", "one_sided", "ok")))))
  asym <- (upper - est) / (est - lower)
  asym[!is.finite(asym) | status != "ok"] <- NA_real_
  table <- data.frame(estimate = est, lower = lower, upper = upper,
                      wald_lower = est - q * wald_se, wald_upper = est + q * wald_se,
                      asymmetry = asym, status = status, row.names = nm[idx],
                      stringsAsFactors = FALSE)
  profiles <- lapply(seq_along(res), function(k) {
    p <- res[[k]]$points
    j <- idx[k]
    data.frame(value = p$value, z = sign(p$value - pb$par[[j]]) * sqrt(p$deviance),
               deviance = p$deviance, wald_z = (p$value - pb$par[[j]]) / pb$se[j])
  })
  names(profiles) <- nm[idx]
  # The lowest fn found anywhere, when below the estimate's by more than the tolerance.
  better <- NULL
  for (r in res) {
    if (!is.null(r$best) && r$best$value < pb$f0 &&
        (is.null(better) || r$best$value < better$value)) better <- r$best
  }
  findings <- profile_findings(pb, res, table, better, level)
  if (!any(status == "lower_fn")) better <- NULL
  structure(list(table = table, profiles = profiles, findings = findings, better = better,
                 level = level, cutoff = stats::qchisq(level, 1),
                 cutoffs = stats::setNames(stats::qchisq(vapply(pb$at_bound[idx], cutoff_level,
                                                                0, level = level), 1), nm[idx]),
                 evaluations = sum(vapply(res, function(r) as.integer(r$fits), 0L)),
                 parallel = parallel),
            class = "hesscheck_profile")
}

# One finding per thing a reader must know: a fit that was not at the minimum, a
# direction that is not identified, a one-sided interval, a limit on a bound, a failure.
profile_findings <- function(pb, res, table, better, level) {
  rows <- list()
  add <- function(type, severity, parameter, message) {
    rows <<- c(rows, new_finding(type, severity, parameter, message))
  }
  nm <- rownames(table)
  lowered <- nm[table$status == "lower_fn"]
  if (length(lowered)) {
    add("lower_fn", "error", paste(lowered, collapse = ", "), sprintf(
      "not at the minimum: profiling %s found fn lower by %s (twice fn: %s) at %s; refit from there (x$better$par) and run check_fit() again. No interval is given for %s.",
      name_list(lowered), fmt(pb$f0 - better$value, 3), fmt(2 * (pb$f0 - better$value), 3),
      format_par(better$par), if (length(lowered) == 1L) "it" else "them"))
  }
  for (k in seq_along(res)) {
    r <- res[[k]]
    p <- nm[k]
    for (side in c("lower", "upper")) {
      sd <- r[[side]]
      if (sd$status == "flat") {
        add("not_identified", "warning", p, sprintf(
          "not identified in this direction: the profile of %s stays below the cutoff %s its estimate (the signed root reaches %s at %s standard errors); the %s limit is %s.",
          p, if (side == "lower") "below" else "above", fmt(sd$reached, 3),
          fmt(sd$distance, 3), side, if (side == "lower") "-Inf" else "Inf"))
      } else if (sd$status == "search_limit") {
        add("search_limit", "warning", p, sprintf(
          "search limit reached: the %s limit of %s lies beyond control$max_se = %s standard errors from its estimate, where the signed root (%s) is still below the cutoff %s; its limit is NA. To find it: profile_ci(x, control = list(max_se = %s)).",
          side, p, fmt(sd$distance, 4), fmt(sd$reached, 3),
          fmt(sqrt(stats::qchisq(cutoff_level(level, pb$at_bound[r$j]), 1)), 4),
          fmt(max(profile_defaults$max_se, 10 * sd$distance), 4)))
      } else if (sd$status == "bound") {
        add("bound", "note", p, sprintf(
          "the %s limit of %s is its bound (%s): the profile stays below the cutoff up to it.",
          side, p, fmt(sd$limit, 6)))
      } else if (sd$status == "failed") {
        add("failed", "warning", p, sprintf("the %s limit of %s could not be found: %s.",
                                            side, p, sd$message))
      }
    }
    if (table$status[k] == "one_sided") {
      add("one_sided", "note", p, sprintf(
        "%s is on its bound: the interval is one-sided, cut where twice the rise of fn reaches qchisq(%s, 1) = %s, since on a bound the likelihood-ratio statistic follows the chi-bar-square mixture 0.5 chi2(0) + 0.5 chi2(1) (Self & Liang 1987).",
        p, fmt(cutoff_level(level, 1L), 4), fmt(stats::qchisq(cutoff_level(level, 1L), 1), 4)))
    }
  }
  findings_frame(rows)
}
