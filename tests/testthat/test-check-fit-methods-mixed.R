# check_fit() methods for mixed models: TMB objects, glmmTMB and lme4. The TMB object is
# built from glmmTMB's compiled template (no C++ compilation in the tests).

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

test_that("an ML lmer objective rebuilt for other data counts the rows lme4 uses", {
  skip_if_not_installed("lme4")
  d <- lme4::sleepstudy
  d$Reaction[c(3, 50, 100)] <- NA
  fm <- lme4::lmer(Reaction ~ Days + (1 | Subject), d, REML = FALSE)
  x <- check_fit(fm)
  # the same rows under other row names: a data set the objective is rebuilt for
  d2 <- d
  rownames(d2) <- paste0("r", seq_len(nrow(d)))
  p <- x$par + 0.1
  expect_equal(x$problem$fn(p, data = d2), x$problem$fn(p), tolerance = 1e-12)
  expect_equal(x$value, -as.numeric(logLik(fm)), tolerance = 1e-8)
})

test_that("lmer at the ML fit: beta's SEs = vcov() to 1e-5, theta checked against lme4", {
  skip_if_not_installed("lme4")
  fm <- lme4::lmer(Reaction ~ Days + (Days | Subject), lme4::sleepstudy, REML = FALSE)
  # lme4's own deviance function works on the fit's internal state: check_fit() leaves
  # it exactly as the fit did, even after an interruption
  state <- function(f) {
    list(f@pp$theta, f@pp$Lambdat, f@pp$delb, f@pp$delu, f@pp$beta(1), f@pp$u(1),
         f@pp$RX(), f@pp$ldL2(), f@resp$mu, f@resp$wrss(), lme4::getME(f, "L"),
         lme4::fixef(f), as.matrix(vcov(f)), logLik(f), lme4::ranef(f))
  }
  s0 <- state(fm)
  x <- check_fit(fm)
  expect_identical(state(fm), s0)
  suppressMessages(trace("check_fit.default", where = asNamespace("hesscheck"), print = FALSE,
                         tracer = quote(fn <- local({
                           f0 <- fn
                           k <- 0
                           function(...) {
                             k <<- k + 1
                             if (k > 20) stop("stop after 20 evaluations")
                             f0(...)
                           }
                         }))))
  expect_error(check_fit(fm), "stop after 20 evaluations")
  suppressMessages(untrace("check_fit.default", where = asNamespace("hesscheck")))
  expect_identical(state(fm), s0)
  expect_verdict(x, "minimum")
  b <- c("(Intercept)", "Days")
  expect_lt(rel_diff(x$table[b, "se"], sqrt(diag(as.matrix(vcov(fm))))), 1e-5)
  # theta's SEs from lme4's own finite-difference Hessian of the deviance, which
  # profiles beta out (the sleepstudy design is balanced, so it does not matter).
  th <- grep("^theta:", names(x$par))
  se_lme4 <- sqrt(diag(solve(fm@optinfo$derivs$Hessian / 2)))
  expect_lt(rel_diff(x$table$se[th], se_lme4), 1e-3)
  expect_equal(x$value, -as.numeric(logLik(fm)), tolerance = 1e-8)
  # REML: theta only, with the REML criterion.
  fr <- lme4::lmer(Reaction ~ Days + (Days | Subject), lme4::sleepstudy)
  xr <- check_fit(fr)
  expect_verdict(xr, "minimum")
  expect_length(xr$par, 3L)
})

test_that("lmer with a variance component at 0 is at_bound; glmer includes beta", {
  skip_if_not_installed("lme4")
  set.seed(3)
  d <- data.frame(g = factor(rep(1:10, each = 5)), y = rnorm(50))
  d$y <- d$y - ave(d$y, d$g)    # equal group means: the between-group variance is 0
  fm <- suppressMessages(lme4::lmer(y ~ 1 + (1 | g), d, REML = FALSE))
  x <- check_fit(fm)
  expect_verdict(x, "at_bound")
  expect_equal(x$at_bound[["theta:g.(Intercept)"]], -1)
  gm <- lme4::glmer(cbind(incidence, size - incidence) ~ period + (1 | herd),
                    data = lme4::cbpp, family = binomial)
  xg <- check_fit(gm)
  expect_verdict(xg, "minimum")
  expect_identical(names(xg$par), c("theta:herd.(Intercept)", names(lme4::fixef(gm))))
  # glmer's vcov() comes from its own finite-difference Hessian: close, not exact.
  b <- -1
  expect_lt(rel_diff(xg$table$se[b], sqrt(diag(as.matrix(vcov(gm))))), 1e-4)
})

test_that("lmer and glmmTMB bootstrap by whole groups with the default refit", {
  skip_if_not_installed("lme4")
  fm <- lme4::lmer(Reaction ~ Days + (1 | Subject), lme4::sleepstudy, REML = FALSE)
  x <- check_fit(fm)
  expect_identical(x$problem$data, "data")
  b <- bootstrap_se(x, R = 8, cluster = "Subject", seed = 1, progress = FALSE)
  expect_true(all(b$status == "ok"))
  expect_true(all(is.finite(b$se) & b$se > 0))
  skip_if_not_installed("glmmTMB")
  g <- glmmTMB::glmmTMB(count ~ mined + (1 | site), family = poisson,
                        data = glmmTMB::Salamanders)
  xg <- check_fit(g)
  bg <- bootstrap_se(xg, R = 6, cluster = "site", seed = 1, progress = FALSE)
  expect_true(all(bg$status == "ok"))
  # The objective was left at the fit's data: checking again gives the same answer.
  expect_equal(check_fit(g)$table$se, xg$table$se)
})

test_that("a mixed model's bootstrap resamples its top-level groups by default, and says so", {
  skip_if_not_installed("lme4")
  fm <- lme4::lmer(Reaction ~ Days + (1 | Subject), lme4::sleepstudy, REML = FALSE)
  x <- check_fit(fm)
  expect_identical(x$problem$groups,
                   list(factors = "Subject", top = "Subject", column = "Subject", count = 18L))
  b <- bootstrap_se(x, R = 30, seed = 1, progress = FALSE)
  # the same draws as cluster = "Subject" given
  b2 <- bootstrap_se(x, R = 30, seed = 1, cluster = "Subject", progress = FALSE)
  expect_identical(b$replicates, b2$replicates)
  expect_identical(b$cluster, list(name = "Subject", groups = 18L, default = TRUE))
  expect_false(b2$cluster$default)
  # by rows, the intercept's SE came out about 5 against 9.5 (Wald); by subject, about 6.5
  expect_gt(b$se[["(Intercept)"]], 5.8)
  local_reproducible_output(width = 120)
  expect_snapshot(cat(format(b)[1:2], sep = "\n"))
  # nested grouping factors: the outer one is the top level
  set.seed(5)
  d <- data.frame(school = factor(rep(1:8, each = 12)), class = factor(rep(1:3, times = 32)))
  d$y <- rnorm(8)[d$school] + rnorm(24)[interaction(d$school, d$class)] + rnorm(96)
  nm <- suppressMessages(lme4::lmer(y ~ 1 + (1 | school / class), d, REML = FALSE))
  g <- check_fit(nm)$problem$groups
  expect_identical(g$top, "school")
  expect_identical(g$column, "school")
})

test_that("crossed random effects refuse the non-parametric bootstrap; the advice runs", {
  skip_if_not_installed("lme4")
  pm <- lme4::lmer(diameter ~ 1 + (1 | plate) + (1 | sample), lme4::Penicillin, REML = FALSE)
  x <- check_fit(pm)
  expect_identical(x$problem$groups$top, NA_character_)
  e <- expect_error(bootstrap_se(x, R = 10), class = "hesscheck_error_crossed_groups")
  expect_identical(e$factors, c("plate", "sample"))
  expect_snapshot(error = TRUE, bootstrap_se(x, R = 10))
  # follow the advice as printed (with fewer replicates than its default)
  code <- regmatches(conditionMessage(e), regexpr("bootstrap_se\\(x, [^)]*\\)", conditionMessage(e)))
  call <- str2lang(code)
  call$R <- 40
  call$seed <- 1
  call$progress <- FALSE
  b <- eval(call)
  expect_identical(b$type, "parametric")
  expect_true(all(b$status == "ok"))
  # the intercept's SE near the Wald 0.745 (by rows it came out 0.063), within its
  # Monte-Carlo error and the small-sample bias of 6 samples
  expect_lt(abs(b$se[["(Intercept)"]] / x$table["(Intercept)", "se"] - 1), 0.4)
  # the simulated data replace the response only
  set.seed(2)
  s <- x$problem$simulate(x$par, lme4::Penicillin)
  expect_identical(s[c("plate", "sample")], lme4::Penicillin[c("plate", "sample")])
  expect_false(identical(s$diameter, lme4::Penicillin$diameter))
  # an explicit cluster is the user's choice
  b1 <- bootstrap_se(x, R = 3, cluster = "plate", seed = 1, progress = FALSE)
  expect_identical(b1$cluster$name, "plate")
  # coverage_check()'s percentile intervals refuse the same way
  expect_error(coverage_check(x, simulate = x$problem$simulate, R = 2,
                              intervals = "percentile", progress = FALSE),
               class = "hesscheck_error_crossed_groups")
})

test_that("an ML lmer fit's per-cluster terms are the clusters' marginal -log-likelihoods", {
  skip_if_not_installed("lme4")
  fm <- lme4::lmer(Reaction ~ Days + (Days | Subject), lme4::sleepstudy, REML = FALSE)
  x <- check_fit(fm)
  obs <- x$problem$fn_obs
  d <- lme4::sleepstudy
  # each cluster's -log density of N(X beta, sigma^2 (I + Z Lambda Lambda' Z')), by
  # hand with dense matrices, at the estimate (sigma: lme4's)
  Z <- as.matrix(lme4::getME(fm, "Z"))
  L <- t(as.matrix(lme4::getME(fm, "Lambdat")))
  X <- lme4::getME(fm, "X")
  s2 <- stats::sigma(fm)^2
  r <- d$Reaction - drop(X %*% lme4::fixef(fm))
  by_hand <- vapply(split(seq_len(nrow(d)), d$Subject), function(i) {
    V <- s2 * (diag(length(i)) + Z[i, ] %*% L %*% t(L) %*% t(Z[i, ]))
    R <- chol(V)
    0.5 * (length(i) * log(2 * pi) + 2 * sum(log(diag(R))) +
             sum(backsolve(R, r[i], transpose = TRUE)^2))
  }, 0)
  expect_equal(unname(obs(x$par, d)), unname(by_hand), tolerance = 1e-6)
  # away from the estimate they sum to the objective (lme4's profiled deviance / 2)
  for (k in 1:3) {
    p <- x$par * (1 + 0.05 * k)
    expect_equal(sum(obs(p, d)), x$problem$fn(p, d), tolerance = 1e-10)
  }
  cs <- compare_se(x, profile = FALSE, numderiv = FALSE)
  expect_true("sandwich" %in% cs$table$source)
  expect_true(any(grepl("contributions of 18 clusters of Subject", cs$notes, fixed = TRUE)))
  # the cluster-robust SE of the slope exceeds the model's: the slopes vary by subject
  # more than a random-intercept model allows; with random slopes, close to it
  xi <- check_fit(lme4::lmer(Reaction ~ Days + (1 | Subject), d, REML = FALSE))
  ci <- compare_se(xi, profile = FALSE, numderiv = FALSE)
  expect_gt(ci$se["Days", "sandwich"] / ci$se["Days", "hesscheck"], 1.5)
  expect_lt(abs(cs$se["Days", "sandwich"] / cs$se["Days", "hesscheck"] - 1), 0.3)
})

test_that("a glmmTMB fit's per-cluster terms sum to its objective; sandwich by default", {
  skip_if_not_installed("glmmTMB")
  g <- glmmTMB::glmmTMB(count ~ mined + (1 | site), family = poisson,
                        data = glmmTMB::Salamanders)
  x <- check_fit(g)
  expect_identical(x$problem$groups$top, "site")
  obs <- x$problem$fn_obs
  d <- glmmTMB::Salamanders
  for (p in list(x$par, x$par + 0.05)) {
    v <- obs(p, d)
    expect_length(v, 23L)
    expect_equal(sum(v), as.numeric(x$problem$fn(p, d)), tolerance = 1e-8)
  }
  cs <- compare_se(x, profile = FALSE, numderiv = FALSE)
  expect_true(all(is.finite(cs$se[, "sandwich"])))
  expect_true(any(grepl("contributions of 23 clusters of site", cs$notes, fixed = TRUE)))
  # the bootstrap: by site, as given explicitly
  b <- bootstrap_se(x, R = 4, seed = 1, progress = FALSE)
  expect_identical(b$cluster, list(name = "site", groups = 23L, default = TRUE))
  # the fit's TMB state is left as it was
  expect_equal(check_fit(g)$table$se, x$table$se)
})

test_that("a REML lmer fit says how to get the fixed effects' SEs; the advice runs", {
  skip_if_not_installed("lme4")
  rm <- lme4::lmer(Reaction ~ Days + (1 | Subject), lme4::sleepstudy)
  x <- check_fit(rm)
  local_reproducible_output(width = 200)
  out <- format(x)
  line <- grep("REML", out, value = TRUE)[2L]
  expect_snapshot(cat(line))
  code <- regmatches(line, regexpr("check_fit\\(update\\(rm, REML = FALSE\\)\\)", line))
  expect_identical(code, "check_fit(update(rm, REML = FALSE))")
  xm <- eval(str2lang(code))
  expect_true(all(c("(Intercept)", "Days") %in% names(xm$par)))
  expect_equal(unname(xm$table[c("(Intercept)", "Days"), "se"]),
               unname(sqrt(diag(as.matrix(vcov(update(rm, REML = FALSE)))))),
               tolerance = 1e-4)
  # a fit given as an expression: the advice names it as fit
  x2 <- check_fit(lme4::lmer(Reaction ~ Days + (1 | Subject), lme4::sleepstudy))
  expect_match(x2$source$advice, "check_fit(update(fit, REML = FALSE)), fit being", fixed = TRUE)
})

test_that("coverage_check()'s percentile intervals of a mixed model resample its groups", {
  skip_if_not_installed("lme4")
  fm <- lme4::lmer(Reaction ~ Days + (1 | Subject), lme4::sleepstudy, REML = FALSE)
  x <- check_fit(fm)
  cc <- coverage_check(x, simulate = x$problem$simulate, R = 2, intervals = "percentile",
                       boot_R = 3, seed = 1, progress = FALSE)
  expect_identical(cc$cluster, list(name = "Subject", groups = 18L, default = TRUE))
  expect_match(format(cc), "^Percentile intervals: bootstraps by whole groups of Subject \\(18 groups\\), the mixed model's top-level grouping factor",
               all = FALSE)
})
