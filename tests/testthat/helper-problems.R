# Analytic test problems: each returns fn, gr, the analytic Hessian and points to test at.

# Scaled error of an estimate: max |H_hat - H| / sqrt(|H_ii H_jj|).
scaled_err <- function(H_hat, H) {
  d <- sqrt(abs(diag(H)))
  max(abs(as.matrix(H_hat) - H) / outer(d, d))
}

# Pseudo-random number in [-0.5, 0.5) from the bits of p: noise at every scale.
bit_noise <- function(p) {
  b <- as.integer(writeBin(as.double(p), raw()))
  ((sum(b * seq_along(b) * 2654435761) %% 2^31) / 2^31) - 0.5
}

problem_cubic <- function() {
  list(
    fn = function(p) 2 * p[2] * p[1]^4 + 2 * p[2]^3 + 2 * p[1] * p[3]^3,
    gr = function(p) c(8 * p[2] * p[1]^3 + 2 * p[3]^3, 2 * p[1]^4 + 6 * p[2]^2,
                       6 * p[1] * p[3]^2),
    hess = function(p) {
      x <- p[1]; y <- p[2]; z <- p[3]
      matrix(c(24 * x^2 * y, 8 * x^3, 6 * z^2,
               8 * x^3, 12 * y, 0,
               6 * z^2, 0, 12 * x * z), 3, 3)
    },
    par = c(x = 1, y = 2, z = 3)
  )
}

problem_rosenbrock <- function() {
  list(
    fn = function(p) 100 * (p[2] - p[1]^2)^2 + (1 - p[1])^2,
    gr = function(p) c(-400 * p[1] * (p[2] - p[1]^2) - 2 * (1 - p[1]),
                       200 * (p[2] - p[1]^2)),
    hess = function(p) {
      matrix(c(1200 * p[1]^2 - 400 * p[2] + 2, -400 * p[1], -400 * p[1], 200), 2, 2)
    }
  )
}

# Negative log-likelihood of a normal sample in (mu, log sigma).
problem_normal <- function(n = 50, seed = 1) {
  set.seed(seed)
  y <- rnorm(n, 3, 2)
  fn <- function(p) -sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
  hess <- function(p) {
    s2 <- exp(2 * p[2]); r <- y - p[1]
    matrix(c(n / s2, 2 * sum(r) / s2, 2 * sum(r) / s2, 2 * sum(r^2) / s2), 2, 2)
  }
  mle <- c(mu = mean(y), log_sigma = log(sqrt(mean((y - mean(y))^2))))
  list(fn = fn, hess = hess, par = mle, y = y)
}

# Logistic-regression negative log-likelihood with k coefficients.
problem_logistic <- function(k = 4, n = 200, seed = 2) {
  set.seed(seed)
  X <- cbind(1, matrix(rnorm(n * (k - 1)), n))
  beta <- seq(-1, 1, length.out = k) / 2
  y <- rbinom(n, 1, plogis(X %*% beta))
  fn <- function(b) {
    eta <- drop(X %*% b)
    sum(log1p(exp(-abs(eta))) + pmax(eta, 0)) - sum(y * eta)
  }
  gr <- function(b) drop(crossprod(X, plogis(drop(X %*% b)) - y))
  hess <- function(b) {
    p <- plogis(drop(X %*% b))
    crossprod(X * (p * (1 - p)), X)
  }
  fit <- suppressWarnings(glm.fit(X, y, family = binomial()))
  list(fn = fn, gr = gr, hess = hess, par = fit$coefficients, X = X, y = y)
}

# A quadratic whose parameters have natural scales 1e-6 .. 1e6: 1 + z'Az/2, z = p / s.
problem_scaled_quadratic <- function() {
  s <- 10^c(-6, -3, 0, 3, 6)
  A <- matrix(0.3, 5, 5) + diag(0.7, 5)
  list(
    fn = function(p) { z <- p / s; 1 + 0.5 * sum(z * (A %*% z)) },
    hess = function(p) A / outer(s, s),
    scales = s
  )
}

problem_exp_sum <- function() {
  list(fn = function(p) exp(sum(p)), gr = function(p) rep(exp(sum(p)), length(p)),
       hess = function(p) matrix(exp(sum(p)), length(p), length(p)))
}

# exp(sum(p)/2) + sum(p^2), multiplied by (1 + 2e-10 u) with u uniform in [-0.5, 0.5):
# 1e-10 relative noise, as from integrate() or an ODE solver.
problem_noisy <- function(rel = 1e-10) {
  list(
    fn = function(p) (exp(sum(p) / 2) + sum(p^2)) * (1 + 2 * rel * bit_noise(p)),
    hess = function(p) matrix(exp(sum(p) / 2) / 4, length(p), length(p)) + diag(2, length(p))
  )
}

# k-parameter smooth problem with an analytic gradient, for gradient mode at scale.
problem_big <- function(k = 50, seed = 3) {
  set.seed(seed)
  n <- 4 * k
  X <- matrix(rnorm(n * k), n) / sqrt(k)
  y <- rbinom(n, 1, 0.5)
  list(
    fn = function(b) { eta <- drop(X %*% b); sum(log1p(exp(eta))) - sum(y * eta) + sum(b^2) / 2 },
    gr = function(b) drop(crossprod(X, plogis(drop(X %*% b)) - y)) + b,
    hess = function(b) { p <- plogis(drop(X %*% b)); crossprod(X * (p * (1 - p)), X) + diag(k) },
    par = rnorm(k, sd = 0.3)
  )
}

# Two-component normal mixture (unit variances, equal weights): started with equal means,
# optim() stays on mu1 = mu2 by symmetry and "converges" to a saddle point.
problem_mixture <- function(seed = 1) {
  set.seed(seed)
  y <- c(rnorm(100, -2), rnorm(100, 2))
  fn <- function(p, y) -sum(log(0.5 * dnorm(y, p[1]) + 0.5 * dnorm(y, p[2])))
  list(fn = fn, y = y)
}

# y ~ N(mu, 1 + tau2) with a sample variance below 1: the MLE of tau2 is on its bound 0,
# where the Hessian for mu is n.
problem_bound_variance <- function(n = 50, seed = 2) {
  set.seed(seed)
  z <- rnorm(n, 3, 0.8)
  fn <- function(p, z) -sum(dnorm(z, p[1], sqrt(1 + p[2]), log = TRUE))
  list(fn = fn, z = z, n = n)
}

# Least squares with two identical columns lwt and lwt2.
problem_collinear <- function(n = 100, seed = 3) {
  set.seed(seed)
  lwt <- rnorm(n)
  X <- cbind(int = 1, lwt = lwt, lwt2 = lwt, age = rnorm(n))
  y <- drop(X %*% c(1, 0.5, 0.5, -1)) + rnorm(n)
  list(fn = function(b) sum((y - X %*% b)^2) / 2, X = X, y = y)
}

# A smooth convex problem with minimum at m and an analytic Hessian there:
# f = (x - m)' A (x - m) / 2 + sum(w * (cosh(x - m) - 1)), Hessian A + diag(w).
problem_random_convex <- function(k, seed) {
  set.seed(seed)
  Q <- qr.Q(qr(matrix(rnorm(k * k), k)))
  A <- Q %*% diag(10^runif(k, -1, 1)) %*% t(Q)
  s <- 10^runif(k, -1, 0.5)        # parameter scales
  A <- A / outer(s, s)
  w <- runif(k) / s^2
  m <- runif(k, -1, 1) * s
  fn <- function(x) {
    d <- x - m
    drop(crossprod(d, A %*% d)) / 2 + sum(w * (cosh(d) - 1))
  }
  list(fn = fn, par = m, hess = A + diag(w, k))
}

# TRUE when this R runs under valgrind, which emulates long double arithmetic in 64 bits:
# R's sum() and mean() then round differently from a worker process that is not under
# valgrind, so results from the two can differ in the last bits.
under_valgrind <- function() grepl("vgpreload", Sys.getenv("LD_PRELOAD"), fixed = TRUE)

# Bytes allocated while `call()` runs, from Rprofmem() (the scale test and bench): by the
# user's fn/gr (called from C, inside the tryCatch() around .Call, so their stacks run
# "<Anonymous>" "doTryCatch" ... "hessian_fd"), by the C core (.Call is a builtin with no
# frame of its own: stacks that start at that tryCatch, or at check_fit()'s evaluate(),
# which calls hc_hessian; `ncore` vectors), and the rest (hesscheck's R code).
allocations <- function(call) {
  f <- tempfile()
  on.exit(unlink(f))
  Rprofmem(f, threshold = 0)
  res <- call()
  Rprofmem(NULL)
  l <- readLines(f)
  l <- l[grepl("^[0-9]+ *:", l)]
  bytes <- as.numeric(sub(" *:.*", "", l))
  stack <- trimws(sub("^[0-9]+ *:", "", l))
  trycatch <- '"doTryCatch" "tryCatchOne" "tryCatchList" "tryCatch" "hessian_engine"'
  user <- grepl(paste0('"<Anonymous>" ', trycatch), stack, fixed = TRUE) &
    !startsWith(stack, trycatch)
  core <- startsWith(stack, trycatch) | startsWith(stack, '"evaluate" "check_fit"')
  list(res = res, user = sum(bytes[user]), core = sum(bytes[core]), ncore = sum(core),
       rest = sum(bytes[!user & !core]))
}

# Logistic regression of MASS::birthwt (low ~ age + lwt + smoke): the glm and check_fit()
# of its negative log-likelihood at the glm's estimate (profile tests and bench).
birthwt_fit <- function() {
  bw <- MASS::birthwt
  X <- cbind("(Intercept)" = 1, age = bw$age, lwt = bw$lwt, smoke = bw$smoke)
  nll <- function(b, X, y) {
    eta <- drop(X %*% b)
    sum(log1p(exp(-abs(eta))) + pmax(eta, 0)) - sum(y * eta)
  }
  g <- glm(low ~ age + lwt + smoke, binomial, data = bw)
  list(glm = g, x = check_fit(coef(g), nll, X = X, y = bw$low, control = list(refine = TRUE)))
}

# Gamma sample (log shape, log rate) fitted by bbmle::mle2 to 1e-14, and check_fit() of
# the same negative log-likelihood at its estimate (profile tests and bench).
gamma_mle2_fit <- function() {
  set.seed(7)
  y <- rgamma(40, shape = 3, rate = 0.5)
  nll <- function(p, y) -sum(dgamma(y, shape = exp(p[1]), rate = exp(p[2]), log = TRUE))
  m <- bbmle::mle2(function(ls, lr, y) -sum(dgamma(y, shape = exp(ls), rate = exp(lr), log = TRUE)),
                   start = list(ls = 0, lr = 0), data = list(y = y), method = "BFGS",
                   control = list(reltol = 1e-14))
  list(mle2 = m, x = check_fit(bbmle::coef(m), nll, y = y, control = list(refine = TRUE)))
}
