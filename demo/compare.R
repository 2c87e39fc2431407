# Standard errors of one fit from every source: hesscheck, optim, numDeriv, sandwich,
# bootstrap; and a coverage check by simulation.
library(hesscheck)

bw <- MASS::birthwt
X <- cbind("(Intercept)" = 1, age = bw$age, lwt = bw$lwt, smoke = bw$smoke)
y <- bw$low
nll <- function(b, X, y) {
  eta <- drop(X %*% b)
  sum(log1p(exp(-abs(eta))) + pmax(eta, 0)) - sum(y * eta)
}
nll_obs <- function(b, X, y) {
  eta <- drop(X %*% b)
  log1p(exp(-abs(eta))) + pmax(eta, 0) - y * eta
}
fit <- optim(c("(Intercept)" = 0, age = 0, lwt = 0, smoke = 0), nll, X = X, y = y,
             method = "BFGS", hessian = TRUE)
x <- check_fit(fit, nll, X = X, y = y, control = list(refine = TRUE))
x

# Bootstrap over births (rows of X and y together), two workers where forking exists.
par_mode <- if (.Platform$OS.type == "windows") "no" else "multicore"
boot <- bootstrap_se(x, data = c("X", "y"), R = 500, seed = 1, parallel = par_mode,
                     ncpus = 2)
se <- compare_se(x, fn_obs = nll_obs, bootstrap = boot,
                 numderiv = requireNamespace("numDeriv", quietly = TRUE))
se
plot(se)

# Do the Wald intervals cover? Simulate from the fitted model and refit.
xy <- check_fit(x$par, function(b, y) nll(b, X, y), y = y)
coverage_check(xy, "y", function(par, d) rbinom(nrow(X), 1, plogis(drop(X %*% par))),
               R = 200, seed = 2, parallel = par_mode, ncpus = 2)
