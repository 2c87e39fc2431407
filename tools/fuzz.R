# Randomised hostile-input driver for every exported function of hesscheck.
#
#   Rscript tools/fuzz.R [--cases N] [--seconds S] [--seed K] [--lib PATH]
#
# Every case must either return a valid result or signal a classed hesscheck_error_*;
# anything else (an unclassed error, an invalid result, a hang) is a failure. A crash
# kills the process, which `make fuzz` reports through the exit status.

args <- commandArgs(trailingOnly = TRUE)
opt <- function(name, default) {
  k <- match(paste0("--", name), args)
  if (is.na(k)) default else args[k + 1L]
}
cases <- as.numeric(opt("cases", 10000))
seconds <- as.numeric(opt("seconds", Inf))
seed <- as.integer(opt("seed", 1))
lib <- opt("lib", NULL)
verbose <- !is.na(match("--verbose", args))
if (!is.null(lib)) .libPaths(c(lib, .libPaths()))
suppressPackageStartupMessages(library(hesscheck))
set.seed(seed)

pick <- function(...) {
  x <- list(...)
  x[[sample.int(length(x), 1L)]]
}

# par: mostly valid numeric vectors of random length and scale, sometimes hostile.
gen_par <- function() {
  n <- sample(c(1:6, 10L), 1L)
  scale <- 10^sample(-8:8, 1L)
  good <- stats::setNames(rnorm(n) * scale, if (runif(1) < 0.5) paste0("q", seq_len(n)))
  if (runif(1) < 0.7) return(good)
  pick(NULL, "a", list(1, 2), factor("a"), NA, c(1, NA), c(1, Inf), c(NaN, 1), numeric(0),
       TRUE, 1:3, matrix(1:4, 2), runif(1e5), c(a = 1e300, b = -1e300),
       c(1e-300, 2e-300), as.complex(1:2), Sys.Date(), function(x) x)
}

calls <- 0L
# fn: mostly smooth, sometimes NA / wrong type / wrong length / error at random points,
# calling gc(), writing global state or keeping its argument.
gen_fn <- function(n) {
  A <- crossprod(matrix(rnorm(n * n), n)) + diag(n)
  base <- function(p) {
    d <- p - seq_along(p) / 10
    sum(d * (A %*% d)) / 2 + 0.01 * sum(d^4)
  }
  kind <- sample(c("good", "good", "good", "na", "type", "length", "error", "gc",
                   "global", "keep", "huge", "tiny", "integer", "null", "inf_far",
                   "nonfinite_always", "saddle", "flat", "odd_error", "drift",
                   "unbounded", "noisy", "kink", "product", "neg_inf"), 1L)
  p_bad <- runif(1, 0.01, 0.3)
  switch(kind,
    good = base,
    na = function(p) if (runif(1) < p_bad) NA_real_ else base(p),
    type = function(p) if (runif(1) < p_bad) "x" else base(p),
    length = function(p) if (runif(1) < p_bad) c(1, 2) else base(p),
    error = function(p) if (runif(1) < p_bad) stop("user error in fn") else base(p),
    odd_error = function(p) {
      # A condition with an empty or multi-line message, as some packages signal.
      if (runif(1) < p_bad) {
        stop(structure(class = c("odd_error", "error", "condition"),
                       list(message = pick(character(), c("a", "b"), NA_character_),
                            call = NULL)))
      }
      base(p)
    },
    gc = function(p) {
      if (runif(1) < 0.05) gc(FALSE)
      base(p)
    },
    global = function(p) {
      calls <<- calls + 1L
      assign("fuzz_last_par", p, envir = globalenv())
      base(p)
    },
    keep = local({
      kept <- list()
      function(p) {
        kept[[length(kept) + 1L]] <<- p
        if (length(kept) > 50L) kept <<- list()
        base(p)
      }
    }),
    huge = function(p) 1e300 * (1 + sum(p^2)),
    tiny = function(p) 1e-300 * (1 + sum(p^2)),
    integer = function(p) {
      v <- base(p)
      if (is.finite(v) && abs(v) < 1e9) as.integer(round(v)) else v
    },
    null = function(p) NULL,
    inf_far = function(p) if (max(abs(p - seq_along(p) / 10)) > 1e-3) Inf else base(p),
    nonfinite_always = function(p) NaN,
    saddle = function(p) sum(p[-1]^2) - p[1]^2,
    flat = function(p) sum(p[-1]^2),
    # issue 22's shapes: separation (falls to an asymptote along a combination), a fall
    # without bound, re-seeded noise, a kink, a product ridge, -Inf beyond a point
    drift = function(p) log1p(exp(-sum(p))) + sum(diff(p)^2),
    unbounded = function(p) -sum(p) + sum(diff(p)^2),
    noisy = function(p) base(p) + 0.1 * rnorm(1),
    kink = function(p) sum(abs(p - 0.1)),
    product = function(p) (prod(p) - 1)^2 + sum(p[-(1:2)]^2),
    neg_inf = function(p) if (p[1] > 5) -Inf else base(p)
  )
}

gen_gr <- function(n) {
  pick(NULL, NULL, NULL,
       function(p) 2 * p,
       function(p) rep(1, n + 1L),
       function(p) c(NA, rep(0, n - 1L)),
       function(p) stop("user error in gr"),
       function(p) "g",
       function(p) rep(Inf, n))
}

gen_bounds <- function(par) {
  n <- max(1L, length(par))
  pick(list(-Inf, Inf), list(-Inf, Inf),
       list(if (is.numeric(par)) par - abs(rnorm(n)) else -1, Inf),
       list(if (is.numeric(par)) par else 0, Inf),           # on the lower bound
       list(1, -1),                                          # crossing
       list(if (is.numeric(par)) par + 1 else 1, Inf),       # par outside
       list(c(-1, 1, 2), Inf),                               # wrong length
       list(NA, Inf), list("a", Inf))
}

gen_control <- function(fun) {
  if (runif(1) < 0.7) return(list())
  pick(list(noise = 1e-8), list(noise = -1), list(step = 1e-3), list(max_search = 0),
       list(max_search = 2), list(bogus = 1), list(1), "a", list(noise = NA),
       if (fun == "check_fit") list(refine = TRUE) else list(noise = 0),
       if (fun == "check_fit") list(tol_step = -1) else list(step = NA),
       if (fun == "check_fit") list(hessian = list(max_search = 3)) else list())
}

valid_hessian <- function(h, n) {
  m <- as.matrix(h)
  is.matrix(m) && all(dim(m) == n) && isSymmetric(unname(m)) &&
    is.matrix(attr(h, "error")) && all(attr(h, "error") >= 0 | is.na(attr(h, "error")))
}

valid_check <- function(x, n) {
  inherits(x, "hesscheck") && nrow(x$table) == n &&
    x$verdict %in% names(hesscheck:::verdict_text) &&
    is.data.frame(x$findings) && all(x$table$se > 0 | is.na(x$table$se)) &&
    length(format(x)) > 0L
}

# A refit for the replicate functions: mostly right, sometimes nonsense (NA, c(0, 1) or
# list() convergence, NaN estimates, the wrong length or type), an error, or a worker
# that kills its own process (only where the replicates run in child processes).
gen_refit <- function(n, forked) {
  good <- function(d, s) s + 0.01 * mean(d)
  kind <- sample(c("good", "na_conv", "two_conv", "list_conv", "nan", "short", "char",
                   "error", "nlm", "kill"), 1L)
  if (kind == "kill" && !forked) kind <- "error"
  p_bad <- runif(1, 0.1, 0.5)
  bad <- switch(kind,
    good = NULL,
    na_conv = function(d, s) list(par = s, convergence = NA),
    two_conv = function(d, s) list(par = s, convergence = c(0, 1)),
    list_conv = function(d, s) list(par = s, convergence = list()),
    nan = function(d, s) replace(s, 1L, NaN),
    short = function(d, s) s[-1L],
    char = function(d, s) as.character(s),
    error = function(d, s) stop("refit failed"),
    nlm = function(d, s) list(estimate = s, code = pick(1, 4, c(1, 2), NA)),
    kill = function(d, s) tools::pskill(Sys.getpid())
  )
  if (is.null(bad)) return(pick(NULL, good))
  function(d, s) if (runif(1) < p_bad) bad(d, s) else good(d, s)
}

# An object whose components were changed: NULL, a string, the wrong length.
corrupt <- function(obj) {
  if (!is.list(obj) || !length(obj)) return(obj)
  k <- sample.int(length(obj), 1L)
  obj[k] <- list(pick(NULL, "a", 1:3, list(), NA, -1))
  obj
}

run_case <- function(i) {
  fun <- sample(c("hessian_fd", "hessian_fd", "check_fit", "check_fit", "compare_se",
                  "bootstrap_se", "coverage_check", "methods", "replicates", "corrupt"), 1L)
  par <- gen_par()
  n <- if (is.numeric(par) && !is.object(par)) length(par) else 2L
  if (n > 50L && fun != "hessian_fd") fun <- "hessian_fd"
  fn <- gen_fn(min(max(n, 1L), 10L))
  gr <- if (runif(1) < 0.3) gen_gr(max(n, 1L))
  b <- gen_bounds(par)
  ctrl <- gen_control(fun)
  # Huge problems only with a fn that fails at once, so that the case ends quickly.
  if (n > 50L) fn <- pick(function(p) NA, function(p) "a", function(p) 1:2,
                          function(p) stop("no"))
  setTimeLimit(elapsed = 20, transient = TRUE)
  on.exit(setTimeLimit(elapsed = Inf), add = TRUE)
  where <- NULL
  res <- tryCatch(withCallingHandlers({
    switch(fun,
      hessian_fd = {
        h <- hessian_fd(fn, par, gr = gr, lower = b[[1]], upper = b[[2]], control = ctrl)
        if (!valid_hessian(h, n)) "invalid hessian_fd result" else "ok"
      },
      check_fit = {
        fit <- if (runif(1) < 0.5) par else pick(list(par = par), list(estimate = par,
                                                   minimum = 1, code = 1),
                                                 list(par = par, objective = 1, iterations = 1),
                                                 list(par = par, hessian = diag(2)), list())
        x <- check_fit(fit, fn, gr = gr, lower = b[[1]], upper = b[[2]],
                       fnscale = pick(1, -1, 0, "a"), control = ctrl)
        if (!valid_check(x, n)) "invalid check_fit result" else "ok"
      },
      compare_se = {
        x <- check_fit(par, fn)
        cs <- compare_se(x, fn_obs = pick(NULL, function(p) rep(fn(p) / 3, 3),
                                          function(p) "a", function(p) c(1, NA)),
                         numderiv = FALSE)
        if (!inherits(cs, "hesscheck_se")) "invalid compare_se result" else "ok"
      },
      bootstrap_se = {
        dat <- rnorm(5)
        f2 <- function(p, d) fn(p) + 0 * sum(d)
        x <- check_fit(par, f2, d = dat)
        bs <- bootstrap_se(x, data = pick("d", "zz", 1), R = pick(2, 3, 0, NA),
                           refit = pick(NULL, function(d, s) s, function(d, s) stop("x"),
                                        function(d, s) "a"),
                           seed = pick(1, NULL, "a"), progress = FALSE)
        if (!inherits(bs, "hesscheck_boot")) "invalid bootstrap_se result" else "ok"
      },
      coverage_check = {
        dat <- rnorm(5)
        f2 <- function(p, d) fn(p) + 0 * sum(d)
        x <- check_fit(par, f2, d = dat)
        cc <- coverage_check(x, data = pick("d", "zz", 1),
                             simulate = pick(function(p, d) rnorm(length(d), p[1]),
                                             function(p, d) rnorm(length(d), p[1]),
                                             function(p, d) "a", function(p, d) stop("sim"),
                                             function(p, d) NULL, function(p) p, 3),
                             R = pick(2, 3, 0, NA), level = pick(0.9, 1.5, NA),
                             refit = pick(NULL, function(d, s) s, function(d, s) stop("x"),
                                          function(d, s) s[-1]),
                             seed = pick(1, NULL, "a"), progress = FALSE)
        if (!inherits(cc, "hesscheck_coverage")) "invalid coverage_check result" else "ok"
      },
      replicates = {
        # The replicate machinery: nonsense refits, dying workers, language objects in
        # `...`, hostile backends, seeds and counts.
        dat <- rnorm(6)
        f3 <- function(p, d, sdexpr) sum((p - mean(d))^2) * eval(sdexpr)
        x <- check_fit(rep(0, max(n, 1L)), f3, d = dat, sdexpr = quote(exp(0 * p[1])))
        parallel <- pick("no", "no", "multicore", "bogus", 1, c("no", "snow"))
        forked <- identical(parallel, "multicore") && .Platform$OS.type != "windows"
        R <- pick(2, 3, 5, 3e9, 1e9, -1)
        seed <- pick(1, 7, 1e10, 1.5, NULL)
        refit <- gen_refit(max(n, 1L), forked)
        res <- if (runif(1) < 0.5) {
          bootstrap_se(x, pick("d", "d", "D", dat), R = R, refit = refit, seed = seed,
                       parallel = parallel, ncpus = pick(2, 3e9), progress = FALSE,
                       force = pick(FALSE, NA))
        } else {
          coverage_check(x, pick("d", "d", "D"), function(p, d) rnorm(length(d)), R = R,
                         refit = refit, seed = seed, parallel = parallel, ncpus = 2,
                         progress = FALSE)
        }
        invisible(format(res))
        if (!inherits(res, c("hesscheck_boot", "hesscheck_coverage"))) {
          "invalid replicate result"
        } else if (!all(res$status %in% c("ok", "not_converged", "failed"))) {
          "invalid replicate status"
        } else "ok"
      },
      corrupt = {
        # print, format, plot and compare_se on objects whose components were changed.
        dat <- rnorm(8)
        f2 <- function(p, d) sum((p - mean(d))^2) + 1
        x <- check_fit(c(a = 0.1, b = -0.1), f2, d = dat)
        b <- bootstrap_se(x, "d", R = 3, refit = function(d, s) s + mean(d), seed = 1,
                          progress = FALSE)
        obj <- pick(x, b, compare_se(x, numderiv = FALSE),
                    coverage_check(x, "d", function(p, d) rnorm(8), R = 3, seed = 1,
                                   refit = function(d, s) s + mean(d), progress = FALSE))
        bad <- corrupt(obj)
        pdf(NULL)
        on.exit(dev.off(), add = TRUE)
        # The check_fit() object's own print/format/plot are left out: its methods are
        # reworked elsewhere (issue 16 notes them).
        what <- if (inherits(bad, "hesscheck")) sample(c("compare_se", "bootstrap"), 1L) else
          sample(c("print", "format", "plot", "compare_se", "bootstrap"), 1L)
        switch(what,
          print = utils::capture.output(print(bad)),
          format = format(bad),
          plot = if (inherits(bad, c("hesscheck", "hesscheck_se"))) plot(bad),
          compare_se = if (inherits(bad, "hesscheck")) compare_se(bad, numderiv = FALSE) else
            compare_se(x, bootstrap = bad, numderiv = FALSE),
          bootstrap = bootstrap_se(if (inherits(bad, "hesscheck")) bad else x, "d", R = 2,
                                   seed = 1, progress = FALSE)
        )
        "ok"
      },
      methods = {
        x <- check_fit(par, fn)
        pdf(NULL)
        on.exit(dev.off(), add = TRUE)
        invisible(list(format(x), summary(x), coef(x), suppressWarnings(vcov(x)),
                       confint(x, level = pick(0.9, 0.99)), as.data.frame(x), plot(x)))
        "ok"
      }
    )
  }, error = function(e) {
    calls <- sys.calls()
    where <<- paste(deparse(conditionCall(e), nlines = 1L)[1L], "|", vapply(utils::tail(calls, 6), function(cl) deparse(cl, nlines = 1L)[1L],
                           ""), collapse = " <- ")
  }, warning = function(w) {
    calls <- sys.calls()
    where <<- paste(vapply(utils::tail(calls, 8), function(cl) deparse(cl, nlines = 1L)[1L],
                           ""), collapse = " <- ")
  }), error = function(e) {
    if (inherits(e, "hesscheck_error")) "ok" else
      paste0("unclassed error (", fun, "): ", conditionMessage(e), if (verbose) paste0(" AT ", where) else "")
  }, warning = function(w) {
    if (inherits(w, "hesscheck_warning")) "ok" else
      paste0("unclassed warning (", fun, "): ", conditionMessage(w),
             if (verbose) paste0(" AT ", where) else "")
  })
  res
}

cat(sprintf(paste0(
  "fuzz: hostile input to hessian_fd(), check_fit(), compare_se(), bootstrap_se(),\n",
  "  coverage_check(), the replicate machinery (nonsense refits, dying multicore workers,\n",
  "  language objects in ..., bad backends, seeds and counts) and the print/format/plot\n",
  "  methods on valid and corrupted objects: %s (seed %d); each case must give a valid\n",
  "  result or a classed hesscheck_error_*\n"),
  if (is.finite(seconds)) sprintf("up to %g cases or %g s", cases, seconds) else
    sprintf("%g cases", cases), seed))
start <- Sys.time()
done <- 0L
failures <- character()
while (done < cases && as.numeric(Sys.time() - start, units = "secs") < seconds) {
  done <- done + 1L
  r <- run_case(done)
  if (!identical(r, "ok")) failures <- c(failures, sprintf("case %d: %s", done, r))
}
cat(sprintf("fuzz: %d cases in %.0f s (seed %d), %d failures\n", done,
            as.numeric(Sys.time() - start, units = "secs"), seed, length(failures)))
if (length(failures)) {
  tab <- sort(table(sub("^case [0-9]+: ", "", failures)), decreasing = TRUE)
  print(utils::head(tab, 30))
  cat(utils::head(failures, 10), sep = "\n")
  quit(status = 1)
}
