#!/usr/bin/env bash
# Build hesscheck with AddressSanitizer and UndefinedBehaviorSanitizer into a private
# library (flags through a private R_MAKEVARS_USER, never the user's ~/.R) and run the
# test suite under it; any sanitizer report fails. R itself is not instrumented, so the
# runtimes are preloaded.
set -u
cd "$(dirname "$0")/.."
CC=${CC:-gcc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo 'int main(void) { return 0; }' > "$tmp/t.c"
if ! $CC -fsanitize=address,undefined "$tmp/t.c" -o "$tmp/t" 2>/dev/null; then
  echo "sanitize: $CC does not support -fsanitize=address,undefined; skipped"
  exit 0
fi
cat > "$tmp/Makevars" <<MK
CFLAGS = -g -O1 -Wall -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS = -fsanitize=address,undefined
MK
mkdir -p "$tmp/lib"
R_MAKEVARS_USER="$tmp/Makevars" R CMD INSTALL --preclean --no-test-load -l "$tmp/lib" . \
  > "$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; exit 1; }
rm -f src/*.o src/*.so
grep -q "fsanitize=address" "$tmp/install.log" || { echo "sanitize: flags not used"; exit 1; }
asan=$($CC -print-file-name=libasan.so)
ubsan=$($CC -print-file-name=libubsan.so)
run_tests() {
  LD_PRELOAD="$asan $ubsan" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 R_LIBS="$tmp/lib" \
    Rscript tools/run-tests.R > "$1" 2>&1
}
reports() {
  if grep -E -q "runtime error|AddressSanitizer|LeakSanitizer" "$1"; then
    grep -E -A 20 "runtime error|AddressSanitizer" "$1" | head -60
    echo "sanitize: sanitizer reported errors"
    exit 1
  fi
}
run_tests "$tmp/test.log"
status=$?
tail -n 15 "$tmp/test.log"
reports "$tmp/test.log"
if [ $status -ne 0 ]; then
  # Instrumented code runs several times slower: a test with a time bound can miss it
  # without any memory error. Say which failed, and run the suite once more; a sanitizer
  # report in either run, or a failure in both, fails.
  echo "sanitize: tests failed (status $status) without a sanitizer report:"
  grep -E -A 6 "── [0-9]+\. (Failure|Error)" "$tmp/test.log" | head -40
  echo "sanitize: running the tests once more"
  run_tests "$tmp/test2.log"
  status=$?
  tail -n 5 "$tmp/test2.log"
  reports "$tmp/test2.log"
fi
if [ $status -ne 0 ]; then echo "sanitize: tests failed (status $status)"; exit 1; fi
echo "sanitize: no sanitizer reports; tests passed"
