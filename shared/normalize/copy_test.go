package normalize_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/normalize"
)

// copyPairs are the GuardDuty samples whose Security Hub copies are
// samples too.
var copyPairs = []struct{ guardDuty, securityHub string }{
	{"credential-exfiltration.json", "guardduty-credential-exfiltration.json"},
	{"ssh-brute-force.json", "guardduty-ssh-brute-force.json"},
}

// archive turns a sample pair into the same finding archived in GuardDuty:
// GuardDuty's archived flag, and in the copy the archived product field
// with the record Security Hub archives with it.
func archive(t *testing.T, gd, sh string) (string, string) {
	t.Helper()
	gd2 := strings.Replace(gd, `"archived": false`, `"archived": true`, 1)
	sh2 := strings.NewReplacer(`"aws/guardduty/service/archived": "false"`, `"aws/guardduty/service/archived": "true"`,
		`"RecordState": "ACTIVE"`, `"RecordState": "ARCHIVED"`).Replace(sh)
	if gd2 == gd || sh2 == sh || strings.Count(sh2, "ARCHIVED") != 1 {
		t.Fatal("archive: the samples no longer have the fields it rewrites")
	}
	return gd2, sh2
}

// stored is an alert as the store keeps it, for comparison: everything but
// the raw payload (which follows the newer delivery).
func stored(t *testing.T, a alert.Alert) string {
	t.Helper()
	a.Raw, a.RawTruncated = nil, false
	b, err := json.MarshalIndent(a, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A GuardDuty finding and its Security Hub copy are one alert, and the
// stored alert is the same whichever arrives first: provider guardduty,
// the same status (archived is Dismissed either way), severity, tactics,
// resources and entities.
func TestGuardDutyCopyIsTheGuardDutyAlert(t *testing.T) {
	for _, p := range copyPairs {
		gdBody := string(readFile(t, filepath.Join(samplesDir, "guardduty", p.guardDuty)))
		shBody := string(readFile(t, filepath.Join(samplesDir, "securityhub", p.securityHub)))
		gdArchived, shArchived := archive(t, gdBody, shBody)
		for _, v := range []struct {
			name     string
			gd, sh   string
			wantStat alert.Status
		}{
			{"active", gdBody, shBody, alert.StatusActive},
			{"archived", gdArchived, shArchived, alert.StatusDismissed},
		} {
			t.Run(p.guardDuty+"/"+v.name, func(t *testing.T) {
				gd, sh := *one(t, "guardduty", v.gd), *one(t, "securityhub", v.sh)
				for _, a := range []alert.Alert{gd, sh} {
					if a.Provider != alert.ProviderGuardDuty || a.Status != v.wantStat {
						t.Errorf("%s: provider %s status %s, want guardduty %s", a.Raw[:40], a.Provider, a.Status, v.wantStat)
					}
				}
				// The copy alone already is the GuardDuty alert for every
				// field both formats carry.
				if gd.ID != sh.ID || gd.Type != sh.Type || gd.Name != sh.Name || gd.Severity != sh.Severity ||
					gd.Count != sh.Count || gd.SourceIncident != sh.SourceIncident ||
					stages(gd.Tactics...) != stages(sh.Tactics...) || strings.Join(gd.Techniques, ",") != strings.Join(sh.Techniques, ",") ||
					!bytes.Equal(mustJSON(t, gd.Resources), mustJSON(t, sh.Resources)) {
					t.Errorf("the copy differs from the finding:\n%s\n%s", stored(t, gd), stored(t, sh))
				}
				gdEnts := map[string]bool{}
				for _, e := range gd.Entities {
					gdEnts[string(e.Type)+" "+e.Value] = true
				}
				for _, e := range sh.Entities {
					if !gdEnts[string(e.Type)+" "+e.Value] {
						t.Errorf("the copy names %s %s, the finding does not", e.Type, e.Value)
					}
				}
				// Either order gives the same stored alert.
				first, _ := normalize.Merge(gd, sh)
				second, _ := normalize.Merge(sh, gd)
				if a, b := stored(t, first), stored(t, second); a != b {
					t.Errorf("arrival order changes the stored alert:\nGuardDuty first %s\nSecurity Hub first %s", a, b)
				}
				// And the copy adds nothing to the finding.
				if _, changed := normalize.Merge(gd, sh); changed {
					t.Errorf("the copy changed the GuardDuty alert: %s", stored(t, first))
				}
			})
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// gdCopy is a Security Hub copy of a GuardDuty finding built on asff.
func gdCopy(extra string, replace ...string) string {
	body := asff(`,"Severity":{"Label":"MEDIUM"}` + extra)
	r := append([]string{`"f-1"`, `"arn:aws:guardduty:us-east-1:123456789012:detector/d/finding/f"`,
		"product/acme/edr", "product/aws/guardduty"}, replace...)
	return strings.NewReplacer(r...).Replace(body)
}

func TestGuardDutyCopyRules(t *testing.T) {
	t.Run("status: archived first, then workflow, then record state", func(t *testing.T) {
		tests := []struct {
			fields string
			want   alert.Status
		}{
			{`"ProductFields":{"aws/guardduty/service/archived":"true"},"RecordState":"ARCHIVED"`, alert.StatusDismissed},
			{`"ProductFields":{"aws/guardduty/service/archived":"true"},"Workflow":{"Status":"RESOLVED"}`, alert.StatusDismissed},
			{`"ProductFields":{"aws/guardduty/service/archived":"TRUE"},"RecordState":"ACTIVE"`, alert.StatusDismissed},
			{`"ProductFields":{"aws/guardduty/service/archived":"false"},"RecordState":"ARCHIVED"`, alert.StatusResolved},
			{`"ProductFields":{"aws/guardduty/service/archived":"false"},"Workflow":{"Status":"SUPPRESSED"}`, alert.StatusDismissed},
			{`"ProductFields":{"aws/guardduty/service/archived":"false"},"Workflow":{"Status":"NEW"},"RecordState":"ACTIVE"`, alert.StatusActive},
		}
		for _, tc := range tests {
			if got := one(t, "securityhub", gdCopy(","+tc.fields)).Status; got != tc.want {
				t.Errorf("%s → %s, want %s", tc.fields, got, tc.want)
			}
		}
		// Not a GuardDuty copy: the archived product field means nothing.
		other := asff(`,"Severity":{"Label":"LOW"},"ProductFields":{"aws/guardduty/service/archived":"true"},"RecordState":"ARCHIVED"`)
		if got := one(t, "securityhub", other).Status; got != alert.StatusResolved {
			t.Errorf("other product: %s, want Resolved", got)
		}
	})
	t.Run("tactics come from the GuardDuty catalogue, not the TTPs path", func(t *testing.T) {
		// Security Hub files PortProbeUnprotectedPort under Discovery; the
		// GuardDuty finding itself is PreAttack only.
		a := one(t, "securityhub", gdCopy("", "TTPs/Command and Control/Beacon", "TTPs/Discovery/Recon:EC2-PortProbeUnprotectedPort"))
		gd := one(t, "guardduty", gd("Recon:EC2/PortProbeUnprotectedPort", "5", "false", "{}", "1"))
		if a.Type != gd.Type || stages(a.Tactics...) != stages(killchain.PreAttack) || stages(a.Tactics...) != stages(gd.Tactics...) ||
			strings.Join(a.Techniques, ",") != strings.Join(gd.Techniques, ",") {
			t.Fatalf("copy %s %v %v, finding %s %v %v", a.Type, a.Tactics, a.Techniques, gd.Type, gd.Tactics, gd.Techniques)
		}
	})
	t.Run("an attack sequence copy is a source incident", func(t *testing.T) {
		a := one(t, "securityhub", gdCopy("", "TTPs/Command and Control/Beacon", "TTPs/Credential Access/AttackSequence:S3-CompromisedData"))
		if !a.SourceIncident || a.Type != "AttackSequence:S3/CompromisedData" {
			t.Fatalf("%+v", a)
		}
	})
	t.Run("an access key's principal is the resource only when there is no other", func(t *testing.T) {
		key := `{"Type":"AwsIamAccessKey","Id":"AWS::IAM::AccessKey:AKIAEXAMPLE","Details":{"AwsIamAccessKey":{"PrincipalName":"alice","PrincipalType":"IAMUser"}}}`
		bucket := `{"Type":"AwsS3Bucket","Id":"arn:aws:s3:::logs"}`
		withBoth := []string{`{"Type":"Other","Id":"r-1"}`, key + "," + bucket}
		a := one(t, "securityhub", gdCopy("", withBoth...))
		if len(a.Resources) != 1 || a.Resources[0].ID != "arn:aws:s3:::logs" {
			t.Errorf("resources %+v, want the bucket only", a.Resources)
		}
		if keySet(*a) != "[accesskey:AKIAEXAMPLE account:alice res:arn:aws:s3:::logs]" {
			t.Errorf("keys %s", keySet(*a))
		}
		alone := one(t, "securityhub", gdCopy("", `{"Type":"Other","Id":"r-1"}`, key))
		if len(alone.Resources) != 1 || alone.Resources[0].ID != "arn:aws:iam::123456789012:user/alice" {
			t.Errorf("resources %+v, want the user", alone.Resources)
		}
		// Another product's finding keeps both.
		other := one(t, "securityhub", strings.Replace(asff(`,"Severity":{"Label":"LOW"}`), withBoth[0], withBoth[1], 1))
		if len(other.Resources) != 2 {
			t.Errorf("other product: resources %+v", other.Resources)
		}
	})
}

// An alert stored from a Security Hub copy before copies became GuardDuty
// alerts takes the GuardDuty provider from the next delivery.
func TestMergeFixesAStoredCopysProvider(t *testing.T) {
	body := string(readFile(t, filepath.Join(samplesDir, "securityhub", copyPairs[0].securityHub)))
	a := *one(t, "securityhub", body)
	old := a
	old.Provider = alert.ProviderSecurityHub
	m, changed := normalize.Merge(old, a)
	if !changed || m.Provider != alert.ProviderGuardDuty {
		t.Fatalf("changed %v provider %s", changed, m.Provider)
	}
}

// workflow sets the Security Hub copy's Workflow status.
func workflow(t *testing.T, sh, status string) string {
	t.Helper()
	out := strings.Replace(sh, `"Status": "NEW"`, `"Status": "`+status+`"`, 1)
	if out == sh && status != "NEW" {
		t.Fatal("workflow: the sample no longer has Workflow.Status NEW")
	}
	return out
}

// A GuardDuty finding (Active) and its Security Hub copy carry the same
// lastSeen; a Workflow status set in Security Hub decides, whichever
// arrives first, and re-delivering either one changes nothing (it used to
// flip the status, and write, on every delivery).
func TestGuardDutyCopyWorkflowStatusOnATie(t *testing.T) {
	for _, p := range copyPairs {
		gdBody := string(readFile(t, filepath.Join(samplesDir, "guardduty", p.guardDuty)))
		shBody := string(readFile(t, filepath.Join(samplesDir, "securityhub", p.securityHub)))
		for _, v := range []struct {
			workflow string
			want     alert.Status
		}{{"SUPPRESSED", alert.StatusDismissed}, {"RESOLVED", alert.StatusResolved}} {
			t.Run(p.guardDuty+"/"+v.workflow, func(t *testing.T) {
				gd, sh := *one(t, "guardduty", gdBody), *one(t, "securityhub", workflow(t, shBody, v.workflow))
				if !gd.LastSeen.Equal(sh.LastSeen) || gd.Status != alert.StatusActive || sh.Status != v.want {
					t.Fatalf("premise: lastSeen %v/%v, status %s/%s", gd.LastSeen, sh.LastSeen, gd.Status, sh.Status)
				}
				first, _ := normalize.Merge(gd, sh)
				second, _ := normalize.Merge(sh, gd)
				if a, b := stored(t, first), stored(t, second); a != b || first.Status != v.want {
					t.Fatalf("status %s / %s, want %s either way:\n%s\n%s", first.Status, second.Status, v.want, a, b)
				}
				for _, again := range []alert.Alert{gd, sh, gd} {
					if m, changed := normalize.Merge(first, again); changed {
						t.Fatalf("re-delivering %s changed the alert: status %s", again.Raw[:30], m.Status)
					}
				}
			})
		}
	}
}

// The same source re-delivering the same sighting (lastSeen unchanged) in
// the same record (UpdatedAt unchanged, as a Workflow change made in
// Security Hub leaves it) with a new status: closing it takes effect,
// reopening waits for the next sighting (a later lastSeen), because such a
// re-delivery cannot be told from a stale copy of it.
func TestMergeStatusChangeWithoutNewerSighting(t *testing.T) {
	shBody := string(readFile(t, filepath.Join(samplesDir, "securityhub", copyPairs[1].securityHub)))
	open := *one(t, "securityhub", shBody)
	resolved := *one(t, "securityhub", workflow(t, shBody, "RESOLVED"))
	suppressed := *one(t, "securityhub", workflow(t, shBody, "SUPPRESSED"))
	m, changed := normalize.Merge(open, resolved)
	if !changed || m.Status != alert.StatusResolved {
		t.Fatalf("resolving: changed %v status %s", changed, m.Status)
	}
	if m, changed = normalize.Merge(m, suppressed); !changed || m.Status != alert.StatusDismissed {
		t.Fatalf("suppressing: changed %v status %s", changed, m.Status)
	}
	if m2, changed := normalize.Merge(m, open); changed || m2.Status != alert.StatusDismissed {
		t.Fatalf("reopening the same sighting: changed %v status %s", changed, m2.Status)
	}
	next := open
	next.LastSeen = open.LastSeen.Add(time.Minute)
	if m3, changed := normalize.Merge(m, next); !changed || m3.Status != alert.StatusActive {
		t.Fatalf("a newer sighting: changed %v status %s", changed, m3.Status)
	}
}

// updatedAt sets the Security Hub sample's UpdatedAt (when the provider
// last updated its record) to the sample's own value plus d.
func updatedAt(t *testing.T, sh string, d time.Duration) string {
	t.Helper()
	const field = `"UpdatedAt": "2026-11-20T08:31:40.000Z"`
	if !strings.Contains(sh, field) {
		t.Fatal("updatedAt: the sample no longer has " + field)
	}
	at := time.Date(2026, 11, 20, 8, 31, 40, 0, time.UTC).Add(d)
	return strings.Replace(sh, field, `"UpdatedAt": "`+at.Format(time.RFC3339Nano)+`"`, 1)
}

// The same sighting (LastObservedAt unchanged) re-delivered as a newer
// record (a later UpdatedAt) is the source's newer word: it reopens a
// Dismissed alert, whichever arrives first. An older record does not.
func TestMergeNewerRecordOfTheSameSighting(t *testing.T) {
	shBody := string(readFile(t, filepath.Join(samplesDir, "securityhub", copyPairs[1].securityHub)))
	suppressed := *one(t, "securityhub", updatedAt(t, workflow(t, shBody, "SUPPRESSED"), 0))
	reopened := *one(t, "securityhub", updatedAt(t, shBody, 5*time.Minute))
	if !suppressed.LastSeen.Equal(reopened.LastSeen) || suppressed.Status != alert.StatusDismissed ||
		reopened.Status != alert.StatusActive || !reopened.UpdatedAt.After(suppressed.UpdatedAt) {
		t.Fatalf("premise: lastSeen %v/%v, status %s/%s, updatedAt %v/%v", suppressed.LastSeen, reopened.LastSeen,
			suppressed.Status, reopened.Status, suppressed.UpdatedAt, reopened.UpdatedAt)
	}
	m, changed := normalize.Merge(suppressed, reopened)
	if !changed || m.Status != alert.StatusActive || !m.UpdatedAt.Equal(reopened.UpdatedAt) {
		t.Fatalf("reopening with a newer record: changed %v status %s updatedAt %v", changed, m.Status, m.UpdatedAt)
	}
	// Either order, the same stored alert; re-deliveries change nothing.
	other, _ := normalize.Merge(reopened, suppressed)
	if a, b := stored(t, m), stored(t, other); a != b {
		t.Fatalf("arrival order changes the stored alert:\n%s\n%s", a, b)
	}
	for _, again := range []alert.Alert{suppressed, reopened} {
		if m2, changed := normalize.Merge(m, again); changed {
			t.Fatalf("re-delivering changed the alert: status %s", m2.Status)
		}
	}
	// A stale record (older UpdatedAt) of the same sighting does not reopen.
	stale := *one(t, "securityhub", updatedAt(t, shBody, -5*time.Minute))
	if m3, changed := normalize.Merge(suppressed, stale); changed || m3.Status != alert.StatusDismissed ||
		!m3.UpdatedAt.Equal(suppressed.UpdatedAt) {
		t.Fatalf("an older record: changed %v status %s updatedAt %v", changed, m3.Status, m3.UpdatedAt)
	}
	// A newer record also brings its severity, name and description.
	newer := reopened
	newer.Severity, newer.Name, newer.Description = alert.Low, "renamed", "short"
	if m4, _ := normalize.Merge(suppressed, newer); m4.Severity != alert.Low || m4.Name != "renamed" || m4.Description != "short" {
		t.Fatalf("newer record's fields not taken: %s %q %q", m4.Severity, m4.Name, m4.Description)
	}
}

// A GuardDuty finding and a Security Hub copy whose record Security Hub
// updated later (a later UpdatedAt, the same lastSeen): the copy's word
// wins, whichever arrives first.
func TestGuardDutyCopyWithALaterRecord(t *testing.T) {
	p := copyPairs[1]
	gdBody := string(readFile(t, filepath.Join(samplesDir, "guardduty", p.guardDuty)))
	shBody := string(readFile(t, filepath.Join(samplesDir, "securityhub", p.securityHub)))
	gd := *one(t, "guardduty", gdBody)
	sh := *one(t, "securityhub", updatedAt(t, strings.NewReplacer(`"Label": "MEDIUM"`, `"Label": "LOW"`, `"Normalized": 50`, `"Normalized": 10`).Replace(shBody), time.Minute))
	if !gd.LastSeen.Equal(sh.LastSeen) || !sh.UpdatedAt.After(gd.UpdatedAt) || gd.Severity <= sh.Severity {
		t.Fatalf("premise: lastSeen %v/%v updatedAt %v/%v severity %s/%s", gd.LastSeen, sh.LastSeen, gd.UpdatedAt, sh.UpdatedAt, gd.Severity, sh.Severity)
	}
	first, _ := normalize.Merge(gd, sh)
	second, _ := normalize.Merge(sh, gd)
	if a, b := stored(t, first), stored(t, second); a != b || first.Severity != sh.Severity || !first.UpdatedAt.Equal(sh.UpdatedAt) {
		t.Fatalf("severity %s / %s, want %s either way:\n%s\n%s", first.Severity, second.Severity, sh.Severity, a, b)
	}
}
