# The test suite against the installed package, failing on any failure (for the
# sanitizer and valgrind targets, which cannot run R CMD check).
library(testthat)
library(hesscheck)
res <- testthat::test_dir("tests/testthat", package = "hesscheck", load_package = "installed",
                          reporter = "summary", stop_on_failure = TRUE)
