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
#' @examples
#' # A normal sample fitted by optim(): is the estimate a minimum, and are its
#' # standard errors right? (Analytic SEs: sd / sqrt(n) and 1 / sqrt(2 n).)
#' set.seed(1)
#' y <- rnorm(50, 10, 2)
#' nll <- function(p, y) -sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
#' fit <- optim(c(mu = 5, log_sd = 0), nll, y = y, method = "BFGS", hessian = TRUE)
#' x <- check_fit(fit, nll, y = y)
#' x
#' compare_se(x)
#' @keywords internal
#' @useDynLib hesscheck, .registration = TRUE
"_PACKAGE"
