package killchain

import "strings"

// Strip renders the counting stages in kill-chain order as one line of
// text: the given stages by name in brackets, the others as dots, so the
// spread of an attack reads at a glance ("· [InitialAccess] · · [Exfiltration] ·").
// No stages render as "-".
func Strip(stages []Stage) string {
	has := NewSet(stages...)
	if has.Len() == 0 {
		return "-"
	}
	var parts []string
	for _, s := range All() {
		switch {
		case !s.Counts():
		case has.Has(s):
			parts = append(parts, "["+s.String()+"]")
		default:
			parts = append(parts, "·")
		}
	}
	return strings.Join(parts, " ")
}
