package correlate_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/killchain"
)

// world generates alerts over a pool of resources and attacker IPs spread
// over a month: about five alerts per resource, a third naming one of the
// attacker IPs, one stage each.
type world struct {
	rng       *rand.Rand
	resources int
	ips       int
	span      time.Duration
	seq       int
}

func newWorld(seed uint64, alerts int) *world {
	return &world{rng: rand.New(rand.NewPCG(seed, 1)), resources: max(1, alerts/5), ips: max(1, alerts/50), span: 30 * 24 * time.Hour}
}

func (w *world) alert() alert.Alert {
	w.seq++
	a := alert.Alert{
		ID: fmt.Sprintf("a%09d", w.seq), Provider: alert.ProviderGuardDuty, SourceID: fmt.Sprint(w.seq),
		Type: "Recon:EC2/PortProbeUnprotectedPort", Name: "Unprotected port on EC2 instance is being probed",
		Severity:  alert.Severity(1 + w.rng.IntN(5)),
		Status:    alert.StatusActive,
		Tactics:   []killchain.Stage{killchain.Stage(1 + w.rng.IntN(13))},
		Resources: []alert.Resource{{ID: fmt.Sprintf("i-%017x", w.rng.IntN(w.resources)), Type: "AwsEc2Instance"}},
		FirstSeen: base.Add(time.Duration(w.rng.Int64N(int64(w.span)))),
		Count:     1,
	}
	a.LastSeen = a.FirstSeen
	if w.rng.IntN(3) == 0 {
		a.Entities = []alert.Entity{{Type: alert.EntityIP, Value: fmt.Sprintf("198.51.%d.%d", w.rng.IntN(w.ips)/250, w.rng.IntN(w.ips)%250), Public: true}}
	}
	return a
}

func (w *world) batch(n int) []alert.Alert {
	out := make([]alert.Alert, n)
	for i := range out {
		out[i] = w.alert()
	}
	return out
}

// seed fills mem with n alerts of existing state, in batches of 1,000.
func seed(b *testing.B, e *correlate.Engine, mem *correlate.Memory, w *world, n int) {
	b.Helper()
	for done := 0; done < n; done += 1000 {
		ch, err := e.Apply(mem, w.batch(min(1000, n-done)), base)
		if err != nil {
			b.Fatal(err)
		}
		if err := mem.CommitAll(ch); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEngine measures correlation throughput against 10k and 1M
// alerts of existing state: deciding a batch of 100 new alerts (the
// stream's batch size) as the handler does — linking, merging, deriving
// the incidents and splitting the changes into units. The state is not
// changed between iterations (the changes are not committed), so every
// iteration sees the same state size. Single goroutine: the figure is per
// core.
func BenchmarkEngine(b *testing.B) {
	for _, state := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("state=%d", state), func(b *testing.B) {
			e := mustEngine(b, correlate.DefaultConfig())
			mem := correlate.NewMemory()
			w := newWorld(42, state)
			seed(b, e, mem, w, state)
			batches := make([][]alert.Alert, 64)
			for i := range batches {
				batches[i] = w.batch(100)
			}
			// Collect the seeding garbage now, so a collection of the large
			// seeded state does not land in (or miss) the timed part by luck.
			runtime.GC()
			b.ReportAllocs()
			b.ResetTimer()
			alerts := 0
			for i := 0; i < b.N; i++ {
				batch := batches[i%len(batches)]
				if _, err := e.Apply(mem, batch, base); err != nil {
					b.Fatal(err)
				}
				alerts += len(batch)
			}
			b.ReportMetric(float64(alerts)/b.Elapsed().Seconds(), "alerts/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(alerts), "ns/alert")
		})
	}
}

// BenchmarkMemoryPerGroup measures the heap held per open group: 1,000
// incidents of five alerts over two stages each, with their key-day
// records, in memory.
func BenchmarkMemoryPerGroup(b *testing.B) {
	const groups = 1000
	e := mustEngine(b, correlate.DefaultConfig())
	var total float64
	for i := 0; i < b.N; i++ {
		var batch []alert.Alert
		for g := 0; g < groups; g++ {
			for k := 0; k < 5; k++ {
				batch = append(batch, mk(spec{src: fmt.Sprintf("g%d-%d-%d", i, g, k), at: time.Duration(k) * time.Hour,
					stages: []killchain.Stage{killchain.Stage(1 + k%2)}, res: []string{fmt.Sprintf("i-%017x", g)},
					ents: []alert.Entity{ip(fmt.Sprintf("203.0.%d.%d", g/250, g%250))}}))
			}
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		mem := correlate.NewMemory()
		ch, err := e.Apply(mem, batch, base)
		if err != nil {
			b.Fatal(err)
		}
		if err := mem.CommitAll(ch); err != nil {
			b.Fatal(err)
		}
		ch = nil
		// Twice: the engine's recycled working space survives one
		// collection (sync.Pool's victim cache) and is not state.
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&after)
		if n := len(mem.Groups()); n != groups {
			b.Fatalf("groups = %d", n)
		}
		total += float64(after.HeapAlloc-before.HeapAlloc) / groups
		runtime.KeepAlive(mem)
	}
	b.ReportMetric(total/float64(b.N), "bytes/group")
}
