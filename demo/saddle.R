# A saddle point that optim() reports as converged, diagnosed by check_fit().
library(hesscheck)

# Two-component normal mixture (equal weights, SD 0.5 taken as known) for the eruption
# times of Old Faithful. Started with equal means, BFGS never separates the components.
mix <- function(p, y) -sum(log(0.5 * dnorm(y, p[1], 0.5) + 0.5 * dnorm(y, p[2], 0.5)))
fit <- optim(c(mu1 = 3.5, mu2 = 3.5), mix, y = faithful$eruptions, method = "BFGS",
             hessian = TRUE)
fit$convergence                # 0: "converged"
# Finite, plausible-looking standard errors (about 0.026 each): nothing here warns you.
# The Hessian is indefinite (one eigenvalue is negative), yet the diagonal of its inverse
# happens to be positive, so these SEs look usable and are meaningless. The scarier and
# truer lesson: a saddle does not always announce itself with NaN.
sqrt(diag(solve(fit$hessian)))
eigen(fit$hessian)$values      # one negative: not a minimum

x <- check_fit(fit, mix, y = faithful$eruptions)
x                              # saddle along mu1 - mu2, and a restart point
summary(x)

# Restart from the point check_fit() found: now a minimum with usable SEs.
fit2 <- optim(x$escape$par, mix, y = faithful$eruptions, method = "BFGS")
check_fit(fit2, mix, y = faithful$eruptions)
