# check_fit() methods for base R and recommended-package fits: glm, nls, stats4's mle and
# MASS's fitdistr; optim-like lists; unsupported classes.

glm_data <- function(n = 200, seed = 2) {
  set.seed(seed)
  x1 <- rnorm(n)
  x2 <- rnorm(n)
  data.frame(x1, x2, yb = rbinom(n, 1, plogis(0.5 + x1)),
             yp = rpois(n, exp(0.3 + 0.5 * x2)),
             yg = rgamma(n, 3, 3 / exp(1 + 0.2 * x1)), yn = 1 + x1 + rnorm(n))
}

test_that("glm with a canonical link: minimum, SEs equal vcov() to 1e-5, value is -logLik", {
  d <- glm_data()
  tight <- glm.control(epsilon = 1e-14, maxit = 100)
  fits <- list(
    glm(yb ~ x1 + x2, binomial, d, control = tight),
    glm(yp ~ x1 + x2, poisson, d, control = tight),
    glm(yn ~ x1, gaussian, d, control = tight),
    glm(yg ~ x1, Gamma, d, control = tight)
  )
  for (f in fits) {
    x <- check_fit(f)
    expect_s3_class(x, "hesscheck")
    expect_verdict(x, "minimum")
    expect_lt(rel_diff(x$table$se, sqrt(diag(vcov(f)))), 1e-5)
    expect_equal(x$se_package[, "package"], sqrt(diag(vcov(f))), ignore_attr = TRUE)
    expect_equal(x$value, -as.numeric(logLik(f)), tolerance = 1e-10)
    expect_equal(x$problem$data, c("X", "y", "weights", "offset"))
    expect_identical(names(x$par), names(coef(f)))
  }
})

test_that("a glm's dispersion is summary()'s, zero prior weights included", {
  d <- glm_data()
  d$w <- rep(c(0, 1, 2, 3), length.out = nrow(d))
  for (f in list(glm(yn ~ x1, gaussian, d), glm(yg ~ x1, Gamma, d, weights = w),
                 glm(yg ~ x1, Gamma(link = "log"), d))) {
    expect_equal(hesscheck:::glm_dispersion(f), suppressWarnings(summary(f)$dispersion),
                 tolerance = 1e-14)
  }
})

test_that("a glm's model matrix is model.matrix()'s, by the fast path where it applies", {
  set.seed(1)
  d <- data.frame(y = rpois(60, 3), f = factor(sample(letters[1:3], 60, TRUE)),
                  x = rnorm(60), o = runif(60), w = rpois(60, 2), k = 1:60,
                  b = rnorm(60) > 0)
  d$x[3] <- NA
  fits <- list(
    # simple numeric columns: the fast path
    glm(y ~ x + o, poisson, d, na.action = na.exclude, weights = w),
    glm(y ~ x + k, poisson, d, subset = x > -1),
    glm(y ~ 0 + x + k, poisson, d),
    glm(y ~ 1, poisson, d),
    glm(y ~ log(o) + x + offset(o), poisson, d),
    glm(y ~ ., poisson, d[, c("y", "x", "o", "k")]),
    # factors, interactions, matrices, AsIs, logicals: model.matrix()
    glm(y ~ f * x + poly(o, 2) + offset(log(o + 1)), poisson, d),
    glm(y ~ b + x, poisson, d),
    glm(y ~ I(x^2) + x, poisson, d),
    glm(y ~ x:o + x, poisson, d, contrasts = NULL),
    glm(y ~ f + x, poisson, d, x = TRUE)
  )
  fast <- c(rep(TRUE, 6), rep(FALSE, 5))
  for (i in seq_along(fits)) {
    g <- fits[[i]]
    X <- hesscheck:::glm_model_matrix(g)
    M <- model.matrix(g)
    expect_identical(dim(X), dim(M))
    expect_identical(colnames(X), colnames(M))
    expect_true(is.double(X) && all(X == M))
    expect_identical(!is.null(hesscheck:::simple_model_matrix(g$terms, g$model)), fast[i])
  }
})

test_that("glm with complete separation has no finite estimate", {
  d <- data.frame(x = 1:20, y = rep(0:1, each = 10))
  f <- suppressWarnings(glm(y ~ x, binomial, d))
  x <- suppressWarnings(check_fit(f))
  # issue 22: separation is a drift to infinity, not a flat ridge
  expect_verdict(x, "no_finite_estimate")
  # the -log-likelihood is lower still at twice the estimate: the infimum is at infinity
  nll <- function(b) {
    eta <- b[1] + b[2] * d$x
    sum(log1p(exp(-abs(eta))) + pmax(eta, 0) - d$y * eta)
  }
  expect_lt(nll(2 * coef(f)), nll(coef(f)))
  expect_true(all(is.na(x$table$se)))
})

test_that("glm families without a likelihood are a classed error", {
  d <- glm_data()
  f <- glm(yp ~ x1, quasipoisson, d)
  expect_error(check_fit(f), class = "hesscheck_error_unsupported_fit")
})

test_that("nls: linear model via nls gives vcov's SEs times sqrt((n - p) / n), sigma profiled", {
  set.seed(4)
  xx <- 1:30
  yy <- 2 + 0.5 * xx + rnorm(30)
  f <- nls(yy ~ a + b * xx, start = list(a = 1, b = 1))
  x <- check_fit(f)
  expect_verdict(x, "minimum")
  # Profiled: H = n J'J / RSS exactly (the model is linear), vcov() = RSS / (n - p) (J'J)^-1.
  expect_lt(rel_diff(x$table$se, sqrt(diag(vcov(f))) * sqrt(28 / 30)), 1e-5)
  expect_match(x$source$note, "sigma profiled", fixed = TRUE)
  y <- check_fit(f, sigma = "included")
  expect_identical(names(y$par), c("a", "b", "sigma"))
  expect_equal(y$table$se[1:2], x$table$se, tolerance = 1e-5)
  expect_equal(y$table$se[3], y$par[["sigma"]] / sqrt(2 * 30), tolerance = 1e-5)
  expect_match(format(y)[2], "sigma included", fixed = TRUE)
})

test_that("nls with a port bound at the estimate is at_bound", {
  set.seed(4)
  dd <- data.frame(xx = 1:30)
  dd$yy <- 2 + 0.5 * dd$xx + rnorm(30)
  f <- nls(yy ~ a + b * xx, dd, start = list(a = 4, b = 1), algorithm = "port",
           lower = c(3, 0))
  x <- check_fit(f)
  expect_verdict(x, "at_bound")
  expect_equal(x$at_bound[["a"]], -1)
})

test_that("stats4 mle: SEs are the analytic ones of a normal sample", {
  set.seed(1)
  y <- rnorm(50, 3, 2)
  m <- stats4::mle(function(mu = 0, lsd = 0) -sum(dnorm(y, mu, exp(lsd), log = TRUE)),
                   method = "BFGS", control = list(reltol = 1e-14))
  x <- check_fit(m)
  expect_verdict(x, "minimum")
  s <- sqrt(mean((y - mean(y))^2))
  expect_lt(rel_diff(x$table$se, c(s / sqrt(50), 1 / sqrt(100))), 1e-5)
  expect_identical(x$optimizer, "stats4::mle")
  expect_true(is.matrix(x$vcov_package))
})

test_that("stats4 mle with fixed parameters checks only the free ones", {
  set.seed(1)
  y <- rnorm(50, 3, 2)
  m <- stats4::mle(function(mu = 0, lsd = 0) -sum(dnorm(y, mu, exp(lsd), log = TRUE)),
                   fixed = list(lsd = log(2)), method = "BFGS")
  x <- check_fit(m)
  expect_identical(names(x$par), "mu")
  expect_equal(x$table$se, 2 / sqrt(50), tolerance = 1e-6)
})

test_that("stats4 mle stopped on an L-BFGS-B bound is at_bound", {
  set.seed(1)
  y <- rnorm(50, 3, 2)
  m <- suppressWarnings(stats4::mle(
    function(mu = 5, sd = 1) -sum(dnorm(y, mu, sd, log = TRUE)),
    method = "L-BFGS-B", lower = c(mu = 4, sd = 0.01)))
  x <- check_fit(m)
  expect_verdict(x, "at_bound")
  expect_equal(unname(x$at_bound), c(-1, 0))
})

test_that("MASS fitdistr needs its data and density, and then gives the analytic SEs", {
  skip_if_not_installed("MASS")
  set.seed(1)
  y <- rnorm(50, 3, 2)
  f <- MASS::fitdistr(y, "normal")
  expect_error(check_fit(f), class = "hesscheck_error_fitdistr_needs")
  expect_error(check_fit(f, y, "nonsense"), class = "hesscheck_error_fitdistr_needs")
  expect_error(check_fit(f, y[-1], "normal"), class = "hesscheck_error_fitdistr_needs")
  x <- check_fit(f, y, "normal")
  expect_verdict(x, "minimum")
  s <- sqrt(mean((y - mean(y))^2))
  expect_lt(rel_diff(x$table$se, c(s / sqrt(50), s / sqrt(100))), 1e-5)
  expect_lt(rel_diff(x$table$se, f$sd), 1e-5)   # closed form in MASS too
  x2 <- check_fit(f, y, dnorm)
  expect_equal(x2$table$se, x$table$se)
})

test_that("MASS fitdistr stopped on an L-BFGS-B bound is at_bound (bounds passed on)", {
  skip_if_not_installed("MASS")
  set.seed(5)
  y <- rgamma(100, 2, 3)
  lo <- c(shape = 3, rate = 0.001)
  f <- suppressWarnings(MASS::fitdistr(y, "gamma", start = list(shape = 4, rate = 5),
                                       lower = lo))
  x <- check_fit(f, y, "gamma", lower = lo)
  expect_verdict(x, "at_bound")
  expect_equal(unname(x$at_bound), c(-1, 0))
})

test_that("optim-like lists with duplicate or missing names print, with unique names", {
  nll <- function(p) sum((p - c(1, 2, 3))^2) / 2
  x <- check_fit(list(par = c(beta = 1, beta = 2, theta = 3), value = 0), nll)
  expect_identical(names(x$par), c("beta[1]", "beta[2]", "theta"))
  expect_silent(format(x))
  y <- check_fit(list(par = c(a = 1, 2, 3), value = 0), nll)
  expect_identical(names(y$par), c("a", "p2", "p3"))
  expect_silent(format(y))
  z <- check_fit(c(1, 2, 3), nll)
  expect_identical(names(z$par), c("p1", "p2", "p3"))
})

test_that("an nlm result with a non-scalar code is a classed error", {
  fit <- list(estimate = c(a = 1), minimum = 0, code = c(1, 2))
  expect_error(check_fit(fit, function(p) p^2), class = "hesscheck_error_bad_fit")
})

test_that("a class method's non-convergence is reported under its source's name", {
  fn <- function(p) sum((p - 1)^2)
  x <- hesscheck:::from_package(structure(list(), class = "foo"), "glmmTMB", c(a = 1, b = 1),
                                fn, convergence = 1L)
  f <- x$findings[x$findings$type == "optimizer", ]
  # not optim's "iteration limit maxit reached", which is optim's code 1 only
  expect_identical(f$message, "glmmTMB reported convergence code 1: it did not claim a minimum.")
  expect_identical(x$optimizer, "glmmTMB")
  fit <- optim(c(a = 0, b = 0), fn, control = list(maxit = 1), method = "BFGS")
  expect_match(check_fit(fit, fn)$findings$message, "(iteration limit maxit reached)",
               fixed = TRUE, all = FALSE)
})

test_that("an unsupported class is a classed error naming the classes and the fallback", {
  e <- expect_error(check_fit(lm(dist ~ speed, cars)),
                    class = "hesscheck_error_unsupported_fit")
  expect_match(conditionMessage(e), "\"lm\"", fixed = TRUE)
  expect_match(conditionMessage(e), "glmmTMB", fixed = TRUE)
  expect_match(conditionMessage(e), "list(par = ", fixed = TRUE)
})

test_that("bootstrap_se resamples a glm's X, y, weights and offset jointly by default", {
  d <- glm_data(n = 100)
  f <- glm(yp ~ x1 + x2, poisson, d)
  x <- check_fit(f)
  b <- bootstrap_se(x, R = 60, seed = 1, progress = FALSE)
  expect_true(all(b$status == "ok"))
  # Within Monte-Carlo error of the Hessian's SEs.
  expect_lt(max(abs(log(b$se / x$table$se))), 0.35)
  b2 <- bootstrap_se(x, data = c("X", "y", "weights", "offset"), R = 60, seed = 1,
                     progress = FALSE)
  expect_equal(b2$replicates, b$replicates)
})

test_that("data over several arguments is resampled by rows, with clusters as wholes", {
  set.seed(7)
  X <- cbind(1, rnorm(60))
  y <- drop(X %*% c(1, 2)) + rnorm(60)
  nll <- function(p, X, y) sum((y - X %*% p)^2) / 2
  fit <- optim(c(a = 0, b = 0), nll, X = X, y = y, method = "BFGS")
  x <- check_fit(fit, nll, X = X, y = y)
  seen <- new.env()
  refit <- function(data, start) {
    # Rows stay paired: y - X b is the same set of residuals.
    seen$ok <- c(seen$ok, all(data$y %in% y) &&
                   all(match(data$y, y) == match(data$X[, 2], X[, 2])))
    qr.coef(qr(data$X), data$y)
  }
  b <- bootstrap_se(x, data = c("X", "y"), R = 20, refit = refit, seed = 1, progress = FALSE)
  expect_true(all(seen$ok))
  expect_true(all(b$status == "ok"))
  g <- rep(1:6, each = 10)
  seen$groups <- NULL
  refit2 <- function(data, start) {
    rows <- match(data$y, y)
    seen$groups <- c(seen$groups, all(table(g[rows]) %% 10 == 0))
    qr.coef(qr(data$X), data$y)
  }
  b2 <- bootstrap_se(x, data = c("X", "y"), R = 20, refit = refit2, cluster = g, seed = 1,
                     progress = FALSE)
  expect_true(all(seen$groups))
  expect_error(bootstrap_se(x, data = c("X", "y"), R = 5, cluster = g[-1]),
               class = "hesscheck_error_bad_cluster")
  expect_error(bootstrap_se(x, data = c("X", "zz"), R = 5), class = "hesscheck_error_bad_data")
  x2 <- check_fit(fit$par, function(p, X, y) sum((p - fit$par)^2), X = X, y = y[-1])
  expect_error(bootstrap_se(x2, data = c("X", "y"), R = 5), class = "hesscheck_error_bad_data")
})

test_that("a data frame is resampled by rows and cluster can name its column", {
  set.seed(8)
  df <- data.frame(g = rep(1:5, each = 8), y = rnorm(40, 3))
  nll <- function(p, df) -sum(dnorm(df$y, p[1], exp(p[2]), log = TRUE))
  x <- check_fit(c(mu = mean(df$y), ls = log(sqrt(mean((df$y - mean(df$y))^2)))), nll, df = df)
  seen <- new.env()
  refit <- function(data, start) {
    seen$ok <- c(seen$ok, all(table(data$g) %% 8 == 0))
    c(mean(data$y), log(sd(data$y)))
  }
  b <- bootstrap_se(x, data = "df", R = 10, refit = refit, cluster = "g", seed = 1,
                    progress = FALSE)
  expect_true(all(seen$ok))
  expect_error(bootstrap_se(x, data = "df", R = 5, cluster = "nope"),
               class = "hesscheck_error_bad_cluster")
})

test_that("coverage_check simulates and refits a glm through its recorded data arguments", {
  d <- glm_data(n = 100)
  f <- glm(yp ~ x1, poisson, d)
  x <- check_fit(f)
  sim <- function(par, data) {
    data$y <- rpois(length(data$y), exp(drop(data$X %*% par) + data$offset))
    data
  }
  cc <- coverage_check(x, NULL, sim, R = 30, seed = 1, progress = FALSE)
  expect_equal(cc$used, 30L)
  expect_true(all(cc$table$coverage > 0.7))
  # data = NULL means the recorded data arguments for the percentile intervals too:
  # resampled by rows jointly, as when they are named (it resampled the list's elements,
  # giving intervals of zero width)
  pc <- coverage_check(x, NULL, sim, R = 5, intervals = "percentile", boot_R = 19,
                       seed = 1, progress = FALSE)
  pn <- coverage_check(x, x$problem$data, sim, R = 5, intervals = "percentile",
                       boot_R = 19, seed = 1, progress = FALSE)
  expect_identical(pc$limits, pn$limits)
  expect_true(all(pc$limits$percentile$upper > pc$limits$percentile$lower))
})

test_that("nls bootstraps its data frame by rows with the default refit", {
  set.seed(6)
  dn <- data.frame(t = 1:25)
  dn$conc <- 10 * exp(-0.2 * dn$t) + rnorm(25, 0, 0.2)
  f <- nls(conc ~ A * exp(-k * t), dn, start = list(A = 5, k = 0.1))
  x <- check_fit(f)
  expect_identical(x$problem$data, "data")
  b <- bootstrap_se(x, R = 30, seed = 1, progress = FALSE)
  expect_true(all(b$status == "ok"))
  expect_lt(max(abs(log(b$se / x$table$se))), 0.5)
})

test_that("a glm's check prints its source and the comparison with vcov()", {
  d <- glm_data(n = 100)
  f <- glm(yb ~ x1, binomial, d, control = glm.control(epsilon = 1e-14))
  # the count of evaluations belongs to the engine, not to the wording pinned here
  expect_snapshot(print(check_fit(f)),
                  transform = function(l) gsub("evaluated fn [0-9]+ times", "evaluated fn N times", l))
})

test_that("methods whose objective comes from the fit reject extra arguments", {
  d <- glm_data(n = 50)
  f <- glm(yp ~ x1, poisson, d)
  e <- expect_error(check_fit(f, function(p) sum(p^2)), class = "hesscheck_error_bad_argument")
  expect_match(conditionMessage(e), "(unnamed)", fixed = TRUE)
  expect_error(check_fit(f, contol = list()), class = "hesscheck_error_bad_argument")
})
