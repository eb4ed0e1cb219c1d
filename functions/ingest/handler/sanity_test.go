package handler_test

import (
	"strings"
	"testing"

	"github.com/muster-sec/muster/functions/ingest/handler"
)

// Input that used to be stored as sent (or silently changed) is refused
// per item, naming the field, and never echoed back.
func TestInputSanity(t *testing.T) {
	item := func(id, firstSeen, extra string) string {
		return `{"id":` + id + `,"type":"T","severity":"low","firstSeen":"` + firstSeen + `","resources":[{"id":"r"}]` + extra + `}`
	}
	items := []struct {
		body, field string
	}{
		{item(`"ok"`, "2026-11-20T08:00:00Z", ""), ""},
		{item("\"bad\xff\"", "2026-11-20T08:00:00Z", ""), "id"},
		{item(`"nul\u0000"`, "2026-11-20T08:00:00Z", ""), "id"},
		{item(`"esc"`, "2026-11-20T08:00:00Z", `,"entities":[{"type":"host","value":"\u001b]0;pwned\u0007"}]`), "entities[0].value"},
		{item(`"old"`, "1970-01-01T00:00:00Z", ""), "firstSeen"},
		{item(`"future"`, "9999-12-31T23:59:59Z", ""), "firstSeen"},
		{item(`"dup"`, "2026-11-20T08:00:00Z", `,"severity":"critical"`), "severity"},
	}
	var bodies []string
	for _, it := range items {
		bodies = append(bodies, it.body)
	}
	f := newFixture(t)
	resp, _ := f.serve(t, post("generic", tokenAll, "["+strings.Join(bodies, ",")+"]"))
	if resp.StatusCode != 202 {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	s := webhookResult(t, resp.Body)
	if s.Accepted != 1 || len(s.Results) != len(items) {
		t.Fatalf("summary = %+v", s)
	}
	for i, r := range s.Results[1:] {
		want := items[i+1].field
		if r.Status != handler.StatusRejected || r.Error == nil || r.Error.Field != want || r.Error.Reason == "" {
			t.Errorf("item %d = %+v, want rejected on %q", i+1, r, want)
		}
	}
	for _, leak := range []string{"pwned", "nul", "\\u0000"} {
		if strings.Contains(resp.Body, leak) {
			t.Errorf("the response echoes the input %q: %s", leak, resp.Body)
		}
	}

	// A request whose only alert repeats a key is refused with 400 naming it.
	resp, doc := f.serve(t, post("generic", tokenAll, item(`"a"`, "2026-11-20T08:00:00Z", `,"id":"b"`)))
	if resp.StatusCode != 400 || !strings.Contains(resp.Body, `"field":"id"`) || !strings.Contains(resp.Body, "duplicate") {
		t.Fatalf("status %d, body %s (%v)", resp.StatusCode, resp.Body, doc["title"])
	}
}
