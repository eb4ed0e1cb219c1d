package handler_test

import (
	"context"
	"net/http"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
)

// noisyKeyItem is an item of GET /noisy-keys as a client reads it.
type noisyKeyItem struct {
	Key       string    `json:"key"`
	Kind      string    `json:"kind"`
	Day       string    `json:"day"`
	Since     time.Time `json:"since"`
	Resources int       `json:"resources"`
	Sample    []string  `json:"sample"`
}

type noisyKeyList struct {
	Items  []noisyKeyItem `json:"items"`
	Cursor string         `json:"cursor"`
}

// seedNoisyKey writes a key-day record through the correlator's store API,
// noisy since the given time when noisy is set.
func (e *env) seedNoisyKey(key alert.Key, at time.Time, noisy bool) correlate.NoisyKey {
	e.t.Helper()
	kd := &correlate.KeyDay{Key: key, Day: at.UTC().Format(correlate.DayLayout), Version: 1,
		Entries: correlate.Entries{{AlertID: "a-" + string(key), Entry: correlate.Entry{FirstSeen: at, Group: "g-" + string(key)}}}}
	if noisy {
		kd.Noisy, kd.NoisySince = true, at
	}
	if err := e.store.Commit(context.Background(), &correlate.Unit{KeyDays: []*correlate.KeyDay{kd}}); err != nil {
		e.t.Fatal(err)
	}
	return correlate.NoisyKey{Key: key, Day: kd.Day, Since: at}
}

// TestNoisyKeysFromCorrelator: a key the correlator finds noisy (it links
// more resources than allowed) is listed by the API.
func TestNoisyKeysFromCorrelator(t *testing.T) {
	e := newEnv(t)
	cfg := correlate.DefaultConfig()
	cfg.NoisyKeyResources = 2
	engine, err := correlate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	svc := correlate.NewService(engine, e.store, correlate.ServiceOptions{Now: func() time.Time { return now }})
	var alerts []alert.Alert
	for i, id := range []string{"i-0000000000000aaa1", "i-0000000000000aaa2", "i-0000000000000aaa3"} {
		a := sampleAlert("noisy-"+id, now.Add(-time.Duration(3-i)*time.Hour))
		a.Resources = []alert.Resource{{ID: id, Type: "AwsEc2Instance", Name: "scanner-target-" + id}}
		a.Entities = []alert.Entity{{Type: alert.EntityIP, Value: "198.51.100.7"}}
		alerts = append(alerts, e.putAlert(a))
	}
	res := svc.Correlate(context.Background(), alerts)
	if len(res.Failed) > 0 {
		t.Fatalf("correlation failed for %v", res.Failed)
	}
	if len(res.NoisyKeys) == 0 {
		t.Fatal("the correlator found no noisy key; the test's premise is wrong")
	}
	want := map[string]bool{}
	for _, k := range res.NoisyKeys {
		want[string(k)] = true
	}
	e.meter.Reset()
	resp := e.get("/noisy-keys", readToken, nil)
	wantStatus(t, resp, http.StatusOK)
	e.conforms("NoisyKeyList", resp.Body)
	got := decode[noisyKeyList](t, resp)
	if got.Cursor != "" {
		t.Errorf("cursor = %q, want none", got.Cursor)
	}
	seen := map[string]bool{}
	for _, it := range got.Items {
		seen[it.Key] = true
		if it.Kind != alert.Key(it.Key).Kind() {
			t.Errorf("%s: kind = %q", it.Key, it.Kind)
		}
		if it.Since.Before(alerts[0].FirstSeen) || it.Since.After(now) {
			t.Errorf("%s: since %s outside the alerts' times", it.Key, it.Since)
		}
		if it.Day != it.Since.UTC().Format(correlate.DayLayout) {
			t.Errorf("%s: day %s, since %s", it.Key, it.Day, it.Since)
		}
		// Three instances share the IP; the limit is two.
		if want := []string{"i-0000000000000aaa1", "i-0000000000000aaa2", "i-0000000000000aaa3"}; it.Resources != 3 || !slices.Equal(it.Sample, want) {
			t.Errorf("%s: resources %d %v, want 3 %v", it.Key, it.Resources, it.Sample, want)
		}
	}
	for k := range want {
		if !seen[k] {
			t.Errorf("noisy key %s not listed; got %+v", k, got.Items)
		}
	}
	for k := range seen {
		if !want[k] {
			t.Errorf("listed %s, which the correlator did not call noisy", k)
		}
	}
	if n := e.meter.Operations()["Scan"]; n != 0 {
		t.Errorf("%d Scan calls", n)
	}
}

// TestNoisyKeysSinceAndLimit: since bounds when a key turned noisy (7 days
// by default), newest first, at most limit; quiet key-days never appear.
func TestNoisyKeysSinceAndLimit(t *testing.T) {
	e := newEnv(t)
	seeded := []correlate.NoisyKey{
		e.seedNoisyKey("ip:203.0.113.9", now.Add(-time.Hour), true),
		e.seedNoisyKey("host:ip-10-0-1-25", now.Add(-30*time.Hour), true),
		e.seedNoisyKey("domain:updates.example", now.Add(-6*24*time.Hour), true),
		e.seedNoisyKey("account:ci-deployer", now.Add(-9*24*time.Hour), true),
	}
	e.seedNoisyKey("ip:203.0.113.10", now.Add(-2*time.Hour), false)
	expect := func(since time.Time, limit int) []string {
		var out []correlate.NoisyKey
		for _, k := range seeded {
			if !k.Since.Before(since) {
				out = append(out, k)
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Since.After(out[j].Since) })
		keys := []string{}
		for _, k := range out[:min(limit, len(out))] {
			keys = append(keys, string(k.Key))
		}
		return keys
	}
	tests := []struct {
		name  string
		query map[string]string
		since time.Time
		limit int
	}{
		{"default 7 days", nil, now.Add(-7 * 24 * time.Hour), 50},
		{"hours", map[string]string{"since": "24h"}, now.Add(-24 * time.Hour), 50},
		{"days", map[string]string{"since": "30d"}, now.Add(-30 * 24 * time.Hour), 50},
		{"RFC 3339", map[string]string{"since": now.Add(-48 * time.Hour).Format(time.RFC3339)}, now.Add(-48 * time.Hour), 50},
		{"limit", map[string]string{"limit": "2", "since": "30d"}, now.Add(-30 * 24 * time.Hour), 2},
		{"nothing that recent", map[string]string{"since": "30m"}, now.Add(-30 * time.Minute), 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.get("/noisy-keys", readToken, tt.query)
			wantStatus(t, resp, http.StatusOK)
			e.conforms("NoisyKeyList", resp.Body)
			got := []string{}
			for _, it := range decode[noisyKeyList](t, resp).Items {
				got = append(got, it.Key)
			}
			if want := expect(tt.since, tt.limit); !slices.Equal(got, want) {
				t.Errorf("keys = %v, want %v", got, want)
			}
		})
	}
}

// TestNoisyKeysInvalidQuery: bad since or limit, repeated or unknown
// parameters are 400 naming the parameter.
func TestNoisyKeysInvalidQuery(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name  string
		query map[string][]string
		field string
	}{
		{"since not a time", map[string][]string{"since": {"yesterday"}}, "since"},
		{"since negative", map[string][]string{"since": {"-1h"}}, "since"},
		{"since twice", map[string][]string{"since": {"1h", "2h"}}, "since"},
		{"limit zero", map[string][]string{"limit": {"0"}}, "limit"},
		{"limit over max", map[string][]string{"limit": {"201"}}, "limit"},
		{"limit not a number", map[string][]string{"limit": {"ten"}}, "limit"},
		{"unknown parameter", map[string][]string{"cursor": {"abc"}}, "cursor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.doMulti(call{method: http.MethodGet, path: "/noisy-keys", token: readToken}, tt.query)
			wantStatus(t, resp, http.StatusBadRequest)
			if got := decode[map[string]any](t, resp)["field"]; got != tt.field {
				t.Errorf("field = %v, want %s", got, tt.field)
			}
		})
	}
}
