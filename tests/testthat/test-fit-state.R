# The fits of lme4 and TMB keep an internal state that evaluating their objective moves:
# everything that evaluates a check_fit() result's objective again (profile_ci(),
# confint(method = "profile"), compare_se(), bootstrap_se(), coverage_check()) leaves it
# as it was, also when it stops with an error.

# Everything of an lme4 fit that its deviance function can move.
merMod_state <- function(f) {
  list(f@pp$theta, f@pp$Lambdat, f@pp$delb, f@pp$delu, f@pp$beta(1), f@pp$u(1),
       f@pp$RX(), f@pp$ldL2(), f@resp$mu, f@resp$wrss(), lme4::getME(f, "L"),
       lme4::getME(f, "theta"), lme4::fixef(f), as.matrix(vcov(f)), logLik(f),
       lme4::ranef(f), fitted(f))
}

# x with an objective that leaves the call (by a restart, as an interrupt would) after k
# evaluations: the callers' on.exit() must still put the fit's state back.
stopping_after <- function(x, k) {
  f0 <- x$problem$fn
  n <- 0
  x$problem$fn <- function(...) {
    n <<- n + 1
    if (n > k) signalCondition(structure(class = c("stop_here", "condition"),
                                         list(message = "stop", call = NULL)))
    f0(...)
  }
  x
}

interrupted <- function(expr) {
  withRestarts(withCallingHandlers(expr, stop_here = function(c) invokeRestart("out")),
               out = function() "interrupted")
}

test_that("profile_ci(), confint() and compare_se() leave an lmer fit (ML and REML) as it was", {
  skip_if_not_installed("lme4")
  for (reml in c(FALSE, TRUE)) {
    fm <- lme4::lmer(Reaction ~ Days + (Days | Subject), lme4::sleepstudy, REML = reml)
    s0 <- merMod_state(fm)
    x <- check_fit(fm)
    expect_identical(merMod_state(fm), s0)
    invisible(profile_ci(x, parm = 1:2))
    expect_identical(merMod_state(fm), s0)
    invisible(confint(x, parm = 2, method = "profile"))
    expect_identical(merMod_state(fm), s0)
    invisible(compare_se(x, numderiv = FALSE))
    expect_identical(merMod_state(fm), s0)
    # a later check still finds the minimum
    expect_identical(check_fit(fm)$verdict, "minimum")
    # also when the call is left part way
    expect_identical(interrupted(profile_ci(stopping_after(x, 15))), "interrupted")
    expect_identical(merMod_state(fm), s0)
    expect_identical(interrupted(compare_se(stopping_after(x, 15))), "interrupted")
    expect_identical(merMod_state(fm), s0)
  }
})

test_that("profiling a glmer fit leaves its random effects as they were", {
  skip_if_not_installed("lme4")
  gm <- lme4::glmer(cbind(incidence, size - incidence) ~ period + (1 | herd),
                    data = lme4::cbpp, family = binomial)
  s0 <- merMod_state(gm)
  x <- check_fit(gm)
  invisible(profile_ci(x, parm = 1))
  expect_identical(merMod_state(gm), s0)
  expect_identical(interrupted(profile_ci(stopping_after(x, 10), parm = 1)), "interrupted")
  expect_identical(merMod_state(gm), s0)
})

test_that("profile_ci() and compare_se() leave a TMB object's state as it was", {
  skip_if_not_installed("TMB")
  skip_if_not_installed("glmmTMB")
  s <- glmmTMB::glmmTMB(count ~ mined + (1 | site), family = poisson,
                        data = glmmTMB::Salamanders, doFit = FALSE)
  obj <- TMB::MakeADFun(data = s$data.tmb, parameters = s$parameters, map = s$map,
                        random = s$randomArg, DLL = "glmmTMB", silent = TRUE)
  opt <- nlminb(obj$par, obj$fn, obj$gr, control = list(rel.tol = 1e-12))
  tmb_state <- function() mget(c("last.par", "last.par.best", "value.best"), envir = obj$env)
  s0 <- tmb_state()
  x <- check_fit(obj)
  expect_identical(tmb_state(), s0)
  invisible(profile_ci(x, parm = 2))
  expect_identical(tmb_state(), s0)
  invisible(compare_se(x, numderiv = FALSE, profile = FALSE))
  expect_identical(tmb_state(), s0)
  expect_identical(interrupted(profile_ci(stopping_after(x, 10), parm = 2)), "interrupted")
  expect_identical(tmb_state(), s0)
  # the state at the estimate: report() there, as before
  expect_identical(obj$env$last.par[-obj$env$random], opt$par)
})
