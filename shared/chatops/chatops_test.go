package chatops

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/incidentevent"
	"github.com/muster-sec/muster/shared/playbook"
	"github.com/muster-sec/muster/shared/slack"
)

func TestParseRequest(t *testing.T) {
	tests := []struct {
		text    string
		want    Request
		wantErr string
	}{
		{"", Request{Verb: VerbHelp}, ""},
		{"HELP", Request{Verb: VerbHelp}, ""},
		{"list severity=High status=Active", Request{Verb: VerbList}, ""},
		{"list severity", Request{}, "key=value"},
		{"show inc-1", Request{Verb: VerbShow, ID: "inc-1"}, ""},
		{"show", Request{}, "needs an incident id"},
		{"show inc-1 extra", Request{}, "only an incident id"},
		{"assign inc-1 me", Request{Verb: VerbAssign, ID: "inc-1", Owner: "me"}, ""},
		{"assign inc-1", Request{}, "assign <id>"},
		{"resolve inc-1 fp noisy scanner", Request{Verb: VerbResolve, ID: "inc-1", Class: "fp", Text: "noisy scanner"}, ""},
		{"dismiss inc-1 lab", Request{Verb: VerbDismiss, ID: "inc-1", Text: "lab"}, ""},
		{"respond inc-1 notify-oncall urgency=high", Request{Verb: VerbRespond, ID: "inc-1", Playbook: "notify-oncall"}, ""},
		{"respond inc-1 notify-oncall urgency", Request{}, "key=value"},
		{"reboot inc-1", Request{}, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := ParseRequest(tt.text)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got.Verb != tt.want.Verb || got.ID != tt.want.ID || got.Owner != tt.want.Owner ||
				got.Class != tt.want.Class || got.Text != tt.want.Text || got.Playbook != tt.want.Playbook {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestUsers(t *testing.T) {
	u, err := ParseUsers([]byte(`{"U1": {"name": "alice", "scopes": ["read", "write"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if p := u.Principal("U1"); p.Name != "alice" || !p.Allows("write") {
		t.Errorf("mapped user: %+v", p)
	}
	if p := u.Principal("U2"); p.Allows("read") {
		t.Errorf("unmapped user may read: %+v", p)
	}
	bad := []struct{ json, want string }{
		{`[`, "not JSON"},
		{`{"U1": {"scopes": ["read"]}}`, "users[U1].name"},
		{`{"U1": {"name": "a", "scopes": ["ingest:*"]}}`, "users[U1].scopes"},
		{`{"U1": {"name": "a", "scopes": ["*"]}}`, "users[U1].scopes"},
	}
	for _, b := range bad {
		if _, err := ParseUsers([]byte(b.json)); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("ParseUsers(%s) = %v, want %q", b.json, err, b.want)
		}
	}
}

func TestOwnerName(t *testing.T) {
	users := Users{"U1": {Name: "alice"}}
	tests := []struct{ arg, want string }{
		{"me", "carol"}, {"ME", "carol"}, {"<@U1>", "alice"}, {"<@U1|ali>", "alice"},
		{"<@U9|dave>", "dave"}, {"<@U9>", "U9"}, {"@erin", "erin"}, {"frank", "frank"},
	}
	for _, tt := range tests {
		if got := ownerName(tt.arg, "carol", users); got != tt.want {
			t.Errorf("ownerName(%q) = %q, want %q", tt.arg, got, tt.want)
		}
	}
}

// TestCardWithinLimits: a card for an incident with a very long title and
// many resources stays within Block Kit's limits, and a list of the most
// incidents it shows does too.
func TestCardWithinLimits(t *testing.T) {
	inc := incident.Incident{ID: "inc-1", Title: strings.Repeat("Long title ", 100), Severity: alert.Critical,
		Status: incident.StatusActive, Sources: []string{strings.Repeat("s", 4000)}}
	for i := range 500 {
		inc.Resources = append(inc.Resources, alert.Resource{ID: strings.Repeat("r", 200) + string(rune('a'+i%26))})
	}
	card := Card(inc, "https://muster.example/#/incidents/inc-1", playbook.DefaultPlaybooks())
	if err := slack.Check(card, slack.MaxBlocks); err != nil {
		t.Errorf("card: %v", err)
	}
	var many []incident.Incident
	for range maxListed {
		many = append(many, inc)
	}
	if err := slack.Check(List(many, true, "https://muster.example/"), slack.MaxBlocks); err != nil {
		t.Errorf("list: %v", err)
	}
	block := card[len(card)-1].BlockID
	if id, v, ok := parseCardBlockID(block); !ok || id != "inc-1" || v != 0 {
		t.Errorf("parseCardBlockID(%q) = %q %d %v", block, id, v, ok)
	}
}

func TestPrefill(t *testing.T) {
	pbs := playbook.DefaultPlaybooks()
	inc := incident.Incident{
		Resources: []alert.Resource{{ID: "arn:aws:s3:::bucket"}, {ID: "i-0a1b2c3d4e5f60718"}},
		Entities:  []alert.Entity{{Type: alert.EntityIP, Value: "203.0.113.5"}, {Type: alert.EntityAccessKey, Value: "AKIAABCDEFGHIJKLMNOP"}},
	}
	got := map[string]map[string]string{}
	for _, pb := range pbs {
		got[pb.Name] = Prefill(pb, inc)
	}
	if got[playbook.IsolateInstance]["instanceId"] != "i-0a1b2c3d4e5f60718" {
		t.Errorf("isolate-instance: %v", got[playbook.IsolateInstance])
	}
	if got[playbook.DisableAccessKey]["accessKeyId"] != "AKIAABCDEFGHIJKLMNOP" || got[playbook.DisableAccessKey]["userName"] != "" {
		t.Errorf("disable-access-key: %v", got[playbook.DisableAccessKey])
	}
	if len(got[playbook.NotifyOncall]) != 0 {
		t.Errorf("notify-oncall: %v", got[playbook.NotifyOncall])
	}
}

// TestWithin: an answer ready within the budget is returned; a slower one
// returns the early answer at once and reaches later when ready.
func TestWithin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fast := Within(t.Context(), time.Second, func(context.Context) string { return "fast" }, "early",
			func(context.Context, string) { t.Error("later called for a fast answer") })
		if fast != "fast" {
			t.Errorf("fast answer = %q", fast)
		}
		late := make(chan string, 1)
		got := Within(t.Context(), time.Second, func(ctx context.Context) string {
			time.Sleep(5 * time.Second)
			return "slow"
		}, "early", func(ctx context.Context, v string) {
			if ctx.Err() != nil {
				t.Errorf("later's context is done: %v", ctx.Err())
			}
			late <- v
		})
		if got != "early" {
			t.Errorf("slow answer returned %q, want early", got)
		}
		if v := <-late; v != "slow" {
			t.Errorf("later got %q", v)
		}
	})
}

// TestCardEscapesAlertData: text that comes from alerts cannot mention
// @channel or make links in a card.
func TestCardEscapesAlertData(t *testing.T) {
	inc := incident.Incident{ID: "inc-1", Title: "<!channel> click <https://evil.example|here>", Status: incident.StatusActive,
		Resources: []alert.Resource{{ID: "i-1", Name: "<!everyone>"}}, Sources: []string{"<@U123>"}}
	for _, blocks := range [][]slack.Block{Card(inc, "https://muster.example/", nil), List([]incident.Incident{inc}, false, "https://muster.example/")} {
		for _, b := range blocks {
			if b.Type == "header" {
				continue // plain_text: Slack does not read markup there
			}
			texts := append([]*slack.Text{b.Text}, b.Fields...)
			for _, e := range b.Elements {
				texts = append(texts, e.Text)
			}
			var doc string
			for _, tx := range texts {
				if tx != nil {
					doc += tx.Text + "\n"
				}
			}
			for _, bad := range []string{"<!channel>", "<!everyone>", "<@U123>", "<https://evil.example"} {
				if strings.Contains(doc, bad) {
					t.Errorf("%s block carries %q: %s", b.Type, bad, doc)
				}
			}
		}
	}
}

// memCards is an in-memory Cards.
type memCards map[string]CardRef

func (m memCards) Card(_ context.Context, id string) (CardRef, error) {
	if r, ok := m[id]; ok {
		return r, nil
	}
	return CardRef{}, ErrNoCard
}

func (m memCards) ClaimCard(_ context.Context, id string, r CardRef, stale time.Time) error {
	old, ok := m[id]
	switch {
	case !ok && stale.IsZero(), ok && old.TS == "" && old.Claimed.Equal(stale):
		m[id] = r
		return nil
	}
	return ErrCardExists
}

func (m memCards) UpdateCard(_ context.Context, id string, r CardRef) error {
	r.Claimed = m[id].Claimed
	m[id] = r
	return nil
}

// poster records posts and updates; fail makes every call fail.
type poster struct {
	calls    []string
	fail     bool
	deadline time.Time // of the last post's context
}

func (p *poster) PostMessage(ctx context.Context, m slack.Message) (string, error) {
	p.calls = append(p.calls, "post")
	p.deadline, _ = ctx.Deadline()
	if p.fail {
		return "", slack.ErrAPI
	}
	return "111.222", nil
}

func (p *poster) Update(_ context.Context, m slack.Message) error {
	p.calls = append(p.calls, "update "+m.TS)
	if p.fail {
		return slack.ErrAPI
	}
	return nil
}

// TestNotifierDecides: which events post a card, which update one, and
// which are retried.
func TestNotifierDecides(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	detail := func(sev string, version int64, raised bool) incidentevent.Detail {
		return incidentevent.Detail{Incident: incidentevent.Summary{ID: "inc-1", Title: "T", Severity: sev, Status: "Active", Version: version},
			Change: incidentevent.Change{SeverityRaised: raised}}
	}
	tests := []struct {
		name       string
		cards      memCards
		detailType string
		d          incidentevent.Detail
		fail       bool
		wantCalls  string
		wantErr    bool
		wantTS     string
	}{
		{"created posts", memCards{}, incidentevent.DetailTypeCreated, detail("Low", 1, true), false, "post", false, "111.222"},
		{"escalated to high posts", memCards{}, incidentevent.DetailTypeUpdated, detail("High", 2, true), false, "post", false, "111.222"},
		{"raised to medium does not", memCards{}, incidentevent.DetailTypeUpdated, detail("Medium", 2, true), false, "", false, ""},
		{"other update does not", memCards{}, incidentevent.DetailTypeUpdated, detail("Critical", 2, false), false, "", false, ""},
		{"status change posts", memCards{}, incidentevent.DetailTypeStatusChanged, detail("Low", 2, false), false, "post", false, "111.222"},
		{"any update updates a card", memCards{"inc-1": {Channel: "C1", TS: "9.9", Version: 1}}, incidentevent.DetailTypeUpdated, detail("Low", 2, false), false, "update 9.9", false, "9.9"},
		{"older event skipped", memCards{"inc-1": {Channel: "C1", TS: "9.9", Version: 3}}, incidentevent.DetailTypeUpdated, detail("Low", 2, false), false, "", false, "9.9"},
		{"card being posted: retry", memCards{"inc-1": {Channel: "C1", Version: 1, Claimed: now.Add(-ClaimLease + time.Second)}}, incidentevent.DetailTypeUpdated, detail("Low", 2, false), false, "", true, ""},
		{"post fails: retry, card pending", memCards{}, incidentevent.DetailTypeCreated, detail("High", 1, true), true, "post", true, ""},
		{"claim older than the lease: post in its place", memCards{"inc-1": {Channel: "C1", Version: 1, Claimed: now.Add(-ClaimLease)}}, incidentevent.DetailTypeUpdated, detail("Low", 2, false), false, "post", false, "111.222"},
		{"claim with no time: post in its place", memCards{"inc-1": {Channel: "C1", Version: 1}}, incidentevent.DetailTypeUpdated, detail("Low", 2, false), false, "post", false, "111.222"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &poster{fail: tt.fail}
			n := &Notifier{Channel: "C1", Cards: tt.cards, Slack: p, Now: func() time.Time { return now }}
			err := n.Notify(context.Background(), tt.detailType, tt.d)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got := strings.Join(p.calls, ","); got != tt.wantCalls {
				t.Errorf("calls %q, want %q", got, tt.wantCalls)
			}
			if got := tt.cards["inc-1"].TS; got != tt.wantTS {
				t.Errorf("card ts %q, want %q", got, tt.wantTS)
			}
			// A post gives up well inside the claim's lease, so no one
			// takes the claim over from a post still under way.
			if strings.Contains(tt.wantCalls, "post") && (p.deadline.IsZero() || time.Until(p.deadline) > ClaimLease-10*time.Second) {
				t.Errorf("post's deadline %v, want one within %s", p.deadline, ClaimLease-10*time.Second)
			}
		})
	}
}
