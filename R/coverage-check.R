#' Coverage of the Wald intervals by simulation
#'
#' Simulates data sets from the fitted model at the estimate, refits each, computes the
#' Hessian-based standard errors there with [hessian_fd()], and reports per parameter the
#' empirical coverage of the Wald intervals (with its Monte-Carlo error) and the ratio of
#' the mean standard error to the standard deviation of the estimates: the simulation
#' study that tells whether these standard errors deserve trust.
#'
#' @inheritParams bootstrap_se
#' @param simulate `function(par, data)` returning a data set simulated from the model at
#'   `par`.
#' @param level Nominal coverage of the intervals.
#' @return An object of class `"hesscheck_coverage"`: a list with `table` (a data frame
#'   per parameter: `coverage`, `mc_error`, `se_ratio` = mean SE / SD of the estimates,
#'   `bias`), `estimates` and `se` (`R` x `n` matrices), `status`, `messages`, `level`,
#'   `R`, `seed`, `used`, `force`. A replicate whose `simulate` or refit fails has status
#'   `"failed"`; one whose Hessian cannot be computed or inverted has `NA` SEs; neither
#'   counts towards the coverage (`used` is the number that do). Failures are handled as
#'   in [bootstrap_se()] (see its section "Failures").
#' @examples
#' set.seed(1)
#' y <- rnorm(40, 10, 2)
#' nll <- function(p, y) -sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
#' mle <- c(mu = mean(y), log_sd = log(sqrt(mean((y - mean(y))^2))))
#' x <- check_fit(mle, nll, y = y)
#' sim <- function(par, data) rnorm(length(data), par[1], exp(par[2]))
#' coverage_check(x, "y", sim, R = 50, seed = 1)
#' @export
coverage_check <- function(x, data, simulate, R = 200, level = 0.95, refit = NULL,
                           method = NULL, control = list(),
                           parallel = c("no", "multicore", "snow", "future"), ncpus = 1L,
                           cl = NULL, seed = NULL, progress = interactive(),
                           force = FALSE) {
  args <- check_replicate_args(x, data, R, parallel, force, progress)
  require_usable_verdict(x, force, "coverage_check")
  R <- args$R
  dat <- args$dat
  parallel <- args$parallel
  simulate <- check_function(simulate, "simulate")
  check_level(level)
  refit <- make_refit(x, data, refit, method, control)
  par <- x$par
  n <- length(par)
  pr <- x$problem
  one <- function(r) {
    d <- generated(simulate, "simulate", par, dat)
    if (inherits(d, "hesscheck_failed")) return(d)
    fitted <- refit(d, par)
    if (inherits(fitted, "hesscheck_failed")) return(fitted)
    dots <- with_data(pr$dots, if (is.null(data)) pr$data else data, d)
    # A Hessian that cannot be computed at the refitted estimate leaves its SEs NA: the
    # replicate then does not count towards the coverage.
    se <- catch_user({
      H <- hessian_fd(checked_fn(pr, dots), fitted$value, lower = pr$lower,
                      upper = pr$upper)
      sqrt(diag(chol2inv(chol(as.matrix(H)))))
    }, function(e) rep(NA_real_, n))
    fitted$value <- c(fitted$value, se)
    fitted
  }
  out <- run_replicates(one, R, 2L * n, parallel, ncpus, cl, seed, progress)
  est <- out$values[, seq_len(n), drop = FALSE]
  se <- out$values[, n + seq_len(n), drop = FALSE]
  colnames(est) <- colnames(se) <- names(par)
  ok <- out$status == "ok" & stats::complete.cases(se)
  q <- stats::qnorm(1 - (1 - level) / 2)
  covered <- abs(est[ok, , drop = FALSE] - rep(par, each = sum(ok))) <=
    q * se[ok, , drop = FALSE]
  cov <- colMeans(covered)
  table <- data.frame(
    coverage = cov, mc_error = sqrt(cov * (1 - cov) / sum(ok)),
    se_ratio = colMeans(se[ok, , drop = FALSE]) / apply(est[ok, , drop = FALSE], 2L, stats::sd),
    bias = colMeans(est[ok, , drop = FALSE]) - par,
    row.names = names(par)
  )
  structure(list(table = table, estimates = est, se = se, status = out$status,
                 messages = out$messages, level = level, R = R, seed = out$seed,
                 used = sum(ok), force = force, verdict = x$verdict),
            class = "hesscheck_coverage")
}
