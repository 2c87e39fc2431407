# findings.R: the wording of directions and advice, against what they must be (a linear
# combination read back, R code that parses and runs), and a snapshot of the findings of
# small real cases with known answers.

test_that("a direction is worded as the combination it is, in the original units", {
  fc <- hesscheck:::format_combo
  # v in scaled coordinates, u in the original units: mu1 - mu2, lead coefficient 1
  expect_identical(fc(c(1, -1) / sqrt(2), c(1, -1), c("mu1", "mu2"))$text, "mu1 - mu2")
  # a + 0.5 b: the coefficients relative to the largest, first sign positive
  out <- fc(c(-2, -1) / sqrt(5), c(-2, -1), c("a", "b"))
  expect_identical(out$text, "a + 0.5 b")
  expect_identical(out$parameters, c("a", "b"))
  # a share below min_share leaves a parameter out
  expect_identical(fc(c(1, 0.1, 0), c(1, 0.1, 0), c("a", "b", "c"))$text, "a")
})

test_that("names in advice are R code, and SEs come from the Hessian's inverse", {
  rn <- hesscheck:::r_name
  nm <- c("a", "(Intercept)", "x`y")
  expect_identical(rn(nm), c("a", "`(Intercept)`", "`x\\`y`"))
  code <- sprintf("c(%s)", paste0(rn(nm), " = ", 1:3, collapse = ", "))
  expect_identical(eval(parse(text = code)), stats::setNames(c(1, 2, 3), nm))

  H <- matrix(c(4, 1, 1, 2), 2)
  se <- hesscheck:::se_from_hessian(H, 1:2)
  expect_equal(se, sqrt(diag(solve(H))), tolerance = 1e-14)
  expect_identical(hesscheck:::se_from_hessian(-H, 1:2), c(NA_real_, NA_real_))
  expect_identical(nrow(hesscheck:::findings_frame(list())), 0L)
})

test_that("an optimiser's iteration limit is advised as a setting that runs", {
  il <- hesscheck:::iteration_limit
  for (opt in c("optim", "nlminb", "nlm")) {
    info <- switch(opt,
      optim = list(optimizer = "optim", convergence = 1L, message = NULL),
      nlminb = list(optimizer = "nlminb", convergence = 1L, message = "iteration limit reached without convergence (10)"),
      nlm = list(optimizer = "nlm", convergence = 4L, message = "iteration limit exceeded"))
    lim <- il(info)
    if (is.null(lim)) next
    ctrl <- eval(parse(text = paste0("list(", lim$code, ")")))
    f <- function(p) sum((p - 1)^2)
    res <- switch(opt,
      optim = do.call(optim, c(list(c(0, 0), f, method = "BFGS"), ctrl)),
      nlminb = do.call(nlminb, c(list(c(0, 0), f), ctrl)),
      nlm = do.call(nlm, c(list(f, c(0, 0)), ctrl)))
    expect_false(is.null(res), label = opt)
  }
  expect_null(il(list(optimizer = "optim", convergence = 0L, message = NULL)))
})

test_that("the findings of small cases with known answers are worded", {
  # a saddle (-1 along b), a maximum, a parameter fn ignores, data that know only a + b,
  # a bound
  set.seed(2)
  y <- rnorm(30, 2)
  m <- mean(y)
  cases <- list(
    saddle = check_fit(c(a = 0, b = 0), function(p) p[1]^2 - p[2]^2),
    maximum = check_fit(c(a = 0, b = 0), function(p) -p[1]^2 - 2 * p[2]^2),
    ignored = check_fit(c(a = 1, b = 2), function(p) (p[1] - 1)^2),
    ridge = check_fit(c(a = m / 2, b = m / 2),
                      function(p, y) -sum(dnorm(y, p[1] + p[2], 1, log = TRUE)), y = y),
    bound = check_fit(c(a = 0, b = 1), function(p) p[1] + (p[2] - 1)^2, lower = c(0, -Inf))
  )
  for (nm in names(cases)) {
    x <- cases[[nm]]
    # (a flat direction's curvature is 0 or -0 as rounding has it)
    expect_snapshot(cat(nm, x$verdict, x$findings$message, sep = "\n"),
                    transform = function(l) gsub("-0 ", "0 ", l, fixed = TRUE))
  }
})
