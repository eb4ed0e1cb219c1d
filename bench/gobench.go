package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// GoBench is one result line of `go test -bench`.
type GoBench struct {
	Package string             `json:"package"`
	Name    string             `json:"name"`
	N       int64              `json:"n"`
	Metrics map[string]float64 `json:"metrics"` // unit → value: ns/op, B/op, allocs/op, custom units
}

// BenchPackages lists the packages under root (excluding bench/) whose
// tests declare a Benchmark function, as ./relative paths.
func BenchPackages(root string) ([]string, error) {
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "bench" ||
				name == "testdata" || name == "dist" || name == "cdk.out") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(b, []byte("\nfunc Benchmark")) {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(p))
		seen["./"+filepath.ToSlash(rel)] = true
		return nil
	})
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, err
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+)\s+(\d+)\s+(.+)$`)

// RunGoBench runs `go test -run ^$ -bench . -benchmem -json` on pkgs in
// root and parses the results. Output of packages that fail is returned in
// the error, with whatever results were parsed.
func RunGoBench(ctx context.Context, root string, pkgs []string, benchtime string, timeout time.Duration) ([]GoBench, error) {
	if len(pkgs) == 0 {
		return nil, nil
	}
	args := append([]string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-json", "-count", "1",
		"-benchtime", benchtime, "-timeout", timeout.String()}, pkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	res := ParseGoBench(stdout)
	if err != nil {
		return res, fmt.Errorf("go test -bench: %w: %s", err, tail(stderr.String()+failures(stdout), 2000))
	}
	return res, nil
}

// ParseGoBench parses `go test -json` output.
func ParseGoBench(out []byte) []GoBench {
	var res []GoBench
	partial := map[string]string{} // package → unterminated output
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var ev struct {
			Action  string
			Package string
			Output  string
		}
		if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.Action != "output" {
			continue
		}
		text := partial[ev.Package] + ev.Output
		if !strings.HasSuffix(text, "\n") {
			partial[ev.Package] = text
			continue
		}
		partial[ev.Package] = ""
		for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
			m := benchLine.FindStringSubmatch(strings.TrimSpace(line))
			if m == nil {
				continue
			}
			n, _ := strconv.ParseInt(m[2], 10, 64)
			gb := GoBench{Package: ev.Package, Name: m[1], N: n, Metrics: map[string]float64{}}
			f := strings.Fields(m[3])
			for i := 0; i+1 < len(f); i += 2 {
				if v, err := strconv.ParseFloat(f[i], 64); err == nil {
					gb.Metrics[f[i+1]] = v
				}
			}
			res = append(res, gb)
		}
	}
	return res
}

func failures(stdout []byte) string {
	var b strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var ev struct{ Action, Package, Output string }
		if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Action == "output" &&
			(strings.Contains(ev.Output, "FAIL") || strings.Contains(ev.Output, "panic") || strings.Contains(ev.Output, ".go:")) {
			b.WriteString(ev.Output)
		}
	}
	return b.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
