# The replicate machinery shared by bootstrap_se() and coverage_check(): their common
# argument checks, one replicate's data and refit, and run_replicates(), which runs the
# replicates on a backend so that whatever happens to one of them (an error, a refit
# that returns nonsense, a worker process that dies) fails that replicate only.

# ---- argument checks ---------------------------------------------------------------

# The arguments every resampling function (`what`) shares: the check_fit() result, the
# name of its data argument, the number of replicates and the backend; then the verdict,
# which must be one whose standard errors mean something unless force = TRUE.
check_replicate_args <- function(x, data, R, parallel, force, progress, what) {
  check_hesscheck(x)
  check_flag(force, "force")
  check_flag(progress, "progress")
  # data = NULL: the data arguments check_fit()'s method recorded, resolved here once
  if (is.null(data)) data <- x$problem$data
  args <- list(R = check_replicates(R), dat = check_data_arg(x, data), data = data,
               parallel = check_parallel(parallel))
  check_shippable(x$problem, args$parallel, paste0(what, "()"))
  require_usable_verdict(x, force, what)
  args
}

check_replicates <- function(R) {
  check_whole(R, "R", "bad_R", 2, what = ", the number of replicates,")
}

check_data_arg <- function(x, data) {
  dots <- x$problem$dots
  nm <- names(dots)
  named <- if (length(nm)) nm[!is.na(nm) & nzchar(nm)] else character()
  if (is.null(data) && length(named)) {
    hc_abort("bad_data", sprintf(
      "`data` is missing: give the name of the argument of fn that holds the data, one of: %s; for example data = \"%s\".",
      paste0("\"", named, "\"", collapse = ", "), named[[1L]]), argument = "data")
  }
  if (!is.character(data) || length(data) < 1L || anyNA(data) || anyDuplicated(data) ||
      !all(data %in% nm)) {
    # Only the names: never the value, which may be the whole data set.
    given <- if (is.character(data) && length(data) >= 1L) {
      paste0("\"", data, "\"", collapse = ", ")
    } else if (is.atomic(data) && !is.null(data)) {
      sprintf("a %s vector of length %d", class(data)[1L], length(data))
    } else describe_value(data)
    hc_abort("bad_data", sprintf(
      "`data` must be the name (a string), or names, of the arguments of fn that hold the data, one of: %s; not %s.",
      if (length(nm) && any(nzchar(nm))) paste0("\"", nm[nzchar(nm)], "\"", collapse = ", ") else
        "(none: pass the data to check_fit() as a named argument of fn)",
      given
    ))
  }
  if (length(data) == 1L) return(dots[[data]])
  # Several arguments are resampled jointly by rows: they must have as many.
  dat <- dots[data]
  rows <- vapply(dat, NROW, 1)
  if (length(unique(rows)) != 1L) {
    hc_abort("bad_data", sprintf(
      "The data arguments %s must have as many rows (or elements) each, to be resampled jointly; they have %s.",
      paste0("\"", data, "\"", collapse = ", "), paste(rows, collapse = ", ")
    ))
  }
  dat
}

# ---- one replicate -----------------------------------------------------------------

# Data for one replicate from the user's resample() or simulate(); an error there makes
# the replicate fail (status "failed", with the message), as an error in the refit does.
generated <- function(gen, what, ...) {
  catch_user(gen(...), function(e) {
    failed_replicate(sprintf("`%s` failed: %s", what, error_text(e)))
  })
}

# Rows i of a data argument: of a data frame or matrix, else elements.
take_rows <- function(d, i) {
  if (is.data.frame(d) || is.matrix(d)) d[i, , drop = FALSE] else d[i]
}

default_resample <- function(dat, data, cluster = NULL, column = NULL) {
  several <- length(data) > 1L
  parts <- if (several) dat else list(dat)
  for (k in seq_along(parts)) {
    if (!(is.data.frame(parts[[k]]) || is.matrix(parts[[k]]) || is.atomic(parts[[k]]) ||
          is.list(parts[[k]]))) {
      hc_abort("bad_data", sprintf(
        "Cannot resample `%s` (%s): give a `resample` function.", data[k],
        describe_value(parts[[k]])
      ))
    }
  }
  nrow <- NROW(parts[[1L]])
  if (is.null(cluster)) {
    return(if (several) {
      function(d) {
        i <- sample.int(nrow, replace = TRUE)
        lapply(d, take_rows, i)
      }
    } else {
      function(d) take_rows(d, sample.int(nrow, replace = TRUE))
    })
  }
  # Whole groups drawn with replacement, each bringing all its rows. A cluster column is
  # relabelled by draw, so that a group drawn twice counts as two groups in a refit.
  groups <- split(seq_len(nrow), cluster, drop = TRUE)
  relabel <- function(d, id) {
    if (!is.null(column) && is.data.frame(d) && column %in% names(d)) {
      d[[column]] <- if (is.factor(d[[column]])) factor(id) else id
    }
    d
  }
  function(d) {
    k <- sample.int(length(groups), replace = TRUE)
    i <- unlist(groups[k], use.names = FALSE)
    id <- rep(seq_along(k), lengths(groups[k]))
    if (several) lapply(d, function(v) relabel(take_rows(v, i), id)) else
      relabel(take_rows(d, i), id)
  }
}

# The default `cluster` of a mixed model (x$problem$groups): its top-level grouping
# factor's column, the one its other grouping factors are nested in; NULL for other
# fits. Crossed grouping factors, or a top level that is not a column of the data, are
# a classed error saying what to do instead: the parametric bootstrap (`what`, the
# function called, with x$problem$simulate), or a `cluster` of one's choice.
default_cluster <- function(x, what, instead = NULL) {
  g <- x$problem$groups
  if (is.null(g)) return(NULL)
  if (!is.na(g$column)) return(g$column)
  cls <- if (is.null(x$source$class)) "mixed-model" else x$source$class
  param <- if (is.function(x$problem$simulate)) {
    sprintf("use the parametric bootstrap, which simulates new responses from the fitted model: %s(x, simulate = x$problem$simulate), x being this check_fit() result",
            what)
  } else {
    "use the parametric bootstrap: give `simulate`, a function(par, data) returning the data with a response simulated from the fitted model (stats::simulate(fit) gives one)"
  }
  if (!is.null(instead)) param <- instead
  if (is.na(g$top)) {
    hc_abort("crossed_groups", sprintf(
      "This %s fit has crossed grouping factors (%s): none is nested in the others, so no resampling of rows or of one factor's groups reproduces how its data vary. Instead, %s; or give `cluster`, a column of the data, to resample the groups of one factor anyway.",
      cls, name_list(g$factors), param), factors = g$factors)
  }
  hc_abort("bad_cluster", sprintf(
    "The top-level grouping factor of this %s fit, %s, is not a column of its data, so its groups cannot be resampled by default. Instead, %s; or give `cluster`, a column of the data (or one label per row).",
    cls, g$top, param))
}

# `cluster`: one group label per row of the data, or the name of a column of a data frame.
check_cluster <- function(cluster, dat, data) {
  if (is.null(cluster)) return(NULL)
  first <- if (length(data) > 1L) dat[[1L]] else dat
  if (is.character(cluster) && length(cluster) == 1L && !is.na(cluster)) {
    frames <- if (length(data) > 1L) dat else list(dat)
    hit <- Filter(function(d) is.data.frame(d) && cluster %in% names(d), frames)
    if (!length(hit)) {
      hc_abort("bad_cluster", sprintf(
        "`cluster` = \"%s\" is not a column of the data: give a column name or one group label per row.",
        cluster
      ))
    }
    return(hit[[1L]][[cluster]])
  }
  if (!is.atomic(cluster) || length(cluster) != NROW(first) || anyNA(cluster)) {
    hc_abort("bad_cluster", sprintf(
      "`cluster` must give one group label per row of the data (%d), without NA, or name a column; not %s.",
      NROW(first), describe_value(cluster)
    ))
  }
  cluster
}

# fn's `...` arguments with the replicate's data d in place: one argument, or several
# (d then a list of them by name).
with_data <- function(dots, data, d) {
  if (length(data) > 1L) dots[data] <- d[data] else dots[[data]] <- d
  dots
}

# A refit function(data, start) -> list(value, status, message) or a failed replicate.
make_refit <- function(x, data, refit, method, control) {
  pr <- x$problem
  if (!is.null(refit)) {
    user <- check_function(refit, "refit")
  } else {
    bounded <- any(is.finite(pr$lower) | is.finite(pr$upper))
    if (is.null(method)) method <- if (bounded) "L-BFGS-B" else "BFGS"
    if (!is.character(method) || length(method) != 1L || is.na(method)) {
      hc_abort("bad_method", "`method` must be one optim() method name, e.g. \"BFGS\".")
    }
    if (!is.list(control)) hc_abort("bad_control", "`control` must be a list.")
    control$fnscale <- pr$fnscale
    user <- function(d, start) {
      dots <- with_data(pr$dots, data, d)
      f <- bind_dots(pr$fn, dots)
      g <- if (!is.null(pr$gr)) bind_dots(pr$gr, dots)
      if (method == "L-BFGS-B") {
        stats::optim(start, f, g, method = method, control = control, lower = pr$lower,
                     upper = pr$upper)
      } else {
        stats::optim(start, f, g, method = method, control = control)
      }
    }
  }
  n <- length(x$par)
  function(d, start) {
    res <- catch_user(user(d, start), function(e) e)
    if (inherits(res, "error")) return(failed_replicate(error_text(res)))
    refit_result(res, n)
  }
}

# What a refit returned, checked: a numeric vector of n estimates, or a list with them in
# `par` (optim, nlminb) or `estimate` (nlm) and a single convergence code (`convergence`;
# nlm's `code`, 1 or 2 meaning converged). Anything else fails that replicate, saying why.
refit_result <- function(res, n) {
  conv <- 0
  p <- res
  if (is.list(res)) {
    if (!is.null(res$par)) {
      p <- res$par
      if (!is.null(res$convergence)) conv <- res$convergence
    } else if (!is.null(res$estimate)) {
      p <- res$estimate
      if (!is.null(res$code)) {
        conv <- res$code
        if (is.numeric(conv) && length(conv) == 1L && conv %in% 1:2) conv <- 0
      }
    } else {
      return(failed_replicate(sprintf(
        "refit returned a list without `par` (or `estimate`): names %s",
        if (length(names(res))) paste(utils::head(names(res), 5), collapse = ", ") else "none"
      )))
    }
  }
  if (!is.numeric(p) || is.object(p) || length(p) != n) {
    return(failed_replicate(sprintf("refit returned %s, not %d estimates",
                                    describe_refit(p), n)))
  }
  if (!all(is.finite(p))) {
    return(failed_replicate("refit returned non-finite estimates (NA, NaN or Inf)"))
  }
  if (!(is.numeric(conv) || is.logical(conv)) || length(conv) != 1L || is.na(conv)) {
    return(failed_replicate(sprintf(
      "refit returned convergence %s, not a single code", describe_refit(conv)
    )))
  }
  list(value = as.double(p), status = if (conv == 0) "ok" else "not_converged",
       message = NA_character_)
}

# describe_value() without values that vary between replicates, so that the same kind
# of failure counts as one reason.
describe_refit <- function(v) {
  if (is.null(v)) return("NULL")
  if (!is.atomic(v)) return(paste("an object of class", dQuote(class(v)[1L], FALSE)))
  if (length(v) == 1L && is.na(v)) return(sprintf("NA (%s)", class(v)[1L]))
  sprintf("a %s vector of length %d", class(v)[1L], length(v))
}

# ---- running the replicates ----------------------------------------------------------

# Run one(r) for r = 1..R, each with its own L'Ecuyer-CMRG stream; one() returns
# list(value (length m), status, message). A replicate whose worker process dies is
# failed, with why, and a classed warning (hesscheck_warning_worker_died) says so.
#
# The warnings a replicate gives (a refit's NaNs, say) are collected with it, not
# signalled one by one: the result's `warnings` (a data frame of replicate and message),
# and one summary warning of class hesscheck_warning_replicates_warned, which says how
# many of the replicates (`what`: "refits") warned, with what and from which replicate.
run_replicates <- function(one, R, m, parallel, ncpus, cl, seed, progress, what = "refits") {
  ncpus <- check_backend(parallel, ncpus, cl)
  if (!is.null(seed)) {
    seed <- check_whole(seed, "seed", "bad_seed", -.Machine$integer.max,
                        what = " (or NULL)")
  }
  # The streams, the results and the value matrix, before any work.
  check_memory(as.double(R) * (16 * m + 400), sprintf("%s replicates", format_count(R)))

  run <- run_on_backend(with_warnings_kept(one), R, parallel, ncpus, cl, seed, progress)
  warns <- replicate_warnings(run$results)
  out <- collect_replicates(run, R, m)
  out$warnings <- warns
  if (nrow(warns)) warn_replicates(warns, R, what)
  out
}

# one(r) with the warnings it gives muffled and kept as the attribute
# "hesscheck_warnings" of its result (their messages), which survives the trip back from
# a worker process.
with_warnings_kept <- function(one) {
  force(one)
  function(r) {
    msgs <- character()
    value <- withCallingHandlers(one(r), warning = function(w) {
      msgs <<- c(msgs, error_text(w))
      invokeRestart("muffleWarning")
    })
    if (length(msgs)) attr(value, "hesscheck_warnings") <- msgs
    value
  }
}

# The kept warnings of the replicates' results, as a data frame of replicate and message.
replicate_warnings <- function(results) {
  rep_id <- integer()
  msg <- character()
  for (r in seq_along(results)) {
    w <- attr(results[[r]], "hesscheck_warnings", exact = TRUE)
    if (is.character(w) && length(w)) {
      rep_id <- c(rep_id, rep(r, length(w)))
      msg <- c(msg, w)
    }
  }
  fast_df(list(replicate = rep_id, message = msg))
}

# One warning for all of them: "127 of 200 refits warned: NaNs produced (first at
# replicate 3)", the three most frequent messages with the number of replicates that gave
# each; every warning is in the result's `warnings`.
warn_replicates <- function(warns, R, what) {
  k <- length(unique(warns$replicate))
  by_msg <- split(warns$replicate, factor(warns$message, unique(warns$message)))
  count <- vapply(by_msg, function(v) length(unique(v)), 0L)
  first <- vapply(by_msg, min, 0L)
  ord <- order(-count, first)
  top <- utils::head(ord, 3L)
  parts <- vapply(top, function(j) {
    sprintf("%s (%s%s)", names(by_msg)[j],
            if (length(by_msg) > 1L) sprintf("%d, ", count[[j]]) else "",
            sprintf("first at replicate %d", first[[j]]))
  }, "")
  more <- length(by_msg) - length(top)
  hc_warn("replicates_warned", sprintf(
    "%d of %d %s warned: %s%s. Every warning is in the result's $warnings.",
    k, as.integer(R), what, paste(parts, collapse = "; "),
    if (more > 0) sprintf("; and %d other message%s", more, if (more == 1L) "" else "s") else ""
  ), warnings = warns)
}


# The replicates' values, status and counted failure messages.
collect_replicates <- function(run, R, m) {
  values <- matrix(NA_real_, R, m)
  status <- character(R)
  msgs <- rep(NA_character_, R)
  valid <- function(o) is.list(o) && is.character(o$status) && length(o$status) == 1L
  for (r in seq_len(R)) {
    o <- run_failure(run, r, valid, "replicate")
    if (is.null(o)) o <- run$results[[r]]
    status[r] <- o$status
    if (identical(o$status, "failed")) {
      msgs[r] <- if (is.character(o$message) && length(o$message) == 1L) o$message else
        "unknown reason"
    }
    if (!identical(o$status, "failed") && is.numeric(o$value) && length(o$value) == m) {
      values[r, ] <- o$value
    }
  }
  if (length(run$lost)) {
    hc_warn("worker_died", sprintf(
      "%d of %d replicates failed because the worker process running them died (%s); the other replicates completed.%s",
      length(run$lost), R, run$where, if (is.null(run$advice)) "" else run$advice
    ), replicates = sort(run$lost))
  }
  msgs <- msgs[status == "failed" & !is.na(msgs)]
  list(values = values, status = status, messages = table(msgs, dnn = NULL), seed = run$seed)
}

# Why task r of a backend run gave no usable result, as a failed_replicate(): its worker
# died, it raised an error, returned nothing, a failed_replicate() (from the task or the
# backend, which says why), or something `valid` rejects. NULL when the result is
# usable. `what` names a task in the messages.
run_failure <- function(run, r, valid, what) {
  if (r %in% run$lost) {
    return(failed_replicate(sprintf("the worker process running this %s died (%s)", what,
                                    run$where)))
  }
  o <- run$results[[r]]
  if (is.null(o)) return(failed_replicate(sprintf("the %s returned no result", what)))
  if (inherits(o, "try-error")) return(failed_replicate(paste(as.character(o), collapse = " ")))
  if (inherits(o, "hesscheck_failed")) return(o)
  if (!valid(o)) {
    return(failed_replicate(sprintf("the %s returned an invalid result", what)))
  }
  NULL
}

# Monte-Carlo standard error of a standard deviation from R draws:
# var(s) ~ (mu4 - sigma^4) / (4 sigma^2 R) (delta method).
sd_mc_error <- function(reps) {
  apply(reps, 2L, function(v) {
    v <- v[is.finite(v)]
    k <- length(v)
    if (k < 3L) return(NA_real_)
    d <- v - mean(v)
    s2 <- mean(d^2)
    m4 <- mean(d^4)
    sqrt(max(m4 - s2^2, 0) / (4 * s2 * k))
  })
}
