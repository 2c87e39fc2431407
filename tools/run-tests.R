# The test suite against the installed package, failing on any failure (for the
# sanitizer and valgrind targets, which cannot run R CMD check).
#
# One top-level expression that ends in quit(): R -f reads its script from a file
# descriptor that forked test workers share, so nothing may be read after the tests run.
local({
  library(testthat)
  library(hesscheck)
  res <- testthat::test_dir("tests/testthat", package = "hesscheck",
                            load_package = "installed", reporter = "summary",
                            stop_on_failure = FALSE)
  df <- as.data.frame(res)
  failed <- sum(df$failed) + sum(df$error)
  cat(sprintf("run-tests: %d expectations passed, %d failed, %d tests skipped, %d tests with errors, in %d tests\n",
              sum(df$passed), sum(df$failed), sum(df$skipped), sum(df$error), nrow(df)))
  quit(save = "no", status = if (failed > 0) 1L else 0L)
})
