# Evaluating the C core's batches of points on a backend (hessian_fd(parallel = )); the
# backends themselves are in backends.R, the progress bar in progress.R. The C core decides which points to evaluate and what the
# values mean; here a batch (the points as the columns of a matrix) is split into one
# contiguous chunk per worker, the chunks are evaluated, and the values come back in the
# order of the points. A failure is reported as serial mode reports it: at the first
# failing point in the batch's order (serial mode evaluates the points in that order and
# stops there), with fn's error as the parent. A worker that dies is a classed error.

# The function a worker runs on a chunk: fn (id 1) or gr (id 2) at each column of X, with
# the `...` arguments bound by name (dots.R). It stops at the chunk's first failure and
# says which point and why: list(values = m x k, fail = 0 or the column, error or value).
# Its environment holds only what it needs, so that it travels to snow and future
# workers whole (hesscheck need not be installed there).
# tolerant: as make_fx()'s raw() sees fn (check_fit()'s probes), a failure or a value that
# is not one number is NA and the chunk goes on (fail is always 0).
chunk_function <- function(fn, gr, dots, nm, ship = FALSE, tolerant = FALSE) {
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
  chunk <- make_chunk(f$call, f$env, g$call, g$env, nm, tolerant)
  if (ship) compiler::cmpfun(chunk) else chunk
}

make_chunk <- function(fcall, fenv, gcall, genv, nm, tolerant = FALSE) {
  force(fcall); force(fenv); force(gcall); force(genv); force(nm); force(tolerant)
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
      if (tolerant) {
        out[, p] <- if (is.numeric(v) && length(v) == 1L && !is.nan(v)) as.double(v) else
          NA_real_
        next
      }
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

# Contiguous chunks of 1..k, one per worker, as equal as can be.
split_points <- function(k, workers) {
  w <- min(workers, k)
  split(seq_len(k), rep(seq_len(w), diff(round(seq(0, k, length.out = w + 1)))))
}

# The batch evaluator: list(evaluate = function(X, id) -> values, close = function()).
# `fail(id, x, cond_or_value)` raises the error serial mode raises at x.
# `name`: the chunk's name on the nodes of a snow cluster (check_fit()'s probes keep theirs
# there while the Hessians of its refinement install and remove their own). `persistent`:
# multicore workers forked once and kept (fork_runner()), for many small batches (the
# probes': a fork per batch costs 10 to 80 ms, a batch on a kept one about 1 ms).
batch_evaluator <- function(parallel, ncpus, cl, chunk, fail, progress,
                            name = ".hesscheck_chunk", persistent = FALSE) {
  done <- 0L
  state <- new.env(parent = emptyenv())
  if (parallel == "multicore" && persistent) {
    run <- fork_runner(ncpus, chunk, state, name)
    parallel <- "snow"
  } else run <- switch(parallel,
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
    snow = snow_runner(ncpus, cl, chunk, state, name),
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

# Where fork_runner()'s chunks wait for the fork: the nodes read theirs from their copy.
fork_store <- new.env(parent = emptyenv())

# The function a node of fork_runner()'s cluster calls: the chunk stored under `key`.
fork_call <- function(key) {
  force(key)
  function(X, id, seed = NULL) get(key, envir = fork_store)(X, id, seed)
}

# `ncpus` forked workers kept for the whole call (parallel::makeForkCluster()), run as a
# snow cluster (snow_runner()). The chunk is not sent to them, which would serialise it
# (the pointers of a compiled model, TMB's or lme4's, arrive as NULL): it sits in
# fork_store when they are forked, and they call their copy of it.
fork_runner <- function(ncpus, chunk, state, name) {
  n <- if (is.null(fork_store$n)) 1 else fork_store$n + 1
  fork_store$n <- n
  key <- paste0("chunk", n)
  assign(key, chunk, envir = fork_store)
  old <- options(socketOptions = "no-delay")
  cl <- tryCatch(parallel::makeForkCluster(ncpus), finally = {
    options(old)
    rm(list = key, envir = fork_store)
  })
  attr(cl, "hesscheck_internal") <- TRUE
  run <- tryCatch(snow_runner(ncpus, cl, fork_call(key), state, name,
                              "forked multicore worker"), error = function(e) {
    try(parallel::stopCluster(cl), silent = TRUE)
    stop(e)
  })
  close_pool <- state$close
  state$close <- function() {
    close_pool()
    try(parallel::stopCluster(cl), silent = TRUE)
    # a node that died leaves its connection open (stopCluster() stops at it)
    for (node in cl) try(close(node$con), silent = TRUE)
  }
  run
}

# A snow cluster (the user's `cl`, or `ncpus` local workers started here): the chunk
# function is sent to each node once; each batch sends only the points, one chunk per
# node (snow_pool()). Results are read as they arrive (an interrupt stays possible); a
# node whose connection breaks is a classed error naming it.
snow_runner <- function(ncpus, cl, chunk, state, name = ".hesscheck_chunk",
                        label = "snow node") {
  own <- is.null(cl)
  # check_fit()'s own cluster (attr "hesscheck_internal") is stopped there, not here,
  # and the user has no `cl` to stop
  theirs <- !own && !isTRUE(attr(cl, "hesscheck_internal"))
  if (own) cl <- make_cluster(ncpus)
  pool <- snow_pool(cl)
  state$workers <- length(cl)
  state$close <- function() {
    pool_drain(pool)
    pool_remove(pool)
    if (own) {
      try(parallel::stopCluster(cl), silent = TRUE)
      for (node in cl) try(close(node$con), silent = TRUE)
    }
  }
  pool_install(pool, name, chunk, state$close)
  dead <- function(i, e) {
    hc_abort("worker_died", sprintf(
      "%s %d died while evaluating a batch of points (%s).%s", label, i, error_text(e),
      if (theirs) " Stop `cl` with parallel::stopCluster(cl) and make a new one." else ""))
  }
  function(Xs, id, seeds) {
    out <- vector("list", length(Xs))
    pool_run(pool, length(Xs), function(j) list(Xs[[j]], id, seeds[[j]]),
      on_value = function(i, j, value) {
        if (inherits(value, "try-error") || !is.list(value)) {
          dead(i, simpleError(paste(as.character(value), collapse = " ")))
        }
        out[[j]] <<- value
      },
      on_dead = function(i, j, e) dead(i, e),
      timeout = 1)
    out
  }
}
