#!/usr/bin/env bash
# Install what building, checking and benchmarking hesscheck needs, from Debian's packages
# where they exist and from CRAN otherwise. Does nothing when everything is present.
set -u
rpkgs="roxygen2 numDeriv knitr rmarkdown testthat MASS sandwich future future.apply"
missing_r() {
  Rscript -e 'p <- commandArgs(TRUE); m <- p[!vapply(p, requireNamespace, TRUE, quietly = TRUE)]; cat(m)' $rpkgs 2>/dev/null
}
need=$(missing_r)
tools_missing=""
command -v pandoc >/dev/null 2>&1 || tools_missing="$tools_missing pandoc"
command -v qpdf >/dev/null 2>&1 || tools_missing="$tools_missing qpdf"
if [ -z "$need" ] && [ -z "$tools_missing" ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
if command -v apt-get >/dev/null 2>&1; then
  debs="$tools_missing"
  for p in $need; do debs="$debs r-cran-$(echo "$p" | tr 'A-Z' 'a-z')"; done
  echo "deps: installing$debs"
  $SUDO apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $debs \
    >/dev/null 2>&1 || echo "deps: apt-get could not install all of:$debs"
fi
need=$(missing_r)
if [ -n "$need" ]; then
  echo "deps: installing from CRAN: $need"
  Rscript -e 'install.packages(commandArgs(TRUE), repos = "https://cloud.r-project.org")' $need
fi
need=$(missing_r)
if [ -n "$need" ]; then
  echo "deps: still missing: $need" >&2
  exit 1
fi
exit 0
