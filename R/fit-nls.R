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
  data <- nls_data(fit, form, ind)
  w <- fit$weights
  resid <- nls_residuals(form, ind)
  n <- length(fit$m$resid())
  np <- length(est)
  fn <- nls_nll(resid, sigma)
  # Per observation: with sigma^2 held at RSS / n at the estimate (the profiled sigma's
  # value).
  s2 <- stats::deviance(fit) / n
  fn_obs <- nls_nll_obs(resid, sigma, s2)
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

# The data of nls() fit `fit` as it used them: nls() keeps the variables of the formula
# `form` (those not parameters, named in `ind`), after `subset` and `na.action`, in its
# model's environment (the call's data, evaluated again, would bring back the rows the
# fit left out). Returns them as rows_frame() gives them.
nls_data <- function(fit, form, ind) {
  vars <- setdiff(all.vars(form), names(ind))
  menv <- fit$m$getEnv()
  data <- mget(vars, envir = menv, inherits = TRUE,
               ifnotfound = list(NULL))
  data <- data[!vapply(data, is.null, TRUE)]
  rows_frame(data)
}

# The residuals of the nls() formula `form` as a function(p, data, weights) of the
# parameter vector p (its parameters' positions in `ind`, nls_parameters()), weighted by
# sqrt(weights) when given.
nls_residuals <- function(form, ind) {
  force(ind)
  env <- environment(form)
  lhs <- form[[2L]]
  rhs <- form[[3L]]
  function(p, data, weights) {
    e <- list2env(c(lapply(ind, function(i) unname(p[i])), as.list(data)), parent = env)
    r <- eval(lhs, e) - eval(rhs, e)
    if (is.null(weights)) r else sqrt(weights) * r
  }
}

# The Gaussian -log-likelihood of an nls() fit as a function(p, data, weights) from its
# residuals resid (nls_residuals()), with sigma "profiled" out or "included" last in p.
nls_nll <- function(resid, sigma) {
  force(resid)
  if (sigma == "profiled") {
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
}

# The terms per observation of nls_nll(), with sigma^2 held at s2 = RSS / n at the
# estimate when profiled: there they sum to the objective and their derivatives to its
# gradient (that of the profile: d/dp n/2 log RSS = (d/dp RSS) / (2 sigma^2)).
nls_nll_obs <- function(resid, sigma, s2) {
  force(resid)
  force(s2)
  if (sigma == "profiled") {
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
