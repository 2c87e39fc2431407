# The methods of profiles (s3-profile.R): confint() with Wald, profile and bootstrap
# percentile intervals, and plot() of the signed root beside the Wald line.

test_that("confint() gives Wald, profile and bootstrap percentile intervals", {
  e <- exp_fit()
  w <- confint(e$x)
  expect_equal(unname(w[1, ]), e$x$table$estimate + c(-1, 1) * qnorm(0.975) * e$x$table$se)
  expect_equal(unname(confint(e$x, method = "profile")[1, ]), e$exact, tolerance = 1e-7)
  b <- bootstrap_se(e$x, "y", R = 50, seed = 1, progress = FALSE)
  ci <- confint(e$x, method = "bootstrap", bootstrap = b, level = 0.9)
  expect_equal(unname(ci[1, ]), unname(quantile(b$replicates[, 1], c(0.05, 0.95))))
  expect_equal(colnames(ci), c("5 %", "95 %"))
  expect_error(confint(e$x, parm = "nope"), class = "hesscheck_error_bad_parm")
  expect_error(confint(e$x, method = "bootstrap", bootstrap = 1),
               class = "hesscheck_error_bad_bootstrap")
})

test_that("plot() draws the signed root beside the Wald line and returns its data", {
  b <- birthwt_fit()
  pr <- profile_ci(b$x, parm = c("age", "smoke"))
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  d <- plot(pr)
  expect_named(d, c("age", "smoke"))
  expect_true(all(c("value", "z", "wald_z") %in% names(d$age)))
  expect_true(any(d$age$z > 1.96) && any(d$age$z < -1.96))
  expect_equal(nrow(as.data.frame(pr)), 2L)
})
