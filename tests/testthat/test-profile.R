# profile_ci(), confint(method = ...), plot(): against glm's and bbmle's profile intervals
# and analytic ones; bounds, flat profiles, a lower fn found while profiling; parallel.

test_that("profile limits of a logistic regression equal confint() of the glm to 1e-3", {
  skip_if_not_installed("MASS")
  b <- birthwt_fit()
  pr <- profile_ci(b$x)
  ci <- suppressMessages(confint(b$glm))     # MASS's profile method for glm
  lim <- as.matrix(pr$table[, c("lower", "upper")])
  expect_lt(max(abs(lim / ci - 1)), 1e-3)
  expect_true(all(pr$table$status == "ok"))
  expect_equal(nrow(pr$findings), 0L)
  # confint(method = "profile") is the same computation.
  expect_equal(unname(confint(b$x, method = "profile")), unname(lim))
})

test_that("profile limits equal bbmle's confint(method = \"uniroot\") to 1e-5", {
  skip_if_not_installed("bbmle")
  gm <- gamma_mle2_fit()
  pr <- profile_ci(gm$x)
  cb <- bbmle::confint(gm$mle2, method = "uniroot")
  expect_lt(max(abs(as.matrix(pr$table[, c("lower", "upper")]) / cb - 1)), 1e-5)
})

test_that("the exponential rate's profile interval is the analytic one and asymmetric", {
  e <- exp_fit()
  pr <- profile_ci(e$x)
  expect_equal(unname(unlist(pr$table[1, c("lower", "upper")])), e$exact, tolerance = 1e-7)
  expect_gt(pr$table$asymmetry, 1.4)
  expect_snapshot(print(pr))
})

test_that("a variance on its bound gets a one-sided interval with the chi-bar-square cutoff", {
  set.seed(2)
  z <- rnorm(50, 3, 0.8)
  nll_re <- function(p, z) -sum(dnorm(z, p[1], sqrt(1 + p[2]), log = TRUE))
  fit <- optim(c(mu = 0, tau2 = 0.5), nll_re, z = z, method = "L-BFGS-B", lower = c(-Inf, 0))
  x <- check_fit(fit, nll_re, z = z, lower = c(-Inf, 0))
  expect_equal(x$verdict, "at_bound")
  pr <- profile_ci(x)
  expect_equal(pr$table["tau2", "status"], "one_sided")
  expect_equal(pr$table["tau2", "lower"], 0)
  # With mu profiled out (at mean(z) for every tau2), twice the rise of fn in tau2 is
  # analytic; the upper limit is where it reaches qchisq(0.90, 1).
  n <- length(z)
  ss <- sum((z - mean(z))^2)
  prof <- function(t) n / 2 * log(1 + t) + ss / (2 * (1 + t))
  up <- stats::uniroot(function(t) 2 * (prof(t) - prof(0)) - stats::qchisq(0.9, 1),
                       c(0, 10), tol = 1e-14)$root
  expect_equal(pr$table["tau2", "upper"], up, tolerance = 1e-6)
  expect_match(pr$findings$message[pr$findings$type == "one_sided"], "chi-bar-square")
})

test_that("a profile that flattens below the cutoff has infinite limits, said so", {
  f <- function(p) p[1]^2 / 2 + (1 - exp(-p[2]^2 / 2))
  x <- check_fit(c(a = 0, b = 0), f)
  pr <- profile_ci(x)
  expect_equal(pr$table["b", "status"], "not_identified")
  expect_equal(c(pr$table["b", "lower"], pr$table["b", "upper"]), c(-Inf, Inf))
  expect_equal(unname(unlist(pr$table["a", c("lower", "upper")])),
               c(-1, 1) * sqrt(stats::qchisq(0.95, 1)), tolerance = 1e-6)
  expect_match(format(pr), "not identified in this direction", all = FALSE)
})

test_that("a lower fn found while profiling is a finding with the better point, not an interval", {
  f <- function(p) p[1]^2 / 2 + p[2]^2 / 2 - 10 * exp(-2 * (p[1] - 3)^2)
  x <- check_fit(c(a = 0, b = 0), f)
  expect_equal(x$verdict, "minimum")
  pr <- profile_ci(x)
  expect_equal(pr$table["a", "status"], "lower_fn")
  expect_true(is.na(pr$table["a", "upper"]))
  expect_lt(f(pr$better$par), f(c(0, 0)) - 1)
  expect_match(pr$findings$message[1], "refit from there")
  cs <- compare_se(x, numderiv = FALSE)
  expect_equal(cs$verdict$report, "none")
})

test_that("profiles run in parallel give the same intervals", {
  skip_on_os("windows")
  b <- birthwt_fit()
  p1 <- profile_ci(b$x)
  p2 <- profile_ci(b$x, parallel = "multicore", ncpus = 2)
  expect_identical(p1$table, p2$table)
  skip_if_not_installed("future.apply")
  old <- future::plan("sequential")
  on.exit(future::plan(old), add = TRUE)
  p4 <- profile_ci(b$x, parm = "lwt", parallel = "future")
  expect_identical(p4$table, p1$table["lwt", ])
  skip_on_cran()
  p3 <- profile_ci(b$x, parm = c("age", "smoke"), parallel = "snow", ncpus = 2)
  expect_identical(p3$table, p1$table[c("age", "smoke"), ])
})

test_that("profile_ci() refuses a point that is not a minimum and bad arguments", {
  sad <- check_fit(c(a = 0, b = 0), function(p) p[1]^2 - p[2]^2)
  expect_error(profile_ci(sad), class = "hesscheck_error_not_minimum")
  e <- exp_fit()
  expect_error(profile_ci(e$x, parm = 3), class = "hesscheck_error_bad_parm")
  expect_error(profile_ci(e$x, level = 2), class = "hesscheck_error_bad_level")
  expect_error(profile_ci(e$x, control = list(bogus = 1)), class = "hesscheck_error_bad_control")
  expect_error(profile_ci(e$x, parallel = "bogus"), class = "hesscheck_error_bad_parallel")
  expect_error(profile_ci(list()), class = "hesscheck_error_bad_object")
})
