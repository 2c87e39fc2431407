# check_fit() on the corpus of fits with known truth (tests/testthat/helper-corpus.R):
# per case the verdict, whether it is right (the expected verdict, and SEs within 1% of
# the exact reference where there is one), the worst SE error and the time; then the
# counts the targets of issue 22 read.
#
#   R_LIBS=<lib> Rscript bench/corpus.R
suppressPackageStartupMessages(library(hesscheck))
here <- local({
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  if (length(f)) dirname(normalizePath(f[1])) else file.path(getwd(), "bench")
})
tt <- file.path(here, "..", "tests", "testthat")
test_path <- function(...) file.path(tt, ...)
source(file.path(tt, "helper-nist.R"))
source(file.path(tt, "helper-corpus.R"))

rows <- lapply(verdict_corpus(), run_corpus_case)
cat(sprintf("%-52s %-10s %-19s %-6s %9s %6s\n", "case", "kind", "verdict", "right", "SE error",
            "time"))
for (r in rows) {
  cat(sprintf("%-52s %-10s %-19s %-6s %9s %6.2f%s\n", substr(r$name, 1, 52), r$kind,
              r$verdict, if (is.na(r$right)) "skip" else if (r$right) "right" else "WRONG",
              if (is.na(r$se_error)) "-" else formatC(r$se_error, format = "e", digits = 1),
              r$time, if (!is.na(r$error)) paste0("  [", r$error, "]") else ""))
}
kind <- vapply(rows, `[[`, "", "kind")
right <- vapply(rows, function(r) isTRUE(r$right), NA)
ran <- !vapply(rows, function(r) is.na(r$right), NA)
verd <- vapply(rows, `[[`, "", "verdict")
nist <- grepl("^NIST ", vapply(rows, `[[`, "", "name"))
cat(sprintf("\nright: %d of %d well-posed, %d of %d defects (%d skipped: packages missing)\n",
            sum(right & kind == "well-posed"), sum(ran & kind == "well-posed"),
            sum(right & kind == "defect"), sum(ran & kind == "defect"), sum(!ran)))
cat(sprintf("\"minimum\" or \"ill_conditioned\" on a defect: %d (target 0); errors: %d (target 0)\n",
            sum(kind == "defect" & verd %in% c("minimum", "ill_conditioned")),
            sum(verd == "ERROR", na.rm = TRUE)))
cat(sprintf("NIST StRD certified values: %d of %d minimum or ill-conditioned (target 27 of 27)\n",
            sum(nist & verd %in% c("minimum", "ill_conditioned")), sum(nist)))
