# Formatting shared by every print: numbers with their own significant digits, name
# lists in words, a data frame without checks and the lines of a right-aligned table.

fmt <- function(x, digits = 2) {
  # as.character() of the rounded values: what format() gives element by element (the
  # shorter of fixed and scientific) up to 7 digits, at a fraction of its cost.
  # Rounded by sprintf() and read back, so that values beyond 1e+-177, which signif()
  # cannot round exactly, show no rounding noise.
  x <- as.double(unname(x))
  out <- as.character(x)                       # NA, NaN, Inf and -Inf as they are
  ok <- is.finite(x)
  out[ok] <- as.character(as.numeric(sprintf(paste0("%.", digits - 1L, "e"), x[ok])))
  out[is.na(x) & !is.nan(x)] <- "NA"
  dec <- getOption("OutDec", ".")
  if (!identical(dec, ".")) out <- sub(".", dec, out, fixed = TRUE)
  out
}

name_list <- function(x) {
  if (length(x) <= 1L) return(x)
  paste(paste(x[-length(x)], collapse = ", "), "and", x[length(x)])
}

# data.frame() without its checks, which cost more than the whole diagnosis on a cheap fn.
fast_df <- function(cols, row_names = NULL) {
  n <- length(cols[[1L]])
  structure(cols, class = "data.frame",
            row.names = if (is.null(row_names)) .set_row_names(n) else row_names)
}

# Lines of a character matrix with row and column names, columns right-aligned.
table_lines <- function(m) {
  rn <- rownames(m)
  if (is.null(rn)) rn <- rep("", nrow(m))
  cols <- rbind(colnames(m), m)
  out <- formatC(c("", rn), width = -max(nchar(c("", rn), type = "width")), flag = "-")
  for (j in seq_len(ncol(cols))) {
    w <- max(nchar(cols[, j], type = "width"))
    out <- paste(out, formatC(cols[, j], width = w))
  }
  out
}
