package alert

import (
	"fmt"
	"strings"
)

// Severity orders alerts and incidents: Informational < Low < Medium < High
// < Critical. The zero value is not valid.
type Severity int

// Severities in increasing order.
const (
	Informational Severity = iota + 1
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"", "Informational", "Low", "Medium", "High", "Critical"}

// Valid reports whether s is one of the five severities.
func (s Severity) Valid() bool { return s >= Informational && s <= Critical }

func (s Severity) String() string {
	if !s.Valid() {
		return fmt.Sprintf("Severity(%d)", int(s))
	}
	return severityNames[s]
}

// Raise returns the next severity up, capped at Critical.
func (s Severity) Raise() Severity { return min(s+1, Critical) }

// ParseSeverity accepts the five names in any case.
func ParseSeverity(v string) (Severity, bool) {
	for i := Informational; i <= Critical; i++ {
		if strings.EqualFold(strings.TrimSpace(v), severityNames[i]) {
			return i, true
		}
	}
	return 0, false
}

// MarshalText encodes the name.
func (s Severity) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("invalid severity %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText decodes a name in any case.
func (s *Severity) UnmarshalText(b []byte) error {
	v, ok := ParseSeverity(string(b))
	if !ok {
		return fmt.Errorf("unknown severity %q", string(b))
	}
	*s = v
	return nil
}

// Status is an alert's state at its source.
type Status string

// Alert statuses.
const (
	StatusActive    Status = "Active"
	StatusResolved  Status = "Resolved"
	StatusDismissed Status = "Dismissed"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	return s == StatusActive || s == StatusResolved || s == StatusDismissed
}

// ParseStatus accepts the three names in any case.
func ParseStatus(v string) (Status, bool) {
	for _, s := range []Status{StatusActive, StatusResolved, StatusDismissed} {
		if strings.EqualFold(strings.TrimSpace(v), string(s)) {
			return s, true
		}
	}
	return "", false
}
