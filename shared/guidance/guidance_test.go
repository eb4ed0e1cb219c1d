package guidance_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/guidance"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
)

func TestEveryStageHasAdvice(t *testing.T) {
	for _, st := range killchain.All() {
		if len(guidance.ForStage(st)) == 0 {
			t.Errorf("no recommendation for %s", st)
		}
	}
}

// TestSampleGuardDutyTypesAreCatalogued loads every GuardDuty sample and
// checks its finding type has specific steps and recommendations.
func TestSampleGuardDutyTypesAreCatalogued(t *testing.T) {
	files, err := filepath.Glob("../../events/samples/guardduty/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		type finding struct {
			Detail struct {
				Type string `json:"type"`
			} `json:"detail"`
			Type string `json:"type"`
		}
		var list []finding
		if err := json.Unmarshal(b, &list); err != nil {
			var one finding
			if err := json.Unmarshal(b, &one); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			list = []finding{one}
		}
		for _, x := range list {
			typ := x.Detail.Type
			if typ == "" {
				typ = x.Type
			}
			t.Run(typ, func(t *testing.T) {
				steps, recs, ok := guidance.ForType(typ)
				if !ok || len(steps) == 0 || len(recs) == 0 {
					t.Fatalf("%s (%s) is not catalogued with steps and recommendations", typ, f)
				}
			})
		}
	}
}

func TestMitigateMergesAndDeduplicates(t *testing.T) {
	alerts := []alert.Alert{
		{Name: "SSH brute force", Type: "UnauthorizedAccess:EC2/SSHBruteForce", RemediationSteps: []string{"Block the IP", "Rotate keys"}},
		{Name: "SSH failures", Type: "SSHFailedLogins", RemediationSteps: []string{"block  the ip", "Check auth.log"}},
		{Name: "again", Type: "UnauthorizedAccess:EC2/SSHBruteForce"},
	}
	steps := guidance.Mitigate(alerts)
	seen := map[string]bool{}
	for _, s := range steps {
		k := strings.ToLower(strings.Join(strings.Fields(s.Text), " "))
		if seen[k] {
			t.Errorf("duplicate step %q", s.Text)
		}
		seen[k] = true
	}
	if steps[0].Text != "Block the IP" || steps[0].Source != "alert:SSH brute force" {
		t.Errorf("first step = %+v", steps[0])
	}
	want, _, _ := guidance.ForType("UnauthorizedAccess:EC2/SSHBruteForce")
	for _, w := range want {
		if !seen[strings.ToLower(strings.Join(strings.Fields(w), " "))] {
			t.Errorf("catalogued step missing: %q", w)
		}
	}
}

func TestPreventCoversTypeTacticAndResource(t *testing.T) {
	inc := incident.Incident{
		Tactics:   []killchain.Stage{killchain.InitialAccess, killchain.Exfiltration},
		Resources: []alert.Resource{{ID: "i-0a1b2c3d4e5f60718", Type: "AwsEc2Instance"}},
	}
	alerts := []alert.Alert{{Type: "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", Tactics: []killchain.Stage{killchain.Exfiltration}}}
	recs := guidance.Prevent(inc, alerts)
	bases := map[string]bool{}
	titles := map[string]bool{}
	for _, r := range recs {
		if titles[r.Title] {
			t.Errorf("duplicate %q", r.Title)
		}
		titles[r.Title] = true
		bases[strings.SplitN(r.Basis, ":", 2)[0]+":"+strings.SplitN(r.Basis, ":", 2)[1]] = true
	}
	for _, want := range []string{"type:UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
		"tactic:InitialAccess", "tactic:Exfiltration", "resource:AwsEc2Instance"} {
		if !bases[want] {
			t.Errorf("no recommendation with basis %s in %+v", want, recs)
		}
	}
}
