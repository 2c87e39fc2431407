# Per-observation (or per-cluster) contributions to the objective of fitted models, for
# compare_se()'s sandwich: each check_fit() method that knows them records a
# function(par, <fn's data arguments>) in x$problem$fn_obs, whose values sum to fn (up to
# a constant) and whose derivatives at the estimate are the contributions to fn's
# gradient. And, for mixed models, their grouping factors (which one nests the others:
# the bootstrap's default cluster) and a simulator of new responses (the parametric
# bootstrap).

# ---- distributions and glm -------------------------------------------------------------

# -w * log f(x; p, fixed), one value per observation, for a density function `d` taking
# its parameters by name: the terms of density_nll().
density_obs <- function(d, nm, fixed = list()) {
  has_log <- "log" %in% names(formals(d))
  function(p, data, weights = NULL) {
    args <- c(list(data), as.list(stats::setNames(p, nm)), fixed)
    lf <- if (has_log) do.call(d, c(args, list(log = TRUE))) else log(do.call(d, args))
    if (is.null(weights)) -lf else -weights * lf
  }
}

# The terms of a glm family's -log-likelihood kernel (glm_kernel() sums them), with the
# dispersion phi held at its estimate.
glm_kernel_obs <- function(family) {
  switch(family,
    binomial = function(y, mu, w, phi) -w * (y * log(mu) + (1 - y) * log1p(-mu)),
    poisson = function(y, mu, w, phi) {
      l <- y * log(mu)
      l[y == 0] <- 0 # 0 log 0 = 0
      -w * (l - mu)
    },
    gaussian = function(y, mu, w, phi) w * (y - mu)^2 / (2 * phi),
    Gamma = function(y, mu, w, phi) w * (y / mu + log(mu)) / phi,
    NULL
  )
}

# ---- bbmle's formula interface ---------------------------------------------------------

# For an mle2() fit made with a formula, y ~ dfun(arg = expr, ...), and no linear
# submodels (`parameters`): the terms -dfun(y, ..., log = TRUE), one per observation,
# with the free parameters from p and the fixed ones at their values, evaluated among the
# data's columns. NULL for any other mle2() fit (its minuslogl is a sum of unknown terms).
mle2_formula_obs <- function(fit, free) {
  form <- fit@call$minuslogl
  if (!inherits(form, "formula") && !(is.call(form) && identical(form[[1L]], as.name("~")))) {
    return(NULL)
  }
  if (!is.null(fit@call$parameters) || length(form) != 3L) return(NULL)
  lhs <- form[[2L]]
  rhs <- form[[3L]]
  if (!is.call(rhs) || !is.name(rhs[[1L]])) return(NULL)
  dfun <- tryCatch(get(as.character(rhs[[1L]]), envir = environment(fit@minuslogl),
                       mode = "function"), error = function(e) NULL)
  if (is.null(dfun) || !"log" %in% names(formals(dfun))) return(NULL)
  full <- fit@fullcoef
  parent <- environment(fit@minuslogl)
  function(p, data = NULL) {
    full[free] <- p
    env <- list2env(c(as.list(data), as.list(full)), parent = parent)
    call <- as.call(c(list(dfun, lhs), as.list(rhs)[-1L], list(log = TRUE)))
    -eval(call, env)
  }
}

# ---- mixed models: grouping factors -----------------------------------------------------

# The grouping factors of a mixed model's random effects (a named list of factors over the
# rows used) and which of them is the top level: the one every other factor is nested in
# (each of its levels within one level of it). None is the top level when some factors
# are crossed (Penicillin's plate and sample). `column`: the top level's column in the
# fit's data, when it is one (a factor written as g, not as factor(g) or a:b), which
# the bootstrap resamples by whole groups.
mixed_groups <- function(flist, data) {
  nm <- names(flist)
  if (!length(nm)) return(NULL)
  # each level of a within one level of b: the distinct (a, b) pairs, one per level of a
  # (integer codes: unique() on a matrix of rows is far slower)
  nested_in <- function(a, b) {
    if (identical(a, b)) return(TRUE)
    nb <- nlevels(b) + 1
    k <- unique(as.integer(a) * nb + as.integer(b))
    !anyDuplicated(k %/% nb)
  }
  top <- NA_character_
  for (k in nm) {
    if (all(vapply(nm, function(j) nested_in(flist[[j]], flist[[k]]), TRUE))) {
      top <- k
      break
    }
  }
  list(factors = nm, top = top,
       column = if (!is.na(top) && is.data.frame(data) && top %in% names(data)) top else
         NA_character_,
       count = if (!is.na(top)) length(unique(flist[[top]])) else NA_integer_)
}

# glmmTMB's grouping factors, over its components (conditional, zero-inflation,
# dispersion), each name once.
glmmTMB_flist <- function(fit) {
  out <- list()
  for (part in fit$modelInfo$reTrms) {
    fl <- part$flist
    for (k in names(fl)) if (is.null(out[[k]])) out[[k]] <- fl[[k]]
  }
  out
}

# ---- mixed models: the parametric bootstrap's simulator --------------------------------

# function(par, data) returning `data` with its response replaced by one simulated from
# the fitted model (stats::simulate(fit), at the fit's own estimates, which are those
# bootstrap_se() and coverage_check() simulate at), for a response that is a column
# (y ~ ...) or binomial counts cbind(successes, failures) or cbind(successes, n -
# successes) of columns; NULL for any other response (transformed: log(y) ~ ...), or
# without the data. The rows the fit dropped (NA) are left as they are.
mixed_simulator <- function(fit, data, lhs, rows) {
  if (!is.data.frame(data)) return(NULL)
  cols <- names(data)
  put <- if (is.name(lhs) && as.character(lhs) %in% cols) {
    y <- as.character(lhs)
    function(d, s) {
      d[[y]][rows] <- if (is.matrix(s)) s[, 1L] else s
      d
    }
  } else if (is.call(lhs) && identical(lhs[[1L]], as.name("cbind")) && length(lhs) == 3L &&
             is.name(lhs[[2L]]) && as.character(lhs[[2L]]) %in% cols) {
    s1 <- as.character(lhs[[2L]])
    second <- lhs[[3L]]
    s2 <- if (is.name(second) && as.character(second) %in% cols) as.character(second)
    total <- is.call(second) && identical(second[[1L]], as.name("-")) &&
      length(second) == 3L && is.name(second[[2L]]) && identical(second[[3L]], lhs[[2L]]) &&
      as.character(second[[2L]]) %in% cols
    if (is.null(s2) && !total) return(NULL)
    function(d, s) {
      if (!is.matrix(s)) return(NULL)
      d[[s1]][rows] <- s[, 1L]
      if (!is.null(s2)) d[[s2]][rows] <- s[, 2L]
      d
    }
  } else {
    return(NULL)
  }
  force(fit)
  function(par, data) {
    s <- stats::simulate(fit, nsim = 1L)[[1L]]
    out <- put(data, s)
    if (is.null(out) || NROW(s) != length(rows)) {
      stop("the simulated response does not fit the data's rows", call. = FALSE)
    }
    out
  }
}

# The rows of `data` a mixed model used: by its model frame's row names (rows with NA
# dropped), all of them when those are not found.
used_rows <- function(frame, data) {
  if (!is.data.frame(data)) return(integer())
  if (NROW(frame) == nrow(data)) return(seq_len(nrow(data)))
  i <- match(rownames(frame), rownames(data))
  if (anyNA(i)) seq_len(nrow(data)) else i
}

# ---- mixed models: per-cluster contributions ---------------------------------------------

# An ML lmer fit's -log-likelihood by cluster of its top-level grouping factor, in the
# parameters (theta, beta) that check_fit() uses, with sigma profiled out over the whole
# data: y_g ~ N(X_g beta, sigma^2 (W_g^-1 + Z_g Lambda Lambda' Z_g')) independently
# over clusters g, and sigma^2(theta, beta) = sum_g q_g / n, q_g the quadratic form of
# cluster g. The terms sum to half lme4's deviance (the profiled -log-likelihood), so
# their derivatives are the contributions to its gradient (Bates et al. 2015, J. Stat.
# Softw. 67(1), eq. 34-36, by cluster). Dense per cluster: each cluster's rows and the
# random effects they touch, found at first use (only compare_se()'s sandwich asks, and
# for a few hundred clusters that costs more than the rest of check_fit()'s extraction).
lmer_cluster_obs <- function(fit, cluster) {
  force(fit)
  force(cluster)
  y <- X <- Zt <- Lt <- Lind <- w <- off <- rows <- re <- NULL
  nt <- nb <- n <- 0L
  setup <- function() {
    y <<- lme4::getME(fit, "y")
    X <<- lme4::getME(fit, "X")
    Zt <<- lme4::getME(fit, "Zt")
    Lt <<- lme4::getME(fit, "Lambdat")
    Lind <<- lme4::getME(fit, "Lind")
    w <<- stats::weights(fit)
    off <<- fit@resp$offset
    if (is.null(off) || length(off) != length(y)) off <<- numeric(length(y))
    nt <<- length(lme4::getME(fit, "theta"))
    nb <<- ncol(X)
    n <<- length(y)
    rows <<- split(seq_len(n), cluster, drop = TRUE)
    # The random effects each cluster touches: the non-zero rows of Lambda' Z' in its
    # columns, with every element of Lambda set to 1. (Lambda' Z', not Z Lambda: no
    # transposes of Matrix objects, whose methods this package does not import.)
    pattern <- Lt
    pattern@x <- rep(1, length(pattern@x))
    pz <- pattern %*% abs(Zt)
    re <<- lapply(rows, function(i) which(rowSums(as.matrix(pz[, i, drop = FALSE])) > 0))
  }
  function(p, data = NULL) {
    if (is.null(rows)) setup()
    p <- unname(p)
    L <- Lt
    L@x <- p[seq_len(nt)][Lind]
    LZt <- L %*% Zt
    r <- y - drop(X %*% p[nt + seq_len(nb)]) - off
    q <- ld <- numeric(length(rows))
    for (g in seq_along(rows)) {
      i <- rows[[g]]
      At <- as.matrix(LZt[re[[g]], i, drop = FALSE])
      V <- crossprod(At)
      diag(V) <- diag(V) + 1 / w[i]
      R <- chol(V)
      q[g] <- sum(backsolve(R, r[i], transpose = TRUE)^2)
      ld[g] <- 2 * sum(log(diag(R)))
    }
    s2 <- sum(q) / n
    0.5 * (lengths(rows) * log(2 * pi * s2) + ld + q / s2)
  }
}

# A glmmTMB fit's objective by cluster of its top-level grouping factor: the objective
# of glmmTMB's own TMB set-up with the weights of the other clusters' rows set to 0. Their
# random effects then meet only their Gaussian prior, whose Laplace approximation is
# exact and contributes 0, so the terms sum to the fit's objective exactly (tested). The
# TMB objects are built at first use (one per cluster) and kept.
glmmTMB_cluster_obs <- function(fit, cluster) {
  objs <- NULL
  build <- function() {
    cl <- stats::update(fit, doFit = FALSE, evaluate = FALSE)
    st <- eval(cl, environment(stats::formula(fit)))
    d0 <- st$data.tmb
    lapply(split(seq_along(cluster), cluster, drop = TRUE), function(i) {
      d <- d0
      w <- numeric(length(d$weights))
      w[i] <- d$weights[i]
      d$weights <- w
      TMB::MakeADFun(data = d, parameters = st$parameters, map = st$map,
                     random = st$randomArg, DLL = "glmmTMB", silent = TRUE)
    })
  }
  function(p, data = NULL) {
    if (is.null(objs)) objs <<- build()
    p <- unname(p)
    vapply(objs, function(o) as.double(o$fn(p)), 0)
  }
}
