# check_fit() methods for the fits R users already have. Each method recovers the
# objective as a negative log-likelihood (and its gradient where the object carries one),
# the estimates with readable unique names, fixed parameters and bounds, then runs the
# same diagnosis through check_fit.default() via from_package(), which tags the result
# with where it came from and the package's own vcov() for comparison.
#
# The data an objective depends on are passed as named `...` arguments of fn (X, y,
# weights, offset for a glm; data for a formula model), so that bootstrap_se() resamples
# them jointly by rows and its default refit (optim() on that objective) works for every
# class; their names are kept in x$problem$data.

# Classes with a method (besides optim-like lists and TMB objects, which are plain lists).
supported_fit_classes <- c("mle", "mle2", "fitdist", "fitdistr", "maxLik", "nls", "glm",
                           "glmmTMB", "merMod", "optimx")

# Called by check_fit.default(), which dispatch reaches for an object only when its class
# has no method: a classed error, not a confusing complaint about a missing `fit$par`.
unsupported_fit <- function(fit) {
  hc_abort("unsupported_fit", sprintf(paste(
    "check_fit() has no method for an object of class %s. Supported: the results of",
    "optim(), nlminb(), nlm() and optimx(), TMB's MakeADFun() objects, and fits of class",
    "%s. For anything else pass the estimates and the objective:",
    "check_fit(list(par = <estimates>, value = <objective there>), fn = <negative",
    "log-likelihood>, ...)."),
    dQuote(class(fit)[1L], FALSE),
    paste(setdiff(supported_fit_classes, "optimx"), collapse = ", ")
  ))
}

# Names for n parameters that print can use: missing ones become p<i>, and repeated ones
# (TMB's "beta", "beta") are numbered "beta[1]", "beta[2]".
unique_names <- function(nm, n) {
  if (is.null(nm)) return(NULL)
  nm[is.na(nm) | !nzchar(nm)] <- paste0("p", seq_len(n))[is.na(nm) | !nzchar(nm)]
  dup <- nm %in% nm[duplicated(nm)]
  if (any(dup)) {
    idx <- stats::ave(seq_along(nm), nm, FUN = seq_along)
    nm[dup] <- paste0(nm[dup], "[", idx[dup], "]")
  }
  make.unique(nm)
}

# TMB's MakeADFun() returns a plain list: fn, gr, he, par and its environment.
is_tmb_adfun <- function(fit) {
  is.list(fit) && !is.object(fit) && is.function(fit$fn) && is.function(fit$gr) &&
    is.environment(fit$env) && !is.null(fit$par)
}

# The shared tail of every method: check_fit.default() on the recovered problem, then the
# result tagged with its source, the package's own covariance and the data argument names.
# `state`, for a fit whose objective moves the fit's own internal state (lme4, TMB): a
# function() that saves that state and returns a function() that puts it back; kept in
# x$problem$state for everything that evaluates the objective again (hold_state()). Such
# an objective holds pointers to compiled objects that cannot be sent to another R
# process: the backends that copy it by serialisation are refused (check_shippable()).
# `fn_obs`, `obs_unit`: the per-observation (or per-cluster) contributions to fn, when
# they are known, and what they are contributions of ("observations", "clusters of
# Subject"); `groups`, `simulate`: a mixed model's grouping factors (mixed_groups()) and
# simulator (mixed_simulator()); `advice`: a line for the print.
from_package <- function(fit, source, par, fn, ..., gr = NULL, value = NULL,
                         convergence = NA, lower = NULL, upper = NULL, fnscale = 1,
                         control = list(), vcov_package = NULL, data_args = NULL,
                         note = NULL, state = NULL, fn_obs = NULL, obs_unit = NULL,
                         groups = NULL, simulate = NULL, advice = NULL) {
  local_only <- if (!is.null(state)) sprintf(
    "the objective of a %s fit works on compiled objects in this R session, which cannot be sent to another R process",
    class(fit)[1L])
  if (!is.null(local_only) && is.list(control) && is.list(control$hessian)) {
    check_shippable(list(local_only = local_only), control$hessian$parallel,
                    "check_fit() with control$hessian")
  }
  x <- check_fit.default(list(par = par, value = value, convergence = convergence,
                              optimizer = source),
                         fn = fn, ..., gr = gr, lower = lower, upper = upper,
                         fnscale = fnscale, control = control)
  x$source <- list(class = class(fit)[1L], note = note, advice = advice)
  if (!is.null(data_args)) x$problem$data <- data_args
  x$problem$state <- state
  x$problem$fn_obs <- fn_obs
  x$problem$obs_unit <- if (!is.null(fn_obs)) {
    if (is.null(obs_unit)) "observations" else obs_unit
  }
  x$problem$groups <- groups
  x$problem$simulate <- simulate
  x$problem$local_only <- local_only
  n <- length(x$par)
  if (is.numeric(vcov_package) && length(vcov_package) == n * n) {
    V <- matrix(as.double(vcov_package), n, n)
    dimnames(V) <- list(names(x$par), names(x$par))
    x$vcov_package <- V
    se_pkg <- sqrt(pmax(diag(V), 0))
    x$se_package <- cbind(package = se_pkg, hesscheck = x$table$se,
                          ratio = se_pkg / x$table$se)
    rownames(x$se_package) <- names(x$par)
  }
  class(x) <- c("hesscheck_from", class(x))
  x
}

#' @export
format.hesscheck_from <- function(x, digits = 4, ...) {
  validate_hesscheck(x)
  lines <- NextMethod()
  extra <- sprintf("Fit of class \"%s\"%s", x$source$class,
                   if (is.null(x$source$note)) "." else paste0(": ", x$source$note, "."))
  if (!is.null(x$se_package)) {
    r <- x$se_package[, "ratio"]
    # parameters with a package SE but none from hesscheck (drifting, not identified)
    gone <- is.na(r) & is.finite(x$se_package[, "package"])
    but <- if (any(gone) && !all(is.na(r))) {
      sprintf(" Its standard errors for %s mean nothing: hesscheck gives none (see the findings).",
              name_list(rownames(x$se_package)[gone]))
    } else ""
    extra <- c(extra, paste0(if (all(is.na(r))) {
      "The package's own vcov() has standard errors, but hesscheck gives none to compare."
    } else {
      dev <- max(abs(r - 1), na.rm = TRUE)
      if (dev < 1e-3) {
        # Rounded up to a power of ten, and no finer than 1e-6: the digits below depend
        # on the platform.
        sprintf("The package's own vcov(): its standard errors agree with hesscheck's to %s%s relative (x$se_package).",
                if (dev < 1e-6) "better than " else "",
                fmt(10^ceiling(log10(max(dev, 1e-6))), 1))
      } else {
        sprintf("The package's own vcov(): its standard errors are %s to %s times hesscheck's (x$se_package).",
                fmt(min(r, na.rm = TRUE), 4), fmt(max(r, na.rm = TRUE), 4))
      }
    }, but))
  }
  c(lines[1L], extra, x$source$advice, lines[-1L])
}

# A list of data vectors as a data frame when they are plain vectors of one length, so
# that bootstrap_se() resamples them jointly by rows; anything else is returned as it is.
# (as.data.frame() costs more than a small fit's whole check.)
rows_frame <- function(data) {
  if (!length(data) || !is.list(data) || is.data.frame(data)) return(data)
  n <- lengths(data)
  plain <- vapply(data, function(v) is.atomic(v) && is.null(dim(v)), TRUE)
  if (!all(plain) || any(n != n[[1L]])) return(data)
  if (is.null(names(data)) || anyNA(names(data))) return(data)
  fast_df(lapply(data, function(v) {
    attr(v, "names") <- NULL
    v
  }))
}

# Methods whose objective needs nothing more reject extra arguments rather than
# silently ignoring them (an `fn` passed out of habit, a misspelt `contol`).
no_dots <- function(cls, ...) {
  if (...length()) {
    nm <- names(list(...))
    if (is.null(nm)) nm <- rep("", ...length())
    nm[!nzchar(nm)] <- "(unnamed)"
    hc_abort("bad_argument", sprintf(
      "check_fit() for a %s fit takes no further arguments, but was given: %s. The objective comes from the fit itself.",
      cls, paste(nm, collapse = ", ")
    ))
  }
}

# ---- stats4 and bbmle ----------------------------------------------------------------

# minuslogl(a = , b = ) as fn(p): free parameters from p, fixed ones from fullcoef; with
# `data`, minuslogl sees its columns (and `data` itself), bound once per data set, and
# the columns named as its arguments are passed to it, as mle2() passes them.
minuslogl_fn <- function(mll, full, free, vecpar = FALSE) {
  formal_names <- names(formals(mll))
  with_data <- cached_by_data(NULL, NULL, function(data) {
    env <- list2env(as.list(data), parent = environment(mll))
    assign("data", data, envir = env)
    environment(mll) <- env
    list(f = mll, args = as.list(data)[intersect(names(data), formal_names)])
  })
  function(p, data = NULL) {
    bound <- if (is.null(data)) list(f = mll, args = list()) else with_data(data)
    full[free] <- p
    args <- if (vecpar) list(full) else as.list(full)
    do.call(bound$f, c(args, bound$args))
  }
}

# Bounds given to optim() through mle() or mle2(), per free parameter (named `free`).
# stats4's mle() takes them for all parameters (`full`, in the order of minuslogl's
# arguments): a list by name, a vector by position, and drops the fixed ones; bbmle's
# mle2() takes them for the free ones only, ordered by name when named.
call_bounds <- function(call, which, free, env, full = NULL) {
  b <- call[[which]]
  if (is.null(b)) return(NULL)
  b <- tryCatch(eval(b, env), error = function(e) {
    hc_abort("bad_fit", sprintf(
      "The `%s` bounds of this fit's call (%s) cannot be found again: %s. Refit with the bounds written out in the call.",
      which, paste(deparse(b, nlines = 1L), collapse = ""), error_text(e)))
  })
  default <- if (which == "lower") -Inf else Inf
  by_name <- is.list(b)
  if (by_name) b <- unlist(b)
  if (!is.numeric(b) || !length(b)) {
    hc_abort("bad_fit", sprintf("The `%s` bounds of this fit's call are not numbers.", which))
  }
  if (!is.null(full)) {
    # stats4: over every parameter, the fixed ones then dropped
    out <- stats::setNames(rep(default, length(full)), full)
    if (by_name) {
      out[intersect(names(b), full)] <- b[intersect(names(b), full)]
    } else {
      out[] <- rep_len(as.double(b), length(full))
    }
    return(unname(out[free]))
  }
  if (length(b) > 1L && !is.null(names(b)) && all(names(b) %in% free)) {
    out <- stats::setNames(rep(default, length(free)), free)
    out[names(b)] <- b
    return(unname(out))
  }
  rep_len(as.double(b), length(free))
}

#' @section Fits from other packages:
#' `check_fit(obj)` alone works for the fits below: the method recovers the objective as
#' a negative log-likelihood (and its gradient where the object carries one), the
#' estimates with readable unique names, fixed parameters and bounds, and runs the same
#' diagnosis. The result also has class `"hesscheck_from"`; its print says where the
#' objective came from and compares the standard errors with the package's own `vcov()`.
#' * `mle` (stats4) and `mle2` (bbmle): `minuslogl` with its data (`mle2`'s `data`
#'   columns named as arguments of `minuslogl` are passed to it, as `mle2()` does), fixed
#'   parameters held, L-BFGS-B bounds from the call (for `mle`, given for all
#'   parameters, by name in a list or by position, the fixed ones dropped, as stats4
#'   does).
#' * `fitdist` (fitdistrplus, method `"mle"`): the density `d<distname>` at the data,
#'   `fix.arg` held, `lower`/`upper` from the fit.
#' * `fitdistr` (MASS): it keeps neither data nor density: pass `x` and `densfun`
#'   (a function or MASS's name, e.g. `"gamma"`; `"t"` is MASS's location-scale t with
#'   `m`, `s` and `df`), and `lower`/`upper` if it had bounds.
#' * `maxLik`: its stored log-likelihood (maximised, so `fnscale = -1`), fixed
#'   parameters held; give in `...` the extra arguments it was fitted with.
#' * `nls`: the Gaussian log-likelihood, with sigma profiled out (`sigma = "profiled"`,
#'   sigma^2 = RSS / n) or included as a parameter (`sigma = "included"`); `vcov()` uses
#'   RSS / (n - p) and the Gauss-Newton matrix, so its SEs are about sqrt(n / (n - p))
#'   times hesscheck's. The data are those the fit used, as `nls()` keeps them (after
#'   `subset` and `na.action`); a vector parameter (`start = list(b = c(5, 0.1))`) is
#'   checked as `b1`, `b2`.
#' * `glm` (binomial, poisson, gaussian, Gamma): the family's log-likelihood in the
#'   coefficients, the dispersion held at `summary(fit)$dispersion` as `vcov()` does; the
#'   value is `-logLik(fit)`.
#' * TMB `MakeADFun()` objects: `obj$fn` and `obj$gr` at `obj$env$last.par.best` (the
#'   best fixed-effect parameters TMB has seen, not the starting values); repeated names
#'   (`beta`, `beta`) numbered; `vcov_package = TRUE` compares with `sdreport()`.
#' * `glmmTMB`: its TMB object `fit$obj`, with the names of `vcov(fit, full = TRUE)`.
#' * `merMod` (lme4): half the deviance function (`devFunOnly = TRUE`), theta's lower
#'   bounds from `getME(fit, "lower")`; for `glmer` in (theta, beta); for an ML `lmer`
#'   in (theta, beta) with sigma profiled out; for a REML `lmer` in theta only. An
#'   `lmer` fit's own deviance function is used; a `glmer` fit keeps none that can be
#'   reused, so one is built from its model frame, which costs about 10 ms (half as much
#'   again as the check of a small `glmer` fit itself).
#' * `optimx` results: pass `fn` (optimx does not keep it); the row `method`, or the
#'   best.
#'
#' The objectives of lme4 and TMB fits (TMB objects, `glmmTMB`) work on the fit's own
#' compiled objects, whose state evaluating them moves: `check_fit()`, [profile_ci()],
#' `confint(method = "profile")`, [compare_se()], [bootstrap_se()] and
#' [coverage_check()] leave that state as it was (TMB's `obj$env$last.par`,
#' `last.par.best` and `value.best`; lme4's fitted values, random effects and `vcov()`),
#' also when they stop with an error. Such an objective cannot be sent to another R
#' process: with `parallel = "snow"`, or `"future"` with a plan other than
#' `"sequential"` or `"multicore"`, these functions stop with an error of class
#' `hesscheck_error_bad_parallel` naming the backends that work (`"no"`, `"multicore"`).
#'
#' Where the per-observation contributions to the objective are known (`glm`, `nls`,
#' `fitdist`, `fitdistr`, `mle2` with a formula; per cluster of the top-level grouping
#' factor for ML `lmer` and `glmmTMB` fits) the method records them in
#' `x$problem$fn_obs`, and [compare_se()] shows the sandwich standard errors with no
#' further code (see its section "The sandwich for fitted models"). For `merMod` and
#' `glmmTMB` fits the result also records the grouping factors (`x$problem$groups`),
#' which [bootstrap_se()] resamples by default at their top level, and a simulator of new
#' responses (`x$problem$simulate`) for the parametric bootstrap. A REML `lmer` fit's
#' print says how to check its fixed effects (`check_fit(update(fit, REML = FALSE))`).
#'
#' Any other class is an error of class `hesscheck_error_unsupported_fit`; pass
#' `list(par = <estimates>, value = <objective there>)` and `fn` instead. The data the
#' recovered objective depends on are named `...` arguments of `x$problem$fn` (a glm's
#' `X`, `y`, `weights`, `offset`; a formula model's `data`), recorded in
#' `x$problem$data`, so that [bootstrap_se()] resamples them by rows and refits by
#' default.
#' @param vcov_package Compare the standard errors with the package's own covariance
#'   matrix (kept in `x$vcov_package`, and side by side in `x$se_package`). For a TMB
#'   object it is `FALSE` by default (it calls [TMB::sdreport()], a Hessian of its own).
#' @examples
#' # Fits from other packages (each runs when its package is installed).
#' set.seed(2)
#' d <- data.frame(x = rnorm(100))
#' d$y <- rpois(100, exp(0.5 + 0.3 * d$x))
#' check_fit(glm(y ~ x, poisson, d))
#'
#' z <- rnorm(50, 3, 2)
#' m <- stats4::mle(function(mu = 0, lsd = 0) -sum(dnorm(z, mu, exp(lsd), log = TRUE)),
#'                  method = "BFGS")
#' check_fit(m)
#'
#' tt <- 1:20
#' conc <- 10 * exp(-0.2 * tt) + rnorm(20, 0, 0.2)
#' check_fit(nls(conc ~ A * exp(-k * tt), start = list(A = 5, k = 0.1)))
#'
#' if (requireNamespace("MASS", quietly = TRUE)) {
#'   f <- MASS::fitdistr(z, "normal")
#'   check_fit(f, x = z, densfun = "normal")
#' }
#' if (requireNamespace("bbmle", quietly = TRUE)) {
#'   m2 <- bbmle::mle2(z ~ dnorm(mean = mu, sd = exp(lsd)),
#'                     start = list(mu = 0, lsd = 0), data = data.frame(z = z))
#'   check_fit(m2)
#' }
#' if (requireNamespace("fitdistrplus", quietly = TRUE)) {
#'   check_fit(fitdistrplus::fitdist(rgamma(100, 2, 3), "gamma"))
#' }
#' if (requireNamespace("maxLik", quietly = TRUE)) {
#'   ll <- function(p, zz) sum(dnorm(zz, p[1], exp(p[2]), log = TRUE))
#'   ml <- maxLik::maxLik(ll, start = c(mu = 1, lsd = 0), zz = z)
#'   check_fit(ml, zz = z)       # the data maxLik() was given in its `...`
#' }
#' if (requireNamespace("optimx", quietly = TRUE)) {
#'   nll <- function(p, z) -sum(dnorm(z, p[1], exp(p[2]), log = TRUE))
#'   o <- optimx::optimx(c(mu = 1, lsd = 0), nll, z = z, method = c("BFGS", "Nelder-Mead"))
#'   check_fit(o, nll, z = z, method = "Nelder-Mead")
#' }
#' if (requireNamespace("lme4", quietly = TRUE)) {
#'   fm <- lme4::lmer(Reaction ~ Days + (Days | Subject), lme4::sleepstudy, REML = FALSE)
#'   check_fit(fm)
#' }
#' if (requireNamespace("glmmTMB", quietly = TRUE)) {
#'   g <- glmmTMB::glmmTMB(count ~ mined + (1 | site), family = poisson,
#'                         data = glmmTMB::Salamanders)
#'   print(check_fit(g))   # inside braces only the last value prints by itself
#'   # Its TMB object (any MakeADFun() object works the same way):
#'   check_fit(g$obj, vcov_package = TRUE)
#' }
#' @rdname check_fit
#' @export
check_fit.mle <- function(fit, ..., control = list(), vcov_package = TRUE) {
  no_dots("stats4 mle", ...)
  from_mle(fit, "stats4::mle", identical(fit@method, "L-BFGS-B"), FALSE, control,
           vcov_package, "the objective is its minuslogl, fixed parameters held at their values",
           full = names(fit@fullcoef))
}

# What stats4's mle and bbmle's mle2 fits share: minuslogl with the fixed parameters held,
# the minimum, convergence and covariance, and the bounds of the call when it had them;
# `...` (the data) goes to fn.
from_mle <- function(fit, source, bounded, vecpar, control, vcov_package, note, ...,
                     full = NULL, fn_obs = NULL) {
  free <- names(fit@coef)
  env <- environment(fit@minuslogl)
  from_package(
    fit, source, fit@coef, minuslogl_fn(fit@minuslogl, fit@fullcoef, free, vecpar), ...,
    value = fit@min, convergence = fit@details$convergence,
    lower = if (bounded) call_bounds(fit@call, "lower", free, env, full),
    upper = if (bounded) call_bounds(fit@call, "upper", free, env, full),
    control = control, vcov_package = if (vcov_package) fit@vcov, note = note,
    fn_obs = fn_obs
  )
}

#' @rdname check_fit
#' @export
check_fit.mle2 <- function(fit, ..., control = list(), vcov_package = TRUE) {
  no_dots("bbmle mle2", ...)
  data <- rows_frame(fit@data)
  bounded <- fit@optimizer %in% c("nlminb", "L-BFGS-B") ||
    identical(fit@call$method, "L-BFGS-B")
  obs <- mle2_formula_obs(fit, names(fit@coef))
  from_mle(fit, "bbmle::mle2", bounded, isTRUE(fit@call$vecpar), control, vcov_package,
           "the objective is its minuslogl with its data, fixed parameters held at their values",
           data = if (length(data)) data, data_args = if (is.data.frame(data)) "data",
           fn_obs = obs)
}

# ---- distributions: fitdistrplus, MASS ------------------------------------------------

# -sum(w * log f(x; p, fixed)) for a density function `d` taking its parameters by name.
density_nll <- function(d, nm, fixed = list()) {
  has_log <- "log" %in% names(formals(d))
  function(p, data, weights = NULL) {
    args <- c(list(data), as.list(stats::setNames(p, nm)), fixed)
    lf <- if (has_log) do.call(d, c(args, list(log = TRUE))) else log(do.call(d, args))
    if (is.null(weights)) -sum(lf) else -sum(weights * lf)
  }
}

#' @rdname check_fit
#' @export
check_fit.fitdist <- function(fit, ..., control = list(), vcov_package = TRUE) {
  no_dots("fitdist", ...)
  if (!identical(fit$method, "mle")) {
    hc_abort("unsupported_fit", sprintf(paste(
      "check_fit() checks maximum-likelihood fits; this fitdist() fit used method \"%s\".",
      "Refit with method = \"mle\"."), fit$method))
  }
  d <- get(paste0("d", fit$distname), mode = "function")
  est <- fit$estimate
  bounds <- fit$dots[c("lower", "upper")]
  from_package(
    fit, "fitdistrplus::fitdist", est,
    density_nll(d, names(est), as.list(fit$fix.arg)), data = fit$data, weights = fit$weights,
    data_args = c("data", if (!is.null(fit$weights)) "weights"), value = -fit$loglik,
    convergence = fit$convergence,
    lower = if (!is.null(bounds$lower)) rep_len(bounds$lower, length(est)),
    upper = if (!is.null(bounds$upper)) rep_len(bounds$upper, length(est)),
    control = control, vcov_package = if (vcov_package) fit$vcov,
    fn_obs = density_obs(d, names(est), as.list(fit$fix.arg)),
    note = sprintf("the objective is -sum(log d%s(data))%s", fit$distname,
                   if (length(fit$fix.arg)) paste0(", with ", paste(names(fit$fix.arg),
                                                                collapse = ", "), " fixed") else "")
  )
}

# MASS::fitdistr()'s location-scale t: its "t" has parameters m, s and df (dt() has
# only df), the density of m + s T with T ~ t(df).
fitdistr_t <- function(x, m, s, df, log = FALSE) {
  v <- stats::dt((x - m) / s, df, log = TRUE) - log(s)
  if (log) v else exp(v)
}

# MASS::fitdistr()'s names for its densities.
fitdistr_densities <- list(
  beta = stats::dbeta, cauchy = stats::dcauchy, `chi-squared` = stats::dchisq,
  exponential = stats::dexp, f = stats::df, gamma = stats::dgamma,
  geometric = stats::dgeom, `log-normal` = stats::dlnorm, lognormal = stats::dlnorm,
  logistic = stats::dlogis, `negative binomial` = stats::dnbinom, normal = stats::dnorm,
  poisson = stats::dpois, t = fitdistr_t, weibull = stats::dweibull
)

#' @rdname check_fit
#' @param x For a `fitdistr` fit: the data it was fitted to (MASS does not keep them).
#' @param densfun For a `fitdistr` fit: the density it was given, a function or one of
#'   MASS's names (`"normal"`, `"gamma"`, ...); MASS does not keep it. Fixed
#'   parameters of the density go in `...`; bounds used in the fit in `lower`, `upper`.
#' @export
check_fit.fitdistr <- function(fit, x, densfun, ..., lower = NULL, upper = NULL,
                               control = list(), vcov_package = TRUE) {
  if (missing(x) || missing(densfun)) {
    hc_abort("fitdistr_needs", paste(
      "A MASS::fitdistr() fit keeps neither its data nor its density: pass both, as",
      "check_fit(fit, x = <the data>, densfun = <the density, e.g. \"gamma\" or dgamma>),",
      "with any fixed parameters as named arguments."
    ))
  }
  if (is.character(densfun)) {
    key <- tolower(densfun)
    if (length(key) != 1L || !key %in% names(fitdistr_densities)) {
      hc_abort("fitdistr_needs", sprintf(
        "`densfun` must be a density function or one of %s, not %s.",
        paste0("\"", names(fitdistr_densities), "\"", collapse = ", "), describe_value(densfun)
      ))
    }
    densfun <- fitdistr_densities[[key]]
  }
  densfun <- check_function(densfun, "densfun")
  if (!is.numeric(x) || length(x) != fit$n) {
    hc_abort("fitdistr_needs", sprintf(
      "`x` must be the %d numbers the fit was made from, not %s.", fit$n, describe_value(x)
    ))
  }
  est <- fit$estimate
  from_package(
    fit, "MASS::fitdistr", est, density_nll(densfun, names(est), list(...)),
    data = x, data_args = "data", value = -fit$loglik, convergence = 0,
    lower = lower, upper = upper, control = control, vcov_package = if (vcov_package) fit$vcov,
    fn_obs = density_obs(densfun, names(est), list(...)),
    note = "the objective is -sum(log densfun(x)) with the density and data given"
  )
}

# ---- maxLik ------------------------------------------------------------------------

#' @rdname check_fit
#' @export
check_fit.maxLik <- function(fit, ..., control = list(), vcov_package = TRUE) {
  f <- fit$objectiveFn
  if (!is.function(f)) {
    hc_abort("bad_fit", "This maxLik fit has no stored objective (`fit$objectiveFn`); it needs maxLik >= 1.3.")
  }
  est <- fit$estimate
  fixed <- fit$fixed
  if (is.null(fixed)) fixed <- rep(FALSE, length(est))
  free <- !fixed
  full <- est
  # A log-likelihood summed over observations: maxLik allows a vector of contributions.
  fn <- function(p, ...) {
    full[free] <- p
    sum(f(full, ...))
  }
  V <- NULL
  if (vcov_package) V <- tryCatch(stats::vcov(fit)[free, free, drop = FALSE],
                                  error = function(e) NULL)
  from_package(
    fit, "maxLik", est[free], fn, ..., value = fit$maximum,
    convergence = if (fit$code %in% c(1, 2, 8)) 0 else fit$code, fnscale = -1,
    control = control, vcov_package = V,
    note = "the objective is its log-likelihood (maximised: fnscale = -1), fixed parameters held"
  )
}

# ---- optimx ------------------------------------------------------------------------

#' @rdname check_fit
#' @param method For an `optimx` result: the method (row) to check; by default the row
#'   with the best value.
#' @export
check_fit.optimx <- function(fit, fn, ..., method = NULL, gr = NULL, lower = NULL,
                             upper = NULL, control = list()) {
  if (missing(fn)) {
    hc_abort("bad_fn", "An optimx() result does not keep its objective: pass it as `fn`.")
  }
  maximize <- isTRUE(attr(fit, "maximize"))
  npar <- attr(fit, "npar")
  if (is.null(npar)) npar <- match("value", names(fit)) - 1L
  if (is.null(method)) {
    v <- fit$value
    row <- if (all(is.na(v))) 1L else if (maximize) which.max(v) else which.min(v)
  } else {
    row <- match(method, rownames(fit))
    if (length(method) != 1L || is.na(row)) {
      hc_abort("bad_method", sprintf("`method` must be one of the optimx() result's rows: %s.",
                                     paste0("\"", rownames(fit), "\"", collapse = ", ")))
    }
  }
  par <- unlist(fit[row, seq_len(npar)])
  from_package(
    fit, sprintf("optimx (%s)", rownames(fit)[row]), par, fn, ..., gr = gr,
    value = fit$value[row], convergence = fit$convcode[row], lower = lower, upper = upper,
    fnscale = if (maximize) -1 else 1, control = control,
    note = sprintf("row \"%s\"", rownames(fit)[row])
  )
}

# ---- nls ---------------------------------------------------------------------------

#' @rdname check_fit
#' @param sigma For an `nls` fit: `"profiled"` (the default) checks the Gaussian
#'   log-likelihood with the residual standard deviation profiled out, in the model's
#'   parameters only; `"included"` adds `sigma` as a parameter.
#' @export
check_fit.nls <- function(fit, ..., sigma = c("profiled", "included"), control = list(),
                          vcov_package = TRUE) {
  no_dots("nls", ...)
  sigma <- match.arg(sigma)
  form <- stats::formula(fit)
  if (length(form) != 3L || !is.null(fit$call$algorithm) && fit$call$algorithm == "plinear") {
    hc_abort("unsupported_fit", "check_fit() supports nls() fits with a two-sided formula and algorithm \"default\" or \"port\".")
  }
  est <- stats::coef(fit)
  env <- environment(form)
  # The parameters as nls() has them: names and the positions of each in coef(fit) (a
  # vector parameter, start = list(b = c(5, 0.1)), is b1, b2 there and b in the formula).
  ind <- nls_parameters(fit, est)
  # The data as the fit used them: nls() keeps the variables of the formula, after
  # `subset` and `na.action`, in its model's environment (the call's data, evaluated
  # again, would bring back the rows the fit left out).
  vars <- setdiff(all.vars(form), names(ind))
  menv <- fit$m$getEnv()
  data <- mget(vars, envir = menv, inherits = TRUE,
               ifnotfound = list(NULL))
  data <- data[!vapply(data, is.null, TRUE)]
  data <- rows_frame(data)
  w <- fit$weights
  lhs <- form[[2L]]
  rhs <- form[[3L]]
  resid <- function(p, data, weights) {
    e <- list2env(c(lapply(ind, function(i) unname(p[i])), as.list(data)), parent = env)
    r <- eval(lhs, e) - eval(rhs, e)
    if (is.null(weights)) r else sqrt(weights) * r
  }
  n <- length(fit$m$resid())
  np <- length(est)
  fn <- if (sigma == "profiled") {
    # Gaussian -log L with sigma^2 = RSS / n: n/2 (log(2 pi RSS / n) + 1) - sum(log w) / 2.
    function(p, data, weights = NULL) {
      r <- resid(p, data, weights)
      m <- length(r)
      m / 2 * (log(2 * pi * sum(r^2) / m) + 1) -
        if (is.null(weights)) 0 else sum(log(weights)) / 2
    }
  } else {
    function(p, data, weights = NULL) {
      r <- resid(p[-length(p)], data, weights)
      -sum(stats::dnorm(r, 0, p[[length(p)]], log = TRUE)) -
        if (is.null(weights)) 0 else sum(log(weights)) / 2
    }
  }
  # Per observation: with sigma^2 held at RSS / n at the estimate (the profiled sigma's
  # value), the terms sum to fn there and their derivatives to fn's gradient (that of the
  # profile: d/dp n/2 log RSS = (d/dp RSS) / (2 sigma^2)).
  s2 <- stats::deviance(fit) / n
  fn_obs <- if (sigma == "profiled") {
    function(p, data, weights = NULL) {
      r <- resid(p, data, weights)
      (log(2 * pi * s2) + r^2 / s2) / 2 - if (is.null(weights)) 0 else log(weights) / 2
    }
  } else {
    function(p, data, weights = NULL) {
      r <- resid(p[-length(p)], data, weights)
      -stats::dnorm(r, 0, p[[length(p)]], log = TRUE) -
        if (is.null(weights)) 0 else log(weights) / 2
    }
  }
  par <- est
  lower <- upper <- NULL
  if (sigma == "included") {
    par <- c(est, sigma = sqrt(stats::deviance(fit) / n))
    lower <- c(rep(-Inf, np), 0)
  }
  port <- identical(fit$call$algorithm, "port")
  if (port) {
    lo <- fit$call$lower
    up <- fit$call$upper
    if (!is.null(lo)) lower <- c(rep_len(eval(lo, env), np), if (sigma == "included") 0)
    if (!is.null(up)) upper <- c(rep_len(eval(up, env), np), if (sigma == "included") Inf)
  }
  V <- NULL
  if (vcov_package) {
    V <- stats::vcov(fit)
    if (sigma == "included") V <- rbind(cbind(V, NA), NA)
  }
  from_package(
    fit, "nls", par, fn, data = data, weights = w,
    data_args = if (is.data.frame(data)) c("data", if (!is.null(w)) "weights"),
    value = NULL, convergence = if (isTRUE(fit$convInfo$isConv)) 0 else 1,
    lower = lower, upper = upper, control = control, vcov_package = V,
    fn_obs = if (is.data.frame(data)) fn_obs,
    note = if (sigma == "profiled") {
      "the Gaussian -log-likelihood with sigma profiled out (sigma^2 = RSS / n); vcov() uses RSS / (n - p) and the Gauss-Newton J'J, so expect ratios near sqrt(n / (n - p))"
    } else {
      "the Gaussian -log-likelihood with sigma included as a parameter"
    }
  )
}

# The parameters of an nls() fit: a list naming each parameter of the formula with the
# positions of its values in coef(fit); from the model's own record of them (nlsModel()'s
# `ind`), else one value per coefficient.
nls_parameters <- function(fit, est) {
  ind <- tryCatch(get("ind", envir = environment(fit$m$setPars), inherits = FALSE),
                  error = function(e) NULL)
  if (is.list(ind) && !is.null(names(ind)) &&
      identical(sort(as.integer(unlist(ind, use.names = FALSE))), seq_along(est))) {
    return(lapply(ind, as.integer))
  }
  stats::setNames(as.list(seq_along(est)), names(est))
}

# ---- glm ---------------------------------------------------------------------------

# -log-likelihood kernels of the supported families (constants are added by check_fit.glm
# so that the value is -logLik(fit)), with the dispersion phi held at its estimate.
glm_kernel <- function(family) {
  obs <- glm_kernel_obs(family)
  if (is.null(obs)) return(NULL)
  function(y, mu, w, phi) sum(obs(y, mu, w, phi))
}

# summary(fit)$dispersion of a gaussian or Gamma glm, as summary.glm() computes it,
# without the rest of the summary (0.2 ms).
glm_dispersion <- function(fit) {
  w <- fit$weights
  r <- fit$df.residual
  if (is.null(w) || is.null(r) || r <= 0) return(summary(fit)$dispersion)
  sum((w * fit$residuals^2)[w > 0]) / r
}

# model.matrix(fit) for a glm: from the model frame it keeps (model = TRUE, the default),
# as model.matrix.lm() does but without rebuilding the frame and dispatching twice, which
# halves the cost (a quarter of a millisecond, a tenth of a small fit's check).
glm_model_matrix <- function(fit) {
  if (is.matrix(fit$x) || !is.data.frame(fit$model) || is.null(fit$terms)) {
    return(stats::model.matrix(fit))
  }
  X <- simple_model_matrix(fit$terms, fit$model)
  if (is.null(X)) X <- stats::model.matrix(fit$terms, fit$model, contrasts.arg = fit$contrasts)
  X
}

# The model matrix when every term is a numeric column of the model frame by itself
# (y ~ x1 + x2, with or without the intercept): those columns, as model.matrix() gives
# them but without row names (tested), at a tenth of its cost. NULL for anything else (factors, interactions,
# transformations made into matrices), which model.matrix() handles.
simple_model_matrix <- function(tt, mf) {
  labels <- attr(tt, "term.labels")
  if (!all(attr(tt, "order") == 1L) || !all(labels %in% names(mf))) return(NULL)
  cols <- unclass(mf)[labels]
  if (!all(vapply(cols, function(v) is.numeric(v) && is.null(attributes(v)), TRUE))) {
    return(NULL)
  }
  n <- nrow(mf)
  icpt <- attr(tt, "intercept") == 1L
  matrix(as.double(c(if (icpt) rep(1, n), unlist(cols, use.names = FALSE))),
         n, length(labels) + icpt,
         dimnames = list(NULL, c(if (icpt) "(Intercept)", labels)))
}

#' @rdname check_fit
#' @export
check_fit.glm <- function(fit, ..., control = list(), vcov_package = TRUE) {
  no_dots("glm", ...)
  fam <- stats::family(fit)
  kern <- glm_kernel(fam$family)
  if (is.null(kern)) {
    hc_abort("unsupported_fit", sprintf(
      "check_fit() supports glm() fits of the binomial, poisson, gaussian and Gamma families, not %s: there is no likelihood to check.",
      fam$family))
  }
  est <- stats::coef(fit)
  ok <- !is.na(est)
  X <- glm_model_matrix(fit)
  if (!all(ok)) X <- X[, ok, drop = FALSE]
  y <- fit$y
  w <- fit$prior.weights
  off <- fit$offset
  if (is.null(off)) off <- numeric(length(y))
  keep <- w > 0
  if (!all(keep)) {
    X <- X[keep, , drop = FALSE]
    y <- y[keep]
    w <- w[keep]
    off <- off[keep]
  }
  linkinv <- fam$linkinv
  phi <- if (fam$family %in% c("binomial", "poisson")) 1 else glm_dispersion(fit)
  fn0 <- function(p, X, y, weights, offset) {
    kern(y, linkinv(drop(X %*% p) + offset), weights, phi)
  }
  # The constant that makes the value -logLik(fit) at the estimate (for gaussian and
  # Gamma with phi estimated, -logLik up to a constant), from the fitted means there.
  mu <- fit$fitted.values
  const <- -as.numeric(stats::logLik(fit)) - kern(y, if (all(keep)) mu else mu[keep], w, phi)
  fn <- function(p, X, y, weights, offset) fn0(p, X, y, weights, offset) + const
  kern_obs <- glm_kernel_obs(fam$family)
  fn_obs <- function(p, X, y, weights, offset) {
    kern_obs(y, linkinv(drop(X %*% p) + offset), weights, phi)
  }
  from_package(
    fit, "glm", est[ok], fn, X = X, y = y, weights = w, offset = off,
    data_args = c("X", "y", "weights", "offset"), value = NULL, fn_obs = fn_obs,
    convergence = if (isTRUE(fit$converged)) 0 else 1, control = control,
    vcov_package = if (vcov_package) stats::vcov(fit)[ok, ok, drop = FALSE],
    note = paste0(
      sprintf("the %s(%s) -log-likelihood", fam$family, fam$link),
      if (phi != 1) sprintf(", dispersion held at summary(fit)$dispersion = %s as vcov() does", fmt(phi, 4)) else "",
      if (any(!ok)) sprintf("; aliased %s left out", paste(names(est)[!ok], collapse = ", ")) else ""
    )
  )
}

# ---- objectives of formula models, per data set ---------------------------------------

# The data frame a formula model was fitted to (its call's `data`, evaluated where its
# formula was made), or NULL.
fit_data <- function(call, fit) {
  d <- tryCatch(eval(call$data, environment(stats::formula(fit))), error = function(e) NULL)
  if (is.data.frame(d)) d
}

# function(data): value0 for the fit's own data (NULL, or identical to data0), build(data)
# for another data set, the last one kept for reuse (bootstrap_se() and coverage_check()
# evaluate each replicate's objective many times).
cached_by_data <- function(data0, value0, build) {
  cache <- new.env(parent = emptyenv())
  cache$data <- data0
  cache$value <- value0
  function(data) {
    if (!is.null(data) && !identical(data, cache$data)) {
      cache$value <- build(data)
      cache$data <- data
    }
    cache$value
  }
}

# ---- TMB and glmmTMB ---------------------------------------------------------------

# TMB keeps its state in the environment of a MakeADFun() object: the last parameters
# evaluated (which obj$report(), obj$simulate() and sdreport() read by default), and the
# best seen with its value (where the inner optimisation of the random effects starts).
# A function() that saves them and returns a function() that puts them back, exactly.
tmb_state <- function(obj) {
  force(obj)
  function() {
    env <- obj$env
    keep <- c("last.par", "last.par1", "last.par2", "last.par.best", "value.best",
              "last.par.ok")
    keep <- keep[vapply(keep, exists, TRUE, envir = env, inherits = FALSE)]
    # copies: TMB's compiled code may write into these vectors in place
    saved <- lapply(mget(keep, envir = env), function(v) if (is.double(v)) v + 0 else v)
    function() {
      for (k in keep) assign(k, saved[[k]], envir = env)
      invisible()
    }
  }
}

# obj$fn and obj$gr at the best fixed-effect parameters TMB has seen.
tmb_problem <- function(obj) {
  best <- obj$env$last.par.best
  random <- obj$env$random
  par <- if (length(random)) best[-random] else best
  if (length(par) != length(obj$par)) par <- obj$par
  names(par) <- names(obj$par)
  list(par = par,
       fn = function(p) obj$fn(p),
       gr = function(p) as.vector(obj$gr(p)))
}

# Called by the generic for a TMB MakeADFun() object (a plain list, no class to dispatch on).
check_fit_tmb <- function(fit, ..., control = list(), lower = NULL, upper = NULL,
                          vcov_package = FALSE) {
  no_dots("TMB", ...)
  # Leave TMB's state as it was, whatever happens.
  state <- tmb_state(fit)
  on.exit(restore(), add = TRUE)
  restore <- state()
  pr <- tmb_problem(fit)
  V <- NULL
  if (vcov_package) {
    if (requireNamespace("TMB", quietly = TRUE)) {
      V <- TMB::sdreport(fit, par.fixed = pr$par)$cov.fixed
    }
  }
  from_package(
    structure(list(), class = "MakeADFun"), "TMB", pr$par, pr$fn, gr = pr$gr,
    value = NULL, lower = lower, upper = upper, control = control, vcov_package = V,
    note = "obj$fn and obj$gr at obj$env$last.par.best (random effects integrated out by TMB)",
    state = state
  )
}

# glmmTMB's readable parameter names, as vcov(fit, full = TRUE) gives them ("(Intercept)",
# "zi~minedno", "d~(Intercept)", "theta_1|site.1"; named by component, "cond1", "zi1",
# ...), built from the model matrices and random-effect terms the fit keeps: vcov() costs
# 2 ms, a tenth of a small fit's check. NULL when the fit has a map or a component whose
# count does not match obj$par (a layout this does not know): the caller asks vcov().
glmmTMB_names <- function(fit) {
  obj <- fit$obj
  d <- obj$env$data
  re <- fit$modelInfo$reStruc
  if (length(obj$env$map) || !is.list(d) || !is.list(re)) return(NULL)
  theta_names <- function(r) {
    if (!length(r)) return(character())
    k <- vapply(r, function(b) as.integer(b$blockNumTheta), 0L)
    paste0("theta_", gsub(" ", "", rep(names(r), k)), ".", sequence(k))
  }
  known <- list(
    beta = c("cond", ""), betazi = c("zi", "zi~"), betad = c("disp", "d~"),
    theta = c("theta", ""), thetazi = c("thetazi", "")
  )
  parts <- list(beta = colnames(d$X), betazi = colnames(d$Xzi), betad = colnames(d$Xd),
                theta = theta_names(re$condReStruc), thetazi = theta_names(re$ziReStruc))
  tmb <- names(obj$par)
  if (!all(tmb %in% names(known))) return(NULL)
  out <- character()
  for (k in unique(tmb)) {
    nn <- parts[[k]]
    if (length(nn) != sum(tmb == k)) return(NULL)
    out <- c(out, stats::setNames(paste0(known[[k]][2L], nn),
                                  paste0(known[[k]][1L], if (length(nn) > 1L) seq_along(nn))))
  }
  if (!identical(unname(tmb), rep(unique(tmb), table(tmb)[unique(tmb)]))) return(NULL)
  out
}

#' @rdname check_fit
#' @export
check_fit.glmmTMB <- function(fit, ..., control = list(), vcov_package = TRUE) {
  no_dots("glmmTMB", ...)
  obj <- fit$obj
  # TMB's state as it was when done, whatever happens
  state <- tmb_state(obj)
  restore <- state()
  on.exit(restore(), add = TRUE)
  pr <- tmb_problem(obj)
  V <- NULL
  nm <- names(pr$par)
  readable <- if (!vcov_package) glmmTMB_names(fit)
  if (is.null(readable)) {
    full <- tryCatch(stats::vcov(fit, full = TRUE), error = function(e) NULL)
    if (!is.null(full) && ncol(full) == length(pr$par)) {
      readable <- colnames(full)
      if (vcov_package) V <- unname(full)
    }
  }
  if (length(readable) == length(pr$par)) {
    comp <- sub("[0-9]+$", "", names(readable))
    if (is.null(names(readable))) comp <- rep("", length(readable))
    dup <- readable %in% readable[duplicated(readable)]
    readable[dup & nzchar(comp)] <- paste0(comp[dup & nzchar(comp)], "~",
                                          readable[dup & nzchar(comp)])
    nm <- readable
  }
  names(pr$par) <- nm
  # The objective as a function of the data too (for bootstrap_se() and
  # coverage_check()): a new TMB object from glmmTMB's own set-up (doFit = FALSE) per
  # data set, kept for reuse by fn and gr.
  data0 <- fit_data(fit$call, fit)
  obj_for <- cached_by_data(data0, obj, function(data) {
    cl <- stats::update(fit, doFit = FALSE, evaluate = FALSE)
    cl$data <- data
    st <- eval(cl, environment(stats::formula(fit)))
    TMB::MakeADFun(data = st$data.tmb, parameters = st$parameters, map = st$map,
                   random = st$randomArg, DLL = "glmmTMB", silent = TRUE)
  })
  fn <- function(p, data = NULL) obj_for(data)$fn(unname(p))
  gr <- function(p, data = NULL) as.vector(obj_for(data)$gr(unname(p)))
  conv <- fit$fit$convergence
  flist <- glmmTMB_flist(fit)
  groups <- mixed_groups(flist, data0)
  top <- groups$top
  from_package(
    fit, "glmmTMB", pr$par, fn, gr = gr, data = data0,
    data_args = if (!is.null(data0)) "data", value = fit$fit$objective,
    convergence = if (is.null(conv)) NA else conv, control = control, vcov_package = V,
    note = "its TMB objective fit$obj (random effects integrated out by the Laplace approximation)",
    state = state,
    fn_obs = if (!is.null(top) && !is.na(top)) glmmTMB_cluster_obs(fit, flist[[top]]),
    obs_unit = if (!is.null(top) && !is.na(top)) sprintf("clusters of %s", top),
    groups = groups,
    simulate = if (!is.null(data0)) {
      mixed_simulator(fit, data0, stats::formula(fit)[[2L]],
                      used_rows(stats::model.frame(fit), data0))
    }
  )
}

# ---- lme4 --------------------------------------------------------------------------

# lme4's deviance function for a fit. lmer: lme4's own getME(fit, "devfun"), which works
# on the fit's own model objects (0.1 ms; building new ones costs 7 ms, most of a small
# fit's check): evaluating it moves the fit's internal state, so check_fit.merMod()
# evaluates it at the estimate again when it is done, which restores that state exactly
# (tested). glmer: built from the fit's own model frame and terms (exported lme4
# constructors: no re-evaluation of the call, no first-stage glmer optimisation, which
# update(fit, devFunOnly = TRUE) would repeat); update() if that fails.
merMod_devfun <- function(fit, glmm) {
  if (!glmm) {
    d <- tryCatch(lme4::getME(fit, "devfun"), error = function(e) NULL)
    if (is.function(d)) return(d)
  }
  rt <- lme4::getME(fit, c("Zt", "theta", "Lambdat", "Lind", "Gp", "lower", "flist", "cnms"))
  X <- lme4::getME(fit, "X")
  d <- tryCatch(if (glmm) {
    d1 <- lme4::mkGlmerDevfun(fit@frame, X, rt, family = stats::family(fit), nAGQ = 1L,
                              control = glmer_defaults())
    lme4::updateGlmerDevfun(d1, rt, nAGQ = 1L)
  } else {
    lme4::mkLmerDevfun(fit@frame, X, rt, REML = lme4::isREML(fit), start = rt$theta)
  }, error = function(e) NULL)
  if (is.null(d) || (glmm && fit@devcomp$dims[["nAGQ"]] > 1L)) {
    d <- eval(stats::update(fit, devFunOnly = TRUE, evaluate = FALSE),
              environment(stats::formula(fit)))
  }
  d
}

# The state of a merMod fit that evaluating its deviance function moves: a function()
# that saves it and returns a function() that puts it back. lme4 updates its model
# objects in place (they are reference classes over compiled code), and evaluating the
# deviance function at theta (glmer: at c(theta, beta)) sets all of them from it
# exactly (tested), so theta is what is saved: a copy, since lme4 overwrites the vector
# in place.
merMod_state <- function(fit, devfun, glmm, beta) {
  force(devfun)
  function() {
    theta <- fit@pp$theta + 0
    function() {
      devfun(if (glmm) c(theta, unname(beta)) else theta)
      invisible()
    }
  }
}

# A REML lmer fit is checked in theta only: what to do for the fixed effects' standard
# errors, as code that runs (the fit's name as the call gave it, when it is a name).
reml_advice <- function(fit_name) {
  nm <- if (is.name(fit_name)) deparse(fit_name) else "fit"
  sprintf(paste(
    "REML has no likelihood for the fixed effects, so only theta is checked; for their",
    "standard errors check the ML fit: check_fit(update(%s, REML = FALSE))%s."), nm,
    if (is.name(fit_name)) "" else ", fit being this lmer() fit")
}

# lme4::glmerControl()'s defaults, as mkGlmerDevfun() uses them, built once a session:
# building them costs 0.7 ms.
glmer_defaults <- local({
  ctrl <- NULL
  function() {
    if (is.null(ctrl)) ctrl <<- lme4::glmerControl()
    ctrl
  }
})

#' @rdname check_fit
#' @export
check_fit.merMod <- function(fit, ..., control = list(), vcov_package = TRUE) {
  fit_name <- substitute(fit)
  no_dots("merMod", ...)
  if (!requireNamespace("lme4", quietly = TRUE)) {
    hc_abort("missing_package", "Checking a merMod fit needs the lme4 package.")
  }
  theta <- lme4::getME(fit, "theta")
  lower <- fit@lower # getME(fit, "lower"), without its argument matching
  glmm <- lme4::isGLMM(fit)
  if (lme4::isNLMM(fit)) {
    hc_abort("unsupported_fit", "check_fit() supports lmer() and glmer() fits, not nlmer().")
  }
  devfun <- merMod_devfun(fit, glmm)
  reml <- lme4::isREML(fit)
  beta <- lme4::fixef(fit)
  # The fit's internal state as it was when done, whatever happens: lmer's devfun is the
  # fit's own, and glmer's shares the fit's Lambdat, which lme4 updates in place.
  state <- merMod_state(fit, devfun, glmm, beta)
  restore <- state()
  on.exit(restore(), add = TRUE)
  nt <- length(theta)
  ib <- nt + seq_along(beta)
  with_beta <- glmm || !reml
  half_deviance <- function(devfun) {
    if (glmm || reml) {
      # glmer's devfun at the second stage takes c(theta, beta); lmer's REML one theta.
      return(function(p) devfun(unname(p)) / 2)
    }
    # lmer's ML deviance profiles beta and sigma out. With sigma^2 = (pwrss + delta) / n
    # profiled only, at beta = b: the deviance plus n log(1 + delta / pwrss), delta =
    # |RX (b - beta(theta))|^2 (Bates et al. 2015, J. Stat. Softw. 67(1), eq. 34-36).
    # The reference-class methods looked up once: `$` on them costs more than the
    # deviance itself on small data.
    rho <- environment(devfun)
    # the observations the deviance uses (rows with NA dropped by lme4)
    nobs <- length(rho$resp$y)
    wrss <- rho$resp$wrss
    sqrL <- rho$pp$sqrL
    RX <- rho$pp$RX
    beta_theta <- rho$pp$beta
    function(p) {
      d <- devfun(unname(p[seq_len(nt)]))
      pw <- wrss() + sqrL(1)
      delta <- sum((RX() %*% (p[ib] - beta_theta(1)))^2)
      (d + nobs * log1p(delta / pw)) / 2
    }
  }
  # The objective as a function of the data too, so that bootstrap_se() and
  # coverage_check() can refit and recompute on new data: the deviance function is built
  # once per data set (update(fit, data = , devFunOnly = TRUE)) and kept for reuse.
  data0 <- fit_data(fit@call, fit)
  nll_for <- cached_by_data(data0, half_deviance(devfun), function(data) {
    cl <- stats::update(fit, devFunOnly = TRUE, evaluate = FALSE)
    cl$data <- data
    d <- suppressMessages(suppressWarnings(eval(cl, environment(stats::formula(fit)))))
    half_deviance(d)
  })
  fn <- function(p, data = NULL) nll_for(data)(p)
  par <- if (with_beta) c(theta, beta) else theta
  if (with_beta) lower <- c(lower, rep(-Inf, length(beta)))
  names(par) <- c(paste0("theta:", names(theta)), if (with_beta) names(beta))
  V <- NULL
  if (vcov_package && with_beta) {
    V <- matrix(NA_real_, length(par), length(par))
    V[ib, ib] <- as.matrix(stats::vcov(fit))
  }
  conv <- fit@optinfo$conv$opt
  flist <- lme4::getME(fit, "flist")
  groups <- mixed_groups(flist, data0)
  top <- groups$top
  # The sandwich by cluster: for an ML lmer fit (glmer's Laplace approximation and REML's
  # criterion have no per-cluster terms written here).
  by_cluster <- !glmm && !reml && !is.na(top)
  from_package(
    fit, "lme4", par, fn, data = data0, data_args = if (!is.null(data0)) "data",
    value = NULL,
    convergence = if (is.null(conv)) NA else conv, lower = lower, control = control,
    vcov_package = V,
    fn_obs = if (by_cluster) lmer_cluster_obs(fit, flist[[top]]),
    obs_unit = if (by_cluster) sprintf("clusters of %s", top),
    groups = groups,
    simulate = if (!is.null(data0)) {
      mixed_simulator(fit, data0, stats::formula(fit)[[2L]],
                      used_rows(fit@frame, data0))
    },
    advice = if (reml && !glmm) reml_advice(fit_name),
    note = paste0(
      if (glmm) "half glmer's deviance function in (theta, beta)" else if (reml)
        "half lmer's REML deviance function in theta (beta and sigma profiled out)" else
        "half lmer's ML deviance in (theta, beta), sigma profiled out",
      "; theta's lower bounds from getME(fit, \"lower\")"
    ),
    state = state
  )
}
