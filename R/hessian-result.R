# hessian_fd()'s result: the "hessian_fd" matrix with its attributes, and the elements its
# error bounds leave unresolved, named in a classed warning.

# Thresholds of hessian_fd()'s reporting (the C core's own are its HC_* constants).
hessian_thresholds <- list(
  # an element whose error bound exceeds this share of its size (or scale) is unresolved
  unresolved = 0.1
)

# An element is unresolved when its error bound exceeds hessian_thresholds$unresolved of
# its size, or of
# its scale sqrt(d_i d_j) with d_i = max(|H_ii|, 1e-8 max_k |H_kk|) when it is near zero:
# flat where fn stops being polynomial, kinked, saturating, or noisier than the steps allow.
unresolved_elements <- function(H, E) {
  ii <- seq.int(1L, length(H), nrow(H) + 1L)
  # each diagonal's size as small as its bound allows, and the floor from the diagonal
  # elements that are themselves resolved: one lost in noise (1e28 +- 1e29) must not make
  # the errors of its row, or of the others, look small
  ok <- E[ii] <= hessian_thresholds$unresolved * abs(H[ii])
  d <- pmax(abs(H[ii]) - E[ii], 0)
  floor <- 1e-8 * max(if (any(ok)) d[ok] else d, 0)
  d[d < floor] <- floor
  if (!any(d > 0)) d[] <- 1
  s <- sqrt(d) %o% sqrt(d)   # not sqrt(d %o% d), which overflows beyond |H_ii| of 1e154
  a <- abs(H)
  small <- a < s
  a[small] <- s[small]
  !(E <= hessian_thresholds$unresolved * a)
}

# The unresolved elements as "a" (diagonal) and "a:b" labels, at most `most` of them with
# "and N more", and the parameters involved.
unresolved_labels <- function(u, nm, most = 6L) {
  ij <- which(u & upper.tri(u, diag = TRUE), arr.ind = TRUE)
  lab <- ifelse(ij[, 1] == ij[, 2], nm[ij[, 1]], paste0(nm[ij[, 1]], ":", nm[ij[, 2]]))
  more <- if (length(lab) > most) sprintf(" and %d more", length(lab) - most) else ""
  list(text = paste0(paste(utils::head(lab, most), collapse = ", "), more),
       parameters = unique(nm[as.vector(ij)]))
}

warn_unresolved <- function(h) {
  u <- attr(h, "unresolved")
  if (!any(u)) return(invisible())
  lab <- unresolved_labels(u, rownames(h))
  hc_warn("unresolved", sprintf(
    "The Hessian's elements for %s could not be resolved: their error bounds exceed %s of their size (fn is flat, kinked, saturating or too noisy there at every step tried). See attr(H, \"error\"); do not base standard errors on them.",
    lab$text, sprintf("%g%%", 100 * hessian_thresholds$unresolved)
  ), parameters = lab$parameters)
}

new_hessian_fd <- function(res, nm, gradient, extra) {
  # attributes<- in one call: this runs once per Hessian, next to cheap functions too.
  H <- res$hessian
  E <- res$error
  dn <- list(nm, nm)
  dimnames(E) <- dn
  step <- res$step
  side <- res$side
  resolved <- res$resolved
  status <- c("ok", "stairs", "kink")[res$status + 1L]
  g <- res$gradient
  ge <- res$gradient_error
  names(step) <- names(side) <- names(resolved) <- names(status) <- names(g) <- names(ge) <- nm
  # unresolved: bounds above 10% of the size, or estimates at different steps that
  # disagreed beyond their combined bounds (1-based positions from C)
  u <- unresolved_elements(H, E)
  u[res$inconsistent] <- TRUE
  # a kink, or stairs (fn flat where its slope predicts a change: rounded to a few
  # digits, a table): no Hessian along that axis, none of its row resolved
  kinked <- res$status >= 1L
  u[kinked, ] <- TRUE
  u[, kinked] <- TRUE
  attributes(H) <- list(
    dim = dim(H), dimnames = dn, error = E, step = step, side = side,
    resolved = resolved, status = status, unresolved = u,
    quartic = `dimnames<-`(res$quartic, list(c("value", "error"), nm)),
    noise = res$noise[1L], gradient = g, gradient_error = ge,
    evaluations = c(fn = res$evaluations[1L] + extra[["fn"]],
                    gr = res$evaluations[2L] + extra[["gr"]]),
    method = if (gradient) "gradient" else "function",
    class = "hessian_fd"
  )
  H
}
