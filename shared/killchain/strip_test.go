package killchain_test

import (
	"strings"
	"testing"

	"github.com/muster-sec/muster/shared/killchain"
)

func TestStrip(t *testing.T) {
	tests := []struct {
		stages []killchain.Stage
		want   []string // in the strip, in this order
		dots   int
	}{
		{nil, []string{"-"}, 0},
		{[]killchain.Stage{killchain.Exfiltration, killchain.InitialAccess}, []string{"[InitialAccess]", "[Exfiltration]"}, 1},
	}
	for _, tt := range tests {
		got := killchain.Strip(tt.stages)
		at := 0
		for _, w := range tt.want {
			i := strings.Index(got[at:], w)
			if i < 0 {
				t.Errorf("Strip(%v) = %q, want %q after position %d", tt.stages, got, w, at)
				break
			}
			at += i + len(w)
		}
		if strings.Count(got, "·") < tt.dots {
			t.Errorf("Strip(%v) = %q: no dots for the missing stages", tt.stages, got)
		}
	}
}
