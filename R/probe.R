# Asking fn itself along a direction, where the Hessian's error bars leave its curvature
# undecided: a dedicated second difference along the direction (Richardson-extrapolated,
# with its own error estimate), a test for a kink, and the search for a lower point at a
# saddle.

# fn at p, counted, NA where it fails or is not one finite number.
make_fx <- function(f, ...) {
  env <- new.env(parent = emptyenv())
  env$count <- 0
  fx <- function(p) {
    env$count <- env$count + 1
    v <- catch_user(f(p, ...), function(e) NA_real_)
    if (is.numeric(v) && length(v) == 1L && is.finite(v)) as.double(v) else NA_real_
  }
  list(f = fx, count = function() env$count)
}

# The largest t >= 0 with x0 + s t u inside the bounds for s = -1 and 1.
room_along <- function(x0, u, bounds) {
  t <- Inf
  nz <- u != 0
  for (s in c(-1, 1)) {
    step <- s * u[nz]
    lim <- ifelse(step > 0, (bounds$upper[nz] - x0[nz]) / step,
                  (bounds$lower[nz] - x0[nz]) / step)
    t <- min(t, lim)
  }
  t
}

# Curvature of fn along u (u = v / d: unit vector v of the scaled Hessian in the
# original units) at x0, where fn is f0. Second differences D(t) = (f(+t) + f(-t) -
# 2 f0) / t^2 at t, 2t, 4t; the curvature is Richardson's (4 D(t) - D(2t)) / 3 (exact
# for a quartic, so a curved ridge, whose fn rises as t^4, gives zero), its error the
# difference from the same at 2t plus the noise, sum |coefficients| x noise / t^2 =
# (17 / 3) noise / t^2 (Richardson 1911; the numerics notes). The first step raises fn
# by probe_rise times its noise at the Hessian's curvature or error bar, whichever is
# larger; it is then shortened while the truncation dominates and lengthened while the
# noise does, within probe_max scaled units and the bounds; the step with the smallest
# error is kept.
# A kink gives D(t) / D(2t) = 2 at both pairs of steps (a smooth fn: 1, or 4 on a ridge).
probe_curvature <- function(fx, x0, f0, u, lambda, unc, noise, bounds, th) {
  size <- max(abs(lambda), unc, .Machine$double.xmin)
  # At an exact fit fn(x0) = 0 says nothing about rounding: at least eps times the change
  # of fn over a unit (one standard error) along u.
  noise <- max(noise, 2 * .Machine$double.eps * max(abs(f0), size))
  tmax <- min(th$probe_max, room_along(x0, u, bounds)) / 4
  t <- min(sqrt(2 * th$probe_rise * noise / size), tmax)
  if (!(t > 0) || !is.finite(t)) return(NULL)
  # The rounding of fn along this direction can be far above the Hessian's (cancellation
  # inside fn that a move along the axes does not disturb): measured here (More & Wild
  # 2011, in C), and the first step chosen again with it.
  noise <- max(noise, direction_noise(fx, x0, f0, u, t, th))
  t <- min(sqrt(2 * th$probe_rise * noise / size), tmax)
  # f(x0 + s u) for s in +-t * 2^j, each evaluated once.
  memo <- new.env(parent = emptyenv())
  at <- function(s) {
    key <- sprintf("%.17g", s)
    if (is.null(memo[[key]])) memo[[key]] <- fx(x0 + s * u)
    memo[[key]]
  }
  best <- NULL
  grown <- FALSE
  shrunk <- 0L
  repeat {
    tt <- t * c(1, 2, 4)
    fp <- vapply(tt, at, 0)
    fm <- vapply(-tt, at, 0)
    if (anyNA(c(fp, fm))) break
    D <- (fp + fm - 2 * f0) / tt^2
    noise <- max(noise, 2 * .Machine$double.eps * max(abs(c(fp, fm))))
    c1 <- (4 * D[1] - D[2]) / 3
    c2 <- (4 * D[2] - D[3]) / 3
    trunc <- abs(c1 - c2)
    rnd <- 17 / 3 * noise / t^2
    r <- D[1:2] / D[2:3]
    kink <- all(is.finite(r)) && all(r >= th$kink_ratio[1] & r <= th$kink_ratio[2]) &&
      abs(D[1]) > 100 * 4 * noise / t^2
    # D(t) = c + q t^2 + ...: q, the quartic term, from the two shortest steps.
    quart <- (D[2] - D[1]) / (3 * t^2)
    quart_err <- 2 * 4 * noise / t^2 / (3 * t^2)
    res <- list(value = c1, error = trunc + rnd, kink = kink,
                quartic = if (abs(quart) > th$significant * quart_err) quart else 0)
    if (is.null(best) || res$error < best$error || kink) best <- res
    if (kink) break
    # Shorter steps while the truncation dominates by far (at most three times, from
    # the first step), longer ones while the noise does: the step that balances them.
    if (!grown && trunc > 100 * rnd && shrunk < 3L) {
      shrunk <- shrunk + 1L
      t <- t / 4
      next
    }
    if (rnd < trunc || 4 * t > tmax) break
    grown <- TRUE
    t <- 4 * t
  }
  best
}

# Noise bound of fn along u at x0, from th$probe_noise_points values spaced
# th$probe_noise_delta of the step t; 0 where none is seen or a value is not finite.
direction_noise <- function(fx, x0, f0, u, t, th) {
  k <- seq_len(th$probe_noise_points - 1L)
  v <- vapply(k * th$probe_noise_delta * t, function(s) fx(x0 + s * u), 0)
  if (anyNA(v)) return(0)
  .Call(hc_noise_values, c(f0, v), max(abs(f0), 1))
}

# The probe used by classify_point(). First the point: a few Newton steps over the
# directions the Hessian has certain (`sure`, scaled eigenvectors with eigenvalues
# `lam_sure`), each from central first differences of fn along those directions, so
# that a leftover gradient, which tilts a flat direction's curvature either way, is
# gone; then the curvature matrix of fn on the subspace of the directions in `ask`
# (Rayleigh-Ritz): its diagonal from probe_curvature() along each, its off-diagonal
# elements from the curvature along (v_i + v_j) / sqrt(2), minus the mean of the two.
make_probe <- function(fx, par, f0, noise, bounds, th) {
  function(cl, sure, ask) {
    free <- cl$free
    d <- cl$scale[free]
    x0 <- par
    v0 <- f0
    lam <- cl$values
    for (it in seq_len(th$probe_newton)) {
      if (!length(sure)) break
      h <- th$probe_slope_step
      slope <- vapply(sure, function(q) {
        u <- numeric(length(par))
        u[free] <- cl$vectors[, q] / d
        if (room_along(x0, u, bounds) < h) return(NA_real_)
        (fx(x0 + h * u) - fx(x0 - h * u)) / (2 * h)
      }, 0)
      if (anyNA(slope)) break
      z <- slope / sqrt(abs(lam[sure]))       # the step, in standard errors along each
      step <- -drop(cl$vectors[, sure, drop = FALSE] %*% (slope / abs(lam[sure])))
      xn <- x0
      xn[free] <- xn[free] + step / d
      xn <- pmin(pmax(xn, bounds$lower), bounds$upper)
      fn_n <- fx(xn)
      if (is.na(fn_n) || fn_n > v0) break
      x0 <- xn
      v0 <- fn_n
      if (max(abs(z)) < th$probe_stationary) break
    }
    m <- length(ask)
    M <- E <- matrix(NA_real_, m, m)
    kink <- logical(m)
    quartic <- numeric(m)
    along <- function(w, lambda, unc) {
      u <- numeric(length(par))
      u[free] <- w / d
      probe_curvature(fx, x0, v0, u, lambda, unc, noise, bounds, th)
    }
    for (i in seq_len(m)) {
      q <- ask[i]
      pr <- along(cl$vectors[, q], lam[q], cl$uncertainty[q])
      if (is.null(pr)) next
      M[i, i] <- pr$value
      E[i, i] <- pr$error
      kink[i] <- pr$kink
      quartic[i] <- pr$quartic
    }
    for (i in seq_len(if (m <= th$probe_pairs_max) m else 0L)) for (j in seq_len(i - 1L)) {
      if (is.na(M[i, i]) || is.na(M[j, j])) next
      w <- (cl$vectors[, ask[i]] + cl$vectors[, ask[j]]) / sqrt(2)
      pr <- along(w, (lam[ask[i]] + lam[ask[j]]) / 2,
                  max(cl$uncertainty[ask[c(i, j)]]))
      if (is.null(pr)) next
      M[i, j] <- M[j, i] <- pr$value - (M[i, i] + M[j, j]) / 2
      E[i, j] <- E[j, i] <- pr$error + (E[i, i] + E[j, j]) / 2
    }
    list(par = x0, value = v0, matrix = M, error = E, kink = kink,
         quartic = quartic, along = along)
  }
}

# At a saddle: fn along each direction of negative curvature, both ways, at distances
# 1/4, 1/2, 1, ... in the scaled coordinates while fn decreases (a unit step along a
# direction of scaled curvature -1 lowers a quadratic fn by 1/2: one standard error of a
# parameter, for a negative log-likelihood). From the point the directions were probed
# at (the Newton point over the certain directions).
saddle_escape <- function(cl, fx, x0, value, bounds) {
  free <- cl$free
  d <- cl$scale[free]
  neg <- which(cl$sign < 0L)
  best <- list(value = value, par = x0, direction = NULL, t = 0)
  for (q in neg) {
    u <- cl$vectors[, q] / d
    for (s in c(1, -1)) {
      last <- value
      for (t in 0.25 * 2^(0:14)) {
        p <- x0
        p[free] <- p[free] + s * t * u
        if (any(p < bounds$lower | p > bounds$upper)) break
        v <- fx(p)
        if (is.na(v) || v >= last) break
        last <- v
        if (v < best$value) {
          dd <- stats::setNames(numeric(length(x0)), names(x0))
          dd[free] <- s * u
          best <- list(value = v, par = p, direction = dd, t = t)
        }
      }
    }
  }
  list(par = best$par, value = best$value, decrease = value - best$value,
       direction = best$direction, distance = best$t)
}
