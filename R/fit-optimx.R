# ---- optimx ------------------------------------------------------------------------

#' @rdname check_fit
#' @param method For an `optimx` result: the method (row) to check; by default the row
#'   with the best value.
#' @export
check_fit.optimx <- function(fit, fn, ..., method = NULL, gr = NULL, lower = NULL,
                             upper = NULL, control = list()) {
  if (missing(fn)) {
    hc_abort("bad_fn", "An optimx() result does not keep its objective: pass it as `fn`.")
  }
  maximize <- isTRUE(attr(fit, "maximize"))
  npar <- attr(fit, "npar")
  if (is.null(npar)) npar <- match("value", names(fit)) - 1L
  if (is.null(method)) {
    v <- fit$value
    row <- if (all(is.na(v))) 1L else if (maximize) which.max(v) else which.min(v)
  } else {
    row <- match(method, rownames(fit))
    if (length(method) != 1L || is.na(row)) {
      hc_abort("bad_method", sprintf("`method` must be one of the optimx() result's rows: %s.",
                                     paste0("\"", rownames(fit), "\"", collapse = ", ")))
    }
  }
  par <- unlist(fit[row, seq_len(npar)])
  from_package(
    fit, sprintf("optimx (%s)", rownames(fit)[row]), par, fn, ..., gr = gr,
    value = fit$value[row], convergence = fit$convcode[row], lower = lower, upper = upper,
    fnscale = if (maximize) -1 else 1, control = control,
    note = sprintf("row \"%s\"", rownames(fit)[row])
  )
}
