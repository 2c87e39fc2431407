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
