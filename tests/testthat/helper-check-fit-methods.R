# The verdict vocabulary the class-method tests use, in one place: if check_fit() renames
# a verdict (e.g. "singular" to "not_identified"), change it here only.
verdict_names <- c(minimum = "minimum", saddle = "saddle", maximum = "maximum",
                   not_identified = "not_identified", not_stationary = "not_stationary",
                   at_bound = "at_bound", ill_conditioned = "ill_conditioned",
                   no_finite_estimate = "no_finite_estimate", unbounded = "unbounded",
                   weakly_identified = "weakly_identified", too_noisy = "too_noisy",
                   not_smooth = "not_smooth")

expect_verdict <- function(x, verdict) {
  expect_identical(x$verdict, verdict_names[[verdict]])
}

# Largest relative difference between two vectors of standard errors.
rel_diff <- function(a, b) max(abs(a / b - 1))
