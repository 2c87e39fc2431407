# Overhead of check_fit()'s class methods over check_fit() on the objective they extract
# (target: < 10%). For each class, the method on the fit object is timed against
# check_fit.default() given the same fn, gr, `...` data, bounds and fnscale, taken from
# the method's own result; single calls alternate, and the ratio of the median times is
# reported with that of the 10%-trimmed means.
# Run with `Rscript bench/methods.R` (or `make bench`).
suppressPackageStartupMessages(library(hesscheck))
quick <- "--quick" %in% commandArgs(trailingOnly = TRUE)

here <- local({
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  if (length(f)) dirname(normalizePath(f)) else "bench"
})
source(file.path(here, "timing.R"))

# Single calls alternated (time_pairs()): a small fit's check takes 1-3 ms, and batches
# of them drift on a shared host by more than the 10% sought.
ratio <- function(fa, fb) {
  # 600 pairs, or as many as fit in about 10 s (20 for the large data sets)
  per_call <- system.time(fb())[["elapsed"]]
  pairs <- max(20L, min(600L, as.integer(5 / max(per_call, 1e-4))))
  r <- time_pairs(fa, fb, pairs = if (quick) min(pairs, 50L) else pairs)
  c(method = r[["a"]], extracted = r[["b"]], ratio = r[["ratio"]],
    `ratio (trimmed means)` = r[["trimmed"]], `fixed cost (ms)` = 1e3 * r[["diff"]])
}

# check_fit.default() on what the method extracted.
extracted <- function(x) {
  pr <- x$problem
  args <- c(list(list(par = x$par, value = x$value), fn = pr$fn), pr$dots,
            list(gr = pr$gr, lower = pr$lower, upper = pr$upper, fnscale = pr$fnscale))
  function() do.call(hesscheck:::check_fit.default, args)
}

cases <- list()
set.seed(2)
d <- data.frame(x1 = rnorm(500), x2 = rnorm(500))
d$y <- rbinom(500, 1, plogis(0.5 + d$x1 - d$x2))
g <- glm(y ~ x1 + x2, binomial, d)
cases$glm <- list(fit = g, args = list())
z <- rnorm(200, 3, 2)
m <- stats4::mle(function(mu = 0, lsd = 0) -sum(dnorm(z, mu, exp(lsd), log = TRUE)),
                 method = "BFGS")
cases$mle <- list(fit = m, args = list())
tt <- 1:50
conc <- 10 * exp(-0.2 * tt) + rnorm(50, 0, 0.2)
cases$nls <- list(fit = nls(conc ~ A * exp(-k * tt), start = list(A = 5, k = 0.1)),
                  args = list())
if (requireNamespace("bbmle", quietly = TRUE)) {
  cases$mle2 <- list(fit = bbmle::mle2(z ~ dnorm(mean = mu, sd = exp(lsd)),
                                       start = list(mu = 0, lsd = 0),
                                       data = data.frame(z = z)), args = list())
}
if (requireNamespace("fitdistrplus", quietly = TRUE)) {
  cases$fitdist <- list(fit = fitdistrplus::fitdist(rgamma(200, 2, 3), "gamma"),
                        args = list())
}
if (requireNamespace("maxLik", quietly = TRUE)) {
  ll <- function(p, zz) sum(dnorm(zz, p[1], exp(p[2]), log = TRUE))
  cases$maxLik <- list(fit = maxLik::maxLik(ll, start = c(mu = 1, lsd = 0), zz = z),
                       args = list(zz = z))
}
if (requireNamespace("lme4", quietly = TRUE)) {
  cases$lmer <- list(fit = lme4::lmer(Reaction ~ Days + (Days | Subject), lme4::sleepstudy,
                                      REML = FALSE), args = list())
  cases$glmer <- list(fit = lme4::glmer(cbind(incidence, size - incidence) ~ period +
                                          (1 | herd), data = lme4::cbpp,
                                        family = binomial), args = list())
}
if (requireNamespace("glmmTMB", quietly = TRUE)) {
  cases$glmmTMB <- list(fit = glmmTMB::glmmTMB(count ~ mined + (1 | site),
                                               family = poisson,
                                               data = glmmTMB::Salamanders),
                        args = list())
}

# Larger data sets, where the one-off extraction weighs less against the evaluations.
set.seed(3)
n <- 20000
D <- data.frame(matrix(rnorm(n * 5), n))
D$y <- rpois(n, exp(0.2 + 0.1 * rowSums(D)))
cases$`glm (n = 20000, p = 6)` <- list(fit = glm(y ~ ., poisson, D), args = list())
zz <- rnorm(n, 3, 2)
cases$`mle (n = 20000)` <- list(
  fit = stats4::mle(function(mu = 0, lsd = 0) -sum(dnorm(zz, mu, exp(lsd), log = TRUE)),
                    method = "BFGS"), args = list())
if (requireNamespace("lme4", quietly = TRUE)) {
  G <- data.frame(g = factor(rep(1:200, each = 20)), x = rnorm(4000))
  G$y <- 1 + G$x + rnorm(200)[G$g] + rnorm(4000)
  cases$`lmer (n = 4000)` <- list(fit = lme4::lmer(y ~ x + (1 | g), G, REML = FALSE),
                                  args = list())
}

out <- t(vapply(names(cases), function(k) {
  cs <- cases[[k]]
  # The comparison with the package's own vcov() is part of the method's work for
  # glm, mle, ...; here both sides do the diagnosis only.
  fa <- function() do.call(check_fit, c(list(cs$fit), cs$args, list(vcov_package = FALSE)))
  x <- fa()
  ratio(fa, extracted(x))
}, numeric(5)))
cat("check_fit(<fit>) against check_fit() on the extracted objective (seconds, median):\n")
print(signif(out, 3), width = 120)
cat(sprintf("largest overhead: %.1f%% (target < 10%%)\n", 100 * (max(out[, "ratio"]) - 1)))
