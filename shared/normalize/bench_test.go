package normalize

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
)

// benchSamples is one representative payload per provider.
var benchSamples = []struct{ provider, file string }{
	{"guardduty", "guardduty/ssh-brute-force.json"},
	{"securityhub", "securityhub/guardduty-ssh-brute-force.json"},
	{"defender", "defender/workflow-ssh-bruteforce.json"},
	{"alertmanager", "alertmanager/ssh-failed-logins.json"},
	{"falco", "falco/terminal-shell.json"},
	{"ocsf", "ocsf/detection-finding-ssh-bruteforce.json"},
	{"generic", "generic/thin-slice-two-tactics.json"},
}

// structFloor decodes a payload into the provider's own top-level struct:
// the cheapest decode a parser could do with the same JSON library.
var structFloor = map[string]func([]byte) error{
	"guardduty":    func(b []byte) error { var v gdEvent; return json.Unmarshal(b, &v, strict) },
	"securityhub":  func(b []byte) error { var v asffUnit; return json.Unmarshal(b, &v, strict) },
	"defender":     func(b []byte) error { var v defenderUnit; return json.Unmarshal(b, &v, strict) },
	"alertmanager": func(b []byte) error { var v amUnit; return json.Unmarshal(b, &v, strict) },
	"falco":        func(b []byte) error { var v falcoEvent; return json.Unmarshal(b, &v, strict) },
	"ocsf":         func(b []byte) error { var v ocsfFinding; return json.Unmarshal(b, &v, strict) },
	"generic":      func(b []byte) error { var v []genericAlert; return json.Unmarshal(b, &v, strict) },
}

func loadBench(b *testing.B, file string) ([]byte, int) {
	b.Helper()
	body, err := os.ReadFile(filepath.Join("..", "..", "events", "samples", file))
	if err != nil {
		b.Fatal(err)
	}
	return body, 0
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// report adds alerts/op, alerts/s (wall clock) and alerts/cpu-s: alerts per
// second of CPU the process used (GC included), which stays meaningful on a
// shared, busy machine where wall-clock rates are diluted by other load.
func report(b *testing.B, alertsPerOp int, cpuStart time.Duration) {
	b.ReportMetric(float64(alertsPerOp), "alerts/op")
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(alertsPerOp*b.N)/s, "alerts/s")
	}
	if c := (cpuTime() - cpuStart).Seconds(); c > 0 && cpuStart > 0 {
		b.ReportMetric(float64(alertsPerOp*b.N)/c, "alerts/cpu-s")
	}
}

// BenchmarkNormalize measures Parse per provider: decode, map, Finish,
// Validate and the raw copy. alerts/s is per core (run with -cpu 1).
func BenchmarkNormalize(b *testing.B) {
	at := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	for _, s := range benchSamples {
		b.Run(s.provider, func(b *testing.B) {
			body, _ := loadBench(b, s.file)
			rs, err := Parse(s.provider, body, at)
			if err != nil {
				b.Fatal(err)
			}
			n := len(rs)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for b.Loop() {
				if _, err := Parse(s.provider, body, at); err != nil {
					b.Fatal(err)
				}
			}
			report(b, n, cpu)
		})
	}
}

// BenchmarkUnmarshalFloor is the floor: a bare json.Unmarshal of the same
// payload into any (maps and slices).
func BenchmarkUnmarshalFloor(b *testing.B) {
	at := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	for _, s := range benchSamples {
		b.Run(s.provider, func(b *testing.B) {
			body, _ := loadBench(b, s.file)
			rs, _ := Parse(s.provider, body, at)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for b.Loop() {
				var v any
				if err := json.Unmarshal(body, &v); err != nil {
					b.Fatal(err)
				}
			}
			report(b, len(rs), cpu)
		})
	}
}

// BenchmarkUnmarshalFloorStruct is the same payload decoded into the
// provider's own struct (the decode Parse itself starts with).
func BenchmarkUnmarshalFloorStruct(b *testing.B) {
	at := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	for _, s := range benchSamples {
		b.Run(s.provider, func(b *testing.B) {
			body, _ := loadBench(b, s.file)
			rs, _ := Parse(s.provider, body, at)
			decode := structFloor[s.provider]
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for b.Loop() {
				if err := decode(body); err != nil {
					b.Fatal(err)
				}
			}
			report(b, len(rs), cpu)
		})
	}
}
