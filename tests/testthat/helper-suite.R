# External accuracy suite: test problems with exact Hessians (base R + stats only).
#
# * mgh_problems(): the 35 problems of More, Garbow & Hillstrom (1981), "Testing
#   unconstrained optimization software", ACM TOMS 7(1), 17-41, as sums of squares
#   f(x) = sum_i r_i(x)^2, at the standard starting point x0, at 10 * x0 and, where it
#   is known exactly, at the minimiser x*.
# * stat_problems(): negative log-likelihoods and least-squares fits of statistics.
# * all_suite_problems(): both.
#
# Each problem is list(name, fn, gr, par, value, gradient, hessian, hessian_tol, n, ...).
# The truth comes from stats::deriv3() applied to the residual (or log-likelihood term)
# expressions, never from differences: Hessian of sum r_i^2 = 2 sum (J_i J_i' + r_i H_i).
# `fn` is a hand-written R function of the same formulas; it is checked against the
# symbolic value at `par` when the problem is built (a typo in either stops).
# `hessian_tol` is a rough bound on the rounding error of the exact Hessian itself
# (16 eps times the sum of the magnitudes of the terms).
#
# Nothing is computed when this file is sourced: the problems are built, once per
# session, on the first call of the functions below.

hc_suite_cache <- new.env(parent = emptyenv())

# ---------------------------------------------------------------------------------------
# Symbolic machinery

hc_x <- function(j) as.name(paste0("x", j))

# Sum of a list of expressions, as one expression.
hc_sum <- function(terms) Reduce(function(a, b) bquote(.(a) + .(b)), terms)

# Compile residual (type "ssq") or summand (type "sum") expressions: each may evaluate to
# a vector when it involves data vectors (one residual / term per element).
hc_compile <- function(exprs, nm, type = c("ssq", "sum")) {
  type <- match.arg(type)
  if (is.language(exprs)) exprs <- list(exprs)
  structure(list(
    exprs = exprs, nm = nm, type = type,
    d3 = lapply(exprs, function(e) stats::deriv3(e, nm, hessian = TRUE)),
    d1 = lapply(exprs, function(e) stats::deriv(e, nm))
  ), class = "hc_compiled")
}

hc_env <- function(comp, x, data) c(as.list(stats::setNames(as.double(x), comp$nm)), data)

# Values, Jacobian (one row per residual / term) and, for d3, the stacked Hessians.
hc_eval_exprs <- function(comp, x, data, hessian = TRUE) {
  env <- hc_env(comp, x, data)
  n <- length(comp$nm)
  vals <- list(); jac <- list(); hes <- list()
  for (d in if (hessian) comp$d3 else comp$d1) {
    v <- eval(d, env, baseenv())
    g <- attr(v, "gradient")
    k <- length(v)
    vals[[length(vals) + 1L]] <- as.vector(v)
    jac[[length(jac) + 1L]] <- matrix(g, k, n)
    if (hessian) hes[[length(hes) + 1L]] <- matrix(attr(v, "hessian"), k, n * n)
  }
  list(r = unlist(vals), J = do.call(rbind, jac),
       Hs = if (hessian) do.call(rbind, hes))
}

# Exact value, gradient and Hessian of sum r_i^2 (type "ssq") or of sum r_i ("sum") at
# par, from deriv3() of each expression. `exprs`: a list of expressions in x1..xn (or in
# names(par)), or the result of hc_compile().
hc_exact_hessian <- function(exprs, par, data = list(), type = "ssq") {
  comp <- if (inherits(exprs, "hc_compiled")) exprs else {
    nm <- if (is.null(names(par))) paste0("x", seq_along(par)) else names(par)
    hc_compile(exprs, nm, type)
  }
  n <- length(comp$nm)
  e <- hc_eval_exprs(comp, par, data, hessian = TRUE)
  r <- e$r; J <- e$J
  if (!all(is.finite(r)) || !all(is.finite(J)) || !all(is.finite(e$Hs))) {
    return(list(value = NaN, gradient = rep(NaN, n), hessian = matrix(NaN, n, n),
                residuals = r))
  }
  if (comp$type == "ssq") {
    H <- 2 * (crossprod(J) + matrix(colSums(r * e$Hs), n, n))
    Habs <- 2 * (crossprod(abs(J)) + matrix(colSums(abs(r) * abs(e$Hs)), n, n))
    value <- sum(r^2)
    g <- 2 * drop(crossprod(J, r))
  } else {
    H <- matrix(colSums(e$Hs), n, n)
    Habs <- matrix(colSums(abs(e$Hs)), n, n)
    value <- sum(r)
    g <- colSums(J)
  }
  H <- (H + t(H)) / 2
  dn <- if (is.null(names(par))) NULL else list(names(par), names(par))
  dimnames(H) <- dimnames(Habs) <- dn
  names(g) <- names(par)
  list(value = value, gradient = g, hessian = H,
       hessian_tol = 16 * .Machine$double.eps * Habs, residuals = r, jacobian = J)
}

# Exact gradient as a function of x (2 J'r, or the sum of the term gradients).
hc_make_gr <- function(comp, data) {
  force(comp); force(data)
  function(x) {
    e <- hc_eval_exprs(comp, x, data, hessian = FALSE)
    g <- if (comp$type == "ssq") 2 * drop(crossprod(e$J, e$r)) else colSums(e$J)
    names(g) <- names(x)
    g
  }
}

# One problem at one point. `r` is the hand-written residual (or term) vector function,
# `data` the data the expressions see at this point. Returns NULL where not finite.
hc_point <- function(name, comp, r, par, data = list(), source = "") {
  ex <- hc_exact_hessian(comp, par, data)
  if (!is.finite(ex$value) || !all(is.finite(ex$hessian))) return(NULL)
  force(r)
  fn <- if (comp$type == "ssq") function(x) sum(r(x)^2) else function(x) sum(r(x))
  rh <- r(par)
  fh <- fn(par)
  scale_r <- max(abs(ex$residuals), abs(rh))
  if (length(rh) != length(ex$residuals) ||
      max(abs(rh - ex$residuals)) > 1e-12 * scale_r + 1e-14 ||
      abs(fh - ex$value) > 1e-12 * max(abs(fh), abs(ex$value)) + 1e-28) {
    stop(sprintf("helper-suite: hand-written and symbolic %s disagree at par (%.17g vs %.17g)",
                 name, fh, ex$value), call. = FALSE)
  }
  list(name = name, fn = fn, gr = hc_make_gr(comp, data), par = par,
       value = ex$value, gradient = ex$gradient, hessian = ex$hessian,
       hessian_tol = ex$hessian_tol, n = length(par), source = source)
}

# A problem family: the expressions (compiled once), the hand residual function and the
# points. `data` is a list, or a function(par) giving it (piecewise definitions such as
# the branch of atan or the sign inside |.|, fixed at each point).
hc_family <- function(id, name, exprs, r, x0, xstar = NULL, data = list(),
                      ten = TRUE, nm = NULL, type = "ssq", source = NULL) {
  n <- length(x0)
  if (is.null(nm)) nm <- paste0("x", seq_len(n))
  comp <- hc_compile(exprs, nm, type)
  if (is.null(source)) source <- sprintf("More, Garbow & Hillstrom (1981) #%d", id)
  pts <- list(x0 = x0)
  if (!is.null(xstar)) pts$xstar <- xstar
  if (ten && !any(vapply(pts, function(p) all(p == 10 * x0), NA))) {
    pts$x10 <- 10 * x0
  }
  out <- list()
  for (k in names(pts)) {
    p <- pts[[k]]
    dat <- if (is.function(data)) data(p) else data
    pr <- hc_point(paste0(name, "_", k), comp, r, p, dat, source)
    if (!is.null(pr)) out[[pr$name]] <- pr
  }
  out
}

# ---------------------------------------------------------------------------------------
# More, Garbow & Hillstrom (1981)

hc_mgh_families <- function() {
  fam <- list()
  add <- function(x) fam[[length(fam) + 1L]] <<- x

  # 1 Rosenbrock
  add(hc_family(1, "rosenbrock",
    list(quote(10 * (x2 - x1^2)), quote(1 - x1)),
    function(x) c(10 * (x[2] - x[1]^2), 1 - x[1]),
    x0 = c(-1.2, 1), xstar = c(1, 1)))

  # 2 Freudenstein and Roth
  add(hc_family(2, "freudenstein_roth",
    list(quote(-13 + x1 + ((5 - x2) * x2 - 2) * x2),
         quote(-29 + x1 + ((x2 + 1) * x2 - 14) * x2)),
    function(x) c(-13 + x[1] + ((5 - x[2]) * x[2] - 2) * x[2],
                  -29 + x[1] + ((x[2] + 1) * x[2] - 14) * x[2]),
    x0 = c(0.5, -2), xstar = c(5, 4)))

  # 3 Powell badly scaled (minimiser not in closed form)
  add(hc_family(3, "powell_badly_scaled",
    list(quote(10000 * x1 * x2 - 1), quote(exp(-x1) + exp(-x2) - 1.0001)),
    function(x) c(1e4 * x[1] * x[2] - 1, exp(-x[1]) + exp(-x[2]) - 1.0001),
    x0 = c(0, 1)))

  # 4 Brown badly scaled
  add(hc_family(4, "brown_badly_scaled",
    list(quote(x1 - 1e6), quote(x2 - 2e-6), quote(x1 * x2 - 2)),
    function(x) c(x[1] - 1e6, x[2] - 2e-6, x[1] * x[2] - 2),
    x0 = c(1, 1), xstar = c(1e6, 2e-6)))

  # 5 Beale
  beale_y <- c(1.5, 2.25, 2.625)
  add(hc_family(5, "beale",
    list(quote(y - x1 * (1 - x2^i))),
    function(x) beale_y - x[1] * (1 - x[2]^(1:3)),
    x0 = c(1, 1), xstar = c(3, 0.5), data = list(y = beale_y, i = 1:3)))

  # 6 Jennrich and Sampson, m = 10
  add(hc_family(6, "jennrich_sampson",
    list(quote(2 + 2 * i - (exp(i * x1) + exp(i * x2)))),
    function(x) {
      i <- 1:10
      2 + 2 * i - (exp(i * x[1]) + exp(i * x[2]))
    },
    x0 = c(0.3, 0.4), data = list(i = 1:10)))

  # 7 Helical valley: theta = atan(x2/x1)/(2 pi) (+ 1/2 if x1 < 0); the branch is fixed
  # at each point (x1 is far from 0 at all of them).
  add(hc_family(7, "helical_valley",
    list(bquote(10 * (x3 - 10 * (atan(x2 / x1) / .(2 * pi) + b))),
         quote(10 * (sqrt(x1^2 + x2^2) - 1)), quote(x3)),
    function(x) {
      theta <- atan(x[2] / x[1]) / (2 * pi) + if (x[1] < 0) 0.5 else 0
      c(10 * (x[3] - 10 * theta), 10 * (sqrt(x[1]^2 + x[2]^2) - 1), x[3])
    },
    x0 = c(-1, 0, 0), xstar = c(1, 0, 0),
    data = function(p) list(b = if (p[1] < 0) 0.5 else 0)))

  # 8 Bard
  bard_y <- c(0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96,
              1.34, 2.10, 4.39)
  bard_u <- 1:15
  bard_v <- 16 - bard_u
  bard_w <- pmin(bard_u, bard_v)
  add(hc_family(8, "bard",
    list(quote(y - (x1 + u / (v * x2 + w * x3)))),
    function(x) bard_y - (x[1] + bard_u / (bard_v * x[2] + bard_w * x[3])),
    x0 = c(1, 1, 1), data = list(y = bard_y, u = bard_u, v = bard_v, w = bard_w)))

  # 9 Gaussian
  gauss_y <- c(0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989, 0.3521,
               0.2420, 0.1295, 0.0540, 0.0175, 0.0044, 0.0009)
  gauss_t <- (8 - 1:15) / 2
  add(hc_family(9, "gaussian",
    list(quote(x1 * exp(-x2 * (t - x3)^2 / 2) - y)),
    function(x) x[1] * exp(-x[2] * (gauss_t - x[3])^2 / 2) - gauss_y,
    x0 = c(0.4, 1, 0), data = list(y = gauss_y, t = gauss_t)))

  # 10 Meyer
  meyer_y <- c(34780, 28610, 23650, 19630, 16370, 13720, 11540, 9744, 8261, 7030, 6005,
               5147, 4427, 3820, 3307, 2872)
  meyer_t <- 45 + 5 * (1:16)
  add(hc_family(10, "meyer",
    list(quote(x1 * exp(x2 / (t + x3)) - y)),
    function(x) x[1] * exp(x[2] / (meyer_t + x[3])) - meyer_y,
    x0 = c(0.02, 4000, 250), data = list(y = meyer_y, t = meyer_t)))

  # 11 Gulf research and development, m = 10. |y_i - x2| is written with the sign
  # s_i of y_i - x2 at the point. 10 * x0 is the minimiser (50, 25, 1.5).
  gulf_t <- (1:10) / 100
  gulf_y <- 25 + (-50 * log(gulf_t))^(2 / 3)
  add(hc_family(11, "gulf",
    list(quote(exp(-(s * (y - x2))^x3 / x1) - t)),
    function(x) exp(-abs(gulf_y - x[2])^x[3] / x[1]) - gulf_t,
    x0 = c(5, 2.5, 0.15), xstar = c(50, 25, 1.5),
    data = function(p) list(t = gulf_t, y = gulf_y, s = sign(gulf_y - p[2]))))

  # 12 Box three-dimensional, m = 10
  box_t <- 0.1 * (1:10)
  add(hc_family(12, "box_3d",
    list(quote(exp(-t * x1) - exp(-t * x2) - x3 * (exp(-t) - exp(-10 * t)))),
    function(x) {
      exp(-box_t * x[1]) - exp(-box_t * x[2]) - x[3] * (exp(-box_t) - exp(-10 * box_t))
    },
    x0 = c(0, 10, 20), xstar = c(1, 10, 1), data = list(t = box_t)))

  # 13 Powell singular
  add(hc_family(13, "powell_singular",
    list(quote(x1 + 10 * x2), bquote(.(sqrt(5)) * (x3 - x4)), quote((x2 - 2 * x3)^2),
         bquote(.(sqrt(10)) * (x1 - x4)^2)),
    function(x) c(x[1] + 10 * x[2], sqrt(5) * (x[3] - x[4]), (x[2] - 2 * x[3])^2,
                  sqrt(10) * (x[1] - x[4])^2),
    x0 = c(3, -1, 0, 1), xstar = c(0, 0, 0, 0)))

  # 14 Wood
  add(hc_family(14, "wood",
    list(quote(10 * (x2 - x1^2)), quote(1 - x1), bquote(.(sqrt(90)) * (x4 - x3^2)),
         quote(1 - x3), bquote(.(sqrt(10)) * (x2 + x4 - 2)),
         bquote(.(1 / sqrt(10)) * (x2 - x4))),
    function(x) c(10 * (x[2] - x[1]^2), 1 - x[1], sqrt(90) * (x[4] - x[3]^2), 1 - x[3],
                  sqrt(10) * (x[2] + x[4] - 2), (x[2] - x[4]) / sqrt(10)),
    x0 = c(-3, -1, -3, -1), xstar = c(1, 1, 1, 1)))

  # 15 Kowalik and Osborne
  ko_y <- c(0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323,
            0.0235, 0.0246)
  ko_u <- c(4, 2, 1, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625)
  add(hc_family(15, "kowalik_osborne",
    list(quote(y - x1 * (u^2 + u * x2) / (u^2 + u * x3 + x4))),
    function(x) ko_y - x[1] * (ko_u^2 + ko_u * x[2]) / (ko_u^2 + ko_u * x[3] + x[4]),
    x0 = c(0.25, 0.39, 0.415, 0.39), data = list(y = ko_y, u = ko_u)))

  # 16 Brown and Dennis, m = 20
  bd_t <- (1:20) / 5
  add(hc_family(16, "brown_dennis",
    list(quote((x1 + t * x2 - exp(t))^2 + (x3 + x4 * sin(t) - cos(t))^2)),
    function(x) {
      (x[1] + bd_t * x[2] - exp(bd_t))^2 + (x[3] + x[4] * sin(bd_t) - cos(bd_t))^2
    },
    x0 = c(25, 5, -5, -1), data = list(t = bd_t)))

  # 17 Osborne 1
  os1_y <- c(0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751,
             0.718, 0.685, 0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522, 0.506, 0.490,
             0.478, 0.467, 0.457, 0.448, 0.438, 0.431, 0.424, 0.420, 0.414, 0.411, 0.406)
  os1_t <- 10 * (0:32)
  add(hc_family(17, "osborne1",
    list(quote(y - (x1 + x2 * exp(-t * x4) + x3 * exp(-t * x5)))),
    function(x) os1_y - (x[1] + x[2] * exp(-os1_t * x[4]) + x[3] * exp(-os1_t * x[5])),
    x0 = c(0.5, 1.5, -1, 0.01, 0.02), data = list(y = os1_y, t = os1_t)))

  # 18 Biggs EXP6, m = 13
  bg_t <- 0.1 * (1:13)
  bg_y <- exp(-bg_t) - 5 * exp(-10 * bg_t) + 3 * exp(-4 * bg_t)
  add(hc_family(18, "biggs_exp6",
    list(quote(x3 * exp(-t * x1) - x4 * exp(-t * x2) + x6 * exp(-t * x5) - y)),
    function(x) {
      x[3] * exp(-bg_t * x[1]) - x[4] * exp(-bg_t * x[2]) + x[6] * exp(-bg_t * x[5]) - bg_y
    },
    x0 = c(1, 2, 1, 1, 1, 1), xstar = c(1, 10, 1, 5, 4, 3),
    data = list(t = bg_t, y = bg_y)))

  # 19 Osborne 2
  os2_y <- c(1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725, 0.746,
             0.679, 0.608, 0.655, 0.616, 0.606, 0.602, 0.626, 0.651, 0.724, 0.649, 0.649,
             0.694, 0.644, 0.624, 0.661, 0.612, 0.558, 0.533, 0.495, 0.500, 0.423, 0.395,
             0.375, 0.372, 0.391, 0.396, 0.405, 0.428, 0.429, 0.523, 0.562, 0.607, 0.653,
             0.672, 0.708, 0.633, 0.668, 0.645, 0.632, 0.591, 0.559, 0.597, 0.625, 0.739,
             0.710, 0.729, 0.720, 0.636, 0.581, 0.428, 0.292, 0.162, 0.098, 0.054)
  os2_t <- (0:64) / 10
  add(hc_family(19, "osborne2",
    list(quote(y - (x1 * exp(-t * x5) + x2 * exp(-(t - x9)^2 * x6) +
                    x3 * exp(-(t - x10)^2 * x7) + x4 * exp(-(t - x11)^2 * x8)))),
    function(x) {
      t <- os2_t
      os2_y - (x[1] * exp(-t * x[5]) + x[2] * exp(-(t - x[9])^2 * x[6]) +
               x[3] * exp(-(t - x[10])^2 * x[7]) + x[4] * exp(-(t - x[11])^2 * x[8]))
    },
    x0 = c(1.3, 0.65, 0.65, 0.7, 0.6, 3, 5, 7, 2, 4.5, 5.5),
    data = list(y = os2_y, t = os2_t)))

  # 20 Watson, n = 6 (x0 = 0, so 10 * x0 is x0)
  wn <- 6
  w_t <- (1:29) / 29
  w_s1 <- hc_sum(lapply(2:wn, function(j) bquote(.(j - 1) * .(hc_x(j)) * t^.(j - 2))))
  w_s2 <- hc_sum(lapply(1:wn, function(j) bquote(.(hc_x(j)) * t^.(j - 1))))
  add(hc_family(20, "watson",
    list(bquote(.(w_s1) - (.(w_s2))^2 - 1), quote(x1), quote(x2 - x1^2 - 1)),
    function(x) {
      j <- seq_along(x)
      s1 <- drop(outer(w_t, j[-1] - 2, `^`) %*% ((j[-1] - 1) * x[-1]))
      s2 <- drop(outer(w_t, j - 1, `^`) %*% x)
      c(s1 - s2^2 - 1, x[1], x[2] - x[1]^2 - 1)
    },
    x0 = rep(0, wn), data = list(t = w_t)))

  # 21 Extended Rosenbrock, n = 10
  ern <- 10
  add(hc_family(21, "ext_rosenbrock",
    unlist(lapply(seq_len(ern / 2), function(i) {
      list(bquote(10 * (.(hc_x(2 * i)) - .(hc_x(2 * i - 1))^2)),
           bquote(1 - .(hc_x(2 * i - 1))))
    })),
    function(x) {
      o <- x[seq(1, length(x), 2)]
      e <- x[seq(2, length(x), 2)]
      as.vector(rbind(10 * (e - o^2), 1 - o))
    },
    x0 = rep(c(-1.2, 1), ern / 2), xstar = rep(1, ern)))

  # 22 Extended Powell singular, n = 8
  epn <- 8
  add(hc_family(22, "ext_powell_singular",
    unlist(lapply(seq_len(epn / 4), function(i) {
      a <- hc_x(4 * i - 3); b <- hc_x(4 * i - 2); c3 <- hc_x(4 * i - 1); d <- hc_x(4 * i)
      list(bquote(.(a) + 10 * .(b)), bquote(.(sqrt(5)) * (.(c3) - .(d))),
           bquote((.(b) - 2 * .(c3))^2), bquote(.(sqrt(10)) * (.(a) - .(d))^2))
    })),
    function(x) {
      k <- seq(1, length(x), 4)
      as.vector(rbind(x[k] + 10 * x[k + 1], sqrt(5) * (x[k + 2] - x[k + 3]),
                      (x[k + 1] - 2 * x[k + 2])^2, sqrt(10) * (x[k] - x[k + 3])^2))
    },
    x0 = rep(c(3, -1, 0, 1), epn / 4), xstar = rep(0, epn)))

  # 23 Penalty I, n = 4
  p1n <- 4
  add(hc_family(23, "penalty1",
    c(lapply(1:p1n, function(i) bquote(.(sqrt(1e-5)) * (.(hc_x(i)) - 1))),
      list(bquote(.(hc_sum(lapply(1:p1n, function(j) bquote(.(hc_x(j))^2)))) - 0.25))),
    function(x) c(sqrt(1e-5) * (x - 1), sum(x^2) - 0.25),
    x0 = as.double(1:p1n)))

  # 24 Penalty II, n = 4
  p2n <- 4
  p2_y <- exp((1:p2n) / 10) + exp((0:(p2n - 1)) / 10)
  add(hc_family(24, "penalty2",
    c(list(quote(x1 - 0.2)),
      lapply(2:p2n, function(i) {
        bquote(.(sqrt(1e-5)) * (exp(.(hc_x(i)) / 10) + exp(.(hc_x(i - 1)) / 10) - .(p2_y[i])))
      }),
      lapply((p2n + 1):(2 * p2n - 1), function(i) {
        bquote(.(sqrt(1e-5)) * (exp(.(hc_x(i - p2n + 1)) / 10) - .(exp(-1 / 10))))
      }),
      list(bquote(.(hc_sum(lapply(1:p2n, function(j) bquote(.(p2n - j + 1) * .(hc_x(j))^2)))) - 1))),
    function(x) {
      n <- length(x)
      a <- sqrt(1e-5)
      c(x[1] - 0.2,
        a * (exp(x[-1] / 10) + exp(x[-n] / 10) - p2_y[-1]),
        a * (exp(x[-1] / 10) - exp(-1 / 10)),
        sum((n:1) * x^2) - 1)
    },
    x0 = rep(0.5, p2n)))

  # 25 Variably dimensioned, n = 8
  vdn <- 8
  vd_s <- hc_sum(lapply(1:vdn, function(j) bquote(.(j) * (.(hc_x(j)) - 1))))
  add(hc_family(25, "variably_dimensioned",
    c(lapply(1:vdn, function(i) bquote(.(hc_x(i)) - 1)), list(vd_s, bquote((.(vd_s))^2))),
    function(x) {
      s <- sum(seq_along(x) * (x - 1))
      c(x - 1, s, s^2)
    },
    x0 = 1 - (1:vdn) / vdn, xstar = rep(1, vdn)))

  # 26 Trigonometric, n = 5 (f = 0 at x = 0 exactly)
  tn <- 5
  t_sc <- hc_sum(lapply(1:tn, function(j) bquote(cos(.(hc_x(j))))))
  add(hc_family(26, "trigonometric",
    lapply(1:tn, function(i) {
      bquote(.(tn) - .(t_sc) + .(i) * (1 - cos(.(hc_x(i)))) - sin(.(hc_x(i))))
    }),
    function(x) {
      n <- length(x)
      n - sum(cos(x)) + seq_len(n) * (1 - cos(x)) - sin(x)
    },
    x0 = rep(1 / tn, tn), xstar = rep(0, tn)))

  # 27 Brown almost-linear, n = 5
  bn <- 5
  b_s <- hc_sum(lapply(1:bn, hc_x))
  b_p <- Reduce(function(a, b) bquote(.(a) * .(b)), lapply(1:bn, hc_x))
  add(hc_family(27, "brown_almost_linear",
    c(lapply(1:(bn - 1), function(i) bquote(.(hc_x(i)) + .(b_s) - .(bn + 1))),
      list(bquote(.(b_p) - 1))),
    function(x) {
      n <- length(x)
      c(x[-n] + sum(x) - (n + 1), prod(x) - 1)
    },
    x0 = rep(0.5, bn), xstar = rep(1, bn)))

  # 28 Discrete boundary value, n = 6 (minimiser not in closed form)
  dbn <- 6
  db_h <- 1 / (dbn + 1)
  db_t <- (1:dbn) * db_h
  add(hc_family(28, "discrete_boundary",
    lapply(1:dbn, function(i) {
      e <- bquote(2 * .(hc_x(i)) + .(db_h^2) * (.(hc_x(i)) + .(db_t[i]) + 1)^3 / 2)
      if (i > 1) e <- bquote(.(e) - .(hc_x(i - 1)))
      if (i < dbn) e <- bquote(.(e) - .(hc_x(i + 1)))
      e
    }),
    function(x) {
      n <- length(x)
      2 * x - c(0, x[-n]) - c(x[-1], 0) + db_h^2 * (x + db_t + 1)^3 / 2
    },
    x0 = db_t * (db_t - 1)))

  # 29 Discrete integral equation, n = 6
  din <- 6
  di_h <- 1 / (din + 1)
  di_t <- (1:din) * di_h
  di_cube <- function(j) bquote((.(hc_x(j)) + .(di_t[j]) + 1)^3)
  add(hc_family(29, "discrete_integral",
    lapply(1:din, function(i) {
      s1 <- hc_sum(lapply(1:i, function(j) bquote(.(di_t[j]) * .(di_cube(j)))))
      inner <- bquote(.(1 - di_t[i]) * (.(s1)))
      if (i < din) {
        s2 <- hc_sum(lapply((i + 1):din, function(j) bquote(.(1 - di_t[j]) * .(di_cube(j)))))
        inner <- bquote(.(inner) + .(di_t[i]) * (.(s2)))
      }
      bquote(.(hc_x(i)) + .(di_h) * (.(inner)) / 2)
    }),
    function(x) {
      n <- length(x)
      cb <- (x + di_t + 1)^3
      s1 <- cumsum(di_t * cb)
      s2 <- c(rev(cumsum(rev((1 - di_t) * cb)))[-1], 0)
      x + di_h * ((1 - di_t) * s1 + di_t * s2) / 2
    },
    x0 = di_t * (di_t - 1)))

  # 30 Broyden tridiagonal, n = 6
  btn <- 6
  add(hc_family(30, "broyden_tridiagonal",
    lapply(1:btn, function(i) {
      e <- bquote((3 - 2 * .(hc_x(i))) * .(hc_x(i)) + 1)
      if (i > 1) e <- bquote(.(e) - .(hc_x(i - 1)))
      if (i < btn) e <- bquote(.(e) - 2 * .(hc_x(i + 1)))
      e
    }),
    function(x) {
      n <- length(x)
      (3 - 2 * x) * x - c(0, x[-n]) - 2 * c(x[-1], 0) + 1
    },
    x0 = rep(-1, btn)))

  # 31 Broyden banded, n = 6, ml = 5, mu = 1
  bbn <- 6
  add(hc_family(31, "broyden_banded",
    lapply(1:bbn, function(i) {
      J <- setdiff(max(1, i - 5):min(bbn, i + 1), i)
      e <- bquote(.(hc_x(i)) * (2 + 5 * .(hc_x(i))^2) + 1)
      for (j in J) e <- bquote(.(e) - .(hc_x(j)) * (1 + .(hc_x(j))))
      e
    }),
    function(x) {
      n <- length(x)
      vapply(seq_len(n), function(i) {
        J <- setdiff(max(1, i - 5):min(n, i + 1), i)
        x[i] * (2 + 5 * x[i]^2) + 1 - sum(x[J] * (1 + x[J]))
      }, 0)
    },
    x0 = rep(-1, bbn)))

  # 32 Linear function - full rank, n = 5, m = 8 (minimiser -1, f = m - n)
  lfn <- 5; lfm <- 8
  lf_s <- hc_sum(lapply(1:lfn, hc_x))
  add(hc_family(32, "linear_full_rank",
    c(lapply(1:lfn, function(i) bquote(.(hc_x(i)) - .(2 / lfm) * (.(lf_s)) - 1)),
      lapply((lfn + 1):lfm, function(i) bquote(-.(2 / lfm) * (.(lf_s)) - 1))),
    function(x) {
      s <- sum(x)
      c(x - 2 / lfm * s - 1, rep(-2 / lfm * s - 1, lfm - length(x)))
    },
    x0 = rep(1, lfn), xstar = rep(-1, lfn)))

  # 33 Linear function - rank 1, n = 5, m = 8 (minimisers not unique: none given)
  l1n <- 5; l1m <- 8
  l1_s <- hc_sum(lapply(1:l1n, function(j) bquote(.(j) * .(hc_x(j)))))
  add(hc_family(33, "linear_rank1",
    lapply(1:l1m, function(i) bquote(.(i) * (.(l1_s)) - 1)),
    function(x) (1:l1m) * sum(seq_along(x) * x) - 1,
    x0 = rep(1, l1n)))

  # 34 Linear function - rank 1 with zero columns and rows, n = 5, m = 8
  l0n <- 5; l0m <- 8
  l0_s <- hc_sum(lapply(2:(l0n - 1), function(j) bquote(.(j) * .(hc_x(j)))))
  add(hc_family(34, "linear_rank1_zero",
    c(list(quote(-1)),
      lapply(2:(l0m - 1), function(i) bquote(.(i - 1) * (.(l0_s)) - 1)),
      list(quote(-1))),
    function(x) {
      n <- length(x)
      s <- sum((2:(n - 1)) * x[2:(n - 1)])
      c(-1, (1:(l0m - 2)) * s - 1, -1)
    },
    x0 = rep(1, l0n)))

  # 35 Chebyquad, n = m = 6: shifted Chebyshev polynomials by their recurrence
  cn <- 6; cm <- 6
  cheb <- function(i, y) {
    T0 <- 1; T1 <- y
    if (i == 0) return(T0)
    for (k in seq_len(i - 1)) {
      T2 <- bquote(2 * .(y) * .(T1) - .(T0))
      T0 <- T1; T1 <- T2
    }
    T1
  }
  cheb_int <- function(i) if (i %% 2 == 1) 0 else -1 / (i^2 - 1)
  add(hc_family(35, "chebyquad",
    lapply(1:cm, function(i) {
      s <- hc_sum(lapply(1:cn, function(j) cheb(i, bquote((2 * .(hc_x(j)) - 1)))))
      bquote((.(s)) / .(cn) - .(cheb_int(i)))
    }),
    function(x) {
      y <- 2 * x - 1
      T0 <- rep(1, length(x)); T1 <- y
      out <- numeric(cm)
      for (i in 1:cm) {
        out[i] <- sum(T1) / cn - cheb_int(i)
        T2 <- 2 * y * T1 - T0
        T0 <- T1; T1 <- T2
      }
      out
    },
    x0 = (1:cn) / (cn + 1)))

  fam
}

mgh_problems <- function() {
  if (is.null(hc_suite_cache$mgh)) hc_suite_cache$mgh <- do.call(c, hc_mgh_families())
  hc_suite_cache$mgh
}

# ---------------------------------------------------------------------------------------
# Statistical problems: minus log-likelihoods (and least squares) with exact Hessians
# from deriv3() of the per-observation term (vectorised over the data).

# Run expr with a fixed seed and RNG kind, leaving the caller's RNG state unchanged.
hc_with_seed <- function(seed, expr) {
  genv <- globalenv()
  had <- exists(".Random.seed", envir = genv, inherits = FALSE)
  old_seed <- if (had) get(".Random.seed", envir = genv)
  old_kind <- RNGkind()
  on.exit({
    do.call(RNGkind, as.list(old_kind))
    if (had) assign(".Random.seed", old_seed, envir = genv)
    else if (exists(".Random.seed", envir = genv, inherits = FALSE))
      rm(".Random.seed", envir = genv)
  })
  RNGkind("Mersenne-Twister", "Inversion", "Rejection")
  set.seed(seed)
  expr
}

hc_check_close <- function(A, B, what, tol = 1e-10) {
  A <- unname(as.matrix(A)); B <- unname(as.matrix(B))
  if (max(abs(A - B)) > tol * max(abs(B))) {
    stop(sprintf("helper-suite: %s: symbolic and analytic Hessians disagree", what),
         call. = FALSE)
  }
}

# Newton's method on an exactly differentiated sum (for the MLEs without closed form).
hc_newton <- function(comp, par, data, iter = 50) {
  for (k in seq_len(iter)) {
    ex <- hc_exact_hessian(comp, par, data)
    step <- solve(ex$hessian, ex$gradient)
    par <- par - step
    if (max(abs(step) / pmax(abs(par), 1)) < 1e-15) break
  }
  par
}

hc_stat_families <- function() {
  out <- list()
  src <- "stat"

  # (a) Normal sample, parameters (mu, log sigma): at the MLE and away from it.
  y_norm <- hc_with_seed(101, round(stats::rnorm(40, mean = 3, sd = 2), 3))
  comp <- hc_compile(list(quote(ls + (y - mu)^2 / (2 * exp(2 * ls)))), c("mu", "ls"), "sum")
  r_norm <- function(p) p[2] + (y_norm - p[1])^2 / (2 * exp(2 * p[2]))
  mu_hat <- mean(y_norm)
  p_hat <- c(mu = mu_hat, ls = 0.5 * log(mean((y_norm - mu_hat)^2)))
  out$normal_mle <- hc_point("normal_mle", comp, r_norm, p_hat, list(y = y_norm), src)
  out$normal_off <- hc_point("normal_off", comp, r_norm, c(mu = 2, ls = 0.5),
                             list(y = y_norm), src)

  # (b) Logistic regression, 3 coefficients, at the MLE: Hessian X'WX.
  lg <- hc_with_seed(202, {
    z1 <- stats::rnorm(200)
    z2 <- stats::rnorm(200, mean = 1, sd = 2)
    eta <- -0.5 + z1 - 0.75 * z2
    list(z1 = z1, z2 = z2, y = stats::rbinom(200, 1, stats::plogis(eta)))
  })
  X <- cbind(1, lg$z1, lg$z2)
  fit <- stats::glm.fit(X, lg$y, family = stats::binomial(),
                        control = list(epsilon = 1e-14, maxit = 100))
  comp <- hc_compile(list(quote(log(1 + exp(b0 + b1 * z1 + b2 * z2)) -
                                  y * (b0 + b1 * z1 + b2 * z2))), c("b0", "b1", "b2"), "sum")
  r_lg <- function(p) {
    eta <- p[1] + p[2] * lg$z1 + p[3] * lg$z2
    log1p(exp(eta)) - lg$y * eta
  }
  p_lg <- stats::setNames(as.double(fit$coefficients), c("b0", "b1", "b2"))
  out$logistic_mle <- hc_point("logistic_mle", comp, r_lg, p_lg, lg, src)
  pr <- stats::plogis(drop(X %*% p_lg))
  hc_check_close(out$logistic_mle$hessian, crossprod(X, pr * (1 - pr) * X), "logistic")

  # (c) Poisson regression on an uncentred covariate (mean ~460, sd ~36): the scaled
  # Hessian has correlation ~0.997. Hessian X' diag(mu) X.
  ps <- hc_with_seed(303, {
    x <- stats::rnorm(100, mean = 460, sd = 36)
    list(x = x, y = stats::rpois(100, exp(-1.3 + 0.005 * x)))
  })
  Xp <- cbind(1, ps$x)
  fit <- stats::glm.fit(Xp, ps$y, family = stats::poisson(),
                        control = list(epsilon = 1e-14, maxit = 100))
  comp <- hc_compile(list(quote(exp(b0 + b1 * x) - y * (b0 + b1 * x))), c("b0", "b1"), "sum")
  r_ps <- function(p) {
    eta <- p[1] + p[2] * ps$x
    exp(eta) - ps$y * eta
  }
  p_ps <- stats::setNames(as.double(fit$coefficients), c("b0", "b1"))
  out$poisson_uncentred_mle <- hc_point("poisson_uncentred_mle", comp, r_ps, p_ps, ps, src)
  hc_check_close(out$poisson_uncentred_mle$hessian,
                 crossprod(Xp, exp(drop(Xp %*% p_ps)) * Xp), "poisson")

  # (d) Zero-residual least squares: y = amp exp(-rate t) + base without noise, at the
  # true parameters (f = 0 exactly, Hessian 2 J'J) and 1e-6 away.
  tt <- seq(0, 10, by = 0.5)
  p_ed <- c(amp = 2.5, rate = 0.3, base = 0.5)
  y_ed <- 2.5 * exp(-0.3 * tt) + 0.5
  comp <- hc_compile(list(quote(y - (amp * exp(-rate * t) + base))),
                     c("amp", "rate", "base"), "ssq")
  r_ed <- function(p) y_ed - (p[1] * exp(-p[2] * tt) + p[3])
  out$expdecay_exact <- hc_point("expdecay_exact", comp, r_ed, p_ed, list(y = y_ed, t = tt),
                                 src)
  out$expdecay_near <- hc_point("expdecay_near", comp, r_ed, p_ed + 1e-6,
                                list(y = y_ed, t = tt), src)

  # (e) Gamma sample, (shape, rate), at the MLE: digamma / trigamma in the Hessian.
  y_g <- hc_with_seed(505, round(stats::rgamma(80, shape = 2.5, rate = 1.5), 4))
  comp <- hc_compile(list(quote(-(shape * log(rate) - lgamma(shape) +
                                    (shape - 1) * log(y) - rate * y))),
                     c("shape", "rate"), "sum")
  r_g <- function(p) -(p[1] * log(p[2]) - lgamma(p[1]) + (p[1] - 1) * log(y_g) - p[2] * y_g)
  m <- mean(y_g); v <- stats::var(y_g)
  p_g <- hc_newton(comp, c(shape = m^2 / v, rate = m / v), list(y = y_g))
  out$gamma_mle <- hc_point("gamma_mle", comp, r_g, p_g, list(y = y_g), src)
  nn <- length(y_g)
  hc_check_close(out$gamma_mle$hessian,
                 matrix(c(nn * trigamma(p_g[[1]]), -nn / p_g[[2]],
                          -nn / p_g[[2]], nn * p_g[[1]] / p_g[[2]]^2), 2, 2), "gamma")

  out[!vapply(out, is.null, NA)]
}

stat_problems <- function() {
  if (is.null(hc_suite_cache$stat)) hc_suite_cache$stat <- hc_stat_families()
  hc_suite_cache$stat
}

all_suite_problems <- function() c(mgh_problems(), stat_problems())

# ---------------------------------------------------------------------------------------
# |Hhat - H| / sqrt(d_i d_j), d_i = max(|H_ii|, 1e-8 max_k |H_kk|) (all 1 if diag(H) = 0).
suite_scaled_error <- function(Hhat, H) {
  Hhat <- unname(as.matrix(Hhat)); H <- unname(as.matrix(H))
  a <- abs(diag(H))
  d <- if (all(a == 0)) rep(1, length(a)) else pmax(a, 1e-8 * max(a))
  abs(Hhat - H) / sqrt(outer(d, d))
}
