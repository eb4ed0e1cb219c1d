package alert_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/muster-sec/muster/shared/alert"
)

// finished is newAlert after Finish: valid, with two resources (one
// tagged) and several entities.
func finished(t *testing.T) *alert.Alert {
	t.Helper()
	a := newAlert()
	a.Finish("", time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	if err := a.Validate(); err != nil {
		t.Fatalf("base alert invalid: %v", err)
	}
	return a
}

// Every free-text string has a limit: at the limit the alert is valid, one
// byte over it is invalid and the error names the field.
func TestValidateFieldLimits(t *testing.T) {
	x := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		field string
		limit int
		set   func(a *alert.Alert, v string)
	}{
		{"id", alert.MaxIDLen, func(a *alert.Alert, v string) { a.SourceID = v }},
		{"type", alert.MaxTypeLen, func(a *alert.Alert, v string) { a.Type = v }},
		{"name", alert.MaxNameLen, func(a *alert.Alert, v string) { a.Name = v }},
		{"description", alert.MaxDescriptionLen, func(a *alert.Alert, v string) { a.Description = v }},
		{"incidentId", alert.MaxIDLen, func(a *alert.Alert, v string) { a.IncidentID = v }},
		{"suppressedBy", alert.MaxIDLen, func(a *alert.Alert, v string) { a.SuppressedBy = v }},
		{"resources[0].id", alert.MaxKeyLen, func(a *alert.Alert, v string) { a.Resources[0].ID = v }},
		{"resources[0].type", alert.MaxTypeLen, func(a *alert.Alert, v string) { a.Resources[0].Type = v }},
		{"resources[0].name", alert.MaxNameLen, func(a *alert.Alert, v string) { a.Resources[0].Name = v }},
		{"resources[0].region", alert.MaxRegionLen, func(a *alert.Alert, v string) { a.Resources[0].Region = v }},
		{"resources[0].account", alert.MaxAccountLen, func(a *alert.Alert, v string) { a.Resources[0].Account = v }},
		{"resources[0].tags", alert.MaxTagKeyLen, func(a *alert.Alert, v string) { a.Resources[0].Tags[v] = "v" }},
		{"resources[0].tags.env", alert.MaxTagValueLen, func(a *alert.Alert, v string) { a.Resources[0].Tags["env"] = v }},
		{"entities[0].value", alert.MaxKeyLen, func(a *alert.Alert, v string) {
			a.Entities[0] = alert.Entity{Type: alert.EntityAccount, Value: v}
		}},
		{"entities[0].value", alert.MaxValueLen, func(a *alert.Alert, v string) {
			a.Entities[0] = alert.Entity{Type: alert.EntityURL, Value: v}
		}},
		{"techniques[0]", alert.MaxTechniqueLen, func(a *alert.Alert, v string) { a.Techniques = []string{v} }},
		{"remediationSteps[0]", alert.MaxStepLen, func(a *alert.Alert, v string) { a.RemediationSteps = []string{v} }},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.field, tt.limit), func(t *testing.T) {
			a := finished(t)
			tt.set(a, x(tt.limit))
			if err := a.Validate(); err != nil {
				t.Fatalf("at the limit (%d bytes): %v", tt.limit, err)
			}
			a = finished(t)
			tt.set(a, x(tt.limit+1))
			err := a.Validate()
			var fe *alert.FieldError
			if !errors.Is(err, alert.ErrInvalid) || !errors.As(err, &fe) || fe.Field != tt.field ||
				!strings.Contains(fe.Reason, fmt.Sprint(tt.limit)) {
				t.Fatalf("one byte over: %v, want field %q naming %d", err, tt.field, tt.limit)
			}
		})
	}
}

// An over-long tag is reported the same way whatever the map order: the
// first bad tag in key order.
func TestValidateTagErrorIsDeterministic(t *testing.T) {
	for range 20 {
		a := finished(t)
		for _, k := range []string{"b", "a", "c", "d", "e"} {
			a.Resources[0].Tags[k] = strings.Repeat("v", alert.MaxTagValueLen+1)
		}
		var fe *alert.FieldError
		if err := a.Validate(); !errors.As(err, &fe) || fe.Field != "resources[0].tags.a" {
			t.Fatalf("Validate() = %v, want resources[0].tags.a", err)
		}
	}
}

// The cheap bound FitsStored relies on is never below the real encoded
// size, whatever the strings hold (characters encoding/json escapes to six
// bytes, invalid UTF-8, line separators).
func TestStoredSizeBoundIsAnUpperBound(t *testing.T) {
	alphabet := []string{"a", "é", "<", ">", "&", "\x00", "\x1f", "\"", "\\", "\xff", "\u2028", "\U0001F600"}
	text := rapid.Custom(func(t *rapid.T) string {
		parts := rapid.SliceOfN(rapid.SampledFrom(alphabet), 0, 3000).Draw(t, "parts")
		return strings.Join(parts, "")
	})
	// The worst cases, every field full of one escaped character, then
	// random mixtures.
	for _, c := range []string{"<", "&", "\x01", "\xff", "\u2028", "\""} {
		s := strings.Repeat(c, 1000)
		a := &alert.Alert{ID: alert.ID("generic", s), Provider: "generic", SourceID: s, Type: s, Name: s, Description: s,
			Severity: alert.Low, Status: alert.StatusActive, Techniques: []string{s}, RemediationSteps: []string{s},
			Resources: []alert.Resource{{ID: s, Type: s, Name: s, Region: s, Account: s, Tags: map[string]string{s: s}}},
			Entities:  []alert.Entity{{Type: alert.EntityType(s), Value: s}}}
		if c == "<" {
			// Valid JSON whose "<" the encoder escapes once more.
			a.SetRaw([]byte(`"` + strings.Repeat("<", alert.RawCap-2) + `"`))
		}
		exact, err := a.StoredSize()
		if err != nil {
			t.Fatal(err)
		}
		if bound := alert.StoredSizeBound(a); bound < exact {
			t.Errorf("%q: bound %d < encoded size %d", c, bound, exact)
		}
	}
	rapid.Check(t, func(rt *rapid.T) {
		a := &alert.Alert{
			ID: alert.ID("generic", "x"), Provider: "generic", SourceID: text.Draw(rt, "sourceId"),
			Type: text.Draw(rt, "type"), Name: text.Draw(rt, "name"), Description: text.Draw(rt, "description"),
			Severity: alert.High, Status: alert.StatusActive, Count: rapid.IntRange(1, 1<<62).Draw(rt, "count"),
			FirstSeen: time.Date(2026, 11, 20, 8, 0, 0, 123456789, time.UTC), LastSeen: time.Date(2026, 11, 20, 9, 0, 0, 1, time.UTC),
			ReceivedAt: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), SourceIncident: true, RawTruncated: true,
			UpdatedAt:  time.Date(2026, 11, 20, 9, 0, 0, 123456789, time.FixedZone("", -(7*3600+30*60))),
			IncidentID: text.Draw(rt, "incidentId"), SuppressedBy: text.Draw(rt, "suppressedBy"),
			Techniques:       rapid.SliceOfN(text, 0, 5).Draw(rt, "techniques"),
			RemediationSteps: rapid.SliceOfN(text, 0, 5).Draw(rt, "steps"),
		}
		for range rapid.IntRange(1, 4).Draw(rt, "resources") {
			a.Resources = append(a.Resources, alert.Resource{ID: text.Draw(rt, "id"), Type: text.Draw(rt, "rtype"),
				Name: text.Draw(rt, "rname"), Region: text.Draw(rt, "region"), Account: text.Draw(rt, "account"),
				Tags: rapid.MapOfN(text, text, 0, 4).Draw(rt, "tags")})
		}
		for range rapid.IntRange(0, 6).Draw(rt, "entities") {
			a.Entities = append(a.Entities, alert.Entity{Type: alert.EntityType(text.Draw(rt, "etype")), Value: text.Draw(rt, "value"), Public: true})
		}
		raw, err := json.Marshal(map[string]string{"payload": text.Draw(rt, "raw")})
		if err != nil {
			rt.Fatal(err)
		}
		a.SetRaw(raw)
		exact, err := a.StoredSize()
		if err != nil {
			rt.Fatal(err)
		}
		if bound := alert.StoredSizeBound(a); bound < exact {
			rt.Fatalf("bound %d < encoded size %d", bound, exact)
		}
	})
}

// withEntities is a valid alert whose document is about n bytes larger
// because of url entities of the largest allowed value.
func withEntities(t *testing.T, count int) *alert.Alert {
	t.Helper()
	a := finished(t)
	a.Entities = nil
	for i := range count {
		v := fmt.Sprintf("https://example.com/%d/", i)
		a.Entities = append(a.Entities, alert.Entity{Type: alert.EntityURL, Value: v + strings.Repeat("p", alert.MaxValueLen-len(v))})
	}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	return a
}

// Field limits alone do not bound an alert (200 entities of 2,048 bytes
// are about 420 KB): CheckStoredSize does, and names the field that takes
// the room.
func TestCheckStoredSize(t *testing.T) {
	small := withEntities(t, 100) // about 210 KB: fits
	if err := small.CheckStoredSize(); err != nil || !small.FitsStored() {
		t.Fatalf("100 entities: %v", err)
	}
	if n, _ := small.StoredSize(); n > alert.MaxStoredBytes {
		t.Fatalf("100 entities take %d bytes, the test expects them to fit", n)
	}
	big := withEntities(t, alert.MaxEntities)
	n, err := big.StoredSize()
	if err != nil || n <= alert.MaxStoredBytes {
		t.Fatalf("%d entities take %d bytes (%v), the test expects more than %d", alert.MaxEntities, n, err, alert.MaxStoredBytes)
	}
	if big.FitsStored() {
		t.Fatal("FitsStored() = true for an oversized alert")
	}
	err = big.CheckStoredSize()
	var fe *alert.FieldError
	if !errors.Is(err, alert.ErrInvalid) || !errors.As(err, &fe) || fe.Field != "entities" ||
		!strings.Contains(fe.Reason, fmt.Sprint(n)) || !strings.Contains(fe.Reason, fmt.Sprint(alert.MaxStoredBytes)) {
		t.Fatalf("CheckStoredSize() = %v, want entities with the size %d and the limit", err, n)
	}
	// Escaping counts: 50 KB of "<" is 300 KB encoded.
	esc := finished(t)
	esc.Description = strings.Repeat("<", alert.MaxDescriptionLen)
	esc.RemediationSteps = nil
	for range alert.MaxListLen {
		esc.RemediationSteps = append(esc.RemediationSteps, strings.Repeat("&", 500)+fmt.Sprint(len(esc.RemediationSteps)))
	}
	if err := esc.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := esc.CheckStoredSize(); !errors.As(err, &fe) || fe.Field != "remediationSteps" {
		t.Fatalf("escaped text: CheckStoredSize() = %v, want remediationSteps", err)
	}
}
