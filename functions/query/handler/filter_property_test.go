package handler_test

import (
	"flag"
	"fmt"
	"math/rand"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"pgregory.net/rapid"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
)

// Value pools of the generated data set.
var (
	pProviders = []string{"guardduty", "falco", "alertmanager"}
	pTypes     = []string{"Recon:EC2/PortProbeUnprotectedPort", "UnauthorizedAccess:EC2/SSHBruteForce", "Terminal shell in container"}
	pNames     = []string{"Port probe", "SSH brute force", "Shell, in container"}
	pResources = []string{"i-0a1b2c3d4e5f60718", "i-0b2c3d4e5f6071829", "arn:aws:s3:::logs", "db-staging"}
	pTactics   = []string{"PreAttack", "InitialAccess", "Execution", "Exfiltration"}
	pIncidents = []string{"inc-a", "inc-b"}
	pOwners    = []string{"alice", "bob"}
	pTags      = []string{"pci", "team:web", "auto-isolated"}
	pTitles    = []string{"Security incident detected on web-prod-1", "Security incident detected on multiple resources"}
	pSev       = []string{"Informational", "Low", "Medium", "High", "Critical"}
	pAStatus   = []string{"Active", "Resolved", "Dismissed"}
	pIStatus   = []string{"Active", "InProgress", "Resolved", "Dismissed"}
)

type dataset struct {
	alerts    []alert.Alert
	incidents []incident.Incident
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.Intn(len(xs))] }

func genDataset(r *rand.Rand, nAlerts, nIncidents int) dataset {
	var d dataset
	at := func() time.Time {
		return now.Add(-time.Duration(r.Int63n(int64(120 * 24 * time.Hour)))).Truncate(time.Millisecond)
	}
	for i := 0; i < nAlerts; i++ {
		ti := r.Intn(len(pTypes))
		a := alert.Alert{Provider: pick(r, pProviders), SourceID: fmt.Sprintf("p-%d", i), Type: pTypes[ti], Name: pNames[ti],
			Severity: alert.Severity(1 + r.Intn(5)), Status: alert.Status(pick(r, pAStatus)),
			Resources: []alert.Resource{{ID: pick(r, pResources)}}}
		if r.Intn(3) == 0 {
			a.Resources = append(a.Resources, alert.Resource{ID: pick(r, pResources)})
		}
		for j := 0; j <= r.Intn(2); j++ {
			st, _ := killchain.Parse(pick(r, pTactics))
			a.Tactics = append(a.Tactics, st)
		}
		if r.Intn(2) == 0 {
			a.IncidentID = pick(r, pIncidents)
		}
		a.FirstSeen = at()
		a.LastSeen = a.FirstSeen.Add(time.Duration(r.Intn(5)) * time.Hour)
		a.Finish("", now)
		d.alerts = append(d.alerts, a)
	}
	for i := 0; i < nIncidents; i++ {
		inc := incident.Incident{ID: fmt.Sprintf("inc-%03d", i), Title: pick(r, pTitles), Severity: alert.Severity(1 + r.Intn(5)),
			Status: incident.Status(pick(r, pIStatus)), LastActivity: at(), Sources: []string{pick(r, pProviders)},
			Resources: []alert.Resource{{ID: pick(r, pResources)}}}
		inc.FirstActivity = inc.LastActivity.Add(-time.Hour)
		if r.Intn(2) == 0 {
			inc.Owner = pick(r, pOwners)
		}
		if r.Intn(2) == 0 {
			inc.Tags = []string{pick(r, pTags)}
		}
		if r.Intn(2) == 0 {
			inc.Resources = append(inc.Resources, alert.Resource{ID: pick(r, pResources)})
			inc.Sources = append(inc.Sources, pick(r, pProviders))
		}
		for j := 0; j <= r.Intn(2); j++ {
			st, _ := killchain.Parse(pick(r, pTactics))
			inc.Tactics = append(inc.Tactics, st)
		}
		if i%17 == 0 {
			inc.MergedInto = "inc-000"
		}
		d.incidents = append(d.incidents, inc)
	}
	return d
}

func (e *env) store_(d dataset) {
	e.t.Helper()
	var items []map[string]types.AttributeValue
	for i := range d.alerts {
		it, err := dynamostore.EncodeAlert(&d.alerts[i], 1, 0)
		if err != nil {
			e.t.Fatal(err)
		}
		items = append(items, it)
	}
	for _, inc := range d.incidents {
		it, err := dynamostore.EncodeIncident(dynamostore.IncidentRecord{Incident: inc, IsIncident: true, Version: 1})
		if err != nil {
			e.t.Fatal(err)
		}
		items = append(items, it)
	}
	e.batchPut(items)
}

// query is a generated list query: parameter values per filter.
type query map[string][]string

func has(accept []string, v string) bool { return len(accept) == 0 || slices.Contains(accept, v) }

func hasAny(accept []string, vs []string) bool {
	if len(accept) == 0 {
		return true
	}
	for _, v := range vs {
		if slices.Contains(accept, v) {
			return true
		}
	}
	return false
}

func stageStrings(st []killchain.Stage) []string {
	var out []string
	for _, s := range st {
		out = append(out, s.String())
	}
	return out
}

// window is the brute-force time window: since defaults to 90 days back.
func (q query) window() (time.Time, time.Time) {
	since, until := now.Add(-90*24*time.Hour), time.Time{}
	if v := q["since"]; len(v) > 0 {
		since, _ = time.Parse(time.RFC3339, v[0])
	}
	if v := q["until"]; len(v) > 0 {
		until, _ = time.Parse(time.RFC3339, v[0])
	}
	return since, until
}

func inWindow(t, since, until time.Time) bool {
	return !t.Before(since) && (until.IsZero() || !t.After(until))
}

// bruteAlerts filters every stored alert and incident as the API must.
func bruteAlerts(d dataset, q query) []string {
	since, until := q.window()
	kind := "alert"
	if k := q["kind"]; len(k) > 0 {
		kind = k[0]
	}
	var ids []string
	if kind != "incident" {
		for _, a := range d.alerts {
			if has(q["name"], a.Name) && has(q["type"], a.Type) && has(q["severity"], a.Severity.String()) &&
				has(q["status"], string(a.Status)) && has(q["provider"], a.Provider) && has(q["resource"], a.Resources[0].ID) &&
				hasAny(q["tactic"], stageStrings(a.Tactics)) && has(q["incident"], a.IncidentID) && inWindow(a.LastSeen, since, until) {
				ids = append(ids, a.ID)
			}
		}
	}
	if kind != "alert" && len(q["type"]) == 0 && len(q["incident"]) == 0 {
		ids = append(ids, bruteIncidents(d, q)...)
	}
	return ids
}

func bruteIncidents(d dataset, q query) []string {
	since, until := q.window()
	var ids []string
	for _, inc := range d.incidents {
		var res []string
		for _, r := range inc.Resources {
			res = append(res, r.ID)
		}
		if inc.MergedInto == "" && has(q["name"], inc.Title) && has(q["severity"], inc.Severity.String()) &&
			has(q["status"], string(inc.Status)) && hasAny(q["provider"], inc.Sources) && hasAny(q["resource"], res) &&
			hasAny(q["tactic"], stageStrings(inc.Tactics)) && has(q["owner"], inc.Owner) && hasAny(q["tag"], inc.Tags) &&
			inWindow(inc.LastActivity, since, until) {
			ids = append(ids, inc.ID)
		}
	}
	return ids
}

func genQuery(t *rapid.T, incidents bool) query {
	q := query{}
	opt := func(name string, pool []string) {
		if rapid.IntRange(0, 2).Draw(t, name+"?") == 0 {
			vals := rapid.SliceOfNDistinct(rapid.SampledFrom(pool), 1, 2, rapid.ID[string]).Draw(t, name)
			q[name] = vals
		}
	}
	statuses := pAStatus
	if incidents {
		statuses = pIStatus
	} else {
		opt("kind", []string{"alert", "incident", "all"})
		if len(q["kind"]) > 1 {
			q["kind"] = q["kind"][:1]
		}
		if len(q["kind"]) == 1 && q["kind"][0] != "alert" {
			statuses = append(append([]string{}, pIStatus...), "Resolved")
		}
		opt("name", append(append([]string{}, pNames...), pTitles...))
		opt("type", pTypes)
		opt("incident", pIncidents)
	}
	opt("severity", pSev)
	opt("status", statuses)
	opt("provider", pProviders)
	opt("resource", pResources)
	opt("tactic", pTactics)
	if incidents {
		opt("owner", pOwners)
		opt("tag", pTags)
	}
	times := []string{now.Add(-100 * 24 * time.Hour).Format(time.RFC3339), now.Add(-30 * 24 * time.Hour).Format(time.RFC3339),
		now.Add(-5 * 24 * time.Hour).Format(time.RFC3339)}
	opt("since", times[:2])
	if len(q["since"]) > 1 {
		q["since"] = q["since"][:1]
	}
	if rapid.Bool().Draw(t, "until?") {
		q["until"] = []string{rapid.SampledFrom(times[1:]).Draw(t, "until")}
	}
	if len(q["since"]) == 1 && len(q["until"]) == 1 && q["until"][0] < q["since"][0] {
		delete(q, "until")
	}
	return q
}

// fetchAll pages through a list with q and returns the ids, checking
// newest-first order across pages (lastSeen / lastActivity; firstSeen for
// one incident's alerts, which come from the incident index).
func (e *env) fetchAll(t *rapid.T, path string, q query, limit int) []string {
	mv := map[string][]string{"limit": {fmt.Sprint(limit)}}
	for k, v := range q {
		if k == "name" || k == "type" {
			mv[k] = v // repeated parameters
		} else {
			mv[k] = []string{strings.Join(v, ",")}
		}
	}
	var ids []string
	last := ""
	for pages := 0; pages < 1000; pages++ {
		req := call{method: http.MethodGet, path: path, token: readToken}
		resp := e.doMulti(req, mv)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %v: %d %s", path, mv, resp.StatusCode, resp.Body)
		}
		b := decode[listBody](e.t, resp)
		for _, it := range b.Items {
			ids = append(ids, it["id"].(string))
			ts, _ := it["lastSeen"].(string)
			if len(q["incident"]) == 1 {
				// One incident's alerts come from the incident index, by firstSeen.
				ts, _ = it["firstSeen"].(string)
			}
			if ts == "" {
				ts, _ = it["lastActivity"].(string)
			}
			tt, _ := time.Parse(time.RFC3339Nano, ts)
			key := tt.UTC().Format("2006-01-02T15:04:05.000000000Z")
			if last != "" && key > last {
				t.Fatalf("not newest first: %s after %s", key, last)
			}
			last = key
		}
		if b.Cursor == "" {
			return ids
		}
		mv["cursor"] = []string{b.Cursor}
	}
	t.Fatal("too many pages")
	return nil
}

func sameSet(t *rapid.T, got, want []string) {
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("got %d items, brute force %d\n got  %v\n want %v", len(got), len(want), got, want)
	}
}

func TestFilterCombinationsMatchBruteForce(t *testing.T) {
	if f := flag.Lookup("rapid.checks"); f != nil && f.Value.String() == "100" {
		_ = f.Value.Set("30")
	}
	e := newEnv(t)
	d := genDataset(rand.New(rand.NewSource(5)), 160, 50)
	e.store_(d)
	t.Run("alerts", func(t *testing.T) {
		rapid.Check(t, func(rt *rapid.T) {
			q := genQuery(rt, false)
			limit := rapid.IntRange(3, 60).Draw(rt, "limit")
			sameSet(rt, e.fetchAll(rt, "/alerts", q, limit), bruteAlerts(d, q))
		})
	})
	t.Run("incidents", func(t *testing.T) {
		rapid.Check(t, func(rt *rapid.T) {
			q := genQuery(rt, true)
			limit := rapid.IntRange(3, 60).Draw(rt, "limit")
			sameSet(rt, e.fetchAll(rt, "/incidents", q, limit), bruteIncidents(d, q))
		})
	})
}
