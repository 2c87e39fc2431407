# A saddle point that optim() reports as converged, and what hessian_fd() shows of it.
library(hesscheck)

# fn has a saddle at (0, 0) and minima at (0, +-sqrt(5)).
fn <- function(p) p[1]^2 - p[2]^2 + 0.1 * p[2]^4
fit <- optim(c(a = 1, b = 0), fn, method = "BFGS")
fit$convergence   # 0: "converged"
fit$par           # but this is the saddle

H <- hessian_fd(fn, fit$par)
H
eigen(H)$values   # one negative eigenvalue: not a minimum
