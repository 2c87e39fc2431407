# Classed conditions: every error the package raises inherits from "hesscheck_error"
# and a specific "hesscheck_error_<type>", so callers can catch them precisely.

hc_abort <- function(type, message, ...) {
  stop(errorCondition(
    message, ...,
    class = c(paste0("hesscheck_error_", type), "hesscheck_error"),
    call = NULL
  ))
}

hc_warn <- function(type, message, ...) {
  warning(warningCondition(
    message, ...,
    class = c(paste0("hesscheck_warning_", type), "hesscheck_warning"),
    call = NULL
  ))
}

# R's own errors when a limit set with setTimeLimit() is reached. Like an interrupt they
# must stop the whole call: R clears the limit as it signals it, so a handler that
# swallowed one (a failed replicate, an NA value) would let the work run on unlimited.
# Every handler of errors from the user's functions passes them on unchanged.
is_time_limit <- function(e) {
  msg <- conditionMessage(e)
  inherits(e, "simpleError") && is.character(msg) && length(msg) == 1L &&
    msg %in% gettext(c(
      "reached elapsed time limit", "reached CPU time limit",
      "reached session elapsed time limit", "reached session CPU time limit"
    ), domain = "R")
}

# The message of an error from the user's code as one string, whatever its shape.
error_text <- function(e) {
  msg <- conditionMessage(e)
  msg <- if (is.character(msg)) paste(msg, collapse = " ") else ""
  if (!nzchar(msg)) msg <- sprintf("an error of class %s, without a message", class(e)[1L])
  msg
}

# The user's function `what` (fn, gr, fn_obs) failed at x with error e.
abort_fn_failed <- function(what, x, e) {
  hc_abort("fn_failed", sprintf("`%s` failed at par = %s: %s", what, format_par(x),
                                error_text(e)), parent = e, par = x)
}

# Handler for errors out of a .Call that evaluates the user's functions. `where` is
# 0 between their calls, so an error raised there (our own classed errors, a time limit
# met by the C core's interrupt check) passes on unchanged, as does a time limit met
# inside them; anything else raised inside them, a hesscheck error from a nested call
# too, is the failure of `what` at x (both evaluated only then).
rethrow_user <- function(e, where, what, x) {
  if (where[1L] == 0L || is_time_limit(e)) stop(e)
  abort_fn_failed(what, x, e)
}

# tryCatch(expr, error = handler) for errors from the user's code, except time limits.
catch_user <- function(expr, handler) {
  tryCatch(expr, error = function(e) if (is_time_limit(e)) stop(e) else handler(e))
}

# Parameter values for messages: "(a = 1, b = 2)".
format_par <- function(x, digits = 6) {
  nm <- names(x)
  if (is.null(nm)) nm <- paste0("p", seq_along(x))
  vals <- format(signif(x, digits), trim = TRUE)
  if (length(x) > 8) {
    vals <- c(vals[1:8], "...")
    nm <- c(nm[1:8], "")
  }
  paste0("(", paste0(ifelse(nzchar(nm), paste0(nm, " = "), ""), vals, collapse = ", "), ")")
}

describe_value <- function(v) {
  if (is.null(v)) return("NULL")
  cls <- class(v)[1]
  if (!is.atomic(v)) return(paste("an object of class", dQuote(cls, FALSE)))
  if (length(v) != 1L) return(sprintf("a %s vector of length %d", cls, length(v)))
  sprintf("%s (%s)", deparse(v, nlines = 1L)[1L], cls)
}
