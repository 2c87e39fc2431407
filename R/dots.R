# One way of passing check_fit()'s `...` arguments to fn, gr and fn_obs everywhere they
# are called again (compare_se(), the default bootstrap refit, the sandwich scores, the
# coverage Hessians): by name from an environment, never inlined into the call.
# Inlining (do.call(fn, c(list(p), dots))) evaluates a language object passed as data
# (sdexpr = quote(exp(p[2])) becomes exp(p[2]), evaluated where `p` does not exist), and
# an error message that deparses the call ("unused argument (yy = c(9.37, 10.4, ...))")
# dumps the whole data set; by name, it reads "unused argument (yy = yy)".

# The call f(x, <dots by name>) and the environment to evaluate it in. x is inlined, as
# the C core wants (it writes the parameters into call[[2]]).
dots_call <- function(f, dots, x) {
  env <- new.env(parent = emptyenv())
  assign(".fn", f, envir = env)
  nm <- names(dots)
  if (is.null(nm)) nm <- character(length(dots))
  nm[is.na(nm)] <- ""
  syms <- nm
  # A symbol per argument: its own name where that is a usable one, else .argK.
  bad <- !nzchar(nm) | duplicated(nm) | nm %in% c(".fn", "...") | grepl("^\\.\\.[0-9]", nm)
  syms[bad] <- paste0(".arg", seq_along(dots))[bad]
  for (k in seq_along(dots)) assign(syms[k], dots[[k]], envir = env)
  args <- lapply(syms, as.name)
  names(args) <- nm
  list(call = as.call(c(list(as.name(".fn"), x), args)), env = env)
}

# function(p) calling f(p, <dots>).
bind_dots <- function(f, dots) {
  dc <- dots_call(f, dots, NULL)
  call <- dc$call
  env <- dc$env
  function(p) {
    call[[2L]] <- p
    eval(call, env)
  }
}

# fn of a check_fit() problem as the function that was checked (fn times the sign of
# fnscale), with its `...` arguments bound.
checked_fn <- function(pr, dots = pr$dots) {
  f <- bind_dots(pr$fn, dots)
  # Times the sign always, which also makes a value that is not a number an error here
  # rather than something optimHess() would coerce to NA with a warning.
  sgn <- if (pr$fnscale < 0) -1 else 1
  function(p) sgn * f(p)
}

# gr of a check_fit() problem likewise (NULL when it has none).
checked_gr <- function(pr, dots = pr$dots) {
  if (is.null(pr$gr)) return(NULL)
  g <- bind_dots(pr$gr, dots)
  sgn <- if (pr$fnscale < 0) -1 else 1
  function(p) sgn * g(p)
}

# The internal state of a fitted model whose objective moves it (lme4, TMB: see
# from_package()), saved: returns a function() that puts it back. Everything that
# evaluates a check_fit() result's objective again calls it first and the result on exit,
# so that the user's fit is left as it was, also after an error.
hold_state <- function(pr) {
  if (is.list(pr) && is.function(pr$state)) pr$state() else function() invisible()
}
