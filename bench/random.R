# The calibration property of hessian_fd()'s error bounds on random problems with exact
# Hessians (tests/testthat/helper-random.R: kinds of likelihoods, scales and offsets, tiny
# parameters near poles and rates, collinear and zero-curvature directions, noise of five
# shapes, bounds), in f-only and gradient mode; numDeriv::hessian() on the same problems.
#
#   Rscript bench/random.R [--count N] [--seed S]
#
# Per kind and mode: the share of entries (true scaled error > 1e-12) whose bound covers
# the true error, of all and of those whose bound is claimed (not flagged unresolved, and
# off by more than the problem's noise that no probe can see does to the stencils: the
# test's measure, tests/testthat/test-hessian-random.R); entries off by more than 10x their bound (true scaled error > 1e-10) and
# not flagged unresolved (and of those, the ones beyond what the problem's noise that no
# probe can see does to the stencils); entries off by more than 10% of their size (scaled > 1e-6) and
# not flagged; classed errors; false alarms (problems flagged although accurate to 10%);
# median evaluations, against numDeriv's 4(n^2 + n) + 2 and its share of entries within
# 10% (numDeriv gives no bound). The seed is printed, and fresh unless given.
suppressPackageStartupMessages(library(hesscheck))
args <- commandArgs(trailingOnly = TRUE)
opt <- function(name, default) {
  k <- match(name, args)
  if (is.na(k)) default else as.numeric(args[k + 1L])
}
count <- opt("--count", 1150)
seed <- opt("--seed", as.integer(Sys.time()) %% 100000L)
here <- local({
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  if (length(f)) dirname(normalizePath(f)) else "bench"
})
source(file.path(here, "..", "tests", "testthat", "helper-random.R"))
has_nd <- requireNamespace("numDeriv", quietly = TRUE)

cat(sprintf("\n== Random problems: %d problems, seed %d (replay one with random_problem(kind, seed + k)) ==\n",
            count, seed))
problems <- rp_draw(count, seed)
t0 <- proc.time()[["elapsed"]]
sc <- rp_evaluate(problems)
elapsed <- proc.time()[["elapsed"]] - t0

nd <- if (has_nd) do.call(rbind, lapply(problems, function(pb) {
  H <- tryCatch(suppressWarnings(numDeriv::hessian(pb$fn, pb$par)), error = function(e) NULL)
  n <- length(pb$par)
  ok <- if (is.null(H) || !all(is.finite(H))) NA else {
    tr <- abs(H - pb$hessian)
    mean(tr <= 0.1 * rp_scale(pb$hessian))
  }
  data.frame(kind = pb$kind, nd_within10 = ok, nd_evals = 4 * (n^2 + n) + 2)
}))

s <- rp_summary(sc)
hc_ok <- function(d) {
  H <- NULL
  tapply(d$flagged_ok, d$kind, sum)
}
if (has_nd) {
  agg <- aggregate(nd_within10 ~ kind, nd, function(v) mean(v, na.rm = TRUE))
  s$numDeriv_within10 <- agg$nd_within10[match(s$kind, agg$kind)]
}
within10 <- aggregate(cbind(ok = entries - off10 - flagged) ~ kind + mode, sc, sum)
old <- options(width = 200)
print(s, row.names = FALSE, digits = 4)
options(old)

cat("\n== Totals per mode (targets: coverage, of all and claimed, >= 99.5%, miss10 = 0, off10 = 0, errors = 0, false alarms <= 2% of problems) ==\n")
for (m in c("f", "gr")) {
  d <- sc[sc$mode == m, ]
  nde <- if (has_nd) stats::median(nd$nd_evals) else NA
  cat(sprintf("%-2s problems %4d  coverage %.4f (claimed %.4f)  miss10 %d (beyond unseen noise %d)  off10 %d  errors %d  false alarms %d (%.1f%%)  median evaluations %g (numDeriv %g)\n",
              m, nrow(d), sum(d$covered) / sum(d$counted),
              sum(d$covered_claimed) / sum(d$counted_claimed), sum(d$miss10),
              sum(d$miss10_seen), sum(d$off10),
              sum(!is.na(d$error)), sum(d$false_alarm), 100 * mean(d$false_alarm),
              stats::median(d$evals, na.rm = TRUE), nde))
}
bad <- sc[sc$miss10 > 0 | sc$off10 > 0 | !is.na(sc$error), ]
if (nrow(bad)) {
  cat("\nProblems with an unflagged miss or an error (kind, seed, mode):\n")
  print(utils::head(bad[, c("kind", "seed", "mode", "n", "error", "miss10", "miss10_seen", "off10",
                                "worst_miss")], 40),
        row.names = FALSE, digits = 3)
}
cat(sprintf("\n(%.1f s for hessian_fd on all problems and modes)\n", elapsed))
