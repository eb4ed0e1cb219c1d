package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/normalize"
	"github.com/muster-sec/muster/shared/scenario"
)

// NormResult is normalisation throughput for one provider's payloads,
// measured on one goroutine (so per core), next to json.Unmarshal of the
// same bytes into an empty interface (the floor).
type NormResult struct {
	Provider       string  `json:"provider"`
	Payloads       int     `json:"payloads"`
	Alerts         int     `json:"alertsPerPass"`
	AlertsPerSec   float64 `json:"alertsPerSec"`
	NsPerAlert     float64 `json:"nsPerAlert"`
	AllocsPerAlert float64 `json:"allocsPerAlert"`
	BytesPerAlert  float64 `json:"bytesPerAlert"`
	FloorPerSec    float64 `json:"floorAlertsPerSec"`
	FloorNsPerAl   float64 `json:"floorNsPerAlert"`
	// Ratio is normalisation time ÷ floor time (≤ 2 is the target).
	Ratio float64 `json:"ratioToFloor"`
	Note  string  `json:"note,omitempty"`
}

// MeasureNormalize benchmarks normalize.Parse over the sample payloads in
// samplesDir/<provider>/*.json, plus "generic (scenario)": the scenario's
// alerts as generic webhook bodies of 50 alerts.
func MeasureNormalize(samplesDir string, sc *scenario.Scenario) []NormResult {
	var out []NormResult
	for _, p := range alert.Providers {
		files, _ := filepath.Glob(filepath.Join(samplesDir, p, "*.json"))
		sort.Strings(files)
		var bodies [][]byte
		for _, f := range files {
			if b, err := os.ReadFile(f); err == nil {
				bodies = append(bodies, b)
			}
		}
		out = append(out, measureBodies(p, p, bodies))
	}
	if sc != nil {
		var bodies [][]byte
		for i := 0; i < len(sc.Alerts) && len(bodies) < 20; i += 50 {
			bodies = append(bodies, Generic(sc.Alerts[i:min(i+50, len(sc.Alerts))]))
		}
		out = append(out, measureBodies("generic (scenario, 50/request)", alert.ProviderGeneric, bodies))
	}
	return out
}

func measureBodies(name, provider string, bodies [][]byte) NormResult {
	r := NormResult{Provider: name, Payloads: len(bodies)}
	now := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	var ok [][]byte
	for _, b := range bodies {
		res, err := normalize.Parse(provider, b, now)
		if err != nil {
			continue
		}
		n := 0
		for _, x := range res {
			if x.Err == nil {
				n++
			}
		}
		if n > 0 {
			ok = append(ok, b)
			r.Alerts += n
		}
	}
	r.Payloads = len(ok)
	if r.Alerts == 0 {
		r.Note = "no sample payloads that normalise"
		return r
	}
	norm := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, body := range ok {
				_, _ = normalize.Parse(provider, body, now)
			}
		}
	})
	floor := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, body := range ok {
				var v any
				_ = json.Unmarshal(body, &v)
			}
		}
	})
	per := float64(r.Alerts)
	r.NsPerAlert = float64(norm.NsPerOp()) / per
	r.AllocsPerAlert = float64(norm.AllocsPerOp()) / per
	r.BytesPerAlert = float64(norm.AllocedBytesPerOp()) / per
	r.FloorNsPerAl = float64(floor.NsPerOp()) / per
	if r.NsPerAlert > 0 {
		r.AlertsPerSec = 1e9 / r.NsPerAlert
	}
	if r.FloorNsPerAl > 0 {
		r.FloorPerSec = 1e9 / r.FloorNsPerAl
		r.Ratio = r.NsPerAlert / r.FloorNsPerAl
	}
	return r
}

// EngineResult is correlation engine throughput on one goroutine with a
// given amount of state already correlated.
type EngineResult struct {
	State          int     `json:"stateAlerts"`
	Measured       int     `json:"measuredAlerts"`
	Batch          int     `json:"batch"`
	AlertsPerSec   float64 `json:"alertsPerSec"`
	NsPerAlert     float64 `json:"nsPerAlert"`
	AllocsPerAlert float64 `json:"allocsPerAlert"`
	Groups         int     `json:"groups"`
	KeyDays        int     `json:"keyDays"`
	// StateBytes is the heap the engine's in-memory state holds after
	// loading State alerts; per group and per alert below.
	StateBytes       uint64  `json:"stateBytes"`
	BytesPerGroup    float64 `json:"bytesPerGroup"`
	LoadSeconds      float64 `json:"loadSeconds"`
	MeasureSeconds   float64 `json:"measureSeconds"`
	GenerateSeconds  float64 `json:"generateSeconds"`
	ScenarioAlerts   int     `json:"scenarioAlerts"`
	IncidentsCreated int     `json:"incidents"`
	// MaxKeyDayEntries is the most alerts indexed under one key on one day
	// in the state, and MaxKeyDayBytes that record's JSON size (a DynamoDB
	// item holds at most 400 KB); BytesPerEntry is the mean entry size.
	MaxKeyDayEntries int     `json:"maxKeyDayEntries"`
	MaxKeyDayBytes   int     `json:"maxKeyDayBytes"`
	MaxKeyDayKey     string  `json:"maxKeyDayKey"`
	BytesPerEntry    float64 `json:"bytesPerEntry"`
}

// MeasureEngine loads state alerts of a scaled default scenario into the
// engine's in-memory store, then times applying the next measured alerts
// (in stream batches of 100, committed to the same store: Apply plus
// CommitAll, the engine's whole decision path without I/O).
func MeasureEngine(seed uint64, state, measured int) (EngineResult, error) {
	r := EngineResult{State: state, Measured: measured, Batch: 100}
	t := time.Now()
	base := len(scenario.Generate(scenario.DefaultConfig()).Alerts)
	f := float64(state+measured) / float64(base) * 1.02
	sc := scenario.Generate(scenario.Scale(seed, f))
	r.GenerateSeconds = time.Since(t).Seconds()
	r.ScenarioAlerts = len(sc.Alerts)
	if len(sc.Alerts) < state+measured {
		return r, fmt.Errorf("scenario has %d alerts, need %d", len(sc.Alerts), state+measured)
	}
	eng, err := correlate.New(correlate.DefaultConfig())
	if err != nil {
		return r, err
	}
	mem := correlate.NewMemory()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.HeapAlloc
	t = time.Now()
	if err := Feed(eng, mem, sc.Alerts[:state], r.Batch); err != nil {
		return r, err
	}
	r.LoadSeconds = time.Since(t).Seconds()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	if ms.HeapAlloc > before {
		r.StateBytes = ms.HeapAlloc - before
	}
	groups := mem.Groups()
	kds := mem.KeyDays()
	r.Groups, r.KeyDays = len(groups), len(kds)
	var biggest *correlate.KeyDay
	for _, kd := range kds {
		if biggest == nil || len(kd.Entries) > len(biggest.Entries) {
			biggest = kd
		}
	}
	if biggest != nil && len(biggest.Entries) > 0 {
		b, _ := json.Marshal(biggest.Entries)
		r.MaxKeyDayEntries, r.MaxKeyDayBytes, r.MaxKeyDayKey = len(biggest.Entries), len(b), string(biggest.Key)
		r.BytesPerEntry = float64(len(b)) / float64(len(biggest.Entries))
	}
	kds = nil
	if r.Groups > 0 {
		r.BytesPerGroup = float64(r.StateBytes) / float64(r.Groups)
	}
	groups = nil

	next := sc.Alerts[state : state+measured]
	runtime.ReadMemStats(&ms)
	mallocs := ms.Mallocs
	t = time.Now()
	if err := Feed(eng, mem, next, r.Batch); err != nil {
		return r, err
	}
	el := time.Since(t)
	runtime.ReadMemStats(&ms)
	r.MeasureSeconds = el.Seconds()
	r.NsPerAlert = float64(el.Nanoseconds()) / float64(measured)
	r.AlertsPerSec = float64(measured) / el.Seconds()
	r.AllocsPerAlert = float64(ms.Mallocs-mallocs) / float64(measured)
	for _, g := range mem.Groups() {
		if g.IsIncident {
			r.IncidentsCreated++
		}
	}
	return r, nil
}
