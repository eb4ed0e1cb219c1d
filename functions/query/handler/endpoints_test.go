package handler_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/suppress"
)

// fixture is what every endpoint test starts from: an incident of three
// alerts and one suppression rule.
type fixture struct {
	incidentID string
	alertIDs   []string
	ruleID     string
}

func (e *env) fixture() fixture {
	e.t.Helper()
	a1 := sampleAlert("f-1", now.Add(-3*time.Hour))
	a2 := sampleAlert("f-2", now.Add(-2*time.Hour))
	a3 := sampleAlert("f-3", now.Add(-90*time.Minute))
	a3.Type, a3.Name = "Backdoor:EC2/C&CActivity.B!DNS", "C&C DNS"
	e.seedIncident("inc-1", a1, a2, a3)
	rule, err := e.store.CreateRule(context.Background(), suppress.Rule{Name: "falco noise",
		Match: suppress.Match{Provider: "falco"}, Reason: "Expected activity"})
	if err != nil {
		e.t.Fatal(err)
	}
	a1.Finish("", now)
	a2.Finish("", now)
	a3.Finish("", now)
	e.meter.Reset()
	return fixture{incidentID: "inc-1", alertIDs: []string{a1.ID, a2.ID, a3.ID}, ruleID: rule.ID}
}

func TestEndpoints(t *testing.T) {
	get := func(path string) call { return call{method: http.MethodGet, path: path} }
	withQ := func(c call, k, v string) call { c.query = map[string]string{k: v}; return c }
	body := func(method, path, b string) call { return call{method: method, path: path, body: b} }
	ifMatch := func(c call, v string) call { c.headers = map[string]string{"If-Match": v}; return c }
	ptr := func(c call) *call { return &c }

	tests := []struct {
		name     string
		scope    string // "" open, "read", "write"
		ok       func(f fixture) call
		okStatus int
		notFound *call
		invalid  func(f fixture) call
	}{
		{name: "healthz", ok: func(fixture) call { return get("/healthz") }, okStatus: 200},
		{name: "openapi", scope: "read", ok: func(fixture) call { return get("/openapi.json") }, okStatus: 200},
		{name: "list alerts", scope: "read", ok: func(fixture) call { return get("/alerts") }, okStatus: 200,
			invalid: func(fixture) call { return withQ(get("/alerts"), "severity", "Bogus") }},
		{name: "get alert", scope: "read", ok: func(f fixture) call { return get("/alerts/" + f.alertIDs[0]) }, okStatus: 200,
			notFound: ptr(get("/alerts/nope")),
			invalid:  func(f fixture) call { return withQ(get("/alerts/"+f.alertIDs[0]), "x", "1") }},
		{name: "list incidents", scope: "read", ok: func(fixture) call { return get("/incidents") }, okStatus: 200,
			invalid: func(fixture) call { return withQ(get("/incidents"), "status", "Open") }},
		{name: "get incident", scope: "read", ok: func(f fixture) call { return get("/incidents/" + f.incidentID) }, okStatus: 200,
			notFound: ptr(get("/incidents/nope")),
			invalid:  func(f fixture) call { return withQ(get("/incidents/"+f.incidentID), "x", "1") }},
		{name: "patch incident", scope: "write",
			ok: func(f fixture) call {
				return ifMatch(body("PATCH", "/incidents/"+f.incidentID, `{"status":"InProgress"}`), `"1"`)
			},
			okStatus: 200, notFound: ptr(ifMatch(body("PATCH", "/incidents/nope", `{"status":"InProgress"}`), `"1"`)),
			invalid: func(f fixture) call {
				return ifMatch(body("PATCH", "/incidents/"+f.incidentID, `{"status":"Bogus"}`), `"1"`)
			}},
		{name: "incident alerts", scope: "read", ok: func(f fixture) call { return get("/incidents/" + f.incidentID + "/alerts") }, okStatus: 200,
			notFound: ptr(get("/incidents/nope/alerts")),
			invalid:  func(f fixture) call { return withQ(get("/incidents/"+f.incidentID+"/alerts"), "limit", "0") }},
		{name: "summary", scope: "read", ok: func(f fixture) call { return withQ(get("/incidents/"+f.incidentID+"/summary"), "format", "markdown") }, okStatus: 200,
			notFound: ptr(get("/incidents/nope/summary")),
			invalid:  func(f fixture) call { return withQ(get("/incidents/"+f.incidentID+"/summary"), "format", "html") }},
		{name: "comment", scope: "write", ok: func(f fixture) call {
			return body("POST", "/incidents/"+f.incidentID+"/comments", `{"text":"looking"}`)
		}, okStatus: 201,
			notFound: ptr(body("POST", "/incidents/nope/comments", `{"text":"looking"}`)),
			invalid:  func(f fixture) call { return body("POST", "/incidents/"+f.incidentID+"/comments", `{"text":"  "}`) }},
		{name: "actions", scope: "read", ok: func(f fixture) call { return get("/incidents/" + f.incidentID + "/actions") }, okStatus: 200,
			notFound: ptr(get("/incidents/nope/actions")),
			invalid:  func(f fixture) call { return withQ(get("/incidents/"+f.incidentID+"/actions"), "x", "1") }},
		{name: "respond", scope: "write",
			ok: func(f fixture) call {
				return body("POST", "/incidents/"+f.incidentID+"/respond", `{"playbook":"notify-oncall","parameters":{"urgency":"high"}}`)
			},
			okStatus: 202, notFound: ptr(body("POST", "/incidents/nope/respond", `{"playbook":"notify-oncall"}`)),
			invalid: func(f fixture) call {
				return body("POST", "/incidents/"+f.incidentID+"/respond", `{"playbook":"reboot-everything"}`)
			}},
		{name: "suppress similar", scope: "write",
			ok: func(f fixture) call {
				return body("POST", "/incidents/"+f.incidentID+"/suppress", `{"alertId":"`+f.alertIDs[0]+`"}`)
			},
			okStatus: 201, notFound: ptr(body("POST", "/incidents/nope/suppress", `{"alertId":"x"}`)),
			invalid: func(f fixture) call {
				return body("POST", "/incidents/"+f.incidentID+"/suppress", `{"alertId":"not-a-member"}`)
			}},
		{name: "list rules", scope: "read", ok: func(fixture) call { return get("/suppression-rules") }, okStatus: 200,
			invalid: func(fixture) call { return withQ(get("/suppression-rules"), "x", "1") }},
		{name: "create rule", scope: "write",
			ok: func(fixture) call {
				return body("POST", "/suppression-rules", `{"match":{"provider":"falco"},"reason":"Expected activity"}`)
			},
			okStatus: 201,
			invalid: func(fixture) call {
				return body("POST", "/suppression-rules", `{"match":{"provider":"splunk"},"reason":"x"}`)
			}},
		{name: "simulate", scope: "read",
			ok: func(fixture) call {
				return body("POST", "/suppression-rules/simulate", `{"match":{"provider":"guardduty"},"days":7}`)
			},
			okStatus: 200,
			invalid: func(fixture) call {
				return body("POST", "/suppression-rules/simulate", `{"match":{"provider":"guardduty"},"days":1000}`)
			}},
		{name: "get rule", scope: "read", ok: func(f fixture) call { return get("/suppression-rules/" + f.ruleID) }, okStatus: 200,
			notFound: ptr(get("/suppression-rules/nope")),
			invalid:  func(f fixture) call { return withQ(get("/suppression-rules/"+f.ruleID), "x", "1") }},
		{name: "patch rule", scope: "write",
			ok: func(f fixture) call {
				return ifMatch(body("PATCH", "/suppression-rules/"+f.ruleID, `{"state":"Shadow"}`), `"1"`)
			},
			okStatus: 200, notFound: ptr(ifMatch(body("PATCH", "/suppression-rules/nope", `{"state":"Shadow"}`), `"1"`)),
			invalid: func(f fixture) call {
				return ifMatch(body("PATCH", "/suppression-rules/"+f.ruleID, `{"state":"On"}`), `"1"`)
			}},
		{name: "delete rule", scope: "write", ok: func(f fixture) call { return call{method: "DELETE", path: "/suppression-rules/" + f.ruleID} },
			okStatus: 204, notFound: ptr(call{method: "DELETE", path: "/suppression-rules/nope"}),
			invalid: func(f fixture) call {
				return withQ(call{method: "DELETE", path: "/suppression-rules/" + f.ruleID}, "x", "1")
			}},
		{name: "playbooks", scope: "read", ok: func(fixture) call { return get("/playbooks") }, okStatus: 200,
			invalid: func(fixture) call { return withQ(get("/playbooks"), "x", "1") }},
		{name: "noisy keys", scope: "read", ok: func(fixture) call { return get("/noisy-keys") }, okStatus: 200,
			invalid: func(fixture) call { return withQ(get("/noisy-keys"), "since", "yesterday") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			f := e.fixture()
			token := writeToken
			if tt.scope == "read" {
				token = readToken
			}
			if tt.scope != "" {
				t.Run("missing token 401", func(t *testing.T) {
					c := tt.ok(f)
					resp := e.do(c)
					wantStatus(t, resp, http.StatusUnauthorized)
				})
				t.Run("wrong scope 403", func(t *testing.T) {
					c := tt.ok(f)
					c.token = ingestToken
					if tt.scope == "write" {
						c.token = readToken
					}
					wantStatus(t, e.do(c), http.StatusForbidden)
				})
			}
			if tt.invalid != nil {
				t.Run("invalid 400", func(t *testing.T) {
					c := tt.invalid(f)
					c.token = token
					wantStatus(t, e.do(c), http.StatusBadRequest)
				})
			}
			if tt.notFound != nil {
				t.Run("not found 404", func(t *testing.T) {
					c := *tt.notFound
					c.token = token
					wantStatus(t, e.do(c), http.StatusNotFound)
				})
			}
			t.Run("success", func(t *testing.T) {
				c := tt.ok(f)
				c.token = token
				wantStatus(t, e.do(c), tt.okStatus)
			})
			if n := e.meter.Operations()["Scan"]; n != 0 {
				t.Errorf("%d Scan calls", n)
			}
		})
	}
}
