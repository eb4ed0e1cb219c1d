package normalize_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/normalize"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// receivedAt is the fixed arrival time used for every golden file.
var receivedAt = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

const samplesDir = "../../events/samples"

// sample is one payload under events/samples/<provider>/.
type sample struct {
	provider, name, path string
}

// samples lists every provider sample (the scenario folder holds only the
// manifest, whose entries point at these files).
func samples(t testing.TB) []sample {
	t.Helper()
	var out []sample
	for _, src := range normalize.Sources() {
		files, err := filepath.Glob(filepath.Join(samplesDir, src.Samples, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			out = append(out, sample{provider: src.Name, name: strings.TrimSuffix(filepath.Base(f), ".json"), path: f})
		}
	}
	if len(out) == 0 {
		t.Fatal("no samples found under " + samplesDir)
	}
	return out
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// goldenResult is the checked-in form of a Result. The raw payload is left
// out (it is the sample itself; TestRawIsTheItem checks it).
type goldenResult struct {
	Index int               `json:"index"`
	Alert *alert.Alert      `json:"alert,omitempty"`
	Error *alert.FieldError `json:"error,omitempty"`
}

func golden(t testing.TB, results []normalize.Result) []byte {
	t.Helper()
	out := make([]goldenResult, 0, len(results))
	for _, r := range results {
		g := goldenResult{Index: r.Index, Error: r.FieldError()}
		if r.Alert != nil {
			a := *r.Alert
			a.Raw = nil
			g.Alert = &a
		}
		out = append(out, g)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// TestGolden normalises every sample and compares with its golden file;
// run with -update to regenerate them.
func TestGolden(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range samples(t) {
		gpath := filepath.Join("testdata", "golden", s.provider, s.name+".json")
		seen[gpath] = true
		t.Run(s.provider+"/"+s.name, func(t *testing.T) {
			results, err := normalize.Parse(s.provider, readFile(t, s.path), receivedAt)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			for _, r := range results {
				if r.Err != nil && !strings.Contains(s.name, "invalid") {
					t.Errorf("item %d rejected: %v", r.Index, r.Err)
				}
			}
			got := golden(t, results)
			if *update {
				if err := os.MkdirAll(filepath.Dir(gpath), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(gpath, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want := readFile(t, gpath)
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from its golden file %s (run go test -update to accept):\n%s", s.path, gpath, diffLines(want, got))
			}
		})
	}
	// Every golden file belongs to a sample (no stale fixtures).
	err := filepath.Walk(filepath.Join("testdata", "golden"), func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		if !seen[p] {
			t.Errorf("golden file %s has no sample", p)
		}
		return nil
	})
	if err != nil && !*update {
		t.Fatal(err)
	}
}

// diffLines shows the first differing lines.
func diffLines(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	var out []string
	for i := 0; i < max(len(w), len(g)) && len(out) < 10; i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			out = append(out, "- "+a, "+ "+b)
		}
	}
	return strings.Join(out, "\n")
}

// TestSamplesPerProvider: at least three realistic payloads per provider.
func TestSamplesPerProvider(t *testing.T) {
	n := map[string]int{}
	for _, s := range samples(t) {
		n[s.provider]++
	}
	var short []string
	for _, p := range normalize.SourceNames() {
		if n[p] < 3 {
			short = append(short, p)
		}
	}
	sort.Strings(short)
	if len(short) > 0 {
		t.Errorf("providers with fewer than three samples: %v", short)
	}
}
