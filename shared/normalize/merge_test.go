package normalize_test

import (
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/normalize"
)

// delivery draws one delivery of the same alert (same identity) with
// arbitrary counts, times, stages, entities, resources and status. Its
// UpdatedAt is zero when known is false, else at or up to two minutes
// after its LastSeen, as a source's record is: never before the sighting
// it reports, and a later sighting's record is later.
func delivery(t *rapid.T, label string, known bool) alert.Alert {
	base := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	first := base.Add(time.Duration(rapid.IntRange(0, 60).Draw(t, label+"first")) * time.Minute)
	// LastSeen takes one of a few values, so that two deliveries often
	// tie (a GuardDuty finding and its Security Hub copy do).
	last := base.Add(time.Duration(60+30*rapid.IntRange(0, 2).Draw(t, label+"last")) * time.Minute)
	a := alert.Alert{
		Provider: alert.ProviderGuardDuty, SourceID: "arn:f", Type: "T",
		Name:        rapid.SampledFrom([]string{"", "Brute force", "Brute force attempt", "Brute forcf"}).Draw(t, label+"name"),
		Description: rapid.SampledFrom([]string{"", "d1", "d2", "longer d"}).Draw(t, label+"desc"),
		Severity:    alert.Severity(rapid.IntRange(1, 5).Draw(t, label+"sev")),
		Status:      rapid.SampledFrom([]alert.Status{alert.StatusActive, alert.StatusResolved, alert.StatusDismissed}).Draw(t, label+"status"),
		FirstSeen:   first,
		LastSeen:    last,
		Count:       rapid.IntRange(1, 50).Draw(t, label+"count"),
	}
	if known {
		a.UpdatedAt = last.Add(time.Duration(rapid.IntRange(0, 2).Draw(t, label+"updated")) * time.Minute)
	}
	a.Tactics = append(a.Tactics, rapid.SliceOfNDistinct(rapid.SampledFrom(killchain.All()), 0, 4, rapid.ID[killchain.Stage]).Draw(t, label+"stages")...)
	for _, v := range rapid.SliceOfNDistinct(rapid.SampledFrom([]string{"203.0.113.1", "198.51.100.2", "10.0.0.3"}), 0, 3, rapid.ID[string]).Draw(t, label+"ips") {
		a.Entities = append(a.Entities, alert.Entity{Type: alert.EntityIP, Value: v})
	}
	for _, v := range rapid.SliceOfNDistinct(rapid.SampledFrom([]string{"i-0a1b2c3d4e5f60718", "arn:aws:s3:::b"}), 1, 2, rapid.ID[string]).Draw(t, label+"res") {
		a.Resources = append(a.Resources, alert.Resource{ID: v})
	}
	a.Finish("", base)
	return a
}

func keySet(a alert.Alert) string {
	var ks []string
	for _, k := range a.Keys() {
		ks = append(ks, string(k))
	}
	sort.Strings(ks)
	return fmt.Sprint(ks)
}

// Merging is order-independent for everything correlation reads, and
// idempotent: merging a delivery already folded in changes nothing.
//
// UpdatedAt is known for every delivery, for none, or (mixed) for some: a
// source that sends it, one that does not, alerts stored before the field
// existed. For two deliveries every case is order-independent; for three,
// only when all or none know it, because an unknown UpdatedAt ties with
// any other (see Merge).
func TestMergeProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		mode := rapid.SampledFrom([]string{"all", "none", "mixed"}).Draw(t, "updatedAt")
		known := func(label string) bool {
			return mode == "all" || mode == "mixed" && rapid.Bool().Draw(t, label+"known")
		}
		a, b := delivery(t, "a", known("a")), delivery(t, "b", known("b"))
		ab, _ := normalize.Merge(a, b)
		ba, _ := normalize.Merge(b, a)
		if !ab.FirstSeen.Equal(ba.FirstSeen) || !ab.LastSeen.Equal(ba.LastSeen) || ab.Count != ba.Count ||
			!ab.UpdatedAt.Equal(ba.UpdatedAt) {
			t.Fatalf("times/count depend on order: %v %v %v %d vs %v %v %v %d", ab.FirstSeen, ab.LastSeen, ab.UpdatedAt, ab.Count,
				ba.FirstSeen, ba.LastSeen, ba.UpdatedAt, ba.Count)
		}
		if ab.Stages() != ba.Stages() || keySet(ab) != keySet(ba) {
			t.Fatalf("stages or keys depend on order")
		}
		// The lists themselves, their order included (the first resource
		// is the alert's primary one).
		if !reflect.DeepEqual(ab.Resources, ba.Resources) || !reflect.DeepEqual(ab.Entities, ba.Entities) ||
			!reflect.DeepEqual(ab.Tactics, ba.Tactics) {
			t.Fatalf("lists depend on order:\n%+v %+v\n%+v %+v", ab.Resources, ab.Entities, ba.Resources, ba.Entities)
		}
		// Ties in LastSeen included: the winner does not depend on which
		// delivery came second.
		if ab.Status != ba.Status || ab.Severity != ba.Severity || ab.Name != ba.Name || ab.Description != ba.Description {
			t.Fatalf("status/severity/name/description depend on order (lastSeen %v, %v): %v/%v/%q/%q vs %v/%v/%q/%q",
				a.LastSeen, b.LastSeen, ab.Status, ab.Severity, ab.Name, ab.Description, ba.Status, ba.Severity, ba.Name, ba.Description)
		}
		// Three deliveries in any order give the same scalars, stages and
		// keys. (The order of the unioned lists is fixed for two
		// deliveries, above; with three it can depend on arrival order.)
		c := delivery(t, "c", known("c"))
		abc, _ := normalize.Merge(ab, c)
		cb, _ := normalize.Merge(c, b)
		cba, _ := normalize.Merge(cb, a)
		if abc.Count != cba.Count || !abc.LastSeen.Equal(cba.LastSeen) || !abc.FirstSeen.Equal(cba.FirstSeen) ||
			!abc.UpdatedAt.Equal(cba.UpdatedAt) || abc.Stages() != cba.Stages() || keySet(abc) != keySet(cba) {
			t.Fatalf("three deliveries depend on order:\n%+v\n%+v", abc, cba)
		}
		if mode != "mixed" {
			if abc.Status != cba.Status || abc.Severity != cba.Severity || abc.Name != cba.Name {
				t.Fatalf("three deliveries' status/severity/name depend on order:\n%+v\n%+v", abc, cba)
			}
			// Which delivery a description came from is not recorded, so
			// an empty one can be filled from an older delivery (see
			// Merge).
			if a.Description != "" && b.Description != "" && c.Description != "" && abc.Description != cba.Description {
				t.Fatalf("description depends on order: %q vs %q", abc.Description, cba.Description)
			}
		}
		if ab.Count != max(a.Count, b.Count) {
			t.Fatalf("count %d, want %d", ab.Count, max(a.Count, b.Count))
		}
		if again, changed := normalize.Merge(ab, b); changed {
			t.Fatalf("re-merging changed the alert: %+v -> %+v", ab, again)
		}
		if _, changed := normalize.Merge(a, a); changed {
			t.Fatal("merging an alert with itself changed it")
		}
	})
}

func TestMergeSuppression(t *testing.T) {
	at := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	stored := alert.Alert{ID: "x", Status: alert.StatusActive, FirstSeen: at, LastSeen: at, Count: 1, Severity: alert.Low}
	in := stored
	in.LastSeen, in.Status, in.SuppressedBy = at.Add(time.Minute), alert.StatusDismissed, "rule-1"
	m, changed := normalize.Merge(stored, in)
	if !changed || m.SuppressedBy != "rule-1" || m.Status != alert.StatusDismissed {
		t.Fatalf("%+v", m)
	}
	in2 := stored
	in2.LastSeen, in2.Status = at.Add(time.Hour), alert.StatusResolved
	if m2, _ := normalize.Merge(m, in2); m2.Status != alert.StatusDismissed || m2.SuppressedBy != "rule-1" {
		t.Fatalf("suppression lost: %+v", m2)
	}
}

// A resource's tags merged at the cap: the places left go to the other
// delivery's tags in key order, the same on every merge (not map order).
func TestMergeTagsAtTheCapAreDeterministic(t *testing.T) {
	at := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	withTags := func(prefix string, n int) alert.Alert {
		tags := map[string]string{}
		for i := range n {
			tags[fmt.Sprintf("%s%02d", prefix, i)] = "v"
		}
		a := alert.Alert{Provider: alert.ProviderFalco, SourceID: "s", Type: "T", Severity: alert.Low,
			Resources: []alert.Resource{{ID: "r-1", Tags: tags}}, FirstSeen: at}
		a.Finish("", at)
		return a
	}
	stored, incoming := withTags("a", alert.MaxTags-1), withTags("x", 20)
	for range 30 {
		m, _ := normalize.Merge(stored, incoming)
		tags := m.Resources[0].Tags
		if _, ok := tags["x00"]; len(tags) != alert.MaxTags || !ok {
			t.Fatalf("%d tags, x00 kept %v; want %d with x00 (the first key): %v", len(tags), ok, alert.MaxTags, alert.SortedTagKeys(tags))
		}
	}
}
