package bench

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportSmoke runs the report at tiny sizes (no builds, no go test
// run): every section that runs must produce figures, and the Markdown must
// name every target.
func TestReportSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("smoke run of the report starts moto and the local runner")
	}
	if _, err := exec.LookPath("moto_server"); err != nil {
		t.Skip("moto_server not installed")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	r := Run(context.Background(), Options{Root: root, Seed: 1, Short: true,
		Skip: map[string]bool{"coldstart": true, "gobench": true}})
	for name, e := range r.Errors {
		t.Errorf("section %s: %s", name, e)
	}
	if want := len(groupers()) + 1; len(r.Quality) != want { // + the "before" row
		t.Errorf("%d quality rows, want %d", len(r.Quality), want)
	}
	for _, c := range r.Cost {
		if c.Accepted != c.Alerts || c.ItemsWritten < c.Accepted {
			t.Errorf("cost run %q: accepted %d of %d, wrote %d items", c.Name, c.Accepted, c.Alerts, c.ItemsWritten)
		}
		// Writes are billed from their stream records (a failed condition
		// has none, so a few may not be), alerts land in the indexes, and
		// the three handlers that ran are timed.
		if b := c.Bill; b.TotalPerMillion <= 0 || 10*b.Unmatched > b.ItemWrites || b.IndexWrites < c.Accepted || len(b.Functions) != 3 {
			t.Errorf("cost run %q bill: $%.2f per million, %d of %d writes without a stream record, %d index writes, %d functions",
				c.Name, b.TotalPerMillion, b.Unmatched, b.ItemWrites, b.IndexWrites, len(b.Functions))
		}
	}
	// moto's peak is its data: 119 MB measured for this short day; 2.1–2.4
	// GB before its transactions stopped copying the table (package moto).
	if m := r.Memory; m == nil || !m.Correlated || m.PeakMB <= 0 || m.PeakMB > 512 {
		t.Errorf("emulator memory: %+v", m)
	}
	if r.E2E == nil || r.E2E.Missing != 0 || r.E2E.PacedP50Ms <= 0 {
		t.Errorf("end to end: %+v", r.E2E)
	}
	if b := r.Burst; b == nil || b.Missing != 0 || b.Incidents != b.Attacks || b.Alerts != b.Attacks*b.PerAttack || b.AlertsPerSec <= 0 {
		t.Errorf("local burst: %+v", b)
	}
	if len(r.Engine) == 0 || r.Engine[0].AlertsPerSec <= 0 {
		t.Errorf("engine: %+v", r.Engine)
	}
	md := r.Markdown()
	for _, tg := range r.Targets {
		if !strings.Contains(md, tg.Name) {
			t.Errorf("report does not show target %q", tg.Name)
		}
	}
	if _, err := json.Marshal(r); err != nil {
		t.Fatalf("report does not encode: %v", err)
	}
}
