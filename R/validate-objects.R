# Checks of the result objects, run once at the entry of each of their methods (print,
# format, summary, coef, vcov, confint, as.data.frame, plot, as.matrix) and of the
# functions that take them back (compare_se(), bootstrap_se(), coverage_check(),
# profile_ci()): an object whose fields were changed or lost is a classed error that names
# the field, never a failure deep inside or a silently wrong print.

# The error for a result of `fn()` whose `field` is malformed (`value`; `expected` says
# what it should be). Its classes are hesscheck_error_bad_object and
# hesscheck_error_object; `field` names the field ("table$se", "hessian$error").
bad_field <- function(fn, field, value, expected, shown = sprintf("`x$%s`", field)) {
  stop(errorCondition(
    sprintf("`x` is not a valid %s() result: %s should be %s, but is %s. Compute it again with %s().",
            fn, shown, expected, describe_field(value), fn),
    field = field,
    class = c("hesscheck_error_bad_object", "hesscheck_error_object", "hesscheck_error"),
    call = NULL))
}

# describe_value() for fields: also data frames, matrices, lists and functions.
describe_field <- function(v) {
  if (is.null(v)) return("missing (NULL)")
  if (is.function(v)) return("a function")
  if (is.data.frame(v)) return(sprintf("a data frame of %d x %d", nrow(v), ncol(v)))
  if (is.matrix(v)) return(sprintf("a %s matrix of %d x %d", typeof(v), nrow(v), ncol(v)))
  if (is.list(v) && !is.object(v)) return(sprintf("a list of length %d", length(v)))
  if (is.atomic(v) && length(v) == 1L && is.na(v)) return(sprintf("NA (%s)", class(v)[1L]))
  if (is.atomic(v) && length(v) <= 3L && length(v) >= 1L && !is.object(v)) {
    vals <- if (is.character(v)) encodeString(v, quote = "\"") else format(v)
    return(sprintf("%s (a %s vector)", paste(vals, collapse = ", "), class(v)[1L]))
  }
  describe_value(v)
}

# A checker for the fields of object x: need(ok, field, expected) stops with bad_field()
# unless ok is a single TRUE. `field` is a path ("table$se"); `prefix` puts x's own path
# in front, where x is part of another result (compare_se()'s x$profile).
field_checker <- function(x, fn, prefix = NULL) {
  function(ok, field, expected) {
    if (isTRUE(ok)) return(invisible())
    v <- x
    for (p in strsplit(field, "$", fixed = TRUE)[[1L]]) {
      v <- if (is.list(v)) v[[p]] else NULL
    }
    bad_field(fn, paste(c(prefix, field), collapse = "$"), v, expected)
  }
}

is_num_n <- function(v, n) is.numeric(v) && !is.object(v) && length(v) == n
is_chr_n <- function(v, n) is.character(v) && length(v) == n
is_lgl_n <- function(v, n) is.logical(v) && length(v) == n && !anyNA(v)
is_num1 <- function(v) is.numeric(v) && length(v) == 1L
is_matrix_n <- function(v, r, k = r) {
  is.numeric(v) && is.matrix(v) && identical(dim(v), as.integer(c(r, k)))
}
is_level <- function(v) is_num1(v) && isTRUE(v > 0 && v < 1)
is_whole_count <- function(v) is_num1(v) && is.finite(v) && v >= 0 && v == round(v)
# A data frame whose columns `cols` are all there, of its number of rows, and pass `test`.
is_frame <- function(d, cols, test = function(v) TRUE) {
  is.data.frame(d) && all(cols %in% names(d)) &&
    all(vapply(unclass(d)[cols], function(v) length(v) == nrow(d) && test(v), TRUE))
}
is_findings <- function(f) {
  is_frame(f, c("type", "severity", "parameters", "message"), is.character) &&
    all(f$severity %in% c("error", "warning", "note"))
}
is_failure_counts <- function(m) {
  (is.numeric(m) || is.table(m)) && (length(m) == 0L || !is.null(names(m))) &&
    all(is.finite(m) & m >= 0)
}

# ---- hessian_fd ------------------------------------------------------------------------

validate_hessian_fd <- function(x, fn = "hessian_fd", prefix = NULL) {
  # A field is an attribute: named attr(x, "a") for a hessian_fd() result itself, or
  # x$<prefix>$a where it is part of another result (check_fit()'s x$hessian).
  need <- function(ok, field, expected) {
    if (isTRUE(ok)) return(invisible())
    v <- if (field == "matrix") unclass(x) else attr(x, field, exact = TRUE)
    if (!is.null(prefix)) {
      bad_field(fn, if (field == "matrix") prefix else paste0(prefix, "$", field), v, expected)
    }
    bad_field(fn, field, v, expected,
              shown = if (field == "matrix") "the matrix" else sprintf("attr(x, \"%s\")", field))
  }
  if (!is.numeric(x)) need(FALSE, "matrix", "a finite square numeric matrix")
  d <- dim(x)
  need(is.numeric(x) && length(d) == 2L && d[1L] == d[2L] && d[1L] >= 1L && all(is.finite(x)),
       "matrix", "a finite square numeric matrix")
  n <- d[1L]
  dn <- dimnames(x)
  need(is.list(dn) && length(dn) == 2L && is_chr_n(dn[[1L]], n) && identical(dn[[1L]], dn[[2L]]),
       "dimnames", sprintf("the same %d parameter names for rows and columns", n))
  e <- attr(x, "error", exact = TRUE)
  need(is_matrix_n(e, n) && !anyNA(e) && all(e >= 0), "error",
       sprintf("a %d x %d matrix of error bounds (>= 0)", n, n))
  need(is_num_n(attr(x, "step", exact = TRUE), n), "step",
       sprintf("%d steps", n))
  side <- attr(x, "side", exact = TRUE)
  need(is_num_n(side, n) && all(side %in% c(-1, 0, 1)), "side",
       sprintf("%d sides (-1, 0 or 1)", n))
  need(is_lgl_n(attr(x, "resolved", exact = TRUE), n), "resolved",
       sprintf("%d TRUE/FALSE values", n))
  need(is_chr_n(attr(x, "status", exact = TRUE), n), "status",
       sprintf("%d status strings", n))
  u <- attr(x, "unresolved", exact = TRUE)
  need(is.logical(u) && identical(dim(u), c(n, n)) && !anyNA(u), "unresolved",
       sprintf("a %d x %d logical matrix", n, n))
  noise <- attr(x, "noise", exact = TRUE)
  need(is_num1(noise) && !is.na(noise) && noise >= 0, "noise",
       "a single noise level (>= 0)")
  need(is_num_n(attr(x, "gradient", exact = TRUE), n), "gradient",
       sprintf("a gradient of %d values", n))
  ge <- attr(x, "gradient_error", exact = TRUE)
  need(is_num_n(ge, n) && !anyNA(ge), "gradient_error",
       sprintf("%d gradient error bounds", n))
  ev <- attr(x, "evaluations", exact = TRUE)
  need(is_num_n(ev, 2L) && identical(names(ev), c("fn", "gr")) && all(is.finite(ev) & ev >= 0),
       "evaluations", "the counts c(fn = , gr = )")
  m <- attr(x, "method", exact = TRUE)
  need(is.character(m) && length(m) == 1L && m %in% c("function", "gradient"),
       "method", "\"function\" or \"gradient\"")
  v <- attr(x, "value", exact = TRUE)
  need(is_num1(v) && is.finite(v), "value", "the value of fn at par (a finite number)")
  invisible(x)
}

# ---- check_fit() results ---------------------------------------------------------------

# `problem`: also the parts compare_se(), profile_ci(), bootstrap_se() and
# coverage_check() evaluate again (the display methods do not need them).
validate_hesscheck <- function(x, problem = FALSE) {
  fn <- "check_fit"
  if (!is.list(x)) bad_field(fn, "(the object)", x, "a list", shown = "the object")
  need <- field_checker(x, fn)
  nm <- validate_estimates(x, need)
  n <- length(nm)
  need(is_num_n(x$gradient, n), "gradient", sprintf("%d numbers", n))
  need(is_num_n(x$gradient_error, n), "gradient_error", sprintf("%d numbers", n))
  validate_hessian_fd(x$hessian, fn, "hessian")
  need(nrow(x$hessian) == n && identical(rownames(x$hessian), nm), "hessian",
       sprintf("the %d x %d Hessian of the parameters %s", n, n, paste(nm, collapse = ", ")))
  need(is.null(x$vcov) || is_matrix_n(x$vcov, n), "vcov",
       sprintf("NULL or a %d x %d matrix", n, n))
  k <- validate_eigen(x, need, nm)
  need(is_num_n(x$se_uncertainty, n), "se_uncertainty", sprintf("%d numbers", n))
  need(is_num1(x$condition), "condition", "a single number (NA unless positive definite)")
  nt <- x$newton
  need(is.list(nt) && is_num_n(nt$step, n) && is_num_n(nt$z, n) &&
         (is.null(nt$scaled_gradient) || is_num1(nt$scaled_gradient)), "newton",
       sprintf("a list with step and z (%d numbers each) and scaled_gradient", n))
  ab <- x$at_bound
  need(is_num_n(ab, n) && all(ab %in% c(-1, 0, 1)), "at_bound",
       sprintf("%d values -1, 0 or 1", n))
  es <- x$escape
  need(is.null(es) || is.list(es) && is_num_n(es$par, n) && is_num1(es$value), "escape",
       "NULL or a list with par and value")
  rf <- x$refine
  need(is.null(rf) || is.list(rf) && is_whole_count(rf$steps) &&
         is.character(rf$status) && length(rf$status) == 1L && is_num_n(rf$moved_se, n),
       "refine", "NULL or a list with steps, status and moved_se")
  fh <- x$fit_hessian
  need(is.null(fh) || is.list(fh) && is_num1(fh$difference) && is_num1(fh$error) &&
         is.numeric(fh$se_ratio) && (is.null(fh$matrix) || is_matrix_n(fh$matrix, n)),
       "fit_hessian", "NULL or a list with difference, error, se_ratio and matrix")
  need(is.character(x$optimizer) && length(x$optimizer) == 1L && !is.na(x$optimizer),
       "optimizer", "a single string")
  need(is.atomic(x$convergence) && length(x$convergence) == 1L, "convergence",
       "a single code")
  need(is_num1(x$fnscale) && is.finite(x$fnscale) && x$fnscale != 0, "fnscale",
       "a single non-zero number")
  need(is_level(x$level), "level", "a single number between 0 and 1")
  ev <- x$evaluations
  need(is_num_n(ev, 2L) && identical(names(ev), c("fn", "gr")) && all(is.finite(ev) & ev >= 0),
       "evaluations", "the counts c(fn = , gr = )")
  if (inherits(x, "hesscheck_from")) validate_from_package(x, need, n)
  if (inherits(x, "summary.hesscheck")) {
    et <- x$eigen_table
    need(is.data.frame(et) && nrow(et) == k && is_frame(et, c("eigenvalue", "uncertainty"),
                                                        is.numeric) &&
           is_frame(et, c("sign", "from", "direction"), is.character), "eigen_table",
         sprintf("a data frame of %d eigenvalues (eigenvalue, uncertainty, sign, from, direction)", k))
  }
  if (problem) validate_problem(x, need, n)
  invisible(x)
}

# The verdict, the table of estimates, par, value and the findings of check_fit() result
# x (need: its field_checker()); returns the parameters' names, the table's row names.
validate_estimates <- function(x, need) {
  need(is_verdict(x$verdict), "verdict", sprintf("one of %s", paste0("\"", names(verdict_text),
                                                                     "\"", collapse = ", ")))
  t <- x$table
  need(is.data.frame(t) && nrow(t) >= 1L && is.character(attr(t, "row.names")), "table",
       "a data frame with one row per parameter, named")
  nm <- rownames(t)
  n <- length(nm)
  p <- x$par
  need(is.numeric(p) && !is.object(p) && length(p) == n && all(is.finite(p)) &&
         identical(names(p), nm), "par",
       sprintf("the %d finite estimates, named %s as the table's rows", n,
               paste(nm, collapse = ", ")))
  need(is_num1(x$value) && is.finite(x$value), "value", "the value of fn at par")
  for (col in c("estimate", "se", "z", "lower", "upper")) {
    need(is_num_n(t[[col]], n), paste0("table$", col), sprintf("%d numbers", n))
  }
  need(is_chr_n(t$status, n), "table$status", sprintf("%d strings", n))
  need(is_findings(x$findings), "findings",
       "a data frame of character columns type, severity (error, warning or note), parameters and message")
  nm
}

# x$eigen of a check_fit() result, whose parameters are named nm (need: x's
# field_checker()); returns the number of eigenvalues.
validate_eigen <- function(x, need, nm) {
  n <- length(nm)
  e <- x$eigen
  need(is.list(e), "eigen", "a list")
  k <- length(e$values)
  need(is.numeric(e$values), "eigen$values", "numbers")
  need(is.numeric(e$vectors) && is.matrix(e$vectors) && ncol(e$vectors) == k &&
         nrow(e$vectors) <= n, "eigen$vectors", sprintf("a matrix of %d columns", k))
  need(is_num_n(e$uncertainty, k), "eigen$uncertainty", sprintf("%d numbers", k))
  need(is_num_n(e$sign, k) && all(e$sign %in% c(-1, 0, 1)), "eigen$sign",
       sprintf("%d signs (-1, 0 or 1)", k))
  need(is_chr_n(e$parameters, nrow(e$vectors)) && all(e$parameters %in% nm),
       "eigen$parameters", "the names of the parameters of eigen$vectors' rows")
  need(is.null(e$source) || is_chr_n(e$source, k), "eigen$source",
       sprintf("NULL or %d strings", k))
  need(is.null(e$scale) || is_num_n(e$scale, nrow(e$vectors)) && all(is.finite(e$scale)) &&
         all(e$scale > 0), "eigen$scale",
       sprintf("NULL or the %d positive scales of the parameters of eigen$vectors' rows",
               nrow(e$vectors)))
  k
}

# What a check_fit() result of a fitted model (class hesscheck_from) of n parameters adds:
# the fit's source, and the package's standard errors and vcov (need: x's field_checker()).
validate_from_package <- function(x, need, n) {
  s <- x$source
  need(is.list(s) && is.character(s$class) && length(s$class) == 1L &&
         (is.null(s$note) || is.character(s$note) && length(s$note) == 1L) &&
         (is.null(s$advice) || is.character(s$advice) && length(s$advice) == 1L),
       "source", "a list with the fit's class, a note and advice")
  sp <- x$se_package
  need(is.null(sp) || is_matrix_n(sp, n, 3L) &&
         identical(colnames(sp), c("package", "hesscheck", "ratio")), "se_package",
       sprintf("NULL or a %d x 3 matrix (package, hesscheck, ratio)", n))
  need(is.null(x$vcov_package) || is_matrix_n(x$vcov_package, n), "vcov_package",
       sprintf("NULL or a %d x %d matrix", n, n))
}

# x$problem: what evaluating the objective again needs.
validate_problem <- function(x, need, n) {
  pr <- x$problem
  need(is.list(pr), "problem", "a list (fn, gr, dots, lower, upper, fnscale)")
  need(is.function(pr$fn), "problem$fn", "the objective, a function")
  need(is.null(pr$gr) || is.function(pr$gr), "problem$gr", "NULL or a function")
  need(is.list(pr$dots) && !is.data.frame(pr$dots), "problem$dots",
       "the list of fn's `...` arguments")
  for (b in c("lower", "upper")) {
    need(is_num_n(pr[[b]], n) && !anyNA(pr[[b]]), paste0("problem$", b),
         sprintf("%d bounds without NA", n))
  }
  need(is_num1(pr$fnscale) && is.finite(pr$fnscale) && pr$fnscale != 0, "problem$fnscale",
       "a single non-zero number")
  need(is.null(pr$data) || is.character(pr$data) && !anyNA(pr$data), "problem$data",
       "NULL or the names of fn's data arguments")
  need(is.null(pr$state) || is.function(pr$state), "problem$state", "NULL or a function")
  need(is.null(pr$local_only) || is.character(pr$local_only) && length(pr$local_only) == 1L,
       "problem$local_only", "NULL or a string")
  need(is.null(pr$fn_obs) || is.function(pr$fn_obs), "problem$fn_obs", "NULL or a function")
  need(is.null(pr$obs_unit) || is.character(pr$obs_unit) && length(pr$obs_unit) == 1L &&
         !is.na(pr$obs_unit), "problem$obs_unit", "NULL or a string")
  need(is.null(pr$simulate) || is.function(pr$simulate), "problem$simulate",
       "NULL or a function")
  need(is.null(pr$groups) || is_groups(pr$groups), "problem$groups",
       "NULL or a list of factors (names), top, column (strings or NA) and count")
}

# A mixed model's grouping factors, as mixed_groups() records them.
is_groups <- function(g) {
  is.list(g) && is.character(g$factors) && length(g$factors) >= 1L && !anyNA(g$factors) &&
    is.character(g$top) && length(g$top) == 1L &&
    is.character(g$column) && length(g$column) == 1L &&
    (is.na(g$column) || identical(g$column, g$top)) &&
    is_num1(g$count) && (is.na(g$count) || g$count >= 1)
}

# ---- profile_ci() results ----------------------------------------------------------------

profile_statuses <- c("ok", "one_sided", "not_identified", "search_limit", "lower_fn", "failed")

validate_profile <- function(x, fn = "profile_ci", prefix = NULL) {
  if (!is.list(x)) bad_field(fn, if (is.null(prefix)) "(the object)" else prefix, x, "a list")
  need <- field_checker(x, fn, prefix)
  t <- x$table
  need(is.data.frame(t) && nrow(t) >= 1L && !is.null(rownames(t)), "table",
       "a data frame with one row per parameter")
  k <- nrow(t)
  for (col in c("estimate", "lower", "upper", "wald_lower", "wald_upper", "asymmetry")) {
    need(is_num_n(t[[col]], k), paste0("table$", col), sprintf("%d numbers", k))
  }
  need(is_chr_n(t$status, k) && all(t$status %in% profile_statuses), "table$status",
       sprintf("%d of %s", k, paste0("\"", profile_statuses, "\"", collapse = ", ")))
  pf <- x$profiles
  need(is.list(pf) && length(pf) == k, "profiles", sprintf("a list of %d data frames", k))
  for (i in seq_len(k)) {
    p <- pf[[i]]
    need(is_frame(p, c("value", "z", "deviance", "wald_z"), is.numeric),
         sprintf("profiles$%s", if (is.null(names(pf))) i else names(pf)[i]),
         "a data frame of numbers value, z, deviance and wald_z")
  }
  need(is_findings(x$findings), "findings",
       "a data frame of character columns type, severity (error, warning or note), parameters and message")
  b <- x$better
  need(is.null(b) || is.list(b) && is.numeric(b$par) && is_num1(b$value), "better",
       "NULL or a list with par and value")
  need(is_level(x$level), "level", "a single number between 0 and 1")
  need(is_num1(x$cutoff) && is.finite(x$cutoff) && x$cutoff > 0, "cutoff",
       "a single positive number")
  need(is.null(x$cutoffs) || is_num_n(x$cutoffs, k), "cutoffs", sprintf("%d numbers", k))
  need(is.null(x$evaluations) || is_whole_count(x$evaluations), "evaluations",
       "a count of inner fits")
  invisible(x)
}

# ---- bootstrap_se() results --------------------------------------------------------------

validate_boot <- function(x) {
  fn <- "bootstrap_se"
  if (!is.list(x)) bad_field(fn, "(the object)", x, "a list", shown = "the object")
  need <- field_checker(x, fn)
  need(is_whole_count(x$R) && x$R >= 1, "R", "the number of replicates")
  R <- x$R
  st <- x$status
  need(is_chr_n(st, R) && all(st %in% c("ok", "not_converged", "failed")), "status",
       sprintf("%d of \"ok\", \"not_converged\", \"failed\"", as.integer(R)))
  est <- x$estimate
  need(is.numeric(est) && length(est) >= 1L && is.character(names(est)), "estimate",
       "the named estimates")
  n <- length(est)
  need(is_matrix_n(x$replicates, R, n), "replicates",
       sprintf("a %d x %d matrix", as.integer(R), n))
  need(is_num_n(x$se, n), "se", sprintf("%d numbers", n))
  need(is_num_n(x$mc_error, n), "mc_error", sprintf("%d numbers", n))
  need(is_matrix_n(x$ci, n, 2L), "ci", sprintf("a %d x 2 matrix", n))
  need(is.character(x$type) && length(x$type) == 1L &&
         x$type %in% c("parametric", "nonparametric"), "type",
       "\"parametric\" or \"nonparametric\"")
  need(is_num1(x$seed) && !is.na(x$seed), "seed", "the seed, a number")
  need(is_failure_counts(x$messages), "messages", "the failure reasons, counted")
  need(is.null(x$verdict) || is_verdict(x$verdict), "verdict", "NULL or check_fit()'s verdict")
  need(is.null(x$cluster) || is_cluster_info(x$cluster), "cluster",
       "NULL or a list with name, groups and default")
  need(is.null(x$warnings) || is_replicate_warnings(x$warnings, R), "warnings",
       "NULL or a data frame of replicate and message")
  need(is.null(x$hessian_se) || is_num_n(x$hessian_se, n), "hessian_se",
       sprintf("NULL or %d standard errors", n))
  invisible(x)
}

# How a cluster bootstrap drew its data: list(name, groups, default).
is_cluster_info <- function(cl) {
  is.list(cl) && is.character(cl$name) && length(cl$name) == 1L && !is.na(cl$name) &&
    is_whole_count(cl$groups) && is.logical(cl$default) && length(cl$default) == 1L &&
    !is.na(cl$default)
}

# The warnings of R replicates: a data frame of replicate (1..R) and message.
is_replicate_warnings <- function(w, R) {
  is_frame(w, "replicate", is.numeric) && is_frame(w, "message", is.character) &&
    all(w$replicate %in% seq_len(R))
}

# ---- coverage_check() results ------------------------------------------------------------

validate_coverage <- function(x) {
  fn <- "coverage_check"
  if (!is.list(x)) bad_field(fn, "(the object)", x, "a list", shown = "the object")
  need <- field_checker(x, fn)
  t <- x$table
  need(is.data.frame(t) && nrow(t) >= 1L, "table", "a data frame with one row per parameter")
  k <- nrow(t)
  for (col in c("coverage", "mc_error", "se_ratio", "bias")) {
    need(is_num_n(t[[col]], k), paste0("table$", col), sprintf("%d numbers", k))
  }
  need(is_level(x$level), "level", "a single number between 0 and 1")
  need(is_whole_count(x$R) && x$R >= 1, "R", "the number of simulations")
  need(is_whole_count(x$used) && x$used <= x$R, "used", "a count up to R")
  need(is_num1(x$seed) && !is.na(x$seed), "seed", "the seed, a number")
  need(is_failure_counts(x$messages), "messages", "the failure reasons, counted")
  need(is.null(x$status) || is_chr_n(x$status, x$R), "status",
       sprintf("%d status strings", as.integer(x$R)))
  need(is.null(x$verdict) || is_verdict(x$verdict), "verdict", "NULL or check_fit()'s verdict")
  need(is.null(t$note) || is_chr_n(t$note, k), "table$note", sprintf("NULL or %d strings", k))
  need(is.null(x$cluster) || is_cluster_info(x$cluster), "cluster",
       "NULL or a list with name, groups and default")
  need(is.null(x$warnings) || is_replicate_warnings(x$warnings, x$R), "warnings",
       "NULL or a data frame of replicate and message")
  iv <- x$intervals
  need(is.null(iv) || is_frame(iv, c("parameter", "interval"), is.character) &&
         is_frame(iv, c("coverage", "mc_error"), is.numeric), "intervals",
       "NULL or a data frame (parameter, interval, coverage, mc_error)")
  invisible(x)
}

# ---- compare_se() results ----------------------------------------------------------------

validate_se <- function(x) {
  fn <- "compare_se"
  if (!is.list(x)) bad_field(fn, "(the object)", x, "a list", shown = "the object")
  need <- field_checker(x, fn)
  t <- x$table
  need(is.data.frame(t) && nrow(t) >= 1L, "table",
       "a data frame with a row per parameter and source")
  k <- nrow(t)
  need(is_chr_n(t$parameter, k) && !anyNA(t$parameter), "table$parameter", sprintf("%d names", k))
  need(is_chr_n(t$source, k) && !anyNA(t$source), "table$source", sprintf("%d names", k))
  for (col in c("se", "ratio", "expected")) {
    need(is_num_n(t[[col]], k), paste0("table$", col), sprintf("%d numbers", k))
  }
  need(is.logical(t$flag) && length(t$flag) == k, "table$flag", sprintf("%d TRUE/FALSE", k))
  need(is.null(x$notes) || is.character(x$notes), "notes", "NULL or strings")
  v <- x$verdict
  need(is.null(v) || is.list(v) && is.character(v$report) && length(v$report) == 1L &&
         v$report %in% names(report_text) && is.character(v$reason) && length(v$reason) == 1L,
       "verdict", sprintf("NULL or a list with report (one of %s) and reason",
                          paste0("\"", names(report_text), "\"", collapse = ", ")))
  if (!is.null(x$profile)) validate_profile(x$profile, fn, "profile")
  invisible(x)
}
