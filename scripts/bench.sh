#!/usr/bin/env bash
# bench.sh — Muster's measurements (`make bench`).
#
# Runs bench/cmd/report, which in one process: scores Muster's correlation
# against two baselines on a generated, labelled scenario; pushes alerts
# through the real handlers on moto to count DynamoDB and EventBridge work
# per alert; measures normalisation and engine throughput; drives the local
# stack end to end; builds every function and times its cold start; and runs
# every Go benchmark in the repository (go test -bench, parsed).
#
# Output: bench/out/report.md and bench/out/report.json (not committed).
# Extra arguments go to the report command, e.g.:
#   scripts/bench.sh -short                 # smoke run, tiny sizes
#   scripts/bench.sh -skip e2e,coldstart    # only some sections
#   scripts/bench.sh -only quality          # correlation quality alone (seconds)
#   BENCH_ARGS="-seed 7" make bench
set -euo pipefail
cd "$(dirname "$0")/.."
command -v moto_server >/dev/null || echo "bench: moto_server not found; cost, end-to-end and cold-start sections will report an error" >&2
mkdir -p bench/out
# shellcheck disable=SC2086
go run ./bench/cmd/report -out bench/out ${BENCH_ARGS:-} "$@"
echo "bench: wrote bench/out/report.md and bench/out/report.json" >&2
