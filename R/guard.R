# A guard before huge work: estimate the memory and the number of evaluations a job
# needs before doing any of it, stop with a classed error when the memory cannot fit, and
# say how many evaluations are coming when there are very many.

# Named constants of the guard (their meaning in the comments).
guard_const <- list(
  # The C core's work space in doubles per n^2 (hessian.c: stencil values, steps, errors),
  # f-only and gradient mode; the result adds the Hessian and its error matrix (2 n^2).
  work_f = 2, work_gr = 4, result = 2,
  # Calls of gr in gradient mode: about 6 n + 16 (the engine's budget on well-scaled
  # problems; calls of fn in f-only mode are about 2 (n^2 + n) + 4 n + 1).
  gr_per_n = 6, gr_fixed = 16,
  # Default memory limit: this share of the memory available (MemAvailable in
  # /proc/meminfo) ...
  memory_share = 0.5,
  # ... or, where that cannot be read, this many bytes.
  memory_default = 4 * 1024^3,
  # Jobs needing less memory than this (bytes) are not checked against the default limit:
  # any machine that runs R has it.
  small_job = 64 * 1024^2,
  # A job of more evaluations than this is announced with a message.
  many_evaluations = 1e6
)

# Bytes of memory available to this process, or NA where the system does not say.
available_memory <- function(meminfo = "/proc/meminfo") {
  if (!file.exists(meminfo)) return(NA_real_)
  lines <- tryCatch(readLines(meminfo, n = 50L, warn = FALSE), error = function(e) character())
  hit <- grep("^MemAvailable:", lines, value = TRUE)
  if (length(hit) != 1L) return(NA_real_)
  kb <- suppressWarnings(as.numeric(gsub("[^0-9]", "", hit)))
  if (is.finite(kb) && kb > 0) kb * 1024 else NA_real_
}

# The memory limit in bytes: `max_memory` when given (a single positive number, Inf for
# none), else a share of the available memory, else a fixed default.
memory_limit <- function(max_memory = NULL, arg = "control$max_memory") {
  if (!is.null(max_memory)) {
    if (!is.numeric(max_memory) || length(max_memory) != 1L || is.na(max_memory) ||
        max_memory <= 0) {
      hc_abort("bad_control", sprintf(
        "`%s` must be a single positive number of bytes (Inf for no limit), or NULL for %g%% of the available memory.",
        arg, 100 * guard_const$memory_share
      ))
    }
    return(as.double(max_memory))
  }
  avail <- available_memory()
  if (is.na(avail)) guard_const$memory_default else guard_const$memory_share * avail
}

# b bytes in the largest unit that keeps it at 1 or more, with `digits` decimals (none
# for bytes, one for the other units, unless more are asked for).
format_bytes <- function(b, digits = NULL) {
  units <- c("bytes", "kB", "MB", "GB", "TB", "PB")
  k <- max(0, min(length(units) - 1, floor(log(max(b, 1), 1024))))
  if (is.null(digits)) digits <- if (k == 0) 0L else 1L
  if (k == 0 && b == 1) return("1 byte")
  sprintf("%.*f %s", as.integer(digits), b / 1024^k, units[k + 1L])
}

# Two sizes, the first larger than the second, formatted so that they read differently
# (32 bytes against a limit of 31.9 bytes, not 32 against 32): more decimals until they
# differ.
format_bytes_pair <- function(a, b) {
  fa <- format_bytes(a)
  fb <- format_bytes(b)
  d <- if (grepl(" bytes?$", fb)) 0L else 1L
  while (identical(fa, fb) && d < 15L) {
    d <- d + 1L
    fa <- format_bytes(a, d)
    fb <- format_bytes(b, d)
  }
  c(fa, fb)
}

format_count <- function(x) {
  if (x < 1e9) format(round(x), big.mark = ",", scientific = FALSE, trim = TRUE) else
    sprintf("%.1e", x)
}

# Stop with hesscheck_error_too_large when `bytes` exceed the limit; `what` says what for.
check_memory <- function(bytes, what, max_memory = NULL, extra = "") {
  # Small jobs need no look at the system (reading /proc/meminfo costs 0.1 ms a call,
  # a fifth of a cheap Hessian's fixed cost): the limit is then reported as NA.
  if (is.null(max_memory) && bytes <= guard_const$small_job) return(invisible(NA_real_))
  limit <- memory_limit(max_memory)
  if (bytes > limit) {
    shown <- format_bytes_pair(bytes, limit)
    hc_abort("too_large", sprintf(
      "%s would need about %s of memory, more than the limit of %s%s. Nothing was computed.",
      what, shown[1L], shown[2L], extra
    ), bytes = bytes, limit = limit)
  }
  invisible(limit)
}

#' Memory and evaluations of a Hessian, checked before any work
#'
#' Internal: `hessian_fd()` calls it after its argument checks. The C core allocates about
#' `2 n^2` doubles in f-only mode and `4 n^2` with a gradient, plus the `n x n` Hessian
#' and error matrices; it evaluates `fn` about `2 (n^2 + n) + 4 n + 1` times (mixed
#' elements four times each, the diagonal's stencils), or `gr` about `6 n + 16` times.
#' Memory above the limit (`control$max_memory` in bytes; by default half the memory
#' available, from `/proc/meminfo`, else 4 GB) is an error of class
#' `hesscheck_error_too_large` naming both figures; more than a million evaluations are
#' announced with a message of class `hesscheck_message_long_run` (silence it with
#' [suppressMessages()]), with the projected time when `seconds_per_eval` is known.
#' @return Invisibly, a list with `bytes`, `evaluations` and `limit`.
#' @keywords internal
#' @noRd
guard_work <- function(n, gradient, max_memory = NULL, seconds_per_eval = NA_real_,
                       memory = TRUE, announce = TRUE) {
  n <- as.double(n)
  per <- if (gradient) guard_const$work_gr else guard_const$work_f
  bytes <- 8 * (per + guard_const$result) * n^2
  evals <- if (gradient) guard_const$gr_per_n * n + guard_const$gr_fixed else
    2 * (n^2 + n) + 4 * n + 1
  what <- if (gradient) "gr" else "fn"
  limit <- if (memory) check_memory(
    bytes, sprintf("hessian_fd() with %s parameter%s", format_count(n),
                   if (n == 1) "" else "s"), max_memory,
    sprintf(" (control$max_memory), and about %s evaluations of %s. Use fewer parameters, or raise control$max_memory",
            format_count(evals), what)
  ) else NA_real_
  if (announce && evals > guard_const$many_evaluations) {
    time <- if (is.finite(seconds_per_eval) && seconds_per_eval > 0) {
      sprintf(", about %s at %s s each", format_seconds(evals * seconds_per_eval),
              format(signif(seconds_per_eval, 2)))
    } else ""
    message(structure(class = c("hesscheck_message_long_run", "message", "condition"),
      list(message = sprintf("hessian_fd(): %s parameters need about %s evaluations of %s%s.\n",
                             format_count(n), format_count(evals), what, time),
           call = NULL)))
  }
  invisible(list(bytes = bytes, evaluations = evals, limit = limit))
}

format_seconds <- function(s) {
  if (s < 120) return(sprintf("%.0f s", s))
  if (s < 7200) return(sprintf("%.0f min", s / 60))
  if (s < 172800) return(sprintf("%.0f h", s / 3600))
  sprintf("%.0f days", s / 86400)
}
