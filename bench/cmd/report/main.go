// Command report measures Muster and writes bench/out/report.md and
// bench/out/report.json: correlation quality against two baselines, cost
// per alert on moto, normalisation and engine speed, end-to-end latency
// through the local stack, cold start, and the Go benchmarks.
//
//	go run ./bench/cmd/report [-short] [-seed 1] [-out bench/out] [-skip e2e,coldstart]
//	go run ./bench/cmd/report -only quality   # correlation quality alone, seconds
//	go run ./bench/cmd/report -only storm     # the storm's write rate per partition, seconds
//
// Run it from the repository root (scripts/bench.sh does).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/muster-sec/muster/bench"
)

func main() {
	var (
		out       = flag.String("out", "bench/out", "output directory")
		seed      = flag.Uint64("seed", 1, "scenario seed")
		seeds     = flag.Int("seeds", 5, "scenarios (seed, seed+1, …) of the tuned seed family")
		untuned   = flag.String("untuned", "101-105", "seed family never tuned on, reported apart: a range lo-hi, a comma-separated list, or none")
		only      = flag.String("only", "", "comma-separated sections to run, skipping every other (e.g. quality)")
		short     = flag.Bool("short", false, "tiny sizes: a smoke test of the harness")
		skip      = flag.String("skip", "", "comma-separated sections to skip: quality,storm,cost,normalize,engine,e2e,burst,memory,coldstart,gobench")
		state     = flag.String("engine-state", "10000,1000000", "engine state sizes (alerts)")
		measured  = flag.Int("engine-measured", 20000, "alerts timed per engine state size")
		coldRuns  = flag.Int("cold-runs", 10, "starts per function for the cold-start median")
		costScale = flag.Float64("cost-scale", 1, "scale of the mixed scenario pushed through moto for cost (1 ≈ 140 alerts; moto slows down as the table grows)")
		benchTime = flag.String("benchtime", "300ms", "go test -benchtime for the Go benchmarks")
		normTime  = flag.String("norm-benchtime", "500ms", "benchmark time of each in-process normalisation measurement")
	)
	testing.Init() // testing.Benchmark reads -test.benchtime
	flag.Parse()
	if *short {
		*normTime = "50ms"
	}
	_ = flag.Set("test.benchtime", *normTime)
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, nil)))
	log := slog.Default().With("component", "bench-report")

	root, err := os.Getwd()
	if err != nil {
		log.Error("working directory", "error", err)
		os.Exit(1)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		log.Error("run from the repository root", "error", err)
		os.Exit(2)
	}
	var sizes []int
	for _, s := range strings.Split(*state, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			log.Error("bad -engine-state", "value", s)
			os.Exit(2)
		}
		sizes = append(sizes, n)
	}
	skips := splitList(*skip)
	if *only != "" {
		keep := splitList(*only)
		for _, s := range bench.Sections {
			if !keep[s] {
				skips[s] = true
			}
		}
	}
	untunedSeeds, err := parseSeeds(*untuned)
	if err != nil {
		log.Error("bad -untuned", "value", *untuned, "error", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	r := bench.Run(ctx, bench.Options{
		Root: root, Seed: *seed, Seeds: *seeds, Untuned: untunedSeeds, Short: *short, Skip: skips, EngineState: sizes, EngineMeasured: *measured,
		ColdRuns: *coldRuns, CostScale: *costScale, BenchTime: *benchTime, Logger: slog.Default(),
	})
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Error("create output directory", "error", err)
		os.Exit(1)
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		log.Error("encode report", "error", err)
		os.Exit(1)
	}
	if err := os.WriteFile(filepath.Join(*out, "report.json"), append(js, '\n'), 0o644); err != nil {
		log.Error("write report.json", "error", err)
		os.Exit(1)
	}
	md := r.Markdown()
	if err := os.WriteFile(filepath.Join(*out, "report.md"), []byte(md), 0o644); err != nil {
		log.Error("write report.md", "error", err)
		os.Exit(1)
	}
	fmt.Println(md)
	if len(r.Errors) > 0 {
		log.Warn("some sections failed; see the report's Errors", "sections", len(r.Errors))
	}
}

func splitList(v string) map[string]bool {
	out := map[string]bool{}
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out[s] = true
		}
	}
	return out
}

// parseSeeds reads "lo-hi", "a,b,c" or "none".
func parseSeeds(v string) ([]uint64, error) {
	v = strings.TrimSpace(v)
	if v == "" || v == "none" {
		return nil, nil
	}
	if lo, hi, ok := strings.Cut(v, "-"); ok {
		a, err1 := strconv.ParseUint(strings.TrimSpace(lo), 10, 64)
		b, err2 := strconv.ParseUint(strings.TrimSpace(hi), 10, 64)
		if err1 != nil || err2 != nil || b < a || b-a > 1000 {
			return nil, fmt.Errorf("range %q: want lo-hi with lo ≤ hi", v)
		}
		var out []uint64
		for s := a; s <= b; s++ {
			out = append(out, s)
		}
		return out, nil
	}
	var out []uint64
	for _, s := range strings.Split(v, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("seed %q: %w", s, err)
		}
		out = append(out, n)
	}
	return out, nil
}
