package incident_test

import (
	"testing"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
)

func TestCanTransition(t *testing.T) {
	allowed := map[incident.Status][]incident.Status{
		incident.StatusActive:     {incident.StatusInProgress, incident.StatusResolved, incident.StatusDismissed},
		incident.StatusInProgress: {incident.StatusActive, incident.StatusResolved, incident.StatusDismissed},
		incident.StatusResolved:   {incident.StatusActive, incident.StatusInProgress},
		incident.StatusDismissed:  {incident.StatusActive},
	}
	for _, from := range incident.Statuses {
		for _, to := range incident.Statuses {
			want := from == to
			for _, s := range allowed[from] {
				want = want || s == to
			}
			if got := incident.CanTransition(from, to); got != want {
				t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, got, want)
			}
		}
	}
}

func TestTitle(t *testing.T) {
	one := []alert.Resource{{ID: "i-0a1b2c3d4e5f60718", Name: "web-prod-1"}}
	if got := incident.Title(one); got != "Security incident detected on web-prod-1" {
		t.Errorf("one resource: %q", got)
	}
	if got := incident.Title([]alert.Resource{{ID: "i-0a1b2c3d4e5f60718"}}); got != "Security incident detected on i-0a1b2c3d4e5f60718" {
		t.Errorf("unnamed resource: %q", got)
	}
	two := append(one, alert.Resource{ID: "i-0f9e8d7c6b5a40321"})
	if got := incident.Title(two); got != "Security incident detected on multiple resources" {
		t.Errorf("two resources: %q", got)
	}
}

func TestParseAndValid(t *testing.T) {
	if s, ok := incident.ParseStatus("inprogress"); !ok || s != incident.StatusInProgress {
		t.Errorf("ParseStatus = %v %v", s, ok)
	}
	if _, ok := incident.ParseStatus("Closed"); ok {
		t.Error("Closed accepted")
	}
	if incident.Classification("Maybe").Valid() || !incident.TruePositive.Valid() {
		t.Error("Classification.Valid")
	}
	if err := (incident.Comment{Text: "  "}).Validate(); err == nil {
		t.Error("blank comment accepted")
	}
}
