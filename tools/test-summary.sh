#!/usr/bin/env bash
# Print one line "N passed, N failed" from the testthat output of an R CMD check.
# Usage: tools/test-summary.sh [hesscheck.Rcheck]
dir=${1:-hesscheck.Rcheck}
out=""
for f in "$dir/tests/testthat.Rout" "$dir/tests/testthat.Rout.fail"; do
  [ -f "$f" ] && out="$f"
done
if [ -z "$out" ]; then
  echo "0 passed, 1 failed"
  exit 0
fi
line=$(grep -E '\[ FAIL [0-9]+ \| WARN [0-9]+ \| SKIP [0-9]+ \| PASS [0-9]+ \]' "$out" | tail -n 1)
if [ -z "$line" ]; then
  echo "0 passed, 1 failed"
  exit 0
fi
fail=$(echo "$line" | sed -E 's/.*FAIL ([0-9]+).*/\1/')
pass=$(echo "$line" | sed -E 's/.*PASS ([0-9]+).*/\1/')
skip=$(echo "$line" | sed -E 's/.*SKIP ([0-9]+).*/\1/')
echo "$pass passed, $fail failed, $skip skipped"
