library(testthat)
library(hesscheck)

test_check("hesscheck")
