package correlate_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/correlate"
)

// TestEntriesEncodeAsMap: the sorted index encodes exactly as the map it
// replaces did (the stored form), decodes back to the same index, and Put
// keeps it sorted with one entry per alert.
func TestEntriesEncodeAsMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	m := map[string]correlate.Entry{}
	var es correlate.Entries
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	for i := 0; i < 200; i++ {
		id := fmt.Sprintf("a-%d\"<%d>", rng.IntN(120), i%3) // repeats, and characters JSON escapes
		e := correlate.Entry{FirstSeen: at.Add(time.Duration(i) * time.Minute), Group: fmt.Sprint("g", i%7), Name: "n", Resources: []string{"r"}}
		m[id] = e
		es.Put(id, e)
	}
	if len(es) != len(m) {
		t.Fatalf("len = %d, want %d", len(es), len(m))
	}
	if !slices.IsSortedFunc(es, func(a, b correlate.Indexed) int { return strings.Compare(a.AlertID, b.AlertID) }) {
		t.Fatal("entries not sorted by alert id")
	}
	for id, want := range m {
		if got, ok := es.Get(id); !ok || !got.FirstSeen.Equal(want.FirstSeen) || got.Group != want.Group {
			t.Fatalf("Get(%q) = %+v %v, want %+v", id, got, ok, want)
		}
	}
	if _, ok := es.Get("absent"); ok {
		t.Fatal("Get found an absent alert")
	}
	got, err := json.Marshal(es)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(m)
	if string(got) != string(want) {
		t.Fatalf("encoding differs from the map's:\n got %.200s\nwant %.200s", got, want)
	}
	var back correlate.Entries
	if err := json.Unmarshal(want, &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != len(es) {
		t.Fatalf("decoded %d entries, want %d", len(back), len(es))
	}
	for i := range back {
		if back[i].AlertID != es[i].AlertID || back[i].Group != es[i].Group {
			t.Fatalf("decoded entry %d = %+v, want %+v", i, back[i], es[i])
		}
	}
	var empty correlate.Entries
	if b, _ := json.Marshal(empty); string(b) != "{}" {
		t.Fatalf("empty entries encode as %s, want {}", b)
	}
	if err := json.Unmarshal([]byte(`["a"]`), &back); err == nil {
		t.Fatal("decoding an array succeeded")
	}
}
