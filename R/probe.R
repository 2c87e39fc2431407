# Asking fn itself along a direction, where the Hessian's error bars leave its curvature
# undecided: a dedicated second difference along the direction (Richardson-extrapolated,
# with its own error estimate), a test for a kink, and the search for a lower point at a
# saddle.

# fn at p, counted, NA where it fails or is not one finite number (raw: one number).
# `f`: function(p), fn with its other arguments bound (no `...` here, so that fn's own
# arguments cannot be taken for these). `tick`: called once per evaluation (check_fit()'s
# progress bar). `runner`: where
# check_fit() has a parallel backend, function(X) that evaluates fn at the columns of X on
# it, each value as raw() gives it (NA where fn fails or gives no one number); then f
# and raw carry attr "batch", function(points) that evaluates a list of points there as
# one batch, counted and ticked here point by point as serial mode counts and ticks
# them, with the same values as f (raw) gives (fn_many()).
make_fx <- function(f, tick = NULL, runner = NULL) {
  env <- new.env(parent = emptyenv())
  env$count <- 0
  raw <- function(p) {
    env$count <- env$count + 1
    if (!is.null(tick)) tick()
    v <- catch_user(f(p), function(e) NA_real_)
    if (is.numeric(v) && length(v) == 1L && !is.nan(v)) as.double(v) else NA_real_
  }
  fx <- function(p) {
    v <- raw(p)
    if (is.finite(v)) v else NA_real_
  }
  if (!is.null(runner)) {
    batch_raw <- function(points) {
      k <- length(points)
      # one point: here, which costs less than a trip to a worker
      if (k < 2L) return(vapply(points, raw, 0))
      env$count <- env$count + k
      if (!is.null(tick)) for (i in seq_len(k)) tick()
      runner(do.call(cbind, points))
    }
    attr(fx, "batch") <- function(points) finite_or_na(batch_raw(points))
    attr(raw, "batch") <- batch_raw
  }
  # f: finite values or NA; raw: -Inf and Inf kept (a fall without bound is news)
  list(f = fx, raw = raw, count = function() env$count)
}

# x with its values that are not finite NA.
finite_or_na <- function(x) {
  x[!is.finite(x)] <- NA_real_
  x
}

# fn (make_fx()'s f) at each point of a list, in one batch on check_fit()'s backend where
# it has one (f's attr "batch"), else one after the other: the same values either way.
fn_many <- function(fx, points) {
  batch <- attr(fx, "batch")
  if (is.null(batch)) vapply(points, fx, 0) else batch(points)
}

# fn (make_fx()'s f) at x + h u and x - h u for each direction u of the list us: a 2 x
# length(us) matrix, evaluated as one batch in the order serial evaluation takes (+h,
# -h, direction by direction).
central_values <- function(fx, x, us, h) {
  matrix(fn_many(fx, unlist(lapply(us, function(u) list(x + h * u, x - h * u)),
                            recursive = FALSE)), nrow = 2L)
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
# original units) at x0, where fn is f0: the engine's own second derivative (hessian_fd()
# of t -> fn(x0 + t u) at t = 0, its one step rule, error bound and kink test), within
# probe_max scaled units and the bounds, its search started from the step that raises fn
# by probe_rise times the noise at the Hessian's curvature or error bar. The noise of fn along u is measured first (More
# & Wild 2011, in C), from th$probe_noise_points values at th$probe_noise_delta of the
# step that raises fn by probe_rise times the noise at the Hessian's curvature or error
# bar: the rounding along u can be far above the axes' (cancellation inside fn that a move
# along the axes does not disturb). Returns the curvature, its error, whether fn has a
# kink there, and its quartic term q (D(t) = curvature + q t^2 + ...: a curved ridge rises
# at fourth order) where it stands above its error, else 0; NULL where fn fails.
probe_curvature <- function(fx, x0, f0, u, lambda, unc, noise, bounds, th) {
  size <- max(abs(lambda), unc, .Machine$double.xmin)
  # At an exact fit fn(x0) = 0 says nothing about rounding: at least eps times the change
  # of fn over a unit (one standard error) along u.
  noise <- max(noise, 2 * .Machine$double.eps * max(abs(f0), size))
  tmax <- min(th$probe_max, room_along(x0, u, bounds))
  if (!(tmax > 0) || !is.finite(tmax)) return(NULL)
  t0 <- min(sqrt(2 * th$probe_rise * noise / size), tmax / 4)
  if (!(t0 > 0) || !is.finite(t0)) return(NULL)
  noise <- max(noise, direction_noise(fx, x0, f0, u, t0, th))
  # hessian_fd(line, 0, lower = -tmax, upper = tmax, control = list(noise = noise,
  # start = t0, trace = 0)) without its checks: only a non-finite noise fails them here.
  if (!is.finite(noise)) return(NULL)
  line <- function(t) fx(x0 + t * u)
  # on check_fit()'s backend, the C core's batches of points along the line as batches of
  # fn (the same points as line()'s), counted and ticked here
  batch <- if (!is.null(attr(fx, "batch"))) function(X, id) {
    fn_many(fx, lapply(X[1L, ], function(t) x0 + t * u))
  }
  ctrl <- hessian_defaults
  ctrl[c("noise", "start", "trace")] <- list(noise, t0, 0)
  ctrl[c(".progress", "parallel", "ncpus", "cl")] <- NULL
  h <- tryCatch(
    suppressWarnings(hessian_engine(.hesscheck_problem = list(
      fn = line, gr = NULL, x_user = 0, par = c(p1 = 0),
      bounds = list(lower = -tmax, upper = tmax), ctrl = ctrl, parallel = "no",
      ncpus = 1L, cl = NULL, shared = NULL, batch = batch))),
    error = function(e) NULL
  )
  if (is.null(h)) return(NULL)
  q <- attr(h, "quartic")
  list(value = h[1L, 1L], error = attr(h, "error")[1L, 1L],
       kink = identical(attr(h, "status")[[1L]], "kink"),
       quartic = if (abs(q[1L, 1L]) > th$significant * q[2L, 1L]) q[1L, 1L] else 0)
}

# Noise bound of fn along u at x0, from th$probe_noise_points values spaced
# th$probe_noise_delta of the step t; 0 where none is seen or a value is not finite.
direction_noise <- function(fx, x0, f0, u, t, th) {
  k <- seq_len(th$probe_noise_points - 1L)
  v <- fn_many(fx, lapply(k * th$probe_noise_delta * t, function(s) x0 + s * u))
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
  # fn along parameter i's axis (unit steps of the parameter's own units), at par
  axis <- function(i) {
    u <- numeric(length(par))
    u[i] <- 1
    probe_curvature(fx, par, f0, u, 1, 1, noise, bounds, th)
  }
  structure(function(clf, sure, ask) {
    free <- clf$free
    d <- clf$scale[free]
    x0 <- par
    v0 <- f0
    lam <- clf$values
    for (it in seq_len(th$probe_newton)) {
      if (!length(sure)) break
      h <- th$probe_slope_step
      # the central differences of all directions with room for them, one batch
      us <- lapply(sure, function(q) {
        u <- numeric(length(par))
        u[free] <- clf$vectors[, q] / d
        u
      })
      room <- vapply(us, function(u) isTRUE(room_along(x0, u, bounds) >= h), NA)
      fpm <- central_values(fx, x0, us[room], h)
      slope <- rep(NA_real_, length(sure))
      slope[room] <- (fpm[1L, ] - fpm[2L, ]) / (2 * h)
      if (anyNA(slope)) break
      z <- slope / sqrt(abs(lam[sure]))       # the step, in standard errors along each
      step <- -drop(clf$vectors[, sure, drop = FALSE] %*% (slope / abs(lam[sure])))
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
      pr <- along(clf$vectors[, q], lam[q], clf$uncertainty[q])
      if (is.null(pr)) next
      M[i, i] <- pr$value
      E[i, i] <- pr$error
      kink[i] <- pr$kink
      quartic[i] <- pr$quartic
    }
    for (i in seq_len(if (m <= th$probe_pairs_max) m else 0L)) for (j in seq_len(i - 1L)) {
      if (is.na(M[i, i]) || is.na(M[j, j])) next
      w <- (clf$vectors[, ask[i]] + clf$vectors[, ask[j]]) / sqrt(2)
      pr <- along(w, (lam[ask[i]] + lam[ask[j]]) / 2,
                  max(clf$uncertainty[ask[c(i, j)]]))
      if (is.null(pr)) next
      M[i, j] <- M[j, i] <- pr$value - (M[i, i] + M[j, j]) / 2
      E[i, j] <- E[j, i] <- pr$error + (E[i, i] + E[j, j]) / 2
    }
    # The profile along scaled direction v, the others (W, curvatures lam) re-minimised.
    profile <- function(v, W, lam) {
      profile_direction(fx, x0, v0, free, d, v, W, lam, noise, bounds, th)
    }
    # One point of that profile, at distance t.
    profile_at <- function(v, W, lam, t) {
      profile_point(fx, x0, free, d, v, W, lam, t, bounds, th)
    }
    list(par = x0, value = v0, matrix = M, error = E, kink = kink,
         quartic = quartic, along = along, profile = profile, profile_at = profile_at)
  }, axis = axis)
}

# Slopes of fn at x0 along scaled directions (the columns of V; u = v / d in the original
# units): central differences at 1 and 2 scaled units, Richardson-extrapolated (exact for
# a quartic), each with its error, the extrapolation's correction plus the rounding of fn
# (coefficients (4 + 1/2) / 3 x noise / h). Where fn fails at a step, shorter ones (/ 4,
# up to three times). `fx`: fn, NA where not finite. Returns value and error (NA where
# no step gave values).
slopes_along <- function(fx, x0, V, free, d, noise, bounds) {
  m <- ncol(V)
  value <- error <- rep(NA_real_, m)
  for (j in seq_len(m)) {
    u <- numeric(length(x0))
    u[free] <- V[, j] / d
    h <- 1
    for (try in 1:4) {
      if (room_along(x0, u, bounds) >= 2 * h) {
        f <- fn_many(fx, lapply(c(h, -h, 2 * h, -2 * h), function(t) x0 + t * u))
        if (!anyNA(f)) {
          D1 <- (f[1] - f[2]) / (2 * h)
          D2 <- (f[3] - f[4]) / (4 * h)
          value[j] <- (4 * D1 - D2) / 3
          error[j] <- abs(D1 - D2) / 3 + 1.5 * noise / h
          break
        }
      }
      h <- h / 4
    }
  }
  list(value = value, error = error)
}

# At a saddle: fn along each direction of negative curvature, both ways, at distances
# 1/4, 1/2, 1, ... in the scaled coordinates while fn decreases (a unit step along a
# direction of scaled curvature -1 lowers a quadratic fn by 1/2: one standard error of a
# parameter, for a negative log-likelihood). From the point the directions were probed
# at (the Newton point over the certain directions).
saddle_escape <- function(clf, fx, x0, value, bounds) {
  free <- clf$free
  d <- clf$scale[free]
  neg <- which(clf$sign < 0L)
  best <- list(value = value, par = x0, direction = NULL, t = 0)
  for (q in neg) {
    u <- clf$vectors[, q] / d
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

# The profile of fn along a direction the Hessian leaves flat or undecided: p(t) = fn at
# x0 + t u, u = v / d, with the other free parameters re-minimised (numerics notes,
# "Flat directions: ridge, degenerate saddle or weak minimum"). The re-minimisation is a
# few Newton steps over the complement `comp` (scaled eigenvectors `W` with positive
# curvatures `lam`, the Hessian we have), each from central first differences of fn
# along those directions, accepted only where fn decreases. Returns the point, its value
# and the decrease a further Newton step predicts (the profile's own error), or NULL
# where fn fails or a bound is crossed.
profile_point <- function(fx, x0, free, d, v, W, lam, t, bounds, th) {
  x <- x0
  x[free] <- x[free] + t * v / d
  if (any(x < bounds$lower | x > bounds$upper)) return(NULL)
  val <- fx(x)
  if (is.na(val)) return(NULL)
  h <- th$probe_slope_step
  # the profile's error: the decrease still predicted where the steps stopped, or the
  # last decrease achieved (the steps converge at least linearly)
  err <- 0
  for (it in seq_len(if (length(lam)) th$profile_newton else 0L)) {
    fpm <- central_values(fx, x, lapply(seq_along(lam), function(j) {
      w <- numeric(length(x))
      w[free] <- W[, j] / d
      w
    }), h)
    if (anyNA(fpm)) break
    g <- (fpm[1L, ] - fpm[2L, ]) / (2 * h)
    # each direction's curvature here, from the same values where they resolve it
    # (off the estimate, along a curved ridge, it can be orders of magnitude from lam's)
    cv <- (fpm[1L, ] + fpm[2L, ] - 2 * val) / h^2
    rnd <- th$significant * 4 * max(abs(val), 1) * 2 * .Machine$double.eps / h^2
    lam_here <- ifelse(is.finite(cv) & cv > rnd, cv, lam)
    pred <- sum(g^2 / lam_here) / 2
    err <- pred
    if (!(pred > 2 * .Machine$double.eps * abs(val))) break
    to <- descend(fx, x, free, -drop(W %*% (g / lam_here)) / d, val, bounds,
                  th$profile_halvings)
    if (is.null(to)) break
    err <- val - to$value
    x <- to$par
    val <- to$value
  }
  list(par = x, value = val, error = err)
}

# What the profile along scaled direction v does, from the point x0 (value f0) at
# distances t = 1, 4, 16 (scaled units: one unit moves fn by about half the curvature of
# a parameter's own axis), both ways:
# * "decreasing": fn falls on one side (beyond its error); the side is followed
#   outwards (x 4) while fn keeps falling: a saddle, whose lowest point is a restart
#   point, or, still falling at th$probe_max, a drift: "asymptote" when the falls shrink
#   (no finite estimate), "unbounded" when they do not;
# * "increasing": fn rises on both sides; `curvature` is 2 x the mean rise / t^2 at the
#   first t that shows it, and `order` 2 or 4 from the rise at 4t (x 16 or x 256);
# * "constant": no change beyond the error out to t = 16: a ridge; `resolution` is the
#   smallest curvature the profile could have seen.
# `noise`: the noise of fn. NULL where fn fails at the first distance.
profile_direction <- function(fx, x0, f0, free, d, v, W, lam, noise, bounds, th) {
  at <- function(t) profile_point(fx, x0, free, d, v, W, lam, t, bounds, th)
  # values at different points, each after several steps: their rounding errors add up;
  # and a rise below what a curvature at the rounding floor of the eigenvalues (th$rounding
  # of the largest) gives at that distance is none (fn exactly 0 on a ridge: its rounding
  # there, 1e-32 from terms of 1e-16, is all it shows)
  lfloor <- th$rounding * max(abs(lam), 0)
  tol_of <- function(p, t) {
    th$significant * max(th$profile_noise * noise + p$error, lfloor * t^2 / 2)
  }
  prev_t <- flat_t <- NA_real_
  rose <- FALSE
  for (t in th$profile_steps) {
    pp <- at(t)
    pm <- at(-t)
    if (is.null(pp) || is.null(pm)) {
      if (is.na(prev_t)) return(NULL)
      break
    }
    dp <- pp$value - f0
    dm <- pm$value - f0
    tol <- max(tol_of(pp, t), tol_of(pm, t))
    if (!is.finite(tol)) return(NULL)
    if (min(dp, dm) < -tol) {
      s <- if (dp < dm) 1 else -1
      return(follow_descent(at, s, t, if (s > 0) pp else pm, f0, tol, th))
    }
    if (min(dp, dm) > tol) {
      rise <- (dp + dm) / 2
      # the rise at 4t tells its order
      p4 <- at(4 * t)
      m4 <- at(-4 * t)
      order <- 2L
      if (!is.null(p4) && !is.null(m4)) {
        r4 <- (p4$value + m4$value) / 2 - f0
        if (r4 > 64 * rise) order <- 4L
      }
      return(list(shape = "increasing", curvature = 2 * rise / t^2, order = order, t = t,
                  error = 2 * tol / t^2))
    }
    if (max(dp, dm) > tol) {
      # fn rises on one side only. Flat on both sides at a shorter distance already: a
      # ridge over that range, which ends (or fn breaks down) further out on one side
      # (a variance carried to exp(-100) along sigma^2 + tau^2 = const); else no
      # quadratic rise either way, yet not a ridge.
      if (!is.na(flat_t)) break
      rose <- TRUE
    } else if (!rose) {
      flat_t <- t
      flat_tol <- tol
    }
    prev_t <- t
    last_tol <- tol
  }
  if (!is.na(flat_t)) {
    return(list(shape = "constant", resolution = 2 * flat_tol / flat_t^2, t = flat_t))
  }
  if (rose) return(list(shape = "increasing", curvature = 0, order = 4L, t = prev_t,
                        error = 2 * last_tol / prev_t^2))
  list(shape = "constant", resolution = 2 * last_tol / prev_t^2, t = prev_t)
}

# Along side s from distance t (where fn is p$value below f0 by more than tol), outwards
# by factors of 4 up to th$probe_max: fn rising again beyond tol is a saddle (the lowest
# point is the restart point); fn falling or staying level all the way is a drift.
follow_descent <- function(at, s, t, p, f0, tol, th) {
  vals <- c(f0, p$value)
  best <- p
  tt <- t
  while (4 * tt <= th$probe_max) {
    tt <- 4 * tt
    q <- at(s * tt)
    if (is.null(q) || q$value > best$value + tol) {
      return(list(shape = "decreasing", par = best$par, value = best$value, t = tt / 4,
                  side = s))
    }
    vals <- c(vals, q$value)
    if (q$value < best$value) best <- q
  }
  falls <- -diff(vals)
  m <- length(falls)
  list(shape = "drift", par = best$par, value = best$value, t = tt, side = s,
       kind = drift_kind(falls, tol))
}

# How fn falls along a drift, from its successive falls at distances growing 4-fold:
# "unbounded" when they do not shrink (a linear fall grows 4-fold) and the last is no
# small share of the largest and above the noise; else "asymptote".
drift_kind <- function(falls, tol) {
  m <- length(falls)
  grows <- m >= 2L && falls[m] >= 0.5 * falls[m - 1L] && falls[m] >= 0.1 * max(falls) &&
    falls[m] > tol
  if (grows) "unbounded" else "asymptote"
}
