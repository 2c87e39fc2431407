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
if (!is.null(lib)) {
  .libPaths(c(lib, .libPaths()))
  # snow workers started here find the same installation
  Sys.setenv(R_LIBS = paste(c(normalizePath(lib), Sys.getenv("R_LIBS")),
                            collapse = .Platform$path.sep))
}
suppressPackageStartupMessages(library(hesscheck))
set.seed(seed)
forking <- .Platform$OS.type != "windows"

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
                   "unbounded", "noisy", "kink", "product", "neg_inf", "edge"), 1L)
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
    neg_inf = function(p) if (p[1] > 5) -Inf else base(p),
    # a log-variance at its edge (flat outwards, rising inwards) under noise that swamps
    # its curvature (find_drift()'s at_edge())
    edge = function(p) 3 * exp(p[1]) + sum((p[-1] - 0.1)^2) + 1e-10 * sin(1e7 * sum(p))
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

# Whether a valid result's methods all work: an object the package made must pass its
# own checks (a hesscheck_error from them here is a failure, not a classed error).
methods_work <- function(obj) {
  ok <- tryCatch({
    invisible(utils::capture.output(print(obj)))
    if (inherits(obj, "hesscheck")) {
      invisible(list(format(obj), utils::capture.output(print(summary(obj))), coef(obj),
                     suppressWarnings(vcov(obj)), confint(obj), as.data.frame(obj)))
    }
    if (inherits(obj, c("hesscheck_profile", "hesscheck_se"))) invisible(as.data.frame(obj))
    if (inherits(obj, "hessian_fd")) invisible(list(format(obj), as.matrix(obj)))
    TRUE
  }, error = function(e) {
    assign("fuzz_methods_error", conditionMessage(e), envir = globalenv())
    FALSE
  })
  ok
}

# The error methods_work() met last, for the failure's message.
methods_error <- function() get0("fuzz_methods_error", globalenv(), ifnotfound = "")

valid_hessian <- function(h, n) {
  m <- as.matrix(h)
  is.matrix(m) && all(dim(m) == n) && isSymmetric(unname(m)) &&
    is.matrix(attr(h, "error")) && all(attr(h, "error") >= 0 | is.na(attr(h, "error"))) &&
    methods_work(h)
}

valid_check <- function(x, n) {
  inherits(x, "hesscheck") && nrow(x$table) == n &&
    x$verdict %in% names(hesscheck:::verdict_text) &&
    is.data.frame(x$findings) && all(x$table$se > 0 | is.na(x$table$se)) &&
    length(format(x)) > 0L && methods_work(x)
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

# Hostile values for a field of a result object.
gen_bad_value <- function() {
  pick(NULL, "a", 1:3, list(), NA, -1, Inf, NaN, c(a = 1, b = 2), data.frame(), TRUE,
       function(p) p, matrix(1:4, 2), character(), numeric(), list(a = 1), factor("x"),
       1e308, -0, as.complex(1), quote(x))
}

# An object with one field changed: a top-level field, an element or column one level
# down, or (for a hessian_fd matrix, or a check_fit() result's Hessian) an attribute.
# Returns list(object, field) or NULL where R itself refuses the value.
corrupt <- function(obj) {
  v <- gen_bad_value()
  tryCatch(suppressWarnings({
    if (inherits(obj, "hessian_fd")) {
      a <- sample(setdiff(names(attributes(obj)), "class"), 1L)
      attr(obj, a) <- v
      class(obj) <- "hessian_fd"
      return(list(object = obj, field = a))
    }
    k <- sample(names(obj), 1L)
    inner <- obj[[k]]
    if (k == "hessian" && runif(1) < 0.5) {
      a <- sample(setdiff(names(attributes(inner)), "class"), 1L)
      attr(inner, a) <- v
      obj[["hessian"]] <- inner
      return(list(object = obj, field = paste0("hessian$", a)))
    }
    if (is.list(inner) && length(names(inner)) && !is.function(inner) && runif(1) < 0.6) {
      j <- sample(names(inner), 1L)
      if (is.data.frame(inner)) {
        cls <- class(inner)
        rn <- attr(inner, "row.names")
        inner <- unclass(inner)
        inner[j] <- list(v)
        attr(inner, "row.names") <- rn
        class(inner) <- cls
      } else {
        inner[j] <- list(v)
      }
      obj[[k]] <- inner
      return(list(object = obj, field = paste0(k, "$", j)))
    }
    obj[k] <- list(v)
    list(object = obj, field = k)
  }), error = function(e) NULL)
}

# Objects of every class, built once (they are valid; each case corrupts a copy).
fixtures <- local({
  cache <- NULL
  function() {
    if (!is.null(cache)) return(cache)
    dat <- rnorm(8)
    f2 <- function(p, d) sum((p - mean(d))^2) + 1
    x <- check_fit(c(a = 0.1, b = -0.1), f2, d = dat)
    x <- check_fit(c(a = mean(dat), b = mean(dat)), f2, d = dat)
    b <- bootstrap_se(x, "d", R = 3, refit = function(d, s) s + mean(d), seed = 1,
                      progress = FALSE)
    pr <- profile_ci(x)
    cache <<- list(
      x = x, summary = summary(x), b = b, pr = pr,
      se = compare_se(x, bootstrap = b, numderiv = FALSE, profile = pr),
      cc = coverage_check(x, "d", function(p, d) rnorm(8), R = 3, seed = 1,
                          refit = function(d, s) s + mean(d), progress = FALSE),
      h = hessian_fd(f2, c(a = 0.1, b = -0.1), d = dat),
      from = if (requireNamespace("stats4", quietly = TRUE)) {
        y <- dat
        check_fit(stats4::mle(function(mu = 0, lsd = 0) -sum(dnorm(y, mu, exp(lsd), log = TRUE)),
                              method = "BFGS"))
      })
    cache
  }
})

# The methods of each class (a display method must give a valid result or an object
# error), and the functions that take an object back (any classed error).
object_methods <- function(fx) list(
  x = list(print = function(o) utils::capture.output(print(o)), format = format,
           summary = function(o) utils::capture.output(print(summary(o))), coef = coef,
           vcov = function(o) suppressWarnings(vcov(o)), confint = confint,
           as.data.frame = as.data.frame, plot = plot),
  summary = list(print = function(o) utils::capture.output(print(o))),
  from = list(print = function(o) utils::capture.output(print(o)), format = format,
              coef = coef, confint = confint),
  b = list(print = function(o) utils::capture.output(print(o)), format = format, plot = plot),
  pr = list(print = function(o) utils::capture.output(print(o)), format = format,
            as.data.frame = as.data.frame, plot = plot),
  se = list(print = function(o) utils::capture.output(print(o)), format = format,
            as.data.frame = as.data.frame, plot = plot),
  cc = list(print = function(o) utils::capture.output(print(o)), format = format, plot = plot),
  h = list(print = function(o) utils::capture.output(print(o)), format = format,
           as.matrix = as.matrix))
object_takers <- function(fx) list(
  x = list(compare_se = function(o) compare_se(o, numderiv = FALSE, profile = FALSE),
           profile_ci = function(o) profile_ci(o, parm = 1),
           bootstrap_se = function(o) bootstrap_se(o, "d", R = 2, seed = 1, progress = FALSE),
           coverage_check = function(o) coverage_check(o, "d", function(p, d) rnorm(8), R = 2,
                                                       seed = 1, progress = FALSE)),
  b = list(compare_se = function(o) compare_se(fx$x, bootstrap = o, numderiv = FALSE,
                                               profile = FALSE),
           confint = function(o) confint(fx$x, method = "bootstrap", bootstrap = o)),
  pr = list(compare_se = function(o) compare_se(fx$x, numderiv = FALSE, profile = o)))

# A snow cluster kept across cases (started on first use; started again when a case
# killed its nodes), and the fits whose objective cannot leave the session.
fuzz_cluster <- local({
  cl <- NULL
  function(fresh = FALSE) {
    if (!is.null(cl) && (fresh || !isTRUE(tryCatch(
      all(unlist(parallel::clusterEvalQ(cl, TRUE))), error = function(e) FALSE)))) {
      try(parallel::stopCluster(cl), silent = TRUE)
      cl <<- NULL
    }
    if (is.null(cl)) cl <<- parallel::makeCluster(2)
    cl
  }
})
local_fits <- local({
  cache <- NULL
  function() {
    if (!is.null(cache)) return(cache)
    out <- list()
    if (requireNamespace("lme4", quietly = TRUE)) {
      fit <- lme4::lmer(Reaction ~ Days + (1 | Subject), lme4::sleepstudy, REML = FALSE)
      out$lmer <- list(fit = fit, x = check_fit(fit), state = function() {
        list(lme4::getME(fit, "theta"), lme4::ranef(fit), stats::fitted(fit))
      })
    }
    if (requireNamespace("glmmTMB", quietly = TRUE)) {
      fit <- glmmTMB::glmmTMB(count ~ mined + (1 | site), family = poisson,
                              data = glmmTMB::Salamanders)
      out$glmmTMB <- list(fit = fit, x = check_fit(fit), state = function() {
        mget(c("last.par", "last.par.best", "value.best"), envir = fit$obj$env)
      })
    }
    cache <<- out
    out
  }
})

run_case <- function(i) {
  fun <- sample(c("hessian_fd", "hessian_fd", "check_fit", "check_fit", "compare_se",
                  "bootstrap_se", "coverage_check", "methods", "replicates", "corrupt",
                  "corrupt", "corrupt", "arguments", "arguments", "parallel", "fits",
                  "fit_calls", "guard"), 1L)
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
        if (!valid_hessian(h, n)) paste("invalid hessian_fd result", methods_error()) else "ok"
      },
      check_fit = {
        fit <- if (runif(1) < 0.5) par else pick(list(par = par), list(estimate = par,
                                                   minimum = 1, code = 1),
                                                 list(par = par, objective = 1, iterations = 1),
                                                 list(par = par, hessian = diag(2)), list())
        x <- check_fit(fit, fn, gr = gr, lower = b[[1]], upper = b[[2]],
                       fnscale = pick(1, -1, 0, "a"), control = ctrl)
        if (!valid_check(x, n)) paste("invalid check_fit result", methods_error()) else "ok"
      },
      compare_se = {
        x <- check_fit(par, fn)
        cs <- compare_se(x, fn_obs = pick(NULL, function(p) rep(fn(p) / 3, 3),
                                          function(p) "a", function(p) c(1, NA)),
                         numderiv = FALSE)
        if (!inherits(cs, "hesscheck_se") || !methods_work(cs)) {
          paste("invalid compare_se result", methods_error())
        } else "ok"
      },
      bootstrap_se = {
        dat <- rnorm(5)
        f2 <- function(p, d) fn(p) + 0 * sum(d)
        x <- check_fit(par, f2, d = dat)
        bs <- bootstrap_se(x, data = pick("d", "zz", 1), R = pick(2, 3, 0, NA),
                           refit = pick(NULL, function(d, s) s, function(d, s) stop("x"),
                                        function(d, s) "a"),
                           seed = pick(1, NULL, "a"), progress = FALSE)
        if (!inherits(bs, "hesscheck_boot") || !methods_work(bs)) {
          paste("invalid bootstrap_se result", methods_error())
        } else "ok"
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
        if (!inherits(cc, "hesscheck_coverage") || !methods_work(cc)) {
          paste("invalid coverage_check result", methods_error())
        } else "ok"
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
        if (!inherits(res, c("hesscheck_boot", "hesscheck_coverage")) || !methods_work(res)) {
          paste("invalid replicate result", methods_error())
        } else if (!all(res$status %in% c("ok", "not_converged", "failed"))) {
          "invalid replicate status"
        } else "ok"
      },
      corrupt = {
        # every class, every field, every method: a display method gives a valid result
        # or an object error naming a field; a function that takes the object back, a
        # valid result or any classed error.
        fx <- fixtures()
        which <- sample(names(object_methods(fx)), 1L)
        if (is.null(fx[[which]])) return("ok")
        cr <- corrupt(fx[[which]])
        if (is.null(cr)) return("ok")
        pdf(NULL)
        on.exit(dev.off(), add = TRUE)
        takers <- object_takers(fx)[[if (which == "summary") "x" else which]]
        ms <- c(object_methods(fx)[[which]], takers)
        m <- sample(names(ms), 1L)
        r <- tryCatch({
          ms[[m]](cr$object)
          "ok"
        }, hesscheck_error = function(e) e)
        if (inherits(r, "hesscheck_error") && !m %in% names(takers) &&
            !inherits(r, "hesscheck_error_object")) {
          return(sprintf("corrupted %s$%s: %s() gave %s, not an object error", which,
                         cr$field, m, class(r)[1L]))
        }
        if (inherits(r, "hesscheck_error_object") && !is.character(r$field)) {
          return(sprintf("corrupted %s$%s: %s()'s object error names no field", which,
                         cr$field, m))
        }
        "ok"
      },
      arguments = {
        # hostile arguments to the methods and to the functions' newer settings
        fx <- fixtures()
        junk <- gen_bad_value()
        pdf(NULL)
        on.exit(dev.off(), add = TRUE)
        what <- sample(c("confint_method", "confint_dots", "confint_parm", "digits",
                         "plot_parm", "coverage_missing", "profile_control", "max_memory",
                         "names", "level", "parallel"), 1L)
        switch(what,
          confint_method = confint(fx$x, method = pick(junk, "bogus", "prof", c("wald", "x"))),
          confint_dots = confint(fx$x, method = pick("wald", "profile", "bootstrap"),
                                 foo = junk),
          confint_parm = confint(fx$x, parm = junk),
          digits = format(pick(fx$x, fx$b, fx$pr, fx$se, fx$cc, fx$h), digits = junk),
          plot_parm = plot(fx$pr, parm = junk),
          coverage_missing = if (runif(1) < 0.5) coverage_check(fx$x) else
            coverage_check(fx$x, simulate = function(p, d) d, data = pick(NULL, junk)),
          profile_control = profile_ci(fx$x, control = stats::setNames(
            list(junk), sample(c("max_se", "tol", "tol_newmin", "reltol", "maxit"), 1L))),
          max_memory = hessian_fd(function(p) sum(p^2), c(1, 2),
                                  control = list(max_memory = pick(junk, 31.9, 32, 1e-300))),
          names = {
            p <- c(1, 2, 3)
            names(p) <- pick(c("a", "", NA), c(NA, NA, NA), c("", "", ""), c("p2", "", "x"))
            h <- hessian_fd(function(p) sum(p^2), p)
            if (anyNA(rownames(h)) || any(!nzchar(rownames(h))) ||
                !all(names(p)[!is.na(names(p)) & nzchar(names(p))] %in% rownames(h))) {
              return("hessian_fd dropped or mangled a given name")
            }
          },
          level = confint(fx$x, level = junk),
          parallel = profile_ci(fx$x, parallel = junk)
        )
        "ok"
      },
      parallel = {
        # the backends against serial mode: helpers calling helpers, warnings from fn,
        # random numbers, workers that die
        be <- pick("multicore", "snow", "future")
        if (be == "multicore" && !forking) be <- "snow"
        if (be == "future") {
          if (!requireNamespace("future.apply", quietly = TRUE)) return("ok")
          old <- do.call(future::plan, list(pick("sequential", if (forking) "multicore" else
            "sequential")))
          on.exit(future::plan(old), add = TRUE)
        }
        cl <- if (be == "snow") fuzz_cluster()
        genv <- globalenv()
        glob <- function(f) {
          environment(f) <- genv
          f
        }
        assign(".fuzz_h2", glob(function(p) sum((p - 0.3)^2) + 0.1 * sum(p^4)), genv)
        assign(".fuzz_h1", glob(function(p) .fuzz_h2(p)), genv)
        kind <- sample(c("globals", "warnings", "rng", "kill", "profile"), 1L)
        n <- sample(1:4, 1L)
        switch(kind,
          globals = {
            f <- glob(function(p) .fuzz_h1(p))
            h0 <- hessian_fd(f, rep(0.1, n))
            h1 <- hessian_fd(f, rep(0.1, n), parallel = be, ncpus = 2, cl = cl,
                             control = list(trace = 0))
            if (!identical(h0, h1)) return(sprintf("%s: Hessian differs from serial", be))
          },
          warnings = {
            f <- function(p) {
              warning("fuzz warning")
              sum(p^2)
            }
            count <- function(expr) {
              k <- 0L
              withCallingHandlers(expr, warning = function(w) {
                k <<- k + 1L
                invokeRestart("muffleWarning")
              })
              k
            }
            k0 <- count(hessian_fd(f, rep(1, n)))
            k1 <- count(hessian_fd(f, rep(1, n), parallel = be, ncpus = 2, cl = cl,
                                       control = list(trace = 0)))
            if (k0 != k1) return(sprintf("%s: %d warnings, serial %d", be, k1, k0))
          },
          rng = {
            f <- function(p) sum(p^2) + 1e-9 * stats::runif(1)
            bad <- FALSE
            set.seed(3)
            h1 <- withCallingHandlers(hessian_fd(f, rep(1, n), parallel = be, ncpus = 2, cl = cl,
                                                 control = list(trace = 0)),
                                      warning = function(w) bad <<- TRUE)
            set.seed(3)
            h2 <- hessian_fd(f, rep(1, n), parallel = be, ncpus = 2, cl = cl,
                             control = list(trace = 0))
            if (bad) return(sprintf("%s: a warning with an fn that draws random numbers", be))
            if (!identical(h1, h2)) return(sprintf("%s: not reproducible after set.seed()", be))
          },
          kill = {
            if (be == "future") return("ok")
            dat <- rnorm(6)
            f3 <- function(p, d) sum((p - mean(d))^2)
            x <- check_fit(rep(mean(dat), n), f3, d = dat)
            ref <- function(d, s) {
              if (mean(d) > 0.5) tools::pskill(Sys.getpid())
              s + mean(d)
            }
            b <- suppressWarnings(bootstrap_se(x, "d", R = 6, refit = ref, seed = 1,
                                               parallel = be, ncpus = 2,
                                               cl = if (runif(1) < 0.5) cl, progress = FALSE))
            if (be == "snow") fuzz_cluster(fresh = TRUE)
            serial <- bootstrap_se(x, "d", R = 6, refit = function(d, s) s + mean(d), seed = 1,
                                   progress = FALSE)
            ok <- b$status == "ok"
            if (!identical(b$replicates[ok, ], serial$replicates[ok, ])) {
              return(sprintf("%s: replicates that survived differ from serial", be))
            }
          },
          profile = {
            dat <- rnorm(10)
            f <- glob(function(p, d) .fuzz_h1(p - mean(d)))
            x <- check_fit(rep(0.3 + mean(dat), n), f, d = dat)
            if (x$verdict != "minimum") return("ok")
            p0 <- profile_ci(x, parm = 1)
            p1 <- profile_ci(x, parm = 1, parallel = be, ncpus = 2, cl = cl)
            if (!identical(p0$table, p1$table)) return(sprintf("%s: profile differs", be))
          })
        "ok"
      },
      fits = {
        # fits whose objective cannot leave the session, on the backends that serialise
        # it: a classed error, never a crash or 'NULL value passed as symbol address';
        # and profiling them serially leaves their state as it was
        fits <- local_fits()
        if (!length(fits)) return("ok")
        lf <- fits[[sample.int(length(fits), 1L)]]
        x <- lf$x
        if (runif(1) < 0.3) {
          s0 <- lf$state()
          invisible(pick(profile_ci(x, parm = 1), compare_se(x, numderiv = FALSE)))
          if (!identical(lf$state(), s0)) return(sprintf("%s: its state moved", x$source$class))
          return("ok")
        }
        be <- pick("snow", "future")
        if (be == "future") {
          if (!requireNamespace("future.apply", quietly = TRUE)) return("ok")
          # a plan of other processes (the kept cluster's, cheaper than new workers)
          old <- future::plan(future::cluster, workers = fuzz_cluster())
          on.exit(future::plan(old), add = TRUE)
        }
        r <- tryCatch(switch(sample(c("profile", "boot", "cover"), 1L),
          profile = profile_ci(x, parallel = be),
          boot = bootstrap_se(x, R = 2, parallel = be, progress = FALSE),
          cover = coverage_check(x, simulate = function(p, d) d, R = 2, parallel = be,
                                 progress = FALSE)),
          hesscheck_error_bad_parallel = function(e) "ok")
        if (!identical(r, "ok")) return(sprintf("%s on %s: not refused", x$source$class, be))
        "ok"
      },
      fit_calls = {
        # the ways of calling the fitting functions: nls with subset, NA rows, weights and
        # vector parameters (linear models, whose profiled SEs are vcov()'s times
        # sqrt((n - p) / n)); stats4 mle with fixed parameters and bounds; MASS's t;
        # bbmle with the data as an argument of minuslogl
        m <- sample(30:60, 1L)
        dd <- data.frame(xx = seq_len(m), w = sample(c(1, 2, 4), m, TRUE))
        dd$yy <- 2 + 0.5 * dd$xx + rnorm(m) / sqrt(dd$w)
        kind <- sample(c("nls", "mle", "t", "mle2"), 1L)
        switch(kind,
          nls = {
            if (runif(1) < 0.5) dd$yy[sample.int(m, sample(0:3, 1L))] <- NA
            sub <- pick(NULL, quote(xx > 5), quote(w > 1))
            vec <- runif(1) < 0.5
            args <- list(if (vec) yy ~ b[1] + b[2] * xx else yy ~ a + b * xx, data = dd,
                         start = if (vec) list(b = c(1, 1)) else list(a = 1, b = 1))
            if (!is.null(sub)) args$subset <- sub
            if (runif(1) < 0.5) args$weights <- quote(w)
            f <- tryCatch(do.call(stats::nls, args), error = function(e) NULL)
            if (is.null(f)) return("ok")
            x <- check_fit(f)
            k <- length(f$m$resid())
            want <- sqrt(diag(vcov(f))) * sqrt((k - 2) / k)
            if (x$verdict != "minimum" || max(abs(x$table$se / want - 1)) > 1e-4) {
              return(sprintf("nls (%s): verdict %s, SE ratio off", deparse(args[[1L]]), x$verdict))
            }
          },
          mle = {
            y <- rnorm(40, 3, 2)
            nll <- function(mu = 0, lsd = 0) -sum(dnorm(y, mu, exp(lsd), log = TRUE))
            lo <- pick(c(-10, 0.8), list(mu = -10, lsd = 0.8), list(lsd = 0.8))
            fit <- tryCatch(suppressWarnings(stats4::mle(
              nll, start = list(lsd = 1), fixed = list(mu = 3), method = "L-BFGS-B",
              lower = lo, upper = c(10, 5))), error = function(e) NULL)
            if (is.null(fit)) return("ok")
            x <- check_fit(fit)
            if (!identical(x$problem$lower, 0.8)) return("mle: the bound of lsd is not 0.8")
          },
          t = {
            if (!requireNamespace("MASS", quietly = TRUE)) return("ok")
            y <- 1 + 2 * rt(200, 5)
            df <- pick(NULL, 5)
            f <- tryCatch(suppressWarnings(if (is.null(df)) MASS::fitdistr(y, "t") else
              MASS::fitdistr(y, "t", df = df)), error = function(e) NULL)
            if (is.null(f)) return("ok")
            x <- if (is.null(df)) check_fit(f, x = y, densfun = "t") else
              check_fit(f, x = y, densfun = "t", df = df)
            if (abs(x$value + f$loglik) > 1e-6 * abs(f$loglik)) return("fitdistr t: value differs")
          },
          mle2 = {
            if (!requireNamespace("bbmle", quietly = TRUE)) return("ok")
            y <- rpois(30, 3) + 1
            nll <- function(lambda, y) -sum(dpois(y, lambda, log = TRUE))
            fit <- suppressWarnings(bbmle::mle2(nll, start = list(lambda = 2),
                                                data = list(y = y), method = "L-BFGS-B",
                                                lower = 1e-6))
            x <- check_fit(fit)
            if (x$verdict == "minimum" && abs(x$table$se / sqrt(mean(y) / 30) - 1) > 1e-3) {
              return("mle2 with data as an argument: SE off")
            }
          })
        "ok"
      },
      guard = {
        # the memory guard before anything proportional to n: refused quickly
        big <- numeric(pick(1e6, 1e7))
        t <- system.time(r <- tryCatch(pick(hessian_fd(function(p) sum(p^2), big),
                                            check_fit(big, function(p) sum(p^2))),
                                       hesscheck_error_too_large = function(e) "refused"))
        if (!identical(r, "refused")) return("a huge problem was not refused")
        if (t[["elapsed"]] > 1) return(sprintf("a huge problem took %.1f s to refuse", t[["elapsed"]]))
        "ok"
      },
      methods = {
        x <- check_fit(par, fn)
        pdf(NULL)
        on.exit(dev.off(), add = TRUE)
        if (!methods_work(x)) {
          return(paste("a check_fit() result fails its methods:", methods_error()))
        }
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
  "  methods on valid and corrupted objects of every class (every field), hostile\n",
  "  arguments to the methods, the parallel backends against serial mode (helpers,\n",
  "  warnings, random numbers, dying workers) and fits that cannot leave the session:\n",
  "  %s (seed %d); each case must give a valid\n",
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
