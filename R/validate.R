# Argument checks, run before any numerical work. Each failure is a classed error that
# names the argument, says what was wrong and what to do.

check_par <- function(par, arg = "par") {
  if (is.null(par) || !is.numeric(par) || is.object(par) && !is.numeric(unclass(par))) {
    hc_abort("bad_par", sprintf(
      "`%s` must be a numeric vector, not %s.", arg, describe_value(par)
    ))
  }
  if (length(par) == 0L) {
    hc_abort("bad_par", sprintf("`%s` is empty: give at least one parameter.", arg))
  }
  nm <- names(par)
  par <- as.double(par)
  bad <- !is.finite(par)
  if (any(bad)) {
    labels <- if (is.null(nm)) paste0("p", which(bad)) else nm[bad]
    hc_abort("bad_par", sprintf(
      "`%s` must be finite; %s %s NA, NaN or infinite.", arg,
      paste(labels, collapse = ", "), if (sum(bad) == 1L) "is" else "are"
    ))
  }
  if (is.null(nm)) {
    nm <- paste0("p", seq_along(par))
  } else if (anyNA(nm) || !all(nzchar(nm))) {
    # Only the missing names become p<i> (the given ones label the result, as check_fit()
    # keeps them), made unique against the given ones.
    miss <- is.na(nm) | !nzchar(nm)
    nm[miss] <- make.unique(c(nm[!miss], paste0("p", which(miss))))[sum(!miss) + seq_len(sum(miss))]
  }
  names(par) <- nm
  par
}

# The number of parameters in `par` when it is a numeric vector (0 otherwise, for
# check_par() to report), read without building anything proportional to it.
par_length <- function(par) {
  if (is.numeric(par) && is.null(dim(par)) && (!is.object(par) || is.numeric(unclass(par)))) {
    length(par)
  } else 0L
}

check_function <- function(f, arg) {
  if (!is.function(f)) {
    hc_abort("bad_function", sprintf(
      "`%s` must be a function, not %s.", arg, describe_value(f)
    ))
  }
  f
}

check_bounds <- function(lower, upper, par) {
  n <- length(par)
  # The common case, no bounds, without the checks below.
  if (identical(lower, -Inf) && identical(upper, Inf)) {
    return(list(lower = rep_len(-Inf, n), upper = rep_len(Inf, n)))
  }
  one <- function(b, arg) {
    if (!is.numeric(b) || !(length(b) %in% c(1L, n)) || anyNA(b)) {
      hc_abort("bad_bounds", sprintf(
        "`%s` must be a numeric vector of length 1 or %d (the length of `par`) without NA.",
        arg, n
      ))
    }
    rep_len(as.double(b), n)
  }
  lower <- one(lower, "lower")
  upper <- one(upper, "upper")
  nm <- names(par)
  if (any(lower >= upper)) {
    hc_abort("bad_bounds", sprintf(
      "`lower` must be below `upper`; it is not for %s. Fix the bounds, or drop a parameter that is held fixed.",
      paste(nm[lower >= upper], collapse = ", ")
    ))
  }
  out <- par < lower | par > upper
  if (any(out)) {
    hc_abort("bad_bounds", sprintf(
      "`par` lies outside [lower, upper] for %s.",
      paste(nm[out], collapse = ", ")
    ))
  }
  list(lower = lower, upper = upper)
}

# Merge `control` into `defaults`; unknown names are an error.
check_control <- function(control, defaults) {
  if (!is.list(control)) {
    hc_abort("bad_control", "`control` must be a list.")
  }
  if (!length(control)) return(defaults)
  nm <- names(control)
  if (is.null(nm) || any(!nzchar(nm))) {
    hc_abort("bad_control", "Every element of `control` must be named.")
  }
  unknown <- setdiff(nm, names(defaults))
  if (length(unknown) > 0L) {
    hc_abort("bad_control", sprintf(
      "Unknown `control` %s: %s. Known entries: %s.",
      if (length(unknown) == 1L) "entry" else "entries",
      paste(unknown, collapse = ", "), paste(names(defaults), collapse = ", ")
    ))
  }
  defaults[nm] <- control
  defaults
}

check_number <- function(x, arg, lower = -Inf, null_ok = TRUE, integer = FALSE) {
  if (is.null(x) && null_ok) return(NULL)
  # A whole number must also fit R's integers (as.integer(3e9) would be NA): check_whole().
  if (integer) return(check_whole(x, arg, "bad_control", lower))
  if (!is.numeric(x) || length(x) != 1L || !is.finite(x) || x < lower) {
    hc_abort("bad_control", sprintf("`%s` must be a single finite number >= %s.", arg,
                                    format(lower)))
  }
  as.double(x)
}

# The value of fn at par, checked: a single finite number.
check_fn_value <- function(v, par) {
  if (!(is.numeric(v) || is.logical(v)) || length(v) != 1L) {
    hc_abort("bad_fn_value", sprintf(
      "`fn` must return a single number, but at par = %s it returned %s.",
      format_par(par), describe_value(v)
    ))
  }
  v <- as.double(v)
  if (!is.finite(v)) {
    hc_abort("bad_fn_value", sprintf(
      "`fn` returned %s at par = %s; it must be finite at the point where the Hessian is wanted.",
      format(v), format_par(par)
    ))
  }
  v
}

check_gr_value <- function(v, par) {
  n <- length(par)
  if (!(is.numeric(v) || is.logical(v)) || length(v) != n) {
    hc_abort("bad_gr_value", sprintf(
      "`gr` must return a numeric vector of length %d (one per parameter), but at par = %s it returned %s.",
      n, format_par(par), describe_value(v)
    ))
  }
  v <- as.double(v)
  if (!all(is.finite(v))) {
    hc_abort("bad_gr_value", sprintf(
      "`gr` returned non-finite values (%s) at par = %s.",
      paste(names(par)[!is.finite(v)], collapse = ", "), format_par(par)
    ))
  }
  v
}

check_level <- function(level) {
  if (!is.numeric(level) || length(level) != 1L || !isTRUE(level > 0 && level < 1)) {
    hc_abort("bad_level", "`level` must be a single number between 0 and 1.")
  }
}

# One of `choices` (partial matching as match.arg() does, the first when `v` is the
# default vector of all of them), or a classed error naming the argument.
check_choice <- function(v, choices, arg) {
  if (identical(v, choices)) return(choices[[1L]])
  k <- if (is.character(v) && length(v) == 1L && !is.na(v)) pmatch(v, choices) else NA_integer_
  if (is.na(k)) {
    hc_abort("bad_argument", sprintf("`%s` must be one of %s, not %s.", arg,
                                     paste0("\"", choices, "\"", collapse = ", "),
                                     describe_value(v)), argument = arg)
  }
  choices[[k]]
}

# The names of `...` arguments that `what` passes on, each one of `takes`: an unnamed
# or unknown one is a classed error (R's own "unused argument" would be unclassed).
check_dots_names <- function(dots, takes, what) {
  if (!length(dots)) return(invisible())
  nm <- names(dots)
  if (is.null(nm)) nm <- rep("", length(dots))
  bad <- is.na(nm) | !nzchar(nm) | !nm %in% takes
  if (any(bad)) {
    shown <- ifelse(is.na(nm) | !nzchar(nm), "(unnamed)", nm)[bad]
    hc_abort("bad_argument", sprintf(
      "%s does not take %s%s.", what, paste(shown, collapse = ", "),
      if (length(takes)) sprintf("; it takes %s", paste(takes, collapse = ", ")) else
        ": it takes no further arguments"), arguments = shown)
  }
}

# ---- a check_fit() result, flags, counts, the backend and digits ----------------------

check_hesscheck <- function(x) {
  if (!inherits(x, "hesscheck") || !is.list(x)) {
    stop(errorCondition(
      sprintf("`x` must be the result of check_fit(), not %s.", describe_value(x)),
      field = "(the object)",
      class = c("hesscheck_error_bad_object", "hesscheck_error_object", "hesscheck_error"),
      call = NULL))
  }
  # every field, the problem (fn, `...` arguments, bounds, fnscale) included
  validate_hesscheck(x, problem = TRUE)
}

check_flag <- function(v, arg, type = "bad_flag") {
  if (!is.logical(v) || length(v) != 1L || is.na(v)) {
    hc_abort(type, sprintf("`%s` must be TRUE or FALSE.", arg))
  }
  v
}

# A whole number in [lower, upper], or a classed error of `type`.
check_whole <- function(v, arg, type, lower, upper = .Machine$integer.max, what = "") {
  if (!is.numeric(v) || length(v) != 1L || !is.finite(v) || v != round(v) ||
      v < lower || v > upper) {
    hc_abort(type, sprintf("`%s`%s must be a whole number from %s to %s.", arg, what,
                           format_count(lower), format_count(upper)))
  }
  as.integer(v)
}

parallel_backends <- c("no", "multicore", "snow", "future")

check_parallel <- function(parallel) {
  if (identical(parallel, parallel_backends)) return("no")
  k <- if (is.character(parallel) && length(parallel) == 1L && !is.na(parallel)) {
    pmatch(parallel, parallel_backends)
  } else NA_integer_
  if (is.na(k)) {
    hc_abort("bad_parallel", sprintf(
      "`parallel` must be one of %s, not %s.",
      paste0("\"", parallel_backends, "\"", collapse = ", "), describe_value(parallel)
    ))
  }
  parallel_backends[k]
}

check_digits <- function(digits) {
  if (!is.numeric(digits) || length(digits) != 1L || !is.finite(digits) ||
      digits != round(digits) || digits < 1 || digits > 15) {
    hc_abort("bad_argument", sprintf(
      "`digits` must be a whole number from 1 to 15, not %s.", describe_value(digits)))
  }
  as.integer(digits)
}
