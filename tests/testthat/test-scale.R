# Scale: the C core's memory does not grow with the number of evaluations, and long runs
# at the sizes of the scale bench can be interrupted.

# A convex quadratic plus a cosine term: Hessian A - diag(cos(x)), positive definite.
# `reps` repeats the product inside fn/gr to make each evaluation slower.
scale_problem <- function(n, reps = 1L, seed = 1) {
  set.seed(seed)
  B <- matrix(rnorm(n * 5), n)
  A <- tcrossprod(B) / 5 + 2 * diag(n)
  list(
    fn = function(x) {
      for (r in seq_len(reps)) v <- sum(x * (A %*% x)) / 2 + sum(cos(x))
      v
    },
    gr = function(x) {
      for (r in seq_len(reps)) v <- drop(A %*% x) - sin(x)
      v
    },
    hess = function(x) A - diag(cos(x)),
    par = rnorm(n) / 10
  )
}

test_that("the C core allocates O(n^2) doubles, not one vector per evaluation", {
  skip_if_not(capabilities("profmem"), "R was built without memory profiling")
  small <- scale_problem(20)
  large <- scale_problem(50)
  a_small <- allocations(function() hessian_fd(small$fn, small$par))
  a_large <- allocations(function() hessian_fd(large$fn, large$par))
  h_small <- a_small$res
  h_large <- a_large$res
  ev_small <- attr(h_small, "evaluations")[["fn"]]
  ev_large <- attr(h_large, "evaluations")[["fn"]]
  # Both Hessians are right, and the larger took several times the evaluations ...
  expect_lt(scaled_err(h_small, small$hess(small$par)), 1e-8)
  expect_lt(scaled_err(h_large, large$hess(large$par)), 1e-8)
  expect_gt(ev_large, 5 * ev_small)
  # ... yet under twenty vectors each time (a few are made only on some paths of the
  # step search; the result's elements among them), of at most 4 n^2 doubles in all,
  # plus the fixed workspace of the
  # batches (the searches of a group, each remembering its stencils' estimates for the
  # consistency check and the lines' calibration, a chunk of pairs: about 43 kB,
  # whatever n).
  fixed <- 48 * 1024
  expect_gt(a_small$ncore, 0)
  expect_lte(a_small$ncore, 18)
  expect_lte(a_large$ncore, 18)
  expect_lt(a_small$core, 4 * 8 * 20^2 + fixed)
  expect_lt(a_large$core, 4 * 8 * 50^2 + fixed)

  g <- scale_problem(60)
  a_g <- allocations(function() hessian_fd(g$fn, g$par, gr = g$gr))
  h_g <- a_g$res
  expect_lt(scaled_err(h_g, g$hess(g$par)), 1e-9)
  expect_gt(attr(h_g, "evaluations")[["gr"]], 2 * 60)
  expect_lte(a_g$ncore, 24)
  expect_lt(a_g$core, 8 * 8 * 60^2)
})

test_that("gradient mode on 200 parameters stays within 6.5n gr calls and is accurate", {
  # Parameters near 0 on a unit curvature scale: the first trial steps (relative to
  # |x|) are far too small, the case that used to cost a second full stencil.
  p <- scale_problem(200)
  h <- hessian_fd(p$fn, p$par, gr = p$gr)
  expect_lte(attr(h, "evaluations")[["gr"]], 6.5 * 200)
  expect_lt(scaled_err(h, p$hess(p$par)), 1e-9)
  true <- abs(as.matrix(h) - p$hess(p$par))
  expect_true(mean(attr(h, "error") >= true) >= 0.99)
})

# Runs `expr` under an elapsed-time limit of `limit` seconds (the way a Ctrl-C arrives: as
# a check inside R_CheckUserInterrupt) and returns the condition and the time it took.
interrupted <- function(expr, limit) {
  start <- proc.time()[["elapsed"]]
  setTimeLimit(elapsed = limit, transient = TRUE)
  on.exit(setTimeLimit(elapsed = Inf))
  cond <- tryCatch({
    force(expr)
    NULL
  }, error = function(e) e)
  setTimeLimit(elapsed = Inf)
  list(cond = cond, took = proc.time()[["elapsed"]] - start)
}

test_that("hessian_fd() and check_fit() at the scale-bench sizes stop at a time limit", {
  # Uninterrupted, each of these would run for over 30 s (gradient mode: ~5n gr calls of
  # ~12 ms; f only: ~2n^2 fn calls of ~2 ms; check_fit: ~5n gr calls of ~35 ms). The
  # limit is met at the first interrupt check after 0.5 s: R's evaluator checks every
  # ~1000 evaluations inside fn, the C core every 128 calls of fn or gr. Either way the
  # call must stop within seconds, as it does for Ctrl-C.
  limit_msg <- gettext("reached elapsed time limit", domain = "R")
  g <- scale_problem(500, reps = 80L)
  r <- interrupted(hessian_fd(g$fn, g$par, gr = g$gr), 0.5)
  # R's own error, passed on unchanged: no blame on fn or gr.
  expect_s3_class(r$cond, "error")
  expect_equal(conditionMessage(r$cond), limit_msg)
  expect_lt(r$took, 10)

  f <- scale_problem(100, reps = 200L)
  r <- interrupted(hessian_fd(f$fn, f$par), 0.5)
  expect_equal(conditionMessage(r$cond), limit_msg)
  expect_lt(r$took, 10)

  cf <- scale_problem(200, reps = 1200L)
  r <- interrupted(check_fit(cf$par, cf$fn, gr = cf$gr), 0.5)
  expect_equal(conditionMessage(r$cond), limit_msg)
  expect_lt(r$took, 10)

  # Nothing is left behind: the next call works and is right.
  p <- scale_problem(5)
  expect_lt(scaled_err(hessian_fd(p$fn, p$par), p$hess(p$par)), 1e-8)
})

test_that("a time limit stops bootstrap_se() and coverage_check() instead of failing replicates", {
  # R clears a time limit as it signals it: a replicate that swallowed the error would
  # let the remaining replicates run on without limit.
  set.seed(1)
  y <- rnorm(30)
  nll <- function(p, y) -sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
  # at the MLE (sd() divides by n - 1: its log is not stationary, and the replicate
  # functions would refuse it)
  x <- check_fit(c(mean(y), log(sqrt(mean((y - mean(y))^2)))), nll, y = y)
  expect_identical(x$verdict, "minimum")
  slow <- function(data, start) {
    Sys.sleep(0.05)
    c(mean(data), log(sd(data)))
  }
  limit_msg <- gettext("reached elapsed time limit", domain = "R")
  r <- interrupted(bootstrap_se(x, "y", R = 200, refit = slow, seed = 1, progress = FALSE),
                   0.3)
  expect_equal(conditionMessage(r$cond), limit_msg)
  expect_lt(r$took, 5)
  sim <- function(par, data) {
    Sys.sleep(0.05)
    rnorm(length(data), par[1], exp(par[2]))
  }
  r <- interrupted(coverage_check(x, "y", sim, R = 200, seed = 1, progress = FALSE), 0.3)
  expect_equal(conditionMessage(r$cond), limit_msg)
  expect_lt(r$took, 5)
})
