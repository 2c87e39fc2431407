# A reduced set of calls under gctorture(TRUE): a missing PROTECT in the C core shows up
# as a crash or a wrong number here. Every result is checked against its analytic value.
library(hesscheck)
calls <- 0L
check <- function(label, expr, ok) {
  gctorture(TRUE)
  res <- tryCatch(expr, error = function(e) e)
  gctorture(FALSE)
  calls <<- calls + 1L
  if (!ok(res)) stop(sprintf("gctorture: %s gave a wrong result", label))
  cat(sprintf("gctorture: %-40s ok\n", label))
}
cubic <- function(p) 2 * p[2] * p[1]^4 + 2 * p[2]^3 + 2 * p[1] * p[3]^3
cubic_gr <- function(p) c(8 * p[2] * p[1]^3 + 2 * p[3]^3, 2 * p[1]^4 + 6 * p[2]^2,
                          6 * p[1] * p[3]^2)
H <- matrix(c(48, 8, 54, 8, 24, 0, 54, 0, 36), 3)
close <- function(h, tol) max(abs(as.matrix(h) - H) / sqrt(outer(diag(H), diag(H)))) < tol
check("hessian_fd, f only", hessian_fd(cubic, c(1, 2, 3)), function(h) close(h, 1e-8))
check("hessian_fd, gradient", hessian_fd(cubic, c(1, 2, 3), gr = cubic_gr),
      function(h) close(h, 1e-9))
check("hessian_fd, at bounds", hessian_fd(cubic, c(1, 2, 3), lower = c(1, 2, 3)),
      function(h) close(h, 1e-6))
kept <- list()
check("hessian_fd, fn keeps its argument",
      hessian_fd(function(p) { kept[[length(kept) + 1L]] <<- p; sum(p^2) }, c(1, 2)),
      function(h) max(abs(as.matrix(h) - diag(2, 2))) < 1e-8)
check("hessian_fd, fn fails midway",
      hessian_fd(function(p) if (p[1] > 1.0001) stop("boom") else sum(p^2), c(1, 2)),
      function(e) inherits(e, "hesscheck_error_fn_failed"))
check("hessian_fd, fn returns a vector midway",
      hessian_fd(function(p) if (p[2] > 2.0001) c(1, 2) else sum(p^2), c(1, 2)),
      function(e) inherits(e, "hesscheck_error_bad_fn_value"))
check("hessian_fd, fn infinite beyond a wall",
      hessian_fd(function(p) if (p[1] > 1.00001) Inf else sum(p^2), c(1, 2)),
      function(h) max(abs(as.matrix(h) - diag(2, 2))) < 1e-6)
check("hessian_fd, fn stays non-finite",
      hessian_fd(function(p) if (identical(p, c(1, 2))) 1 else NaN, c(1, 2)),
      function(e) inherits(e, "hesscheck_error_nonfinite"))
sad <- function(p) p[1]^2 - 3 * p[2]^2
check("check_fit, saddle", check_fit(c(a = 0, b = 0), sad),
      function(x) x$verdict == "saddle" && abs(x$eigen$values[1] + 1) < 1e-8)
nll <- function(p, y) -sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
y <- c(-1.2, 0.3, 0.8, 2.1, -0.4, 1.6)
mle <- c(mu = mean(y), ls = log(sqrt(mean((y - mean(y))^2))))
se <- c(exp(mle[[2]]) / sqrt(6), 1 / sqrt(12))
check("check_fit, normal MLE", check_fit(mle, nll, y = y),
      function(x) max(abs(x$table$se / se - 1)) < 1e-7)
check("check_fit, refine from a nearby point",
      check_fit(mle + c(0.01, -0.01), nll, y = y, control = list(refine = TRUE)),
      function(x) max(abs(x$par - mle)) < 1e-6 && max(abs(x$table$se / se - 1)) < 1e-6)
x <- check_fit(mle, nll, y = y)
check("compare_se, sandwich scores",
      compare_se(x, fn_obs = function(p, y) -dnorm(y, p[1], exp(p[2]), log = TRUE),
                 numderiv = FALSE),
      function(cs) all(is.finite(cs$se[, "sandwich"])))
cat(sprintf("gctorture: %d calls passed\n", calls))
