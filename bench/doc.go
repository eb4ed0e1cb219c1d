// Package bench measures Muster: correlation quality against the baselines
// on a generated, labelled scenario (shared/scenario, shared/quality), the
// AWS cost per alert through the real handlers on moto (items, request
// units, Lambda time, events, requests and log bytes, priced by
// bench/awsbill), an alert storm's write rate per DynamoDB partition key
// (scenario.Storm through the real normaliser, encoders and correlation
// service, metered without AWS), normalisation and engine speed from the Go benchmarks,
// end-to-end latency through the local runner, and the cold start of each
// built function.
//
// The report command (bench/cmd/report, run by scripts/bench.sh and `make
// bench`) runs every measurement in one process and writes
// bench/out/report.md and bench/out/report.json.
//
// Correlation quality is scored on two seed families — tuned (seeds 1–5 by
// default: the engine's rules may be tuned on them) and untuned (101–105,
// never tuned on, reported apart) — under the realistic noise model, with
// Muster on the legacy noise model as the "before" row. `go run
// ./bench/cmd/report -only quality` runs that section alone in seconds.
package bench
