# The verdict with its uncertainty: every number checked against an analytic answer.

# lm(Employed ~ Year + I(Year^2), longley) as a Gaussian likelihood in (b, log sigma):
# scaled condition number 7.4e11; exact SEs from lm's QR.
problem_longley <- function() {
  m <- lm(Employed ~ Year + I(Year^2), datasets::longley)
  X <- model.matrix(m)
  y <- datasets::longley$Employed
  n <- length(y)
  nll <- function(p) {
    s <- exp(p[4])
    r <- y - X %*% p[1:3]
    n * log(s) + sum(r^2) / (2 * s^2)
  }
  mle <- c(b0 = unname(coef(m)[1]), b1 = unname(coef(m)[2]), b2 = unname(coef(m)[3]),
           log_sigma = log(sqrt(sum(resid(m)^2) / n)))
  se <- c(sqrt(diag(vcov(m)) * (n - 3) / n), 1 / sqrt(2 * n))
  list(fn = nll, par = mle, se = unname(se))
}

test_that("an identified model with condition number 7e11 (longley) is a minimum with lm's SEs", {
  pr <- problem_longley()
  x <- check_fit(pr$par, pr$fn)
  expect_true(x$verdict %in% c("minimum", "ill_conditioned"))
  expect_false(any(x$findings$type == "not_identified"))
  expect_lt(max(abs(x$table$se / pr$se - 1)), 1e-4)
  expect_gt(x$condition, 1e11)
})

test_that("a reparametrised quadratic with condition number 1e10 gives its exact SEs", {
  # f = z' A z / 2 with z = Q' (p - m) / s: eigenvalues 1e-10 .. 1 of the scaled problem.
  set.seed(11)
  k <- 4
  Q <- qr.Q(qr(matrix(rnorm(k * k), k)))
  A <- Q %*% diag(c(1e-10, 1e-4, 0.1, 1)) %*% t(Q)
  s <- c(1e-3, 1, 10, 1e3)
  H <- A / outer(s, s)
  m <- c(a = 0.5, b = -2, c = 30, d = 4000)
  fn <- function(p) { d <- p - m; 10 + drop(crossprod(d, H %*% d)) / 2 }
  x <- check_fit(m, fn)
  expect_true(x$verdict %in% c("minimum", "ill_conditioned"))
  V <- diag(s) %*% Q %*% diag(1 / c(1e-10, 1e-4, 0.1, 1)) %*% t(Q) %*% diag(s)
  expect_lt(max(abs(x$table$se / sqrt(diag(V)) - 1)), 1e-4)
})

test_that("dist ~ a * b * speed^2 is not identified, naming a and b, for 6 optimisers x 4 starts", {
  fn <- function(p) sum((datasets::cars$dist - p[1] * p[2] * datasets::cars$speed^2)^2)
  starts <- list(c(a = 1, b = 1), c(a = 0.5, b = 0.3), c(a = 2, b = 0.05), c(a = -1, b = -0.2))
  for (s in starts) {
    fits <- list(
      "Nelder-Mead" = optim(s, fn), BFGS = optim(s, fn, method = "BFGS"),
      CG = optim(s, fn, method = "CG"), "L-BFGS-B" = optim(s, fn, method = "L-BFGS-B"),
      nlminb = nlminb(s, fn), nlm = suppressWarnings(nlm(fn, s))
    )
    for (o in names(fits)) {
      x <- check_fit(fits[[o]], fn)
      info <- paste(o, "from", paste(s, collapse = ", "))
      expect_equal(x$verdict, "not_identified", info = info)
      f <- x$findings[x$findings$type == "not_identified", ]
      expect_equal(f$parameters, if (o == "nlm") "p1, p2" else "a, b", info = info)
      expect_true(all(is.na(x$table$se)), info = info)
    }
  }
})

test_that("stationarity outranks curvature: nlminb stopped by iter.max far away is not stationary", {
  pr <- problem_rosenbrock()
  fit <- nlminb(c(x = -1.2, y = 1), pr$fn, control = list(iter.max = 1))
  expect_equal(fit$convergence, 1L)
  x <- check_fit(fit, pr$fn)
  # The Hessian there is indefinite (analytic), and the point is far from stationary.
  expect_lt(min(eigen(pr$hess(fit$par))$values), 0)
  expect_equal(x$verdict, "not_stationary")
  expect_true(all(c("saddle", "not_stationary") %in% x$findings$type))
  expect_gt(max(abs(x$newton$z), na.rm = TRUE), 1)
})

test_that("a parameter fn does not depend on is not identified, with no division by ~0", {
  set.seed(1)
  z <- rnorm(200)
  mix <- function(p) -sum(log(p[1] * dnorm(z, p[2]) + (1 - p[1]) * dnorm(z, p[3])))
  x <- suppressWarnings(check_fit(c(w = 0.3, mu1 = mean(z), mu2 = mean(z)), mix))
  expect_equal(x$verdict, "not_identified")
  f <- x$findings[x$findings$type == "not_identified", ]
  expect_equal(f$parameters[1], "w")
  expect_match(f$message[1], "fn does not depend on w", fixed = TRUE)
  expect_false(any(grepl("e-[0-9]{2} ", x$findings$message)))
  expect_null(x$escape)
  expect_equal(x$table["w", "status"], "NA: fn does not depend on it")
  # Given w, the Hessian of the means at mu1 = mu2 = mean(z) is analytic:
  # n diag(w, 1 - w) - w (1 - w) S [1 -1; -1 1], S = sum((z - mean(z))^2).
  w <- 0.3
  S <- sum((z - mean(z))^2)
  Hm <- 200 * diag(c(w, 1 - w)) - w * (1 - w) * S * matrix(c(1, -1, -1, 1), 2)
  expect_equal(x$table[c("mu1", "mu2"), "se"], sqrt(diag(solve(Hm))), tolerance = 1e-6)
})

test_that("a kink (Laplace likelihood at the sample median) is not smooth, with no SE", {
  set.seed(3)
  y <- rexp(41) - rexp(41)
  lap <- function(p) sum(abs(y - p[1])) / exp(p[2]) + length(y) * p[2]
  m <- median(y)
  x <- check_fit(c(m = m, log_b = log(mean(abs(y - m)))), lap)
  expect_equal(x$verdict, "not_smooth")
  f <- x$findings[x$findings$type == "not_smooth", ]
  expect_equal(f$parameters, "m")
  expect_match(f$message, "Wald standard errors do not apply", fixed = TRUE)
  expect_true(all(is.na(x$table$se)))
})

test_that("refine never increases fn, stops when the steps grow and hints the missing bound", {
  fn <- function(p) p[1] + exp(p[1]) + (p[2] - 1)^2
  x <- check_fit(c(rate = 0, mu = 1), fn, control = list(refine = TRUE))
  expect_equal(x$refine$status, "the Newton steps grow")
  expect_lte(fn(x$par), fn(c(0, 1)))
  f <- x$findings
  expect_match(f$message[f$type == "refine"], "unbounded along the step", fixed = TRUE)
  expect_match(f$message[f$type == "missing_bound"], "lower = c(rate = 0, mu = -Inf)",
               fixed = TRUE)
  # No advice to refine once it has run.
  expect_false(any(grepl("refine = TRUE", f$message[f$type == "not_stationary"])))
  expect_equal(x$verdict, "not_stationary")
})

test_that("fit$hessian is compared at the point optim computed it, not after refinement", {
  # Zero-inflated Poisson with its zero probability on 0 in the fit, refined without
  # bounds: the comparison stays at fit$par, where optim's Hessian is accurate.
  set.seed(5)
  y <- rpois(200, 2)
  nll <- function(p) {
    pz <- p[1]
    lam <- exp(p[2])
    -sum(ifelse(y == 0, log(pz + (1 - pz) * exp(-lam)), log(1 - pz) + dpois(y, lam, log = TRUE)))
  }
  fit <- optim(c(pz = 0.2, loglam = 0), nll, method = "L-BFGS-B", lower = c(0, -Inf),
               upper = c(1, Inf), hessian = TRUE)
  expect_equal(fit$par[["pz"]], 0)
  x <- suppressWarnings(check_fit(fit, nll, control = list(refine = TRUE)))
  expect_gt(x$refine$steps, 0L)
  expect_lt(x$fit_hessian$difference, 1e-3)
  expect_match(x$findings$message[x$findings$type == "fit_hessian"], "before refinement",
               fixed = TRUE)
  msg <- x$findings$message[x$findings$type == "missing_bound"]
  expect_match(msg, "lower = c(pz = 0, loglam = -Inf)", fixed = TRUE)
  # Following the advice: pz is on its bound, the SE of loglam is computed with pz held
  # there (analytic: a Poisson sample, 1 / sqrt(sum(y))), and nothing is missing.
  lower <- eval(parse(text = regmatches(msg, regexpr("c\\(pz = 0, loglam = -Inf\\)", msg))))
  y2 <- check_fit(fit, nll, lower = lower, upper = c(1, Inf))
  expect_equal(y2$verdict, "at_bound")
  expect_equal(unname(y2$at_bound), c(-1L, 0L))
  expect_false("missing_bound" %in% y2$findings$type)
  expect_equal(y2$table["loglam", "se"], 1 / sqrt(sum(y)), tolerance = 1e-6)
})

test_that("the ndeps advice parses and brings optimHess's error below 1e-6", {
  pr <- problem_logistic(k = 3, n = 400, seed = 21)
  sc <- c(1, 1e4, 1e-3)       # covariates on very different scales
  X <- sweep(pr$X, 2, sc, "/")
  fn <- function(b) {
    eta <- drop(X %*% b)
    sum(log1p(exp(-abs(eta))) + pmax(eta, 0)) - sum(pr$y * eta)
  }
  H <- function(b) { p <- plogis(drop(X %*% b)); crossprod(X * (p * (1 - p)), X) }
  b <- setNames(pr$par * sc, c("(Intercept)", "x 1", "x2"))
  x <- check_fit(b, fn)
  msg <- x$findings$message[x$findings$type == "scaling"]
  expect_length(msg, 1L)
  call <- regmatches(msg, regexpr("control = list\\(ndeps = c\\(.*?\\)\\)", msg, perl = TRUE))
  expect_match(call, "`(Intercept)` = ", fixed = TRUE)
  ctrl <- eval(parse(text = sub("^control = ", "", call)))
  rel <- function(Hh) max(abs(Hh - H(b)) / sqrt(outer(diag(H(b)), diag(H(b)))))
  expect_gt(rel(optimHess(b, fn)), 1e-3)
  expect_lt(rel(optimHess(b, fn, control = ctrl)), 1e-6)
})

test_that("bootstrap and coverage are refused at unusable verdicts unless forced", {
  gate <- hesscheck:::require_usable_verdict
  x <- check_fit(c(a = 0, b = 0), function(p) p[1]^2 - 3 * p[2]^2)
  expect_error(gate(x, FALSE, "bootstrap_se"), class = "hesscheck_error_bad_verdict")
  expect_error(gate(x, FALSE, "bootstrap_se"), "saddle", fixed = TRUE)
  expect_identical(gate(x, TRUE, "bootstrap_se"), x)
  y <- check_fit(c(a = 1, b = 2), function(p) sum((p - c(1, 2))^2))
  expect_identical(gate(y, FALSE, "coverage_check"), y)
})

test_that("vcov's warning words the point in English", {
  x <- check_fit(c(a = 0, b = 0), function(p) p[1]^2 - 3 * p[2]^2)
  expect_warning(vcov(x), "the point is a saddle point", class = "hesscheck_warning_no_vcov")
})

test_that("printed output is pinned", {
  local_reproducible_output(width = 100)
  pr <- problem_mixture()
  fit <- optim(c(mu1 = 0.1, mu2 = 0.1), pr$fn, y = pr$y, method = "BFGS")
  fn <- function(p) sum((datasets::cars$dist - p[1] * p[2] * datasets::cars$speed^2)^2)
  # distinct eigenvalues (0.5 and 1.5 on the scaled problem): equal ones have no order
  q <- function(p) { z <- (p - c(0, 2)) / c(1, 2); (z[1]^2 + z[2]^2 + z[1] * z[2]) / 2 }
  # Counts of evaluations and error estimates belong to the Hessian engine, not to the
  # wording pinned here (an exact zero there is 0 or 1e-17 depending on the steps).
  scrub <- function(lines) {
    lines <- gsub("evaluated fn [0-9]+ times", "evaluated fn N times", lines)
    lines <- gsub("(Largest Newton step:) [^;]+;", "\\1 <tiny>;", lines)
    lines <- gsub("(scaled gradient:) [^;]+;", "\\1 <tiny>;", lines)
    gsub("[0-9.]+e-(0[7-9]|[1-9][0-9])", "<tiny>", lines)
  }
  expect_snapshot(transform = scrub, {
    check_fit(fit, pr$fn, y = pr$y)
    check_fit(optim(c(a = 1, b = 1), fn, method = "BFGS"), fn)
    # An exact zero estimated as -6e-11 prints as 0.
    check_fit(c(a = -6e-11, b = 2), q)
    summary(check_fit(c(a = 0, b = 2), q))
  })
})

test_that("an estimate of exactly 0 without a standard error prints no z", {
  # mu on its lower bound at 0: no SE, so no z (it printed "0" from the estimate's text)
  x <- check_fit(c(mu = 0, b = 0), function(p) (p[1] + 1)^2 + p[2]^2, lower = c(0, -Inf))
  row <- grep("^mu ", format(x), value = TRUE)
  expect_match(row, "^mu +0 +NA +NA: on lower bound$")
  expect_match(grep("^b ", format(x), value = TRUE), "^b +0 +0.7071 +0 ")
})

test_that("NIST's Misra1a at its certified values is identified, with the analytic SEs, in any units", {
  x <- c(77.6, 114.9, 141.1, 190.8, 239.9, 289.0, 332.8, 378.4, 434.8, 477.3, 536.8, 593.1,
         689.1, 760.0)
  y <- c(10.07, 14.73, 17.94, 23.93, 29.61, 35.18, 40.02, 44.82, 50.76, 55.05, 61.01, 66.40,
         75.47, 81.78)
  b <- c(b1 = 2.3894212918E+02, b2 = 5.5015643181E-04)
  rss <- function(p) sum((y - p[1] * (1 - exp(-p[2] * x)))^2)
  # Hessian of the residual sum of squares: 2 sum(grad m grad m' - r hess m).
  e <- exp(-b[[2]] * x)
  r <- y - b[[1]] * (1 - e)
  J <- cbind(1 - e, b[[1]] * x * e)
  Hm <- matrix(c(0, sum(r * x * e), sum(r * x * e), -b[[1]] * sum(r * x^2 * e)), 2)
  H <- 2 * (crossprod(J) - Hm)
  s2 <- 1.2455138894E-01 / 12           # certified residual sum of squares / (n - p)
  for (scale in c(1, 1 / (2 * s2), 1e6)) {
    xx <- check_fit(b, function(p) scale * rss(p))
    expect_equal(xx$verdict, "minimum", info = paste("scale", scale))
    expect_lt(max(abs(xx$table$se / sqrt(diag(solve(scale * H))) - 1)), 1e-4)
  }
})

test_that("every call suggested in a finding parses", {
  # The argument suggestions in the messages, with their balanced parentheses.
  calls_in <- function(msg) {
    out <- character()
    for (m in gregexpr("(control|lower|upper) = (list|c)\\(", msg)[[1]]) {
      if (m < 0) next
      depth <- 0
      chars <- strsplit(substring(msg, m), "")[[1]]
      for (j in seq_along(chars)) {
        if (chars[j] == "(") depth <- depth + 1
        if (chars[j] == ")") { depth <- depth - 1; if (depth == 0) break }
      }
      out <- c(out, paste(chars[seq_len(j)], collapse = ""))
    }
    out
  }
  pr <- problem_logistic(k = 3, n = 200, seed = 3)
  X <- sweep(pr$X, 2, c(1, 1e4, 1e-3), "/")
  fn <- function(b) {
    eta <- drop(X %*% b)
    sum(log1p(exp(-abs(eta))) + pmax(eta, 0)) - sum(pr$y * eta)
  }
  odd <- c("(Intercept)", "x`1", "if")
  checks <- list(
    check_fit(setNames(pr$par * c(1, 1e4, 1e-3), odd), fn),
    check_fit(optim(setNames(c(0, 0, 0), odd), fn, method = "BFGS", control = list(maxit = 2)), fn),
    check_fit(setNames(c(0, 1), c("(rate)", "mu")), function(p) p[1] + exp(p[1]) + (p[2] - 1)^2,
              control = list(refine = TRUE)),
    check_fit(c(a = 0, b = 0), function(p) -(p[1]^2 + p[2]^2))
  )
  n <- 0
  for (x in checks) {
    for (msg in x$findings$message) {
      for (cl in calls_in(msg)) {
        n <- n + 1
        expect_silent(parse(text = sub("^[a-z]+ = ", "", cl)))
      }
    }
  }
  expect_gte(n, 4)
})

test_that("a piecewise-constant fn (floor()) is not smooth, with no SE, naming the parameter", {
  set.seed(1)
  y <- rnorm(20, 3)
  fn <- function(p) sum((y - floor(p[1] * 10) / 10)^2) + (p[2] - 1)^2
  H <- suppressWarnings(hessian_fd(fn, c(a = 3.15, b = 1)))
  expect_identical(unname(attr(H, "status")), c("stairs", "ok"))
  x <- check_fit(c(a = 3.15, b = 1), fn)
  expect_identical(x$verdict, "not_smooth")
  f <- x$findings[x$findings$type == "not_smooth", ]
  expect_identical(f$parameters, "a")
  expect_match(f$message, "piecewise constant in a", fixed = TRUE)
  expect_true(all(is.na(x$table$se)))
  # a smooth fn whose values round at tiny steps (1 + v with v = 1e-60) is no staircase
  z <- c(-1.2, 0.3, 0.8, 1.9, -0.4)
  fv <- function(p) -sum(dnorm(z, p[1], sqrt(1 + p[2]), log = TRUE))
  expect_true(all(attr(hessian_fd(fv, c(0.1, 1e-60)), "status") == "ok"))
})

test_that("an exact ridge where fn is 0 is not identified, not ill-conditioned", {
  # fn is exactly 0 along a - b: its rounding there (1e-32, from terms of 1e-16) is no rise
  fn <- function(p) (p[1] + p[2] - 2)^2
  x <- check_fit(c(a = 1, b = 1), fn)
  expect_identical(x$verdict, "not_identified")
  expect_true(all(is.na(x$table$se)))
  expect_match(paste(format(x), collapse = "\n"), "a and b are not separately identified",
               fixed = TRUE)
})
