# A normal sample with its MLE, its check_fit() result and the analytic SEs of
# (mu, log sd): sigma / sqrt(n) and 1 / sqrt(2 n).
normal_fit <- function(n = 100, seed = 1) {
  set.seed(seed)
  y <- rnorm(n, 10, 2)
  nll <- function(p, y) -sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
  mle <- c(mu = mean(y), log_sd = log(sqrt(mean((y - mean(y))^2))))
  list(y = y, nll = nll, x = check_fit(mle, nll, y = y), mle = mle,
       se = c(exp(mle[[2]]) / sqrt(n), 1 / sqrt(2 * n)))
}

# A zero-inflated Poisson fitted to plain Poisson counts: the zero-inflation pi0 is on its
# lower bound 0, where check_fit() gives it no standard error; with its simulator.
zip_problem <- function(n = 200, seed = 4) {
  set.seed(seed)
  y <- rpois(n, 2)
  nll <- function(p, y) {
    pi0 <- p[1]
    lam <- exp(p[2])
    -sum(ifelse(y == 0, log(pi0 + (1 - pi0) * exp(-lam)),
                log(1 - pi0) + dpois(y, lam, log = TRUE)))
  }
  fit <- optim(c(pi0 = 0.1, loglam = 0), nll, y = y, method = "L-BFGS-B",
               lower = c(0, -Inf), upper = c(1, Inf))
  simulate <- function(par, data) {
    n <- length(data)
    ifelse(stats::runif(n) < par[1], 0, stats::rpois(n, exp(par[2])))
  }
  list(y = y, nll = nll, simulate = simulate,
       x = check_fit(fit, nll, y = y, lower = c(0, -Inf), upper = c(1, Inf)))
}
