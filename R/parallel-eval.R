# Evaluating the C core's batches of points on a backend (hessian_fd(parallel = )), and
# the progress bar of long runs. The C core decides which points to evaluate and what the
# values mean; here a batch (the points as the columns of a matrix) is split into one
# contiguous chunk per worker, the chunks are evaluated, and the values come back in the
# order of the points. A failure is reported as serial mode reports it: at the first
# failing point in the batch's order (serial mode evaluates the points in that order and
# stops there), with fn's error as the parent. A worker that dies is a classed error.

# The backend checks shared with run_replicates(): `parallel` already matched.
check_backend <- function(parallel, ncpus, cl) {
  ncpus <- check_whole(ncpus, "ncpus", "bad_ncpus", 1)
  if (parallel == "snow" && !is.null(cl) && !inherits(cl, "cluster")) {
    hc_abort("bad_parallel", "`cl` must be a cluster from parallel::makeCluster().")
  }
  if (parallel == "multicore" && .Platform$OS.type == "windows") {
    hc_abort("bad_parallel", "parallel = \"multicore\" needs forking, which Windows lacks: use \"snow\" or \"future\".")
  }
  if (parallel == "future" && !requireNamespace("future.apply", quietly = TRUE)) {
    hc_abort("bad_parallel", "parallel = \"future\" needs the future.apply package: install.packages(\"future.apply\").")
  }
  ncpus
}

# Backends that copy the objective to another R process by serialisation (snow, and a
# future plan other than sequential or multicore) cannot take one that works on compiled
# objects of this session (lme4 and TMB fits: their pointers arrive as NULL). pr$local_only
# says why, for such an objective: then a classed error names the backends that work.
check_shippable <- function(pr, parallel, what) {
  if (is.null(pr$local_only) || is.null(parallel)) return(invisible())
  parallel <- tryCatch(check_parallel(parallel), error = function(e) "no")
  if (parallel == "multicore" || parallel == "no" ||
      parallel == "future" && future_in_process()) {
    return(invisible())
  }
  hc_abort("bad_parallel", sprintf(
    "%s with parallel = \"%s\" cannot work: %s. Use parallel = \"no\" or \"multicore\" (forked workers share this session's objects), or \"future\" after future::plan(\"multicore\") or future::plan(\"sequential\").",
    what, parallel, pr$local_only), backends = c("no", "multicore", "future"))
}

# Whether the current future plan evaluates futures in this process or in forks of it,
# so that nothing is serialised.
future_in_process <- function() {
  if (!requireNamespace("future", quietly = TRUE)) return(FALSE)
  p <- tryCatch(future::plan("next"), error = function(e) NULL)
  inherits(p, c("sequential", "uniprocess", "multicore"))
}

# The function a worker runs on a chunk: fn (id 1) or gr (id 2) at each column of X, with
# the `...` arguments bound by name (dots.R). It stops at the chunk's first failure and
# says which point and why: list(values = m x k, fail = 0 or the column, error or value).
# Its environment holds only what it needs, so that it travels to snow and future
# workers whole (hesscheck need not be installed there).
chunk_function <- function(fn, gr, dots, nm, ship = FALSE) {
  if (ship) {
    fn <- with_globals(fn)
    if (!is.null(gr)) gr <- with_globals(gr)
  }
  f <- dots_call(fn, dots, NULL)
  g <- if (!is.null(gr)) dots_call(gr, dots, NULL) else list(call = NULL, env = NULL)
  # made in a frame whose parent is the global environment, not this namespace; for
  # snow and future byte compiled here, so that a worker that receives it afresh (future:
  # with every batch) does not compile it again
  environment(make_chunk) <- globalenv()
  chunk <- make_chunk(f$call, f$env, g$call, g$env, nm)
  if (ship) compiler::cmpfun(chunk) else chunk
}

make_chunk <- function(fcall, fenv, gcall, genv, nm) {
  force(fcall); force(fenv); force(gcall); force(genv); force(nm)
  function(X, id, seed = NULL) {
    # the chunk's own random-number stream, for an fn that draws random numbers (not
    # with future, which sets it from its `seed` argument); the worker's own state is
    # put back afterwards (a snow node may be the user's)
    if (!is.null(seed)) {
      ge <- globalenv()
      had <- exists(".Random.seed", envir = ge, inherits = FALSE)
      old <- if (had) get(".Random.seed", envir = ge)
      on.exit(if (had) assign(".Random.seed", old, envir = ge) else
        rm(".Random.seed", envir = ge))
      assign(".Random.seed", seed, envir = ge)
    }
    k <- ncol(X)
    m <- if (id == 2L) nrow(X) else 1L
    call <- if (id == 2L) gcall else fcall
    where <- if (id == 2L) genv else fenv
    out <- matrix(NA_real_, m, k)
    # fn's warnings, collected to be signalled in the calling process as serial mode
    # signals them (a worker's own are lost)
    warns <- list()
    keep <- function(w) {
      warns[[length(warns) + 1L]] <<- w
      invokeRestart("muffleWarning")
    }
    for (p in seq_len(k)) {
      x <- X[, p]
      names(x) <- nm
      call[[2L]] <- x
      v <- withCallingHandlers(tryCatch(eval(call, where), error = function(e) e),
                               warning = keep)
      if (inherits(v, "error")) {
        return(list(values = out, fail = p, error = v, warnings = warns))
      }
      if (!typeof(v) %in% c("double", "integer", "logical") || length(v) != m) {
        return(list(values = out, fail = p, value = v, warnings = warns))
      }
      out[, p] <- as.double(v)
    }
    list(values = out, fail = 0L, warnings = warns)
  }
}

# Warnings collected in a worker, signalled here in their order, each once, as serial
# mode signals them.
resignal_warnings <- function(warns) {
  for (w in warns) if (inherits(w, "warning")) warning(w)
}

# fn with the objects it uses from its environments (the global environment, typically)
# bound in a child of its environment, so that it travels to a snow or future worker with
# them, as a function passed to future() does; for a function of a package, or without
# the globals package, fn as it is. The search is recursive (a helper fn calls, and the
# helpers that one calls), and a helper defined in the global environment is given the
# same child as its environment: serialised, the global environment is the worker's, where
# the helpers it calls in turn do not exist.
with_globals <- function(f) {
  if (!is.function(f)) return(f)
  env <- environment(f)
  if (is.primitive(f) || is.null(env) || isNamespace(env) ||
      !requireNamespace("globals", quietly = TRUE)) {
    return(f)
  }
  g <- tryCatch(
    as.list(globals::cleanup(globals::globalsOf(body(f), envir = env, mustExist = FALSE,
                                                recursive = TRUE))),
    error = function(e) list())
  if (length(g)) {
    shared <- new.env(parent = env)
    for (k in names(g)) {
      v <- g[[k]]
      if (is.function(v) && !is.primitive(v) && identical(environment(v), globalenv())) {
        environment(v) <- shared
      }
      assign(k, v, envir = shared)
    }
    environment(f) <- shared
  }
  tryCatch(compiler::cmpfun(f), error = function(e) f)
}

# The user's functions of a check_fit() result's problem (fn, gr), and any others given
# (resample, simulate, refit), with their globals, for the backends that serialise them
# (snow, and future): with_globals() on each.
ship_problem <- function(x, parallel) {
  if (!parallel %in% c("snow", "future")) return(x)
  x$problem$fn <- with_globals(x$problem$fn)
  if (is.function(x$problem$gr)) x$problem$gr <- with_globals(x$problem$gr)
  x
}

# Successive L'Ecuyer-CMRG random-number streams, one per chunk of points, so that an fn
# that draws random numbers gets independent draws on every worker, the same for the
# same random-number state of the caller (whose first draw seeds them, when the first
# stream is asked for; the caller's kind of generator is left as it was).
rng_streams <- function() {
  s <- NULL
  function() {
    if (is.null(s)) s <<- lecuyer_seed(sample.int(.Machine$integer.max, 1L))
    s <<- parallel::nextRNGStream(s)
    s
  }
}

# The L'Ecuyer-CMRG .Random.seed that set.seed(seed) gives, the caller's random-number
# state and kind left as they were.
lecuyer_seed <- function(seed) {
  had <- exists(".Random.seed", envir = globalenv(), inherits = FALSE)
  old <- if (had) get(".Random.seed", envir = globalenv())
  kind <- RNGkind()
  on.exit({
    RNGkind(kind[1L], kind[2L], kind[3L])
    if (had) assign(".Random.seed", old, envir = globalenv()) else
      rm(".Random.seed", envir = globalenv())
  })
  RNGkind("L'Ecuyer-CMRG")
  set.seed(seed)
  get(".Random.seed", envir = globalenv())
}

# A local PSOCK cluster whose sockets send at once (TCP_NODELAY): with R's default
# sockets a message of a few kB waits for the worker's delayed acknowledgement, about
# 40 ms, before it leaves (Nagle's algorithm), which is most of a batch's cost (measured:
# 35 -> 10 ms a batch; a future multisession plan 140 -> 14 ms for two futures). Only the
# master's side matters here. Clusters and plans that users make get the same with
# options(socketOptions = "no-delay") set before they are made (documented).
make_cluster <- function(ncpus) {
  old <- options(socketOptions = "no-delay")
  on.exit(options(old))
  parallel::makeCluster(ncpus)
}

# The number of workers of the current future plan (at least 1).
future_workers <- function() {
  max(1L, suppressWarnings(as.integer(future::nbrOfWorkers())), na.rm = TRUE)
}

# f stored in the global environment of every node of cl under `name`, and a function
# that calls it there (it travels to the nodes as a reference, not with this frame). A
# cluster that does not answer is a classed error, after on_error() has cleaned up.
snow_install <- function(cl, name, f, on_error = function() NULL) {
  tryCatch(parallel::clusterCall(cl, assign, name, f, envir = globalenv()),
           error = function(e) {
             on_error()
             # a time limit (the way Ctrl-C arrives) passes on unchanged
             if (is_time_limit(e)) stop(e)
             hc_abort("worker_died", sprintf(
               "The snow cluster `cl` does not answer (%s): a worker may have died. Stop it with parallel::stopCluster(cl) and make a new one.",
               error_text(e)))
           })
  call_it <- eval(bquote(function(...) get(.(name), envir = globalenv())(...)))
  environment(call_it) <- globalenv()
  call_it
}

# What snow_install() stored, removed from the nodes (silently: some may be dead).
snow_remove <- function(cl, name) {
  try(parallel::clusterCall(cl, rm, list = name, envir = globalenv()), silent = TRUE)
}

# Whether every node of cl talks over a socket (so that nodes can be polled one by one).
is_socket_cluster <- function(cl) {
  all(vapply(cl, function(node) inherits(node$con, "connection"), TRUE))
}

# Contiguous chunks of 1..k, one per worker, as equal as can be.
split_points <- function(k, workers) {
  w <- min(workers, k)
  split(seq_len(k), rep(seq_len(w), diff(round(seq(0, k, length.out = w + 1)))))
}

# The batch evaluator: list(evaluate = function(X, id) -> values, close = function()).
# `fail(id, x, cond_or_value)` raises the error serial mode raises at x.
batch_evaluator <- function(parallel, ncpus, cl, chunk, fail, progress) {
  done <- 0L
  state <- new.env(parent = emptyenv())
  run <- switch(parallel,
    multicore = function(Xs, id, seeds) {
      out <- suppressWarnings(parallel::mclapply(
        seq_along(Xs), function(i) chunk(Xs[[i]], id, seeds[[i]]), mc.cores = length(Xs),
        mc.preschedule = TRUE))
      died <- which(!vapply(out, is.list, TRUE))
      if (length(died)) {
        hc_abort("worker_died", sprintf(
          "A forked multicore worker evaluating %s died (or failed outside fn): %s. Nothing was computed; try parallel = \"no\" to see the error in this process.",
          if (id == 2L) "gr" else "fn",
          if (inherits(out[[died[1L]]], "try-error")) trimws(as.character(out[[died[1L]]])) else
            "it returned no result"))
      }
      out
    },
    snow = snow_runner(ncpus, cl, chunk, state),
    future = function(Xs, id, seeds) {
      # One future per chunk, its globals given: the chunk function with its environment
      # (fn, the `...` arguments) serialised once per call, so that future neither
      # searches the code for globals nor walks fn's environments to size them, per
      # future (the costly part of a future when the work is small).
      if (is.null(state$chunk_raw)) state$chunk_raw <- serialize(chunk, NULL)
      chunk_raw <- state$chunk_raw
      out <- tryCatch(
        quiet_parallel({
          # each future with its own random-number stream: reproducible, and no
          # RngFutureWarning when fn draws random numbers
          fs <- lapply(seq_along(Xs), function(i) {
            X <- Xs[[i]]
            future::future(unserialize(chunk_raw)(X, id),
                           globals = list(chunk_raw = chunk_raw, X = X, id = id),
                           packages = character(), seed = seeds[[i]], lazy = FALSE)
          })
          lapply(fs, future::value)
        }),
        FutureError = function(e) {
          restart_future()
          hc_abort("worker_died", sprintf(
            "A worker of the future plan evaluating %s died (%s); the plan's workers were restarted.",
            if (id == 2L) "gr" else "fn", error_text(e)))
        })
      out
    }
  )
  workers <- switch(parallel,
    snow = state$workers,
    future = future_workers(),
    ncpus)
  next_seed <- rng_streams()
  evaluate <- function(X, id) {
    k <- ncol(X)
    idx <- split_points(k, workers)
    Xs <- lapply(idx, function(ix) X[, ix, drop = FALSE])
    # drawn here, not in a forked worker that would read them first
    seeds <- lapply(Xs, function(X) next_seed())
    out <- run(Xs, id, seeds)
    for (c in seq_along(out)) {
      r <- out[[c]]
      # serial mode stops at the first failing point: the warnings up to it
      resignal_warnings(r$warnings)
      if (r$fail > 0L) {
        x <- X[, idx[[c]][r$fail]]
        fail(id, x, if (is.null(r$error)) list(value = r$value) else r$error)
      }
    }
    done <<- done + k
    if (!is.null(progress)) progress(done)
    as.vector(do.call(cbind, lapply(out, `[[`, "values")))
  }
  list(evaluate = evaluate, close = function() if (!is.null(state$close)) state$close(),
       workers = workers)
}

# A snow cluster (the user's `cl`, or `ncpus` local workers started here): the chunk
# function is sent to each node once; each batch sends only the points. Results are
# read as they arrive (an interrupt stays possible); a node whose connection breaks is
# a classed error naming it.
snow_runner <- function(ncpus, cl, chunk, state) {
  own <- is.null(cl)
  if (own) cl <- make_cluster(ncpus)
  send <- utils::getFromNamespace("sendCall", "parallel")
  recv <- utils::getFromNamespace("recvData", "parallel")
  busy <- logical(length(cl))
  state$workers <- length(cl)
  state$close <- function() {
    for (i in which(busy)) try(recv(cl[[i]]), silent = TRUE)
    snow_remove(cl, ".hesscheck_chunk")
    if (own) {
      try(parallel::stopCluster(cl), silent = TRUE)
      for (node in cl) try(close(node$con), silent = TRUE)
    }
  }
  call_chunk <- snow_install(cl, ".hesscheck_chunk", chunk, state$close)
  socket <- is_socket_cluster(cl)
  dead <- function(i, e) {
    busy[i] <<- FALSE
    hc_abort("worker_died", sprintf(
      "snow node %d died while evaluating a batch of points (%s).%s", i, error_text(e),
      if (own) "" else " Stop `cl` with parallel::stopCluster(cl) and make a new one."))
  }
  function(Xs, id, seeds) {
    out <- vector("list", length(Xs))
    for (i in seq_along(Xs)) {
      tryCatch(send(cl[[i]], call_chunk, list(Xs[[i]], id, seeds[[i]])),
               error = function(e) dead(i, e))
      busy[i] <<- TRUE
    }
    while (any(busy)) {
      b <- which(busy)
      ready <- if (socket) socketSelect(lapply(cl[b], function(node) node$con),
                                        timeout = 1) else rep(TRUE, length(b))
      for (i in b[ready]) {
        # A time limit met while a result is being read passes on unchanged (an interrupt
        # is no error and passes anyway); the node's connection may then be left
        # mid-message: close() does not read it again.
        msg <- tryCatch(recv(cl[[i]]), error = function(e) {
          if (is_time_limit(e)) {
            busy[i] <<- FALSE
            stop(e)
          }
          e
        })
        busy[i] <<- FALSE
        if (inherits(msg, "error")) dead(i, msg)
        if (inherits(msg$value, "try-error") || !is.list(msg$value)) {
          dead(i, simpleError(paste(as.character(msg$value), collapse = " ")))
        }
        out[[i]] <- msg$value
      }
    }
    out
  }
}

# ---- progress ----------------------------------------------------------------------

# A progress bar for calls projected to take more than `show_after` seconds: the
# projection is the mean time per evaluation so far (the running mean, not the first
# evaluations': an fn that is cheap at par, as TMB's objective is where its random effects
# were last optimised, and slow elsewhere gets its bar) times the evaluations left. It
# asks to be called again after about `update` seconds of evaluations at that mean, and
# at the latest when the count has quadrupled (so that a change of cost is seen in time),
# so that a cheap call is asked a few times only (log4 of its evaluations).
# Returns an object of class "hesscheck_progress":
#   fun(done): done evaluations in the current phase; returns the evaluations until it
#     wants to be called again;
#   phase(k): a new phase of k expected evaluations starts (a Hessian of check_fit());
#   tick(): one evaluation more, from R (check_fit()'s probes after the Hessian);
#   close(complete): the bar filled to 100% only when the work completed (an error
#     leaves it where it stopped).
# `start`: when the work started (proc.time()'s elapsed), for an object made only when
# first asked (lazy_progress()).
# A progress object made only when the C core first asks (after the first evaluation, or
# progress_thresholds$first_tick of them): a cheap call that ends before pays nothing.
lazy_progress <- function(expected, start) {
  force(start)                         # the time now, not at the first call
  prog <- NULL
  fun <- function(done) {
    if (is.null(prog)) {
      now <- proc.time()[["elapsed"]] - start
      if (now < progress_thresholds$first_bar) {
        # too early for a bar, whatever the projection: asked again as new_progress()
        # would ask
        per <- max(now / max(done, 1), 1e-9)
        again <- min(progress_thresholds$update / per,
                     max(3 * done, progress_thresholds$first_tick), 1e9)
        return(if (again < 1) 1L else as.integer(again))
      }
      prog <<- new_progress(expected, start)
    }
    prog$fun(done)
  }
  list(fun = fun, close = function(complete) if (!is.null(prog)) prog$close(complete))
}

progress_thresholds <- list(
  show_after = 2,      # seconds: a call projected to take longer shows a bar
  quiet_below = 0.5,   # seconds: a call projected (from fn at par) below this is asked
                       # only after first_tick evaluations
  first_tick = 32,     # evaluations before such a call is first asked
  update = 0.2,        # seconds between updates of the bar
  first_bar = 0.5      # seconds of work before a bar is first drawn
)

# The fraction of the work done: done / expected, but from 90% on it approaches 100%
# without reaching it (the expected count is an estimate: check_fit()'s probes after the
# Hessian, a search that takes more steps), so that the bar keeps moving and is full only
# when the work is.
progress_fraction <- function(done, expected) {
  expected <- max(expected, 1)
  if (done <= 0.9 * expected) return(done / expected)
  0.9 + 0.1 * (1 - exp(-(done - 0.9 * expected) / expected))
}

new_progress <- function(expected, start = proc.time()[["elapsed"]]) {
  force(start)
  bar <- NULL
  base <- 0            # evaluations of the phases before the current one
  total <- 0           # evaluations so far, all phases
  countdown <- progress_thresholds$first_tick
  shown <- 0           # the fraction shown, which never goes back
  show <- function() {
    now <- proc.time()[["elapsed"]] - start
    per <- max(now / max(total, 1), 1e-9)
    # again after `update` seconds at the mean cost, and at the latest when the count has
    # quadrupled
    again <- min(progress_thresholds$update / per, max(3 * total, progress_thresholds$first_tick),
                 1e9)
    again <- if (again < 1) 1L else as.integer(again)
    if (is.null(bar)) {
      if (now + per * max(expected - total, 0) < progress_thresholds$show_after ||
          now < progress_thresholds$first_bar) {
        return(again)
      }
      bar <<- utils::txtProgressBar(0, 1, style = 3)
    }
    shown <<- max(shown, progress_fraction(total, expected))
    utils::setTxtProgressBar(bar, shown)
    again
  }
  fun <- function(done) {
    total <<- base + done
    show()
  }
  phase <- function(k) {
    base <<- total
    expected <<- expected + k
    invisible()
  }
  tick <- function() {
    total <<- total + 1
    countdown <<- countdown - 1
    if (countdown <= 0) countdown <<- show()
    invisible()
  }
  close <- function(complete = TRUE) {
    if (is.null(bar)) return(invisible())
    if (complete) utils::setTxtProgressBar(bar, 1)
    base::close(bar)
    bar <<- NULL
    invisible()
  }
  structure(list(fun = fun, phase = phase, tick = tick, close = close),
            class = "hesscheck_progress")
}
