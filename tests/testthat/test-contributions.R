# Mixed models' data and per-cluster terms (contributions.R): bootstraps and coverage
# checks that resample whole groups, crossed effects refused, and the clusters' terms of
# lmer and glmmTMB fits (their sum, their marginal likelihoods).

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
