package suppress_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/rulemeta"
	"github.com/muster-sec/muster/shared/suppress"
)

var now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func probe() *alert.Alert {
	a := &alert.Alert{
		Provider: "guardduty", SourceID: "f1", Type: "Recon:EC2/PortProbeUnprotectedPort",
		Severity:  alert.Low,
		Resources: []alert.Resource{{ID: "arn:aws:ec2:us-east-1:111122223333:instance/i-0a1b2c3d4e5f60718"}},
		Entities:  []alert.Entity{{Type: alert.EntityIP, Value: "203.0.113.66"}, {Type: alert.EntityHost, Value: "ip-10-0-1-25.ec2.internal"}},
		FirstSeen: now,
	}
	a.Finish("", now)
	return a
}

func TestMatches(t *testing.T) {
	past := now.Add(-time.Hour)
	tests := []struct {
		name string
		rule suppress.Rule
		want string // expected SuppressedBy
		hits int
	}{
		{"type exact", suppress.Rule{Meta: rulemeta.Meta{ID: "r1"}, Match: suppress.Match{AlertType: "Recon:EC2/PortProbeUnprotectedPort"}}, "r1", 1},
		{"type other", suppress.Rule{Meta: rulemeta.Meta{ID: "r1"}, Match: suppress.Match{AlertType: "Recon:EC2/Portscan"}}, "", 0},
		{"wildcard with provider", suppress.Rule{Meta: rulemeta.Meta{ID: "r1"}, Match: suppress.Match{AlertType: "*", Provider: "guardduty"}}, "r1", 1},
		{"provider other", suppress.Rule{Meta: rulemeta.Meta{ID: "r1"}, Match: suppress.Match{Provider: "falco"}}, "", 0},
		{"resource by ARN matches canonical id", suppress.Rule{Meta: rulemeta.Meta{ID: "r1"}, Match: suppress.Match{ResourceID: "arn:aws:ec2:us-east-1:111122223333:instance/i-0a1b2c3d4e5f60718"}}, "r1", 1},
		{"entity exact", suppress.Rule{Meta: rulemeta.Meta{ID: "r1"}, Match: suppress.Match{Entity: &suppress.EntityMatch{Type: "ip", Value: "203.0.113.66"}}}, "r1", 1},
		{"entity contains", suppress.Rule{Meta: rulemeta.Meta{ID: "r1"}, Match: suppress.Match{Entity: &suppress.EntityMatch{Type: "host", Value: "10-0-1", Contains: true}}}, "r1", 1},
		{"entity exact misses substring", suppress.Rule{Meta: rulemeta.Meta{ID: "r1"}, Match: suppress.Match{Entity: &suppress.EntityMatch{Type: "host", Value: "10-0-1"}}}, "", 0},
		{"severity at most Low", suppress.Rule{Meta: rulemeta.Meta{ID: "r1"}, Match: suppress.Match{MaxSeverity: alert.Low}}, "r1", 1},
		{"severity at most Informational", suppress.Rule{Meta: rulemeta.Meta{ID: "r1"}, Match: suppress.Match{MaxSeverity: alert.Informational}}, "", 0},
		{"shadow counts only", suppress.Rule{Meta: rulemeta.Meta{ID: "r1"}, State: suppress.Shadow, Match: suppress.Match{Provider: "guardduty"}}, "", 1},
		{"disabled does nothing", suppress.Rule{Meta: rulemeta.Meta{ID: "r1"}, State: suppress.Disabled, Match: suppress.Match{Provider: "guardduty"}}, "", 0},
		{"expired does nothing", suppress.Rule{Meta: rulemeta.Meta{ID: "r1"}, ExpiresAt: &past, Match: suppress.Match{Provider: "guardduty"}}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.rule
			if r.State == "" {
				r.State = suppress.Enabled
			}
			v := suppress.Evaluate([]suppress.Rule{r}, probe(), now)
			if v.SuppressedBy != tt.want || len(v.Hits) != tt.hits {
				t.Errorf("verdict = %+v, want suppressedBy %q and %d hits", v, tt.want, tt.hits)
			}
		})
	}
}

func TestEvaluateIsDeterministicAndApplies(t *testing.T) {
	rules := []suppress.Rule{
		{Meta: rulemeta.Meta{ID: "b"}, State: suppress.Enabled, Match: suppress.Match{Provider: "guardduty"}},
		{Meta: rulemeta.Meta{ID: "a"}, State: suppress.Enabled, Match: suppress.Match{AlertType: "*", Provider: "guardduty"}},
		{Meta: rulemeta.Meta{ID: "c"}, State: suppress.Shadow, Match: suppress.Match{Provider: "guardduty"}},
	}
	a := probe()
	v := suppress.Evaluate(rules, a, now)
	if v.SuppressedBy != "a" || len(v.Hits) != 3 {
		t.Fatalf("verdict = %+v", v)
	}
	v.Apply(a)
	if a.Status != alert.StatusDismissed || a.SuppressedBy != "a" {
		t.Fatalf("alert after apply: %s %s", a.Status, a.SuppressedBy)
	}
}

var validateNow = time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)

func ptrTime(t time.Time) *time.Time { return &t }

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		rule  suppress.Rule
		field string
	}{
		{"no criteria", suppress.Rule{Reason: "x"}, "match"},
		{"bare wildcard", suppress.Rule{Reason: "x", Match: suppress.Match{AlertType: "*"}}, "match"},
		{"unknown provider", suppress.Rule{Reason: "x", Match: suppress.Match{Provider: "splunk"}}, "match.provider"},
		{"bad entity type", suppress.Rule{Reason: "x", Match: suppress.Match{Entity: &suppress.EntityMatch{Type: "thing", Value: "v"}}}, "match.entity.type"},
		{"no reason", suppress.Rule{Match: suppress.Match{Provider: "falco"}}, "reason"},
		{"bad state", suppress.Rule{Reason: "x", State: "On", Match: suppress.Match{Provider: "falco"}}, "state"},
		{"long name", suppress.Rule{Name: strings.Repeat("n", suppress.MaxNameLen+1), Reason: "x", Match: suppress.Match{Provider: "falco"}}, "name"},
		{"expiry in year 0", suppress.Rule{Reason: "x", Match: suppress.Match{Provider: "falco"}, ExpiresAt: ptrTime(time.Time{})}, "expiresAt"},
		{"expiry in 1970", suppress.Rule{Reason: "x", Match: suppress.Match{Provider: "falco"}, ExpiresAt: ptrTime(time.Unix(0, 0))}, "expiresAt"},
		{"expiry past, after 2000", suppress.Rule{Reason: "x", Match: suppress.Match{Provider: "falco"}, ExpiresAt: ptrTime(time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC))}, ""},
		{"expiry in 9999", suppress.Rule{Reason: "x", Match: suppress.Match{Provider: "falco"}, ExpiresAt: ptrTime(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))}, "expiresAt"},
		{"expiry in nine years", suppress.Rule{Reason: "x", Match: suppress.Match{Provider: "falco"}, ExpiresAt: ptrTime(validateNow.AddDate(9, 0, 0))}, ""},
		{"ok", suppress.Rule{Name: strings.Repeat("n", suppress.MaxNameLen), Reason: "x", Match: suppress.Match{Provider: "falco"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rule.ValidateAt(validateNow)
			var fe *alert.FieldError
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tt.field != "" && (!errors.Is(err, suppress.ErrInvalid) || !errors.As(err, &fe) || fe.Field != tt.field):
				t.Fatalf("error = %v, want field %s", err, tt.field)
			}
		})
	}
}

func TestDraftsMatchTheirAlert(t *testing.T) {
	a := probe()
	drafts := suppress.Drafts(a, "inc-1")
	if len(drafts) < 2 {
		t.Fatalf("drafts = %d", len(drafts))
	}
	for _, d := range drafts {
		if err := d.Validate(); err != nil {
			t.Errorf("draft %q invalid: %v", d.Name, err)
		}
		if !d.Matches(a) {
			t.Errorf("draft %q does not match its own alert", d.Name)
		}
	}
}

func TestActiveKeepsEnabledAndShadowOnly(t *testing.T) {
	past := now.Add(-time.Minute)
	rules := []suppress.Rule{
		{Meta: rulemeta.Meta{ID: "on"}, State: suppress.Enabled},
		{Meta: rulemeta.Meta{ID: "shadow"}, State: suppress.Shadow},
		{Meta: rulemeta.Meta{ID: "off"}, State: suppress.Disabled},
		{Meta: rulemeta.Meta{ID: "expired"}, State: suppress.Enabled, ExpiresAt: &past},
		{Meta: rulemeta.Meta{ID: "marked-expired"}, State: suppress.Expired},
	}
	got := suppress.Active(rules, now)
	if len(got) != 2 || got[0].ID != "on" || got[1].ID != "shadow" {
		t.Fatalf("active = %+v", got)
	}
}
