package handler_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/killchain"
)

type entityPage struct {
	Key        string     `json:"key"`
	Value      string     `json:"value"`
	FirstSeen  time.Time  `json:"firstSeen"`
	LastSeen   time.Time  `json:"lastSeen"`
	AlertCount int        `json:"alertCount"`
	Days       int        `json:"days"`
	Noisy      bool       `json:"noisy"`
	NoisySince *time.Time `json:"noisySince"`
	Resources  []string   `json:"resources"`
	Incidents  []struct {
		ID     string `json:"id"`
		Alerts int    `json:"alerts"`
	} `json:"incidents"`
	Alerts []struct {
		ID         string    `json:"id"`
		FirstSeen  time.Time `json:"firstSeen"`
		IncidentID string    `json:"incidentId"`
	} `json:"alerts"`
	Cursor string `json:"cursor"`
}

type relatedPage struct {
	ID    string `json:"id"`
	Items []struct {
		ID         string `json:"id"`
		GapSeconds int64  `json:"gapSeconds"`
		Noisy      bool   `json:"noisy"`
		Shared     []struct {
			Key   string `json:"key"`
			Noisy bool   `json:"noisy"`
		} `json:"shared"`
	} `json:"items"`
}

const attackerIP = "203.0.113.66"

// campaign is two attacks from one IP, ten days apart (outside any
// correlation window): each an initial access on one instance and
// execution on another, the second instance named by its ARN.
type campaign struct {
	alerts    []alert.Alert
	incidents []string // newest attack's incident first
}

func (e *env) seedCampaign() campaign {
	e.t.Helper()
	step := func(src, res string, stage killchain.Stage, at time.Time) alert.Alert {
		a := sampleAlert(src, at)
		a.Tactics = []killchain.Stage{stage}
		a.Resources = []alert.Resource{{ID: res, Type: "AwsEc2Instance", Name: res}}
		a.Entities = []alert.Entity{{Type: alert.EntityIP, Value: attackerIP}}
		return e.putAlert(a)
	}
	old, recent := now.Add(-10*24*time.Hour), now.Add(-3*time.Hour)
	var c campaign
	c.alerts = []alert.Alert{
		step("old-1", "i-0c0c0c0c0c0c0c0c1", killchain.InitialAccess, old),
		step("old-2", "i-0c0c0c0c0c0c0c0c2", killchain.Execution, old.Add(time.Hour)),
		step("new-1", "i-0a1b2c3d4e5f60718", killchain.InitialAccess, recent),
		step("new-2", "arn:aws:ec2:us-east-1:123456789012:instance/i-0b2c3d4e5f6071829", killchain.Execution, recent.Add(time.Hour)),
	}
	engine, err := correlate.New(correlate.DefaultConfig())
	if err != nil {
		e.t.Fatal(err)
	}
	svc := correlate.NewService(engine, e.store, correlate.ServiceOptions{Now: func() time.Time { return now }})
	if res := svc.Correlate(context.Background(), c.alerts); len(res.Failed) > 0 {
		e.t.Fatalf("correlation failed for %v", res.Failed)
	}
	for _, i := range []int{2, 0} {
		a, err := e.store.GetAlert(context.Background(), c.alerts[i].ID)
		if err != nil || a.IncidentID == "" {
			e.t.Fatalf("alert %s is in no incident (%v); the test's premise is wrong", c.alerts[i].SourceID, err)
		}
		c.incidents = append(c.incidents, a.IncidentID)
	}
	if c.incidents[0] == c.incidents[1] {
		e.t.Fatal("the two attacks merged; the test's premise is wrong")
	}
	return c
}

// TestEntityPage: the attacker IP's page names both attacks' alerts, the
// resources they touched and both incidents, from its key-days alone.
func TestEntityPage(t *testing.T) {
	e := newEnv(t)
	c := e.seedCampaign()
	e.meter.Reset()
	resp := e.get("/entities/ip/"+attackerIP, readToken, nil)
	wantStatus(t, resp, http.StatusOK)
	e.conforms("EntityHistory", resp.Body)
	got := decode[entityPage](t, resp)
	if got.Key != "ip:"+attackerIP || got.AlertCount != 4 || got.Days != 2 || got.Noisy {
		t.Errorf("key %s, %d alerts on %d days, noisy %v; want ip:%s, 4 on 2, quiet", got.Key, got.AlertCount, got.Days, got.Noisy, attackerIP)
	}
	if !got.FirstSeen.Equal(c.alerts[0].FirstSeen) || !got.LastSeen.Equal(c.alerts[3].FirstSeen) {
		t.Errorf("seen %s – %s, want %s – %s", got.FirstSeen, got.LastSeen, c.alerts[0].FirstSeen, c.alerts[3].FirstSeen)
	}
	wantRes := []string{"i-0a1b2c3d4e5f60718", "i-0b2c3d4e5f6071829", "i-0c0c0c0c0c0c0c0c1", "i-0c0c0c0c0c0c0c0c2"}
	if !slices.Equal(got.Resources, wantRes) {
		t.Errorf("resources = %v, want %v", got.Resources, wantRes)
	}
	var incs []string
	for _, inc := range got.Incidents {
		incs = append(incs, inc.ID)
		if inc.Alerts != 2 {
			t.Errorf("incident %s: %d alerts, want 2", inc.ID, inc.Alerts)
		}
	}
	if !slices.Equal(incs, c.incidents) {
		t.Errorf("incidents = %v, want %v (newest first)", incs, c.incidents)
	}
	var ids []string
	for _, a := range got.Alerts {
		ids = append(ids, a.ID)
		if a.IncidentID == "" {
			t.Errorf("alert %s without its incident", a.ID)
		}
	}
	if want := []string{c.alerts[3].ID, c.alerts[2].ID, c.alerts[1].ID, c.alerts[0].ID}; !slices.Equal(ids, want) {
		t.Errorf("alerts = %v, want %v", ids, want)
	}
	ops := e.meter.Operations()
	if ops["Scan"] != 0 || ops["Query"] != 1 {
		t.Errorf("operations %v: want one Query and no Scan", ops)
	}
	t.Logf("entity page of the campaign IP: %v, %d items read", ops, e.meter.ItemsRead())
}

// TestEntityCanonical: the spellings of one entity reach one page.
func TestEntityCanonical(t *testing.T) {
	e := newEnv(t)
	e.seedCampaign()
	tests := []struct {
		name, path, key string
		alerts          int
	}{
		{"instance ARN", "/entities/resource/" + url.PathEscape("arn:aws:ec2:us-east-1:123456789012:instance/i-0b2c3d4e5f6071829"), "res:i-0b2c3d4e5f6071829", 1},
		{"instance id", "/entities/resource/i-0b2c3d4e5f6071829", "res:i-0b2c3d4e5f6071829", 1},
		{"IPv4-mapped IPv6", "/entities/ip/" + url.PathEscape("::ffff:"+attackerIP), "ip:" + attackerIP, 4},
		{"host with domain", "/entities/host/WEB-1.example.com", "host:web-1", 0},
		{"domain", "/entities/domain/Evil.Example.", "domain:evil.example", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.get(tt.path, readToken, nil)
			wantStatus(t, resp, http.StatusOK)
			got := decode[entityPage](t, resp)
			if got.Key != tt.key || got.AlertCount != tt.alerts {
				t.Errorf("key %s with %d alerts, want %s with %d", got.Key, got.AlertCount, tt.key, tt.alerts)
			}
		})
	}
}

// TestEntityPaging: pages of the alerts, newest first, meet without gaps
// or repeats; a cursor of another entity or an edited one is refused.
func TestEntityPaging(t *testing.T) {
	e := newEnv(t)
	c := e.seedCampaign()
	var ids []string
	cursor := ""
	for range 5 {
		q := map[string]string{"limit": "3"}
		if cursor != "" {
			q["cursor"] = cursor
		}
		resp := e.get("/entities/ip/"+attackerIP, readToken, q)
		wantStatus(t, resp, http.StatusOK)
		p := decode[entityPage](t, resp)
		for _, a := range p.Alerts {
			ids = append(ids, a.ID)
		}
		if cursor = p.Cursor; cursor == "" {
			break
		}
	}
	if want := []string{c.alerts[3].ID, c.alerts[2].ID, c.alerts[1].ID, c.alerts[0].ID}; !slices.Equal(ids, want) {
		t.Errorf("paged alerts = %v, want %v", ids, want)
	}
	first := decode[entityPage](t, e.get("/entities/ip/"+attackerIP, readToken, map[string]string{"limit": "1"}))
	tests := []struct {
		name, path string
		query      map[string]string
		field      string
	}{
		{"unknown type", "/entities/process/sshd", nil, "type"},
		{"bad IP", "/entities/ip/not-an-ip", nil, "value"},
		{"limit", "/entities/ip/" + attackerIP, map[string]string{"limit": "0"}, "limit"},
		{"unknown parameter", "/entities/ip/" + attackerIP, map[string]string{"since": "1h"}, "since"},
		{"cursor of another entity", "/entities/ip/198.51.100.1", map[string]string{"cursor": first.Cursor}, ""},
		{"edited cursor", "/entities/ip/" + attackerIP, map[string]string{"cursor": first.Cursor + "x"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.get(tt.path, readToken, tt.query)
			wantStatus(t, resp, http.StatusBadRequest)
			if got, _ := decode[map[string]any](t, resp)["field"].(string); got != tt.field {
				t.Errorf("field = %q, want %q", got, tt.field)
			}
		})
	}
	wantStatus(t, e.get("/entities/ip/"+attackerIP, "", nil), http.StatusUnauthorized)
}

// TestRelatedIncidents: the two attacks from one IP, ten days apart, are
// related through it; an unknown incident is 404.
func TestRelatedIncidents(t *testing.T) {
	e := newEnv(t)
	c := e.seedCampaign()
	for i, id := range c.incidents {
		other := c.incidents[1-i]
		e.meter.Reset()
		resp := e.get("/incidents/"+id+"/related", readToken, nil)
		wantStatus(t, resp, http.StatusOK)
		e.conforms("RelatedList", resp.Body)
		got := decode[relatedPage](t, resp)
		if len(got.Items) != 1 || got.Items[0].ID != other {
			t.Fatalf("related to %s: %+v, want %s", id, got.Items, other)
		}
		it := got.Items[0]
		if len(it.Shared) != 1 || it.Shared[0].Key != "ip:"+attackerIP || it.Noisy {
			t.Errorf("shared %+v, want the attacker IP, not noisy", it.Shared)
		}
		// The old attack ended at its second alert, the new one began
		// with its first.
		if want := c.alerts[2].FirstSeen.Sub(c.alerts[1].LastSeen); time.Duration(it.GapSeconds)*time.Second != want {
			t.Errorf("gap %ds, want %s", it.GapSeconds, want)
		}
		if n := e.meter.Operations()["Scan"]; n != 0 {
			t.Errorf("%d Scan calls", n)
		}
		t.Logf("related incidents of %s: %v, %d items read", id, e.meter.Operations(), e.meter.ItemsRead())
	}
	wantStatus(t, e.get("/incidents/nope/related", readToken, nil), http.StatusNotFound)
}
