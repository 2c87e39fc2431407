# What a new user reads: the help index, the examples' output, DESCRIPTION, the titles.

rd_db <- function() tools::Rd_db("hesscheck")

test_that("the help index lists check_fit (the generic), not check_fit.mle", {
  db <- rd_db()
  rd <- db[["check_fit.Rd"]]
  expect_false(is.null(rd))
  name <- Filter(function(e) identical(attr(e, "Rd_tag"), "\\name"), rd)[[1L]]
  expect_identical(as.character(unlist(name)), "check_fit")
  aliases <- unlist(lapply(Filter(function(e) identical(attr(e, "Rd_tag"), "\\alias"), rd),
                           as.character))
  expect_identical(aliases[1:2], c("check_fit", "check_fit.default"))
  index <- system.file("INDEX", package = "hesscheck")
  skip_if(!nzchar(index), "the installed package has no INDEX")
  lines <- readLines(index)
  expect_true(any(grepl("^check_fit ", lines)))
  expect_false(any(grepl("^check_fit\\.mle", lines)))
})

test_that("example(check_fit) prints the glmmTMB fit's check, not only its TMB object's", {
  skip_if_not_installed("glmmTMB")
  f <- tempfile(fileext = ".R")
  tools::Rd2ex(rd_db()[["check_fit.Rd"]], f)
  ex <- parse(f, keep.source = FALSE)
  block <- Filter(function(e) any(grepl("glmmTMB::glmmTMB(", deparse(e), fixed = TRUE)), ex)
  expect_length(block, 1L)
  # as example() runs it: each top-level value printed, nothing else
  out <- utils::capture.output(source(exprs = block, local = new.env(), print.eval = TRUE))
  expect_true(any(grepl("Fit of class \"glmmTMB\"", out, fixed = TRUE)))
  expect_true(any(grepl("Fit of class \"MakeADFun\"", out, fixed = TRUE)))
})

test_that("DESCRIPTION names the fit classes that are supported", {
  d <- gsub("\\s+", " ", utils::packageDescription("hesscheck")$Description)
  for (cls in c("optim()", "nlminb()", "nlm()", "optimx()", "glm()", "nls()", "mle()",
                "mle2()", "fitdist()", "fitdistr()", "'maxLik'", "'TMB'", "'glmmTMB'",
                "lmer()", "glmer()")) {
    expect_true(grepl(cls, d, fixed = TRUE), label = cls)
  }
})

test_that("coverage_check's title and `data` are its own, not bootstrap_se's", {
  rd <- rd_db()[["coverage_check.Rd"]]
  title <- as.character(unlist(Filter(function(e) identical(attr(e, "Rd_tag"), "\\title"), rd)))
  title <- paste(title, collapse = "")
  expect_match(title, "Wald, profile and percentile")
  text <- paste(utils::capture.output(tools::Rd2txt(rd, options = list(underline_titles = FALSE))),
                collapse = " ")
  text <- gsub("\\s+", " ", text)
  data_doc <- regmatches(text, regexpr("data: .*?cluster:", text))
  expect_length(data_doc, 1L)
  expect_false(grepl("resampled jointly by rows", data_doc))
  expect_match(data_doc, "simulated data set")
})
