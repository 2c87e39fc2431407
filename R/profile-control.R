# profile_ci()'s control list: its settings with their defaults, and their checks
# (tests: test-profile-control.R).

# profile_ci()'s control settings and their defaults (documented in profile_ci(), profile.R).
profile_defaults <- list(max_se = 100, tol = 1e-8, tol_newmin = 1e-3, reltol = 1e-12,
                         maxit = 1000L)

# profile_ci()'s control list, checked: values that would make every limit fail, or an
# interval silently wrong, are errors. The root is found to `tol` standard errors, so it
# must be positive (0 leaves uniroot() no way to stop) and small (at most 0.1 SE); the
# inner fits stop at the relative change `reltol` of fn, which must be small (at most
# 1e-6) or the profile stays above its minimum and the interval comes out too narrow.
check_profile_control <- function(control) {
  ctrl <- check_control(control, profile_defaults)
  if (identical(ctrl, profile_defaults)) return(ctrl)
  range_check <- function(nm, lo, hi, lo_open, what) {
    v <- ctrl[[nm]]
    ok <- is.numeric(v) && length(v) == 1L && !is.na(v) && !is.nan(v) &&
      (if (lo_open) v > lo else v >= lo) && v <= hi
    if (!ok) {
      hc_abort("bad_control", sprintf("`control$%s` must be a single number %s; not %s.",
                                      nm, what, describe_value(v)))
    }
    as.double(v)
  }
  ctrl$max_se <- range_check("max_se", 0, .Machine$double.xmax, TRUE,
                             "above 0 and finite (standard errors)")
  ctrl$tol <- range_check("tol", 0, 0.1, TRUE,
                          "above 0 and at most 0.1 (standard errors)")
  ctrl$tol_newmin <- range_check("tol_newmin", 0, Inf, FALSE, "from 0 (a deviance)")
  if (!is.finite(ctrl$tol_newmin)) {
    hc_abort("bad_control", "`control$tol_newmin` must be finite.")
  }
  ctrl$reltol <- range_check("reltol", 0, 1e-6, FALSE, "from 0 to 1e-6")
  ctrl$maxit <- check_number(ctrl$maxit, "control$maxit", 1, null_ok = FALSE,
                             integer = TRUE)
  ctrl
}
