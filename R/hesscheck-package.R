#' hesscheck: which Hessian, and which standard errors, can I trust?
#'
#' After a model is fitted by maximum likelihood with [stats::optim()],
#' [stats::nlminb()] or [stats::nlm()], the standard errors come from the inverse
#' Hessian of the negative log-likelihood, and different ways of computing it
#' disagree. hesscheck computes an accurate Hessian with steps chosen per
#' parameter and an error estimate for every element ([hessian_fd()]).
#'
#' * [check_fit()] diagnoses a fit: saddle, maximum, flat directions, not stationary,
#'   parameters on bounds, ill-conditioning and bad scaling, naming the parameters, and
#'   gives standard errors only where they are valid.
#' * [compare_se()] puts the standard errors from hesscheck, optim, numDeriv, the
#'   sandwich and the bootstrap ([bootstrap_se()]) side by side.
#' * [coverage_check()] measures the coverage of the Wald intervals by simulation.
#'
#' The tutorial is the vignette: `vignette("hesscheck", package = "hesscheck")`.
#'
#' @keywords internal
#' @useDynLib hesscheck, .registration = TRUE
"_PACKAGE"
