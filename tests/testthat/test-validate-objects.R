# Every method of every result class checks its object once at entry: a field that was
# changed or lost is a classed hesscheck_error_object naming that field, never an
# unclassed error from deep inside. And the methods' own arguments are checked.

objects_fixture <- function() {
  set.seed(1)
  y <- rnorm(30, 5, 2)
  nll <- function(p, y) -sum(dnorm(y, p[1], exp(p[2]), log = TRUE))
  mle <- c(mu = mean(y), ls = log(sqrt(mean((y - mean(y))^2))))
  x <- check_fit(mle, nll, y = y)
  b <- bootstrap_se(x, "y", R = 5, seed = 1, progress = FALSE)
  pr <- profile_ci(x)
  se <- compare_se(x, bootstrap = b, numderiv = FALSE, profile = pr)
  cc <- coverage_check(x, "y", function(par, data) rnorm(length(data), par[1], exp(par[2])),
                       R = 4, seed = 1, progress = FALSE)
  h <- hessian_fd(nll, mle, y = y)
  list(x = x, b = b, pr = pr, se = se, cc = cc, h = h, y = y)
}

# The hostile values a field is replaced by.
bad_values <- list(NULL, "a", 1:3, list(), NA, -1, Inf, c(a = 1, b = 2), data.frame(),
                   function(p) p)

# Every field of an object, as paths: the top-level ones, the columns of its data
# frames and the elements of its lists (one level down).
field_paths <- function(obj) {
  out <- list()
  for (k in names(obj)) {
    out[[length(out) + 1L]] <- k
    v <- obj[[k]]
    if (is.list(v) && !is.null(names(v)) && !is.function(v)) {
      for (j in names(v)) out[[length(out) + 1L]] <- c(k, j)
    }
  }
  out
}

set_path <- function(obj, path, value) {
  if (length(path) == 1L) {
    obj[path] <- list(value)
  } else {
    inner <- obj[[path[1L]]]
    if (is.data.frame(inner) && !is.null(value) && length(value) != nrow(inner)) {
      inner <- unclass(inner)
      inner[path[2L]] <- list(value)
      attributes(inner) <- c(attributes(inner)[c("names")],
                             list(class = "data.frame",
                                  row.names = attr(obj[[path[1L]]], "row.names")))
    } else {
      inner[path[2L]] <- list(value)
    }
    obj[[path[1L]]] <- inner
  }
  obj
}

# Run a method on a corrupted object: it must work, or stop with a classed object error
# that names the corrupted field (or a field inside it); a function that evaluates the
# objective again (`evaluates`) may also stop with another classed error (a `...`
# argument removed is fn failing, a data argument that no longer exists is bad data).
expect_object_error_or_ok <- function(expr, path, label, evaluates = FALSE) {
  res <- tryCatch({
    force(expr)
    "ok"
  }, error = identity, warning = function(w) {
    if (inherits(w, "hesscheck_warning")) "ok" else w
  })
  if (identical(res, "ok")) return(succeed())
  if (inherits(res, "warning")) {
    fail(sprintf("%s: unclassed warning: %s", label, conditionMessage(res)))
    return(invisible())
  }
  if (evaluates && inherits(res, "hesscheck_error") && !inherits(res, "hesscheck_error_object")) {
    return(succeed())
  }
  if (!inherits(res, "hesscheck_error_object")) {
    fail(sprintf("%s: %s error: %s", label, class(res)[1L], conditionMessage(res)))
    return(invisible())
  }
  expect_true(startsWith(res$field, path[1L]) || identical(res$field, "(the object)") ||
                identical(res$field, paste(path, collapse = "$")),
              label = sprintf("%s names %s (not %s)", label, paste(path, collapse = "$"),
                              res$field))
}

test_that("check_fit() results: every method, every field corrupted", {
  fx <- objects_fixture()
  x <- fx$x
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off(), add = TRUE)
  methods <- list(
    print = function(o) utils::capture.output(print(o)), format = format,
    summary = function(o) utils::capture.output(print(summary(o))), coef = coef,
    vcov = function(o) suppressWarnings(vcov(o)), confint = confint,
    as.data.frame = as.data.frame, plot = plot,
    compare_se = function(o) compare_se(o, numderiv = FALSE, profile = FALSE),
    profile_ci = function(o) profile_ci(o, parm = 1),
    bootstrap_se = function(o) bootstrap_se(o, "y", R = 2, seed = 1, progress = FALSE))
  paths <- c(field_paths(x), lapply(setdiff(names(attributes(x$hessian)),
                                            c("dim", "dimnames", "class")),
                                    function(a) c("hessian", a)))
  for (path in paths) for (v in bad_values) {
    bad <- tryCatch(suppressWarnings(if (path[1L] == "hessian" && length(path) == 2L) {
      h <- x$hessian
      attr(h, path[2L]) <- v
      `[[<-`(x, "hessian", h)
    } else set_path(x, path, v)), error = function(e) NULL)
    if (is.null(bad)) next              # R itself refuses the value (dim <- NA)
    for (m in names(methods)) {
      expect_object_error_or_ok(methods[[m]](bad), path,
                                sprintf("%s(x$%s <- %s)", m, paste(path, collapse = "$"),
                                        deparse(v, nlines = 1L)[1L]),
                                evaluates = m %in% c("compare_se", "profile_ci", "bootstrap_se"))
    }
  }
  # a column of a data frame of another length than its rows (R's print would warn
  # "corrupt data frame")
  s <- summary(x)
  s$eigen_table <- set_path(list(t = s$eigen_table), c("t", "direction"), character())$t
  e <- tryCatch(print(s), error = identity, warning = identity)
  expect_s3_class(e, "hesscheck_error_object")
  expect_identical(e$field, "eigen_table")
  e <- tryCatch(print(set_path(x, c("table", "se"), "a")), error = identity)
  expect_s3_class(e, "hesscheck_error_bad_object")
  expect_identical(e$field, "table$se")
  expect_snapshot(error = TRUE, print(set_path(x, c("table", "se"), "a")))
  expect_snapshot(error = TRUE, coef(set_path(x, "par", "a")))
})

test_that("profile, bootstrap, compare_se and coverage results: every method, every field", {
  fx <- objects_fixture()
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off(), add = TRUE)
  cases <- list(
    pr = list(print = function(o) utils::capture.output(print(o)), format = format,
              as.data.frame = as.data.frame, plot = plot,
              compare_se = function(o) compare_se(fx$x, numderiv = FALSE, profile = o)),
    b = list(print = function(o) utils::capture.output(print(o)), format = format,
             plot = plot,
             compare_se = function(o) compare_se(fx$x, bootstrap = o, numderiv = FALSE,
                                                 profile = FALSE),
             confint = function(o) confint(fx$x, method = "bootstrap", bootstrap = o)),
    se = list(print = function(o) utils::capture.output(print(o)), format = format,
              as.data.frame = as.data.frame, plot = plot),
    cc = list(print = function(o) utils::capture.output(print(o)), format = format,
              plot = plot))
  for (obj in names(cases)) {
    o <- fx[[obj]]
    for (path in field_paths(o)) for (v in bad_values) {
      bad <- set_path(o, path, v)
      for (m in names(cases[[obj]])) {
        expect_object_error_or_ok(cases[[obj]][[m]](bad), path,
                                  sprintf("%s(%s$%s <- %s)", m, obj, paste(path, collapse = "$"),
                                          deparse(v, nlines = 1L)[1L]),
                                  evaluates = m %in% c("compare_se", "confint"))
      }
    }
  }
})

test_that("hessian_fd results: every method, every attribute corrupted", {
  h <- objects_fixture()$h
  methods <- list(print = function(o) utils::capture.output(print(o)), format = format,
                  as.matrix = as.matrix)
  for (a in c(setdiff(names(attributes(h)), "class"))) for (v in bad_values) {
    bad <- tryCatch(suppressWarnings({
      bad <- h
      attr(bad, a) <- v
      class(bad) <- "hessian_fd"
      bad
    }), error = function(e) NULL)
    if (is.null(bad)) next              # R itself refuses the value (dim <- NA)
    for (m in names(methods)) {
      res <- tryCatch({
        methods[[m]](bad)
        "ok"
      }, error = identity)
      if (!identical(res, "ok")) {
        expect_s3_class(res, "hesscheck_error_object")
        expect_true(res$field %in% c(a, "matrix"),
                    label = sprintf("%s with attr %s corrupted names it (%s)", m, a, res$field))
      } else succeed()
    }
  }
  bad <- h
  attr(bad, "error") <- "a"
  expect_snapshot(error = TRUE, print(bad))
})

test_that("the methods' own arguments are checked", {
  fx <- objects_fixture()
  x <- fx$x
  expect_error(confint(x, method = "bogus"), class = "hesscheck_error_bad_argument")
  expect_error(confint(x, method = 1), class = "hesscheck_error_bad_argument")
  expect_error(confint(x, method = "profile", foo = 1), class = "hesscheck_error_bad_argument")
  expect_error(confint(x, method = "bootstrap", foo = 1), class = "hesscheck_error_bad_argument")
  expect_error(confint(x, foo = 1), class = "hesscheck_error_bad_argument")
  expect_error(confint(x, parm = "nope"), class = "hesscheck_error_bad_parm")
  expect_error(confint(x, level = 2), class = "hesscheck_error_bad_level")
  expect_error(confint(x, level = NA_real_), class = "hesscheck_error_bad_level")
  expect_error(confint(x, level = NaN), class = "hesscheck_error_bad_level")
  expect_snapshot(error = TRUE, confint(x, method = "profile", foo = 1))
  # partial matching, as match.arg() allows, still works
  expect_identical(confint(x, method = "prof"), confint(x, method = "profile"))
  for (d in list("a", 0, -1, NA, 1.5, 1:2, 100)) {
    expect_error(format(x, digits = d), class = "hesscheck_error_bad_argument")
    expect_error(print(fx$pr, digits = d), class = "hesscheck_error_bad_argument")
    expect_error(print(fx$b, digits = d), class = "hesscheck_error_bad_argument")
    expect_error(print(fx$se, digits = d), class = "hesscheck_error_bad_argument")
    expect_error(print(fx$cc, digits = d), class = "hesscheck_error_bad_argument")
    expect_error(print(fx$h, digits = d), class = "hesscheck_error_bad_argument")
  }
  expect_error(plot(fx$pr, parm = "nope"), class = "hesscheck_error_bad_parm")
})

test_that("coverage_check() without simulate or data: a classed error with a call that runs", {
  fx <- objects_fixture()
  x <- fx$x
  e <- tryCatch(coverage_check(x), error = identity)
  expect_s3_class(e, "hesscheck_error_missing_argument")
  expect_identical(e$argument, "simulate")
  expect_snapshot(error = TRUE, coverage_check(x))
  # the call it shows runs
  call <- regmatches(conditionMessage(e), regexpr("coverage_check\\(x, .*\\) runs",
                                                 conditionMessage(e)))
  call <- sub(" runs$", "", call)
  cc <- eval(parse(text = paste0(sub("\\)$", "", call), ", R = 3, seed = 1, progress = FALSE)")))
  expect_s3_class(cc, "hesscheck_coverage")
  # with simulate but no data: the data argument is named, with an example
  e <- tryCatch(coverage_check(x, simulate = function(par, data) data), error = identity)
  expect_s3_class(e, "hesscheck_error_bad_data")
  expect_identical(e$argument, "data")
  expect_match(conditionMessage(e), "data = \"y\"", fixed = TRUE)
  # a data frame argument: rows resampled
  set.seed(2)
  d <- data.frame(y = rnorm(20))
  x2 <- check_fit(c(mu = mean(d$y)), function(p, data) sum((data$y - p)^2) / 2, data = d)
  e <- tryCatch(coverage_check(x2), error = identity)
  expect_match(conditionMessage(e), "data[sample.int(nrow(data), replace = TRUE), , drop = FALSE]",
               fixed = TRUE)
})
