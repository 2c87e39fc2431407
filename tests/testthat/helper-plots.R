# Drawing the plot() methods' output to PNG files (test-s3-*.R): set HESSCHECK_PLOT_DIR
# to keep them, to look at.

plot_dir <- function() {
  d <- Sys.getenv("HESSCHECK_PLOT_DIR")
  if (!nzchar(d)) d <- file.path(tempdir(), "hesscheck-plots")
  dir.create(d, showWarnings = FALSE, recursive = TRUE)
  d
}

# Draw expr to <name>.png; the value of expr and the size of the file written.
to_png <- function(name, expr, width = 700, height = 450) {
  skip_if_not(isTRUE(capabilities("png")), "this R cannot write PNG files")
  f <- file.path(plot_dir(), paste0(name, ".png"))
  grDevices::png(f, width = width, height = height)
  value <- tryCatch(expr, finally = grDevices::dev.off())
  list(value = value, size = file.size(f))
}
