package handler_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	queryhandler "github.com/muster-sec/muster/functions/query/handler"
	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/suppress"
)

func (e *env) rawIncident(id string) dynamostore.IncidentRecord {
	e.t.Helper()
	out, err := e.db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(e.store.Table()), Key: dynamostore.IncidentKey(id)})
	if err != nil {
		e.t.Fatal(err)
	}
	rec, err := dynamostore.DecodeIncident(out.Item)
	if err != nil {
		e.t.Fatal(err)
	}
	return rec
}

func patch(path, version, body string) call {
	c := call{method: http.MethodPatch, path: path, token: writeToken, body: body}
	if version != "" {
		c.headers = map[string]string{"If-Match": version}
	}
	return c
}

func TestPatchIncidentLifecycle(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	path := "/incidents/" + f.incidentID
	before := e.rawIncident(f.incidentID)

	t.Run("missing If-Match is 428", func(t *testing.T) {
		wantStatus(t, e.do(patch(path, "", `{"status":"InProgress"}`)), http.StatusPreconditionRequired)
	})
	t.Run("stale If-Match is 412 and changes nothing", func(t *testing.T) {
		wantStatus(t, e.do(patch(path, `"7"`, `{"status":"Resolved","owner":"mallory"}`)), http.StatusPreconditionFailed)
		after := e.rawIncident(f.incidentID)
		if after.Version != before.Version || after.Incident.Status != before.Incident.Status || after.Incident.Owner != "" {
			t.Fatalf("incident changed: %+v", after.Incident)
		}
		tl, _ := e.store.Timeline(context.Background(), f.incidentID)
		if len(tl) != 0 {
			t.Fatalf("timeline written: %+v", tl)
		}
	})
	t.Run("change records who and when and keeps the group state", func(t *testing.T) {
		resp := e.do(patch(path, `"1"`, `{"status":"InProgress","owner":"alice","classification":"TruePositive","severity":"Critical"}`))
		wantStatus(t, resp, http.StatusOK)
		if resp.Headers["ETag"] != `"2"` {
			t.Fatalf("ETag = %q", resp.Headers["ETag"])
		}
		after := e.rawIncident(f.incidentID)
		inc := after.Incident
		if after.Version != 2 || inc.Status != incident.StatusInProgress || inc.Owner != "alice" ||
			inc.Classification != incident.TruePositive || inc.Severity != alert.Critical || inc.SeveritySetBy != "writer" {
			t.Fatalf("after patch: %+v", inc)
		}
		if string(after.Group) != string(before.Group) || len(dynamostore.MembersFromGroup(after.Group)) != 3 {
			t.Fatalf("group state not preserved: %s", after.Group)
		}
		tl, err := e.store.Timeline(context.Background(), f.incidentID)
		if err != nil || len(tl) != 4 {
			t.Fatalf("timeline = %+v, %v", tl, err)
		}
		for _, x := range tl {
			if x.Actor != "writer" || !x.At.Equal(now) {
				t.Errorf("entry without who/when: %+v", x)
			}
		}
	})
	t.Run("disallowed transition is 409", func(t *testing.T) {
		wantStatus(t, e.do(patch(path, `"2"`, `{"status":"Dismissed"}`)), http.StatusOK)
		wantStatus(t, e.do(patch(path, `"3"`, `{"status":"Resolved"}`)), http.StatusConflict)
		if v := e.rawIncident(f.incidentID).Version; v != 3 {
			t.Fatalf("version = %d after a refused transition", v)
		}
	})
	t.Run("unknown field is 400", func(t *testing.T) {
		wantStatus(t, e.do(patch(path, `"3"`, `{"title":"mine"}`)), http.StatusBadRequest)
	})
}

func TestIncidentDetailsAndSummary(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	wantStatus(t, e.do(call{method: "POST", path: "/incidents/inc-1/comments", token: writeToken, body: `{"text":"on it"}`}), http.StatusCreated)
	resp := e.get("/incidents/inc-1", readToken, nil)
	wantStatus(t, resp, http.StatusOK)
	d := decode[map[string]any](t, resp)
	e.conforms("IncidentDetail", resp.Body)
	for _, k := range []string{"id", "title", "severity", "status", "tactics", "resources", "alertCount", "multiResource",
		"firstActivity", "lastActivity", "version", "description"} {
		if _, ok := d[k]; !ok {
			t.Errorf("detail lacks %s", k)
		}
	}
	alerts := d["alerts"].([]any)
	if len(alerts) != 3 {
		t.Fatalf("alerts = %d", len(alerts))
	}
	for _, a := range alerts {
		m := a.(map[string]any)
		if m["reason"] == "" || m["reason"] == nil || m["incidentId"] != "inc-1" || m["sourceId"] == nil || m["provider"] != "guardduty" {
			t.Errorf("alert without reason/ids: %v", m)
		}
	}
	if c := d["comments"].([]any); len(c) != 1 {
		t.Errorf("comments = %v", c)
	}
	if tl := d["timeline"].([]any); len(tl) != 1 {
		t.Errorf("timeline = %v", tl)
	}
	res := d["resources"].([]any)[0].(map[string]any)
	if res["tags"].(map[string]any)["env"] != "prod" {
		t.Errorf("resource tags missing: %v", res)
	}
	_ = f

	for _, format := range []string{"text", "markdown"} {
		t.Run("summary "+format, func(t *testing.T) {
			resp := e.get("/incidents/inc-1/summary", readToken, map[string]string{"format": format})
			wantStatus(t, resp, http.StatusOK)
			if n := utf8.RuneCountInString(resp.Body); n >= 4000 || !strings.Contains(resp.Body, "web-prod-1") ||
				!strings.Contains(resp.Body, "https://muster.example/incidents/inc-1") {
				t.Fatalf("summary (%d chars):\n%s", n, resp.Body)
			}
		})
	}
}

func TestSummaryStaysUnderLimit(t *testing.T) {
	e := newEnv(t)
	var alerts []alert.Alert
	for i := 0; i < 60; i++ {
		a := sampleAlert(fmt.Sprintf("big-%d", i), now.Add(-time.Duration(i)*time.Minute))
		a.Name = strings.Repeat("very long alert name ", 20)
		alerts = append(alerts, a)
	}
	e.seedIncident("big", alerts...)
	resp := e.get("/incidents/big/summary", readToken, map[string]string{"format": "markdown"})
	wantStatus(t, resp, http.StatusOK)
	if n := utf8.RuneCountInString(resp.Body); n >= 4000 {
		t.Fatalf("summary has %d characters", n)
	}
}

func TestKindAllListsIncidentsAmongAlerts(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	multi := e.seedIncident("inc-2", sampleAlert("m-1", now.Add(-5*time.Hour)))
	_ = multi
	// Rename inc-2 to a multi-resource incident through the codec.
	rec := e.rawIncident("inc-2")
	rec.Incident.Title, rec.Incident.MultiResource = "Security incident detected on multiple resources", true
	item, _ := dynamostore.EncodeIncident(rec)
	if _, err := e.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(e.store.Table()), Item: item}); err != nil {
		t.Fatal(err)
	}
	resp := e.get("/alerts", readToken, map[string]string{"kind": "all"})
	wantStatus(t, resp, http.StatusOK)
	e.conforms("AlertList", resp.Body)
	kinds := map[string]int{}
	for _, it := range decode[listBody](t, resp).Items {
		kinds[it["kind"].(string)]++
	}
	if kinds["incident"] != 2 || kinds["alert"] != 4 {
		t.Fatalf("kinds = %v", kinds)
	}
	resp = e.get("/alerts", readToken, map[string]string{"kind": "all", "name": "Security incident detected on multiple resources"})
	wantStatus(t, resp, http.StatusOK)
	items := decode[listBody](t, resp).Items
	if len(items) != 1 || items[0]["id"] != "inc-2" || items[0]["kind"] != "incident" {
		t.Fatalf("name filter: %v", items)
	}
}

func TestRespondRecordsRequest(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	tests := []struct {
		name   string
		body   string
		status int
	}{
		{"valid", `{"playbook":"isolate-instance","parameters":{"instanceId":"i-0a1b2c3d4e5f60718"}}`, http.StatusAccepted},
		{"unknown playbook", `{"playbook":"nuke"}`, http.StatusBadRequest},
		{"missing parameter", `{"playbook":"isolate-instance","parameters":{}}`, http.StatusBadRequest},
		{"bad parameter", `{"playbook":"isolate-instance","parameters":{"instanceId":"web-1"}}`, http.StatusBadRequest},
		{"unknown parameter", `{"playbook":"notify-oncall","parameters":{"pager":"x"}}`, http.StatusBadRequest},
		// A well-formed instance id that is not one of the incident's
		// resources: a write token cannot isolate any instance it names.
		{"instance outside the incident", `{"playbook":"isolate-instance","parameters":{"instanceId":"i-0fffffffffffffff0"}}`, http.StatusBadRequest},
		{"access key outside the incident", `{"playbook":"disable-access-key","parameters":{"userName":"alice","accessKeyId":"AKIAIOSFODNN7EXAMPLE"}}`, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantStatus(t, e.do(call{method: "POST", path: "/incidents/inc-1/respond", token: writeToken, body: tt.body}), tt.status)
		})
	}
	reqs, err := e.store.ResponseRequests(context.Background(), "inc-1")
	if err != nil || len(reqs) != 1 || reqs[0].Playbook != "isolate-instance" || reqs[0].RequestedBy != "writer" {
		t.Fatalf("requests = %+v, %v", reqs, err)
	}
	resp := e.get("/incidents/inc-1/actions", readToken, nil)
	wantStatus(t, resp, http.StatusOK)
	a := decode[map[string]any](t, resp)
	e.conforms("Actions", resp.Body)
	respond := a["respond"].(map[string]any)
	if len(respond["requests"].([]any)) != 1 || len(respond["playbooks"].([]any)) == 0 {
		t.Fatalf("respond = %v", respond)
	}
	if len(a["mitigate"].([]any)) == 0 || len(a["prevent"].([]any)) == 0 || len(a["suppress"].([]any)) == 0 {
		t.Fatalf("actions = %v", a)
	}
}

func TestSuppressSimilarCreatesRuleAndDismisses(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	resp := e.do(call{method: "POST", path: "/incidents/inc-1/suppress", token: writeToken,
		body: `{"alertId":"` + f.alertIDs[0] + `","reason":"Expected activity","dismissExisting":true}`})
	wantStatus(t, resp, http.StatusCreated)
	out := decode[map[string]any](t, resp)
	rule := out["rule"].(map[string]any)
	// The default draft is the alert's type on its resource: the two SSH
	// brute-force alerts match, the C&C one does not.
	if out["dismissed"].(float64) != 2 || rule["sourceIncident"] != "inc-1" || rule["createdBy"] != "writer" {
		t.Fatalf("response = %v", out)
	}
	for i, id := range f.alertIDs {
		a, err := e.store.GetAlert(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		wantDismissed := i < 2
		if (a.Status == alert.StatusDismissed) != wantDismissed || wantDismissed && a.SuppressedBy != rule["id"] {
			t.Errorf("alert %d: status %s suppressedBy %q", i, a.Status, a.SuppressedBy)
		}
	}
	active, err := e.store.ActiveRules(context.Background())
	if err != nil || len(active) != 2 {
		t.Fatalf("active rules = %d, %v", len(active), err)
	}
	// What ingest does with the rule set: a later alert like the first one
	// is suppressed by the new rule.
	later := sampleAlert("later", now)
	later.Finish("", now)
	if v := suppress.Evaluate(active, &later, now); v.SuppressedBy != rule["id"] {
		t.Fatalf("later alert verdict = %+v", v)
	}
	t.Run("match that misses the alert is 400", func(t *testing.T) {
		wantStatus(t, e.do(call{method: "POST", path: "/incidents/inc-1/suppress", token: writeToken,
			body: `{"alertId":"` + f.alertIDs[0] + `","match":{"provider":"falco"}}`}), http.StatusBadRequest)
	})
}

func TestRuleCRUDStatesAndSimulate(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	resp := e.do(call{method: "POST", path: "/suppression-rules", token: writeToken,
		body: `{"name":"probe noise","match":{"alertType":"UnauthorizedAccess:EC2/SSHBruteForce","resourceId":"arn:aws:ec2:us-east-1:111122223333:instance/i-0a1b2c3d4e5f60718"},"reason":"Expected activity","state":"Shadow"}`})
	wantStatus(t, resp, http.StatusCreated)
	r := decode[map[string]any](t, resp)
	id := r["id"].(string)
	if r["state"] != "Shadow" || r["effectiveState"] != "Shadow" || resp.Headers["ETag"] != `"1"` {
		t.Fatalf("created = %v", r)
	}
	resp = e.do(call{method: "POST", path: "/suppression-rules/simulate", token: readToken,
		body: `{"match":{"alertType":"UnauthorizedAccess:EC2/SSHBruteForce"},"days":7}`})
	wantStatus(t, resp, http.StatusOK)
	if sim := decode[map[string]any](t, resp); sim["matched"].(float64) != 2 || sim["examined"].(float64) != 3 {
		t.Fatalf("simulation = %v", sim)
	}
	wantStatus(t, e.do(patch("/suppression-rules/"+id, `"2"`, `{"state":"Enabled"}`)), http.StatusPreconditionFailed)
	wantStatus(t, e.do(patch("/suppression-rules/"+id, "", `{"state":"Enabled"}`)), http.StatusPreconditionRequired)
	past := now.Add(-time.Minute).Format(time.RFC3339)
	resp = e.do(patch("/suppression-rules/"+id, `"1"`, `{"state":"Enabled","expiresAt":"`+past+`"}`))
	wantStatus(t, resp, http.StatusOK)
	if r := decode[map[string]any](t, resp); r["effectiveState"] != "Expired" || r["version"].(float64) != 2 {
		t.Fatalf("patched = %v", r)
	}
	active, _ := e.store.ActiveRules(context.Background())
	for _, a := range active {
		if a.ID == id {
			t.Fatal("expired rule is active")
		}
	}
	if err := e.store.RecordHits(context.Background(), map[string]int{f.ruleID: 3, "deleted-rule": 1}, now); err != nil {
		t.Fatal(err)
	}
	resp = e.get("/suppression-rules/"+f.ruleID, readToken, nil)
	if r := decode[map[string]any](t, resp); r["hits"].(float64) != 3 || r["lastHitAt"] == nil {
		t.Fatalf("hits = %v", r)
	}
	resp = e.get("/suppression-rules", readToken, nil)
	if items := decode[listBody](t, resp).Items; len(items) != 2 {
		t.Fatalf("rules = %v", items)
	}
	wantStatus(t, e.do(call{method: "DELETE", path: "/suppression-rules/" + id, token: writeToken}), http.StatusNoContent)
	wantStatus(t, e.get("/suppression-rules/"+id, readToken, nil), http.StatusNotFound)
}

func TestRoutingEdges(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		method, path string
		status       int
	}{
		{"DELETE", "/incidents", http.StatusMethodNotAllowed},
		{"GET", "/nowhere", http.StatusNotFound},
		{"GET", "/incidents/a/b/c", http.StatusNotFound},
		{"GET", "/healthz/", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			wantStatus(t, e.do(call{method: tt.method, path: tt.path, token: readToken}), tt.status)
		})
	}
	t.Run("internal errors are not leaked", func(t *testing.T) {
		broken := newEnv(t)
		if _, err := broken.db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(broken.store.Table())}); err != nil {
			t.Fatal(err)
		}
		resp := broken.get("/incidents", readToken, nil)
		wantStatus(t, resp, http.StatusInternalServerError)
		if strings.Contains(resp.Body, broken.store.Table()) || strings.Contains(resp.Body, "ResourceNotFound") {
			t.Fatalf("internal detail leaked: %s", resp.Body)
		}
	})
}

func TestDetailAlertsCursorPagesTheRest(t *testing.T) {
	e := newEnv(t)
	var alerts []alert.Alert
	for i := 0; i < 230; i++ {
		alerts = append(alerts, sampleAlert(fmt.Sprintf("many-%d", i), now.Add(-time.Duration(i)*time.Minute)))
	}
	e.seedIncident("many", alerts...)
	resp := e.get("/incidents/many", readToken, nil)
	wantStatus(t, resp, http.StatusOK)
	d := decode[map[string]any](t, resp)
	got := len(d["alerts"].([]any))
	cur, _ := d["alertsCursor"].(string)
	if got != 200 || cur == "" {
		t.Fatalf("detail has %d alerts, cursor %q", got, cur)
	}
	seen := map[string]bool{}
	for _, a := range d["alerts"].([]any) {
		seen[a.(map[string]any)["id"].(string)] = true
	}
	for cur != "" {
		resp := e.get("/incidents/many/alerts", readToken, map[string]string{"cursor": cur, "limit": "200"})
		wantStatus(t, resp, http.StatusOK)
		b := decode[listBody](t, resp)
		for _, it := range b.Items {
			id := it["id"].(string)
			if seen[id] {
				t.Fatalf("alert %s twice", id)
			}
			seen[id] = true
		}
		cur = b.Cursor
	}
	if len(seen) != 230 {
		t.Fatalf("saw %d alerts", len(seen))
	}
	wantStatus(t, e.get("/incidents/inc-other/alerts", readToken, map[string]string{"cursor": d["alertsCursor"].(string)}), http.StatusNotFound)
}

func TestSinceBound(t *testing.T) {
	e := newEnv(t)
	wantStatus(t, e.get("/incidents", readToken, map[string]string{"since": "800d"}), http.StatusBadRequest)
	wantStatus(t, e.get("/incidents", readToken, map[string]string{"since": "700d"}), http.StatusOK)
}

// TestReasonFromAlertMembership: the correlator also records the
// membership on the alert item; the list uses it when the group state has
// no entry for the alert.
func TestReasonFromAlertMembership(t *testing.T) {
	e := newEnv(t)
	a := sampleAlert("solo", now.Add(-time.Hour))
	a.IncidentID = "inc-m"
	stored := e.putAlert(a)
	if err := e.store.SeedIncident(context.Background(), incident.Incident{ID: "inc-m", Title: "t", Severity: alert.High,
		Status: incident.StatusActive, LastActivity: now}, nil); err != nil {
		t.Fatal(err)
	}
	_, err := e.db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{TableName: aws.String(e.store.Table()),
		Key: dynamostore.AlertKey(stored.ID), UpdateExpression: aws.String("SET membership = :m"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":m": &types.AttributeValueMemberS{
			Value: `{"alertId":"` + stored.ID + `","key":"ip:203.0.113.66","stage":"InitialAccess","joinedAt":"2026-11-20T11:00:00Z","reason":"same attacker IP"}`}}})
	if err != nil {
		t.Fatal(err)
	}
	items := decode[listBody](t, e.get("/incidents/inc-m/alerts", readToken, nil)).Items
	if len(items) != 1 || items[0]["reason"] != "same attacker IP" {
		t.Fatalf("items = %v", items)
	}
	// A plain alert list carries no reason.
	items = decode[listBody](t, e.get("/alerts", readToken, nil)).Items
	if len(items) != 1 || items[0]["reason"] != nil || items[0]["incidentId"] != "inc-m" {
		t.Fatalf("items = %v", items)
	}
}

// TestSummaryPicksFromEveryAlert: the summary lists the most severe alerts
// of the whole incident, not of its newest page, and counts the rest from
// all of them.
func TestSummaryPicksFromEveryAlert(t *testing.T) {
	e := newEnv(t)
	var alerts []alert.Alert
	const n = 230 // more than one page of the incident's alerts (200)
	for i := 0; i < n; i++ {
		a := sampleAlert(fmt.Sprintf("many-%03d", i), now.Add(-time.Duration(i)*time.Minute))
		a.Severity, a.Name = alert.Low, fmt.Sprintf("Routine finding %d", i)
		if i == n-1 { // the oldest
			a.Severity, a.Name = alert.Critical, "Instance credentials used from outside AWS"
		}
		alerts = append(alerts, a)
	}
	e.seedIncident("many", alerts...)
	resp := e.get("/incidents/many/summary", readToken, nil)
	wantStatus(t, resp, http.StatusOK)
	if !strings.Contains(resp.Body, "Critical · Instance credentials used from outside AWS") {
		t.Errorf("summary leaves out the oldest, most severe alert:\n%s", resp.Body)
	}
	if want := fmt.Sprintf("…and %d more", n-queryhandler.SummaryAlerts); !strings.Contains(resp.Body, want) {
		t.Errorf("summary does not say %q:\n%s", want, resp.Body)
	}
}

// TestRespondScopeLooksThroughTheAlerts: the incident's own lists of
// resources and entities are capped, so a target missing from them but
// named by one of its alerts is accepted; one named nowhere is not.
func TestRespondScopeLooksThroughTheAlerts(t *testing.T) {
	e := newEnv(t)
	spread := sampleAlert("spread-2", now.Add(-30*time.Minute))
	spread.Resources = []alert.Resource{{ID: "i-0bbbbbbbbbbbbbbb1", Type: "AwsEc2Instance", Name: "web-prod-9"}}
	spread.Entities = append(spread.Entities, alert.Entity{Type: alert.EntityAccessKey, Value: "AKIAIOSFODNN7SPREAD1"})
	e.seedIncident("wide", sampleAlert("spread-1", now.Add(-time.Hour)), spread) // its lists name only web-prod-1
	for _, tt := range []struct {
		name, body string
		status     int
	}{
		{"instance named by an alert", `{"playbook":"isolate-instance","parameters":{"instanceId":"i-0bbbbbbbbbbbbbbb1"}}`, http.StatusAccepted},
		{"access key named by an alert", `{"playbook":"disable-access-key","parameters":{"userName":"ci","accessKeyId":"AKIAIOSFODNN7SPREAD1"}}`, http.StatusAccepted},
		{"instance named nowhere", `{"playbook":"isolate-instance","parameters":{"instanceId":"i-0ccccccccccccccc1"}}`, http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantStatus(t, e.do(call{method: "POST", path: "/incidents/wide/respond", token: writeToken, body: tt.body}), tt.status)
		})
	}
}
