# The classification of a point: the Hessian of the free parameters scaled to unit
# diagonal with error bars (C's linear algebra), then fn itself along the directions
# the Hessian leaves undecided, the stationarity measures and the covariance. The
# thresholds are hc_thresholds (verdict.R); verdict() ranks what is found here.

# The diagonal of a square matrix, without diag()'s argument handling (it runs several
# times per check on the fast path of a well-posed fit).
diag_of <- function(M) {
  n <- nrow(M)
  if (!n) return(numeric())
  M[seq.int(1L, by = n + 1L, length.out = n)]
}

# The scale of each parameter, which parameters sit on a bound or do not enter fn at
# all, and the eigen-decomposition of the Hessian of the free parameters scaled to unit
# diagonal, each eigenvalue with an error bar from the Hessian's element errors.
#
# Scale d_i = sqrt|H_ii|, never ~0 (numerics notes: "a diagonal of zero means no
# curvature seen, not divide by it"): a diagonal within its error bound takes the scale
# that makes its largest significant off-diagonal element 1 in the scaled matrix,
# |H_ij| / d_j; with none, fn does not depend on the parameter at the point and the scale
# is 1 (used only for its distance to a bound). An unknown (infinite) error says nothing
# about the curvature: kept.
param_scale <- function(H, E, th) {
  n <- nrow(H)
  hd <- diag_of(H)
  ed <- diag_of(E)
  dep <- is.finite(hd) & abs(hd) > 0 & (abs(hd) > ed | !is.finite(ed))
  dep[is.na(dep)] <- FALSE
  d <- sqrt(abs(hd))
  if (all(dep)) return(list(scale = d, depends = dep))
  d[!dep] <- 0
  for (i in which(!dep)) {
    sig <- abs(H[i, ]) > th$significant * E[i, ]
    sig[is.na(sig) | seq_len(n) == i] <- FALSE
    any <- max(0, sqrt(abs(H[i, sig])))
    on <- sig & dep
    s <- max(0, abs(H[i, on]) / d[on])
    if (s == 0) s <- any                 # all diagonals zero: f = x y at 0
    if (s > 0 && is.finite(s)) {
      dep[i] <- TRUE
      d[i] <- s
    } else {
      d[i] <- 1
    }
  }
  list(scale = d, depends = dep)
}

# Bounds: -1 / 1 on the lower / upper bound (closer than tol_bound in units of 1 / d_i),
# else 0; on a bound, the slope of fn into the interior in the same units (negative: fn
# decreases away from the bound) and its error.
bound_status <- function(x, bounds, d, g, ge, tol_bound) {
  if (!any(is.finite(bounds$lower)) && !any(is.finite(bounds$upper))) {
    none <- rep(NA_real_, length(x))
    return(list(at_bound = integer(length(x)), kkt = none, kkt_error = none))
  }
  dl <- (x - bounds$lower) * d
  du <- (bounds$upper - x) * d
  lo <- !is.na(dl) & dl <= tol_bound
  up <- !lo & !is.na(du) & du <= tol_bound
  b <- up - lo
  kkt <- kkt_error <- rep(NA_real_, length(x))
  on <- b != 0L
  if (any(on)) {
    kkt[on] <- (-b * g / d)[on]
    kkt_error[on] <- (ge / d)[on]
  }
  list(at_bound = b, kkt = kkt, kkt_error = kkt_error)
}

# Eigen-decomposition (ascending) of a symmetric matrix with element error bounds Es:
# each eigenvalue's error bar is the smaller of the first-order per-eigenpair bound
# sum_pr |v_p| E_pr |v_r| (dlambda = v' dH v) and Weyl's bound ||E||_2 <= ||E||_F
# (numerics notes, "Turning element errors into eigenvalue error bars").
eigen_with_error <- function(A, Es) {
  k <- nrow(A)
  if (!k) return(list(values = numeric(), vectors = matrix(0, 0, 0), uncertainty = numeric()))
  if (!all(is.finite(A))) {
    return(list(values = rep(NaN, k), vectors = diag(k), uncertainty = rep(Inf, k)))
  }
  e <- eigen(A, symmetric = TRUE)
  o <- rev(seq_len(k))
  V <- e$vectors[, o, drop = FALSE]
  frob <- sqrt(sum(Es^2))
  # 0 x Inf (an unknown element error where a vector has no weight) is no information:
  # Weyl's bound stands (as C's fmin() ignores a NaN)
  aV <- abs(V)
  u <- colSums(aV * (Es %*% aV))
  u[u > frob] <- frob
  u[is.na(u)] <- frob
  list(values = e$values[o], vectors = V, uncertainty = u)
}

# The decomposition classify_point() starts from. An off-diagonal element within its
# error is set to zero (a change inside the error bars), so that a diagonal Hessian with
# equal eigenvalues keeps the parameters as its eigenvectors rather than arbitrary
# rotations of them.
scaled_hessian <- function(H, E, g, ge, par, bounds, th) {
  ps <- param_scale(H, E, th)
  bs <- bound_status(par, bounds, ps$scale, g, ge, th$tol_bound)
  free <- which(bs$at_bound == 0L & ps$depends)
  d <- ps$scale[free]
  s <- tcrossprod(d)
  A <- H[free, free, drop = FALSE] / s
  Es <- E[free, free, drop = FALSE] / s
  off <- row(A) != col(A) & abs(A) <= Es
  A[off & !is.na(off)] <- 0
  c(list(scale = ps$scale, depends = ps$depends, free = free, matrix = unname(A)), bs,
    eigen_with_error(unname(A), unname(Es)))
}

# Stationarity and covariance from an eigen-decomposition of the scaled Hessian (the
# Hessian's, or one whose curvatures fn measured): over the directions with use = TRUE
# (the non-flat ones), Cs = sum_q v_q v_q' / |lambda_q|, the Newton step s = -Cs gs in
# scaled units, z = s / sqrt(diag Cs) (standard errors of the |curvature| metric) with
# the gradient errors' effect |Cs| gse / sqrt(diag Cs), and per direction the step in
# its own standard errors (v_q' gs) / sqrt|lambda_q| with its error. When posdef, also
# Cs itself (the scaled covariance) and lme4's scaled gradient max |solve(chol(H), g)|,
# H = D Hs D, whose Cholesky factor is chol(Hs) D.
newton_measures <- function(V, lam, use, gs, gse, d, posdef, A = NULL) {
  k <- length(lam)
  a <- drop(crossprod(V, gs))
  b <- drop(crossprod(abs(V), gse))
  r <- sqrt(abs(lam))
  dz <- a / r
  dze <- b / r
  dz[!use] <- dze[!use] <- NA_real_
  Vu <- V[, use, drop = FALSE]
  Cs <- Vu %*% (t(Vu) / abs(lam[use]))
  se <- sqrt(diag_of(Cs))
  step <- -drop(Cs %*% gs)
  err <- drop(abs(Cs) %*% gse)
  none <- !any(use)
  ok <- !none & se > 0
  sg <- NA_real_
  if (posdef && k > 0L) {
    # (A: the same matrix, when the eigenvalues are its own)
    R <- tryCatch(chol(if (is.null(A)) V %*% (lam * t(V)) else A), error = function(e) NULL)
    if (!is.null(R)) sg <- max(abs(backsolve(R, gs * d) / d))
  }
  z <- step / se
  ze <- err / se
  z[!ok] <- ze[!ok] <- NA_real_
  list(step = if (none) rep(NA_real_, k) else step, z = z, z_error = ze,
       direction_z = dz, direction_z_error = dze,
       cov = if (posdef) Cs, scaled_gradient = sg)
}

# Whether a leftover gradient could tilt the curvature of each direction past its sign.
# The optimum lies about one Newton step away (over the directions of clearly larger
# curvature, with the gradient's error bar); over that distance a curvature changes by
# the third derivative times it, taken as at most the largest curvature per scaled unit.
# Where even that cannot move a direction's curvature by a third of itself (an optimum
# reached to its tolerance), fn need not be asked along it.
tilt_possible <- function(V, lam, unc, gs, gse, lmax, th) {
  k <- length(lam)
  if (!k) return(logical())
  big <- abs(lam) >= th$probe_small * lmax
  if (!any(big) || !all(lam[big] > th$significant * unc[big])) return(rep(TRUE, k))
  gv <- abs(drop(crossprod(V, gs))) + th$significant * drop(abs(t(V)) %*% abs(gse))
  dist <- sqrt(sum((gv[big] / lam[big])^2))
  # along the small directions themselves the step is gv / |lambda|: its own tilt
  own <- gv / pmax(abs(lam), .Machine$double.xmin)
  !(lmax * (dist + own) < abs(lam) / th$significant)
}

# Classify the point: the scaled eigen-decomposition with error bars, then fn along each
# direction the Hessian leaves undecided, the stationarity measures and the covariance.
# `probe`: make_probe()'s function(clf, sure, ask), or NULL to use the Hessian alone.
# The directions' state, as fn revises it, travels in one list `st` (values, uncertainty,
# source, kink, ridge, vectors, probed; then sign, weak, profiles); clf stays the Hessian's.
classify_point <- function(h, par, bounds, th, probe = NULL) {
  g <- attr(h, "gradient")
  ge <- attr(h, "gradient_error")
  clf <- scaled_hessian(unclass(h), attr(h, "error"), g, ge, unname(par), bounds, th)
  free <- clf$free
  # fn piecewise constant in a parameter: its zero curvature is no evidence that fn
  # does not depend on it (the not-smooth finding says what it is).
  clf$depends[attr(h, "status") %in% c("stairs", "kink")] <- TRUE
  k <- length(free)
  d <- clf$scale
  lam <- clf$values
  unc <- clf$uncertainty
  st <- list(values = lam, uncertainty = unc, source = rep("hessian", k),
             kink = rep(FALSE, k), ridge = rep(FALSE, k), vectors = clf$vectors,
             probed = NULL)
  gs <- g[free] / d[free]
  gse <- ge[free] / d[free]
  lmax <- if (k) max(abs(lam)) else 0
  # Undecided (|lambda| within its error bar) or suspicious (error bar above probe_rel
  # of it, or |lambda| below probe_small of the largest) directions are asked of fn.
  ask <- which(!(abs(lam) > th$significant * unc) | unc > th$probe_rel * abs(lam) |
                 (abs(lam) < th$probe_small * lmax &
                    tilt_possible(clf$vectors, lam, unc, gs, gse, lmax, th)))
  if (length(ask) && !is.null(probe)) st <- probe_directions(st, clf, ask, probe, lmax, th)
  kink_par <- kink_parameters(h, clf, st, probe)
  st <- profile_flat(direction_signs(st, th), th)
  nt <- stationarity(st, clf, gs, gse, th)
  lam <- st$values
  sgn <- st$sign
  pos <- nt$positive
  list(
    scale = d, at_bound = clf$at_bound, kkt = clf$kkt,
    kkt_violated = nt$kkt_violated, free = free,
    values = lam, vectors = st$vectors, uncertainty = st$uncertainty,
    hessian_values = clf$values, hessian_uncertainty = clf$uncertainty,
    source = st$source, sign = sgn, kink = st$kink,
    ridge = st$ridge, probed = st$probed, weak = st$weak, profiles = st$profiles,
    hessian_scaled = clf$matrix,
    kink_parameters = kink_par,
    stairs_parameters = which(attr(h, "status") == "stairs" & clf$at_bound == 0L),
    newton = nt$newton, newton_z = nt$newton_z, newton_error = nt$newton_error,
    off_optimum = nt$off_optimum,
    cov = nt$cov, scaled_gradient = nt$scaled_gradient,
    # the states read by the verdict, the findings and check_fit(), derived once
    positive = pos, saddle = any(sgn == -1L) && any(sgn == 1L),
    maximum = length(sgn) > 0L && all(sgn == -1L),
    no_dependence = !clf$depends & clf$at_bound == 0L & !seq_along(clf$depends) %in% kink_par,
    # fn's measured noise far above rounding, and Hessian elements it leaves unresolved
    too_noisy = isTRUE(attr(h, "noise") > th$noisy * max(abs(attr(h, "value")), 1)) &&
      any(attr(h, "unresolved")),
    cond = if (pos) max(lam) / min(lam) else NA_real_,
    newton_distance = nt$newton_distance
  )
}

# fn asked along the directions `ask` (indices into st$values) by the probe: its curvature
# matrix M there (errors Em, in the basis of those directions) leaves the Hessian's
# decomposition standing (hessian_knows_more()), replaces it there (ritz_directions()),
# or, with elements missing, replaces each eigenvalue it measured more precisely. lmax:
# the Hessian's largest |eigenvalue|. Returns st revised, with `probed`, the probe's result.
probe_directions <- function(st, clf, ask, probe, lmax, th) {
  lam <- st$values
  unc <- st$uncertainty
  # The Newton point is sought along the certain positive directions only: along a
  # certain negative one a Newton step with |curvature| would descend, not approach
  # the stationary point.
  sure <- setdiff(seq_along(lam), ask)
  probed <- probe(clf, sure[lam[sure] > 0], ask)
  st$probed <- probed
  M <- probed$matrix
  Em <- probed$error
  st$kink[ask] <- probed$kink
  qd <- probed$quartic
  ok <- !is.na(diag(M))
  if (all(ok) && !anyNA(M) && hessian_knows_more(M, Em, lam, unc, ask, lmax, th)) {
    # fn along the directions agrees with the Hessian and says less: the Hessian's
    # decomposition stands (a rotation of its subspace by the probe's noise would mix
    # a well-determined parameter into a poorly determined direction)
    return(st)
  }
  if (all(ok) && !anyNA(M)) return(ritz_directions(st, ask, sure, probed, th))
  lim <- if (any(qd[ok] != 0)) ridge_limit(probed, st$vectors, lam, unc, sure, th) else Inf
  for (i in which(ok)) {
    q <- ask[i]
    if (Em[i, i] < unc[q]) {
      st$ridge[q] <- abs(qd[i]) > lim * M[i, i]^2
      lam[q] <- M[i, i]
      unc[q] <- Em[i, i]
      st$source[q] <- "fn"
    }
  }
  st$values <- lam
  st$uncertainty <- unc
  st
}

# Rayleigh-Ritz on the probed subspace `ask` (the others, `sure`): the eigenvalues of fn's
# curvature matrix there replace the Hessian's, its eigenvectors rotate theirs, with the
# same error bars; a rotated direction whose quartic term is large is a ridge. Returns st
# revised (values, uncertainty, source, kink, ridge, vectors).
ritz_directions <- function(st, ask, sure, probed, th) {
  lam <- st$values
  unc <- st$uncertainty
  kink <- st$kink
  ridge <- st$ridge
  e <- eigen_with_error(probed$matrix, probed$error)
  W <- e$vectors
  vecs <- st$vectors
  vecs[, ask] <- st$vectors[, ask, drop = FALSE] %*% W
  lam[ask] <- e$values
  unc[ask] <- e$uncertainty
  st$source[ask] <- "fn"
  # The quartic term along each new direction, from those along the old ones.
  qn <- drop(crossprod(W^2, probed$quartic))
  if (any(qn != 0)) {
    ridge[ask] <- abs(qn) > ridge_limit(probed, vecs, lam, unc, sure, th) * lam[ask]^2
  }
  # The Rayleigh quotient along each rotated direction, asked of fn again: second
  # order in the rotation's error, so it is kept where the probe's own error bar is
  # below the Ritz value's.
  for (j in seq_along(ask)) {
    q <- ask[j]
    if (ridge[q]) next
    pr <- probed$along(vecs[, q], lam[q], unc[q])
    if (!is.null(pr) && pr$error < unc[q]) {
      lam[q] <- pr$value
      unc[q] <- pr$error
      kink[q] <- kink[q] || pr$kink
    }
  }
  st[c("values", "uncertainty", "kink", "ridge", "vectors")] <- list(lam, unc, kink, ridge, vecs)
  st
}

# The parameters (indices into par) where fn has a kink: along each axis of the free
# parameters when the probe saw a kink along some direction, along the axis of each
# parameter fn seems not to depend on, and the engine's own "kink" status.
kink_parameters <- function(h, clf, st, probe) {
  free <- clf$free
  k <- length(free)
  probed <- st$probed
  # A kink seen along some direction: which parameters carry it, along each axis.
  kink_par <- integer()
  if (any(st$kink) && !is.null(probed$along)) {
    kink_par <- free[vapply(seq_len(k), function(i) {
      w <- numeric(k)
      w[i] <- 1
      pr <- probed$along(w, 1, 1)
      !is.null(pr) && pr$kink
    }, NA)]
  }
  # A parameter fn seems not to depend on (its Hessian row zero within its error), asked
  # along its axis: a kink there makes the differences meaningless, not zero. The
  # engine's own "kink" status (one-sided second differences that disagree) says the same.
  nodep <- which(!clf$depends & clf$at_bound == 0L)
  if (length(nodep) && !is.null(probe)) {
    ax <- attr(probe, "axis")
    hit <- vapply(nodep, function(i) {
      pr <- ax(i)
      !is.null(pr) && pr$kink
    }, NA)
    kink_par <- c(kink_par, nodep[hit])
  }
  engine_kink <- which(attr(h, "status") == "kink" & clf$at_bound == 0L)
  if (length(engine_kink)) kink_par <- sort(unique(c(kink_par, engine_kink)))
  kink_par
}

# The directions sorted by curvature, each error bar raised to what the rounding of fn
# can resolve, and each direction's sign (0: flat or undecided). Returns st revised,
# with `sign`.
direction_signs <- function(st, th) {
  lam <- st$values
  unc <- st$uncertainty
  src <- st$source
  kink <- st$kink
  ridge <- st$ridge
  if (is.unsorted(lam)) {
    o <- order(lam)
    lam <- lam[o]; unc <- unc[o]; src <- src[o]; kink <- kink[o]; ridge <- ridge[o]
    st$vectors <- st$vectors[, o, drop = FALSE]
  }
  # An eigenvalue below what the rounding of fn can resolve is zero: a perturbation of
  # the scaled Hessian's elements by a few eps of the largest curvature (data and fn
  # computed in double precision) moves every eigenvalue by that much (Weyl).
  lmax <- max(abs(lam), 0)
  floor_unc <- th$rounding * lmax
  unc[unc < floor_unc] <- floor_unc
  sgn <- (lam > th$significant * unc) - (lam < -th$significant * unc)
  # A curved ridge's own curvature is zero up to the tilt of a leftover gradient; a
  # clearly curved direction (a banana-shaped valley such as Rosenbrock's at its
  # minimum, whose fn also rises at fourth order) is identified.
  ridge <- ridge & abs(lam) < th$ridge_curvature * lmax
  sgn[ridge] <- 0L
  st[c("values", "uncertainty", "source", "kink", "ridge", "sign")] <-
    list(lam, unc, src, kink, ridge, sgn)
  st
}

# Along every direction still flat or undecided, the profile decides (others
# re-minimised): constant, a ridge; decreasing, a (degenerate) saddle with its lower
# point; increasing, identified (at second order) or weakly (at fourth). Returns st
# revised (values, uncertainty, source, sign, ridge), with `weak` and `profiles`.
profile_flat <- function(st, th) {
  lam <- st$values
  unc <- st$uncertainty
  src <- st$source
  sgn <- st$sign
  ridge <- st$ridge
  k <- length(lam)
  lmax <- max(abs(lam), 0)
  probed <- st$probed
  weak <- rep(FALSE, k)
  profiles <- vector("list", k)
  if (!is.null(probed$profile)) {
    # (a direction of tiny negative curvature too: a ridge tilted by rounding or by an
    # approximate inner optimisation, as in a Laplace approximation, or a degenerate saddle)
    small_neg <- sgn == -1L & abs(lam) < th$probe_small * lmax
    for (q in which((sgn == 0L | small_neg) & !st$kink)) {
      # re-minimised over the clearly curved directions only: along another nearly
      # flat one a Newton step is long and moves fn by as much as the profile does
      comp <- which(sgn == 1L & seq_len(k) != q & lam > th$drift_small * lmax)
      pr <- probed$profile(st$vectors[, q], st$vectors[, comp, drop = FALSE], lam[comp])
      if (is.null(pr)) next
      profiles[[q]] <- pr
      src[q] <- "profile"
      switch(pr$shape,
        increasing = if (pr$order == 2L) {
          if (!(lam[q] > th$significant * unc[q])) {
            lam[q] <- pr$curvature
            unc[q] <- pr$error
          }
          sgn[q] <- 1L
          ridge[q] <- FALSE
        } else {
          # rising at fourth order: flat at second order, whatever the sign of a
          # curvature tilted by a leftover gradient; not a saddle along it
          weak[q] <- TRUE
          sgn[q] <- 0L
        },
        decreasing = {
          sgn[q] <- -1L
        },
        constant = {
          unc[q] <- max(unc[q], abs(lam[q]) / th$significant,
                        min(pr$resolution, th$probe_small * lmax))
          sgn[q] <- 0L
        }
      )
    }
  }
  st[c("values", "uncertainty", "source", "sign", "ridge", "weak", "profiles")] <-
    list(lam, unc, src, sgn, ridge, weak, profiles)
  st
}

# Stationarity: the Newton step over the non-flat directions, with |lambda| (so that
# it is defined at a saddle too), in standard errors of that metric; per parameter,
# and along each direction in its own standard errors, so that a step along a
# well-determined direction is not hidden by a poorly determined one (newton_measures()).
# Returns the step (parameter units), its z and errors, the parameters off the optimum,
# the covariance and scaled gradient at a minimum, the bound parameters whose slope
# points inwards (kkt_violated), and the distance to the optimum in standard errors.
stationarity <- function(st, clf, gs, gse, th) {
  lam <- st$values
  sgn <- st$sign
  d <- clf$scale[clf$free]
  flat <- sgn == 0L
  pos <- length(lam) > 0L && all(sgn == 1L)
  nt <- newton_measures(st$vectors, lam, !flat, gs, gse, d, pos,
                        if (all(st$source == "hessian") && identical(lam, clf$values)) clf$matrix)
  z <- nt$z
  ze <- nt$z_error
  zk <- nt$direction_z
  sig_k <- !flat & abs(zk) > th$significant * nt$direction_z_error
  zdir <- max(0, abs(zk[sig_k]))
  off <- !is.na(z) & abs(z) > th$tol_step & abs(z) > th$significant * ze
  if (zdir > th$tol_step && !any(off)) off[which.max(abs(z))] <- TRUE
  kkt_bad <- clf$at_bound != 0L & !is.na(clf$kkt) & clf$kkt < 0 &
    abs(clf$kkt) > th$tol_step & abs(clf$kkt) > th$significant * clf$kkt_error
  list(positive = pos, newton = nt$step / d, newton_z = z, newton_error = ze,
       off_optimum = off, cov = if (pos) nt$cov / tcrossprod(d),
       scaled_gradient = nt$scaled_gradient, kkt_violated = kkt_bad,
       newton_distance = max(zdir, abs(z[off])))
}

# Whether the Hessian's decomposition of the probed subspace stands against fn's own
# curvature matrix M there (errors Em, in the basis of the Hessian's directions `ask`):
# every direction was asked only because its error bar exceeds probe_rel of it (its sign
# is certain and its curvature not small, so no leftover gradient can tilt it), M agrees
# with the Hessian's diagonal of eigenvalues within their combined error bars, and fn
# measures no direction more precisely than the Hessian did (a probe by second differences
# of fn is often coarser than a Hessian from differences of the gradient). Replacing the
# Hessian's eigenpairs there would only widen their error bars, and rotate its directions
# by the probe's noise.
hessian_knows_more <- function(M, Em, lam, unc, ask, lmax, th) {
  la <- lam[ask]
  ua <- unc[ask]
  sure <- abs(la) > th$significant * ua & abs(la) >= th$probe_small * lmax
  if (!all(sure) || !all(diag(Em) >= ua)) return(FALSE)
  D <- diag(la, length(la))
  tol <- th$significant * (Em + outer(ua, ua, pmax))
  all(abs(M - D) <= tol)
}

# The bound on quartic term / curvature^2 beyond which a probed direction is a ridge:
# ridge_ratio times the same along the certain direction of largest curvature, and at
# least 1 (see hc_thresholds). Called only when a probed direction has a quartic term;
# V: the directions' vectors (columns), lam and unc their curvatures and error bars.
ridge_limit <- function(probed, V, lam, unc, sure, th) {
  r <- 0
  top <- sure[lam[sure] > 0]
  if (length(top)) {
    q <- top[which.max(lam[top])]
    pr <- probed$along(V[, q], lam[q], unc[q])
    if (!is.null(pr) && pr$value > 0) r <- abs(pr$quartic) / pr$value^2
  }
  max(th$ridge_ratio * r, 1)
}
