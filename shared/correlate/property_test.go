package correlate_test

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/killchain"
)

// genScenario draws several campaigns over a small pool of resources and
// attacker IPs (so some campaigns share resources or attackers and some do
// not), spread over a few days (so some alerts fall outside the window),
// plus noise alerts with private IPs. The pool has 9 resources and the
// test runs with a noisy-key threshold above that (propertyConfig), and no
// group reaches the cap, so the outcome must not depend on order.
// propertyConfig is the default configuration with a noisy-key threshold
// no key in genScenario can cross: noise detection is not retroactive, so
// order independence is only claimed below it (see doc.go).
func propertyConfig() correlate.Config {
	c := correlate.DefaultConfig()
	c.NoisyKeyResources = 20
	return c
}

func genScenario(t *rapid.T) []alert.Alert {
	resources := []string{"i-0aaaaaaaaaaaaaaa1", "i-0aaaaaaaaaaaaaaa2", "i-0aaaaaaaaaaaaaaa3", "web-1", "db-1", "arn:aws:iam::111122223333:role/app"}
	attackers := []string{"203.0.113.66", "198.51.100.7", "192.0.2.44"}
	private := []string{"10.0.0.5", "10.0.0.6", "172.16.1.1"}
	var out []alert.Alert
	n := 0
	campaigns := rapid.IntRange(1, 4).Draw(t, "campaigns")
	for c := 0; c < campaigns; c++ {
		start := time.Duration(rapid.IntRange(0, 96).Draw(t, "start")) * time.Hour
		targets := rapid.SliceOfNDistinct(rapid.SampledFrom(resources), 1, 2, rapid.ID[string]).Draw(t, "targets")
		attacker := rapid.SampledFrom(attackers).Draw(t, "attacker")
		k := rapid.IntRange(1, 6).Draw(t, "alerts")
		for i := 0; i < k; i++ {
			n++
			s := spec{
				src:    fmt.Sprintf("c%d-%d", c, n),
				at:     start + time.Duration(rapid.IntRange(0, 30*60).Draw(t, "offset"))*time.Minute,
				stages: []killchain.Stage{killchain.Stage(rapid.IntRange(1, 13).Draw(t, "stage"))},
				res:    []string{rapid.SampledFrom(targets).Draw(t, "res")},
				sev:    alert.Severity(rapid.IntRange(1, 5).Draw(t, "sev")),
			}
			if rapid.Bool().Draw(t, "withAttacker") {
				s.ents = append(s.ents, ip(attacker))
			}
			out = append(out, mk(s))
		}
	}
	noise := rapid.IntRange(0, 6).Draw(t, "noise")
	for i := 0; i < noise; i++ {
		n++
		out = append(out, mk(spec{
			src:    fmt.Sprintf("noise-%d", n),
			at:     time.Duration(rapid.IntRange(0, 120).Draw(t, "noiseAt")) * time.Hour,
			stages: []killchain.Stage{killchain.Discovery},
			res:    []string{rapid.SampledFrom(append([]string{"n1", "n2", "n3"}, resources...)).Draw(t, "noiseRes")},
			ents:   []alert.Entity{ip(rapid.SampledFrom(private).Draw(t, "privateIP"))},
		}))
	}
	return out
}

// outcome describes the live groups: members, whether each is an
// incident, its stages and resources; sorted, ids and order free.
func outcome(mem *correlate.Memory) []string {
	var out []string
	for _, g := range live(mem) {
		var res []string
		for _, r := range g.Incident.Resources {
			res = append(res, r.ID)
		}
		out = append(out, fmt.Sprintf("%s | incident=%v | %v | %s | alerts=%d",
			strings.Join(g.MemberIDs(), ","), g.IsIncident, g.Incident.Tactics, strings.Join(res, ","), g.Incident.AlertCount))
	}
	sort.Strings(out)
	return out
}

// components computes the groups straight from the definition: connected
// components of "share a key and firstSeen at most its window apart" (the
// resource window for a resource or host, W for the rest), where a routine
// detection links through no resource or host.
func components(alerts []alert.Alert, w time.Duration) [][]string {
	routine := routineSet(alerts)
	return componentsOf(alerts, func(a, b alert.Alert) bool {
		for _, x := range a.Keys() {
			if slices.Contains(b.Keys(), x) && withinKeyWindow(a, b, x, w) && !(pairPlace(a, b, x) && (routine[a.ID] || routine[b.ID])) {
				return true
			}
		}
		return false
	})
}

// place reports whether a key names where a happened: a resource, a host,
// or an account that is one of a's resources.
func place(a alert.Alert, k alert.Key) bool {
	switch k.Kind() {
	case "res", "host":
		return true
	case "account":
		return slices.ContainsFunc(a.Resources, func(r alert.Resource) bool { return string(k) == "account:"+r.ID })
	}
	return false
}

// pairPlace reports whether the key a and b share is a place of either.
func pairPlace(a, b alert.Alert, k alert.Key) bool { return place(a, k) || place(b, k) }

// withinKeyWindow reports whether a and b were first seen within the
// window of the key they share: the resource window for a place of
// either, w else.
func withinKeyWindow(a, b alert.Alert, k alert.Key, w time.Duration) bool {
	if pairPlace(a, b, k) {
		w = min(w, correlate.DefaultResourceWindow)
	}
	d := a.FirstSeen.Sub(b.FirstSeen)
	return d >= -w && d <= w
}

// routineSet lists the routine detections straight from the definition:
// alerts whose source and type fired on one of their resources on the day
// before or after, at least 16 hours apart.
func routineSet(alerts []alert.Alert) map[string]bool {
	out := map[string]bool{}
	for i, a := range alerts {
		for j, b := range alerts {
			if i == j || a.Provider != b.Provider || a.Type != b.Type {
				continue
			}
			days := b.FirstSeen.UTC().Truncate(24 * time.Hour).Sub(a.FirstSeen.UTC().Truncate(24 * time.Hour)).Abs()
			if days != 24*time.Hour || b.FirstSeen.Sub(a.FirstSeen).Abs() < 16*time.Hour {
				continue
			}
			for _, x := range a.Resources {
				if slices.ContainsFunc(b.Resources, func(y alert.Resource) bool { return y.ID == x.ID }) {
					out[a.ID] = true
				}
			}
		}
	}
	return out
}

func memberSets(mem *correlate.Memory) [][]string {
	var out [][]string
	for _, g := range live(mem) {
		out = append(out, g.MemberIDs())
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// sameAsDefinition runs alerts through e in one batch, checks that the
// groups are def (the components of the definition), and checks that each
// delivery of the same alerts (orders, batches, replays) gives the same
// outcome.
func sameAsDefinition(t *rapid.T, e *correlate.Engine, alerts []alert.Alert, def [][]string, deliveries ...[][]alert.Alert) {
	ref := correlate.NewMemory()
	run(t, e, ref, alerts)
	want := outcome(ref)
	if got := memberSets(ref); !reflect.DeepEqual(got, def) {
		t.Fatalf("groups differ from the definition:\n got %v\nwant %v", got, def)
	}
	for _, d := range deliveries {
		mem := correlate.NewMemory()
		run(t, e, mem, d...)
		if got := outcome(mem); !reflect.DeepEqual(got, want) {
			t.Fatalf("outcome depends on delivery:\n got %q\nwant %q", got, want)
		}
	}
}

// TestPropertyOrderBatchesAndReplays: any arrival order, any split into
// batches and any double delivery of batches give the same incidents, and
// those are exactly the connected components of the definition.
func TestPropertyOrderBatchesAndReplays(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		alerts := genScenario(t)
		perm := rapid.Permutation(alerts).Draw(t, "order")
		var batches [][]alert.Alert
		for rest := perm; len(rest) > 0; {
			k := rapid.IntRange(1, len(rest)).Draw(t, "batchSize")
			batches = append(batches, rest[:k])
			rest = rest[k:]
		}
		// Double delivery: some batches arrive again, right away or later.
		// Some alerts first arrive without their entities (a source that
		// adds the attacker's IP in a later update of the same alert).
		var deliveries [][]alert.Alert
		for i, b := range batches {
			if rapid.Bool().Draw(t, "earlyPartial") {
				partial := append([]alert.Alert(nil), b...)
				for j := range partial {
					partial[j].Entities = nil
				}
				deliveries = append(deliveries, partial)
			}
			deliveries = append(deliveries, b)
			if rapid.Bool().Draw(t, "redeliver") {
				deliveries = append(deliveries, batches[rapid.IntRange(0, i).Draw(t, "which")])
			}
		}
		sameAsDefinition(t, mustEngine(t, propertyConfig()), alerts, components(alerts, correlate.DefaultWindow), deliveries)
	})
}

// genScanned is genScenario plus scanners: public IPs that probe several
// of the pool's resources within a few hours, so that with the noisy-key
// threshold of noisyConfig some keys turn noisy and the links they made
// must be undone.
func genScanned(t *rapid.T) []alert.Alert {
	out := genScenario(t)
	resources := []string{"i-0aaaaaaaaaaaaaaa1", "i-0aaaaaaaaaaaaaaa2", "i-0aaaaaaaaaaaaaaa3", "web-1", "db-1", "n1", "n2"}
	scanners := rapid.IntRange(1, 2).Draw(t, "scanners")
	for s := 0; s < scanners; s++ {
		addr := []string{"203.0.113.200", "198.51.100.200"}[s]
		start := time.Duration(rapid.IntRange(0, 96).Draw(t, "scanStart")) * time.Hour
		targets := rapid.SliceOfNDistinct(rapid.SampledFrom(resources), 1, len(resources), rapid.ID[string]).Draw(t, "scanTargets")
		for i, r := range targets {
			out = append(out, mk(spec{
				src:    fmt.Sprintf("scan%d-%d", s, i),
				at:     start + time.Duration(rapid.IntRange(0, 180).Draw(t, "probeAt"))*time.Minute,
				stages: []killchain.Stage{killchain.Stage(rapid.IntRange(1, 13).Draw(t, "probeStage"))},
				res:    []string{r},
				ents:   []alert.Entity{ip(addr)},
			}))
		}
	}
	return out
}

func noisyConfig() correlate.Config {
	c := correlate.DefaultConfig()
	c.NoisyKeyResources = 3
	return c
}

// noisyComponents computes the groups straight from the definition with
// noisy keys: a key is noisy on a UTC day when the alerts first seen that
// day with it name more than n resources; two alerts are linked when
// neither is mass activity, they share a key that is noisy on neither's
// day, and they were first seen at most w apart.
func noisyComponents(alerts []alert.Alert, w time.Duration, n int) [][]string {
	named := map[correlate.KeyDayID]map[string]bool{}
	for _, a := range alerts {
		for _, k := range a.Keys() {
			id := correlate.KeyDayID{Key: k, Day: correlate.Day(a.FirstSeen)}
			if named[id] == nil {
				named[id] = map[string]bool{}
			}
			for _, r := range a.Resources {
				named[id][r.ID] = true
			}
		}
	}
	noisy := func(k alert.Key, t time.Time) bool {
		return len(named[correlate.KeyDayID{Key: k, Day: correlate.Day(t)}]) > n
	}
	// Mass activity: an actor or host it names is noisy on its day, and
	// no actor (address, account, access key) it names is not.
	mass := func(a alert.Alert) bool {
		some := false
		for _, k := range a.Keys() {
			switch k.Kind() {
			case "ip", "account", "accesskey":
				if place(a, k) {
					continue // a role named as the principal of a finding about itself
				}
				if !noisy(k, a.FirstSeen) {
					return false
				}
				some = true
			case "host":
				some = some || noisy(k, a.FirstSeen)
			}
		}
		return some
	}
	routine := routineSet(alerts)
	linked := func(a, b alert.Alert) bool {
		if mass(a) || mass(b) {
			return false
		}
		for _, x := range a.Keys() {
			for _, y := range b.Keys() {
				if x == y && !noisy(x, a.FirstSeen) && !noisy(x, b.FirstSeen) && withinKeyWindow(a, b, x, w) &&
					!(pairPlace(a, b, x) && (routine[a.ID] || routine[b.ID])) {
					return true
				}
			}
		}
		return false
	}
	return componentsOf(alerts, linked)
}

func componentsOf(alerts []alert.Alert, linked func(a, b alert.Alert) bool) [][]string {
	parent := make([]int, len(alerts))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		if parent[i] != i {
			parent[i] = find(parent[i])
		}
		return parent[i]
	}
	for i := range alerts {
		for j := i + 1; j < len(alerts); j++ {
			if linked(alerts[i], alerts[j]) {
				parent[find(i)] = find(j)
			}
		}
	}
	groups := map[int][]string{}
	for i := range alerts {
		groups[find(i)] = append(groups[find(i)], alerts[i].ID)
	}
	var out [][]string
	for _, g := range groups {
		sort.Strings(g)
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// TestPropertyNoisyKeysAreRetroactive: with keys crossing the noisy
// threshold, any arrival order, batching and replay give the same groups
// and incidents, and the groups are the components of the definition.
func TestPropertyNoisyKeysAreRetroactive(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		alerts := genScanned(t)
		sameAsDefinition(t, mustEngine(t, noisyConfig()), alerts, noisyComponents(alerts, correlate.DefaultWindow, 3), deliveries(t, "", alerts))
	})
}

// genRoutine is genScenario plus a routine: one detection firing on some
// of the pool's resources on consecutive days at any hour (so some repeats
// are more than 16 hours apart and some less), next to the campaigns.
func genRoutine(t *rapid.T) []alert.Alert {
	out := genScenario(t)
	resources := []string{"i-0aaaaaaaaaaaaaaa1", "i-0aaaaaaaaaaaaaaa2", "web-1", "db-1"}
	targets := rapid.SliceOfNDistinct(rapid.SampledFrom(resources), 1, 3, rapid.ID[string]).Draw(t, "routineTargets")
	days := rapid.IntRange(2, 5).Draw(t, "routineDays")
	for d := 0; d < days; d++ {
		for _, r := range targets {
			if !rapid.Bool().Draw(t, "routineFires") {
				continue
			}
			if rapid.Bool().Draw(t, "onRole") {
				// a finding about the role that names it as its principal,
				// and one where the role acts on the resource.
				out = append(out,
					mk(spec{src: fmt.Sprintf("role-%d-%s", d, r), at: time.Duration(d)*24*time.Hour + time.Duration(rapid.IntRange(0, 24*60-1).Draw(t, "roleAt"))*time.Minute,
						stages: []killchain.Stage{killchain.Persistence}, res: []string{role}, ents: []alert.Entity{account(role)}}),
					mk(spec{src: fmt.Sprintf("by-role-%d-%s", d, r), at: time.Duration(d)*24*time.Hour + time.Duration(rapid.IntRange(0, 24*60-1).Draw(t, "byRoleAt"))*time.Minute,
						stages: []killchain.Stage{killchain.Collection}, res: []string{r}, ents: []alert.Entity{account(role)}}))
			}
			out = append(out, mk(spec{
				src:    fmt.Sprintf("daily-%d-%s", d, r),
				typ:    "Test:daily",
				at:     time.Duration(d)*24*time.Hour + time.Duration(rapid.IntRange(0, 24*60-1).Draw(t, "routineAt"))*time.Minute - 8*time.Hour,
				stages: []killchain.Stage{killchain.Execution},
				res:    []string{r},
				ents:   []alert.Entity{host("host-" + r)},
			}))
		}
	}
	return out
}

// TestPropertyRoutineIsRetroactive: with a detection repeating on some
// resources day after day, any arrival order, batching and replay give the
// same groups and incidents, and the groups are the components of the
// definition (a routine detection links through no resource or host).
func TestPropertyRoutineIsRetroactive(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		alerts := genRoutine(t)
		sameAsDefinition(t, mustEngine(t, propertyConfig()), alerts, components(alerts, correlate.DefaultWindow), deliveries(t, "", alerts))
	})
}
