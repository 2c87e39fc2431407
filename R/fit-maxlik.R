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
