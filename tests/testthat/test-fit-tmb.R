# check_fit() on TMB objects and glmmTMB fits (fit-tmb.R). The TMB object is built from
# glmmTMB's compiled template (no C++ compilation in the tests).

test_that("TMB MakeADFun object: checked at last.par.best, names unique, SEs = sdreport", {
  # No C++ is compiled here (glmmTMB's template is), so this runs on CRAN too.
  skip_if_not_installed("TMB")
  skip_if_not_installed("glmmTMB")
  s <- glmmTMB::glmmTMB(count ~ mined + (1 | site), family = poisson,
                        data = glmmTMB::Salamanders, doFit = FALSE)
  obj <- TMB::MakeADFun(data = s$data.tmb, parameters = s$parameters, map = s$map,
                        random = s$randomArg, DLL = "glmmTMB", silent = TRUE)
  # An optimiser stopped after 4 iterations: not stationary.
  suppressWarnings(nlminb(obj$par, obj$fn, obj$gr, control = list(iter.max = 4)))
  x0 <- check_fit(obj)
  expect_verdict(x0, "not_stationary")
  opt <- nlminb(obj$par, obj$fn, obj$gr, control = list(rel.tol = 1e-12))
  tmb_state <- function() mget(c("last.par", "last.par.best", "value.best"), envir = obj$env)
  s0 <- tmb_state()
  x <- check_fit(obj, vcov_package = TRUE)
  expect_identical(tmb_state(), s0)
  expect_verdict(x, "minimum")
  expect_identical(names(x$par), c("beta[1]", "beta[2]", "theta"))
  expect_equal(unname(x$par), unname(opt$par), tolerance = 1e-8)
  V <- TMB::sdreport(obj)$cov.fixed
  expect_lt(rel_diff(x$table$se, sqrt(diag(V))), 1e-5)
  expect_silent(format(x))
  # TMB's state is left as it was (the last parameters evaluated, the best seen), also
  # when the check stops with an error (sdreport() above moved it)
  s0 <- tmb_state()
  suppressMessages(trace("check_fit.default", where = asNamespace("hesscheck"), print = FALSE,
                         tracer = quote(gr <- local({
                           g0 <- gr
                           k <- 0
                           function(...) {
                             k <<- k + 1
                             if (k > 5) stop("stop after 5 gradients")
                             g0(...)
                           }
                         }))))
  expect_error(check_fit(obj), "stop after 5 gradients")
  suppressMessages(untrace("check_fit.default", where = asNamespace("hesscheck")))
  expect_identical(tmb_state(), s0)
})

test_that("glmmTMB: readable names, SEs = vcov(full = TRUE); a flat zero-inflation found", {
  skip_if_not_installed("glmmTMB")
  g <- glmmTMB::glmmTMB(count ~ mined + (1 | site), family = poisson,
                        data = glmmTMB::Salamanders)
  x <- check_fit(g)
  expect_verdict(x, "minimum")
  V <- vcov(g, full = TRUE)
  expect_identical(names(x$par), unname(colnames(V)))
  expect_lt(rel_diff(x$table$se, sqrt(diag(V))), 1e-5)
  # Counts with no zeros and a zero-inflation intercept: it drifts towards -Inf, where
  # the likelihood is flat (as does the log SD of a group effect the data do not need):
  # no finite estimate, naming both, with no SEs for them although the package gives some.
  set.seed(3)
  d <- data.frame(g = factor(rep(1:10, each = 10)), y = rpois(100, 20))
  gz <- suppressWarnings(glmmTMB::glmmTMB(y ~ 1 + (1 | g), ziformula = ~1,
                                          family = poisson, data = d))
  xz <- check_fit(gz)
  expect_verdict(xz, "no_finite_estimate")
  f <- xz$findings[xz$findings$type == "no_finite_estimate", ]
  expect_identical(f$severity, "error")
  expect_identical(f$parameters, "zi~(Intercept), theta_1|g.1")
  expect_identical(is.na(xz$table$se), c(FALSE, TRUE, TRUE))
  expect_true(all(is.finite(xz$se_package[, "package"])))
  expect_match(format(xz)[3], "mean nothing", fixed = TRUE)
  # following the advice, both terms dropped: a minimum
  g1 <- suppressWarnings(glmmTMB::glmmTMB(y ~ 1, family = poisson, data = d))
  expect_verdict(check_fit(g1), "minimum")
  expect_error(bootstrap_se(xz, R = 10), class = "hesscheck_error_bad_verdict")
})

test_that("glmmTMB's names are vcov(full = TRUE)'s without calling it, or from it", {
  skip_if_not_installed("glmmTMB")
  S <- glmmTMB::Salamanders
  fit <- function(...) suppressWarnings(glmmTMB::glmmTMB(..., data = S))
  fits <- list(
    fit(count ~ mined + (1 | site), family = poisson),
    fit(count ~ mined + (1 | site), ziformula = ~mined, family = glmmTMB::nbinom2),
    fit(count ~ mined + cover + (1 + cover | site) + (1 | spp), ziformula = ~1,
        family = glmmTMB::nbinom1),
    fit(count ~ mined + (1 | site), ziformula = ~ (1 | site), family = poisson),
    fit(count ~ mined + (1 | site), dispformula = ~mined, family = glmmTMB::nbinom2),
    fit(count ~ mined, family = gaussian)
  )
  for (g in fits) {
    nm <- hesscheck:::glmmTMB_names(g)
    expect_identical(nm, colnames(vcov(g, full = TRUE)))
    expect_identical(names(check_fit(g, vcov_package = FALSE)$par), names(check_fit(g)$par))
  }
  # a layout it does not build (a family parameter; a map): vcov()'s names
  tw <- fit(count ~ mined + (1 | site), family = glmmTMB::tweedie)
  expect_null(hesscheck:::glmmTMB_names(tw))
  expect_identical(names(check_fit(tw, vcov_package = FALSE)$par),
                   unname(colnames(vcov(tw, full = TRUE))))
  mp <- fit(count ~ mined + (1 | site), ziformula = ~mined, family = poisson,
            map = list(betazi = factor(c(1, NA))), start = list(betazi = c(0, 0)))
  expect_null(hesscheck:::glmmTMB_names(mp))
})
