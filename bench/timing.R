# Timers shared by the bench scripts (sourced by run.R, methods.R and serial.R). Calls
# are timed in batches long enough for the clock, and two functions are compared by
# alternating batches of each, so that a shared host's speed drifting between two
# measurements does not bias their ratio.

bench_quick <- "--quick" %in% commandArgs(trailingOnly = TRUE)

# Calls of fun per timed batch, so that a batch lasts at least `seconds`.
batch_size <- function(fun, seconds = 0.02) {
  t1 <- system.time(fun())[["elapsed"]]
  if (t1 < 0.002) t1 <- system.time(for (k in 1:50) fun())[["elapsed"]] / 50
  max(1L, ceiling(seconds / max(t1, 1e-7)))
}

# Wall time of one call of fun in a batch of `batch` calls.
batch_time <- function(fun, batch) {
  system.time(for (k in seq_len(batch)) fun())[["elapsed"]] / batch
}

# Median wall time of one call of fun over `samples` batches.
time_it <- function(fun, samples = if (bench_quick) 3L else 7L) {
  batch <- batch_size(fun)
  stats::median(vapply(seq_len(samples), function(i) batch_time(fun, batch), 0))
}

# fa against fb over `samples` alternating pairs of batches: the median ratio of the two
# times of one call (with its quartiles), their medians, and the median difference.
time_ratio <- function(fa, fb, samples = if (bench_quick) 5L else 15L, seconds = 0.02) {
  ba <- batch_size(fa, seconds)
  bb <- batch_size(fb, seconds)
  tab <- vapply(seq_len(samples), function(i) c(batch_time(fa, ba), batch_time(fb, bb)),
                numeric(2))
  r <- stats::quantile(tab[1, ] / tab[2, ], c(0.25, 0.5, 0.75), names = FALSE)
  c(ratio = r[2L], q1 = r[1L], q3 = r[3L], a = stats::median(tab[1, ]),
    b = stats::median(tab[2, ]), diff = stats::median(tab[1, ] - tab[2, ]))
}

# fa against fb call by call: `pairs` pairs of single calls, the order alternating, each
# timed with the microsecond clock (Sys.time()). For calls of a few milliseconds, where a
# shared host's drift within a batch is as large as the difference sought. Returns the
# ratio of the median times and of the 10%-trimmed means (which keep the collections of
# the garbage the calls leave), with the medians and the median difference.
time_pairs <- function(fa, fb, pairs = if (bench_quick) 50L else 400L) {
  for (k in 1:5) {
    fa()
    fb()
  }
  tab <- matrix(0, 2L, pairs)
  one <- function(f) {
    t0 <- Sys.time()
    f()
    as.double(Sys.time()) - as.double(t0)
  }
  for (i in seq_len(pairs)) {
    if (i %% 2L) {
      tab[1L, i] <- one(fa)
      tab[2L, i] <- one(fb)
    } else {
      tab[2L, i] <- one(fb)
      tab[1L, i] <- one(fa)
    }
  }
  ma <- stats::median(tab[1L, ])
  mb <- stats::median(tab[2L, ])
  c(ratio = ma / mb, trimmed = mean(tab[1L, ], trim = 0.1) / mean(tab[2L, ], trim = 0.1),
    a = ma, b = mb, diff = stats::median(tab[1L, ] - tab[2L, ]))
}
