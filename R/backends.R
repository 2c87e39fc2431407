# The backends that run work in other R processes: their checks, the clusters and future
# plans, run_on_backend() for replicates and profiles, and the one scheduler that talks
# to the nodes of a snow cluster (snow_pool(): sendCall, recvData and socketSelect are
# used here only), for the Hessian's batches of points (parallel-eval.R) and for
# replicates and profiles (run_snow()).

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

# one(r) for r = 1..R on the backend, each with its own L'Ecuyer-CMRG stream from `seed`
# (the same whatever the backend or the number of workers; NULL draws one); the caller's
# random-number state is restored. Returns the backend's list(results, lost, where) and
# the seed.
run_on_backend <- function(one, R, parallel, ncpus, cl, seed, progress = FALSE) {
  had_seed <- exists(".Random.seed", envir = globalenv(), inherits = FALSE)
  old_seed <- if (had_seed) get(".Random.seed", envir = globalenv())
  old_kind <- RNGkind()
  on.exit({
    RNGkind(old_kind[1L], old_kind[2L], old_kind[3L])
    if (had_seed) assign(".Random.seed", old_seed, envir = globalenv())
  }, add = TRUE)
  if (is.null(seed)) seed <- sample.int(.Machine$integer.max, 1L)
  RNGkind("L'Ecuyer-CMRG")
  set.seed(seed)
  streams <- vector("list", R)
  s <- get(".Random.seed", envir = globalenv())
  for (r in seq_len(R)) streams[[r]] <- s <- parallel::nextRNGStream(s)
  task <- function(r, set_seed = TRUE) {
    if (set_seed) assign(".Random.seed", streams[[r]], envir = globalenv())
    one(r)
  }
  # In other processes the task's warnings are collected with its result, to be
  # signalled here as serial mode signals them (forked and snow workers drop them).
  if (parallel != "no") task <- collecting_warnings(task)
  run <- switch(parallel,
    no = run_serial(task, R, progress),
    multicore = run_multicore(task, R, ncpus),
    snow = run_snow(task, R, ncpus, cl),
    future = run_future(task, R, streams)
  )
  if (parallel != "no") run$results <- collected_results(run$results)
  c(run, list(seed = seed))
}

# task(r, ...) returning its value with the warnings it gave (muffled there).
collecting_warnings <- function(task) {
  force(task)
  function(r, ...) {
    warns <- list()
    value <- withCallingHandlers(task(r, ...), warning = function(w) {
      warns[[length(warns) + 1L]] <<- w
      invokeRestart("muffleWarning")
    })
    structure(list(value = value, warnings = warns), class = "hesscheck_collected")
  }
}

# The values of collecting_warnings() tasks, their warnings signalled in task order,
# each once; other results (a lost task's NULL, a failure) as they are.
collected_results <- function(results) {
  for (r in seq_along(results)) {
    o <- results[[r]]
    if (inherits(o, "hesscheck_collected")) {
      resignal_warnings(o$warnings)
      results[r] <- list(o$value)
    }
  }
  results
}

# Every backend returns list(results = one list element per replicate, lost = the
# replicates whose worker died, where = which worker, advice = what to do about it).
run_serial <- function(task, R, progress) {
  bar <- if (isTRUE(progress) && R > 1L) text_bar(R)
  out <- vector("list", R)
  for (r in seq_len(R)) {
    out[[r]] <- task(r)
    if (!is.null(bar)) bar$set(r)
  }
  if (!is.null(bar)) bar$close()
  list(results = out, lost = integer())
}

# parallel's own warnings about children that did not deliver (from mccollect() under a
# future multicore plan): replaced by ours. Warnings that future relays from the user's
# code pass, as they do with parallel = "no".
quiet_parallel <- function(expr) {
  withCallingHandlers(expr, warning = function(w) {
    if (grepl("did not deliver|encountered errors", conditionMessage(w))) {
      invokeRestart("muffleWarning")
    }
  })
}

# Forked workers, each taking a prescheduled share; replicates lost with a worker that
# died are run again one fork each, so that only a replicate that kills its own worker
# is lost. mclapply() does not relay the children's warnings, so every warning it gives
# is its own about children that did not deliver (in any language): ours replaces them.
run_multicore <- function(task, R, ncpus) {
  out <- suppressWarnings(parallel::mclapply(seq_len(R), task, mc.cores = ncpus,
                                             mc.preschedule = TRUE))
  lost <- which(vapply(out, is.null, TRUE))
  if (length(lost)) {
    again <- suppressWarnings(parallel::mclapply(lost, task, mc.cores = ncpus,
                                                 mc.preschedule = FALSE))
    out[lost] <- again
    lost <- lost[vapply(again, is.null, TRUE)]
  }
  list(results = out, lost = lost, where = "a forked multicore worker")
}

# A snow cluster, one replicate at a time per node: a node that dies loses the replicate
# it was running, and is replaced by a new local node (for a node of the user's `cl`, for
# this call only), so that only a replicate that kills its own node is lost, as with
# forked workers. Should no node be left (a replacement that cannot start), the
# replicates never run fail as such, not as lost with a worker. The task is sent to each
# node once; then only replicate numbers travel (snow_pool()).
run_snow <- function(task, R, ncpus, cl) {
  own <- is.null(cl)
  if (own) cl <- make_cluster(ncpus)
  pool <- snow_pool(cl)
  on.exit(if (own) {
    if (any(pool$alive)) try(parallel::stopCluster(pool$cl[pool$alive]), silent = TRUE)
    for (i in which(!pool$alive)) try(close(pool$cl[[i]]$con), silent = TRUE)
  }, add = TRUE)
  if (!pool$socket) {
    # Not a socket cluster (e.g. MPI): no way to tell which node died.
    out <- tryCatch(parallel::parLapply(cl, seq_len(R), task), error = function(e) {
      hc_abort("worker_died", sprintf(
        "The snow cluster failed (%s); a worker may have died. Start a new cluster.",
        error_text(e)))
    })
    return(list(results = out, lost = integer()))
  }
  pool_install(pool, ".hesscheck_task", task)
  # On the way out (an interrupt too), collect the replicates still running, so that no
  # stale result is left in a connection of the user's cluster, then remove the task.
  on.exit({
    pool_drain(pool)
    pool_remove(pool)
  }, add = TRUE, after = FALSE)
  # A node that died, replaced by a new local one with the task installed (FALSE when
  # that fails too). In the user's `cl` the replacement serves this call only: `cl`
  # itself is not changed (the pool holds a copy of the list), and the new node is
  # stopped on the way out.
  temp <- list()
  on.exit(for (t in temp) try(parallel::stopCluster(t), silent = TRUE), add = TRUE)
  replace_node <- function(i) {
    if (own) try(close(pool$cl[[i]]$con), silent = TRUE)
    new <- tryCatch(make_cluster(1L), error = function(e) {
      if (is_time_limit(e)) stop(e)
      NULL
    })
    if (is.null(new)) return(FALSE)
    if (!own) temp[[length(temp) + 1L]] <<- new
    ok <- tryCatch({
      snow_install(new, ".hesscheck_task", task)
      TRUE
    }, error = function(e) {
      if (is_time_limit(e)) stop(e)
      FALSE
    })
    if (!ok) return(FALSE)
    pool$cl[[i]] <- new[[1L]]
    TRUE
  }

  out <- vector("list", R)
  lost <- integer()
  dead_nodes <- integer()
  nxt <- pool_run(pool, R, function(r) list(r),
    on_value = function(i, r, value) {
      out[[r]] <<- if (inherits(value, "try-error")) {
        failed_replicate(paste("error on the snow worker:",
                               paste(as.character(value), collapse = " ")))
      } else value
    },
    on_dead = function(i, r, e) {
      # r = 0: the replicate could not be sent, and goes to the next node
      if (r > 0L) lost <<- c(lost, r)
      dead_nodes <<- c(dead_nodes, i)
      pool$alive[i] <- replace_node(i)
    })
  dead_nodes <- sort(unique(dead_nodes))
  left <- if (nxt <= R) seq.int(nxt, R) else integer()
  for (r in left) out[[r]] <- snow_not_run(dead_nodes)
  list(results = out, lost = lost,
       where = sprintf("snow node %s", paste(dead_nodes, collapse = ", ")),
       advice = snow_advice(dead_nodes, own))
}

# A replicate run_snow() never ran because every node of the cluster had died (the
# numbers of the nodes, sorted), as failed_replicate() records it.
snow_not_run <- function(dead_nodes) {
  failed_replicate(sprintf(
    "not run: every node of the snow cluster had died (node%s %s)",
    if (length(dead_nodes) == 1L) "" else "s", paste(dead_nodes, collapse = ", ")))
}

# What run_snow() tells about the nodes that died (their numbers, sorted; own: whether
# the cluster is its own or the user's `cl`): a sentence, NULL when none died.
snow_advice <- function(dead_nodes, own) {
  dead <- paste(dead_nodes, collapse = ", ")
  advice <- if (length(dead_nodes) && !own) sprintf(
    " Local workers stood in for the nodes that died, for this call; `cl` cannot be used as a whole any more: keep its live nodes with cl[-%s], or stop it with parallel::stopCluster(cl) and make a new one.",
    if (length(dead_nodes) == 1L) dead else sprintf("c(%s)", dead))
  if (length(dead_nodes) && own) advice <- " The nodes that died were replaced."
  advice
}

# ---- the socket scheduler ----------------------------------------------------------

# The nodes of a snow cluster as a pool of workers: the cluster (a copy, in which a node
# that died may be replaced), the job each node runs (0: idle), which nodes are alive,
# and whether every node talks over a socket (so that nodes can be polled one by one).
# An environment, shared by the functions below and their caller.
snow_pool <- function(cl) {
  pool <- new.env(parent = emptyenv())
  pool$cl <- cl
  pool$busy <- integer(length(cl))
  pool$alive <- rep(TRUE, length(cl))
  pool$socket <- is_socket_cluster(cl)
  pool
}

# f installed on every node under `name` (snow_install()); jobs then send only their
# arguments.
pool_install <- function(pool, name, f, on_error = function() NULL) {
  pool$name <- name
  pool$call <- snow_install(pool$cl, name, f, on_error)
  invisible(pool)
}

# Jobs 1..m, job j with the arguments args(j): each idle live node, in node order, takes
# the next job; results are read as they arrive (every `timeout` seconds an interrupt can
# be seen; NULL waits). on_value(i, j, value): node i's result of job j. on_dead(i, j, e):
# node i failed (j = 0: the job could not be sent to it, and goes to the next node); it
# may stop, or set pool$alive[i] (a node replaced stays alive). A time limit met while a
# job is sent or a result is read passes on unchanged (an interrupt is no error and
# passes anyway); the node's connection may then be left mid-message. Met while reading,
# the node is marked idle first, so that pool_drain() does not read it again; met while
# sending (the job may have gone whole, and its result would be read by the next call),
# the node is marked dead, so that nothing talks to it again. Returns the first job not
# sent (m + 1 when all were: fewer only when no node is left).
pool_run <- function(pool, m, args, on_value, on_dead, timeout = NULL) {
  send <- utils::getFromNamespace("sendCall", "parallel")
  recv <- utils::getFromNamespace("recvData", "parallel")
  nxt <- 1L
  repeat {
    for (i in which(pool$alive & pool$busy == 0L)) {
      if (nxt > m) break
      sent <- tryCatch({
        send(pool$cl[[i]], pool$call, args(nxt), tag = nxt)
        TRUE
      }, error = function(e) {
        # a time limit met while sending is the user's, not the node's, error
        if (is_time_limit(e)) {
          pool$alive[i] <- FALSE
          stop(e)
        }
        e
      })
      if (isTRUE(sent)) {
        pool$busy[i] <- nxt
        nxt <- nxt + 1L
      } else {
        on_dead(i, 0L, sent)
      }
    }
    b <- which(pool$busy > 0L)
    if (!length(b)) {
      if (nxt > m || !any(pool$alive)) break
      next
    }
    ready <- if (pool$socket) {
      socketSelect(lapply(pool$cl[b], function(node) node$con), timeout = timeout)
    } else rep(TRUE, length(b))
    for (i in b[ready]) {
      j <- pool$busy[i]
      pool$busy[i] <- 0L
      msg <- tryCatch(recv(pool$cl[[i]]), error = function(e) {
        if (is_time_limit(e)) stop(e)
        e
      })
      if (inherits(msg, "error")) on_dead(i, j, msg) else on_value(i, j, msg$value)
    }
  }
  nxt
}

# On the way out: the results of the jobs still running read and dropped, so that no
# stale result is left in a connection of the user's cluster.
pool_drain <- function(pool) {
  recv <- utils::getFromNamespace("recvData", "parallel")
  for (i in which(pool$alive & pool$busy > 0L)) try(recv(pool$cl[[i]]), silent = TRUE)
}

# What pool_install() stored, removed from the live nodes.
pool_remove <- function(pool) {
  if (!is.null(pool$name)) snow_remove(pool$cl[pool$alive], pool$name)
}

# Any future backend, through future.apply; when a worker dies (a FutureError) the plan's
# workers are restarted and the replicates run one future each, a batch of as many as
# there are workers at a time, and a replicate whose worker dies is tried once more on its
# own, so that only a replicate that kills its worker is lost.
run_future <- function(task, R, streams) {
  out <- tryCatch(
    quiet_parallel(future.apply::future_lapply(seq_len(R), task, set_seed = FALSE,
                                               future.seed = streams)),
    FutureError = function(e) e
  )
  if (!inherits(out, "FutureError")) return(list(results = out, lost = integer()))
  restart_future()
  start <- function(r) {
    tryCatch(future::future(task(r, FALSE), seed = streams[[r]],
                            globals = list(task = task, r = r)),
             FutureError = function(e) e)
  }
  value_of <- function(f) {
    if (inherits(f, "FutureError")) return(f)
    tryCatch(quiet_parallel(future::value(f)), FutureError = function(e) e)
  }
  out <- vector("list", R)
  w <- future_workers()
  lost <- integer()
  for (batch in split(seq_len(R), ceiling(seq_len(R) / w))) {
    vals <- lapply(lapply(batch, start), value_of)
    bad <- vapply(vals, inherits, TRUE, "FutureError")
    out[batch[!bad]] <- vals[!bad]
    if (any(bad)) restart_future()
    for (r in batch[bad]) {
      v <- value_of(start(r))
      if (inherits(v, "FutureError")) {
        lost <- c(lost, r)
        restart_future()
      } else {
        out[[r]] <- v
      }
    }
  }
  list(results = out, lost = lost, where = "a worker of the future plan",
       advice = " The plan's workers were restarted.")
}

# Restart the workers of the current future plan (a dead worker stays dead otherwise).
restart_future <- function() {
  old <- future::plan("list")
  future::plan("sequential")
  future::plan(old)
}

# One replicate that failed, with why; run_replicates() leaves its row of values NA.
failed_replicate <- function(message) {
  structure(list(value = NA_real_, status = "failed", message = message),
            class = "hesscheck_failed")
}

# Warnings collected in a worker, signalled here in their order, each once, as serial
# mode signals them.
resignal_warnings <- function(warns) {
  for (w in warns) if (inherits(w, "warning")) warning(w)
}
