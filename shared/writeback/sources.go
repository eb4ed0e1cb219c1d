package writeback

import (
	"fmt"
	"slices"
	"strings"

	"github.com/muster-sec/muster/shared/alert"
)

// EnvSources names the sources write-back is enabled for, comma-separated
// (ParseSources); unset or empty: none.
const EnvSources = "MUSTER_WRITEBACK_SOURCES"

// Sources lists the sources write-back can be enabled for: securityhub
// (Workflow.Status and a note on Security Hub and GuardDuty findings,
// through Security Hub) and guardduty (archive and unarchive).
var Sources = []string{alert.ProviderSecurityHub, alert.ProviderGuardDuty}

// ParseSources reads a comma-separated subset of Sources, in any case;
// an error names EnvSources and the unknown source.
func ParseSources(v string) ([]string, error) {
	var out []string
	for p := range strings.SplitSeq(v, ",") {
		p = strings.ToLower(strings.TrimSpace(p))
		if p == "" {
			continue
		}
		if !slices.Contains(Sources, p) {
			return nil, fmt.Errorf("%s: unknown source %q (want %s)", EnvSources, p, strings.Join(Sources, ", "))
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}
