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
