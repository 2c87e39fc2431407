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
