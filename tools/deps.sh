#!/usr/bin/env bash
# Install what building, checking and benchmarking hesscheck needs, from Debian's packages
# where they exist and from CRAN otherwise. Does nothing when everything is present.
#
# On a fresh machine another apt process (unattended-upgrades, cloud-init) often holds
# apt's locks for a while: apt-get waits for them (up to DEPS_LOCK_TIMEOUT seconds,
# default 600), its output is kept in a log whose last lines are shown when it fails, and
# the tools and R packages are checked again at the end, so that a failure says what is
# missing and why. DEPS_TOOLS (default "pandoc qpdf") lists the command-line tools needed.
set -u
rpkgs="roxygen2 numDeriv knitr rmarkdown testthat MASS sandwich future future.apply globals bbmle fitdistrplus maxLik optimx TMB glmmTMB lme4"
tools="${DEPS_TOOLS:-pandoc qpdf}"
lock_timeout="${DEPS_LOCK_TIMEOUT:-600}"

missing_r() {
  Rscript -e 'p <- commandArgs(TRUE); m <- p[!vapply(p, requireNamespace, TRUE, quietly = TRUE)]; cat(m)' $rpkgs 2>/dev/null
}
missing_tools() {
  local t out=""
  for t in $tools; do command -v "$t" >/dev/null 2>&1 || out="$out $t"; done
  echo "$out"
}

need=$(missing_r)
tools_missing=$(missing_tools)
if [ -z "$need" ] && [ -z "$tools_missing" ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
log=$(mktemp "${TMPDIR:-/tmp}/hesscheck-deps.XXXXXX")

# apt-get "$@" with the output of its last attempt in $last (all of them in $log).
# apt-get install waits for the dpkg lock itself (DPkg::Lock::Timeout); apt-get update
# does not wait for the lists lock, so a "Could not get lock" failure is retried every
# 5 s until the same timeout.
last="$log.last"
apt_failed=0
apt_run() {
  local deadline=$((SECONDS + lock_timeout)) said=0 left
  while :; do
    left=$((deadline - SECONDS))
    [ "$left" -lt 0 ] && left=0
    if DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout="$left" \
         "$@" >"$last" 2>&1; then
      cat "$last" >>"$log"
      return 0
    fi
    cat "$last" >>"$log"
    if grep -q "Could not get lock" "$last" && [ "$SECONDS" -lt "$deadline" ]; then
      if [ "$said" = 0 ]; then
        echo "deps: another apt or dpkg process holds apt's lock; waiting up to ${lock_timeout} s"
        said=1
      fi
      sleep 5
      continue
    fi
    [ "$said" = 1 ] && echo "deps: gave up waiting for apt's lock after ${lock_timeout} s" >&2
    apt_failed=1
    return 1
  done
}
show_log() {
  echo "deps: $1; the last lines of apt-get's output (all of it in $log):" >&2
  grep -v "^Waiting for cache lock" "$last" | tail -n 15 | sed 's/^/  | /' >&2
}

if command -v apt-get >/dev/null 2>&1; then
  debs="$tools_missing"
  for p in $need; do debs="$debs r-cran-$(echo "$p" | tr 'A-Z' 'a-z')"; done
  echo "deps: installing$debs with apt-get"
  apt_run update -qq || show_log "apt-get update failed (continuing with the package lists there are)"
  if ! apt_run install -y -q --no-install-recommends $debs; then
    # One package apt does not know (an r-cran-* missing from this release) fails the
    # whole command: install the others one by one, so that only that one falls to CRAN.
    show_log "apt-get could not install all of:$debs"
    for d in $debs; do
      apt_run install -y -q --no-install-recommends "$d" || echo "deps: apt-get could not install $d" >&2
    done
  fi
fi
need=$(missing_r)
if [ -n "$need" ]; then
  echo "deps: installing from CRAN: $need"
  Rscript -e 'install.packages(commandArgs(TRUE), repos = "https://cloud.r-project.org")' $need
fi

# Check again: say exactly what is still missing.
status=0
need=$(missing_r)
if [ -n "$need" ]; then
  echo "deps: R packages still missing: $need" >&2
  status=1
fi
tools_missing=$(missing_tools)
if [ -n "$tools_missing" ]; then
  echo "deps: tools still missing:$tools_missing (install them with your package manager)" >&2
  [ "$apt_failed" = 1 ] && show_log "see why"
  status=1
fi
[ "$status" = 0 ] && echo "deps: everything needed is installed"
[ "$status" = 0 ] && rm -f "$log" "$last"
exit $status
