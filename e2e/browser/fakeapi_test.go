package browser

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"github.com/muster-sec/muster/shared/normalize"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/muster-sec/muster/functions/query/console"
	"github.com/muster-sec/muster/shared/apigw"
	"github.com/muster-sec/muster/shared/automation"
	"github.com/muster-sec/muster/shared/playbook"
)

// fakeAPI is a small stand-in for the query API (docs/api.md),
// used to exercise the console's error paths deterministically. The
// workflow test runs against the real local stack.
type fakeAPI struct {
	token  string
	events string
	mu     sync.Mutex
	inc    map[string]any
	alerts []map[string]any
	// extra incidents and candidates, for the corrections (fakecorrections_test.go).
	extra      []map[string]any
	candidates []map[string]any
	// automation rules (fakeautomation_test.go).
	rules []automation.Rule
}

func newFakeAPI(token, events string) *fakeAPI {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	res := []map[string]any{
		{"id": "i-0a1b2c3d4e5f60718", "type": "AwsEc2Instance", "name": "web-prod-1", "region": "us-east-1", "account": "123456789012", "tags": map[string]string{"env": "prod", "team": "web"}},
		{"id": "i-0b1c2d3e4f5a6b7c8", "type": "AwsEc2Instance", "name": "api-prod-2", "region": "us-east-1", "account": "123456789012", "tags": map[string]string{"env": "prod"}},
	}
	f := &fakeAPI{token: token, events: events}
	f.inc = map[string]any{
		"kind": "incident", "id": "inc-1", "title": "Security incident detected on multiple resources",
		"description": "An attacker probed web-prod-1, brute-forced SSH, opened a shell and exfiltrated instance credentials.",
		"severity":    "Critical", "status": "Active", "tactics": []string{"PreAttack", "InitialAccess", "Execution", "CommandAndControl", "Exfiltration"},
		"resources": res, "alertCount": 3, "multiResource": true, "sources": []string{"guardduty", "falco"},
		"firstActivity": now.Add(-3 * time.Hour), "lastActivity": now, "version": 1,
		"entities": []map[string]any{{"type": "ip", "value": "198.51.100.7", "public": true}, {"type": "ip", "value": "10.0.1.25"}},
	}
	for i, n := range []struct{ name, typ, sev, tactic, reason string }{
		{"Unusual port probe", "Recon:EC2/PortProbeUnprotectedPort", "Low", "PreAttack", "first alert of the group"},
		{"SSH brute force", "UnauthorizedAccess:EC2/SSHBruteForce", "Medium", "InitialAccess", "shares res:i-0a1b2c3d4e5f60718 with alert a-0"},
		{"Credential exfiltration", "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", "High", "Exfiltration", "shares ip:198.51.100.7 with alert a-1"},
	} {
		f.alerts = append(f.alerts, map[string]any{
			"kind": "alert", "id": fmt.Sprintf("a-%d", i), "provider": "guardduty", "sourceId": fmt.Sprintf("arn:finding/%d", i),
			"type": n.typ, "name": n.name, "severity": n.sev, "status": "Active", "tactics": []string{n.tactic},
			"resources": res[i%2 : i%2+1], "firstSeen": now.Add(-time.Duration(3-i) * time.Hour), "lastSeen": now.Add(-time.Duration(2-i) * time.Minute),
			"incidentId": "inc-1", "reason": n.reason, "remediationSteps": []string{"Review the security group.", "Rotate the instance role credentials."},
		})
	}
	for i := 3; i < 14; i++ {
		f.alerts = append(f.alerts, map[string]any{
			"kind": "alert", "id": fmt.Sprintf("a-%d", i), "provider": "falco", "sourceId": fmt.Sprintf("falco/%d", i),
			"type": "Read sensitive file untrusted", "name": "Read sensitive file untrusted", "severity": "Low", "status": "Active",
			"tactics": []string{"CredentialAccess"}, "resources": res[0:1], "firstSeen": now.Add(-time.Duration(i) * time.Hour),
			"lastSeen": now.Add(-time.Duration(i) * time.Hour),
		})
	}
	f.addCorrectionsData(now)
	f.addAutomationData(now)
	return f
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		if resp, ok := console.Serve(r.URL.Path); ok {
			write(w, resp.StatusCode, resp.Headers, resp.Body)
			return
		}
	}
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		problem(w, 401, "Unauthorized", "a valid bearer token is required")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.serveAutomation(w, r) || f.serveCorrections(w, r) {
		return
	}
	p := r.URL.Path
	switch {
	case p == "/alerts":
		var items []any
		if keep(f.inc, r.URL.Query()) {
			items = append(items, f.inc)
		}
		for _, inc := range f.extra {
			if inc["mergedInto"] == nil && keep(inc, r.URL.Query()) {
				items = append(items, inc)
			}
		}
		for _, a := range f.alerts {
			if keep(a, r.URL.Query()) {
				items = append(items, a)
			}
		}
		pg := page(items, r.URL.Query())
		b, _ := json.Marshal(pg["items"])
		tag := fmt.Sprintf(`W/"%x"`, sha256.Sum256(b))
		w.Header().Set("ETag", tag)
		if r.Header.Get("If-None-Match") == tag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		writeJSON(w, 200, pg)
	case p == "/test/new-alert" && r.Method == http.MethodPost:
		// Test control: a new alert arrives (for the live list).
		n := len(f.alerts)
		f.alerts = append([]map[string]any{{
			"kind": "alert", "id": fmt.Sprintf("a-%d", n), "provider": "guardduty", "sourceId": fmt.Sprintf("arn:finding/%d", n),
			"type": "Recon:EC2/Portscan", "name": "Outbound port scan", "severity": "Medium", "status": "Active",
			"tactics": []string{"Discovery"}, "resources": f.alerts[0]["resources"], "firstSeen": time.Now().UTC(), "lastSeen": time.Now().UTC(),
		}}, f.alerts...)
		writeJSON(w, 201, map[string]any{"id": fmt.Sprintf("a-%d", n)})
	case strings.HasPrefix(p, "/alerts/"):
		for _, a := range f.alerts {
			if a["id"] == strings.TrimPrefix(p, "/alerts/") {
				writeJSON(w, 200, a)
				return
			}
		}
		problem(w, 404, "Not Found", "no alert with this id")
	case p == "/incidents/inc-1" && r.Method == http.MethodGet:
		w.Header().Set("ETag", fmt.Sprintf(`"%d"`, f.inc["version"]))
		writeJSON(w, 200, f.inc)
	case p == "/incidents/inc-1" && r.Method == http.MethodPatch:
		if strings.Trim(r.Header.Get("If-Match"), `"`) != strconv.Itoa(f.inc["version"].(int)) {
			problem(w, 412, "Precondition Failed", "the incident has changed since version "+r.Header.Get("If-Match"))
			return
		}
		var patch map[string]any
		_ = json.NewDecoder(r.Body).Decode(&patch)
		tl, _ := f.inc["timeline"].([]any)
		for k, v := range patch {
			tl = append(tl, map[string]any{"at": time.Now().UTC(), "actor": "fake", "action": k + " changed",
				"from": fmt.Sprint(f.inc[k]), "to": fmt.Sprint(v)})
			f.inc[k] = v
		}
		f.inc["timeline"] = tl
		f.inc["version"] = f.inc["version"].(int) + 1
		w.Header().Set("ETag", fmt.Sprintf(`"%d"`, f.inc["version"]))
		writeJSON(w, 200, f.inc)
	case strings.HasPrefix(p, "/entities/"):
		writeJSON(w, 200, f.entity(strings.TrimPrefix(p, "/entities/")))
	case p == "/incidents/inc-1/related":
		writeJSON(w, 200, map[string]any{"id": "inc-1", "keys": []string{"res:i-0a1b2c3d4e5f60718", "ip:198.51.100.7"},
			"from": "2026-10-28", "to": "2026-12-27", "items": []any{map[string]any{
				"id": "inc-0", "title": "Security incident detected on web-prod-1", "severity": "Medium", "status": "Resolved",
				"firstActivity": "2026-11-17T08:00:00Z", "lastActivity": "2026-11-17T09:00:00Z", "alerts": 2,
				"gapSeconds": 8 * 86400, "gap": "192h0m0s", "noisy": false,
				"shared": []any{map[string]any{"key": "ip:198.51.100.7", "kind": "ip", "noisy": false, "alerts": 2}}}}})
	case p == "/metrics":
		writeJSON(w, 200, fakeMetrics(r.URL.Query().Get("bucket")))
	case p == "/incidents/inc-1/alerts":
		var members []any
		for _, a := range f.alerts {
			if a["incidentId"] == "inc-1" {
				members = append(members, a)
			}
		}
		writeJSON(w, 200, map[string]any{"items": members})
	case p == "/incidents/inc-1/actions":
		writeJSON(w, 200, map[string]any{
			"mitigate": []string{"Review the security group.", "Rotate the instance role credentials."},
			"prevent":  []any{map[string]string{"title": "Restrict SSH", "description": "Allow port 22 only from a bastion."}},
			"respond":  map[string]any{"playbooks": playbook.DefaultPlaybooks(), "requests": []any{}},
			"suppress": []any{},
		})
	case p == "/incidents/inc-1/comments":
		var c map[string]any
		_ = json.NewDecoder(r.Body).Decode(&c)
		comments, _ := f.inc["comments"].([]any)
		f.inc["comments"] = append(comments, map[string]any{"id": "c", "author": "dev", "at": time.Now(), "text": c["text"]})
		writeJSON(w, 201, c)
	case p == "/incidents/inc-1/respond":
		var req map[string]any
		_ = json.NewDecoder(r.Body).Decode(&req)
		ev, _ := json.Marshal(map[string]any{"source": "muster", "detail-type": "Incident Response Requested",
			"detail": map[string]any{"incident": map[string]any{"id": "inc-1"}, "playbook": req["playbook"], "parameters": req["parameters"]}})
		fh, err := os.OpenFile(f.events, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err == nil {
			_, _ = fh.Write(append(ev, '\n'))
			_ = fh.Close()
		}
		f.requested(req)
		writeJSON(w, 202, req)
	case p == "/playbooks":
		writeJSON(w, 200, map[string]any{"items": playbook.DefaultPlaybooks()})
	case p == "/sources":
		var items []map[string]string
		for _, s := range normalize.Sources() {
			items = append(items, map[string]string{"name": s.Name, "display": s.Display, "webhook": "/webhooks/" + s.Name, "idField": s.IDField})
		}
		writeJSON(w, 200, map[string]any{"items": items})
	case p == "/suppression-rules/simulate":
		var b struct {
			Match map[string]any `json:"match"`
			Days  int            `json:"days"`
		}
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil || b.Match == nil {
			problem(w, 400, "Bad Request", "match is required")
			return
		}
		writeJSON(w, 200, map[string]any{"matched": 2, "examined": 40, "days": b.Days})
	case p == "/incidents/inc-1/suppress":
		writeJSON(w, 201, map[string]any{"id": "rule-1", "state": "Enabled"})
	default:
		problem(w, 404, "Not Found", "no such incident")
	}
}

// page cuts one page of items at limit, from the offset the cursor holds.
func page(items []any, q url.Values) map[string]any {
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit <= 0 {
		limit = 50
	}
	from, _ := strconv.Atoi(strings.TrimPrefix(q.Get("cursor"), "fake-"))
	from = min(from, len(items))
	to := min(from+limit, len(items))
	out := map[string]any{"items": items[from:to]}
	if to < len(items) {
		out["cursor"] = "fake-" + strconv.Itoa(to)
	}
	return out
}

// keep applies the list filters the console sends, exactly (since/until
// are accepted and ignored: every fake item is recent).
func keep(item map[string]any, q url.Values) bool {
	name, _ := item["name"].(string)
	if t, ok := item["title"].(string); ok {
		name = t
	}
	if v := q.Get("name"); v != "" && v != name {
		return false
	}
	for _, k := range []string{"severity", "status", "provider"} {
		if v := q.Get(k); v != "" && fmt.Sprint(item[k]) != v && !(k == "provider" && item["kind"] == "incident") {
			return false
		}
	}
	if v := q.Get("tactic"); v != "" && !slices.Contains(item["tactics"].([]string), v) {
		return false
	}
	if v := q.Get("resource"); v != "" {
		found := false
		for _, res := range item["resources"].([]map[string]any) {
			found = found || res["id"] == v
		}
		return found
	}
	return true
}

func problem(w http.ResponseWriter, status int, title, detail string) {
	resp := apigw.Problem(status, title, detail)
	write(w, resp.StatusCode, resp.Headers, resp.Body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	resp := apigw.JSON(status, v)
	write(w, resp.StatusCode, resp.Headers, resp.Body)
}

func write(w http.ResponseWriter, status int, hdr map[string]string, body string) {
	for k, v := range hdr {
		w.Header().Set(k, v)
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// entity is GET /entities/{type}/{value}: every fake alert naming the
// value (a resource id, or the incident's public IP, named by its alerts).
func (f *fakeAPI) entity(rest string) map[string]any {
	typ, value, _ := strings.Cut(rest, "/")
	value, _ = url.PathUnescape(value)
	key := map[string]string{"resource": "res"}[typ]
	if key == "" {
		key = typ
	}
	var alerts []any
	resources := []string{}
	for _, a := range f.alerts[:3] {
		res := a["resources"].([]map[string]any)
		if typ == "ip" && value == "198.51.100.7" || typ == "resource" && res[0]["id"] == value {
			alerts = append(alerts, map[string]any{"id": a["id"], "name": a["name"], "firstSeen": a["firstSeen"],
				"resources": []any{res[0]["id"]}, "incidentId": "inc-1"})
			if id := res[0]["id"].(string); !slices.Contains(resources, id) {
				resources = append(resources, id)
			}
		}
	}
	slices.Sort(resources)
	out := map[string]any{"key": key + ":" + value, "type": typ, "value": value, "from": "2026-10-28", "to": "2026-11-27",
		"alertCount": len(alerts), "days": 1, "truncated": false, "noisy": false, "noisyDays": []string{},
		"resources": resources, "resourcesTruncated": false, "incidents": []any{}, "alerts": append([]any{}, alerts...)}
	if len(alerts) > 0 {
		out["firstSeen"], out["lastSeen"] = "2026-11-27T07:00:00Z", "2026-11-27T09:00:00Z"
		out["incidents"] = []any{map[string]any{"id": "inc-1", "title": f.inc["title"], "severity": f.inc["severity"],
			"status": f.inc["status"], "firstActivity": f.inc["firstActivity"], "lastActivity": f.inc["lastActivity"], "alerts": len(alerts)}}
	}
	return out
}

// fakeMetrics is GET /metrics: fourteen days with a little of everything.
func fakeMetrics(bucket string) map[string]any {
	if bucket == "" {
		bucket = "day"
	}
	var buckets []any
	start := time.Date(2026, 11, 14, 0, 0, 0, 0, time.UTC)
	for i := range 14 {
		buckets = append(buckets, map[string]any{"start": start.AddDate(0, 0, i).Format("2006-01-02"),
			"alerts": 40 + i, "suppressed": 3, "correlated": 6, "created": 2 + i%3, "resolved": 1, "alertsPerIncident": 2.0,
			"createdBySeverity": map[string]int{"High": 1 + i%2, "Medium": 1 + i%3/2}, "toStatus": map[string]int{"Resolved": 1},
			"classified": map[string]int{"FalsePositive": i % 2}, "stages": map[string]int{"InitialAccess": 2, "Execution": 1},
			"mtta": map[string]any{"count": 2, "medianSeconds": 1800 + 60*i, "p90Seconds": 7200},
			"mttr": map[string]any{"count": 1, "medianSeconds": 86400 - 1800*i, "p90Seconds": 172800}})
	}
	return map[string]any{"since": "2026-11-14", "until": "2026-11-27", "bucket": bucket, "buckets": buckets,
		"total": map[string]any{"start": "2026-11-14", "alerts": 651, "suppressed": 42, "correlated": 84, "created": 41, "resolved": 14,
			"alertsPerIncident": 2.05, "createdBySeverity": map[string]int{"High": 21, "Medium": 20}, "toStatus": map[string]int{"Resolved": 14},
			"classified": map[string]int{"FalsePositive": 7}, "stages": map[string]int{"InitialAccess": 28, "Execution": 14, "Exfiltration": 3},
			"mtta": map[string]any{"count": 28, "medianSeconds": 2100, "p90Seconds": 7200},
			"mttr": map[string]any{"count": 14, "medianSeconds": 75600, "p90Seconds": 172800}},
		"detections": []any{
			map[string]any{"detection": "falco/Read sensitive file untrusted", "alerts": 310, "incidents": 12, "falsePositive": 6, "benignPositive": 3, "noiseShare": 0.75},
			map[string]any{"detection": "guardduty/SSH brute force", "alerts": 120, "incidents": 20, "falsePositive": 1, "benignPositive": 0, "noiseShare": 0.05}}}
}
