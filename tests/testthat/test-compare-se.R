# compare_se(): the sources side by side, the sandwich against HC0, classed errors.

test_that("the sandwich equals the model SE for a correct linear model and HC0 otherwise", {
  set.seed(5)
  n <- 400
  X <- cbind(1, runif(n, 0, 2))
  fit_lm <- function(y) {
    nll <- function(p, y) -sum(dnorm(y, X %*% p[1:2], exp(p[3]), log = TRUE))
    obs <- function(p, y) -dnorm(y, drop(X %*% p[1:2]), exp(p[3]), log = TRUE)
    b <- qr.coef(qr(X), y)
    mle <- c(b0 = b[[1]], b1 = b[[2]], log_s = log(sqrt(mean((y - X %*% b)^2))))
    x <- check_fit(mle, nll, y = y)
    list(cs = compare_se(x, fn_obs = obs), e = drop(y - X %*% b), x = x)
  }
  homo <- fit_lm(drop(X %*% c(1, 2)) + rnorm(n))
  se <- homo$cs$se
  expect_lt(max(abs(se[1:2, "sandwich"] / se[1:2, "hesscheck"] - 1)), 0.1)
  hetero <- fit_lm(drop(X %*% c(1, 2)) + rnorm(n) * X[, 2]^2)
  # HC0 = (X'X)^-1 X' diag(e^2) X (X'X)^-1.
  B <- solve(crossprod(X))
  hc0 <- sqrt(diag(B %*% crossprod(X * hetero$e) %*% B))
  se <- hetero$cs$se
  expect_equal(unname(se[1:2, "sandwich"]), hc0, tolerance = 1e-6)
  expect_gt(abs(se[2, "sandwich"] / se[2, "hesscheck"] - 1), 0.2)
  expect_true(hetero$cs$table$flag[hetero$cs$table$source == "sandwich"][2])
  skip_if_not_installed("sandwich")
  y <- drop(X %*% c(1, 2)) + hetero$e
  m <- lm(y ~ X - 1)
  expect_equal(unname(se[1:2, "sandwich"]),
               unname(sqrt(diag(sandwich::vcovHC(m, type = "HC0")))), tolerance = 1e-6)
})

test_that("compare_se puts optim, numDeriv and hesscheck side by side", {
  nf <- normal_fit()
  fit <- optim(c(mu = 5, log_sd = 0), nf$nll, y = nf$y, method = "BFGS", hessian = TRUE)
  x <- check_fit(fit, nf$nll, y = nf$y)
  cs <- compare_se(x)
  expect_s3_class(cs, "hesscheck_se")
  expect_true(all(c("hesscheck", "optim", "numDeriv") %in% colnames(cs$se)))
  expect_equal(unname(cs$se[, "hesscheck"]), nf$se, tolerance = 1e-5)
  expect_match(cs$notes[1], "fit$hessian", fixed = TRUE)
  # Without fit$hessian, optimHess() at the estimate.
  cs2 <- compare_se(nf$x, numderiv = FALSE)
  expect_false("numDeriv" %in% colnames(cs2$se))
  expect_match(cs2$notes[1], "optimHess")
  expect_output(print(cs), "Standard errors by source")
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  d <- plot(cs)
  expect_equal(nrow(d), 6L)
  expect_equal(nrow(as.data.frame(cs)), 6L)
})

test_that("bad data names, R, objects and parallel settings get classed errors", {
  nf <- normal_fit(n = 20)
  expect_error(bootstrap_se(nf$x, data = "z", R = 10), class = "hesscheck_error_bad_data")
  expect_error(bootstrap_se(nf$x, data = 1, R = 10), class = "hesscheck_error_bad_data")
  expect_error(bootstrap_se(nf$x, data = "y", R = 1), class = "hesscheck_error_bad_R")
  expect_error(bootstrap_se(nf$x, data = "y", R = 2.5), class = "hesscheck_error_bad_R")
  expect_error(bootstrap_se(nf$x, data = "y", R = NA), class = "hesscheck_error_bad_R")
  expect_error(bootstrap_se(list(), data = "y"), class = "hesscheck_error_bad_object")
  expect_error(bootstrap_se(nf$x, data = "y", R = 5, ncpus = 0),
               class = "hesscheck_error_bad_ncpus")
  expect_error(bootstrap_se(nf$x, data = "y", R = 5, parallel = "snow", cl = 3),
               class = "hesscheck_error_bad_parallel")
  expect_error(coverage_check(nf$x, "y", "sim"), class = "hesscheck_error_bad_function")
  expect_error(compare_se(nf$x, bootstrap = 1), class = "hesscheck_error_bad_bootstrap")
  expect_error(compare_se(nf$x, fn_obs = function(p, y) "a"),
               class = "hesscheck_error_bad_fn_value")
  sad <- check_fit(c(a = 0, b = 0), function(p) p[1]^2 - p[2]^2)
  expect_error(compare_se(sad), class = "hesscheck_error_not_positive_definite")
})

# compare_se()'s verdict on four cases whose answer is known.

test_that("a well-specified logistic regression: every source agrees, report the Hessian SEs", {
  set.seed(11)
  n <- 500
  X <- cbind(1, rnorm(n), rbinom(n, 1, 0.4))
  d <- data.frame(y = rbinom(n, 1, plogis(drop(X %*% c(-0.5, 0.8, 0.6)))), X)
  nll <- function(b, d) {
    eta <- drop(as.matrix(d[, -1]) %*% b)
    sum(log1p(exp(-abs(eta))) + pmax(eta, 0)) - sum(d$y * eta)
  }
  obs <- function(b, d) {
    eta <- drop(as.matrix(d[, -1]) %*% b)
    log1p(exp(-abs(eta))) + pmax(eta, 0) - d$y * eta
  }
  g <- glm.fit(X, d$y, family = binomial())
  x <- check_fit(c(b0 = 0, b1 = 0, b2 = 0) + g$coefficients, nll, d = d)
  b <- bootstrap_se(x, "d", R = 200, seed = 1, progress = FALSE)
  cs <- compare_se(x, fn_obs = obs, bootstrap = b, numderiv = FALSE)
  expect_equal(cs$verdict$report, "hessian")
  expect_match(format(cs)[1], "^Report the Hessian SEs: ")
})

test_that("a gamma fitted to bimodal geyser waiting times: misspecified, report the sandwich", {
  skip_if_not_installed("MASS")
  w <- MASS::geyser$waiting
  nll <- function(p, y) -sum(dgamma(y, shape = exp(p[1]), rate = exp(p[2]), log = TRUE))
  obs <- function(p, y) -dgamma(y, shape = exp(p[1]), rate = exp(p[2]), log = TRUE)
  fit <- optim(c(log_shape = 2, log_rate = -2), nll, y = w, method = "BFGS",
               control = list(reltol = 1e-14))
  x <- check_fit(fit, nll, y = w)
  b <- bootstrap_se(x, "y", R = 200, seed = 1, progress = FALSE)
  cs <- compare_se(x, fn_obs = obs, bootstrap = b, numderiv = FALSE)
  expect_equal(cs$verdict$report, "sandwich")
  expect_match(cs$verdict$reason, "misspecified")
  # Without the bootstrap, the sandwich alone gives the same verdict; without the
  # sandwich, the bootstrap alone says the model may be misspecified.
  expect_equal(compare_se(x, fn_obs = obs, numderiv = FALSE)$verdict$report, "sandwich")
  expect_equal(compare_se(x, bootstrap = b, numderiv = FALSE)$verdict$report, "bootstrap")
})

test_that("an exponential rate from 10 observations: skewed, report the profile interval", {
  set.seed(3)
  y <- rexp(10, 2)
  nll <- function(p, y) -sum(dexp(y, p[1], log = TRUE))
  obs <- function(p, y) -dexp(y, p[1], log = TRUE)
  x <- check_fit(c(rate = 1 / mean(y)), nll, y = y, lower = 1e-8)
  b <- bootstrap_se(x, "y", R = 200, seed = 1, progress = FALSE)
  cs <- compare_se(x, fn_obs = obs, bootstrap = b, numderiv = FALSE)
  expect_equal(cs$verdict$report, "profile")
  expect_match(cs$verdict$reason, "asymmetric")
  expect_match(cs$verdict$reason, "skewed")
  # From the profile alone, and from the bootstrap alone.
  expect_equal(compare_se(x, numderiv = FALSE)$verdict$report, "profile")
  expect_equal(compare_se(x, bootstrap = b, numderiv = FALSE, profile = FALSE)$verdict$report,
               "profile")
})

test_that("a variance estimated on its bound: report the one-sided profile interval", {
  set.seed(2)
  z <- rnorm(50, 3, 0.8)
  nll_re <- function(p, z) -sum(dnorm(z, p[1], sqrt(1 + p[2]), log = TRUE))
  obs_re <- function(p, z) -dnorm(z, p[1], sqrt(1 + p[2]), log = TRUE)
  fit <- optim(c(mu = 0, tau2 = 0.5), nll_re, z = z, method = "L-BFGS-B", lower = c(-Inf, 0))
  x <- check_fit(fit, nll_re, z = z, lower = c(-Inf, 0))
  cs <- compare_se(x, fn_obs = obs_re, numderiv = FALSE)
  expect_equal(cs$verdict$report, "profile")
  expect_equal(cs$verdict$parameters, "tau2")
  expect_match(cs$verdict$reason, "one-sided")
  expect_equal(cs$profile$table["tau2", "status"], "one_sided")
})

test_that("nothing is reliable when the fit is not at its minimum or the bootstrap failed", {
  nf <- normal_fit(n = 40)
  # Half a standard error away from the MLE: not stationary.
  off <- check_fit(nf$mle + c(0.5 * nf$se[1], 0), nf$nll, y = nf$y)
  expect_equal(off$verdict, "not_stationary")
  cs <- compare_se(off, numderiv = FALSE)
  expect_equal(cs$verdict$report, "none")
  expect_match(format(cs)[1], "^Report nothing yet: check_fit\\(\\) found")
  k <- 0
  flaky <- function(d, start) {
    k <<- k + 1
    if (k %% 3 == 0) stop("did not converge")
    c(mean(d), log(sqrt(mean((d - mean(d))^2))))
  }
  b <- bootstrap_se(nf$x, "y", R = 30, refit = flaky, seed = 1, progress = FALSE)
  cs <- compare_se(nf$x, bootstrap = b, numderiv = FALSE)
  expect_equal(cs$verdict$report, "none")
  expect_match(cs$verdict$reason, "10 of 30 non-parametric bootstrap replicates failed")
  expect_error(compare_se(nf$x, profile = "yes"), class = "hesscheck_error_bad_profile")
})

test_that("sandwich and bootstrap read together: the rule on a table of scenarios", {
  x <- list(verdict = "minimum", par = c(p = 1), at_bound = c(p = 0L))
  boot <- list(status = rep("ok", 200), R = 200, type = "nonparametric")
  # one parameter; each source's ratio to the Hessian SE and its expected error (two of
  # its standard errors, relative); NA: the source is absent
  sc <- data.frame(
    rs = c(0.81, 1.00, 1.50, 1.00, 1.40, 0.90, 1.50, NA),
    es = c(0.26, 0.26, 0.10, 0.10, 0.10, 0.30, 0.10, NA),
    rb = c(0.81, 1.01, 1.00, 1.50, 1.38, 0.95, NA, 1.50),
    eb = c(0.05, 0.05, 0.05, 0.05, 0.05, 0.10, NA, 0.05),
    report = c("sandwich", "hessian", "none", "none", "sandwich", "hessian", "sandwich",
               "bootstrap"),
    why = c("agree, together off (airquality's Weibull shape)", "all agree",
            "sandwich off, bootstrap not: conflict", "bootstrap off, sandwich not: conflict",
            "both off, agreeing", "both within, together within",
            "sandwich alone, off", "bootstrap alone, off"),
    stringsAsFactors = FALSE)
  row <- function(src, r, e) {
    data.frame(parameter = "p", source = src, se = r, ratio = r, expected = e,
               flag = abs(r - 1) > e, stringsAsFactors = FALSE)
  }
  for (i in seq_len(nrow(sc))) {
    s <- sc[i, ]
    tab <- rbind(row("hesscheck", 1, 1e-6),
                 if (!is.na(s$rs)) row("sandwich", s$rs, s$es),
                 if (!is.na(s$rb)) row("bootstrap", s$rb, s$eb))
    v <- hesscheck:::report_verdict(x, tab, if (!is.na(s$rb)) list(boot), NULL, list())
    expect_identical(v$report, s$report, label = s$why)
  }
})

test_that("a Weibull fit whose sandwich and bootstrap agree against the Hessian: report the sandwich", {
  y <- as.numeric(na.omit(datasets::airquality$Ozone))
  nll <- function(p, y) -sum(dweibull(y, exp(p[1]), exp(p[2]), log = TRUE))
  obs <- function(p, y) -dweibull(y, exp(p[1]), exp(p[2]), log = TRUE)
  f <- optim(c(lshape = 0, lscale = 3), nll, y = y, method = "BFGS")
  x <- check_fit(f, nll, y = y)
  b <- suppressWarnings(bootstrap_se(x, data = "y", R = 200, seed = 1, progress = FALSE))
  cs <- compare_se(x, fn_obs = obs, bootstrap = b, numderiv = FALSE, profile = FALSE)
  expect_identical(cs$verdict$report, "sandwich")
  expect_identical(cs$verdict$parameters, "lshape")
  # the sandwich by hand: V S'S V, V = x$vcov, with the analytic scores of the Weibull
  # log-density in (log shape a, log scale b): 1 + k z (1 - w) and k (w - 1), z = log(y /
  # lambda), w = (y / lambda)^k
  k <- exp(x$par[[1]])
  lam <- exp(x$par[[2]])
  z <- log(y / lam)
  w <- (y / lam)^k
  S <- cbind(1 + k * z * (1 - w), k * (w - 1))
  V <- x$vcov
  se_sw <- sqrt(diag(V %*% crossprod(S) %*% V))
  expect_equal(unname(cs$se[, "sandwich"]), unname(se_sw), tolerance = 1e-5)
  r <- cs$se["lshape", "sandwich"] / cs$se["lshape", "hesscheck"]
  expect_lt(abs(r - 0.81), 0.02)
  local_reproducible_output(width = 100)
  expect_snapshot(cs$verdict$reason, transform = function(l) gsub("[0-9]+\\.[0-9]+", "#", l))
})

test_that("compare_se(check_fit(glm)) shows the sandwich by default, equal to sandwich::sandwich()", {
  skip_if_not_installed("sandwich")
  set.seed(2)
  d <- data.frame(x = rnorm(100))
  d$y <- rpois(100, exp(0.5 + 0.3 * d$x))
  fits <- list(
    poisson = glm(y ~ x, poisson, d),
    binomial = glm(cbind(ncases, ncontrols) ~ agegp + alcgp, binomial, datasets::esoph),
    gaussian = glm(dist ~ speed, gaussian, datasets::cars))
  for (k in names(fits)) {
    cs <- compare_se(check_fit(fits[[k]]), numderiv = FALSE, profile = FALSE)
    ref <- sqrt(diag(sandwich::sandwich(fits[[k]])))
    expect_equal(unname(cs$se[, "sandwich"]), unname(ref), tolerance = 1e-5, info = k)
    expect_true(any(grepl("sandwich: HC0 from the contributions of [0-9]+ observations",
                          cs$notes)), info = k)
  }
})

test_that("nls, fitdistr, fitdist and mle2 fits get the sandwich, matching it by hand", {
  # nls of a model linear in its parameters: the sandwich of least squares, HC0
  skip_if_not_installed("sandwich")
  nfit <- nls(dist ~ a + b * speed, datasets::cars, start = list(a = 0, b = 1))
  cs <- compare_se(check_fit(nfit), numderiv = FALSE, profile = FALSE)
  expect_equal(unname(cs$se[, "sandwich"]), unname(sqrt(diag(sandwich::sandwich(nfit)))),
               tolerance = 1e-5)
  # a normal's (mean, sd): HC0 by hand from the scores (z / s, (z^2 - 1) / s), z the
  # standardised data, and the Hessian diag(n / s^2, 2 n / s^2) at the MLE
  set.seed(7)
  z <- rexp(80) * 3
  n <- length(z)
  m <- mean(z)
  s <- sqrt(mean((z - m)^2))
  u <- (z - m) / s
  by_hand <- c(sqrt(sum((u / s)^2)) / (n / s^2), sqrt(sum(((u^2 - 1) / s)^2)) / (2 * n / s^2))
  skip_if_not_installed("MASS")
  f1 <- MASS::fitdistr(z, "normal")
  c1 <- compare_se(check_fit(f1, x = z, densfun = "normal"), numderiv = FALSE, profile = FALSE)
  expect_equal(unname(c1$se[, "sandwich"]), by_hand, tolerance = 1e-5)
  skip_if_not_installed("fitdistrplus")
  f2 <- fitdistrplus::fitdist(z, "norm")
  c2 <- compare_se(check_fit(f2), numderiv = FALSE, profile = FALSE)
  expect_equal(unname(c2$se[, "sandwich"]), by_hand, tolerance = 1e-4)
  # mle2 with a formula, in (mu, log sd): the log-sd score is z^2 - 1, its curvature 2 n
  skip_if_not_installed("bbmle")
  f3 <- bbmle::mle2(z ~ dnorm(mean = mu, sd = exp(lsd)), start = list(mu = 1, lsd = 0),
                    data = data.frame(z = z))
  x3 <- check_fit(f3)
  expect_true(is.function(x3$problem$fn_obs))
  c3 <- compare_se(x3, numderiv = FALSE, profile = FALSE)
  expect_equal(unname(c3$se[, "sandwich"]), c(by_hand[1], sqrt(sum((u^2 - 1)^2)) / (2 * n)),
               tolerance = 1e-4)
  # mle2 with a function: no contributions known, no sandwich, and a note that says so
  f4 <- bbmle::mle2(function(mu, lsd) -sum(dnorm(z, mu, exp(lsd), log = TRUE)),
                    start = list(mu = 1, lsd = 0))
  c4 <- compare_se(check_fit(f4), numderiv = FALSE, profile = FALSE)
  expect_false("sandwich" %in% c4$table$source)
  expect_true(any(grepl("^sandwich: not computed; give fn_obs", c4$notes)))
})

test_that("a hand fit's fn_obs given to check_fit() gives the sandwich in compare_se()", {
  nf <- normal_fit(n = 50)
  obs <- function(p, y) -dnorm(y, p[1], exp(p[2]), log = TRUE)
  x <- check_fit(nf$mle, nf$nll, y = nf$y, fn_obs = obs)
  expect_identical(x$problem$fn_obs, obs)
  a <- compare_se(x, numderiv = FALSE, profile = FALSE)
  b <- compare_se(nf$x, fn_obs = obs, numderiv = FALSE, profile = FALSE)
  expect_identical(a$se, b$se)
  expect_error(check_fit(nf$mle, nf$nll, y = nf$y, fn_obs = "obs"),
               class = "hesscheck_error_bad_function")
})

test_that("recorded contributions that fail leave the sandwich out with a note, not an error", {
  nf <- normal_fit(n = 30)
  x <- nf$x
  x$problem$fn_obs <- function(p, y) stop("cannot split this fit")
  x$problem$obs_unit <- "observations"
  cs <- compare_se(x, numderiv = FALSE, profile = FALSE)
  expect_false("sandwich" %in% cs$table$source)
  expect_true(any(grepl("^sandwich: its contributions could not be computed: .*cannot split this fit",
                        cs$notes)))
  # given by the user, the same failure is the user's error
  expect_error(compare_se(nf$x, fn_obs = x$problem$fn_obs, numderiv = FALSE, profile = FALSE),
               class = "hesscheck_error_fn_failed")
})
