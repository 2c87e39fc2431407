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
LD_PRELOAD="$asan $ubsan" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 R_LIBS="$tmp/lib" \
  Rscript tools/run-tests.R > "$tmp/test.log" 2>&1
status=$?
tail -n 15 "$tmp/test.log"
if grep -E -q "runtime error|AddressSanitizer|LeakSanitizer" "$tmp/test.log"; then
  grep -E -A 20 "runtime error|AddressSanitizer" "$tmp/test.log" | head -60
  echo "sanitize: sanitizer reported errors"
  exit 1
fi
if [ $status -ne 0 ]; then echo "sanitize: tests failed (status $status)"; exit 1; fi
echo "sanitize: no sanitizer reports; tests passed"
