# The engine behind hessian_fd(): fn and gr at the point, then the C core on the chosen
# backend, with the progress bar, the errors of the user's functions worded, and the
# result built (hessian-result.R).

# The Hessian of a checked problem (hessian_args()), `...` passed to fn and gr: the
# engine behind hessian_fd(), which check_fit() (at the estimate and at each Newton step
# of its refinement) and its probes along directions call with arguments checked once.
# It announces a long run, evaluates fn (and gr) at the point, then runs the C core on
# the backend with the progress bar, and words what fails.
# (The problem comes after `...`, under a name no argument of fn is given: a name
# before `...` would take an argument of fn that it partially matches.) Its `batch`, for
# check_fit()'s probes, is an evaluator of the C core's batches (function(X, id): fn at
# the columns of X, NA where not finite) used with parallel = "no": the probe's own
# batches on check_fit()'s backend.
hessian_engine <- function(..., .hesscheck_problem) {
  a <- .hesscheck_problem
  fn <- a$fn
  gr <- a$gr
  x_user <- a$x_user
  par <- a$par
  ctrl <- a$ctrl
  parallel <- a$parallel
  shared <- a$shared
  work <- guard_work(length(par), gradient = !is.null(gr), max_memory = ctrl$max_memory,
                     memory = FALSE)

  # The calls C evaluates: fn(x, ...) in this frame, where `...` is bound; C writes the
  # parameter values into x (a fresh vector) before each evaluation.
  # Without extra arguments the call has no `...`, which saves its expansion per call.
  extra_args <- if (...length() > 0L) list(quote(...)) else list()
  fcall <- as.call(c(list(fn, x_user + 0), extra_args))
  gcall <- if (!is.null(gr)) as.call(c(list(gr, x_user + 0), extra_args))
  where <- integer(1L)
  handlers <- engine_handlers(x_user)
  handler <- handlers$handler
  fail <- handlers$fail
  # fn (and gr) at par, then the C core, under one handler: `where` says whose error it
  # is (1 fn, 2 gr, 0 neither).
  f0 <- g0 <- NULL
  prog <- evaluator <- NULL
  completed <- FALSE
  on.exit({
    # a bar of its own is filled only when the Hessian completed
    if (!is.null(prog) && is.null(shared)) prog$close(completed)
    if (!is.null(evaluator)) evaluator$close()
  })
  res <- tryCatch({
    where[1L] <- 1L
    t0 <- proc.time()[["elapsed"]]
    f0 <- fn(x_user, ...)
    t0 <- proc.time()[["elapsed"]] - t0
    where[1L] <- 0L
    f0 <- check_fn_value(f0, par)
    if (!is.null(gr)) {
      where[1L] <- 2L
      g0 <- gr(x_user, ...)
      where[1L] <- 0L
      g0 <- check_gr_value(g0, par)
    }
    # Progress, projected from fn's cost at par; the evaluator of a parallel backend.
    workers <- 1L
    if (parallel != "no") {
      evaluator <- batch_evaluator(
        parallel, a$ncpus, a$cl, chunk_function(fn, gr, list(...), names(x_user), ship = parallel != "multicore"), fail,
        function(done) if (!is.null(prog)) prog$fun(done))
      workers <- evaluator$workers
    }
    # A bar for every call that may take long: asked after the first evaluation when fn
    # at par says the call is long, else after a few (fn may be slow elsewhere).
    if (ctrl$trace > 0) {
      # timed from here: a cluster's start-up is not the evaluations' cost
      if (is.null(shared)) {
        prog <- lazy_progress(work$evaluations, proc.time()[["elapsed"]])
      } else {
        prog <- shared
        prog$phase(work$evaluations)
      }
    }
    ctrl$tick <- if (!is.null(prog) && parallel == "no") {
      if (t0 * work$evaluations / workers >= progress_thresholds$quiet_below) 1L else
        as.integer(progress_thresholds$first_tick)
    } else 0L
    .Call(hc_hessian, fcall, gcall, environment(), par, a$bounds$lower, a$bounds$upper,
          f0, g0, ctrl, handler, where,
          if (!is.null(evaluator)) evaluator$evaluate else a[["batch"]],
          if (!is.null(prog)) prog$fun)
  }, error = function(e) {
    in_gr <- where[1L] == 2L
    rethrow_user(e, where, if (in_gr) "gr" else "fn", (if (in_gr) gcall else fcall)[[2L]])
  })
  check_finite_hessian(res, gr, f0, x_user)
  completed <- TRUE
  finish_hessian(res, par, gr, f0)
}

# A value of fn (id 1) or gr (id 2) at x that the C core refused: the classed error.
check_value <- function(id, v, x) {
  if (id == 2L) check_gr_value(v, x)
  check_fn_value(v, x)
}

# The R functions the C core calls when fn or gr fails at x (named as x_user): handler()
# for a value of the wrong type or length (handed over by C), bounds that leave no room,
# and values that stay non-finite; fail() for a batch that failed on a worker (the error
# serial mode raises there).
engine_handlers <- function(x_user) {
  handler <- function(id, x, what, value = NULL) {
    names(x) <- names(x_user)
    fname <- if (id == 2L) "gr" else "fn"
    # The value C found of the wrong type or length, worded by the checks of R's own calls.
    if (what == "type") check_value(id, value, x)
    if (what == "room") {
      hc_abort("bad_bounds", sprintf(
        "`lower` and `upper` leave no room to difference `%s` at par = %s: widen the bounds or hold that parameter fixed outside `%s`.",
        fname, format_par(x), fname
      ), par = x)
    }
    hc_abort("nonfinite", sprintf(
      "`%s` stayed non-finite near par = %s even with steps shrunk many times; it must be finite in a neighbourhood of the point.",
      fname, format_par(x)
    ), par = x)
  }
  fail <- function(id, x, cond) {
    names(x) <- names(x_user)
    if (inherits(cond, "error")) {
      if (is_time_limit(cond)) stop(cond)
      abort_fn_failed(if (id == 2L) "gr" else "fn", x, cond)
    }
    check_value(id, cond$value, x)
  }
  list(handler = handler, fail = fail)
}

# The C core's Hessian must be finite: differences that overflow are a classed error.
check_finite_hessian <- function(res, gr, f0, x_user) {
  if (!all(is.finite(res$hessian))) {
    hc_abort("nonfinite", sprintf(
      "The differences of `%s` near par = %s overflow (|fn| is about %s there): the Hessian is not finite. Rescale `fn` (e.g. work on the log scale).",
      if (is.null(gr)) "fn" else "gr", format_par(x_user), format(signif(abs(f0), 3))
    ), par = x_user)
  }
}

# The "hessian_fd" result of the C core's list: bounds C could not give are infinite, fn
# at par is its value, and unresolved elements are warned of.
finish_hessian <- function(res, par, gr, f0) {
  res$error[is.na(res$error)] <- Inf
  res$gradient_error[is.na(res$gradient_error)] <- Inf
  h <- new_hessian_fd(res, names(par), gradient = !is.null(gr),
                      extra = c(fn = 1, gr = if (is.null(gr)) 0 else 1))
  attr(h, "value") <- f0
  warn_unresolved(h)
  h
}
