# Does the tutorial's visible code run as a reader would copy it? Extracts the R code
# blocks, in order, from the built vignette's HTML (output lines "#>" dropped) and runs
# them in a fresh R session; exits 1 on the first error.
#
#   Rscript tools/vignette-code.R [path/to/hesscheck.html]
#
# Without a path, the vignette is rendered into a temporary directory first (needs
# rmarkdown, pandoc and an installed hesscheck); `make test` builds it as part of
# R CMD check, where it lands in hesscheck.Rcheck/00_pkg_src/hesscheck/inst/doc/.

args <- commandArgs(trailingOnly = TRUE)
html <- if (length(args)) args[1L] else {
  dir <- tempfile("vignette")
  dir.create(dir)
  file.copy("vignettes/hesscheck.Rmd", dir)
  rmarkdown::render(file.path(dir, "hesscheck.Rmd"), quiet = TRUE)
}
page <- paste(readLines(html, warn = FALSE), collapse = "\n")
blocks <- regmatches(page, gregexpr('<pre class="sourceCode r">.*?</pre>', page))[[1L]]
unescape <- function(s) {
  s <- gsub("<[^>]+>", "", s)
  for (e in list(c("&lt;", "<"), c("&gt;", ">"), c("&quot;", "\""), c("&#39;", "'"),
                 c("&amp;", "&"))) {
    s <- gsub(e[1L], e[2L], s, fixed = TRUE)
  }
  s
}
code <- unlist(lapply(blocks, function(b) {
  lines <- strsplit(unescape(b), "\n", fixed = TRUE)[[1L]]
  lines[!grepl("^#>", lines)]
}))
script <- tempfile(fileext = ".R")
writeLines(code, script)
cat(sprintf("vignette-code: %d code blocks, %d lines from %s; running them in a fresh R session\n",
            length(blocks), length(code), html))
# In a directory of its own, where its plots (Rplots.pdf) can land.
run_dir <- tempfile("vignette-run")
dir.create(run_dir)
owd <- setwd(run_dir)
status <- system2(file.path(R.home("bin"), "Rscript"), c("--vanilla", shQuote(script)),
                  stdout = FALSE, stderr = "")
setwd(owd)
if (status != 0L) {
  cat("vignette-code: the extracted code failed (script kept in ", script, ")\n", sep = "")
  quit(status = 1L)
}
cat("vignette-code: all of it ran\n")
