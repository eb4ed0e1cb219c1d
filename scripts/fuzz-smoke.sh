#!/usr/bin/env bash
# Runs every fuzz target in the module for a fixed budget of executions
# (default 20000x each). A target is any "func FuzzXxx(f *testing.F)" in a
# _test.go file.
# The budget is a count, not a duration: with a duration, Go 1.26's fuzz
# coordinator can race its own deadline and report "context deadline
# exceeded" with no failing input (golang/go#75804, fixed in Go 1.27). A count
# has no deadline to race; a slow machine only takes longer.
# -fuzzminimizetime 0: a smoke run does not minimise new interesting inputs
# (minimising one can take up to a minute, and a deadline that falls inside
# it is reported as "context deadline exceeded", not as a finding).
set -euo pipefail
fuzztime=${1:-20000x}
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
