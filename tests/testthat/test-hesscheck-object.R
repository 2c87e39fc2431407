# The "hesscheck" object (hesscheck-object.R): the table's standard errors against
# analytic ones, parameters on a bound, the uncertainty of the SEs, the estimable
# parameters beside a flat direction, and the covariance matrix of all parameters.

test_that("a maximised log-likelihood (fnscale = -1) gives the analytic standard errors", {
  pr <- problem_normal()
  ll <- function(p) -pr$fn(p)
  fit <- optim(c(mu = 0, log_sigma = 0), ll, method = "BFGS", hessian = TRUE,
               control = list(fnscale = -1, reltol = 1e-12))
  x <- check_fit(fit, ll, fnscale = -1)
  expect_equal(x$verdict, "minimum")
  expect_true("fnscale" %in% x$findings$type)
  # At the MLE: se(mu) = sigma_hat / sqrt(n), se(log sigma) = 1 / sqrt(2 n).
  n <- length(pr$y)
  xm <- check_fit(pr$par, ll, fnscale = -1)
  expect_equal(unname(xm$table$se), c(exp(pr$par[[2]]) / sqrt(n), 1 / sqrt(2 * n)),
               tolerance = 1e-7)
  expect_equal(unname(x$table$se), unname(xm$table$se), tolerance = 1e-5)
  # fit$hessian is compared, with fnscale's sign.
  expect_true("fit_hessian" %in% x$findings$type)
  expect_lt(x$fit_hessian$difference, 1e-3)
  # Forgetting fnscale: the verdict says fn looks maximised and what to do.
  y <- check_fit(fit, ll)
  expect_equal(y$verdict, "maximum")
  expect_match(y$findings$message[y$findings$type == "maximum"], "fnscale = -1",
               fixed = TRUE)
  # The same with a gradient.
  pg <- function(p) {
    s2 <- exp(2 * p[2]); r <- pr$y - p[1]
    c(sum(r) / s2, -n + sum(r^2) / s2)
  }
  z <- check_fit(pr$par, ll, gr = pg, fnscale = -1)
  expect_equal(unname(z$table$se), unname(xm$table$se), tolerance = 1e-7)
})

test_that("a variance on its L-BFGS-B lower bound gets no SE; the others hold it fixed", {
  pr <- problem_bound_variance()
  fit <- optim(c(mu = 0, tau2 = 0.5), pr$fn, z = pr$z, method = "L-BFGS-B",
               lower = c(-Inf, 0))
  expect_equal(fit$par[["tau2"]], 0)
  x <- check_fit(fit, pr$fn, z = pr$z, lower = c(-Inf, 0))
  expect_equal(x$verdict, "at_bound")
  expect_equal(unname(x$at_bound), c(0L, -1L))
  b <- x$findings[x$findings$type == "at_bound", ]
  expect_equal(b$parameters, "tau2")
  expect_match(b$message, "tau2 is on its lower bound", fixed = TRUE)
  expect_true(is.na(x$table["tau2", "se"]))
  expect_equal(x$table["tau2", "status"], "NA: on lower bound")
  # d2/dmu2 of the negative log-likelihood with tau2 = 0 is n.
  expect_equal(x$table["mu", "se"], 1 / sqrt(pr$n), tolerance = 1e-7)
  expect_false("not_stationary" %in% x$findings$type)
  # A bound that is not optimal (fn decreases into the interior) is not stationary.
  y <- check_fit(c(mu = mean(pr$z), tau2 = 0), function(p, z) pr$fn(p, z * 2), z = pr$z,
                 lower = c(-Inf, 0))
  expect_equal(y$verdict, "not_stationary")
  expect_match(paste(y$findings$message, collapse = " "),
               "fn decreases moving tau2 away from its lower bound", fixed = TRUE)
})

test_that("se_uncertainty() is half the eigenvalues' relative error bars, weighted", {
  # axes as eigenvectors: SE_i^2 = 1 / lambda_i, so dSE_i / SE_i = (u_i / lambda_i) / 2
  clf <- list(free = 1:2, cov = diag(c(1 / 4, 1 / 9)), vectors = diag(2), values = c(4, 9),
              uncertainty = c(0.4, 0.09))
  expect_equal(hesscheck:::se_uncertainty(clf), c(0.05, 0.005))
  # one direction (1, 1) / sqrt(2) of curvature 2 and (1, -1) / sqrt(2) of 8: each SE^2
  # = (1/2) (1/2 + 1/8), and its relative error the weighted mean of u / lambda over 2
  v <- cbind(c(1, 1), c(1, -1)) / sqrt(2)
  clf2 <- list(free = 1:2, cov = diag(2), vectors = v, values = c(2, 8),
               uncertainty = c(0.2, 0.08))
  w <- c(1 / 2, 1 / 8) / 2
  expect_equal(hesscheck:::se_uncertainty(clf2),
               rep(sum(w * c(0.1, 0.01)) / sum(w) / 2, 2))
  expect_identical(hesscheck:::se_uncertainty(list(free = 1:3, cov = NULL)), rep(NA_real_, 3))
})

test_that("estimable_se(): a parameter off the flat direction keeps its SE, 1 / sqrt(H_ii)", {
  th <- hesscheck:::hc_thresholds
  # H = diag(4, 0) in scaled units (scales 2 and 1): parameter 1 is estimable with SE
  # 1 / sqrt(4) / 2; parameter 2 lies on the flat direction
  clf <- list(free = 1:2, vectors = diag(2), values = c(4, 0), sign = c(1L, 0L),
              scale = c(2, 1), no_dependence = c(FALSE, FALSE), cov = NULL)
  es <- hesscheck:::estimable_se(clf, "not_identified", th, c(FALSE, FALSE), list())
  expect_identical(es$est, c(TRUE, FALSE))
  expect_equal(es$se_est, c(0.25, NA))
  expect_identical(es$null, c(FALSE, TRUE))
  # a minimum has no flat direction: nothing is marked estimable
  es2 <- hesscheck:::estimable_se(`[[<-`(clf, "sign", c(1L, 1L)), "minimum", th,
                                  c(FALSE, FALSE), list())
  expect_identical(es2$est, c(FALSE, FALSE))
  expect_null(es2$null)
})

test_that("full_vcov() places the free parameters' covariance, NA for the others", {
  clf <- list(free = c(1L, 3L), cov = matrix(c(2, 1, 1, 3), 2))
  V <- hesscheck:::full_vcov(clf, c(FALSE, FALSE), c("a", "b", "c"), 3L)
  expect_identical(V, matrix(c(2, NA, 1, NA, NA, NA, 1, NA, 3), 3,
                             dimnames = list(c("a", "b", "c"), c("a", "b", "c"))))
  # a drifting parameter has no variance and no covariance
  Vd <- hesscheck:::full_vcov(clf, c(FALSE, TRUE), c("a", "b", "c"), 3L)
  expect_identical(Vd["a", "a"], 2)
  expect_true(all(is.na(Vd["c", ])) && all(is.na(Vd[, "c"])))
  expect_null(hesscheck:::full_vcov(list(free = 1L, cov = NULL), FALSE, "a", 1L))
})
