package correlate_test

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
)

const (
	W  = 24 * time.Hour
	RW = correlate.DefaultResourceWindow
)

var (
	pre  = []killchain.Stage{killchain.PreAttack}
	ia   = []killchain.Stage{killchain.InitialAccess}
	exe  = []killchain.Stage{killchain.Execution}
	cred = []killchain.Stage{killchain.CredentialAccess}
	exf  = []killchain.Stage{killchain.Exfiltration}
)

// step is one stage of a rule test: alerts to deliver, then an optional
// action standing for what a person does between deliveries.
type step struct {
	alerts []spec
	then   func(t *testing.T, mem *correlate.Memory)
}

// setStatus changes the status of the live group holding src, as an
// analyst would through the API.
func setStatus(src string, st incident.Status) func(*testing.T, *correlate.Memory) {
	return func(t *testing.T, mem *correlate.Memory) {
		t.Helper()
		g := *groupOf(t, mem, src)
		g.Incident.Status = st
		g.Version++
		mem.PutGroup(&g)
	}
}

const (
	role = "arn:aws:iam::111122223333:role/app"
	ci   = "arn:aws:iam::111122223333:role/ci-deploy"
)

func account(v string) alert.Entity { return alert.Entity{Type: alert.EntityAccount, Value: v} }

// wantGroups checks the live groups between two steps (see partition).
func wantGroups(want ...string) func(*testing.T, *correlate.Memory) {
	return func(t *testing.T, mem *correlate.Memory) {
		t.Helper()
		names := map[string]string{}
		for _, g := range want {
			for _, src := range strings.Fields(g) {
				names[idOf(src)] = src
			}
		}
		if got := partition(mem, names); !reflect.DeepEqual(got, want) {
			t.Fatalf("groups before the next step = %q, want %q", got, want)
		}
	}
}

func TestRules(t *testing.T) {
	cases := []struct {
		name  string
		cfg   func(*correlate.Config)
		steps []step
		// want lists the live groups as "members [*]" (see partition).
		want  []string
		check func(t *testing.T, mem *correlate.Memory)
	}{
		{
			name: "exactly W apart links through an actor",
			steps: []step{{alerts: []spec{
				{src: "a", at: 0, stages: ia, res: []string{"i-0aaaaaaaaaaaaaaa1"}, ents: []alert.Entity{ip("203.0.113.66")}},
				{src: "b", at: W, stages: exe, res: []string{"i-0aaaaaaaaaaaaaaa2"}, ents: []alert.Entity{ip("203.0.113.66")}},
			}}},
			want: []string{"a b *"},
		},
		{
			name: "W plus one second does not link",
			steps: []step{{alerts: []spec{
				{src: "a", at: 0, stages: pre, res: []string{"i-0aaaaaaaaaaaaaaa1"}, ents: []alert.Entity{ip("203.0.113.66")}},
				{src: "b", at: W + time.Second, stages: ia, res: []string{"i-0aaaaaaaaaaaaaaa1"}, ents: []alert.Entity{ip("203.0.113.66")}},
			}}},
			want: []string{"a", "b"},
		},
		{
			name: "exactly the resource window apart links through the resource",
			steps: []step{{alerts: []spec{
				{src: "a", at: 0, stages: ia, res: []string{"i-0aaaaaaaaaaaaaaa1"}},
				{src: "b", at: RW, stages: exe, res: []string{"i-0aaaaaaaaaaaaaaa1"}},
			}}},
			want: []string{"a b *"},
		},
		{
			name: "the resource window plus one second does not link through the resource or host alone",
			steps: []step{{alerts: []spec{
				{src: "a", at: 0, stages: ia, res: []string{"i-0aaaaaaaaaaaaaaa1"}, ents: []alert.Entity{host("web-1")}},
				{src: "b", at: RW + time.Second, stages: exe, res: []string{"i-0aaaaaaaaaaaaaaa1"}, ents: []alert.Entity{host("web-1")}},
			}}},
			want: []string{"a", "b"},
		},
		{
			name: "beyond the resource window a shared actor still links",
			steps: []step{{alerts: []spec{
				{src: "a", at: 0, stages: ia, res: []string{"i-0aaaaaaaaaaaaaaa1"}, ents: []alert.Entity{ip("203.0.113.66")}},
				{src: "b", at: 20 * time.Hour, stages: exe, res: []string{"i-0aaaaaaaaaaaaaaa1"}, ents: []alert.Entity{ip("203.0.113.66")}},
			}}},
			want: []string{"a b *"},
		},
		{
			name: "a bridge within the resource window chains a slow attack",
			steps: []step{{alerts: []spec{
				{src: "a", at: 0, stages: ia, res: []string{"r1"}},
				{src: "b", at: RW - time.Hour, stages: exe, res: []string{"r1"}},
				{src: "c", at: 2*RW - 2*time.Hour, stages: exf, res: []string{"r1"}},
			}}},
			want: []string{"a b c *"},
		},
		{
			name: "a detection repeating on a resource the next day links through no resource or host",
			steps: []step{{alerts: []spec{
				{src: "a", at: 2 * time.Hour, typ: "shell", stages: exe, res: []string{"r1"}, ents: []alert.Entity{host("web-1")}},
				{src: "c", at: W + time.Hour, stages: ia, res: []string{"r1"}},
				{src: "b", at: W + 2*time.Hour, typ: "shell", stages: exe, res: []string{"r1"}, ents: []alert.Entity{host("web-1")}},
			}}},
			want: []string{"a", "b", "c"},
		},
		{
			name: "a routine detection still links through an actor",
			steps: []step{{alerts: []spec{
				{src: "a", at: 2 * time.Hour, typ: "shell", stages: exe, res: []string{"r1"}},
				{src: "c", at: W + time.Hour, stages: ia, res: []string{"r1"}, ents: []alert.Entity{ip("203.0.113.66")}},
				{src: "b", at: W + 2*time.Hour, typ: "shell", stages: exe, res: []string{"r1"}, ents: []alert.Entity{ip("203.0.113.66")}},
			}}},
			want: []string{"a", "b c *"},
		},
		{
			name: "the same detection again within 16 hours is one attack repeating a step",
			steps: []step{{alerts: []spec{
				{src: "a", at: 12 * time.Hour, typ: "shell", stages: exe, res: []string{"r1"}},
				{src: "c", at: 17 * time.Hour, stages: ia, res: []string{"r1"}},
				{src: "d", at: 22 * time.Hour, stages: cred, res: []string{"r1"}},
				{src: "b", at: 12*time.Hour + 15*time.Hour + 59*time.Minute, typ: "shell", stages: exe, res: []string{"r1"}},
			}}},
			want: []string{"a b c d *"},
		},
		{
			name: "a repeat two days later is not routine",
			steps: []step{{alerts: []spec{
				{src: "a", at: 2 * time.Hour, typ: "shell", stages: exe, res: []string{"r1"}},
				{src: "c", at: 2*W + time.Hour, stages: ia, res: []string{"r1"}},
				{src: "b", at: 2*W + 2*time.Hour, typ: "shell", stages: exe, res: []string{"r1"}},
			}}},
			want: []string{"a", "b c *"},
		},
		{
			name: "the same detection on another resource is no repeat",
			steps: []step{{alerts: []spec{
				{src: "a", at: 2 * time.Hour, typ: "shell", stages: exe, res: []string{"r2"}},
				{src: "c", at: W + time.Hour, stages: ia, res: []string{"r1"}},
				{src: "b", at: W + 2*time.Hour, typ: "shell", stages: exe, res: []string{"r1"}},
			}}},
			want: []string{"a", "b c *"},
		},
		{
			name: "a repeat seen later takes the routine detection out of the incident it joined",
			steps: []step{
				{alerts: []spec{
					{src: "c", at: W + time.Hour, stages: ia, res: []string{"r1"}},
					{src: "b", at: W + 2*time.Hour, typ: "shell", stages: exe, res: []string{"r1"}},
				}, then: wantGroups("b c *")},
				{alerts: []spec{{src: "a", at: 2 * time.Hour, typ: "shell", stages: exe, res: []string{"r1"}}}},
			},
			want: []string{"a", "b", "c"},
		},
		{
			name: "a role named as the principal of a finding about itself is a place, not an actor",
			steps: []step{{alerts: []spec{
				{src: "a", at: 0, stages: ia, res: []string{role}, ents: []alert.Entity{account(role)}},
				{src: "b", at: RW + time.Hour, stages: exe, res: []string{role}, ents: []alert.Entity{account(role)}},
			}}},
			want: []string{"a", "b"},
		},
		{
			name: "a role acting on another resource is an actor",
			steps: []step{{alerts: []spec{
				{src: "a", at: 0, stages: ia, res: []string{"r1"}, ents: []alert.Entity{account(role)}},
				{src: "b", at: RW + time.Hour, stages: exe, res: []string{"r2"}, ents: []alert.Entity{account(role)}},
			}}},
			want: []string{"a b *"},
		},
		{
			name: "a finding about a role whose other actors are noisy is mass activity",
			cfg:  func(c *correlate.Config) { c.NoisyKeyResources = 2 },
			steps: []step{{alerts: []spec{
				{src: "a", at: 0, stages: ia, res: []string{role}, ents: []alert.Entity{account(role)}},
				{src: "ci1", at: time.Hour, stages: exe, res: []string{role}, ents: []alert.Entity{account(role), account(ci)}},
				{src: "ci2", at: time.Hour, stages: exe, res: []string{"arn:aws:iam::111122223333:role/b"}, ents: []alert.Entity{account(ci)}},
				{src: "ci3", at: time.Hour, stages: exe, res: []string{"arn:aws:iam::111122223333:role/c"}, ents: []alert.Entity{account(ci)}},
			}}},
			want: []string{"a", "ci1", "ci2", "ci3"},
		},
		{
			name: "a longer resource window links what the default does not",
			cfg:  func(c *correlate.Config) { c.ResourceWindow = W },
			steps: []step{{alerts: []spec{
				{src: "a", at: 0, stages: ia, res: []string{"r1"}},
				{src: "b", at: 20 * time.Hour, stages: exe, res: []string{"r1"}},
			}}},
			want: []string{"a b *"},
		},
		{
			name: "same instance spelled as id and ARN links",
			steps: []step{{alerts: []spec{
				{src: "a", stages: ia, res: []string{"i-0aaaaaaaaaaaaaaa1"}},
				{src: "b", at: time.Hour, stages: exe, res: []string{"arn:aws:ec2:eu-west-1:111122223333:instance/i-0aaaaaaaaaaaaaaa1"}},
			}}},
			want: []string{"a b *"},
		},
		{
			name: "private IPs never link",
			steps: []step{{alerts: []spec{
				{src: "a", stages: pre, res: []string{"r1"}, ents: []alert.Entity{ip("10.0.0.5")}},
				{src: "b", at: time.Hour, stages: ia, res: []string{"r2"}, ents: []alert.Entity{ip("10.0.0.5")}},
				{src: "c", at: time.Hour, stages: ia, res: []string{"r3"}, ents: []alert.Entity{ip("127.0.0.1"), ip("169.254.169.254")}},
				{src: "d", at: 2 * time.Hour, stages: exe, res: []string{"r4"}, ents: []alert.Entity{ip("127.0.0.1"), ip("169.254.169.254")}},
			}}},
			want: []string{"a", "b", "c", "d"},
		},
		{
			name: "public IP links different resources",
			steps: []step{{alerts: []spec{
				{src: "a", stages: ia, res: []string{"r1"}, ents: []alert.Entity{ip("203.0.113.66")}},
				{src: "b", at: time.Hour, stages: exe, res: []string{"r2"}, ents: []alert.Entity{ip("203.0.113.66")}},
			}}},
			want: []string{"a b *"},
			check: func(t *testing.T, mem *correlate.Memory) {
				g := groupOf(t, mem, "b")
				m, _ := g.Member(idOf("b"))
				want := "Linked to Alert a (" + idOf("a") + ") through shared public IP 203.0.113.66"
				if m.Reason != want || m.Key != "ip:203.0.113.66" || m.LinkedTo != idOf("a") || m.Stage != killchain.Execution {
					t.Errorf("membership = %+v\nwant reason %q", m.Membership, want)
				}
				first, _ := g.Member(idOf("a"))
				if first.Reason != "Started the incident" || first.Key != "" {
					t.Errorf("first membership = %+v", first.Membership)
				}
				if g.Incident.Title != "Security incident detected on multiple resources" || !g.Incident.MultiResource {
					t.Errorf("title = %q multi=%v", g.Incident.Title, g.Incident.MultiResource)
				}
			},
		},
		{
			name: "host short name matches FQDN",
			steps: []step{{alerts: []spec{
				{src: "a", stages: ia, res: []string{"ip-10-0-1-25.ec2.internal"}, resType: "host"},
				{src: "b", at: time.Hour, stages: exe, res: []string{"container-1"}, ents: []alert.Entity{host("IP-10-0-1-25")}},
			}}},
			want: []string{"a b *"},
			check: func(t *testing.T, mem *correlate.Memory) {
				m, _ := groupOf(t, mem, "b").Member(idOf("b"))
				if m.Key != "host:ip-10-0-1-25" || !strings.Contains(m.Reason, "through shared host ip-10-0-1-25") {
					t.Errorf("membership = %+v", m.Membership)
				}
			},
		},
		{
			name: "noisy key stops linking once it links more than N resources",
			cfg:  func(c *correlate.Config) { c.NoisyKeyResources = 3 },
			steps: []step{{alerts: []spec{
				{src: "s1", at: 0, stages: pre, res: []string{"r1"}, ents: []alert.Entity{ip("198.51.100.9")}},
				{src: "s2", at: time.Minute, stages: pre, res: []string{"r2"}, ents: []alert.Entity{ip("198.51.100.9")}},
				{src: "s3", at: 2 * time.Minute, stages: pre, res: []string{"r3"}, ents: []alert.Entity{ip("198.51.100.9")}},
				{src: "s4", at: 3 * time.Minute, stages: pre, res: []string{"r4"}, ents: []alert.Entity{ip("198.51.100.9")}},
				{src: "s5", at: 4 * time.Minute, stages: ia, res: []string{"r1"}, ents: []alert.Entity{ip("198.51.100.9")}},
				{src: "s6", at: 5 * time.Minute, stages: exe, res: []string{"r5"}, ents: []alert.Entity{ip("198.51.100.9")}},
				{src: "t1", at: 6 * time.Minute, stages: ia, res: []string{"r1"}},
				{src: "t2", at: 7 * time.Minute, stages: exe, res: []string{"r1"}},
			}}},
			// s4 takes the address to four resources that day: it turns
			// noisy and the links it made (s1–s3) are undone, whatever the
			// order. Every alert whose only actor is the noisy address is
			// mass activity and links nothing, not even through its
			// resource; t1 and t2 on r1 still link to each other.
			want: []string{"s1", "s2", "s3", "s4", "s5", "s6", "t1 t2 *"},
			check: func(t *testing.T, mem *correlate.Memory) {
				var noisy []string
				for _, kd := range mem.KeyDays() {
					if kd.Noisy {
						noisy = append(noisy, string(kd.Key))
						// s4 took the key to four resources, over the limit of 3.
						if kd.NoisyResources != 4 || !reflect.DeepEqual(kd.NoisySample, []string{"r1", "r2", "r3", "r4"}) {
							t.Errorf("noisy key-day records %d resources %v, want 4 [r1 r2 r3 r4]", kd.NoisyResources, kd.NoisySample)
						}
					}
				}
				if !reflect.DeepEqual(noisy, []string{"ip:198.51.100.9"}) {
					t.Errorf("noisy key-days = %v", noisy)
				}
			},
		},
		{
			name: "bridging alert merges two groups; the older keeps its id",
			steps: []step{
				{alerts: []spec{
					{src: "a1", at: 0, stages: pre, res: []string{"r1"}},
					{src: "a2", at: time.Hour, stages: ia, res: []string{"r1"}},
					{src: "b1", at: 2 * time.Hour, stages: exe, res: []string{"r2"}},
				}},
				{alerts: []spec{{src: "x", at: 3 * time.Hour, stages: cred, res: []string{"r1", "r2"}}}},
			},
			want: []string{"a1 a2 b1 x *"},
			check: func(t *testing.T, mem *correlate.Memory) {
				g := groupOf(t, mem, "x")
				if g.ID() != correlate.GroupIDFor(idOf("a1")) {
					t.Errorf("survivor id = %s, want the older group's", g.ID())
				}
				old, err := mem.Group(correlate.GroupIDFor(idOf("b1")))
				if err != nil {
					t.Fatal(err)
				}
				if old.Incident.MergedInto != g.ID() {
					t.Errorf("mergedInto = %q, want %q", old.Incident.MergedInto, g.ID())
				}
				m, _ := g.Member(idOf("x"))
				if !strings.Contains(m.Reason, "bridged incident "+old.ID()) {
					t.Errorf("reason = %q", m.Reason)
				}
			},
		},
		{
			name: "resolved incident reopens for a linked alert within W",
			steps: []step{
				{alerts: []spec{
					{src: "a", at: 0, stages: ia, res: []string{"r1"}},
					{src: "b", at: time.Hour, stages: exe, res: []string{"r1"}},
				}, then: setStatus("a", incident.StatusResolved)},
				{alerts: []spec{{src: "c", at: 6 * time.Hour, stages: exf, res: []string{"r1"}}}},
			},
			want: []string{"a b c *"},
			check: func(t *testing.T, mem *correlate.Memory) {
				g := groupOf(t, mem, "c")
				if g.Incident.Status != incident.StatusActive {
					t.Errorf("status = %s, want Active", g.Incident.Status)
				}
			},
		},
		{
			name: "resolved incident does not reopen when disabled",
			cfg:  func(c *correlate.Config) { c.ReopenResolved = false },
			steps: []step{
				{alerts: []spec{
					{src: "a", at: 0, stages: ia, res: []string{"r1"}},
					{src: "b", at: time.Hour, stages: exe, res: []string{"r1"}},
				}, then: setStatus("a", incident.StatusResolved)},
				{alerts: []spec{{src: "c", at: 20 * time.Hour, stages: exf, res: []string{"r1"}}}},
			},
			want: []string{"a b *", "c"},
		},
		{
			name: "dismissed incident never reopens; new alerts start afresh",
			steps: []step{
				{alerts: []spec{
					{src: "a", at: 0, stages: ia, res: []string{"r1"}},
					{src: "b", at: time.Hour, stages: exe, res: []string{"r1"}},
				}, then: setStatus("a", incident.StatusDismissed)},
				{alerts: []spec{
					{src: "c", at: 2 * time.Hour, stages: exe, res: []string{"r1"}},
					{src: "d", at: 3 * time.Hour, stages: exf, res: []string{"r1"}},
				}},
			},
			want: []string{"a b *", "c d *"},
			check: func(t *testing.T, mem *correlate.Memory) {
				if st := groupOf(t, mem, "a").Incident.Status; st != incident.StatusDismissed {
					t.Errorf("dismissed incident status = %s", st)
				}
			},
		},
		{
			name: "cap opens a linked continuation",
			cfg:  func(c *correlate.Config) { c.MaxAlertsPerIncident = 3 },
			steps: []step{{alerts: []spec{
				{src: "a", at: 0, stages: pre, res: []string{"r1"}},
				{src: "b", at: time.Minute, stages: ia, res: []string{"r1"}},
				{src: "c", at: 2 * time.Minute, stages: exe, res: []string{"r1"}},
				{src: "d", at: 3 * time.Minute, stages: exe, res: []string{"r1"}},
				{src: "e", at: 4 * time.Minute, stages: exf, res: []string{"r1"}},
			}}},
			want: []string{"a b c *", "d e *"},
			check: func(t *testing.T, mem *correlate.Memory) {
				p, c := groupOf(t, mem, "a"), groupOf(t, mem, "d")
				if p.Incident.ContinuedIn != c.ID() || c.Incident.ContinuationOf != p.ID() {
					t.Errorf("continuation links: parent.continuedIn=%q child.continuationOf=%q", p.Incident.ContinuedIn, c.Incident.ContinuationOf)
				}
				if !strings.HasPrefix(c.Incident.Description, "Continues incident "+p.ID()) {
					t.Errorf("description = %q", c.Incident.Description)
				}
			},
		},
		{
			name: "an alert its source calls an incident is one at once",
			steps: []step{{alerts: []spec{
				{src: "seq", stages: exf, res: []string{"r1"}, incident: true, provider: alert.ProviderGuardDuty},
			}}},
			want: []string{"seq *"},
		},
		{
			name: "one stage is not an incident",
			steps: []step{{alerts: []spec{
				{src: "a", stages: pre, res: []string{"r1"}},
				{src: "b", at: time.Hour, stages: pre, res: []string{"r1"}},
			}}},
			want: []string{"a b"},
		},
		{
			name: "min stages is configurable",
			cfg:  func(c *correlate.Config) { c.MinStages = 3 },
			steps: []step{{alerts: []spec{
				{src: "a", stages: pre, res: []string{"r1"}},
				{src: "b", at: time.Hour, stages: ia, res: []string{"r1"}},
			}}},
			want: []string{"a b"},
		},
		{
			name: "suppressed alerts never correlate",
			steps: []step{{alerts: []spec{
				{src: "a", stages: pre, res: []string{"r1"}},
				{src: "b", at: time.Hour, stages: ia, res: []string{"r1"}, supp: "rule-1"},
			}}},
			want: []string{"a"},
		},
		{
			name: "severity is the highest, raised one level at three stages",
			steps: []step{{alerts: []spec{
				{src: "a", stages: pre, res: []string{"r1=web-prod-1"}, sev: alert.Low},
				{src: "b", at: time.Hour, stages: ia, res: []string{"r1"}, sev: alert.High},
				{src: "c", at: 2 * time.Hour, stages: exf, res: []string{"r1"}, sev: alert.Medium},
			}}},
			want: []string{"a b c *"},
			check: func(t *testing.T, mem *correlate.Memory) {
				g := groupOf(t, mem, "a")
				if g.Incident.Severity != alert.Critical {
					t.Errorf("severity = %s, want Critical", g.Incident.Severity)
				}
				if g.Incident.Title != "Security incident detected on web-prod-1" {
					t.Errorf("title = %q", g.Incident.Title)
				}
				want := []killchain.Stage{killchain.PreAttack, killchain.InitialAccess, killchain.Exfiltration}
				if !reflect.DeepEqual(g.Incident.Tactics, want) {
					t.Errorf("tactics = %v", g.Incident.Tactics)
				}
				if !strings.HasPrefix(g.Incident.Description, "Attack on web-prod-1 progressed from Pre-attack through Initial access to Exfiltration, seen by a generic source.") {
					t.Errorf("description = %q", g.Incident.Description)
				}
			},
		},
		{
			name: "two stages keep the highest severity",
			steps: []step{{alerts: []spec{
				{src: "a", stages: ia, res: []string{"r1"}, sev: alert.Low},
				{src: "b", at: time.Hour, stages: exe, res: []string{"r1"}, sev: alert.High},
			}}},
			want: []string{"a b *"},
			check: func(t *testing.T, mem *correlate.Memory) {
				if s := groupOf(t, mem, "a").Incident.Severity; s != alert.High {
					t.Errorf("severity = %s, want High", s)
				}
			},
		},
		{
			name: "a person's severity is kept",
			steps: []step{
				{alerts: []spec{
					{src: "a", stages: pre, res: []string{"r1"}, sev: alert.Low},
					{src: "b", at: time.Hour, stages: ia, res: []string{"r1"}, sev: alert.Medium},
				}, then: func(t *testing.T, mem *correlate.Memory) {
					g := *groupOf(t, mem, "a")
					g.Incident.Severity, g.Incident.SeveritySetBy = alert.Low, "alice"
					g.Incident.Owner = "alice"
					g.Version++
					mem.PutGroup(&g)
				}},
				{alerts: []spec{{src: "c", at: 2 * time.Hour, stages: exf, res: []string{"r1"}, sev: alert.Critical}}},
			},
			want: []string{"a b c *"},
			check: func(t *testing.T, mem *correlate.Memory) {
				g := groupOf(t, mem, "a")
				if g.Incident.Severity != alert.Low || g.Incident.Owner != "alice" {
					t.Errorf("severity = %s owner = %q, want the person's Low and alice", g.Incident.Severity, g.Incident.Owner)
				}
			},
		},
	}
	for _, tc := range cases {
		for _, mode := range []string{"one batch per step", "one alert per batch"} {
			t.Run(tc.name+"/"+mode, func(t *testing.T) {
				cfg := correlate.DefaultConfig()
				if tc.cfg != nil {
					tc.cfg(&cfg)
				}
				e := mustEngine(t, cfg)
				mem := correlate.NewMemory()
				names := map[string]string{}
				for _, st := range tc.steps {
					var batches [][]alert.Alert
					if mode == "one batch per step" {
						batches = [][]alert.Alert{one(st.alerts...)}
					} else {
						batches = each(st.alerts...)
					}
					for k, v := range namesOf(batches...) {
						names[k] = v
					}
					run(t, e, mem, batches...)
					if st.then != nil {
						st.then(t, mem)
					}
				}
				if got := partition(mem, names); !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("groups = %q, want %q", got, tc.want)
				}
				if tc.check != nil {
					tc.check(t, mem)
				}
			})
		}
	}
}

// TestAutoResolve: an incident resolves itself when its sources resolve
// every alert (by the correlator, with a timeline entry); not before, and
// not when the option is off.
func TestAutoResolve(t *testing.T) {
	resolved := func(s spec) alert.Alert {
		a := mk(s)
		a.Status = alert.StatusResolved
		return a
	}
	a1 := spec{src: "a1", stages: ia, res: []string{"r1"}}
	a2 := spec{src: "a2", at: time.Hour, stages: exe, res: []string{"r1"}}
	for _, tc := range []struct {
		name  string
		on    bool
		later []alert.Alert
		want  incident.Status
	}{
		{"every alert resolved", true, []alert.Alert{resolved(a1), resolved(a2)}, incident.StatusResolved},
		{"one alert resolved", true, []alert.Alert{resolved(a1)}, incident.StatusActive},
		{"option off", false, []alert.Alert{resolved(a1), resolved(a2)}, incident.StatusActive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := correlate.DefaultConfig()
			cfg.AutoResolve = tc.on
			e := mustEngine(t, cfg)
			mem := correlate.NewMemory()
			run(t, e, mem, one(a1, a2))
			run(t, e, mem, tc.later)
			g := groupOf(t, mem, "a1")
			if g.Incident.Status != tc.want {
				t.Fatalf("status = %s, want %s", g.Incident.Status, tc.want)
			}
			tl := mem.Timeline(g.ID())
			if (tc.want == incident.StatusResolved) != (len(tl) == 1 && tl[0].Actor == correlate.Actor && tl[0].To == "Resolved") {
				t.Errorf("timeline = %+v", tl)
			}
		})
	}
}

func TestRedeliveryUpdatesWithoutDuplicating(t *testing.T) {
	e := mustEngine(t, correlate.DefaultConfig())
	mem := correlate.NewMemory()
	batch := one(
		spec{src: "a", stages: pre, res: []string{"r1"}, sev: alert.Low},
		spec{src: "b", at: time.Hour, stages: ia, res: []string{"r1"}},
	)
	run(t, e, mem, batch)
	before := groupOf(t, mem, "a")

	// Replaying the same batch changes nothing.
	ch, err := e.Apply(mem, batch, base.Add(100*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range ch.Units {
		// Only the (idempotent) assignments are repeated: the replayed
		// records carry no incidentId yet.
		if len(u.KeyDays) != 0 || len(u.Groups) != 0 {
			t.Fatalf("replay changed records: %+v", u)
		}
		for _, a := range u.Assignments {
			if a.IncidentID != before.ID() {
				t.Errorf("replay reassigned %s to %s", a.AlertID, a.IncidentID)
			}
		}
	}
	// With the incidentId the stored alerts now carry, nothing at all.
	for i := range batch {
		batch[i].IncidentID = before.ID()
	}
	if ch, _ := e.Apply(mem, batch, base.Add(100*time.Hour)); !ch.Empty() {
		t.Fatalf("replay produced changes: %+v", ch.Units)
	}

	// A re-delivery with a later lastSeen and higher severity updates the
	// member and the incident, without a second membership.
	again := mk(spec{src: "a", stages: pre, res: []string{"r1"}, sev: alert.Critical})
	again.LastSeen = base.Add(5 * time.Hour)
	again.Count = 4
	run(t, e, mem, []alert.Alert{again})
	g := groupOf(t, mem, "a")
	if g.Incident.AlertCount != 2 || len(g.Members) != 2 {
		t.Fatalf("alert count = %d members = %d, want 2", g.Incident.AlertCount, len(g.Members))
	}
	if !g.Incident.LastActivity.Equal(base.Add(5*time.Hour)) || g.Incident.Severity != alert.Critical {
		t.Errorf("lastActivity = %s severity = %s", g.Incident.LastActivity, g.Incident.Severity)
	}
	if g.Version != before.Version+1 {
		t.Errorf("version = %d, want %d", g.Version, before.Version+1)
	}
}

func TestAssignmentsOnlyForIncidents(t *testing.T) {
	e := mustEngine(t, correlate.DefaultConfig())
	mem := correlate.NewMemory()
	chs := run(t, e, mem,
		one(spec{src: "a", stages: ia, res: []string{"r1"}}),
		one(spec{src: "b", at: time.Hour, stages: exe, res: []string{"r1"}}))
	if n := len(chs[0].Units[0].Assignments); n != 0 {
		t.Errorf("a group below the threshold assigned %d alerts", n)
	}
	var got []string
	for _, u := range chs[1].Units {
		for _, a := range u.Assignments {
			got = append(got, a.AlertID)
			if a.IncidentID != correlate.GroupIDFor(idOf("a")) {
				t.Errorf("assigned to %s", a.IncidentID)
			}
		}
	}
	if len(got) != 2 {
		t.Errorf("promotion assigned %v, want both alerts", got)
	}
}

func TestUnitsSeparateUnrelatedAlerts(t *testing.T) {
	e := mustEngine(t, correlate.DefaultConfig())
	ch, err := e.Apply(correlate.NewMemory(), one(
		spec{src: "a", stages: pre, res: []string{"r1"}},
		spec{src: "b", at: time.Hour, stages: ia, res: []string{"r1"}},
		spec{src: "c", stages: pre, res: []string{"r2"}},
	), base)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Units) != 2 {
		t.Fatalf("units = %d, want 2", len(ch.Units))
	}
	for _, u := range ch.Units {
		// key-day of the alerts' day written, the other window days checked.
		if len(u.KeyDays) != 1 || len(u.Checks) != 2 || len(u.Groups) != 1 {
			t.Errorf("unit %v: keydays=%d checks=%d groups=%d", u.Alerts, len(u.KeyDays), len(u.Checks), len(u.Groups))
		}
	}
}

// TestFullKeyDay: once a key-day holds MaxEntriesPerKeyDay entries, new
// alerts still join through it, are not indexed under it, and are not
// duplicated when delivered again.
func TestFullKeyDay(t *testing.T) {
	e := mustEngine(t, correlate.DefaultConfig())
	correlate.SetMaxEntriesPerKeyDay(e, 3)
	mem := correlate.NewMemory()
	var specs []spec
	for i := 0; i < 6; i++ {
		specs = append(specs, spec{src: fmt.Sprintf("a%d", i), at: time.Duration(i) * time.Minute,
			stages: []killchain.Stage{killchain.Stage(1 + i)}, res: []string{"r1"}})
	}
	batch := one(specs...)
	run(t, e, mem, batch)
	run(t, e, mem, batch) // delivered again
	gs := live(mem)
	if len(gs) != 1 || len(gs[0].Members) != 6 {
		t.Fatalf("groups = %d, members = %d; want one group of 6", len(gs), len(gs[0].Members))
	}
	for _, kd := range mem.KeyDays() {
		if len(kd.Entries) > 3 {
			t.Errorf("key-day %s %s holds %d entries", kd.Key, kd.Day, len(kd.Entries))
		}
	}
}

// TestApplyConcurrently: one engine applying batches from several
// goroutines at once (its working space is recycled between batches) gives
// each the changes it gives the same batch alone.
func TestApplyConcurrently(t *testing.T) {
	e := mustEngine(t, correlate.DefaultConfig())
	mem := correlate.NewMemory()
	w := newWorld(3, 2000)
	for i := 0; i < 5; i++ {
		run(t, e, mem, w.batch(400))
	}
	batches := make([][]alert.Alert, 16)
	want := make([]*correlate.Changes, len(batches))
	for i := range batches {
		batches[i] = w.batch(100)
		ch, err := e.Apply(mem, batches[i], base)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = ch
	}
	got := make([]*correlate.Changes, len(batches))
	errs := make([]error, len(batches))
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; round < 3; round++ {
				for i := g; i < len(batches); i += 4 {
					got[i], errs[i] = e.Apply(mem, batches[i], base)
				}
			}
		}()
	}
	wg.Wait()
	for i := range batches {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("batch %d: concurrent changes differ from the batch applied alone", i)
		}
	}
}
