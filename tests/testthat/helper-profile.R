# The exponential rate's fit of the profile tests (test-profile.R, test-s3-profile.R).

# Exponential rate from y: the profile limits solve t - 1 - log(t) = cutoff / (2 n),
# t = rate / rate_hat.
exp_fit <- function(n = 10, seed = 3) {
  set.seed(seed)
  y <- rexp(n, 2)
  nll <- function(p, y) -sum(dexp(y, p[1], log = TRUE))
  x <- check_fit(c(rate = 1 / mean(y)), nll, y = y, lower = 1e-8)
  h <- function(t) t - 1 - log(t) - stats::qchisq(0.95, 1) / (2 * n)
  exact <- c(stats::uniroot(h, c(1e-6, 1), tol = 1e-14)$root,
             stats::uniroot(h, c(1, 100), tol = 1e-14)$root) / mean(y)
  list(x = x, y = y, nll = nll, exact = exact)
}
