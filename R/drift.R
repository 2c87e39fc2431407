# The drift search: directions along which fn falls towards an asymptote, or without
# bound, as parameters run off to infinity, so that they have no finite estimate
# (find_drift() and its searches; numerics notes, "Separation and drift"), and the flat
# pairs of log-scale parameters of which fn knows only a sum of variances
# (identified_sums()). check_fit() asks both at the point it reached.

# Drift: a direction along which fn decreases monotonically as the parameters run off to
# infinity, so that no finite estimate exists (numerics notes, "Separation and drift").
# The candidates: (a) a flat direction whose profile kept falling (classify_point()); (b)
# the direction of the estimate itself (complete separation: fn at m times the estimate,
# m = 2, 4, 8, 16), tried when a doubling would raise fn by less than th$drift_rise on the
# Hessian's own prediction; (c) the subspace of the flattest directions (curvature below
# th$drift_small of the largest) as a whole, along the Newton step over it and the
# directions that tilt it (drift_subspace(); quasi-separation: the drift runs along a
# combination of coefficients, and the null space can have several dimensions); (d) each
# large estimate with a larger standard error, doubled (a zero-inflation logit or a log-SD
# whose maximum-likelihood value is at 0 on its natural scale, where what is left of the
# fall is below the noise); (e) a large estimate at its edge (at_edge(): fn rises
# inwards, not outwards), along a flat direction whose profile did not decide, the axis
# of a parameter fn seems to ignore, or without a covariance matrix its own axis (what
# (d) cannot ask where noise leaves a curvature undecided, however honest its error
# bar). fn must not rise beyond its noise at any of these points, and (but for (d) and
# (e)) must fall in all: "asymptote" where the falls shrink, "unbounded" (a
# log-likelihood minimised, say) where they do not. Returns a list of drifts, each with its
# direction (original units, all parameters), kind and the free parameters it involves
# (and for (c), `tilts`: the other directions of the subspace that belong to the drift).
# `fx`: fn, -Inf kept (reached: unbounded at once), NA where it fails.
find_drift <- function(clf, state, fx, bounds, th) {
  out <- list()
  free <- clf$free
  k <- length(free)
  if (!k) return(out)
  s <- drift_searches(clf, state$par, th)
  if (is.null(s)) return(out)
  x <- s$x
  d <- s$d
  # the searches' shared state: the point (all parameters), the free ones and their
  # scales, fn there and its noise, a change beyond that noise, fx, bounds, thresholds
  ctx <- list(par = state$par, free = free, d = d, f0 = attr(state$h, "value"),
              noise = state$noise, tol = th$significant * state$noise, fx = fx,
              bounds = bounds, th = th)
  add <- function(u, dr, how, tilts = list()) {
    out[[length(out) + 1L]] <<- drift_entry(ctx, u, dr, how, tilts)
  }
  involved_in <- function() match(unlist(lapply(out, `[[`, "parameters")), free)
  # (a) profiles that kept falling
  for (q in which(s$prof)) {
    pr <- clf$profiles[[q]]
    add(pr$side * clf$vectors[, q] / d, list(kind = pr$kind), "profile")
  }
  # (b) the direction of the estimate
  if (s$by_estimate) {
    dr <- walk_drift(ctx, straight_line(ctx, x), c(1, 3, 7, 15))
    if (!is.null(dr)) {
      w <- abs(x * d)
      rest <- which(w < th$combo_share * max(w))
      add(x, dr, "estimate",
          if (dr$kind == "asymptote") tilting_axes(ctx, x, rest, c(1, 3, 7)))
    }
  }
  # (c) the flattest directions together (drift_subspace())
  if (s$by_flat) {
    sub <- drift_subspace(clf, s$flat, ctx)
    if (!is.null(sub)) {
      # (a)'s drifts inside the same subspace are part of this one
      prof <- vapply(out, function(o) o$how == "profile", NA)
      out <- out[!prof]
      add(sub$directions[, 1L] / d, sub, "flattest",
          lapply(seq_len(ncol(sub$directions))[-1L], function(j) sub$directions[, j] / d))
    }
  }
  # (e) flat directions and parameters fn seems to ignore, at their edge
  for (e in s$edge_dirs) {
    dr <- at_edge(ctx, drift_direction(ctx, e$u))
    if (!is.null(dr)) add(e$u, dr, if (length(e$involved) == 1L) "coordinate" else "flat")
  }
  for (i in s$edge_nodep) {
    uf <- stats::setNames(numeric(length(ctx$par)), names(ctx$par))
    uf[i] <- ctx$par[i]
    dr <- at_edge(ctx, uf)
    if (!is.null(dr)) {
      out[[length(out) + 1L]] <- list(direction = uf, kind = dr$kind, parameters = i,
                                       how = "coordinate", tilts = list())
    }
  }
  # (d) single large estimates with larger standard errors, doubled; (e) without a
  # covariance matrix, at their edge
  if (length(s$big) || length(s$edge_axes)) {
    coords <- coordinate_drifts(ctx, clf, s, involved_in())
    # then what each carries off, among the parameters no drift involves
    rest <- setdiff(seq_len(k), c(involved_in(), vapply(coords, `[[`, 0L, "i")))
    for (co in coords) {
      add(co$u, co$dr, "coordinate",
          if (co$dr$kind == "asymptote") tilting_axes(ctx, co$u, rest, c(1, 3, 7)))
    }
  }
  merge_drifts(out, ctx)
}

# Which of find_drift()'s searches apply at par, decided before any is run: on a
# well-posed fit none does, and nothing else is done. Returns NULL, or the free
# parameters' estimates `x` and scales `d` and what each search is asked about: `prof`
# (a), `by_estimate` (b), `flat` and `by_flat` (c), `big` (d), and for (e) `edge_axes`,
# `edge_dirs` (edge_directions()) and `edge_nodep`.
drift_searches <- function(clf, par, th) {
  free <- clf$free
  x <- par[free]
  d <- clf$scale[free]
  # (a) a profile that kept falling; (b) not at a maximum or saddle (where fn falls away
  # from par anyway: those verdicts say more), a doubling of the estimate that the
  # Hessian says raises fn by less than drift_rise; (c) directions among the flattest;
  # (d) large estimates with larger standard errors.
  prof <- vapply(clf$profiles, function(pr) identical(pr$shape, "drift"), NA)
  concave <- any(clf$sign < 0L)
  rise <- if (any(x != 0) && !concave) {
    sum((x * d) * (clf$hessian_scaled %*% (x * d))) / 2
  } else NA_real_
  by_estimate <- is.finite(rise) && rise < th$drift_rise
  lam <- clf$values
  flat <- which(clf$sign >= 0L & abs(lam) < th$drift_small * max(abs(lam), 0))
  by_flat <- length(flat) > 0L && !concave && !is.null(clf$probed$profile_at)
  big <- if (!is.null(clf$cov)) {
    se <- sqrt(diag_of(clf$cov))
    which(abs(x) > th$separation & se > abs(x))
  } else integer()
  # (e) not at a saddle or maximum, what is flat or undecided (however honest the error
  # bars that left it so) and moves a large estimate: flat directions (profile constant
  # or failed, not a sum of variances); parameters fn seems not to depend on at the
  # point; and without a covariance matrix (for (d)), large estimates whose standard
  # error along their own axis (the others held fixed, 1 / d: no larger than the
  # marginal one) exceeds them. Each is asked whether it sits at its edge (at_edge()).
  edge_axes <- if (is.null(clf$cov) && !concave) {
    which(abs(x) > th$separation & 1 / d > abs(x))
  } else integer()
  edge_dirs <- if (!concave) edge_directions(clf, x, th) else list()
  edge_nodep <- if (!concave) which(clf$no_dependence & abs(par) > th$separation) else integer()
  if (!any(prof) && !by_estimate && !by_flat && !length(big) && !length(edge_axes) &&
      !length(edge_dirs) && !length(edge_nodep)) return(NULL)
  list(x = x, d = d, prof = prof, by_estimate = by_estimate, flat = flat, by_flat = by_flat,
       big = big, edge_axes = edge_axes, edge_dirs = edge_dirs, edge_nodep = edge_nodep)
}

# A direction u of the free parameters as one of all the parameters, named as par.
drift_direction <- function(ctx, u) {
  full <- stats::setNames(numeric(length(ctx$par)), names(ctx$par))
  full[ctx$free] <- u
  full
}

# fn at the distances ts (value_at(t): fn there, NA where it fails or is out of
# bounds), from `start`: a drift (its kind and fn's last value), or NULL
walk_drift <- function(ctx, value_at, ts, start = ctx$f0, need_fall = TRUE) {
  tol <- ctx$tol
  vals <- start
  for (t in ts) {
    v <- value_at(t)
    if (identical(v, -Inf)) return(list(kind = "unbounded", value = v))
    if (!is.finite(v) || v > vals[length(vals)] + tol) return(NULL)
    vals <- c(vals, v)
  }
  falls <- -diff(vals)
  m <- length(falls)
  if (m < 1L + need_fall || (need_fall && !(vals[1L] - vals[m + 1L] > tol))) return(NULL)
  list(kind = drift_kind(falls, tol), value = vals[m + 1L])
}

# fn along the straight line from par by t times u (free parameters, original units),
# as walk_drift()'s value_at: NA out of bounds.
straight_line <- function(ctx, u) {
  function(t) {
    p <- ctx$par
    p[ctx$free] <- p[ctx$free] + t * u
    if (any(p < ctx$bounds$lower | p > ctx$bounds$upper)) NA_real_ else ctx$fx(p)
  }
}

# A parameter at its edge, along uf (all parameters; one unit of t moves the large
# estimate x_i by x_i, outwards). Inwards, fn rises beyond its noise at x_i / 2 and
# further at x_i / 4: the term matters nearer 0 (fn does not simply ignore it, and the
# direction is no ridge flat both ways, nor rounding along an aliased one). Outwards,
# at 2 x_i, fn rises no more than its noise and moves by at most 1 / edge_ratio of
# that inward rise (flat or falling: the term no longer matters out there; a quadratic
# rises 4 times as much at 2 x_i as at x_i / 2). Not further out: a Laplace
# approximation's inner optimisation can fail there (a variance of 1e-56). On a log
# or logit scale, a variance or a probability effectively at 0 (or 1) already: a drift
# towards an asymptote, or NULL.
at_edge <- function(ctx, uf) {
  f0 <- ctx$f0
  tol <- ctx$tol
  line <- function(t) {
    p <- ctx$par + t * uf
    if (any(p < ctx$bounds$lower | p > ctx$bounds$upper)) NA_real_ else ctx$fx(p)
  }
  rise <- c(line(-0.5), line(-0.75)) - f0
  if (anyNA(rise) || !all(is.finite(rise)) || !(rise[1L] > tol) ||
      !(rise[2L] > rise[1L])) return(NULL)
  out <- line(1)
  if (!is.finite(out) || out > f0 + tol || abs(out - f0) * ctx$th$edge_ratio > rise[1L]) {
    return(NULL)
  }
  list(kind = "asymptote", value = out)
}

# The axes of the free parameters `cand` that tilt the straight drift u either way
# (by drift_tilt of its length, scaled coordinates) without stopping it: parameters
# the drift carries off (a slope informed only by separated cells, whose curvature
# vanishes with theirs), whose estimates are no more finite than u's.
tilting_axes <- function(ctx, u, cand, ts) {
  d <- ctx$d
  th <- ctx$th
  len <- sqrt(sum((u * d)^2))
  keep <- list()
  for (j in cand) {
    w <- numeric(length(ctx$free))
    w[j] <- th$drift_tilt * len / d[j]
    ok <- !is.null(walk_drift(ctx, straight_line(ctx, u + w), ts, need_fall = FALSE)) &&
      !is.null(walk_drift(ctx, straight_line(ctx, u - w), ts, need_fall = FALSE))
    if (ok) keep[[length(keep) + 1L]] <- w / (th$drift_tilt * len)
  }
  keep
}

# A drift found along u (free parameters) by the search `how`, of dr's kind: its
# direction and tilts as directions of all the parameters, and the free parameters u
# moves (a share of at least combo_share, scaled coordinates).
drift_entry <- function(ctx, u, dr, how, tilts = list()) {
  w <- abs(u * ctx$d)
  involved <- ctx$free[w >= ctx$th$combo_share * max(w)]
  list(direction = drift_direction(ctx, u), kind = dr$kind, parameters = involved,
       how = how, tilts = lapply(tilts, function(t) drift_direction(ctx, t)))
}

# (d) and (e) along single axes: each large estimate with a larger standard error (s$big),
# doubled, and each of s$edge_axes no drift involves yet (not in `taken`) at its edge.
# Returns a list of the drifts found, each as its direction `u` (free parameters), the
# walk's result `dr` and the index `i` of its free parameter.
coordinate_drifts <- function(ctx, clf, s, taken) {
  coords <- list()
  for (i in union(s$big, setdiff(s$edge_axes, taken))) {
    u <- numeric(length(ctx$free))
    u[i] <- s$x[i]
    dr <- if (i %in% s$big) {
      walk_drift(ctx, straight_line(ctx, u), if (clf$off_optimum[i]) c(1, 3, 7) else 1,
                 need_fall = FALSE)
    } else at_edge(ctx, drift_direction(ctx, u))
    if (!is.null(dr)) coords[[length(coords) + 1L]] <- list(u = u, dr = dr, i = i)
  }
  coords
}

# find_drift()'s drifts as it returns them: the single coordinates as one drift (one
# finding names them all); the parameters a drift carries off (its tilts') added to its
# own (kept as `own`), having no finite estimate either; one entry per set of parameters.
merge_drifts <- function(out, ctx) {
  free <- ctx$free
  co <- vapply(out, function(o) o$how == "coordinate", NA)
  if (sum(co) > 1L) {
    one <- out[[which(co)[1L]]]
    one$direction <- Reduce(`+`, lapply(out[co], `[[`, "direction"))
    one$parameters <- unlist(lapply(out[co], `[[`, "parameters"))
    one$tilts <- unlist(lapply(out[co], `[[`, "tilts"), recursive = FALSE)
    one$kind <- if (all(vapply(out[co], `[[`, "", "kind") == "asymptote")) "asymptote" else
      "unbounded"
    out <- c(out[!co], list(one))
  }
  for (j in seq_along(out)) {
    tp <- unlist(lapply(out[[j]]$tilts, function(w) {
      w <- abs(w[free] * ctx$d)
      free[w >= ctx$th$combo_share * max(w)]
    }))
    out[[j]]$own <- out[[j]]$parameters
    out[[j]]$parameters <- sort(unique(c(out[[j]]$parameters, tp)))
  }
  keys <- vapply(out, function(o) paste(o$parameters, collapse = ","), "")
  out[!duplicated(keys)]
}

# The flat directions find_drift() asks whether they sit at an edge (a parameter on a log
# or logit scale effectively at its boundary): sign 0, not weak, no kink, not a sum of
# variances, whose profile did not decide (constant, or fn failed along it), that move a
# large estimate (beyond th$separation) among the parameters they involve (a share of at
# least combo_share, scaled coordinates). Each as `u` (free parameters, original units),
# scaled so that one unit moves the largest such estimate x_i by x_i, outwards, and the
# free parameters it involves.
edge_directions <- function(clf, x, th) {
  d <- clf$scale[clf$free]
  out <- list()
  for (q in which(clf$sign == 0L & !clf$weak & !clf$kink)) {
    if (!is.null(clf$sums[[q]])) next
    shape <- clf$profiles[[q]]$shape
    if (!is.null(shape) && shape != "constant") next
    w <- abs(clf$vectors[, q])
    involved <- which(w >= th$combo_share * max(w))
    large <- involved[abs(x[involved]) > th$separation]
    if (!length(large)) next
    i <- large[which.max(w[large])]
    u <- clf$vectors[, q] / d
    out[[length(out) + 1L]] <- list(u = u * x[i] / u[i], involved = involved)
  }
  out
}

# Drift in the subspace of the flattest directions `flat` (columns of clf$vectors, scaled
# coordinates), from the point the probe reached. The null space can have several
# dimensions (quasi-separation with two groups separated), and an eigenvector of it need
# not be a direction of drift, so the direction is sought in the whole subspace: the
# Newton step over it, from fn's slopes along its directions and their curvatures. Where
# fn falls like exp(-eta) towards an asymptote, gradient and curvature shrink together and
# the Newton step moves each separated linear predictor by about one unit, whatever the
# distance already run: fn is walked along it at 1/4, 1, 4, 16 and 64 such steps (the
# other directions re-minimised), and must fall and never rise (walk_drift()). A minimum,
# however flat, rises again beyond one Newton step. Then the rest of the subspace: a
# direction of it that tilts the drift either way (+-drift_tilt, unit vectors) without
# stopping it is part of the drift too (the drift's cone has an interior there), so the
# parameters along it have no finite estimate either. `ctx`: find_drift()'s state.
# Returns NULL or the directions (a matrix, scaled coordinates, the Newton direction
# first) and the kind of the drift.
drift_subspace <- function(clf, flat, ctx) {
  fx <- ctx$fx
  th <- ctx$th
  free <- clf$free
  d <- clf$scale[free]
  probed <- clf$probed
  x0 <- probed$par
  V <- clf$vectors[, flat, drop = FALSE]
  fin <- function(p) {
    v <- fx(p)
    if (is.finite(v)) v else NA_real_
  }
  # its batches on check_fit()'s backend, where fx has them (make_fx())
  if (!is.null(attr(fx, "batch"))) {
    attr(fin, "batch") <- function(points) finite_or_na(attr(fx, "batch")(points))
  }
  sl <- slopes_along(fin, x0, V, free, d, ctx$noise, ctx$bounds)
  g <- ifelse(!is.na(sl$value) & abs(sl$value) > th$significant * sl$error, sl$value, 0)
  if (all(g == 0)) return(NULL)
  curv <- pmax(abs(clf$values[flat]), th$significant * clf$uncertainty[flat],
               .Machine$double.xmin)
  # the clearly curved directions are re-minimised at every point of the walk
  comp <- which(clf$sign == 1L & !seq_along(clf$values) %in% flat)
  W <- clf$vectors[, comp, drop = FALSE]
  lc <- clf$values[comp]
  along <- function(s) {
    walk_drift(ctx, function(t) {
      r <- probed$profile_at(s, W, lc, t)
      if (is.null(r)) NA_real_ else r$value
    }, th$drift_walk, probed$value)
  }
  a <- -g / curv
  s <- drop(V %*% a)
  dr <- along(s)
  if (is.null(dr)) return(NULL)
  dirs <- matrix(s / sqrt(sum(s^2)), ncol = 1L)
  kinds <- dr$kind
  # the rest of the subspace, orthogonal to the drift: does it tilt the drift?
  m <- length(flat)
  if (m > 1L) {
    rest <- qr.Q(qr(matrix(a, ncol = 1L)), complete = TRUE)[, -1L, drop = FALSE]
    unit <- a / sqrt(sum(a^2))
    for (j in seq_len(ncol(rest))) {
      both <- lapply(c(1, -1), function(e) {
        b <- unit + e * th$drift_tilt * rest[, j]
        # the tilted direction, as long as the Newton step
        b <- b * sqrt(sum(a^2) / sum(b^2))
        along(drop(V %*% b))
      })
      if (!any(vapply(both, is.null, NA))) {
        dirs <- cbind(dirs, drop(V %*% rest[, j]))
        kinds <- c(kinds, vapply(both, `[[`, "", "kind"))
      }
    }
  }
  list(directions = dirs, kind = if (any(kinds == "unbounded")) "unbounded" else "asymptote")
}

# A flat direction of two parameters a, b along which fn is constant because it knows them
# only through exp(ka a) + exp(kb b), k = 1 for a log-variance and 2 for a log-SD (a
# residual variance and an observation-level random effect's, whose sum alone the data
# identify): the direction is then the tangent of that curve, (u_a, u_b) proportional to
# (kb exp(kb b), -ka exp(ka a)) (within sum_ratio), and fn must be the same (within
# its noise, or sum_rel of |fn|) where the sum is split 1:9 and 9:1 between the two
# terms. Returns, per direction, NULL or the free parameters' indices `i` and `k`.
identified_sums <- function(clf, par, fx, f0, noise, th) {
  out <- vector("list", length(clf$values))
  tol <- max(th$significant * th$profile_noise * noise, th$sum_rel * abs(f0))
  for (q in which(clf$sign == 0L & !clf$weak & !clf$kink)) {
    v <- clf$vectors[, q]
    sel <- which(abs(v) >= th$combo_share * max(abs(v)))
    if (length(sel) != 2L) next
    i <- clf$free[sel]
    u <- v[sel] / clf$scale[i]
    if (u[1L] * u[2L] >= 0) next
    x <- par[i]
    for (k in list(c(1, 1), c(1, 2), c(2, 1), c(2, 2))) {
      pred <- -(k[2L] * exp(k[2L] * x[2L])) / (k[1L] * exp(k[1L] * x[1L]))
      if (!is.finite(pred) || pred == 0 || abs((u[1L] / u[2L]) / pred - 1) > th$sum_ratio) next
      total <- exp(k[1L] * x[1L]) + exp(k[2L] * x[2L])
      same <- vapply(c(0.1, 0.9), function(r) {
        p <- par
        p[i] <- log(c(r, 1 - r) * total) / k
        f1 <- fx(p)
        !is.na(f1) && abs(f1 - f0) <= tol
      }, NA)
      if (all(same)) {
        out[[q]] <- list(i = i, k = k)
        break
      }
    }
  }
  out
}
