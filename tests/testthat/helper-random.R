# A seeded generator of random problems with exact Hessians, for the calibration property
# of hessian_fd()'s error bounds (issue 21): the bounds are tested on problems drawn anew
# on every run, not on a suite that was watched while the engine was tuned.
#
# random_problem(kind, seed) draws one problem of a kind; rp_draw(count, seed) draws
# `count` problems, kinds in turn, problem k from seed + k (so a failing problem is
# replayed alone with random_problem(kind, seed + k)). A problem is a list with `kind`,
# `seed`, `name`, `fn`, `gr` (NULL where there is none), `par`, `hessian` (exact: from
# stats::deriv3() or analytic), `lower`, `upper`, and `noisy` (the truth is the Hessian
# of the smooth part of fn), and, for the two kinds whose noise no probe can see, `unseen`:
# its level in fn's values (an oscillation's amplitude, which a stencil whose step is
# nearly a multiple of the period sees as a slow curve; the rounding of the large terms a
# shifted objective cancels). rp_score() measures one hessian_fd() result against the
# truth; rp_summary() tabulates the scores per kind.

# Runs expr with the random-number stream seeded by seed, restoring the caller's stream.
rp_with_seed <- function(seed, expr) {
  old <- if (exists(".Random.seed", globalenv(), inherits = FALSE))
    get(".Random.seed", globalenv()) else NULL
  on.exit(if (is.null(old)) rm(".Random.seed", envir = globalenv()) else
    assign(".Random.seed", old, globalenv()))
  set.seed(seed)
  expr
}

# A sum over observations of an expression in the parameters `pn` and data: fn, gr and
# the exact Hessian from stats::deriv3() (the data are found in the functions'
# environment). `scale`: fn multiplied by it; `offset`: added to fn.
rp_from_expr <- function(expr, pn, data, par, scale = 1, offset = 0) {
  d3 <- stats::deriv3(expr, pn, function.arg = pn)
  environment(d3) <- list2env(data, parent = baseenv())
  at <- function(p) do.call(d3, as.list(unname(p)))
  p <- length(pn)
  fn <- function(p) scale * sum(at(p)) + offset
  gr <- function(p) scale * colSums(matrix(attr(at(p), "gradient"), ncol = length(p)))
  v <- at(par)
  hs <- attr(v, "hessian")
  H <- scale * matrix(apply(array(hs, c(length(v), p, p)), c(2, 3), sum), p)
  list(fn = fn, gr = gr, hessian = H)
}

# Deterministic pseudo-random noise in [-0.5, 0.5) from the bits of p (the same p gives
# the same value: noise a smooth probe cannot average away).
rp_hash_noise <- function(p, j = 0) {
  b <- as.integer(writeBin(as.double(p), raw()))
  ((sum(b * seq_along(b)) + j) * 0.6180339887498949) %% 1 - 0.5
}

rp_logu <- function(lo, hi) 10^stats::runif(1, lo, hi)

# Random scales of the parameters: fn(p) = base(p / s), so H = H_base / (s s').
rp_rescale <- function(pb, s) {
  fn0 <- pb$fn
  gr0 <- pb$gr
  pb$fn <- function(p) fn0(p / s)
  pb$gr <- if (!is.null(gr0)) function(p) gr0(p / s) / s
  pb$par <- pb$par * s
  pb$hessian <- pb$hessian / outer(s, s)
  pb
}

rp_kinds <- list(
  # Likelihoods -------------------------------------------------------------------------
  logistic = function() {
    k <- sample(2:6, 1); m <- sample(40:300, 1)
    X <- cbind(1, matrix(stats::rnorm(m * (k - 1)), m))
    b <- stats::rnorm(k, 0, 0.5)
    y <- stats::rbinom(m, 1, stats::plogis(drop(X %*% b)))
    par <- b + stats::rnorm(k, 0, 0.2)
    fn <- function(b) { eta <- drop(X %*% b); sum(log1p(exp(eta)) - y * eta) }
    gr <- function(b) drop(crossprod(X, stats::plogis(drop(X %*% b)) - y))
    w <- stats::plogis(drop(X %*% par))
    list(fn = fn, gr = gr, par = par, hessian = crossprod(X * (w * (1 - w)), X))
  },
  poisson = function() {
    k <- sample(2:5, 1); m <- sample(30:200, 1)
    X <- cbind(1, matrix(stats::runif(m * (k - 1), -1, 1), m))
    b <- c(stats::runif(1, -1, 3), stats::rnorm(k - 1, 0, 0.5))
    y <- stats::rpois(m, exp(drop(X %*% b)))
    fn <- function(b) { eta <- drop(X %*% b); sum(exp(eta) - y * eta) }
    gr <- function(b) drop(crossprod(X, exp(drop(X %*% b)) - y))
    par <- b + stats::rnorm(k, 0, 0.05)
    list(fn = fn, gr = gr, par = par, hessian = crossprod(X * exp(drop(X %*% par)), X))
  },
  normal_logsd = function() {
    m <- sample(10:200, 1); mu <- stats::rnorm(1, 0, rp_logu(0, 4)); s <- rp_logu(-3, 3)
    y <- stats::rnorm(m, mu, s)
    par <- c(mu + stats::rnorm(1, 0, s / 5), log(s) + stats::rnorm(1, 0, 0.1))
    rp_from_expr(quote(ls + 0.5 * (y - mu)^2 * exp(-2 * ls)), c("mu", "ls"),
                 list(y = y), par) |> c(list(par = par))
  },
  gamma_log = function() {
    m <- sample(10:200, 1); a <- rp_logu(-0.5, 1.5); r <- rp_logu(-3, 3)
    y <- stats::rgamma(m, a, r)
    par <- log(c(a, r)) + stats::rnorm(2, 0, 0.1)
    fn <- function(p) -sum(stats::dgamma(y, exp(p[1]), exp(p[2]), log = TRUE))
    gr <- function(p) {
      a <- exp(p[1]); r <- exp(p[2])
      c(-a * sum(p[2] + log(y) - digamma(a)), -sum(a - r * y))
    }
    a <- exp(par[1]); r <- exp(par[2])
    H <- matrix(c(-a * sum(par[2] + log(y) - digamma(a)) + m * a^2 * trigamma(a), -m * a,
                  -m * a, r * sum(y)), 2)
    list(fn = fn, gr = gr, par = par, hessian = H)
  },
  weibull = function() {
    m <- sample(20:200, 1); k <- rp_logu(-0.3, 0.7); lam <- rp_logu(-2, 3)
    y <- stats::rweibull(m, k, lam)
    par <- c(log(k), log(lam)) + stats::rnorm(2, 0, 0.05)
    rp_from_expr(quote(-lk + ll - (exp(lk) - 1) * (log(y) - ll) + (y / exp(ll))^exp(lk)),
                 c("lk", "ll"), list(y = y), par) |> c(list(par = par))
  },
  mixture = function() {
    m <- sample(50:200, 1); d <- stats::runif(1, 1, 4)
    y <- c(stats::rnorm(m %/% 2, -d / 2), stats::rnorm(m - m %/% 2, d / 2))
    par <- c(-d / 2, d / 2, 0) + stats::rnorm(3, 0, 0.1)
    rp_from_expr(quote(-log(0.5 * exp(-0.5 * (y - m1)^2 * exp(-2 * ls)) +
                             0.5 * exp(-0.5 * (y - m2)^2 * exp(-2 * ls))) + ls),
                 c("m1", "m2", "ls"), list(y = y), par) |> c(list(par = par))
  },
  # Scales and offsets ------------------------------------------------------------------
  quadratic_scaled = function() {
    k <- sample(2:7, 1)
    Q <- qr.Q(qr(matrix(stats::rnorm(k * k), k)))
    A <- Q %*% diag(10^stats::runif(k, -3, 3), k) %*% t(Q)
    c0 <- stats::rnorm(k)
    s <- 10^stats::runif(k, -6, 6)
    pb <- list(fn = function(p) 0.5 * sum((p - c0) * (A %*% (p - c0))) + sum(cos(p)),
               gr = function(p) drop(A %*% (p - c0)) - sin(p),
               par = stats::rnorm(k), hessian = NULL)
    pb$hessian <- A - diag(cos(pb$par), k)
    rp_rescale(pb, s)
  },
  scaled_objective = function() {
    k <- sample(2:5, 1); m <- 100
    X <- cbind(1, matrix(stats::rnorm(m * (k - 1)), m))
    y <- stats::rbinom(m, 1, 0.4)
    fs <- rp_logu(-6, 6)
    q <- stats::rnorm(k, 0, 0.3)
    f0 <- function(b) { eta <- drop(X %*% b); sum(log1p(exp(eta)) - y * eta) }
    off <- sample(c(0, 1, -1), 1) * rp_logu(-2, 6) * f0(q)
    w <- stats::plogis(drop(X %*% q))
    list(fn = function(b) fs * f0(b) + off,
         gr = function(b) fs * drop(crossprod(X, stats::plogis(drop(X %*% b)) - y)),
         par = q, hessian = fs * crossprod(X * (w * (1 - w)), X))
  },
  shifted_near_zero = function() {
    # fn shifted to nearly 0 at par, with mixed parameter scales (issue 21, reproducer 4)
    k <- sample(3:5, 1); m <- 200
    X <- cbind(1, matrix(stats::rnorm(m * (k - 1)), m))
    y <- stats::rbinom(m, 1, 0.4)
    s <- 10^stats::runif(k, -4, 4); q <- stats::rnorm(k, 0, 0.3)
    f0 <- function(b) { eta <- drop(X %*% (b / s)); sum(log1p(exp(eta)) - y * eta) }
    c0 <- f0(s * q) - sample(c(0, 1e-12, 1e-8), 1)
    w <- stats::plogis(drop(X %*% q))
    list(fn = function(b) f0(b) - c0,
         gr = function(b) drop(crossprod(X, stats::plogis(drop(X %*% (b / s))) - y)) / s,
         par = s * q, hessian = crossprod(X * (w * (1 - w)), X) / outer(s, s),
         unseen = 4 * .Machine$double.eps * abs(c0))
  },
  huge_magnitude = function() {
    k <- sample(2:5, 1); a <- 10^stats::runif(1, 100, 300) * sample(c(1, 1e-3), 1)
    w <- stats::runif(k, 0.5, 2)
    par <- stats::rnorm(k)
    list(fn = function(p) a * sum(w * p^2) + a * p[1] * p[2],
         gr = function(p) { g <- a * 2 * w * p; g[1] <- g[1] + a * p[2]; g[2] <- g[2] + a * p[1]; g },
         par = par,
         hessian = { H <- diag(2 * a * w, k); H[1, 2] <- H[2, 1] <- a; H })
  },
  tiny_magnitude = function() {
    k <- sample(2:4, 1); a <- 10^stats::runif(1, -300, -100)
    par <- stats::rnorm(k)
    list(fn = function(p) a * sum(exp(p)), gr = function(p) a * exp(p), par = par,
         hessian = diag(a * exp(par), k))
  },
  # Tiny parameters: the function changes on a scale far below max(|x|, 1) -------------
  rational_pole = function() {
    # f = c / D(p), D = 1 + p1 x + p2 x^3 near its pole (issue 21, reproducer 1)
    x <- rp_logu(1, 5); cc <- rp_logu(-8, 2)
    dist <- rp_logu(-3, -0.3)              # D at par
    p2 <- -stats::runif(1, 0.1, 0.9) * (1 - dist) / x^3
    p1 <- (dist - 1 - p2 * x^3) / x
    par <- c(p1, p2)
    D <- function(p) 1 + p[1] * x + p[2] * x^3
    v <- c(x, x^3)
    list(fn = function(p) cc / D(p), gr = function(p) -cc * v / D(p)^2, par = par,
         hessian = 2 * cc * outer(v, v) / D(par)^3)
  },
  hahn_like = function() {
    # NIST Hahn1's rational model (cubic over cubic) with its scale of coefficients
    x <- sort(stats::runif(sample(20:60, 1), 0, 800))
    b <- c(1.08, -0.123, 4.09e-3, -1.43e-6, -5.76e-3, 2.41e-4, -1.23e-7)
    b <- b * exp(stats::rnorm(7, 0, 0.05))
    y <- (b[1] + b[2] * x + b[3] * x^2 + b[4] * x^3) /
      (1 + b[5] * x + b[6] * x^2 + b[7] * x^3) + stats::rnorm(length(x), 0, 0.01)
    par <- b * exp(stats::rnorm(7, 0, 0.01))
    pn <- paste0("b", 1:7)
    rp_from_expr(quote((y - (b1 + b2 * x + b3 * x^2 + b4 * x^3) /
                          (1 + b5 * x + b6 * x^2 + b7 * x^3))^2), pn,
                 list(x = x, y = y), par) |> c(list(par = par))
  },
  rate_tiny = function() {
    t <- seq(0, rp_logu(2, 6), length.out = sample(10:40, 1))
    k <- rp_logu(-7, -2) / max(t) * 50
    a <- rp_logu(-2, 3)
    y <- a * exp(-k * t) * (1 + stats::rnorm(length(t), 0, 0.01))
    par <- c(a, k) * exp(stats::rnorm(2, 0, 0.05))
    rp_from_expr(quote((y - a * exp(-k * t))^2), c("a", "k"), list(t = t, y = y), par) |>
      c(list(par = par))
  },
  biexponential = function() {
    t <- seq(0, 20, length.out = sample(15:50, 1))
    th <- c(rp_logu(-1, 1), rp_logu(-2, 0), rp_logu(-1, 1), rp_logu(-4, -2))
    y <- th[1] * exp(-th[2] * t) + th[3] * exp(-th[4] * t) + stats::rnorm(length(t), 0, 0.01)
    par <- th * exp(stats::rnorm(4, 0, 0.02))
    rp_from_expr(quote((y - a1 * exp(-k1 * t) - a2 * exp(-k2 * t))^2),
                 c("a1", "k1", "a2", "k2"), list(t = t, y = y), par) |> c(list(par = par))
  },
  exp_steep = function() {
    # exp(c p) with a steep rate at a small p (issue 21, reproducer 2)
    k <- sample(2:4, 1); cc <- rp_logu(1, 5)
    par <- stats::runif(k, -2, 2) / cc
    list(fn = function(p) sum(exp(cc * p)), gr = function(p) cc * exp(cc * p), par = par,
         hessian = diag(cc^2 * exp(cc * par), k))
  },
  trig_fast = function() {
    k <- sample(2:4, 1); w <- 10^stats::runif(k, -2, 4)
    par <- stats::runif(k, -1, 1) * 3 / w
    A <- matrix(stats::rnorm(k * k, 0, 0.1), k); A <- A + t(A)
    fn <- function(p) sum(cos(w * p)) + sum((w * p) * (A %*% (w * p))) / 2
    gr <- function(p) -w * sin(w * p) + w * drop(A %*% (w * p))
    list(fn = fn, gr = gr, par = par,
         hessian = diag(-w^2 * cos(w * par), k) + A * outer(w, w))
  },
  # Collinear and zero-curvature directions ----------------------------------------------
  collinear = function() {
    k <- sample(3:6, 1); m <- sample(30:200, 1)
    z <- stats::rnorm(m)
    eps <- rp_logu(-8, -2)
    X <- cbind(1, z, matrix(z + stats::rnorm(m * (k - 2), 0, eps), m))
    b <- stats::rnorm(k)
    y <- drop(X %*% b) + stats::rnorm(m)
    par <- b + stats::rnorm(k, 0, 0.1)
    list(fn = function(b) sum((y - X %*% b)^2) / 2,
         gr = function(b) -drop(crossprod(X, y - X %*% b)),
         par = par, hessian = crossprod(X))
  },
  ridge_sum = function() {
    # fn depends on p1 + p2 only (a zero eigenvalue), plus identified others
    k <- sample(3:5, 1)
    par <- stats::rnorm(k); cc <- stats::runif(k, 0.5, 3)
    fn <- function(p) exp(p[1] + p[2]) + sum(cc[-(1:2)] * p[-(1:2)]^2) + (p[1] + p[2]) * p[3]
    gr <- function(p) {
      e <- exp(p[1] + p[2])
      g <- c(e + p[3], e + p[3], 2 * cc[-(1:2)] * p[-(1:2)])
      g[3] <- g[3] + p[1] + p[2]
      g
    }
    e <- exp(par[1] + par[2])
    H <- diag(c(e, e, 2 * cc[-(1:2)]), k)
    H[1, 2] <- H[2, 1] <- e
    H[1, 3] <- H[3, 1] <- H[2, 3] <- H[3, 2] <- 1
    list(fn = fn, gr = gr, par = par, hessian = H)
  },
  product = function() {
    # dist ~ a * b * speed: a direction along which fn depends on the product only
    x <- stats::runif(sample(20:60, 1), 1, 25)
    a <- stats::runif(1, 0.5, 3); b <- stats::runif(1, 0.5, 3)
    y <- a * b * x + stats::rnorm(length(x), 0, 5)
    par <- c(a, b, log(5)) * exp(stats::rnorm(3, 0, 0.02))
    rp_from_expr(quote((y - a * b * x)^2 * exp(-2 * ls) / 2 + ls), c("a", "b", "ls"),
                 list(x = x, y = y), par) |> c(list(par = par))
  },
  quartic_flat = function() {
    k <- sample(2:4, 1)
    par <- stats::rnorm(k) * rp_logu(-4, 0)
    list(fn = function(p) sum(p^4) + p[1]^2 * p[2]^2,
         gr = function(p) { g <- 4 * p^3; g[1] <- g[1] + 2 * p[1] * p[2]^2
                            g[2] <- g[2] + 2 * p[2] * p[1]^2; g },
         par = par,
         hessian = { H <- diag(12 * par^2, k)
                     H[1, 1] <- H[1, 1] + 2 * par[2]^2; H[2, 2] <- H[2, 2] + 2 * par[1]^2
                     H[1, 2] <- H[2, 1] <- 4 * par[1] * par[2]; H })
  },
  rosenbrock_scaled = function() {
    s <- 10^stats::runif(2, -4, 4); a <- rp_logu(0, 3)
    p0 <- c(stats::runif(1, -1.5, 1.5), stats::runif(1, -0.5, 1.5))
    pb <- list(fn = function(p) a * (p[2] - p[1]^2)^2 + (1 - p[1])^2,
               gr = function(p) c(-4 * a * p[1] * (p[2] - p[1]^2) - 2 * (1 - p[1]),
                                  2 * a * (p[2] - p[1]^2)),
               par = p0,
               hessian = matrix(c(12 * a * p0[1]^2 - 4 * a * p0[2] + 2, -4 * a * p0[1],
                                  -4 * a * p0[1], 2 * a), 2))
    rp_rescale(pb, s)
  },
  # Noise (the truth is the Hessian of the smooth part) ----------------------------------
  noise_hash = function() {
    k <- sample(2:5, 1); lev <- rp_logu(-12, -5)
    A <- crossprod(matrix(stats::rnorm(k * k), k)) + diag(k)
    par <- stats::rnorm(k)
    fs <- rp_logu(-2, 3)
    list(fn = function(p) fs * (0.5 * sum(p * (A %*% p)) + sum(exp(p / 3)) +
                                  lev * rp_hash_noise(p)),
         gr = NULL, par = par, hessian = fs * (A + diag(exp(par / 3) / 9, k)), noisy = TRUE)
  },
  noise_signif = function() {
    k <- sample(2:5, 1); digits <- sample(6:12, 1)
    A <- crossprod(matrix(stats::rnorm(k * k), k)) + diag(k)
    par <- stats::rnorm(k)
    off <- rp_logu(0, 3)
    list(fn = function(p) signif(off + 0.5 * sum(p * (A %*% p)) + sum(sin(p)), digits),
         gr = NULL, par = par, hessian = A - diag(sin(par), k), noisy = TRUE)
  },
  noise_oscillation = function() {
    # a smooth oscillation whose period lies between a probe's spacing and a step
    k <- sample(2:4, 1); per <- rp_logu(-7, -3); amp <- rp_logu(-12, -8)
    A <- crossprod(matrix(stats::rnorm(k * k), k)) + diag(k)
    par <- stats::rnorm(k)
    osc <- function(p) amp * sum(sin(2 * pi * p / per + seq_along(p)))
    # The truth is the smooth part's A; where the steps resolve the oscillation (its period
    # above them), fn's own Hessian, A plus the oscillation's curvature, is right too.
    osc2 <- -amp * (2 * pi / per)^2 * sin(2 * pi * par / per + seq_along(par))
    list(fn = function(p) 0.5 * sum(p * (A %*% p)) + osc(p), gr = NULL, par = par,
         hessian = A, hessian_alt = A + diag(osc2, k), noisy = TRUE, unseen = amp)
  },
  noise_random = function() {
    # fn re-drawn at every call, as a simulated likelihood re-seeded each time
    k <- sample(2:4, 1); lev <- rp_logu(-10, -4)
    A <- crossprod(matrix(stats::rnorm(k * k), k)) + diag(k)
    par <- stats::rnorm(k)
    list(fn = function(p) 0.5 * sum(p * (A %*% p)) + lev * stats::rnorm(1), gr = NULL,
         par = par, hessian = A, noisy = TRUE)
  },
  noise_gr = function() {
    # noise inside gr only (issue 21, reproducer 5); f is smooth
    k <- sample(2:4, 1); lev <- rp_logu(-8, -3); fs <- rp_logu(0, 3)
    par <- rep(log(2), k) + stats::rnorm(k, 0, 0.3)
    list(fn = function(p) fs * sum(exp(p) - 2 * p),
         gr = function(p) fs * (exp(p) - 2) + lev * fs * vapply(seq_along(p), rp_hash_noise, 0, p = p),
         par = par, hessian = diag(fs * exp(par), k), noisy = TRUE, gr_noisy = TRUE)
  },
  # Bounds ------------------------------------------------------------------------------
  on_bound = function() {
    k <- sample(2:4, 1); m <- 100
    X <- cbind(1, matrix(stats::rnorm(m * (k - 1)), m))
    y <- stats::rpois(m, 2)
    par <- c(log(2), stats::rnorm(k - 1, 0, 0.2))
    fn <- function(b) { eta <- drop(X %*% b); sum(exp(eta) - y * eta) }
    gr <- function(b) drop(crossprod(X, exp(drop(X %*% b)) - y))
    gap <- sample(c(0, 1e-10, 1e-4), k, replace = TRUE) * (abs(par) + 1)
    side <- sample(c(-1, 1), k, replace = TRUE)
    lower <- ifelse(side < 0, par - gap, -Inf)
    upper <- ifelse(side > 0, par + gap, Inf)
    list(fn = fn, gr = gr, par = par, lower = lower, upper = upper,
         hessian = crossprod(X * exp(drop(X %*% par)), X))
  }
)

# One problem of a kind, drawn with seed.
random_problem <- function(kind, seed) {
  pb <- rp_with_seed(seed, rp_kinds[[kind]]())
  n <- length(pb$par)
  pb$par <- as.double(pb$par)
  pb$hessian <- unname(as.matrix(pb$hessian))
  if (is.null(pb$lower)) pb$lower <- rep(-Inf, n)
  if (is.null(pb$upper)) pb$upper <- rep(Inf, n)
  if (is.null(pb$noisy)) pb$noisy <- FALSE
  if (is.null(pb$gr_noisy)) pb$gr_noisy <- FALSE
  if (is.null(pb$unseen)) pb$unseen <- 0
  pb$kind <- kind
  pb$seed <- seed
  pb$name <- sprintf("%s[%d]", kind, seed)
  pb
}

# `count` problems, the kinds in turn (problem k has seed + k).
rp_draw <- function(count, seed, kinds = names(rp_kinds)) {
  lapply(seq_len(count), function(k) random_problem(kinds[(k - 1) %% length(kinds) + 1], seed + k))
}

# The size of element (i, j) of a true Hessian H: max(|H_ij|, sqrt(d_i d_j)),
# d_i = max(|H_ii|, 1e-8 max |H_kk|) (the scale of hessian_fd()'s unresolved test).
rp_scale <- function(H) {
  a <- abs(diag(H))
  d <- if (!any(a > 0)) rep(1, length(a)) else pmax(a, 1e-8 * max(a))
  sqrt(d) %o% sqrt(d)   # not sqrt(d %o% d): no overflow or underflow on the way
}

# hessian_fd() on a problem in mode "f" or "gr" (with its warnings kept): the result, or
# the error.
rp_run <- function(pb, mode = c("f", "gr")) {
  mode <- match.arg(mode)
  warned <- FALSE
  # (a fn that draws random numbers draws the same ones on a replay)
  res <- rp_with_seed(pb$seed, tryCatch(withCallingHandlers(
    hessian_fd(pb$fn, pb$par, gr = if (mode == "gr") pb$gr, lower = pb$lower,
               upper = pb$upper, control = list(trace = 0)),
    hesscheck_warning_unresolved = function(w) {
      warned <<- TRUE
      invokeRestart("muffleWarning")
    }), error = function(e) e))
  list(H = res, warned = warned)
}

# Per-entry scores of a result against the truth: the true error, its scaled size, the
# bound, the flag, and the derived counts of issue 21's targets.
rp_score <- function(pb, run, mode) {
  Ht <- pb$hessian
  n <- nrow(Ht)
  base <- data.frame(kind = pb$kind, seed = pb$seed, mode = mode, n = n, error = NA_character_,
                     entries = n * n, counted = 0L, covered = 0L, counted_claimed = 0L,
                     covered_claimed = 0L, miss10 = 0L,
                     miss10_seen = 0L, off10 = 0L,
                     off10_strict = 0L,
                     flagged = 0L, flagged_ok = 0L, false_alarm = FALSE, worst = NA_real_,
                     worst_miss = NA_real_, evals = NA_real_, stringsAsFactors = FALSE)
  if (inherits(run$H, "error")) {
    base$error <- paste(setdiff(class(run$H), c("error", "condition")), collapse = "/")
    return(base)
  }
  H <- unname(as.matrix(run$H))
  E <- unname(attr(run$H, "error"))
  U <- unname(attr(run$H, "unresolved"))
  tr <- abs(H - Ht)
  sz <- rp_scale(Ht)
  ref <- Ht
  if (!is.null(pb$hessian_alt)) {
    # where the estimate is nearer fn's own Hessian (steps that resolve an oscillation),
    # it is judged against that, on that Hessian's scale
    ta <- abs(H - pb$hessian_alt)
    alt <- !is.na(ta) & (is.na(tr) | ta < tr)
    tr[alt] <- ta[alt]
    ref[alt] <- pb$hessian_alt[alt]
    sz[alt] <- pmax(sz, rp_scale(pb$hessian_alt))[alt]
  }
  tr[!is.finite(tr)] <- Inf
  sc <- tr / sz
  big <- sc > 1e-12
  base$counted <- sum(big)
  base$covered <- sum(big & E >= tr)
  # what fn's unseen noise (pb$unseen) can do to the stencils in f mode: a value error e
  # moves an element by up to about 23 e / (h_i h_j) at the axes' steps (central
  # stencils: 5.7 e / h^2 on the diagonal; a pair's line, less both diagonals, over
  # 2 h_i h_j), more at a pair's shorter steps; 64 e / (h_i h_j).
  beyond <- matrix(TRUE, n, n)
  if (mode == "f" && pb$unseen > 0) {
    h <- unname(attr(run$H, "step"))
    beyond <- tr > 64 * pb$unseen / outer(h, h)
  }
  # The entries whose bound the result claims: not flagged unresolved (the flag says the
  # bound is not to be trusted), and off by more than the unseen noise can do.
  claimed <- big & beyond & !U
  base$counted_claimed <- sum(claimed)
  base$covered_claimed <- sum(claimed & E >= tr)
  miss <- tr > 10 * E & sc > 1e-10 & !U
  base$miss10 <- sum(miss)
  base$miss10_seen <- sum(miss & beyond)
  # the largest scaled error among the misses by 10 x (0 if none)
  base$worst_miss <- max(0, sc[miss])
  # off by more than 10% of its size: of |H_ij|, or of its scale where H_ij is near zero
  # (the size of hessian_fd()'s unresolved test)
  base$off10 <- sum(tr > 0.1 * pmax(abs(ref), sz) & sc > 1e-6 & !U)
  base$off10_strict <- sum(tr > 0.1 * abs(ref) & sc > 1e-6 & !U)
  base$flagged <- sum(U)
  ok10 <- tr <= 0.1 * sz
  base$flagged_ok <- sum(U & ok10)
  base$false_alarm <- any(U) && all(ok10)
  base$worst <- max(sc)
  base$evals <- attr(run$H, "evaluations")[["fn"]] + attr(run$H, "evaluations")[["gr"]]
  base
}

# Score every problem in the modes it has.
rp_evaluate <- function(problems, modes = c("f", "gr")) {
  rows <- list()
  for (pb in problems) for (mode in modes) {
    if (mode == "gr" && is.null(pb$gr)) next
    rows[[length(rows) + 1L]] <- rp_score(pb, rp_run(pb, mode), mode)
  }
  do.call(rbind, rows)
}

# Per kind (and mode): coverage of the entries with true scaled error > 1e-12, unflagged
# misses by 10x, unflagged 10% misses, errors, and false alarms (problems flagged that
# were accurate to 10% everywhere).
rp_summary <- function(sc) {
  by <- split(sc, list(sc$mode, sc$kind), drop = TRUE)
  out <- do.call(rbind, lapply(by, function(d) data.frame(
    kind = d$kind[1], mode = d$mode[1], problems = nrow(d),
    coverage = if (sum(d$counted)) sum(d$covered) / sum(d$counted) else NA_real_,
    coverage_claimed = if (sum(d$counted_claimed))
      sum(d$covered_claimed) / sum(d$counted_claimed) else NA_real_,
    miss10 = sum(d$miss10), off10 = sum(d$off10), errors = sum(!is.na(d$error)),
    false_alarms = sum(d$false_alarm), median_evals = stats::median(d$evals, na.rm = TRUE),
    stringsAsFactors = FALSE)))
  rownames(out) <- NULL
  out[order(out$mode, out$kind), ]
}
