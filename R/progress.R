# Progress bars: the one of long Hessians and check_fit() (shown only for calls projected
# to take long, fed by the C core and by R's probes) and the one of replicates.

# A progress bar for calls projected to take more than `show_after` seconds: the
# projection is the mean time per evaluation so far (the running mean, not the first
# evaluations': an fn that is cheap at par, as TMB's objective is where its random effects
# were last optimised, and slow elsewhere gets its bar) times the evaluations left. It
# asks to be called again after about `update` seconds of evaluations at that mean, and
# at the latest when the count has quadrupled (so that a change of cost is seen in time),
# so that a cheap call is asked a few times only (log4 of its evaluations).
# Returns an object of class "hesscheck_progress":
#   fun(done): done evaluations in the current phase; returns the evaluations until it
#     wants to be called again;
#   phase(k): a new phase of k expected evaluations starts (a Hessian of check_fit());
#   tick(): one evaluation more, from R (check_fit()'s probes after the Hessian);
#   close(complete): the bar filled to 100% only when the work completed (an error
#     leaves it where it stopped).
# `start`: when the work started (proc.time()'s elapsed), for an object made only when
# first asked (lazy_progress()).
# A progress object made only when the C core first asks (after the first evaluation, or
# progress_thresholds$first_tick of them): a cheap call that ends before pays nothing.
lazy_progress <- function(expected, start) {
  force(start)                         # the time now, not at the first call
  prog <- NULL
  fun <- function(done) {
    if (is.null(prog)) {
      now <- proc.time()[["elapsed"]] - start
      if (now < progress_thresholds$first_bar) {
        # too early for a bar, whatever the projection: asked again as new_progress()
        # would ask
        per <- max(now / max(done, 1), 1e-9)
        again <- min(progress_thresholds$update / per,
                     max(3 * done, progress_thresholds$first_tick), 1e9)
        return(if (again < 1) 1L else as.integer(again))
      }
      prog <<- new_progress(expected, start)
    }
    prog$fun(done)
  }
  list(fun = fun, close = function(complete) if (!is.null(prog)) prog$close(complete))
}

progress_thresholds <- list(
  show_after = 2,      # seconds: a call projected to take longer shows a bar
  quiet_below = 0.5,   # seconds: a call projected (from fn at par) below this is asked
                       # only after first_tick evaluations
  first_tick = 32,     # evaluations before such a call is first asked
  update = 0.2,        # seconds between updates of the bar
  first_bar = 0.5      # seconds of work before a bar is first drawn
)

# The fraction of the work done: done / expected, but from 90% on it approaches 100%
# without reaching it (the expected count is an estimate: check_fit()'s probes after the
# Hessian, a search that takes more steps), so that the bar keeps moving and is full only
# when the work is.
progress_fraction <- function(done, expected) {
  expected <- max(expected, 1)
  if (done <= 0.9 * expected) return(done / expected)
  0.9 + 0.1 * (1 - exp(-(done - 0.9 * expected) / expected))
}

new_progress <- function(expected, start = proc.time()[["elapsed"]]) {
  force(start)
  bar <- NULL
  base <- 0            # evaluations of the phases before the current one
  total <- 0           # evaluations so far, all phases
  countdown <- progress_thresholds$first_tick
  shown <- 0           # the fraction shown, which never goes back
  show <- function() {
    now <- proc.time()[["elapsed"]] - start
    per <- max(now / max(total, 1), 1e-9)
    # again after `update` seconds at the mean cost, and at the latest when the count has
    # quadrupled
    again <- min(progress_thresholds$update / per, max(3 * total, progress_thresholds$first_tick),
                 1e9)
    again <- if (again < 1) 1L else as.integer(again)
    if (is.null(bar)) {
      if (now + per * max(expected - total, 0) < progress_thresholds$show_after ||
          now < progress_thresholds$first_bar) {
        return(again)
      }
      bar <<- text_bar(1)
    }
    shown <<- max(shown, progress_fraction(total, expected))
    bar$set(shown)
    again
  }
  fun <- function(done) {
    total <<- base + done
    show()
  }
  phase <- function(k) {
    base <<- total
    expected <<- expected + k
    invisible()
  }
  tick <- function() {
    total <<- total + 1
    countdown <<- countdown - 1
    if (countdown <= 0) countdown <<- show()
    invisible()
  }
  close <- function(complete = TRUE) {
    if (is.null(bar)) return(invisible())
    if (complete) bar$set(1)
    bar$close()
    bar <<- NULL
    invisible()
  }
  structure(list(fun = fun, phase = phase, tick = tick, close = close),
            class = "hesscheck_progress")
}

# The one text bar of the package: utils::txtProgressBar() from 0 to max, style 3, with
# set(value) and close(). new_progress() draws fractions of 1 on it; run_serial() counts
# replicates on one from 0 to R.
text_bar <- function(max) {
  bar <- utils::txtProgressBar(0, max, style = 3)
  list(set = function(value) utils::setTxtProgressBar(bar, value),
       close = function() close(bar))
}
