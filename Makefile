# hesscheck: `make demo` and `make test` work on a fresh machine (they install what they need).
R ?= R
RSCRIPT ?= Rscript
PKG := hesscheck
VERSION := $(shell sed -n 's/^Version: *//p' DESCRIPTION)
TARBALL := $(PKG)_$(VERSION).tar.gz

.PHONY: all deps document build install demo test check bench fuzz sanitize valgrind gctorture clean

all: install

deps:
	@bash tools/deps.sh

# Against the installed package, so that roxygen2 needs no compiler tool chain (pkgbuild).
document: install
	$(RSCRIPT) -e 'roxygen2::roxygenise(load_code = roxygen2::load_installed)'

build: deps
	rm -f $(TARBALL)
	$(R) CMD build .

install: build
	$(R) CMD INSTALL $(TARBALL)

demo: install
	$(RSCRIPT) -e 'demo("saddle", package = "$(PKG)", ask = FALSE, echo = TRUE)'

# R CMD check --as-cran on the built tarball, vignette included (NOT_CRAN=true: snapshot
# tests run too); fails on ERROR or WARNING. Then a fuzz slice and the vignette's code.
test: deps
	rm -f $(TARBALL)
	$(R) CMD build .
	_R_CHECK_CRAN_INCOMING_=false _R_CHECK_CRAN_INCOMING_REMOTE_=false \
	  _R_CHECK_FUTURE_FILE_TIMESTAMPS_=false _R_CHECK_SYSTEM_CLOCK_=0 NOT_CRAN=true \
	  $(R) CMD check --as-cran --no-manual $(TARBALL); status=$$?; \
	  bash tools/test-summary.sh $(PKG).Rcheck > .test-summary; \
	  if [ $$status -ne 0 ]; then echo "R CMD check failed"; cat .test-summary; exit 1; fi; \
	  if grep -E -q '^Status:.*(ERROR|WARNING)' $(PKG).Rcheck/00check.log; then \
	    echo "R CMD check reported an ERROR or WARNING"; cat .test-summary; exit 1; fi; \
	  $(RSCRIPT) tools/fuzz.R --seconds $(FUZZ_SLICE) --cases 1000000 --lib $(PKG).Rcheck \
	    || { echo "fuzz slice failed"; cat .test-summary; exit 1; }; \
	  echo "vignette: its visible code, extracted from the built HTML, in a fresh session"; \
	  R_LIBS=$(CURDIR)/$(PKG).Rcheck $(RSCRIPT) tools/vignette-code.R \
	    $(PKG).Rcheck/00_pkg_src/$(PKG)/inst/doc/$(PKG).html \
	    || { echo "vignette code failed"; cat .test-summary; exit 1; }; \
	  cat .test-summary

check: test

# Hostile input to every exported function: FUZZ_CASES seeded cases (a FUZZ_SLICE-second
# slice runs in `make test`).
FUZZ_CASES ?= 10000
FUZZ_SLICE ?= 30
fuzz: install
	$(RSCRIPT) tools/fuzz.R --cases $(FUZZ_CASES)

# The test suite under AddressSanitizer + UBSan (private R_MAKEVARS_USER), and under valgrind.
sanitize: deps
	bash tools/sanitize.sh

# Exit status 1 on any memory error or definite/possible leak in the main R process
# (tools/valgrind.supp: the one known leak report that is not ours, cli's timer thread).
valgrind: install
	@command -v valgrind >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" != 0 ] && command -v sudo >/dev/null && echo "sudo -n" ); \
	  echo "valgrind: not found; installing Debian's package"; \
	  { $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends valgrind; } \
	    > .valgrind-install.log 2>&1 || \
	  { tail -n 5 .valgrind-install.log; echo "valgrind: could not install it; install valgrind and rerun" >&2; exit 1; }; }
	$(R) -d "valgrind --error-exitcode=1 --leak-check=full --suppressions=tools/valgrind.supp" \
	  --vanilla --quiet -f tools/run-tests.R

# A reduced set of calls under gctorture(TRUE), so that a missing PROTECT cannot hide.
gctorture: install
	$(RSCRIPT) tools/gctorture.R

# bench/random.R: the calibration property on BENCH_RANDOM random problems (a fresh seed
# each run, printed; --seed S to replay).
BENCH_RANDOM ?= 2000
bench: install
	$(RSCRIPT) bench/random.R --count $(BENCH_RANDOM)
	$(RSCRIPT) bench/run.R
	$(RSCRIPT) bench/suite.R
	$(RSCRIPT) bench/nist.R
	$(RSCRIPT) bench/serial.R
	$(RSCRIPT) bench/methods.R

clean:
	rm -rf $(PKG).Rcheck $(PKG)_*.tar.gz .test-summary src/*.o src/*.so
