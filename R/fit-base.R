# check_fit() methods for the fits R users already have. Each method recovers the
# objective as a negative log-likelihood (and its gradient where the object carries one),
# the estimates with readable unique names, fixed parameters and bounds, then runs the
# same diagnosis through check_fit.default() via from_package(), which tags the result
# with where it came from and the package's own vcov() for comparison.
#
# The data an objective depends on are passed as named `...` arguments of fn (X, y,
# weights, offset for a glm; data for a formula model), so that bootstrap_se() resamples
# them jointly by rows and its default refit (optim() on that objective) works for every
# class; their names are kept in x$problem$data.

# Classes with a method (besides optim-like lists and TMB objects, which are plain lists).
supported_fit_classes <- c("mle", "mle2", "fitdist", "fitdistr", "maxLik", "nls", "glm",
                           "glmmTMB", "merMod", "optimx")

# Called by check_fit.default(), which dispatch reaches for an object only when its class
# has no method: a classed error, not a confusing complaint about a missing `fit$par`.
unsupported_fit <- function(fit) {
  hc_abort("unsupported_fit", sprintf(paste(
    "check_fit() has no method for an object of class %s. Supported: the results of",
    "optim(), nlminb(), nlm() and optimx(), TMB's MakeADFun() objects, and fits of class",
    "%s. For anything else pass the estimates and the objective:",
    "check_fit(list(par = <estimates>, value = <objective there>), fn = <negative",
    "log-likelihood>, ...)."),
    dQuote(class(fit)[1L], FALSE),
    paste(setdiff(supported_fit_classes, "optimx"), collapse = ", ")
  ))
}

# Names for n parameters that print can use: missing ones become p<i>, and repeated ones
# (TMB's "beta", "beta") are numbered "beta[1]", "beta[2]".
unique_names <- function(nm, n) {
  if (is.null(nm)) return(NULL)
  nm[is.na(nm) | !nzchar(nm)] <- paste0("p", seq_len(n))[is.na(nm) | !nzchar(nm)]
  dup <- nm %in% nm[duplicated(nm)]
  if (any(dup)) {
    idx <- stats::ave(seq_along(nm), nm, FUN = seq_along)
    nm[dup] <- paste0(nm[dup], "[", idx[dup], "]")
  }
  make.unique(nm)
}

# TMB's MakeADFun() returns a plain list: fn, gr, he, par and its environment.
is_tmb_adfun <- function(fit) {
  is.list(fit) && !is.object(fit) && is.function(fit$fn) && is.function(fit$gr) &&
    is.environment(fit$env) && !is.null(fit$par)
}

# The shared tail of every method: check_fit.default() on the recovered problem, then the
# result tagged with its source, the package's own covariance and the data argument names.
# `state`, for a fit whose objective moves the fit's own internal state (lme4, TMB): a
# function() that saves that state and returns a function() that puts it back; kept in
# x$problem$state for everything that evaluates the objective again (hold_state()). Such
# an objective holds pointers to compiled objects that cannot be sent to another R
# process: the backends that copy it by serialisation are refused (check_shippable()).
# `fn_obs`, `obs_unit`: the per-observation (or per-cluster) contributions to fn, when
# they are known, and what they are contributions of ("observations", "clusters of
# Subject"); `groups`, `simulate`: a mixed model's grouping factors (mixed_groups()) and
# simulator (mixed_simulator()); `advice`: a line for the print.
from_package <- function(fit, source, par, fn, ..., gr = NULL, value = NULL,
                         convergence = NA, lower = NULL, upper = NULL, fnscale = 1,
                         control = list(), vcov_package = NULL, data_args = NULL,
                         note = NULL, state = NULL, fn_obs = NULL, obs_unit = NULL,
                         groups = NULL, simulate = NULL, advice = NULL) {
  local_only <- if (!is.null(state)) sprintf(
    "the objective of a %s fit works on compiled objects in this R session, which cannot be sent to another R process",
    class(fit)[1L])
  if (!is.null(local_only) && is.list(control) && is.list(control$hessian)) {
    check_shippable(list(local_only = local_only), control$hessian$parallel,
                    "check_fit() with control$hessian")
  }
  # An objective that keeps state between calls (the inner optimum a Laplace
  # approximation starts from) gives values that depend on the calls before: check_fit()
  # asks it along directions here, in serial mode's order, not in batches on workers.
  fn_checked <- fn
  if (!is.null(state)) attr(fn_checked, "hesscheck_stateful") <- TRUE
  x <- check_fit.default(list(par = par, value = value, convergence = convergence,
                              optimizer = source),
                         fn = fn_checked, ..., gr = gr, lower = lower, upper = upper,
                         fnscale = fnscale, control = control)
  x$problem$fn <- fn
  x$source <- list(class = class(fit)[1L], note = note, advice = advice)
  if (!is.null(data_args)) x$problem$data <- data_args
  x$problem$state <- state
  x$problem$fn_obs <- fn_obs
  x$problem$obs_unit <- if (!is.null(fn_obs)) {
    if (is.null(obs_unit)) "observations" else obs_unit
  }
  x$problem$groups <- groups
  x$problem$simulate <- simulate
  x$problem$local_only <- local_only
  n <- length(x$par)
  if (is.numeric(vcov_package) && length(vcov_package) == n * n) {
    V <- matrix(as.double(vcov_package), n, n)
    dimnames(V) <- list(names(x$par), names(x$par))
    x$vcov_package <- V
    se_pkg <- sqrt(pmax(diag(V), 0))
    x$se_package <- cbind(package = se_pkg, hesscheck = x$table$se,
                          ratio = se_pkg / x$table$se)
    rownames(x$se_package) <- names(x$par)
  }
  class(x) <- c("hesscheck_from", class(x))
  x
}

#' @export
format.hesscheck_from <- function(x, digits = 4, ...) {
  validate_hesscheck(x)
  lines <- NextMethod()
  extra <- sprintf("Fit of class \"%s\"%s", x$source$class,
                   if (is.null(x$source$note)) "." else paste0(": ", x$source$note, "."))
  if (!is.null(x$se_package)) {
    r <- x$se_package[, "ratio"]
    # parameters with a package SE but none from hesscheck (drifting, not identified)
    gone <- is.na(r) & is.finite(x$se_package[, "package"])
    but <- if (any(gone) && !all(is.na(r))) {
      sprintf(" Its standard errors for %s mean nothing: hesscheck gives none (see the findings).",
              name_list(rownames(x$se_package)[gone]))
    } else ""
    extra <- c(extra, paste0(if (all(is.na(r))) {
      "The package's own vcov() has standard errors, but hesscheck gives none to compare."
    } else {
      dev <- max(abs(r - 1), na.rm = TRUE)
      if (dev < 1e-3) {
        # Rounded up to a power of ten, and no finer than 1e-6: the digits below depend
        # on the platform.
        sprintf("The package's own vcov(): its standard errors agree with hesscheck's to %s%s relative (x$se_package).",
                if (dev < 1e-6) "better than " else "",
                fmt(10^ceiling(log10(max(dev, 1e-6))), 1))
      } else {
        sprintf("The package's own vcov(): its standard errors are %s to %s times hesscheck's (x$se_package).",
                fmt(min(r, na.rm = TRUE), 4), fmt(max(r, na.rm = TRUE), 4))
      }
    }, but))
  }
  c(lines[1L], extra, x$source$advice, lines[-1L])
}

# A list of data vectors as a data frame when they are plain vectors of one length, so
# that bootstrap_se() resamples them jointly by rows; anything else is returned as it is.
# (as.data.frame() costs more than a small fit's whole check.)
rows_frame <- function(data) {
  if (!length(data) || !is.list(data) || is.data.frame(data)) return(data)
  n <- lengths(data)
  plain <- vapply(data, function(v) is.atomic(v) && is.null(dim(v)), TRUE)
  if (!all(plain) || any(n != n[[1L]])) return(data)
  if (is.null(names(data)) || anyNA(names(data))) return(data)
  fast_df(lapply(data, function(v) {
    attr(v, "names") <- NULL
    v
  }))
}

# Methods whose objective needs nothing more reject extra arguments rather than
# silently ignoring them (an `fn` passed out of habit, a misspelt `contol`).
no_dots <- function(cls, ...) {
  if (...length()) {
    nm <- names(list(...))
    if (is.null(nm)) nm <- rep("", ...length())
    nm[!nzchar(nm)] <- "(unnamed)"
    hc_abort("bad_argument", sprintf(
      "check_fit() for a %s fit takes no further arguments, but was given: %s. The objective comes from the fit itself.",
      cls, paste(nm, collapse = ", ")
    ))
  }
}

# Parameters and what the optimiser said, from the result of optim(), nlminb(), nlm() or
# a plain vector.
fit_info <- function(fit) {
  if (is.numeric(fit) && is.null(dim(fit)) && !is.object(fit)) {
    nm <- names(fit)
    if (is.null(nm) || anyNA(nm) || !all(nzchar(nm)) || anyDuplicated(nm)) {
      names(fit) <- unique_names(nm, length(fit))
    }
    return(list(par = check_par(fit, "fit"), optimizer = "none", convergence = NA,
                message = NULL, hessian = NULL))
  }
  if (!is.list(fit)) {
    hc_abort("bad_fit", sprintf(
      "`fit` must be the result of optim(), nlminb() or nlm(), or a numeric vector of estimates, not %s.",
      describe_value(fit)
    ))
  }
  if (!is.null(fit$estimate) && !is.null(fit$minimum) && !is.null(fit$code)) {
    par <- fit$estimate
    optimizer <- "nlm"
    conv <- fit$code
    if (!is.numeric(fit$code) || length(fit$code) != 1L || is.na(fit$code)) {
      hc_abort("bad_fit", sprintf(
        "`fit$code` must be nlm()'s single convergence code, not %s.", describe_value(fit$code)
      ))
    }
    msg <- switch(as.character(fit$code),
      "1" = "relative gradient is close to zero",
      "2" = "successive iterates within tolerance",
      "3" = "last global step failed to locate a point lower than estimate",
      "4" = "iteration limit exceeded",
      "5" = "maximum step size exceeded five consecutive times",
      NULL
    )
    # nlm's codes 1 and 2 mean convergence.
    conv <- if (conv %in% 1:2) 0L else conv
  } else if (!is.null(fit$par)) {
    par <- fit$par
    # The class methods name their source (from_package()); optim's own messages are
    # optim's only.
    named <- fit[["optimizer"]]
    optimizer <- if (is.character(named) && length(named) == 1L && !is.na(named)) named else
      if (!is.null(fit$objective) && !is.null(fit$iterations)) "nlminb" else "optim"
    conv <- if (is.null(fit$convergence)) NA else fit$convergence
    msg <- fit$message
    if (optimizer == "optim" && is.null(msg) && identical(conv, 1L)) {
      msg <- "iteration limit maxit reached"
    }
  } else {
    hc_abort("bad_fit", paste(
      "`fit` has no parameter estimates: expected `fit$par` (optim(), nlminb())",
      "or `fit$estimate` (nlm())."
    ))
  }
  if (is.numeric(par)) names(par) <- unique_names(names(par), length(par))
  par <- check_par(par, if (optimizer == "nlm") "fit$estimate" else "fit$par")
  list(par = par, optimizer = optimizer, convergence = conv, message = msg,
       hessian = fit$hessian)
}

# ---- objectives of formula models, per data set ---------------------------------------

# The data frame a formula model was fitted to (its call's `data`, evaluated where its
# formula was made), or NULL.
fit_data <- function(call, fit) {
  d <- tryCatch(eval(call$data, environment(stats::formula(fit))), error = function(e) NULL)
  if (is.data.frame(d)) d
}

# function(data): value0 for the fit's own data (NULL, or identical to data0), build(data)
# for another data set, the last one kept for reuse (bootstrap_se() and coverage_check()
# evaluate each replicate's objective many times).
cached_by_data <- function(data0, value0, build) {
  cache <- new.env(parent = emptyenv())
  cache$data <- data0
  cache$value <- value0
  function(data) {
    if (!is.null(data) && !identical(data, cache$data)) {
      cache$value <- build(data)
      cache$data <- data
    }
    cache$value
  }
}
