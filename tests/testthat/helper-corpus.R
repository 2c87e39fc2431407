# A corpus of fits with known truth, run through check_fit() as a whole: well-posed fits
# through the supported classes and hand-written likelihoods (their verdict must be a
# minimum, and their SEs within 1% of an exact reference), and defects (their verdict
# must be one of those named, never "minimum" or "ill_conditioned"). Used by
# test-verdict-corpus.R and bench/corpus.R. Each case: list(name, kind ("well-posed" or
# "defect"), expect (allowed verdicts), run (a function returning the check_fit()
# result), se (a function of that result returning the reference SEs of the parameters
# that have one, named; NULL for none), needs (packages)).

corpus_case <- function(name, kind, expect, run, se = NULL, needs = character()) {
  list(name = name, kind = kind, expect = expect, run = run, se = se, needs = needs)
}

corpus_well_posed <- function() {
  ok <- c("minimum", "ill_conditioned")
  set.seed(11)
  yn <- rnorm(60, 5, 2)
  normal_nll <- function(p, y) -sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
  normal_se <- function(x) {
    n <- 60
    c(mu = exp(x$par[["ls"]]) / sqrt(n), ls = 1 / sqrt(2 * n))
  }
  out <- list(
    corpus_case("normal, optim BFGS", "well-posed", ok,
      function() check_fit(optim(c(mu = 0, ls = 0), normal_nll, y = yn, method = "BFGS",
                                 control = list(reltol = 1e-12)), normal_nll, y = yn),
      normal_se),
    corpus_case("normal, nlminb", "well-posed", ok,
      function() check_fit(nlminb(c(mu = 0, ls = 0), normal_nll, y = yn), normal_nll, y = yn),
      normal_se),
    corpus_case("normal, nlm", "well-posed", ok,
      function() check_fit(suppressWarnings(nlm(normal_nll, c(mu = 0, ls = 0), y = yn,
                                                gradtol = 1e-10)), normal_nll, y = yn),
      function(x) stats::setNames(normal_se(list(par = c(ls = x$par[[2]]))), c("p1", "p2"))),
    corpus_case("exponential rate, Nelder-Mead on the log scale", "well-posed", ok,
      function() {
        nll <- function(p, y) -sum(dexp(y, exp(p[1]), log = TRUE))
        check_fit(optim(c(lrate = 0), nll, y = yn, method = "BFGS"), nll, y = yn)
      },
      function(x) c(lrate = 1 / sqrt(60))),
    corpus_case("glm logistic (birthwt)", "well-posed", ok,
      function() check_fit(glm(low ~ age + lwt + smoke, binomial, MASS::birthwt)),
      function(x) sqrt(diag(vcov(glm(low ~ age + lwt + smoke, binomial, MASS::birthwt)))),
      needs = "MASS"),
    corpus_case("glm poisson (warpbreaks)", "well-posed", ok,
      function() check_fit(glm(breaks ~ wool + tension, poisson, datasets::warpbreaks)),
      function(x) sqrt(diag(vcov(glm(breaks ~ wool + tension, poisson, datasets::warpbreaks))))),
    corpus_case("glm gamma log link (uncentred covariate)", "well-posed", ok,
      function() check_fit(glm(lot1 ~ log(u), Gamma("log"), data.frame(
        u = c(5, 10, 15, 20, 30, 40, 60, 80, 100), lot1 = c(118, 58, 42, 35, 27, 25, 21, 19, 18))))),
    corpus_case("nls Puromycin (sigma profiled)", "well-posed", ok,
      function() check_fit(nls(rate ~ Vm * conc / (K + conc),
                               subset(datasets::Puromycin, state == "treated"),
                               start = c(Vm = 200, K = 0.05)))),
    corpus_case("stats4 mle, exponential rate", "well-posed", ok,
      function() {
        y <- yn
        m <- stats4::mle(function(lrate = 0) -sum(dexp(y, exp(lrate), log = TRUE)),
                         method = "BFGS")
        check_fit(m)
      },
      function(x) c(lrate = 1 / sqrt(60)), needs = "stats4"),
    corpus_case("fitdistr normal", "well-posed", ok,
      function() check_fit(MASS::fitdistr(yn, "normal"), x = yn, densfun = "normal"),
      function(x) c(mean = x$par[["sd"]] / sqrt(60), sd = x$par[["sd"]] / sqrt(120)),
      needs = "MASS"),
    corpus_case("glmmTMB poisson random intercept", "well-posed", ok,
      function() check_fit(glmmTMB::glmmTMB(count ~ mined + (1 | site), family = poisson,
                                            data = glmmTMB::Salamanders)),
      function(x) {
        g <- glmmTMB::glmmTMB(count ~ mined + (1 | site), family = poisson,
                              data = glmmTMB::Salamanders)
        sqrt(diag(vcov(g, full = TRUE)))
      }, needs = "glmmTMB"),
    corpus_case("lmer sleepstudy (ML)", "well-posed", ok,
      function() check_fit(lme4::lmer(Reaction ~ Days + (1 | Subject), lme4::sleepstudy,
                                      REML = FALSE)), needs = "lme4"),
    corpus_case("longley regression, condition 7e11", "well-posed", ok,
      function() {
        m <- lm(Employed ~ Year + I(Year^2), datasets::longley)
        X <- model.matrix(m); y <- datasets::longley$Employed
        nll <- function(p) sum((y - X %*% p)^2) / 2
        check_fit(stats::setNames(coef(m), c("b0", "b1", "b2")), nll)
      },
      function(x) {
        m <- lm(Employed ~ Year + I(Year^2), datasets::longley)
        stats::setNames(sqrt(diag(chol2inv(qr.R(qr(model.matrix(m)))))), c("b0", "b1", "b2"))
      }),
    corpus_case("Rosenbrock at its minimum (banana valley)", "well-posed", ok,
      function() check_fit(c(x = 1, y = 1), function(p) 100 * (p[2] - p[1]^2)^2 + (1 - p[1])^2),
      function(x) {
        H <- matrix(c(802, -400, -400, 200), 2)
        stats::setNames(sqrt(diag(solve(H))), c("x", "y"))
      })
  )
  # NIST StRD nonlinear regressions at their certified values (certified SDs: see
  # test-verdict-defects.R; here the verdict)
  for (p in nist_problems()) {
    out[[length(out) + 1L]] <- local({
      pr <- p
      corpus_case(paste("NIST", pr$name), "well-posed", ok, function() check_fit(pr$par, pr$fn))
    })
  }
  out
}

corpus_defects <- function() {
  prod_nll <- function(p) -sum(dnorm(datasets::cars$dist, p[1] * p[2] * datasets::cars$speed,
                                     exp(p[3]), log = TRUE))
  list(
    corpus_case("complete separation (iris)", "defect", "no_finite_estimate",
      function() {
        ir <- subset(datasets::iris, Species != "virginica")
        ir$y <- ir$Species == "versicolor"
        check_fit(suppressWarnings(glm(y ~ Sepal.Length + Sepal.Width, binomial, ir)))
      }),
    corpus_case("quasi-separation (Titanic passengers)", "defect", "no_finite_estimate",
      function() {
        ti <- as.data.frame(datasets::Titanic)
        ti <- subset(ti, Class != "Crew")
        ti$Class <- droplevels(ti$Class)
        check_fit(glm(Survived ~ Sex + Class * Age, binomial, ti, weights = Freq))
      }),
    corpus_case("mixture at equal means (geyser)", "defect", "saddle",
      function() {
        w <- MASS::geyser$waiting
        mix <- function(p, y) -sum(log(.5 * dnorm(y, p[1], exp(p[3])) + .5 * dnorm(y, p[2], exp(p[3]))))
        f <- optim(c(mu1 = 70, mu2 = 70, lsd = log(10)), mix, y = w, method = "BFGS")
        check_fit(f, mix, y = w)
      }, needs = "MASS"),
    corpus_case("product a * b (cars), Nelder-Mead", "defect", "not_identified",
      function() check_fit(optim(c(a = 1, b = 2, lsig = 3), prod_nll, control = list(maxit = 2000)),
                           prod_nll),
      function(x) c(lsig = 1 / sqrt(100))),
    corpus_case("aliased column 0.4536 lwt (birthwt)", "defect", "not_identified",
      function() {
        bw <- MASS::birthwt
        X <- model.matrix(~ age + lwt + smoke + I(0.4536 * lwt), bw)
        colnames(X)[5] <- "lwt_kg"
        y <- bw$low
        nll <- function(b) { eta <- drop(X %*% b); sum(log1p(exp(eta)) - y * eta) }
        check_fit(optim(setNames(rep(0, 5), colnames(X)), nll, method = "BFGS"), nll)
      },
      function(x) sqrt(diag(vcov(glm(low ~ age + lwt + smoke, binomial, MASS::birthwt))))[
        c("(Intercept)", "age", "smoke")], needs = "MASS"),
    corpus_case("optim stopped by maxit (gamma, precip)", "defect", "not_stationary",
      function() {
        nll <- function(p, y) -sum(dgamma(y, exp(p[1]), exp(p[2]), log = TRUE))
        check_fit(optim(c(ls = 0, lr = 0), nll, y = datasets::precip, control = list(maxit = 20)),
                  nll, y = datasets::precip)
      }),
    corpus_case("a log-likelihood minimised", "defect", "unbounded",
      function() {
        set.seed(1)
        y <- rnorm(50, 3, 2)
        ll <- function(p, y) sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
        check_fit(optim(c(m = 0, ls = 0), ll, y = y, method = "BFGS"), ll, y = y)
      }),
    corpus_case("a log-likelihood maximised, fnscale forgotten", "defect", "maximum",
      function() {
        set.seed(1)
        y <- rnorm(50, 3, 2)
        ll <- function(p, y) sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
        f <- optim(c(m = 0, ls = 0), ll, y = y, method = "BFGS", control = list(fnscale = -1))
        check_fit(f, ll, y = y)
      }),
    corpus_case("observation-level random effect (glmmTMB, Oxboys)", "defect", "not_identified",
      function() {
        ox <- nlme::Oxboys
        ox$obs <- factor(seq_len(nrow(ox)))
        check_fit(suppressWarnings(glmmTMB::glmmTMB(height ~ age + (1 | Subject) + (1 | obs),
                                                    data = ox)))
      }, needs = c("glmmTMB", "nlme")),
    corpus_case("zero-inflation and a group SD drifting (glmmTMB)", "defect", "no_finite_estimate",
      function() {
        set.seed(3)
        d <- data.frame(g = factor(rep(1:10, each = 10)), y = rpois(100, 20))
        check_fit(suppressWarnings(glmmTMB::glmmTMB(y ~ 1 + (1 | g), ziformula = ~1,
                                                    family = poisson, data = d)))
      }, needs = "glmmTMB"),
    corpus_case("re-seeded simulated likelihood", "defect", "too_noisy",
      function() {
        set.seed(1)
        y <- rnorm(100, 1, 1)
        sim <- function(p) -sum(dnorm(y, p[1], exp(p[2]), log = TRUE)) + 0.15 * rnorm(1)
        check_fit(c(b0 = 0.9, ls = 0.05), sim)
      }),
    corpus_case("a kink at the estimate (least absolute deviations)", "defect", "not_smooth",
      function() {
        set.seed(2)
        y <- rnorm(31)
        check_fit(c(m = median(y), s = 1), function(p) sum(abs(y - p[1])) + (p[2] - 1)^2)
      }),
    corpus_case("Powell's singular function at 0 (quartic)", "defect",
      c("weakly_identified", "not_identified"),
      function() check_fit(c(0, 0, 0, 0), function(x) (x[1] + 10 * x[2])^2 +
                             5 * (x[3] - x[4])^2 + (x[2] - 2 * x[3])^4 + 10 * (x[1] - x[4])^4)),
    corpus_case("a parameter fn ignores", "defect", "not_identified",
      function() check_fit(c(a = 1, b = 2), function(p) (p[1] - 1)^2)),
    corpus_case("saddle of x^2 - y^2", "defect", "saddle",
      function() check_fit(c(x = 0, y = 0), function(p) p[1]^2 - p[2]^2))
  )
}

verdict_corpus <- function() c(corpus_well_posed(), corpus_defects())

# Run one case: its verdict, whether it is right, the worst relative SE error against
# the reference, and the error message if check_fit() failed.
run_corpus_case <- function(cs) {
  miss <- cs$needs[!vapply(cs$needs, requireNamespace, NA, quietly = TRUE)]
  if (length(miss)) {
    return(list(name = cs$name, kind = cs$kind, verdict = NA_character_, right = NA,
                se_error = NA_real_, error = paste("needs", paste(miss, collapse = ", ")),
                time = 0))
  }
  t0 <- proc.time()[["elapsed"]]
  x <- tryCatch(cs$run(), error = function(e) e)
  t <- proc.time()[["elapsed"]] - t0
  if (inherits(x, "error")) {
    return(list(name = cs$name, kind = cs$kind, verdict = "ERROR", right = FALSE,
                se_error = NA_real_, error = conditionMessage(x), time = t))
  }
  se_err <- NA_real_
  if (!is.null(cs$se)) {
    ref <- cs$se(x)
    got <- x$table[names(ref), "se"]
    se_err <- max(abs(got / ref - 1))
  }
  list(name = cs$name, kind = cs$kind, verdict = x$verdict,
       right = x$verdict %in% cs$expect && (is.na(se_err) || se_err <= 0.01),
       se_error = se_err, error = NA_character_, time = t)
}
