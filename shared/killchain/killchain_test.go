package killchain_test

import (
	"encoding/json"
	"testing"

	"github.com/muster-sec/muster/shared/killchain"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want killchain.Stage
		ok   bool
	}{
		{"InitialAccess", killchain.InitialAccess, true},
		{"initial access", killchain.InitialAccess, true},
		{"Initial-Access", killchain.InitialAccess, true},
		{"Command and Control", killchain.CommandAndControl, true},
		{"command_and_control", killchain.CommandAndControl, true},
		{"TA0011", killchain.CommandAndControl, true},
		{"ta0010", killchain.Exfiltration, true},
		{"Reconnaissance", killchain.PreAttack, true},
		{"Resource Development", killchain.PreAttack, true},
		{"Probing", killchain.PreAttack, true},
		{"Exploitation", killchain.InitialAccess, true},
		{"mitre_privilege_escalation", killchain.PrivilegeEscalation, true},
		{"Impact", killchain.Impact, true},
		{"Unknown", killchain.Unknown, true},
		{"", killchain.Unknown, false},
		{"Nonsense", killchain.Unknown, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := killchain.Parse(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Parse(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestEveryCanonicalNameRoundTrips(t *testing.T) {
	for _, s := range killchain.All() {
		got, ok := killchain.Parse(s.String())
		if !ok || got != s {
			t.Errorf("Parse(%q) = %v, %v", s, got, ok)
		}
		if got, _ := killchain.Parse(s.Label()); got != s {
			t.Errorf("Parse(label %q) = %v", s.Label(), got)
		}
	}
	if n := len(killchain.All()); n != 13 {
		t.Errorf("All() has %d stages, want 13", n)
	}
}

func TestSetOrdersAndIgnoresUnknown(t *testing.T) {
	s := killchain.NewSet(killchain.Impact, killchain.Unknown, killchain.InitialAccess, killchain.Impact)
	if s.Len() != 2 || s.Has(killchain.Unknown) || !s.Has(killchain.Impact) {
		t.Fatalf("set = %v (len %d)", s.Stages(), s.Len())
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `["InitialAccess","Impact"]` {
		t.Fatalf("json = %s", b)
	}
	var back killchain.Set
	if err := json.Unmarshal(b, &back); err != nil || back != s {
		t.Fatalf("unmarshal = %v, %v", back.Stages(), err)
	}
	if u := s.Union(killchain.NewSet(killchain.PreAttack)); u.Len() != 3 || u.Stages()[0] != killchain.PreAttack {
		t.Fatalf("union = %v", u.Stages())
	}
}

func TestStageJSON(t *testing.T) {
	var st []killchain.Stage
	if err := json.Unmarshal([]byte(`["Command and Control","TA0001"]`), &st); err != nil {
		t.Fatal(err)
	}
	if st[0] != killchain.CommandAndControl || st[1] != killchain.InitialAccess {
		t.Fatalf("stages = %v", st)
	}
	if err := json.Unmarshal([]byte(`["Lunch"]`), &st); err == nil {
		t.Fatal("unknown stage accepted")
	}
}
