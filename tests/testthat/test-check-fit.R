test_that("a saddle that optim reports as converged is named along mu1 - mu2", {
  pr <- problem_mixture()
  fit <- optim(c(mu1 = 0.1, mu2 = 0.1), pr$fn, y = pr$y, method = "BFGS")
  expect_equal(fit$convergence, 0L)
  x <- check_fit(fit, pr$fn, y = pr$y)
  expect_s3_class(x, "hesscheck")
  expect_equal(x$verdict, "saddle")
  sad <- x$findings[x$findings$type == "saddle", ]
  expect_equal(nrow(sad), 1L)
  expect_equal(sad$parameters, "mu1, mu2")
  expect_match(sad$message, "fn decreases along mu1 - mu2", fixed = TRUE)
  expect_true(all(is.na(x$table$se)))
  expect_true(all(x$table$status == "NA: saddle"))
  # The restart point is lower, and optim from there separates the components.
  expect_gt(x$escape$decrease, 0)
  expect_equal(x$escape$value, pr$fn(x$escape$par, pr$y))
  expect_lt(x$escape$value, fit$value)
  refit <- optim(x$escape$par, pr$fn, y = pr$y, method = "BFGS")
  expect_gt(abs(diff(refit$par)), 3)
  expect_equal(check_fit(refit, pr$fn, y = pr$y)$verdict, "minimum")
  expect_warning(v <- vcov(x), class = "hesscheck_warning_no_vcov")
  expect_true(all(is.na(v)))
})

test_that("the classification of x^2 - y^2 and -(x^2 + y^2) at 0 is analytic", {
  x <- check_fit(c(a = 0, b = 0), function(p) p[1]^2 - 3 * p[2]^2)
  expect_equal(x$verdict, "saddle")
  expect_equal(x$eigen$values, c(-1, 1), tolerance = 1e-8)
  expect_match(x$findings$message[1], "fn decreases along b", fixed = TRUE)
  y <- check_fit(c(a = 0, b = 0), function(p) -(p[1]^2 + 2 * p[2]^2 + p[1] * p[2]))
  expect_equal(y$verdict, "maximum")
  expect_match(y$findings$message[1], "pass fnscale = -1", fixed = TRUE)
})

test_that("two collinear columns are named as not separately identified", {
  pr <- problem_collinear()
  fit <- optim(c(int = 0, lwt = 0, lwt2 = 0, age = 0), pr$fn, method = "BFGS")
  x <- check_fit(fit, pr$fn)
  expect_equal(x$verdict, "not_identified")
  flat <- x$findings[x$findings$type == "not_identified", ]
  expect_equal(flat$parameters, "lwt, lwt2")
  expect_match(flat$message, "lwt and lwt2 are not separately identified (only lwt + lwt2 is)",
               fixed = TRUE)
  # int and age, orthogonal to the flat direction, keep their SEs: those of the model
  # without lwt2, (X'X)^-1 (fn is half the residual sum of squares)
  expect_identical(is.na(x$table$se), c(FALSE, TRUE, TRUE, FALSE))
  Xr <- pr$X[, c("int", "lwt", "age")]
  se_r <- sqrt(diag(solve(crossprod(Xr))))
  expect_equal(x$table$se[c(1, 4)], unname(se_r[c(1, 3)]), tolerance = 1e-6)
  expect_identical(x$table$status[1], "estimable (off the flat directions)")
  expect_null(x$vcov)
})

test_that("at the MLE of a logistic regression the SEs equal glm's to 1e-6", {
  pr <- problem_logistic(k = 6, n = 400, seed = 7)
  X <- pr$X
  g <- suppressWarnings(glm(pr$y ~ X - 1, family = binomial()))
  se_glm <- sqrt(diag(vcov(g)))
  x <- check_fit(unname(coef(g)), pr$fn)
  expect_equal(x$verdict, "minimum")
  expect_lt(max(abs(x$table$se / se_glm - 1)), 1e-6)
  xg <- check_fit(unname(coef(g)), pr$fn, gr = pr$gr)
  expect_lt(max(abs(xg$table$se / se_glm - 1)), 1e-6)
})

test_that("optim, nlminb and nlm results are all read, with names or without", {
  pr <- problem_logistic(k = 4, n = 300, seed = 5)
  se <- sqrt(diag(solve(pr$hess(pr$par))))
  fo <- optim(c(a = 0, b = 0, c = 0, d = 0), pr$fn, pr$gr, method = "BFGS",
              control = list(reltol = 1e-14))
  fb <- nlminb(c(a = 0, b = 0, c = 0, d = 0), pr$fn, pr$gr)
  fl <- suppressWarnings(nlm(pr$fn, c(0, 0, 0, 0), hessian = TRUE, gradtol = 1e-10))
  xo <- check_fit(fo, pr$fn)
  xb <- check_fit(fb, pr$fn)
  xl <- check_fit(fl, pr$fn)
  expect_equal(c(xo$optimizer, xb$optimizer, xl$optimizer), c("optim", "nlminb", "nlm"))
  for (x in list(xo, xb, xl)) {
    expect_equal(x$verdict, "minimum")
    expect_equal(unname(x$table$se), unname(se), tolerance = 1e-5)
  }
  expect_equal(rownames(xo$table), c("a", "b", "c", "d"))
  expect_equal(names(coef(xb)), c("a", "b", "c", "d"))
  expect_equal(rownames(xl$table), paste0("p", 1:4))
  expect_false(is.null(xl$fit_hessian))
  expect_equal(dimnames(vcov(xo)), list(c("a", "b", "c", "d"), c("a", "b", "c", "d")))
})

test_that("no false alarm on 20 well-posed random problems of up to 30 parameters", {
  ks <- c(2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 2, 3, 5, 7, 9, 11, 14, 18, 25, 30)
  for (r in seq_along(ks)) {
    pr <- problem_random_convex(ks[r], seed = 100 + r)
    x <- check_fit(pr$par, pr$fn)
    expect_equal(x$verdict, "minimum", info = paste("problem", r))
    expect_equal(nrow(x$findings), 0L, info = paste(r, paste(x$findings$message)))
    se <- sqrt(diag(solve(pr$hess)))
    expect_lt(max(abs(x$table$se / se - 1)), 1e-6)
  }
})

test_that("bad fits and arguments get classed errors before any work", {
  fn <- function(p) sum(p^2)
  expect_error(check_fit(list(value = 1), fn), class = "hesscheck_error_bad_fit")
  expect_error(check_fit("a", fn), class = "hesscheck_error_bad_fit")
  expect_error(check_fit(list(par = c(1, NA)), fn), class = "hesscheck_error_bad_par")
  expect_error(check_fit(list(par = numeric()), fn), class = "hesscheck_error_bad_par")
  expect_error(check_fit(list(par = c(1, 2), hessian = diag(3)), fn),
               class = "hesscheck_error_bad_fit")
  expect_error(check_fit(list(par = c(1, 2), hessian = matrix("a", 2, 2)), fn),
               class = "hesscheck_error_bad_fit")
  expect_error(check_fit(c(1, 2), "fn"), class = "hesscheck_error_bad_function")
  expect_error(check_fit(c(1, 2), fn, fnscale = 0), class = "hesscheck_error_bad_fnscale")
  expect_error(check_fit(c(1, 2), fn, control = list(refne = TRUE)),
               class = "hesscheck_error_bad_control")
  expect_error(check_fit(c(1, 2), fn, control = list(refine = NA)),
               class = "hesscheck_error_bad_control")
  expect_error(check_fit(c(1, 2), fn, lower = c(0, 0, 0)), class = "hesscheck_error_bad_bounds")
  expect_error(check_fit(c(1, 2), function(p) c(1, 2)), class = "hesscheck_error_bad_fn_value")
  # Wrong length: fn indexes a parameter the fit does not have.
  expect_error(check_fit(c(1, 2), function(p) p[1] + p[3]),
               class = "hesscheck_error_bad_fn_value")
  expect_error(check_fit(c(1, 2), function(p) stop("boom")), class = "hesscheck_error_fn_failed")
})

test_that("an optimiser stopped by its iteration limit is told to raise it; the advice runs", {
  pr <- problem_logistic(k = 4)
  fn <- pr$fn
  start <- c(b0 = 0, b1 = 0, b2 = 0, b3 = 0)
  # The setting the advice names, as R code: "e.g. <code>, or ..." / "e.g. <code>."
  advised <- function(x, limit) {
    f <- x$findings
    msg <- f$message[f$type == "not_stationary"]
    expect_length(msg, 1L)
    expect_match(msg, sprintf("with a larger %s (it stopped at that limit), e.g. ", limit),
                 fixed = TRUE)
    code <- sub("(, or use .*|\\.)$", "", sub(".*, e\\.g\\. ", "", msg))
    eval(str2lang(sprintf("list(%s)", code)))
  }
  # optim's maxit
  f1 <- suppressWarnings(optim(start, fn, method = "BFGS", control = list(maxit = 3)))
  expect_identical(f1$convergence, 1L)
  x1 <- check_fit(f1, fn)
  args <- advised(x1, "maxit")
  expect_identical(args, list(control = list(maxit = 1000)))
  refit <- do.call(optim, c(list(x1$par, fn, method = "BFGS"), args))
  expect_verdict(check_fit(refit, fn), "minimum")
  # nlminb's iter.max
  f2 <- nlminb(start, fn, control = list(iter.max = 2))
  expect_match(f2$message, "iteration limit")
  x2 <- check_fit(f2, fn)
  refit <- do.call(nlminb, c(list(x2$par, fn), advised(x2, "iter.max")))
  expect_verdict(check_fit(refit, fn), "minimum")
  # nlm's iterlim
  f3 <- suppressWarnings(nlm(function(p) fn(p), start, iterlim = 2))
  expect_identical(f3$code, 4L)
  x3 <- check_fit(f3, fn)
  refit <- do.call(nlm, c(list(function(p) fn(p), x3$par), advised(x3, "iterlim")))
  expect_verdict(check_fit(refit, fn), "minimum")
  # stopped short by its tolerance: a tighter tolerance, and no limit named
  f4 <- optim(start, fn, method = "BFGS", control = list(reltol = 1e-2))
  x4 <- check_fit(f4, fn)
  expect_identical(f4$convergence, 0L)
  msg <- x4$findings$message[x4$findings$type == "not_stationary"]
  expect_match(msg, "with a tighter tolerance, or use control = list(refine = TRUE).",
               fixed = TRUE)
  refit <- optim(x4$par, fn, method = "BFGS", control = list(reltol = 1e-12))
  expect_verdict(check_fit(refit, fn), "minimum")
  # no jargon in the finding: the distance in standard errors is what it says
  expect_false(grepl("lme4", msg))
})

test_that("a curved ridge is worded without jargon", {
  # the finding for a direction whose fn rises only because the flat valley bends away
  # from the straight line (cl$ridge), as the classification hands it over
  cl <- list(no_dependence = c(FALSE, FALSE), values = c(1e-12, 2), sign = c(0L, 1L),
             kink = c(FALSE, FALSE), vectors = cbind(c(2, -3), c(3, 2)) / sqrt(13),
             scale = c(1, 1), free = 1:2, profiles = list(list(shape = "rising4"), NULL),
             ridge = c(TRUE, FALSE), uncertainty = c(1e-12, 1e-12),
             source = c("fn", "hessian"))
  ctx <- list(cl = cl, nm = c("a", "b"), fnm = c("a", "b"), fx = "fn",
              th = hesscheck:::hc_thresholds, par = c(a = 2, b = 3),
              verdict = "not_identified")
  f <- hesscheck:::finding_not_identified(ctx)
  expect_length(f, 1L)
  msg <- f[[1L]]$message
  expect_false(grepl("fourth-order|swamped", msg))
  expect_snapshot(cat(msg))
})

test_that("fn's own arguments may share a name with check_fit()'s internals", {
  # fn's arguments reach the evaluator bound in a closure, so names such as `tick` or
  # `runner` (formals of the internal make_fx()) are fn's, not taken for make_fx()'s
  fn <- function(p, tick, runner) sum((p - tick)^2) + runner * (p[1] - tick[1])^4
  x <- check_fit(c(a = 1, b = 2), fn, tick = c(1, 2), runner = 1)
  expect_identical(x$verdict, "minimum")
  expect_equal(unname(x$table$se), rep(sqrt(1 / 2), 2), tolerance = 1e-6)
})
