# check_fit() at the published suite's minima (helper-suite.R: More, Garbow & Hillstrom
# 1981 at x*, likelihoods at their MLEs; exact Hessians from stats::deriv3()): a minimum
# with the exact SEs wherever the exact Hessian is positive definite (banana-shaped
# valleys such as Rosenbrock's included: no false alarm), not identified where singular.

test_that("the suite's minima: verdicts and SEs against the exact Hessians", {
  minima <- Filter(function(pb) grepl("(_xstar|_mle|_exact)$", pb$name), all_suite_problems())
  expect_gte(length(minima), 20)
  for (pb in minima) {
    x <- suppressWarnings(check_fit(pb$par, pb$fn))
    pd <- min(eigen(pb$hessian, symmetric = TRUE, only.values = TRUE)$values) > 0
    if (pd) {
      expect_true(x$verdict %in% c("minimum", "ill_conditioned"), label = pb$name)
      se <- sqrt(diag(solve(pb$hessian)))
      expect_lt(max(abs(x$table$se / se - 1)), 1e-6, label = pb$name)
    } else if (grepl("powell_singular", pb$name)) {
      # a unique minimum at 0 where fn rises at fourth order along the Hessian's null
      # space (Powell's singular function): identified, weakly
      expect_identical(x$verdict, "weakly_identified", label = pb$name)
    } else {
      expect_identical(x$verdict, "not_identified", label = pb$name)
    }
  }
})
