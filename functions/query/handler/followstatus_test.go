package handler_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/killchain"
)

// TestAlertsFollowTheIncidentStatus: a person resolving or dismissing an
// incident sets its alerts' status too; reopening reopens them.
func TestAlertsFollowTheIncidentStatus(t *testing.T) {
	e := newEnv(t)
	as := e.correlated(stepAlert("f1", "web-9", killchain.InitialAccess, 0), stepAlert("f2", "web-9", killchain.Execution, time.Hour))
	inc := e.incidentOf(as[0].ID)
	id := inc["id"].(string)
	for _, step := range []struct{ incident, alert string }{{"Resolved", "Resolved"}, {"Active", "Active"}, {"Dismissed", "Dismissed"}} {
		resp := e.do(call{method: http.MethodPatch, path: "/incidents/" + id, token: writeToken,
			body: `{"status":"` + step.incident + `"}`, headers: map[string]string{"If-Match": version(inc)}})
		wantStatus(t, resp, http.StatusOK)
		inc = decode[map[string]any](t, resp)
		for _, a := range as {
			got := decode[map[string]any](t, e.get("/alerts/"+a.ID, readToken, nil))
			if got["status"] != step.alert {
				t.Errorf("incident %s: alert %s is %v, want %s", step.incident, a.SourceID, got["status"], step.alert)
			}
		}
	}
}
