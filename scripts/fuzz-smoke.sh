#!/usr/bin/env bash
# Runs every fuzz target in the module for a short time (default 3s each).
# A target is any "func FuzzXxx(f *testing.F)" in a _test.go file.
# -fuzzminimizetime 0: a smoke run does not minimise new interesting inputs
# (minimising one can take up to a minute, and a deadline that falls inside
# it is reported as "context deadline exceeded", not as a finding).
set -euo pipefail
fuzztime=${1:-3s}
cd "$(dirname "$0")/.."
n=0
while IFS=: read -r file _ line; do
  name=$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*)\(.*/\1/' <<<"$line")
  pkg=./$(dirname "$file")
  echo "fuzz $pkg $name ($fuzztime)"
  go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime 0 "$pkg" >/tmp/muster-fuzz.log 2>&1 || { cat /tmp/muster-fuzz.log; exit 1; }
  n=$((n+1))
done < <(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . | grep -v node_modules || true)
echo "fuzz smoke: $n targets, none failed"
