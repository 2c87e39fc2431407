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
#' * `sandwich`: the robust (Huber-White, HC0) covariance `H^-1 S'S H^-1` from `fn_obs`,
#'   the per-observation contributions to `fn`: given here, given to [check_fit()], or
#'   built by its method for a fitted model (see "The sandwich for fitted models"); the
#'   score matrix `S` is computed in C by fourth-order differences;
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
#'   contributions whose sum is `fn`; by default `x$problem$fn_obs` (see "The sandwich
#'   for fitted models").
#' @section The sandwich for fitted models:
#' [check_fit()]'s methods record the contributions to `fn` where they are known, so
#' that `compare_se(check_fit(fit))` shows the sandwich with no further code:
#' * `glm`: per observation, the family's -log-likelihood terms with the dispersion held
#'   (for the canonical links, `sandwich::sandwich(fit)`, tested);
#' * `nls`: per observation, the Gaussian terms with sigma^2 held at RSS / n (sigma
#'   profiled) or as the parameter (`sigma = "included"`);
#' * `fitdist` (fitdistrplus) and `fitdistr` (MASS): per observation, `-log f(x)`
#'   (times the weights);
#' * `mle2` (bbmle) fitted with a formula, `y ~ dfun(...)`, without `parameters`:
#'   per observation, `-dfun(y, ..., log = TRUE)`;
#' * ML `lmer` fits and `glmmTMB` fits: per cluster of the top-level grouping factor
#'   (the one the others are nested in), the marginal -log-likelihood of its rows; the
#'   sandwich is then robust to correlation and heteroscedasticity within clusters;
#' * fits checked with `check_fit(fit, fn, fn_obs = )`: the contributions given.
#'
#' Not for stats4 `mle`, `maxLik`, `optimx`, TMB objects, REML `lmer` fits (checked in
#' theta only), `glmer` fits, mixed models with crossed grouping factors, nor `mle2`
#' fits written as a function: give `fn_obs` here for those.
#' @param bootstrap Optional [bootstrap_se()] result, or a list of them.
#' @param numderiv Include `numDeriv::hessian()` when numDeriv is installed.
#' @param profile `TRUE` to compute the profile-likelihood intervals with [profile_ci()]
#'   for the verdict, `FALSE` not to, or a [profile_ci()] result of this fit.
#' @section Which one to report:
#' The verdict, printed first, says in one line which standard error or interval to
#' report and why, from the evidence given:
#' * `"none"`: nothing is reliable yet, and what to fix first: [check_fit()]'s verdict is
#'   not a minimum, profiling found a lower `fn` (the fit had not converged), or more than
#'   10% of a bootstrap's replicates failed or did not converge;
#' * `"profile"`: a parameter is on a bound (a one-sided profile interval), or the
#'   profile interval is clearly asymmetric (one limit more than 1.25 times as far from
#'   the estimate as the other) or the bootstrap distribution is skewed (|skewness| above
#'   0.5 and three Monte-Carlo SEs): Wald intervals mislead there;
#' * `"sandwich"`: the sandwich and a non-parametric bootstrap agree with each other
#'   (their ratios to the Hessian SE within two standard errors of their difference) and,
#'   taken together (inverse-variance weighted), differ from the Hessian beyond two of
#'   their combined standard errors; or, without a bootstrap, the sandwich alone differs
#'   beyond its expected error: the model is probably misspecified (the
#'   information-matrix equality fails);
#' * `"bootstrap"`: a non-parametric bootstrap differs from the Hessian without a sandwich
#'   to confirm it (give `fn_obs`);
#' * `"hessian"`: every source agrees with the Hessian within its expected error.
#' A sandwich and a bootstrap that disagree with each other beyond their combined error,
#' one of them against the Hessian, conflict: `"none"`, with the advice to run
#' [coverage_check()].
#' @return An object of class `"hesscheck_se"`: a list with `table` (long format: one
#'   row per parameter and source, with `se`, `ratio` to the hesscheck SE, `expected`
#'   relative error, `flag`) and `se` (a parameters x sources matrix), `notes`,
#'   `verdict` (a list with `report`, one of `"hessian"`, `"sandwich"`, `"bootstrap"`,
#'   `"profile"`, `"none"`, `reason`, a sentence, and `parameters`, those it is about),
#'   `profile` (the [profile_ci()] result used, or `NULL`) and `skewness` (per bootstrap
#'   source, the skewness of the replicates).
#' @examples
#' set.seed(1)
#' y <- rnorm(40, 10, 2)
#' nll <- function(p, y) -sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
#' obs <- function(p, y) -dnorm(y, p[1], exp(p[2]), log = TRUE)
#' fit <- optim(c(mu = 5, log_sd = 0), nll, y = y, method = "BFGS", hessian = TRUE)
#' x <- check_fit(fit, nll, y = y)
#' compare_se(x, fn_obs = obs)
#' @export
compare_se <- function(x, fn_obs = NULL, bootstrap = NULL, numderiv = TRUE, profile = TRUE) {
  check_hesscheck(x)
  check_flag(numderiv, "numderiv")
  if (is.null(x$vcov)) {
    hc_abort("not_positive_definite", sprintf(
      "The Hessian at this estimate is not positive definite (the point is %s), so there are no Hessian-based standard errors to compare. Fix the fit first: see print(x).",
      verdict_noun[[x$verdict]]
    ))
  }
  obs <- se_contributions(x, fn_obs)
  bootstrap <- check_se_bootstrap(bootstrap, x)
  # the fit's own state (lme4, TMB) as it was, also after an error
  restore <- hold_state(x$problem)
  on.exit(restore(), add = TRUE)
  nm <- names(x$par)
  free <- x$at_bound == 0L
  se_hc <- x$table$se
  names(se_hc) <- nm
  exp_hc <- hesscheck_expected_error(x, free)
  hs <- hessian_se_sources(x, free, se_hc, max(3 * exp_hc, 1e-3), numderiv)
  sw <- sandwich_se_source(x, obs, free, se_hc)
  bs <- bootstrap_se_sources(bootstrap, se_hc)
  rows <- c(list(se_rows("hesscheck", se_hc, se_hc, exp_hc)), hs$rows, sw$rows, bs$rows)
  notes <- c(hs$notes, sw$notes, bs$notes)
  table <- do.call(rbind, rows)
  rownames(table) <- NULL
  wide <- tapply(table$se, list(factor(table$parameter, nm),
                                factor(table$source, unique(table$source))), identity)
  prof <- se_profile(x, profile)
  notes <- c(notes, prof$note)
  skew <- lapply(bootstrap, boot_skewness)
  names(skew) <- vapply(bootstrap, function(b) {
    if (b$type == "parametric") "parametric" else "bootstrap"
  }, "")
  verdict <- report_verdict(x, table, bootstrap, prof$profile, skew)
  structure(list(table = table, se = wide, notes = notes, verdict = verdict,
                 profile = prof$profile, skewness = skew), class = "hesscheck_se")
}

# The per-observation contributions for the sandwich: `fn_obs` given (checked), else
# those check_fit()'s method recorded in x$problem (`recorded`), else none; returns
# list(fn_obs, recorded, unit), `unit` naming what they are contributions of.
se_contributions <- function(x, fn_obs) {
  unit <- "observations"
  recorded <- is.null(fn_obs) && !is.null(x$problem$fn_obs)
  if (!is.null(fn_obs)) {
    fn_obs <- check_function(fn_obs, "fn_obs")
  } else if (recorded) {
    fn_obs <- x$problem$fn_obs
    unit <- x$problem$obs_unit
  }
  list(fn_obs = fn_obs, recorded = recorded, unit = unit)
}

# compare_se()'s `bootstrap`, checked against x's parameters: a list of bootstrap_se()
# results (one given alone is wrapped), or NULL.
check_se_bootstrap <- function(bootstrap, x) {
  if (inherits(bootstrap, "hesscheck_boot")) bootstrap <- list(bootstrap)
  if (!is.null(bootstrap) && !all(vapply(bootstrap, inherits, TRUE, "hesscheck_boot"))) {
    hc_abort("bad_bootstrap", "`bootstrap` must be a bootstrap_se() result or a list of them.")
  }
  for (b in bootstrap) check_boot_of(b, names(x$par), "x")
  bootstrap
}

# hesscheck's own relative error of its SEs, from x and its free parameters: the scaled
# Hessian error times the conditioning (at least 1e-12).
hesscheck_expected_error <- function(x, free) {
  h <- x$hessian
  rel_h <- suppressWarnings(max(scaled_error(h, attr(h, "error"))[free, free], na.rm = TRUE))
  cond <- max(abs(x$eigen$values)) / min(abs(x$eigen$values))
  if (!is.finite(cond)) cond <- Inf
  max(0.5 * rel_h * cond, 1e-12)
}

# One source's rows of compare_se()'s table: its SEs `se` beside hesscheck's `se_hc`
# (named by parameter), flagged where their ratio differs from 1 by more than `expected`.
se_rows <- function(source, se, se_hc, expected) {
  ratio <- se / se_hc
  data.frame(
    parameter = names(se_hc), source = source, se = se, ratio = ratio, expected = expected,
    flag = !is.na(ratio) & abs(ratio - 1) > expected, stringsAsFactors = FALSE
  )
}

# The other Hessian-based SEs of x's free parameters: optim's (fit$hessian, else
# optimHess()) and numDeriv's (when asked and installed), each allowed the relative
# error exp_num; returns list(rows, notes) for compare_se()'s table and notes.
hessian_se_sources <- function(x, free, se_hc, exp_num, numderiv) {
  par <- x$par
  f <- checked_fn(x$problem)
  se_from <- function(H) se_from_hessian(H, free)
  rows <- list()
  notes <- character()
  if (!is.null(x$fit_hessian$matrix)) {
    rows <- c(rows, list(se_rows("optim", se_from(x$fit_hessian$matrix), se_hc, exp_num)))
    notes <- c(notes, sprintf("optim: from fit$hessian (%s).", x$optimizer))
  } else {
    Ho <- catch_user(stats::optimHess(par, f), function(e) e)
    if (inherits(Ho, "error")) {
      rows <- c(rows, list(se_rows("optim", rep(NA_real_, length(par)), se_hc, exp_num)))
      notes <- c(notes, paste("optim: optimHess() failed:", error_text(Ho)))
    } else {
      rows <- c(rows, list(se_rows("optim", se_from(Ho), se_hc, exp_num)))
      notes <- c(notes, "optim: optimHess() at the estimate with optim's defaults (ndeps = 1e-3).")
    }
  }
  if (numderiv) {
    if (requireNamespace("numDeriv", quietly = TRUE)) {
      Hn <- catch_user(numDeriv::hessian(f, par), function(e) e)
      if (inherits(Hn, "error") || !all(is.finite(Hn))) {
        rows <- c(rows, list(se_rows("numDeriv", rep(NA_real_, length(par)), se_hc, exp_num)))
        notes <- c(notes, "numDeriv: numDeriv::hessian() failed or was not finite.")
      } else {
        rows <- c(rows, list(se_rows("numDeriv", se_from(Hn), se_hc, exp_num)))
      }
    } else {
      notes <- c(notes, "numDeriv: not installed, skipped.")
    }
  }
  list(rows = rows, notes = notes)
}

# The sandwich (HC0) SEs of x's free parameters from the contributions `obs` (from
# se_contributions()); returns list(rows, notes), no rows when it is not computed.
sandwich_se_source <- function(x, obs, free, se_hc) {
  par <- x$par
  step <- attr(x$hessian, "step")
  notes <- character()
  # The contributions a method recorded are the package's, not the user's: where they
  # fail, the sandwich is left out with a note, not the whole comparison.
  S <- NULL
  if (!is.null(obs$fn_obs)) {
    S <- if (obs$recorded) {
      tryCatch(score_matrix(obs$fn_obs, par, x$problem, step), hesscheck_error = function(e) {
        notes <<- c(notes, paste("sandwich: its contributions could not be computed:",
                                 error_text(e)))
        NULL
      })
    } else {
      score_matrix(obs$fn_obs, par, x$problem, step)
    }
  }
  if (is.null(S)) {
    if (is.null(obs$fn_obs)) {
      notes <- c(notes, "sandwich: not computed; give fn_obs, the per-observation contributions to fn (here or to check_fit()), for it.")
    }
    return(list(rows = list(), notes = notes))
  }
  Hinv <- x$vcov[free, free, drop = FALSE]
  Sf <- S[, free, drop = FALSE]
  V <- Hinv %*% crossprod(Sf) %*% Hinv
  se_s <- rep(NA_real_, length(par))
  se_s[free] <- sqrt(diag(V))
  list(rows = list(se_rows("sandwich", se_s, se_hc, 2 * sqrt(2 / nrow(S)))),
       notes = c(notes, sprintf("sandwich: HC0 from the contributions of %d %s.", nrow(S),
                                obs$unit)))
}

# The bootstrap_se() results' SEs, flagged beyond two Monte-Carlo SEs; returns
# list(rows, notes), one of each per bootstrap.
bootstrap_se_sources <- function(bootstrap, se_hc) {
  nm <- names(se_hc)
  rows <- list()
  notes <- character()
  for (b in bootstrap) {
    src <- if (b$type == "parametric") "parametric" else "bootstrap"
    rows <- c(rows, list(se_rows(src, b$se[nm], se_hc, 2 * b$mc_error[nm] / se_hc)))
    notes <- c(notes, sprintf(
      "%s: %d replicates (%d not converged, %d failed); flagged beyond 2 Monte-Carlo SEs.",
      src, b$R, sum(b$status == "not_converged"), sum(b$status == "failed")
    ))
  }
  list(rows = rows, notes = notes)
}

# The profile for the verdict: computed (profile = TRUE) where check_fit() found a
# minimum, taken as given, or none; a profile that fails is a note, not an error.
se_profile <- function(x, profile) {
  if (inherits(profile, "hesscheck_profile")) {
    validate_profile(profile)
    if (!all(rownames(profile$table) %in% names(x$par))) {
      hc_abort("bad_profile", "`profile` is for other parameters than `x`: give a profile_ci() result of this fit.")
    }
    return(list(profile = profile, note = "profile: the profile_ci() result given."))
  }
  if (!is.logical(profile) || length(profile) != 1L || is.na(profile)) {
    hc_abort("bad_profile", "`profile` must be TRUE, FALSE or a profile_ci() result of this fit.")
  }
  if (!profile || !usable_minimum(x$verdict)) return(list(profile = NULL, note = NULL))
  p <- catch_user(profile_ci(x), function(e) e)
  if (inherits(p, "error")) {
    return(list(profile = NULL, note = paste("profile: profile_ci() failed:", error_text(p))))
  }
  list(profile = p, note = sprintf("profile: %s%% profile-likelihood intervals from %d inner fits.",
                                   fmt(100 * p$level, 4), as.integer(p$evaluations)))
}

# Sample skewness of each parameter's converged replicates, and its Monte-Carlo SE
# sqrt(6 / R) (the large-sample SE of the skewness of a normal sample).
boot_skewness <- function(b) {
  reps <- b$replicates[b$status == "ok", , drop = FALSE]
  g1 <- apply(reps, 2L, function(v) {
    v <- v[is.finite(v)]
    d <- v - mean(v)
    s2 <- mean(d^2)
    if (length(v) < 3L || !(s2 > 0)) NA_real_ else mean(d^3) / s2^1.5
  })
  list(skewness = g1, mc_error = sqrt(6 / max(sum(b$status == "ok"), 1)))
}

# Thresholds of compare_se()'s verdict, with their meaning (the profile's own are
# profile_thresholds, in profile.R).
report_thresholds <- list(
  # A profile interval is "clearly asymmetric" when the distance to one limit is more
  # than this multiple of the distance to the other (Wald intervals are symmetric).
  asymmetry = 1.25,
  # The bootstrap distribution is skewed when |skewness| exceeds this and three of its
  # Monte-Carlo SEs (sqrt(6 / R)).
  skewness = 0.5,
  # More than this fraction of failed or non-converged replicates: the bootstrap is not
  # evidence of anything yet.
  failed_fraction = 0.1
)

# One verdict, with its reason: which standard error or interval to report. The
# vocabulary and its order are documented in compare_se()'s "Which one to report".
report_verdict <- function(x, table, bootstrap, prof, skew) {
  nm <- names(x$par)
  blocked <- report_blocked(x, bootstrap, prof)
  if (!is.null(blocked)) return(blocked)
  flagged <- function(src) {
    t <- table[table$source == src, , drop = FALSE]
    t$parameter[t$flag %in% TRUE]
  }
  has <- function(src) src %in% table$source
  sw <- flagged("sandwich")
  bs <- flagged("bootstrap")
  ev <- sandwich_bootstrap_evidence(table)
  # both flagged and agreeing: misspecified, whatever the shape of the distribution
  both <- intersect(intersect(sw, bs), ev$misspecified)
  if (length(both)) return(report_misspecified(both, ev))
  if (length(sw) && !has("bootstrap")) {
    return(report_out("sandwich", sprintf(
      "the sandwich differs from the Hessian for %s beyond its expected error, so the model is probably misspecified (the information-matrix equality fails); a bootstrap_se() would confirm it.",
      name_list(sw)), sw))
  }
  shape <- report_shape(nm, prof, skew)
  if (!is.null(shape)) return(shape)
  # one flagged, the two agreeing: together they differ from the Hessian
  if (length(ev$misspecified)) return(report_misspecified(ev$misspecified, ev))
  if (length(bs) && !has("sandwich")) {
    return(report_out("bootstrap", sprintf(
      "the bootstrap differs from the Hessian for %s beyond its Monte-Carlo error, so the model may be misspecified (give fn_obs to confirm it with the sandwich).",
      name_list(bs)), bs))
  }
  if (length(ev$conflict)) {
    p <- ev$conflict
    return(report_out("none", sprintf(
      "the sandwich and the bootstrap disagree with each other for %s beyond their combined error, one of them against the Hessian: the evidence conflicts; check with coverage_check() or a larger bootstrap.",
      name_list(p)), p))
  }
  srcs <- setdiff(unique(table$source), "hesscheck")
  report_out("hessian", sprintf(
    "%s agree%s with the Hessian within %s expected error%s.",
    name_list(srcs), if (length(srcs) == 1L) "s" else "",
    if (length(srcs) == 1L) "its" else "their",
    if (!is.null(prof)) " and the profile intervals are symmetric" else ""))
}

# report_verdict()'s result: the source to report, why, and the parameters it is about.
report_out <- function(report, reason, parameters = character()) {
  list(report = report, reason = reason, parameters = parameters)
}

# The verdicts that come before any comparison of SEs, or NULL: "none" where the fit is
# not a usable minimum, the profile `prof` found a lower fn or too many of a bootstrap's
# replicates failed; "profile" where a parameter is on a bound.
report_blocked <- function(x, bootstrap, prof) {
  if (!usable_minimum(x$verdict)) {
    return(report_out("none", sprintf("check_fit() found %s; fix the fit first (see print(x)).",
                                      verdict_text[[x$verdict]])))
  }
  if (!is.null(prof) && any(prof$table$status == "lower_fn")) {
    p <- rownames(prof$table)[prof$table$status == "lower_fn"]
    return(report_out("none", sprintf(
      "profiling %s found a lower fn than at the estimate, so the fit is not at the minimum; refit from the profile's better point (profile$better$par) and compare again.",
      name_list(p)), p))
  }
  for (b in bootstrap) {
    bad <- sum(b$status != "ok")
    if (bad > report_thresholds$failed_fraction * b$R) {
      return(report_out("none", sprintf(
        "%d of %d %s bootstrap replicates failed or did not converge; fix the refit first (see the bootstrap's print), then compare again.",
        bad, as.integer(b$R), if (b$type == "parametric") "parametric" else "non-parametric")))
    }
  }
  bnd <- names(x$par)[x$at_bound != 0]
  if (length(bnd)) {
    return(report_out("profile", sprintf(
      "%s %s on a bound, where no standard error is valid; the profile interval is one-sided there (profile_ci(), with the chi-bar-square cutoff).",
      name_list(bnd), if (length(bnd) == 1L) "is" else "are"), bnd))
  }
  NULL
}

# The "sandwich" verdict for the parameters p where the sandwich and the bootstrap agree
# with each other and differ from the Hessian (ev from sandwich_bootstrap_evidence()).
report_misspecified <- function(p, ev) {
  report_out("sandwich", sprintf(
    "the sandwich and the bootstrap agree with each other but differ from the Hessian for %s (together %s times it, beyond their combined error), so the model is probably misspecified (the information-matrix equality fails).",
    name_list(p), paste(fmt(ev$ratio[p], 3), collapse = ", ")), p)
}

# The "profile" verdict where the bootstrap distributions (skewness per source, `skew`)
# are skewed or the profile intervals of `prof` clearly asymmetric, else NULL; nm are
# the parameters' names.
report_shape <- function(nm, prof, skew) {
  th <- report_thresholds
  sk <- character()
  for (g in skew) {
    big <- abs(g$skewness) > max(th$skewness, 3 * g$mc_error)
    sk <- union(sk, nm[big %in% TRUE])
  }
  asym <- character()
  if (!is.null(prof)) {
    a <- prof$table$asymmetry
    asym <- rownames(prof$table)[!is.na(a) & (a > th$asymmetry | a < 1 / th$asymmetry)]
  }
  if (!length(sk) && !length(asym)) return(NULL)
  p <- union(asym, sk)
  why <- c(if (length(asym)) sprintf("the profile interval of %s is clearly asymmetric (%s)",
                                     name_list(asym), paste(sprintf("%s %s", asym,
                                     fmt(prof$table[asym, "asymmetry"], 3)), collapse = ", ")),
           if (length(sk)) sprintf("the bootstrap distribution of %s is skewed", name_list(sk)))
  report_out("profile", sprintf(
    "%s, so Wald intervals mislead (profile_ci() gives the profile intervals).",
    paste(why, collapse = " and ")), p)
}

# The sandwich and the non-parametric bootstrap, two independent estimates of the same
# (robust) standard error, read together. Each source's `expected` is two of its
# standard errors (relative); per parameter with both:
# * they agree with each other when their ratios to the Hessian SE differ by at most
#   two standard errors of the difference, 2 sqrt(s_s^2 + s_b^2);
# * together (inverse-variance weighted mean of the two ratios, its standard error
#   1 / sqrt(1 / s_s^2 + 1 / s_b^2)) they differ from the Hessian when that mean is
#   more than two of its standard errors from 1.
# Agreeing and differing: misspecified (report the sandwich). Disagreeing with each
# other while one of them is flagged against the Hessian: the evidence conflicts.
sandwich_bootstrap_evidence <- function(table) {
  s <- table[table$source == "sandwich", , drop = FALSE]
  b <- table[table$source == "bootstrap", , drop = FALSE]
  none <- list(misspecified = character(), conflict = character(), ratio = numeric())
  if (!nrow(s) || !nrow(b)) return(none)
  b <- b[match(s$parameter, b$parameter), , drop = FALSE]
  ok <- !is.na(s$ratio) & !is.na(b$ratio) & s$expected > 0 & b$expected > 0
  ss <- s$expected / 2
  sb <- b$expected / 2
  w <- 1 / ss^2 + 1 / sb^2
  mean_r <- (s$ratio / ss^2 + b$ratio / sb^2) / w
  agree <- abs(s$ratio - b$ratio) <= 2 * sqrt(ss^2 + sb^2)
  differ <- abs(mean_r - 1) > 2 / sqrt(w)
  flagged <- s$flag | b$flag
  nm <- s$parameter
  list(misspecified = nm[ok & agree & differ],
       conflict = nm[ok & !agree & flagged],
       ratio = stats::setNames(mean_r, nm))
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
  handler <- function(id, p, what, value = NULL) {
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
