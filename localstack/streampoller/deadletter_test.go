package streampoller

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestClaimWhileAppending: a redrive claims the dead-letter file while
// another writer keeps appending; every line ends in exactly one file
// (claimed or live), none is lost.
func TestClaimWhileAppending(t *testing.T) {
	path := filepath.Join(t.TempDir(), "correlator.jsonl")
	const n = 300
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range n {
			if err := AppendDeadLetters(path, []DeadLetter{{Consumer: "correlator", Error: fmt.Sprint(i)}}); err != nil {
				t.Error(err)
			}
		}
	})
	seen := map[string]int{}
	read := func(files []string) {
		for _, f := range files {
			ds, err := ReadDeadLetters(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				seen[d.Error]++
			}
		}
	}
	for i := 0; i < 50; i++ {
		if _, err := ClaimDeadLetters(path, time.Unix(0, int64(i+1)*1e9)); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	files, err := ClaimDeadLetters(path, time.Unix(0, 99e9))
	if err != nil {
		t.Fatal(err)
	}
	read(files)
	if len(seen) != n {
		t.Fatalf("%d distinct lines found, want %d", len(seen), n)
	}
	for k, c := range seen {
		if c != 1 {
			t.Fatalf("line %s found %d times", k, c)
		}
	}
	if got := CountDeadLetters(path); got != n {
		t.Fatalf("CountDeadLetters = %d, want %d", got, n)
	}
}
