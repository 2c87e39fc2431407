# Serial mode against the engine before batches (issue 15: "a 5 microsecond fn with
# parallel = "no": wall time within 5% of today's"). The baseline commit (default: main
# just before the commit that made the C core emit batches) is built into a temporary
# library under another package name, so that both engines load in this one process and
# their calls alternate: the median ratio of alternating batches is robust to a shared
# host's speed drifting, which separate processes are not (measured: +-30% between two
# runs of the same build). Run by `make bench`, or alone:
#   Rscript bench/serial.R [commit]
suppressPackageStartupMessages(library(hesscheck))
args <- commandArgs(trailingOnly = TRUE)
baseline <- if (length(args) && !startsWith(args[1L], "--")) args[1L] else "5b8c1ab"
quick <- "--quick" %in% args

here <- local({
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  if (length(f)) dirname(normalizePath(f)) else "bench"
})
root <- normalizePath(file.path(here, ".."))

cat(sprintf("\n== Serial mode against the engine before batches (commit %s) ==\n", baseline))
ok <- system2("git", c("-C", shQuote(root), "cat-file", "-e", paste0(baseline, "^{commit}")),
              stdout = FALSE, stderr = FALSE) == 0L
if (!ok) {
  cat("  the baseline commit is not in this checkout (a shallow clone?): not measured\n")
  quit(save = "no")
}
tmp <- tempfile("hcbase")
dir.create(src <- file.path(tmp, "src"), recursive = TRUE)
dir.create(lib <- file.path(tmp, "lib"))
system(sprintf("git -C %s archive %s | tar -x -C %s", shQuote(root), baseline, shQuote(src)))
# the same package under the name hcbaseline: its DLL, init function and namespace
edit <- function(file, from, to) {
  p <- file.path(src, file)
  writeLines(sub(from, to, readLines(p)), p)
}
edit("DESCRIPTION", "^Package: hesscheck$", "Package: hcbaseline")
edit("NAMESPACE", "^useDynLib\\(hesscheck", "useDynLib(hcbaseline")
edit(file.path("src", "init.c"), "R_init_hesscheck", "R_init_hcbaseline")
unlink(file.path(src, c("vignettes", "tests")), recursive = TRUE)
out <- system2(file.path(R.home("bin"), "R"),
               c("CMD", "INSTALL", "--no-docs", "--no-test-load", "-l", shQuote(lib), shQuote(src)),
               stdout = TRUE, stderr = TRUE)
if (!suppressMessages(requireNamespace("hcbaseline", lib.loc = lib, quietly = TRUE))) {
  cat("  the baseline did not build:\n", paste(utils::tail(out, 5), collapse = "\n"), "\n")
  quit(save = "no")
}
base_hessian <- getExportedValue("hcbaseline", "hessian_fd")

source(file.path(here, "timing.R"))

samples <- if (quick) 11L else 41L
for (n in c(2L, 10L)) {
  fn <- function(p) sum(p * p) + sum(cos(p)) + sum(sin(p)) + sum(p^3)
  par0 <- seq(0.1, 1, length.out = n)
  t_fn <- system.time(for (k in 1:20000) fn(par0))[["elapsed"]] / 20000
  h_new <- hessian_fd(fn, par0)
  h_old <- base_hessian(fn, par0)
  r <- time_ratio(function() hessian_fd(fn, par0), function() base_hessian(fn, par0),
                  samples, seconds = 0.05)
  cat(sprintf("fn of %.1f microseconds, n = %d, parallel = \"no\": %d evaluations (baseline %d), same Hessian to %.1e; wall time %.3f x the baseline's (quartiles %.3f-%.3f over %d alternating batches; %.0f vs %.0f microseconds a call) (target <= 1.05)\n",
              1e6 * t_fn, n, attr(h_new, "evaluations")[["fn"]],
              attr(h_old, "evaluations")[["fn"]],
              max(abs(h_new - h_old)) / max(abs(h_old)), r[["ratio"]], r[["q1"]], r[["q3"]],
              samples, 1e6 * r[["a"]], 1e6 * r[["b"]]))
}
unlink(tmp, recursive = TRUE)
