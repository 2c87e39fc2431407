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
