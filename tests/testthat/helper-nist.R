# NIST StRD nonlinear least-squares problems (the 27 of
# https://www.itl.nist.gov/div898/strd/nls/nls_main.shtml), read from the published .dat
# files in fixtures/nist/ (data, starting values, certified values and their standard
# deviations, as NIST distributes them). Each problem: list(name, fn (the residual sum of
# squares), par (the certified values), sd (NIST's certified standard deviations), rss
# (the certified residual sum of squares), x, y, model).

nist_models <- list(
  Bennett5 = function(b, x) b[1] * (b[2] + x)^(-1 / b[3]),
  BoxBOD = function(b, x) b[1] * (1 - exp(-b[2] * x)),
  Chwirut1 = function(b, x) exp(-b[1] * x) / (b[2] + b[3] * x),
  Chwirut2 = function(b, x) exp(-b[1] * x) / (b[2] + b[3] * x),
  DanWood = function(b, x) b[1] * x^b[2],
  ENSO = function(b, x) {
    b[1] + b[2] * cos(2 * pi * x / 12) + b[3] * sin(2 * pi * x / 12) +
      b[5] * cos(2 * pi * x / b[4]) + b[6] * sin(2 * pi * x / b[4]) +
      b[8] * cos(2 * pi * x / b[7]) + b[9] * sin(2 * pi * x / b[7])
  },
  Eckerle4 = function(b, x) (b[1] / b[2]) * exp(-0.5 * ((x - b[3]) / b[2])^2),
  Gauss1 = function(b, x) {
    b[1] * exp(-b[2] * x) + b[3] * exp(-(x - b[4])^2 / b[5]^2) +
      b[6] * exp(-(x - b[7])^2 / b[8]^2)
  },
  Hahn1 = function(b, x) {
    (b[1] + b[2] * x + b[3] * x^2 + b[4] * x^3) / (1 + b[5] * x + b[6] * x^2 + b[7] * x^3)
  },
  Kirby2 = function(b, x) (b[1] + b[2] * x + b[3] * x^2) / (1 + b[4] * x + b[5] * x^2),
  Lanczos1 = function(b, x) b[1] * exp(-b[2] * x) + b[3] * exp(-b[4] * x) + b[5] * exp(-b[6] * x),
  MGH09 = function(b, x) b[1] * (x^2 + x * b[2]) / (x^2 + x * b[3] + b[4]),
  MGH10 = function(b, x) b[1] * exp(b[2] / (x + b[3])),
  MGH17 = function(b, x) b[1] + b[2] * exp(-x * b[4]) + b[3] * exp(-x * b[5]),
  Misra1a = function(b, x) b[1] * (1 - exp(-b[2] * x)),
  Misra1b = function(b, x) b[1] * (1 - (1 + b[2] * x / 2)^(-2)),
  Misra1c = function(b, x) b[1] * (1 - (1 + 2 * b[2] * x)^(-0.5)),
  Misra1d = function(b, x) b[1] * b[2] * x * ((1 + b[2] * x)^(-1)),
  Nelson = function(b, x) b[1] - b[2] * x[, 1] * exp(-b[3] * x[, 2]),
  Rat42 = function(b, x) b[1] / (1 + exp(b[2] - b[3] * x)),
  Rat43 = function(b, x) b[1] / ((1 + exp(b[2] - b[3] * x))^(1 / b[4])),
  Roszman1 = function(b, x) b[1] - b[2] * x - atan(b[3] / (x - b[4])) / pi
)
nist_models$Gauss2 <- nist_models$Gauss3 <- nist_models$Gauss1
nist_models$Lanczos2 <- nist_models$Lanczos3 <- nist_models$Lanczos1
nist_models$Thurber <- nist_models$Hahn1

nist_dir <- function() {
  d <- test_path("fixtures", "nist")
  if (!dir.exists(d)) d <- file.path("tests", "testthat", "fixtures", "nist")
  d
}

# One problem from its .dat file.
nist_problem <- function(name, dir = nist_dir()) {
  l <- readLines(file.path(dir, paste0(name, ".dat")))
  num <- function(s) as.numeric(strsplit(trimws(s), "[[:space:]]+")[[1]])
  pl <- grep("^ *b[0-9]+ *=", l, value = TRUE)
  vals <- t(vapply(pl, function(s) num(sub("^ *b[0-9]+ *=", "", s)), numeric(4)))
  start <- grep("^Data: +y", l)
  dat <- do.call(rbind, lapply(l[(start + 1):length(l)], function(s) {
    if (!nzchar(trimws(s))) NULL else num(s)
  }))
  y <- dat[, 1]
  x <- if (ncol(dat) == 2L) dat[, 2] else dat[, -1]
  # Nelson's model is for log(y).
  if (name == "Nelson") y <- log(y)
  model <- nist_models[[name]]
  par <- stats::setNames(unname(vals[, 3]), paste0("b", seq_len(nrow(vals))))
  rss <- as.numeric(sub(".*: *", "", grep("^Residual Sum of Squares", l, value = TRUE)))
  list(name = name, fn = function(b) sum((y - model(b, x))^2), par = par,
       sd = stats::setNames(unname(vals[, 4]), names(par)), start = vals[, 1:2],
       rss = rss, x = x, y = y, model = model, n = length(y))
}

nist_problems <- function() {
  nm <- sort(sub("\\.dat$", "", list.files(nist_dir(), pattern = "\\.dat$")))
  stats::setNames(lapply(nm, nist_problem), nm)
}
