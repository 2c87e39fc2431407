# ---- TMB and glmmTMB ---------------------------------------------------------------

# TMB keeps its state in the environment of a MakeADFun() object: the last parameters
# evaluated (which obj$report(), obj$simulate() and sdreport() read by default), and the
# best seen with its value (where the inner optimisation of the random effects starts).
# A function() that saves them and returns a function() that puts them back, exactly.
tmb_state <- function(obj) {
  force(obj)
  function() {
    env <- obj$env
    keep <- c("last.par", "last.par1", "last.par2", "last.par.best", "value.best",
              "last.par.ok")
    keep <- keep[vapply(keep, exists, TRUE, envir = env, inherits = FALSE)]
    # copies: TMB's compiled code may write into these vectors in place
    saved <- lapply(mget(keep, envir = env), function(v) if (is.double(v)) v + 0 else v)
    function() {
      for (k in keep) assign(k, saved[[k]], envir = env)
      invisible()
    }
  }
}

# obj$fn and obj$gr at the best fixed-effect parameters TMB has seen.
tmb_problem <- function(obj) {
  best <- obj$env$last.par.best
  random <- obj$env$random
  par <- if (length(random)) best[-random] else best
  if (length(par) != length(obj$par)) par <- obj$par
  names(par) <- names(obj$par)
  list(par = par,
       fn = function(p) obj$fn(p),
       gr = function(p) as.vector(obj$gr(p)))
}

# Called by the generic for a TMB MakeADFun() object (a plain list, no class to dispatch on).
check_fit_tmb <- function(fit, ..., control = list(), lower = NULL, upper = NULL,
                          vcov_package = FALSE) {
  no_dots("TMB", ...)
  # Leave TMB's state as it was, whatever happens.
  state <- tmb_state(fit)
  on.exit(restore(), add = TRUE)
  restore <- state()
  pr <- tmb_problem(fit)
  V <- NULL
  if (vcov_package) {
    if (requireNamespace("TMB", quietly = TRUE)) {
      V <- TMB::sdreport(fit, par.fixed = pr$par)$cov.fixed
    }
  }
  from_package(
    structure(list(), class = "MakeADFun"), "TMB", pr$par, pr$fn, gr = pr$gr,
    value = NULL, lower = lower, upper = upper, control = control, vcov_package = V,
    note = "obj$fn and obj$gr at obj$env$last.par.best (random effects integrated out by TMB)",
    state = state
  )
}

# glmmTMB's readable parameter names, as vcov(fit, full = TRUE) gives them ("(Intercept)",
# "zi~minedno", "d~(Intercept)", "theta_1|site.1"; named by component, "cond1", "zi1",
# ...), built from the model matrices and random-effect terms the fit keeps: vcov() costs
# 2 ms, a tenth of a small fit's check. NULL when the fit has a map or a component whose
# count does not match obj$par (a layout this does not know): the caller asks vcov().
glmmTMB_names <- function(fit) {
  obj <- fit$obj
  d <- obj$env$data
  re <- fit$modelInfo$reStruc
  if (length(obj$env$map) || !is.list(d) || !is.list(re)) return(NULL)
  theta_names <- function(r) {
    if (!length(r)) return(character())
    k <- vapply(r, function(b) as.integer(b$blockNumTheta), 0L)
    paste0("theta_", gsub(" ", "", rep(names(r), k)), ".", sequence(k))
  }
  known <- list(
    beta = c("cond", ""), betazi = c("zi", "zi~"), betad = c("disp", "d~"),
    theta = c("theta", ""), thetazi = c("thetazi", "")
  )
  parts <- list(beta = colnames(d$X), betazi = colnames(d$Xzi), betad = colnames(d$Xd),
                theta = theta_names(re$condReStruc), thetazi = theta_names(re$ziReStruc))
  tmb <- names(obj$par)
  if (!all(tmb %in% names(known))) return(NULL)
  out <- character()
  for (k in unique(tmb)) {
    nn <- parts[[k]]
    if (length(nn) != sum(tmb == k)) return(NULL)
    out <- c(out, stats::setNames(paste0(known[[k]][2L], nn),
                                  paste0(known[[k]][1L], if (length(nn) > 1L) seq_along(nn))))
  }
  if (!identical(unname(tmb), rep(unique(tmb), table(tmb)[unique(tmb)]))) return(NULL)
  out
}

#' @rdname check_fit
#' @export
check_fit.glmmTMB <- function(fit, ..., control = list(), vcov_package = TRUE) {
  no_dots("glmmTMB", ...)
  obj <- fit$obj
  # TMB's state as it was when done, whatever happens
  state <- tmb_state(obj)
  restore <- state()
  on.exit(restore(), add = TRUE)
  pr <- tmb_problem(obj)
  V <- NULL
  nm <- names(pr$par)
  readable <- if (!vcov_package) glmmTMB_names(fit)
  if (is.null(readable)) {
    full <- tryCatch(stats::vcov(fit, full = TRUE), error = function(e) NULL)
    if (!is.null(full) && ncol(full) == length(pr$par)) {
      readable <- colnames(full)
      if (vcov_package) V <- unname(full)
    }
  }
  if (length(readable) == length(pr$par)) {
    comp <- sub("[0-9]+$", "", names(readable))
    if (is.null(names(readable))) comp <- rep("", length(readable))
    dup <- readable %in% readable[duplicated(readable)]
    readable[dup & nzchar(comp)] <- paste0(comp[dup & nzchar(comp)], "~",
                                          readable[dup & nzchar(comp)])
    nm <- readable
  }
  names(pr$par) <- nm
  # The objective as a function of the data too (for bootstrap_se() and
  # coverage_check()): a new TMB object from glmmTMB's own set-up (doFit = FALSE) per
  # data set, kept for reuse by fn and gr.
  data0 <- fit_data(fit$call, fit)
  obj_for <- cached_by_data(data0, obj, function(data) {
    cl <- stats::update(fit, doFit = FALSE, evaluate = FALSE)
    cl$data <- data
    st <- eval(cl, environment(stats::formula(fit)))
    TMB::MakeADFun(data = st$data.tmb, parameters = st$parameters, map = st$map,
                   random = st$randomArg, DLL = "glmmTMB", silent = TRUE)
  })
  fn <- function(p, data = NULL) obj_for(data)$fn(unname(p))
  gr <- function(p, data = NULL) as.vector(obj_for(data)$gr(unname(p)))
  conv <- fit$fit$convergence
  flist <- glmmTMB_flist(fit)
  groups <- mixed_groups(flist, data0)
  top <- groups$top
  from_package(
    fit, "glmmTMB", pr$par, fn, gr = gr, data = data0,
    data_args = if (!is.null(data0)) "data", value = fit$fit$objective,
    convergence = if (is.null(conv)) NA else conv, control = control, vcov_package = V,
    note = "its TMB objective fit$obj (random effects integrated out by the Laplace approximation)",
    state = state,
    fn_obs = if (!is.null(top) && !is.na(top)) glmmTMB_cluster_obs(fit, flist[[top]]),
    obs_unit = if (!is.null(top) && !is.na(top)) sprintf("clusters of %s", top),
    groups = groups,
    simulate = if (!is.null(data0)) {
      mixed_simulator(fit, data0, stats::formula(fit)[[2L]],
                      used_rows(stats::model.frame(fit), data0))
    }
  )
}
