# The progress bar: projected from the mean cost of the evaluations so far (an fn cheap at
# par and slow elsewhere gets one), never full before the work is, and covering
# check_fit()'s work after the Hessian.

# The updates of the bar as c(evaluations of fn so far, fraction shown), from a trace of
# utils::setTxtProgressBar(); `calls` is read from the environment `counter`.
with_bar_log <- function(expr, counter) {
  log <- new.env()
  log$rows <- NULL
  suppressMessages(trace("setTxtProgressBar", where = asNamespace("utils"), print = FALSE,
                         tracer = bquote({
                           e <- .(log)
                           e$rows <- rbind(e$rows, c(.(counter)$calls, value))
                         })))
  on.exit(suppressMessages(untrace("setTxtProgressBar", where = asNamespace("utils"))))
  out <- utils::capture.output(value <- tryCatch(expr, error = identity))
  list(value = value, rows = log$rows, output = out)
}

test_that("an fn cheap at par and slow elsewhere gets a bar", {
  skip_on_cran()
  counter <- new.env()
  counter$calls <- 0
  p0 <- c(1, 2, 3, 4, 5, 6)
  f <- function(p) {
    counter$calls <- counter$calls + 1
    if (!isTRUE(all(p == p0))) Sys.sleep(0.03)      # 109 evaluations: about 3.3 s
    sum(p^2)
  }
  r <- with_bar_log(hessian_fd(f, p0), counter)
  expect_s3_class(r$value, "hessian_fd")
  expect_equal(unname(diag(as.matrix(r$value))), rep(2, 6), tolerance = 1e-6)
  expect_false(is.null(r$rows))
  expect_equal(r$rows[nrow(r$rows), 2L], 1)
  expect_true(any(grepl("100%", r$output, fixed = TRUE)))
})

test_that("when fn fails part way, the bar stops where it was, short of 100%", {
  skip_on_cran()
  counter <- new.env()
  counter$calls <- 0
  f <- function(p) {
    counter$calls <- counter$calls + 1
    if (counter$calls > 60) stop("fn fails at call 60")
    Sys.sleep(0.03)
    sum(p^2)
  }
  r <- with_bar_log(hessian_fd(f, c(1, 2, 3, 4, 5, 6)), counter)
  expect_s3_class(r$value, "hesscheck_error_fn_failed")
  expect_false(is.null(r$rows))
  expect_lt(max(r$rows[, 2L]), 0.9)
  expect_false(any(grepl("100%", r$output, fixed = TRUE)))
})

test_that("check_fit()'s bar covers the probes of fn after the Hessian", {
  skip_on_cran()
  counter <- new.env()
  counter$calls <- 0
  # a nearly collinear pair, c 1e-4 from its optimum: that leftover gradient could tilt
  # the nearly flat direction a + b past its sign, and fn is asked along it (as many
  # evaluations again as the Hessian's; 0.05 s each, so that the projected time passes
  # the bar's threshold)
  f <- function(p) {
    counter$calls <- counter$calls + 1
    Sys.sleep(0.05)
    (p[1] - p[2])^2 + 1e-7 * (p[1] + p[2])^2 + p[3]^2
  }
  r <- with_bar_log(check_fit(c(a = 0, b = 0, c = 1e-4), f), counter)
  x <- r$value
  expect_s3_class(x, "hesscheck")
  h_evals <- attr(x$hessian, "evaluations")[["fn"]]
  expect_gt(x$evaluations[["fn"]], 2 * h_evals)
  rows <- r$rows
  expect_false(is.null(rows))
  # the bar moved while fn was asked after the Hessian, never back, and was full only at
  # the end
  moving <- rows[rows[, 1L] > h_evals & rows[, 2L] < 1, , drop = FALSE]
  expect_gt(nrow(moving), 1)
  expect_true(all(diff(rows[, 2L]) >= 0))
  expect_identical(which(rows[, 2L] == 1), nrow(rows))
  expect_equal(rows[nrow(rows), 1L], x$evaluations[["fn"]])
  # trace = 0 silences it
  expect_silent(check_fit(c(a = 0, b = 0, c = 0), f, control = list(hessian = list(trace = 0))))
})

test_that("cheap calls show no bar", {
  expect_silent(hessian_fd(function(p) sum(p^2), 1:10))
  expect_silent(check_fit(c(a = 0, b = 0), function(p) sum(p^2)))
  expect_error(hessian_fd(function(p) sum(p^2), 1, control = list(.progress = "a")),
               class = "hesscheck_error_bad_control")
})
