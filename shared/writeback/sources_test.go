package writeback

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseSources(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"", "[]", false},
		{"securityhub", "[securityhub]", false},
		{" SecurityHub , guardduty,securityhub", "[securityhub guardduty]", false},
		{"falco", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseSources(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				if !strings.Contains(err.Error(), EnvSources) || !strings.Contains(err.Error(), "falco") {
					t.Errorf("error %q does not name %s and the source", err, EnvSources)
				}
				return
			}
			if fmt.Sprint(got) != tc.want {
				t.Errorf("ParseSources(%q) = %v, want %s", tc.in, got, tc.want)
			}
		})
	}
}
