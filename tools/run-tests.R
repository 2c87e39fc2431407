# The test suite against the installed package, failing on any failure (for the
# sanitizer and valgrind targets, which cannot run R CMD check).
library(testthat)
library(hesscheck)
res <- testthat::test_dir("tests/testthat", package = "hesscheck", load_package = "installed",
                          reporter = "summary", stop_on_failure = TRUE)
df <- as.data.frame(res)
cat(sprintf("run-tests: %d expectations passed, %d failed, %d skipped, in %d tests\n",
            sum(df$nb) - sum(df$failed), sum(df$failed), sum(df$skipped), nrow(df)))
