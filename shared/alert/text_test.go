package alert_test

import (
	"testing"
	"unicode/utf8"

	"github.com/muster-sec/muster/shared/alert"
)

func TestTruncateAndClipCutOnRuneBoundaries(t *testing.T) {
	for _, tt := range []struct {
		s         string
		n         int
		trunc, cl string
	}{
		{"short", 10, "short", "short"},
		{"exactly", 7, "exactly", "exactly"},
		{"abcdef", 3, "abc", "abc…"},
		{"héllo", 2, "h", "h…"}, // é is two bytes: byte 2 is inside it
		{"héllo", 3, "hé", "hé…"},
		{"日本語", 4, "日", "日…"},
		{"日本語", 0, "", "…"},
	} {
		if got := alert.Truncate(tt.s, tt.n); got != tt.trunc || !utf8.ValidString(got) {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.trunc)
		}
		if got := alert.Clip(tt.s, tt.n); got != tt.cl {
			t.Errorf("Clip(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.cl)
		}
	}
}
