# check_fit() on glm fits (fit-glm.R): SEs against vcov(), dispersion and model matrix
# against summary() and model.matrix(), separation, families without a likelihood; the
# data arguments a glm records, resampled by bootstrap_se() and coverage_check().

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

test_that("a glm's check prints its source and the comparison with vcov()", {
  d <- glm_data(n = 100)
  f <- glm(yb ~ x1, binomial, d, control = glm.control(epsilon = 1e-14))
  # the count of evaluations belongs to the engine, not to the wording pinned here
  expect_snapshot(print(check_fit(f)),
                  transform = function(l) gsub("evaluated fn [0-9]+ times", "evaluated fn N times", l))
})
