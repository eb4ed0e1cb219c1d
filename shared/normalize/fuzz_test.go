package normalize_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/normalize"
)

// seed adds every sample of provider to the corpus.
func seed(f *testing.F, provider string) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join(samplesDir, provider, "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no samples for %s", provider)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{}, 1, "x", null]`))
	f.Add([]byte(`{"detail-type":"x","detail":{}}`))
}

// checkParse is the property every parser keeps on any input: no panic;
// either a request error or one result per alert, in order, each either a
// valid alert or a field error.
func checkParse(t *testing.T, provider string, body []byte) {
	results, err := normalize.Parse(provider, body, receivedAt)
	if err != nil {
		if len(results) != 0 {
			t.Fatalf("results with an error")
		}
		return
	}
	if len(results) == 0 {
		t.Fatal("no results and no error")
	}
	for i, r := range results {
		if r.Index != i {
			t.Fatalf("result %d has index %d", i, r.Index)
		}
		if (r.Alert == nil) == (r.Err == nil) {
			t.Fatalf("result %d: alert %v err %v", i, r.Alert, r.Err)
		}
		if r.Err != nil {
			if fe := r.FieldError(); fe == nil || fe.Reason == "" {
				t.Fatalf("result %d: error without a reason: %v", i, r.Err)
			}
			continue
		}
		a := r.Alert
		if err := a.Validate(); err != nil {
			t.Fatalf("result %d: accepted alert is invalid: %v", i, err)
		}
		// A Security Hub copy of a GuardDuty finding is a GuardDuty alert.
		if a.Provider != provider && (provider != alert.ProviderSecurityHub || a.Provider != alert.ProviderGuardDuty) {
			t.Fatalf("provider %q, want %q", a.Provider, provider)
		}
		if a.ID != alert.ID(a.Provider, a.SourceID) {
			t.Fatalf("result %d: id %s is not the id of its provider and source id", i, a.ID)
		}
		if _, err := json.Marshal(a); err != nil {
			t.Fatalf("result %d does not encode: %v", i, err)
		}
		if len(a.Raw) == 0 || len(a.Raw) > 6*alert.RawCap+2 {
			t.Fatalf("raw copy of %d bytes", len(a.Raw))
		}
	}
}

func FuzzParseGeneric(f *testing.F) {
	seed(f, alert.ProviderGeneric)
	f.Fuzz(func(t *testing.T, b []byte) { checkParse(t, alert.ProviderGeneric, b) })
}

func FuzzParseGuardDuty(f *testing.F) {
	seed(f, alert.ProviderGuardDuty)
	f.Fuzz(func(t *testing.T, b []byte) { checkParse(t, alert.ProviderGuardDuty, b) })
}

func FuzzParseSecurityHub(f *testing.F) {
	seed(f, alert.ProviderSecurityHub)
	f.Fuzz(func(t *testing.T, b []byte) { checkParse(t, alert.ProviderSecurityHub, b) })
}

func FuzzParseDefender(f *testing.F) {
	seed(f, alert.ProviderDefender)
	f.Fuzz(func(t *testing.T, b []byte) { checkParse(t, alert.ProviderDefender, b) })
}

func FuzzParseAlertmanager(f *testing.F) {
	seed(f, alert.ProviderAlertmanager)
	f.Fuzz(func(t *testing.T, b []byte) { checkParse(t, alert.ProviderAlertmanager, b) })
}

func FuzzParseFalco(f *testing.F) {
	seed(f, alert.ProviderFalco)
	f.Fuzz(func(t *testing.T, b []byte) { checkParse(t, alert.ProviderFalco, b) })
}

func FuzzParseOCSF(f *testing.F) {
	seed(f, alert.ProviderOCSF)
	f.Fuzz(func(t *testing.T, b []byte) { checkParse(t, alert.ProviderOCSF, b) })
}
