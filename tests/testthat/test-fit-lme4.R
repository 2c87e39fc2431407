# check_fit() on lme4's fits (fit-lme4.R): the ML objective rebuilt, SEs against vcov(),
# variance components at 0, and the advice for REML fits.

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
