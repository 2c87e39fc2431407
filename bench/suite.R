# External accuracy suite: hessian_fd() (f only and with gr), numDeriv::hessian() and
# stats::optimHess() on the More-Garbow-Hillstrom problems and a few likelihoods, each
# with an exact Hessian from stats::deriv3() (tests/testthat/helper-suite.R).
#
#   Rscript bench/suite.R            (from the repository root, or from anywhere)
#
# For each problem: the worst scaled error |Hhat - H| / sqrt(d_i d_j) of each method;
# for hesscheck the share of entries whose reported error attr(H, "error") covers the
# true error, and the worst ratio true / reported error among entries whose true scaled
# error exceeds 1e-10; the number of evaluations. Then a summary per mode.
# A failing method on one problem is reported and the run goes on.
suppressPackageStartupMessages(library(hesscheck))
has_numderiv <- requireNamespace("numDeriv", quietly = TRUE)
if (!has_numderiv) cat("numDeriv is not installed: its columns are NA\n")

here <- local({
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  if (length(f)) dirname(normalizePath(f[1])) else file.path(getwd(), "bench")
})
helper <- file.path(here, "..", "tests", "testthat", "helper-suite.R")
if (!file.exists(helper)) helper <- file.path("tests", "testthat", "helper-suite.R")
source(helper)

# Thresholds of the summary.
suite_tol <- c(f = 1e-8, gr = 1e-9, numDeriv = 1e-8, optimHess = 1e-8)
suite_floor <- 1e-10   # true scaled errors below this are not counted as misses

counted <- function(f) {
  env <- new.env()
  env$n <- 0L
  list(f = function(...) { env$n <- env$n + 1L; f(...) }, count = function() env$n)
}

# One method on one problem. Returns list(H, error_est, evals, cls, msg, time).
suite_run_one <- function(pb, mode) {
  cf <- counted(pb$fn)
  cg <- counted(pb$gr)
  t0 <- proc.time()[["elapsed"]]
  out <- tryCatch({
    H <- switch(mode,
      f = hesscheck::hessian_fd(cf$f, pb$par),
      gr = hesscheck::hessian_fd(cf$f, pb$par, gr = cg$f),
      numDeriv = if (has_numderiv) numDeriv::hessian(cf$f, pb$par) else
        stop("numDeriv is not installed"),
      optimHess = stats::optimHess(pb$par, cf$f),
      stop("unknown mode ", mode))
    list(H = H, cls = NA_character_, msg = NA_character_)
  }, error = function(e) {
    cls <- setdiff(class(e), c("error", "condition", "simpleError"))
    list(H = NULL, cls = if (length(cls)) paste(cls, collapse = "/") else "error",
         msg = conditionMessage(e))
  })
  out$time <- proc.time()[["elapsed"]] - t0
  out$calls_fn <- cf$count()
  out$calls_gr <- cg$count()
  out
}

# Per-problem report of one mode: a data frame with one row per problem.
#   scaled_err  worst suite_scaled_error() over all entries
#   covered     share of the n^2 entries with reported error >= true absolute error
#               (hesscheck modes only)
#   n_miss10    entries with true error > 10 x reported and true scaled error > 1e-10
#   worst_ratio max true / reported error over entries with true scaled error > 1e-10
#   n_sig, n_sig_covered  entries with true scaled error > 1e-10, and how many of them
#               have reported error >= true error
#   evals_fn, evals_gr   attr(H, "evaluations") for hesscheck, counted calls otherwise
#   calls_fn, calls_gr   calls counted by a wrapper (all methods)
#   class, message       of an error raised (NA if none)
suite_report <- function(problems, mode = c("f", "gr", "numDeriv", "optimHess")) {
  mode <- match.arg(mode)
  rows <- lapply(problems, function(pb) {
    r <- suite_run_one(pb, mode)
    n <- length(pb$par)
    row <- data.frame(name = pb$name, n = n, mode = mode, scaled_err = NA_real_,
                      covered = NA_real_, n_entries = n * n, n_miss10 = NA_integer_,
                      worst_ratio = NA_real_, n_sig = NA_integer_,
                      n_sig_covered = NA_integer_, evals_fn = NA_real_, evals_gr = NA_real_,
                      calls_fn = r$calls_fn, calls_gr = r$calls_gr, time = r$time,
                      class = r$cls, message = r$msg, stringsAsFactors = FALSE)
    if (is.null(r$H)) return(row)
    H <- unname(as.matrix(r$H))
    Ht <- unname(as.matrix(pb$hessian))
    if (!identical(dim(H), dim(Ht)) || !all(is.finite(H))) {
      row$class <- "bad_result"
      row$message <- "non-finite or wrongly shaped result"
      return(row)
    }
    sc <- suite_scaled_error(H, Ht)
    row$scaled_err <- max(sc)
    true_abs <- abs(H - Ht)
    if (mode %in% c("f", "gr")) {
      est <- unname(as.matrix(attr(r$H, "error")))
      big <- sc > suite_floor
      row$covered <- mean(est >= true_abs)
      row$n_miss10 <- sum(big & true_abs > 10 * est)
      row$worst_ratio <- if (any(big)) max(true_abs[big] / est[big]) else 0
      row$n_sig <- sum(big)
      row$n_sig_covered <- sum(big & est >= true_abs)
      ev <- attr(r$H, "evaluations")
      row$evals_fn <- ev[["fn"]]
      row$evals_gr <- ev[["gr"]]
    } else {
      row$evals_fn <- r$calls_fn
      row$evals_gr <- 0
    }
    row
  })
  do.call(rbind, rows)
}

# Summary of one mode's report.
suite_summary <- function(rep, tol) {
  ok <- is.na(rep$class)
  hc <- rep$mode[1] %in% c("f", "gr")
  excl <- grepl("badly_scaled", rep$name)
  data.frame(
    mode = rep$mode[1],
    problems = nrow(rep),
    failed = sum(!ok),
    covered = if (hc) sum(rep$covered[ok] * rep$n_entries[ok]) / sum(rep$n_entries[ok])
              else NA,
    entries = sum(rep$n_entries[ok]),
    covered_sig = if (hc) sum(rep$n_sig_covered[ok]) / max(1, sum(rep$n_sig[ok])) else NA,
    entries_sig = if (hc) sum(rep$n_sig[ok]) else NA,
    miss10 = if (hc) sum(rep$n_miss10[ok]) else NA,
    worst_ratio = if (hc) suppressWarnings(max(rep$worst_ratio[ok])) else NA,
    worst_err = suppressWarnings(max(rep$scaled_err[ok])),
    worst_err_excl_bs = suppressWarnings(max(rep$scaled_err[ok & !excl])),
    median_err = stats::median(rep$scaled_err[ok]),
    tol = tol,
    above_tol = sum(rep$scaled_err[ok] > tol),
    evals = sum(rep$evals_fn[ok] + rep$evals_gr[ok]),
    stringsAsFactors = FALSE
  )
}

# ------------------------------------------------------------------------------------
problems <- all_suite_problems()
modes <- c("f", "gr", "numDeriv", "optimHess")
reports <- lapply(stats::setNames(modes, modes), function(m) suite_report(problems, m))

fe <- function(x) ifelse(is.na(x), "     NA", formatC(x, format = "e", digits = 1, width = 7))
fp <- function(x) ifelse(is.na(x), "   NA", formatC(100 * x, format = "f", digits = 1, width = 5))
fi <- function(x) ifelse(is.na(x), "    NA", formatC(x, format = "d", width = 6))

cat(sprintf("hesscheck %s, numDeriv %s, %s; %d problems\n\n",
            as.character(utils::packageVersion("hesscheck")),
            if (has_numderiv) as.character(utils::packageVersion("numDeriv")) else "-",
            R.version.string, length(problems)))
cat("Worst scaled error |Hhat - H| / sqrt(d_i d_j) per method; cov = % of entries with\n",
    "reported error >= true error; ratio = max true / reported error (true scaled error\n",
    "> 1e-10); evaluations: hesscheck fn (+gr) from attr(H, \"evaluations\"), numDeriv and\n",
    "optimHess counted.\n\n", sep = "")
cat(sprintf("%-27s %2s %7s %7s %7s %7s %5s %5s %7s %7s %6s %9s %6s %6s\n", "problem", "n",
            "hc_f", "hc_gr", "numDer", "optimH", "cov_f", "cov_g", "ratio_f", "ratio_g",
            "ev_f", "ev_g(f+g)", "ev_nd", "ev_oh"))
R <- reports
for (k in seq_along(problems)) {
  cat(sprintf("%-27s %2d %s %s %s %s %s %s %s %s %s %4s+%4s %s %s\n",
    substr(R$f$name[k], 1, 27), R$f$n[k],
    fe(R$f$scaled_err[k]), fe(R$gr$scaled_err[k]), fe(R$numDeriv$scaled_err[k]),
    fe(R$optimHess$scaled_err[k]), fp(R$f$covered[k]), fp(R$gr$covered[k]),
    fe(R$f$worst_ratio[k]), fe(R$gr$worst_ratio[k]), fi(R$f$evals_fn[k]),
    ifelse(is.na(R$gr$evals_fn[k]), "NA", R$gr$evals_fn[k]),
    ifelse(is.na(R$gr$evals_gr[k]), "NA", R$gr$evals_gr[k]),
    fi(R$numDeriv$evals_fn[k]), fi(R$optimHess$evals_fn[k])))
}

# Errors raised (classed or not), and evaluation counts that disagree with the calls.
cat("\n")
for (m in modes) {
  rp <- reports[[m]]
  for (k in which(!is.na(rp$class))) {
    cat(sprintf("ERROR [%s] %s: class %s: %s\n", m, rp$name[k], rp$class[k],
                gsub("\\s+", " ", rp$message[k])))
  }
  if (m %in% c("f", "gr")) {
    bad <- which(is.na(rp$class) & (rp$evals_fn != rp$calls_fn | rp$evals_gr != rp$calls_gr))
    for (k in bad) {
      cat(sprintf("EVALUATIONS [%s] %s: attr says fn=%g gr=%g, counted fn=%d gr=%d\n", m,
                  rp$name[k], rp$evals_fn[k], rp$evals_gr[k], rp$calls_fn[k], rp$calls_gr[k]))
    }
  }
}

cat("\nSummary (covered: share of all entries with reported error >= true error;\n",
    "covered_sig: the same among the entries_sig entries with true scaled error > 1e-10;\n",
    "miss10: entries with true error > 10 x reported and true scaled error > 1e-10;\n",
    "above_tol: problems with worst scaled error above tol; worst_err_excl_bs: worst\n",
    "scaled error excluding the two badly scaled problems #3, #4):\n", sep = "")
summ <- do.call(rbind, lapply(modes, function(m) suite_summary(reports[[m]], suite_tol[[m]])))
print(summ, row.names = FALSE, digits = 3)

for (m in c("f", "gr")) {
  rp <- reports[[m]]
  ok <- is.na(rp$class)
  cat(sprintf("\n[%s] problems above %g:", m, suite_tol[[m]]))
  above <- which(ok & rp$scaled_err > suite_tol[[m]])
  if (length(above)) {
    cat("\n")
    for (k in above) cat(sprintf("  %-28s %.2e\n", rp$name[k], rp$scaled_err[k]))
  } else cat(" none\n")
  cat(sprintf("[%s] problems whose error estimate misses the true error (ratio > 1):", m))
  miss <- which(ok & rp$worst_ratio > 1)
  if (length(miss)) {
    cat("\n")
    for (k in miss) {
      cat(sprintf("  %-28s entries not covered %d/%d, >10x %d, worst ratio %.3g\n",
                  rp$name[k], round((1 - rp$covered[k]) * rp$n_entries[k]),
                  rp$n_entries[k], rp$n_miss10[k], rp$worst_ratio[k]))
    }
  } else cat(" none\n")
}

# Evaluations against the budgets: 2(n^2+n)+4n+1 (hesscheck's target on well-scaled
# problems) and numDeriv's 4(n^2+n)+2, measured in this run.
n <- R$f$n
budget <- 2 * (n^2 + n) + 4 * n + 1
cat(sprintf("\n== Evaluations (f only) ==\nhesscheck %d in all, numDeriv %d, optimHess %d; the budget 2(n^2+n)+4n+1 sums to %d.\n",
            sum(R$f$evals_fn, na.rm = TRUE), sum(R$numDeriv$evals_fn, na.rm = TRUE),
            sum(R$optimHess$evals_fn, na.rm = TRUE), sum(budget)))
cat(sprintf("within the budget on %d of %d problems; above numDeriv's count on %d: %s\n",
            sum(R$f$evals_fn <= budget, na.rm = TRUE), length(n),
            sum(R$f$evals_fn > R$numDeriv$evals_fn, na.rm = TRUE),
            paste(sprintf("%s %d > %d", R$f$name, R$f$evals_fn, R$numDeriv$evals_fn)[
              which(R$f$evals_fn > R$numDeriv$evals_fn)], collapse = "; ")))

cat("\n== Targets (issue 11) ==\n")
for (m in c("f", "gr")) {
  rp <- R[[m]]
  cat(sprintf("[%s] error bound >= true error on %.2f%% of %d entries (target >= 99%%); entries > 10 x their bound with true scaled error > 1e-10: %d (target 0)\n",
              m, 100 * sum(rp$covered * rp$n_entries, na.rm = TRUE) / sum(rp$n_entries, na.rm = TRUE),
              sum(rp$n_entries, na.rm = TRUE), sum(rp$n_miss10, na.rm = TRUE)))
  cat(sprintf("[%s] worst scaled error %s (target <= %g) on %d of %d problems; median %s\n",
              m, fe(max(rp$scaled_err, na.rm = TRUE)), suite_tol[[m]],
              sum(rp$scaled_err <= suite_tol[[m]], na.rm = TRUE), nrow(rp),
              fe(stats::median(rp$scaled_err, na.rm = TRUE))))
}

# The same problems with every parameter on a lower bound (lower = par): one-sided
# stencils on every axis and pair, against the same exact Hessians.
one_sided <- do.call(rbind, lapply(problems, function(pb) {
  H <- tryCatch(suppressWarnings(hessian_fd(pb$fn, pb$par, lower = pb$par)),
                error = function(e) NULL)
  if (is.null(H)) return(data.frame(n = length(pb$hessian), covered = NA, miss10 = NA,
                                    scaled = NA, evals = NA))
  tr <- abs(as.matrix(H) - pb$hessian)
  E <- attr(H, "error")
  d <- pmax(abs(diag(pb$hessian)), 1e-300)
  data.frame(n = length(E), covered = sum(E >= tr),
             miss10 = sum(tr > 10 * E & tr / sqrt(d %o% d) > 1e-10),
             scaled = max(suite_scaled_error(as.matrix(H), pb$hessian)),
             evals = attr(H, "evaluations")[["fn"]])
}))
cat(sprintf("[f, one-sided: lower = par] error bound >= true error on %.2f%% of %d entries; entries > 10 x their bound with true scaled error > 1e-10: %d; worst scaled error %s, median %s, <= 1e-6 on %d of %d problems; %d evaluations; %d failed\n",
            100 * sum(one_sided$covered, na.rm = TRUE) / sum(one_sided$n), sum(one_sided$n),
            sum(one_sided$miss10, na.rm = TRUE), fe(max(one_sided$scaled, na.rm = TRUE)),
            fe(stats::median(one_sided$scaled, na.rm = TRUE)),
            sum(one_sided$scaled <= 1e-6, na.rm = TRUE), nrow(one_sided),
            sum(one_sided$evals, na.rm = TRUE), sum(is.na(one_sided$covered))))

# check_fit() at the suite's minima (the x* points and the likelihoods at their MLEs):
# its verdict, and where it says "minimum" (or ill-conditioned with SEs), how far its SEs
# are from those of the exact Hessian (target: none more than 1% off).
cat("\n== check_fit() at the suite's minima (issue 12) ==\n")
minima <- Filter(function(pb) grepl("(_xstar|_mle|_exact)$", pb$name), problems)
cf <- do.call(rbind, lapply(minima, function(pb) {
  x <- tryCatch(suppressWarnings(check_fit(pb$par, pb$fn)), error = function(e) NULL)
  if (is.null(x)) return(data.frame(problem = pb$name, n = length(pb$par), verdict = "ERROR",
                                    se_err = NA_real_))
  ev <- eigen(pb$hessian, symmetric = TRUE, only.values = TRUE)$values
  se_true <- if (min(ev) > 0) sqrt(diag(solve(pb$hessian))) else rep(NA_real_, length(pb$par))
  data.frame(problem = pb$name, n = length(pb$par), verdict = x$verdict,
             exact_pd = min(ev) > 0,
             se_err = suppressWarnings(max(abs(x$table$se / se_true - 1), na.rm = TRUE)))
}))
cf$se_err[!is.finite(cf$se_err)] <- NA
print(cf, row.names = FALSE, digits = 3)
usable <- cf$verdict %in% c("minimum", "ill_conditioned")
cat(sprintf("\"minimum\" or ill-conditioned with SEs on %d of %d; of those, SEs more than 1%% off the exact: %d (target 0); worst %s\n",
            sum(usable), nrow(cf), sum(cf$se_err[usable] > 0.01, na.rm = TRUE),
            fe(suppressWarnings(max(cf$se_err[usable], na.rm = TRUE)))))
