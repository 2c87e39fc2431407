# check_fit()'s refinement: safeguarded Newton steps with the accurate Hessian from the
# fit's estimate towards a stationary point (control = list(refine = TRUE)).

# Safeguarded Newton: the step -solve(H, g) from the accurate Hessian, halved until fn
# does not increase (never accepted if it does), kept inside the bounds; stop when
# stationary, when no step lowers fn, or when the steps grow (fn may then have no minimum
# nearby: it decreases without bound along the step, or a bound is missing).
refine_newton <- function(state, evaluate, fx, bounds, ctrl) {
  start <- state$par
  evals <- c(fn = 0, gr = 0)
  steps <- 0L
  status <- "stationary"
  last_size <- Inf
  grew <- NULL
  for (it in seq_len(ctrl$refine_maxit)) {
    clf <- state$clf
    if (is.null(clf$cov)) {
      status <- "the Hessian is not positive definite"
      break
    }
    if (refined_enough(clf)) break
    size <- max(abs(clf$newton_z))
    if (size > last_size) {
      status <- "the Newton steps grow"
      grew <- clf$newton
      break
    }
    last_size <- size
    to <- descend(fx, state$par, clf$free, clf$newton, attr(state$h, "value"), bounds, 20L)
    if (is.null(to)) {
      status <- "no Newton step lowered fn"
      break
    }
    state <- evaluate(to$par)
    evals <- evals + attr(state$h, "evaluations")
    steps <- steps + 1L
  }
  if (steps == ctrl$refine_maxit && !is.null(state$clf$cov) && !refined_enough(state$clf)) {
    status <- "iteration limit reached"
  }
  moved <- state$par - start
  moved_se <- stats::setNames(rep(NA_real_, length(moved)), names(moved))
  if (!is.null(state$clf$cov)) {
    fr <- state$clf$free
    moved_se[fr] <- moved[fr] / sqrt(diag(state$clf$cov))
  }
  list(state = state, evaluations = evals,
       refine = list(start = start, steps = steps, moved = moved, moved_se = moved_se,
                     status = status, growing_step = grew))
}

# Stationary as far as can be told: the Newton step is below 1e-6 standard errors, or
# within three times its own uncertainty.
refined_enough <- function(clf) {
  all(abs(clf$newton_z) <= pmax(1e-6, 3 * clf$newton_error))
}

# The safeguarded step from x along `dir` (over the parameters `free`): x + dir, halved up
# to `halvings` times until fn (fx) is no higher than f0, kept inside the bounds. Returns
# the point and its value, or NULL where no step lowered fn. (refine_newton()'s steps and
# the profiles' inner Newton steps, profile_point().)
descend <- function(fx, x, free, dir, f0, bounds, halvings) {
  t <- 1
  for (k in seq_len(halvings)) {
    p <- x
    p[free] <- p[free] + t * dir
    p <- pmin(pmax(p, bounds$lower), bounds$upper)
    v <- fx(p)
    if (!is.na(v) && v <= f0) return(list(par = p, value = v))
    t <- t / 2
  }
  NULL
}
