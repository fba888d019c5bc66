#!/bin/sh
# Prints "Tests: N passed, N failed" from the trx files under $1, so CI logs end with one plain closing line.
set -eu
dir=$1
total_passed=0
total_failed=0
for trx in $(find "$dir" -name '*.trx' 2>/dev/null); do
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  passed=$(echo "$counters" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p')
  failed=$(echo "$counters" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')
  total_passed=$((total_passed + ${passed:-0}))
  total_failed=$((total_failed + ${failed:-0}))
done
echo "Tests: $total_passed passed, $total_failed failed"
