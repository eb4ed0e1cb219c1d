package browser

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/apigw"
)

// The fake's corrections (docs/api.md, "Corrections"): more incidents,
// candidates, and merge, move, take out, create, promote and bulk with the
// problems the console must explain (412 stale, 409 refused, 400 field).

// addCorrectionsData gives the fake two more incidents (inc-2 active with
// alerts a-3 and a-4, inc-3 dismissed with a-5) and two candidates.
func (f *fakeAPI) addCorrectionsData(now time.Time) {
	f.inc["confidence"] = 82
	f.inc["confidenceReasons"] = []string{"3 alerts share resource web-prod-1", "the stages follow the kill chain in order", "2 providers agree"}
	res := f.inc["resources"].([]map[string]any)
	mk := func(id, title, sev, status string, conf int, members ...int) map[string]any {
		for _, i := range members {
			f.alerts[i]["incidentId"] = id
		}
		return map[string]any{
			"kind": "incident", "id": id, "title": title, "severity": sev, "status": status, "tactics": []string{"CredentialAccess"},
			"resources": res[:1], "alertCount": len(members), "sources": []string{"falco"}, "confidence": conf,
			"confidenceReasons": []string{fmt.Sprintf("%d alerts share resource web-prod-1", len(members))},
			"firstActivity":     now.Add(-5 * time.Hour), "lastActivity": now.Add(-4 * time.Hour), "version": 1,
		}
	}
	f.extra = []map[string]any{
		mk("inc-2", "Sensitive file reads on web-prod-1", "High", "Active", 55, 3, 4),
		mk("inc-3", "Old sensitive file read", "Low", "Dismissed", 20, 5),
	}
	for i, c := range []struct {
		title string
		conf  int
		why   string
	}{
		{"Possible credential access on web-prod-1", 35, "2 alerts share resource web-prod-1"},
		{"Possible discovery from 203.0.113.9", 25, "2 alerts share ip 203.0.113.9"},
	} {
		f.candidates = append(f.candidates, map[string]any{
			"kind": "candidate", "id": fmt.Sprintf("cand-%d", i+1), "title": c.title, "severity": "Medium", "status": "Active",
			"tactics": []string{"CredentialAccess", "Discovery"}, "resources": res[:1], "alertCount": 2, "sources": []string{"falco"},
			"confidence": c.conf, "confidenceReasons": []string{c.why, "below the incident threshold of 50"},
			"firstActivity": now.Add(-8 * time.Hour), "lastActivity": now.Add(-7 * time.Hour), "version": 1,
		})
	}
}

// incident finds an incident the fake holds by id.
func (f *fakeAPI) incident(id string) map[string]any {
	if id == f.inc["id"] {
		return f.inc
	}
	for _, inc := range f.extra {
		if inc["id"] == id {
			return inc
		}
	}
	return nil
}

// serveCorrections answers the corrections' requests and the reads of the
// extra incidents; false leaves the request to ServeHTTP's switch.
func (f *fakeAPI) serveCorrections(w http.ResponseWriter, r *http.Request) bool {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	route := r.Method + " " + parts[0]
	if len(parts) > 1 {
		route += " {id}"
	}
	if len(parts) > 2 {
		route += " " + parts[2]
	}
	if len(parts) > 3 {
		route += " {alert}"
	}
	switch {
	case route == "GET incidents":
		f.listIncidents(w, r)
	case route == "POST incidents {id}" && parts[1] == "bulk":
		f.bulk(w, r)
	case route == "POST incidents":
		f.create(w, r)
	case route == "GET candidates":
		var out []any
		for _, c := range f.candidates {
			out = append(out, c)
		}
		writeJSON(w, 200, map[string]any{"items": out})
	case route == "POST candidates {id} promote":
		f.promote(w, r, parts[1])
	case strings.HasPrefix(route, "GET incidents {id}") && parts[1] != "inc-1" && f.incident(parts[1]) != nil:
		f.readExtra(w, f.incident(parts[1]), route)
	case route == "POST incidents {id} merge", route == "POST incidents {id} alerts", route == "DELETE incidents {id} alerts {alert}":
		f.correct(w, r, parts)
	default:
		return false
	}
	return true
}

func (f *fakeAPI) listIncidents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	minConf, _ := strconv.Atoi(q.Get("minConfidence"))
	var out []any
	for _, inc := range append([]map[string]any{f.inc}, f.extra...) {
		if inc["mergedInto"] == nil && keep(inc, q) && inc["confidence"].(int) >= minConf {
			out = append(out, inc)
		}
	}
	writeJSON(w, 200, page(out, q))
}

func (f *fakeAPI) readExtra(w http.ResponseWriter, inc map[string]any, route string) {
	switch route {
	case "GET incidents {id}":
		w.Header().Set("ETag", fmt.Sprintf(`"%d"`, inc["version"]))
		writeJSON(w, 200, inc)
	case "GET incidents {id} alerts":
		writeJSON(w, 200, map[string]any{"items": f.members(inc["id"].(string))})
	default:
		writeJSON(w, 200, map[string]any{"mitigate": []any{}, "prevent": []any{}, "respond": map[string]any{"playbooks": []any{}}, "suppress": []any{}})
	}
}

func (f *fakeAPI) members(id string) []any {
	var out []any
	for _, a := range f.alerts {
		if a["incidentId"] == id {
			out = append(out, a)
		}
	}
	return out
}

// correct applies a merge, a move or a take-out to the path's incident at
// the version If-Match names.
func (f *fakeAPI) correct(w http.ResponseWriter, r *http.Request, parts []string) {
	inc := f.incident(parts[1])
	if inc == nil {
		problem(w, 404, "Not Found", "no incident "+parts[1])
		return
	}
	if strings.Trim(r.Header.Get("If-Match"), `"`) != strconv.Itoa(inc["version"].(int)) {
		problem(w, 412, "Precondition Failed", "the incident has changed since version "+r.Header.Get("If-Match"))
		return
	}
	var b struct {
		Incidents []string `json:"incidents"`
		Alerts    []string `json:"alerts"`
		Reason    string   `json:"reason"`
	}
	if r.Method == http.MethodDelete {
		b.Reason = r.URL.Query().Get("reason")
	} else {
		_ = json.NewDecoder(r.Body).Decode(&b)
	}
	if strings.TrimSpace(b.Reason) == "" {
		fieldProblem(w, "reason", "is required")
		return
	}
	var err *fakeProblem
	switch parts[2] {
	case "merge":
		err = f.merge(inc, b.Incidents)
	case "alerts":
		if r.Method == http.MethodDelete {
			err = f.takeOut(inc, parts[3])
		} else {
			err = f.move(inc, b.Alerts)
		}
	}
	if err != nil {
		problem(w, err.status, http.StatusText(err.status), err.detail)
		return
	}
	f.changed(inc, parts[2]+": "+b.Reason)
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, inc["version"]))
	writeJSON(w, 200, inc)
}

type fakeProblem struct {
	status int
	detail string
}

func (f *fakeAPI) merge(into map[string]any, ids []string) *fakeProblem {
	for _, id := range ids {
		other := f.incident(id)
		switch {
		case other == nil:
			return &fakeProblem{404, "no incident " + id}
		case id == into["id"]:
			return &fakeProblem{409, "an incident cannot be merged with itself"}
		case other["status"] == "Dismissed":
			return &fakeProblem{409, "incident " + id + " is dismissed: reopen it before merging"}
		}
	}
	for _, id := range ids {
		for _, a := range f.alerts {
			if a["incidentId"] == id {
				a["incidentId"] = into["id"]
			}
		}
		f.incident(id)["mergedInto"] = into["id"]
	}
	return nil
}

func (f *fakeAPI) move(into map[string]any, ids []string) *fakeProblem {
	for _, id := range ids {
		a := f.alert(id)
		if a == nil {
			return &fakeProblem{404, "no alert " + id}
		}
		if from := f.incident(fmt.Sprint(a["incidentId"])); from != nil && from["id"] != into["id"] {
			a["incidentId"] = into["id"]
			f.changed(from, "alert "+id+" moved out")
		}
		a["incidentId"] = into["id"]
	}
	return nil
}

func (f *fakeAPI) takeOut(from map[string]any, alertID string) *fakeProblem {
	a := f.alert(alertID)
	if a == nil || a["incidentId"] != from["id"] {
		return &fakeProblem{404, "alert " + alertID + " is not in this incident"}
	}
	if len(f.members(from["id"].(string))) == 1 {
		return &fakeProblem{409, "it is the incident's only alert"}
	}
	delete(a, "incidentId")
	return nil
}

func (f *fakeAPI) alert(id string) map[string]any {
	for _, a := range f.alerts {
		if a["id"] == id {
			return a
		}
	}
	return nil
}

// changed recounts an incident's alerts, records the change and bumps its
// version.
func (f *fakeAPI) changed(inc map[string]any, what string) {
	inc["alertCount"] = len(f.members(inc["id"].(string)))
	tl, _ := inc["timeline"].([]any)
	inc["timeline"] = append(tl, map[string]any{"at": time.Now().UTC(), "actor": "fake", "action": what})
	inc["version"] = inc["version"].(int) + 1
}

func (f *fakeAPI) create(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Alerts   []string `json:"alerts"`
		Reason   string   `json:"reason"`
		Title    string   `json:"title"`
		Severity string   `json:"severity"`
	}
	_ = json.NewDecoder(r.Body).Decode(&b)
	switch {
	case len(b.Alerts) == 0:
		fieldProblem(w, "alerts", "at least one alert is required")
		return
	case strings.TrimSpace(b.Reason) == "":
		fieldProblem(w, "reason", "is required")
		return
	case len(b.Title) > 256:
		fieldProblem(w, "title", "must be at most 256 characters")
		return
	}
	sorted := slices.Sorted(slices.Values(b.Alerts))
	id := "inc-new-" + strings.Join(sorted, "-")
	if f.incident(id) != nil {
		problem(w, 409, "Conflict", "these alerts already made incident "+id)
		return
	}
	first := f.alert(b.Alerts[0])
	if first == nil {
		problem(w, 404, "Not Found", "no alert "+b.Alerts[0])
		return
	}
	inc := map[string]any{
		"kind": "incident", "id": id, "title": cmp(b.Title, fmt.Sprint(first["name"])), "severity": cmp(b.Severity, fmt.Sprint(first["severity"])),
		"status": "Active", "tactics": first["tactics"], "resources": first["resources"], "sources": []string{fmt.Sprint(first["provider"])},
		"confidence": 100, "confidenceReasons": []string{"created by an analyst: " + b.Reason},
		"firstActivity": first["firstSeen"], "lastActivity": first["lastSeen"], "version": 0,
	}
	f.extra = append(f.extra, inc)
	if p := f.move(inc, b.Alerts); p != nil {
		problem(w, p.status, http.StatusText(p.status), p.detail)
		return
	}
	f.changed(inc, "created: "+b.Reason)
	w.Header().Set("Location", "/incidents/"+id)
	writeJSON(w, 201, inc)
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (f *fakeAPI) promote(w http.ResponseWriter, r *http.Request, id string) {
	var b struct {
		Reason string `json:"reason"`
	}
	_ = json.NewDecoder(r.Body).Decode(&b)
	if strings.TrimSpace(b.Reason) == "" {
		fieldProblem(w, "reason", "is required")
		return
	}
	if f.incident(id) != nil {
		problem(w, 409, "Conflict", "candidate "+id+" is already an incident")
		return
	}
	i := slices.IndexFunc(f.candidates, func(c map[string]any) bool { return c["id"] == id })
	if i < 0 {
		problem(w, 404, "Not Found", "no candidate "+id)
		return
	}
	inc := f.candidates[i]
	inc["kind"] = "incident"
	f.candidates = slices.Delete(f.candidates, i, i+1)
	f.extra = append(f.extra, inc)
	writeJSON(w, 200, inc)
}

// bulk changes each incident it can and names each one it cannot: a
// dismissed incident is refused (409), an unknown id is 404.
func (f *fakeAPI) bulk(w http.ResponseWriter, r *http.Request) {
	var b struct {
		IDs []string       `json:"ids"`
		Set map[string]any `json:"set"`
	}
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil || len(b.IDs) == 0 {
		fieldProblem(w, "ids", "1 to 100 incident ids are required")
		return
	}
	var results []any
	updated := 0
	for _, id := range b.IDs {
		inc := f.incident(id)
		switch {
		case inc == nil:
			results = append(results, map[string]any{"id": id, "status": "failed", "error": map[string]any{"status": 404, "detail": "no incident " + id}})
		case inc["status"] == "Dismissed":
			results = append(results, map[string]any{"id": id, "status": "failed", "error": map[string]any{"status": 409, "detail": "a dismissed incident is reopened on its own page"}})
		default:
			for k, v := range b.Set {
				inc[k] = v
			}
			f.changed(inc, "bulk change")
			updated++
			results = append(results, map[string]any{"id": id, "status": "updated", "version": inc["version"]})
		}
	}
	writeJSON(w, 200, map[string]any{"updated": updated, "failed": len(b.IDs) - updated, "results": results})
}

func fieldProblem(w http.ResponseWriter, field, reason string) {
	resp := apigw.ProblemWith(apigw.ProblemDetails{Status: 400, Title: "Bad Request", Detail: field + ": " + reason,
		Extensions: map[string]any{"field": field, "reason": reason}})
	write(w, resp.StatusCode, resp.Headers, resp.Body)
}
