package normalize_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/normalize"
)

// generic is a valid generic alert with extra fields and the given resources.
func generic(id, resources, extra string) string {
	return `{"id":"` + id + `","type":"T","severity":"low","firstSeen":"2026-11-20T08:00:00Z","resources":` + resources + extra + `}`
}

// asffFinding is a Security Hub finding (not a GuardDuty copy) with the
// given Resources array.
func asffFinding(resources string) string {
	return `{"Id":"f-big","ProductArn":"arn:aws:securityhub:us-east-1::product/acme/edr","GeneratorId":"acme/rule/42","AwsAccountId":"123456789012",
	 "Types":["TTPs/Command and Control/Beacon"],"CreatedAt":"2026-11-20T08:00:00Z","UpdatedAt":"2026-11-20T09:00:00Z","Title":"t",
	 "Severity":{"Label":"HIGH"},"Resources":` + resources + `}`
}

// The generic format reports every over-limit string by field, as it
// reports the older limits; none of these reaches the store.
func TestGenericStringLimits(t *testing.T) {
	x := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct{ name, body, field string }{
		{"900 KB tag value", generic("g", `[{"id":"r","tags":{"note":"`+x(900<<10)+`"}}]`, ""), "resources[0].tags.note"},
		{"tag key", generic("g", `[{"id":"r","tags":{"`+x(alert.MaxTagKeyLen+1)+`":"v"}}]`, ""), "resources[0].tags"},
		{"resource name", generic("g", `[{"id":"r","name":"`+x(alert.MaxNameLen+1)+`"}]`, ""), "resources[0].name"},
		{"resource type", generic("g", `[{"id":"r","type":"`+x(alert.MaxTypeLen+1)+`"}]`, ""), "resources[0].type"},
		{"resource region", generic("g", `[{"id":"r","region":"`+x(alert.MaxRegionLen+1)+`"}]`, ""), "resources[0].region"},
		{"resource account", generic("g", `[{"id":"r","account":"`+x(alert.MaxAccountLen+1)+`"}]`, ""), "resources[0].account"},
		{"resource id", generic("g", `[{"id":"`+x(alert.MaxKeyLen+1)+`"}]`, ""), "resources[0].id"},
		{"key entity", generic("g", `[{"id":"r"}]`, `,"entities":[{"type":"domain","value":"`+x(alert.MaxKeyLen+1)+`"}]`), "entities[0].value"},
		{"technique", generic("g", `[{"id":"r"}]`, `,"techniques":["`+x(alert.MaxTechniqueLen+1)+`"]`), "techniques[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { rejected(t, "generic", tt.body, tt.field) })
	}
}

// Vendor formats are trimmed instead: descriptive text is cut, identifiers
// that would change meaning if cut (tag keys) are dropped.
func TestVendorStringLimits(t *testing.T) {
	long := strings.Repeat("v", 5000)
	res := fmt.Sprintf(`[{"Type":"%s","Id":"r-1","Region":"%s","Tags":{"Name":"%s","note":"%s","%s":"k"}}]`,
		strings.Repeat("T", alert.MaxTypeLen+10), strings.Repeat("r", 100), long, long, strings.Repeat("k", alert.MaxTagKeyLen+1))
	a := one(t, "securityhub", asffFinding(res))
	r := a.Resources[0]
	if len(r.Type) != alert.MaxTypeLen || len(r.Region) != alert.MaxRegionLen || len(r.Name) != alert.MaxNameLen {
		t.Errorf("type %d, region %d, name %d bytes", len(r.Type), len(r.Region), len(r.Name))
	}
	if len(r.Tags) != 2 || len(r.Tags["note"]) != alert.MaxTagValueLen || len(r.Tags["Name"]) != alert.MaxTagValueLen {
		t.Errorf("tags: %d kept, note %d bytes", len(r.Tags), len(r.Tags["note"]))
	}
}

// A vendor alert whose fields are each within their limits but whose sum
// is over the stored budget loses its raw copy and its tags, and is kept.
func TestVendorAlertShrunkToBudget(t *testing.T) {
	var resources []string
	for i := range 40 {
		tags := make([]string, 0, 20)
		for j := range 20 {
			tags = append(tags, fmt.Sprintf(`"t%d":"%s"`, j, strings.Repeat("v", 1000)))
		}
		resources = append(resources, fmt.Sprintf(`{"Type":"Other","Id":"r-%d","Tags":{%s}}`, i, strings.Join(tags, ",")))
	}
	body := asffFinding("[" + strings.Join(resources, ",") + "]")
	if len(body) < 700<<10 || len(body) > 1<<20 {
		t.Fatalf("test body is %d bytes", len(body))
	}
	a := one(t, "securityhub", body)
	n, err := a.StoredSize()
	if err != nil || n > alert.MaxStoredBytes {
		t.Fatalf("stored size %d (%v), limit %d", n, err, alert.MaxStoredBytes)
	}
	if len(a.Resources) != 40 || len(a.Raw) != 0 || !a.RawTruncated {
		t.Fatalf("resources %d, raw %d bytes, rawTruncated %v", len(a.Resources), len(a.Raw), a.RawTruncated)
	}
	for _, r := range a.Resources {
		if len(r.Tags) != 0 {
			t.Fatalf("resource %s kept %d tags", r.ID, len(r.Tags))
		}
	}
}

// A generic alert over the budget is rejected and the field that takes the
// room is named; one that fits once its raw copy is dropped is kept.
func TestGenericAlertBudget(t *testing.T) {
	ents := func(n int) string {
		var es []string
		for i := range n {
			v := fmt.Sprintf("https://example.com/%d/", i)
			es = append(es, fmt.Sprintf(`{"type":"url","value":"%s%s"}`, v, strings.Repeat("p", alert.MaxValueLen-len(v))))
		}
		return `,"entities":[` + strings.Join(es, ",") + `]`
	}
	rs := parse(t, "generic", generic("big", `[{"id":"r"}]`, ents(alert.MaxEntities)))
	fe := rs[0].FieldError()
	if fe == nil || fe.Field != "entities" || !strings.Contains(fe.Reason, fmt.Sprint(alert.MaxStoredBytes)) {
		t.Fatalf("200 entities of %d bytes: %+v, want entities naming the limit", alert.MaxValueLen, fe)
	}

	// About 250 KB of entities plus a 16 KiB raw copy is over the budget;
	// without the raw copy it fits.
	a := one(t, "generic", generic("fits", `[{"id":"r"}]`, ents(120)))
	if len(a.Raw) != 0 || !a.RawTruncated || len(a.Entities) != 120 {
		t.Fatalf("raw %d bytes (truncated %v), %d entities", len(a.Raw), a.RawTruncated, len(a.Entities))
	}
	if n, _ := a.StoredSize(); n > alert.MaxStoredBytes {
		t.Fatalf("kept an alert of %d bytes", n)
	}
}

// FitStored's order for vendor alerts: raw, remediation steps, tags,
// entities from the end; resources are never dropped, so an alert whose
// resources alone are over the budget is rejected.
func TestFitStoredVendor(t *testing.T) {
	base := func() *alert.Alert {
		a := &alert.Alert{Provider: alert.ProviderFalco, SourceID: "s", Type: "T", Severity: alert.Low,
			Resources: []alert.Resource{{ID: "h", Tags: map[string]string{"a": "b"}}}}
		a.RemediationSteps = []string{"restart"}
		a.SetRaw([]byte(`{"x":1}`))
		return a
	}
	t.Run("entities dropped from the end", func(t *testing.T) {
		a := base()
		for i := range alert.MaxEntities {
			a.Entities = append(a.Entities, alert.Entity{Type: alert.EntityProcess, Value: fmt.Sprintf("%04d%s", i, strings.Repeat("<", 1996))})
		}
		if err := normalize.FitStored(a); err != nil {
			t.Fatal(err)
		}
		n, _ := a.StoredSize()
		if n > alert.MaxStoredBytes || len(a.Entities) == 0 || len(a.Entities) == alert.MaxEntities {
			t.Fatalf("%d bytes, %d entities", n, len(a.Entities))
		}
		if a.Entities[0].Value[:4] != "0000" || a.Raw != nil || a.RemediationSteps != nil || a.Resources[0].Tags != nil {
			t.Fatalf("wrong parts dropped: first entity %.4s, raw %s, steps %v, tags %v", a.Entities[0].Value, a.Raw, a.RemediationSteps, a.Resources[0].Tags)
		}
		// Dropped only as many as needed: one more entity would not fit.
		b, _ := json.Marshal(alert.Entity{Type: alert.EntityProcess, Value: strings.Repeat("<", 2000)})
		if n+len(b)+1 <= alert.MaxStoredBytes {
			t.Fatalf("%d bytes with %d entities: dropped more than needed", n, len(a.Entities))
		}
	})
	t.Run("key entities are dropped last", func(t *testing.T) {
		a := base()
		a.Entities = append(a.Entities, alert.Entity{Type: alert.EntityProcess, Value: "/usr/sbin/sshd"})
		for i := range 150 {
			v := fmt.Sprintf("https://e.example/%d/", i)
			a.Entities = append(a.Entities, alert.Entity{Type: alert.EntityURL, Value: v + strings.Repeat("p", alert.MaxValueLen-len(v))})
		}
		keys := []alert.Entity{{Type: alert.EntityIP, Value: "203.0.113.7"}, {Type: alert.EntityDomain, Value: "evil.example"},
			{Type: alert.EntityAccount, Value: "alice"}, {Type: alert.EntityAccessKey, Value: "AKIAEXAMPLE"},
			{Type: alert.EntityFileHash, Value: strings.Repeat("ab", 32)}, {Type: alert.EntityHost, Value: "web-1"}}
		a.Entities = append(a.Entities, keys...)
		a.Finish("", a.FirstSeen)
		want := keySet(*a)
		if err := normalize.FitStored(a); err != nil {
			t.Fatal(err)
		}
		if n, _ := a.StoredSize(); n > alert.MaxStoredBytes || len(a.Entities) >= 157 {
			t.Fatalf("%d bytes, %d entities", n, len(a.Entities))
		}
		if got := keySet(*a); got != want {
			t.Fatalf("keys %s, want %s (all kept)", got, want)
		}
		// The small process entity outlives the large urls; order is kept.
		if a.Entities[0].Value != "/usr/sbin/sshd" || a.Entities[1].Type != alert.EntityURL || a.Entities[len(a.Entities)-1].Value != "web-1" {
			t.Fatalf("entities %s, %s … %s", a.Entities[0].Value, a.Entities[1].Type, a.Entities[len(a.Entities)-1].Value)
		}
	})
	t.Run("small alert untouched", func(t *testing.T) {
		a := base()
		if err := normalize.FitStored(a); err != nil || string(a.Raw) != `{"x":1}` || a.RemediationSteps == nil {
			t.Fatalf("%v: raw %s steps %v", err, a.Raw, a.RemediationSteps)
		}
	})
	t.Run("resources alone too large", func(t *testing.T) {
		a := base()
		for i := range alert.MaxResources {
			a.Resources = append(a.Resources, alert.Resource{ID: fmt.Sprintf("%03d%s", i, strings.Repeat("<", alert.MaxKeyLen-3))})
		}
		err := normalize.FitStored(a)
		var fe *alert.FieldError
		if !errors.Is(err, alert.ErrInvalid) || !errors.As(err, &fe) || fe.Field != "resources" {
			t.Fatalf("FitStored() = %v, want a resources error", err)
		}
	})
}
