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

# Half the deviance of a merMod fit as a function of its parameters p (theta, then beta
# where they are checked: ib their positions in p, after the nt of theta), from the
# deviance function devfun (merMod_devfun(), or one built for other data).
merMod_half_deviance <- function(devfun, glmm, reml, nt, ib) {
  force(nt)
  force(ib)
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
  half_deviance <- function(devfun) merMod_half_deviance(devfun, glmm, reml, nt, ib)
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
