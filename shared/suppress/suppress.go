package suppress

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/rulemeta"
)

// ErrInvalid wraps rule validation errors; ErrNotFound is returned by stores
// for unknown rules.
var (
	ErrInvalid  = errors.New("invalid suppression rule")
	ErrNotFound = errors.New("suppression rule not found")
)

// State is a rule's state.
type State string

// Rule states.
const (
	Enabled  State = "Enabled"
	Disabled State = "Disabled"
	Expired  State = "Expired"
	Shadow   State = "Shadow"
)

// Valid reports whether s is a state a person may set (Expired is derived
// from ExpiresAt but may also be stored).
func (s State) Valid() bool { return s == Enabled || s == Disabled || s == Expired || s == Shadow }

// EntityMatch matches one entity.
type EntityMatch struct {
	Type     alert.EntityType `json:"type"`
	Value    string           `json:"value"`
	Contains bool             `json:"contains,omitempty"`
}

// Match holds a rule's criteria; unset fields match anything.
type Match struct {
	AlertType   string         `json:"alertType,omitempty"`
	Provider    string         `json:"provider,omitempty"`
	ResourceID  string         `json:"resourceId,omitempty"`
	Entity      *EntityMatch   `json:"entity,omitempty"`
	MaxSeverity alert.Severity `json:"maxSeverity,omitempty"`
}

// Rule is a suppression rule.
type Rule struct {
	rulemeta.Meta
	Name      string     `json:"name,omitempty"`
	Match     Match      `json:"match"`
	Reason    string     `json:"reason"`
	Comment   string     `json:"comment,omitempty"`
	State     State      `json:"state"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	// SourceIncident is the incident a "suppress similar" rule came from.
	SourceIncident string `json:"sourceIncident,omitempty"`
	// Silence is the Alertmanager silence written back for the rule, if any.
	Silence *Silence `json:"silence,omitempty"`
}

// Silence records the Alertmanager silence written back for a rule: its id
// once created, Expired once ended, the last error Alertmanager gave (the
// rule change itself never fails for it), and the label values it matches
// (equality matchers, name to value), kept so that the silence can be made
// again when the rule is re-enabled or a failed write is retried.
type Silence struct {
	ID       string            `json:"id,omitempty"`
	Expired  bool              `json:"expired,omitempty"`
	Error    string            `json:"error,omitempty"`
	Matchers map[string]string `json:"matchers,omitempty"`
}

// Reasons a rule may give, as on Defender's suppression rules; free text is
// allowed too.
var Reasons = []string{"Detected false positive", "Alert is not relevant", "Expected activity", "Other"}

// Limits on rule text and expiry.
const (
	MaxNameLen    = 128
	MaxReasonLen  = 256
	MaxCommentLen = 2000
	MaxValueLen   = 2048
	// MaxExpiryAhead is how far past now a rule may be set to expire.
	MaxExpiryAhead = 10 * 365 * 24 * time.Hour
)

// earliestExpiry is the first expiry accepted: anything before is a
// mistake (year 0, the Unix epoch), not a rule that expired long ago.
var earliestExpiry = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%w: %w", ErrInvalid, &alert.FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// ValidateAt is Validate for a rule written at now: it also refuses an
// expiry more than MaxExpiryAhead after now. Stores call it.
func (r *Rule) ValidateAt(now time.Time) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if r.ExpiresAt != nil && r.ExpiresAt.After(now.Add(MaxExpiryAhead)) {
		return invalid("expiresAt", "must be at most 10 years ahead")
	}
	return nil
}

// Validate checks a rule's fields (all but how far ahead its expiry is,
// which needs the time: see ValidateAt). The error wraps ErrInvalid and an
// *alert.FieldError naming the field.
func (r *Rule) Validate() error {
	m := r.Match
	if m.AlertType == "" && m.Provider == "" && m.ResourceID == "" && m.Entity == nil && m.MaxSeverity == 0 {
		return invalid("match", "at least one criterion is required")
	}
	if m.AlertType == "*" && m.Provider == "" && m.ResourceID == "" && m.Entity == nil && m.MaxSeverity == 0 {
		return invalid("match", "alertType \"*\" needs another criterion")
	}
	if m.Provider != "" && !alert.KnownProvider(m.Provider) {
		return invalid("match.provider", "unknown provider %q", m.Provider)
	}
	if m.MaxSeverity != 0 && !m.MaxSeverity.Valid() {
		return invalid("match.maxSeverity", "must be a severity name")
	}
	if len(m.AlertType) > alert.MaxTypeLen || len(m.ResourceID) > MaxValueLen {
		return invalid("match", "value too long")
	}
	if e := m.Entity; e != nil {
		if !e.Type.Valid() {
			return invalid("match.entity.type", "unknown entity type %q", e.Type)
		}
		if strings.TrimSpace(e.Value) == "" {
			return invalid("match.entity.value", "is required")
		}
		if len(e.Value) > MaxValueLen {
			return invalid("match.entity.value", "longer than %d characters", MaxValueLen)
		}
	}
	if strings.TrimSpace(r.Reason) == "" {
		return invalid("reason", "is required")
	}
	if len(r.Reason) > MaxReasonLen {
		return invalid("reason", "longer than %d characters", MaxReasonLen)
	}
	if len(r.Comment) > MaxCommentLen {
		return invalid("comment", "longer than %d characters", MaxCommentLen)
	}
	if len(r.Name) > MaxNameLen {
		return invalid("name", "longer than %d characters", MaxNameLen)
	}
	if r.ExpiresAt != nil && r.ExpiresAt.Before(earliestExpiry) {
		return invalid("expiresAt", "must be after 2000-01-01")
	}
	if r.State == "" {
		r.State = Enabled
	}
	if !r.State.Valid() {
		return invalid("state", "must be one of Enabled, Disabled, Expired, Shadow")
	}
	return nil
}

// EffectiveState is the rule's state at now: Expired once ExpiresAt has
// passed, otherwise the stored state.
func (r *Rule) EffectiveState(now time.Time) State {
	if r.ExpiresAt != nil && !now.Before(*r.ExpiresAt) {
		return Expired
	}
	return r.State
}

// Matches reports whether the rule's criteria all match a.
func (r *Rule) Matches(a *alert.Alert) bool {
	m := r.Match
	if m.AlertType != "" && m.AlertType != "*" && m.AlertType != a.Type {
		return false
	}
	if m.Provider != "" && m.Provider != a.Provider {
		return false
	}
	if m.MaxSeverity != 0 && a.Severity > m.MaxSeverity {
		return false
	}
	if m.ResourceID != "" {
		want := alert.CanonicalResourceID(m.ResourceID, "")
		found := false
		for _, res := range a.Resources {
			if res.ID == want || res.ID == m.ResourceID {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if e := m.Entity; e != nil {
		found := false
		for _, x := range a.Entities {
			if x.Type != e.Type {
				continue
			}
			if e.Contains && strings.Contains(strings.ToLower(x.Value), strings.ToLower(e.Value)) ||
				!e.Contains && strings.EqualFold(x.Value, e.Value) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Verdict is the outcome of Evaluate.
type Verdict struct {
	// SuppressedBy is the id of the Enabled rule that suppresses the alert,
	// or "".
	SuppressedBy string
	// Hits lists every rule (Enabled or Shadow) that matched.
	Hits []string
}

// Evaluate applies rules to a at now.
func Evaluate(rules []Rule, a *alert.Alert, now time.Time) Verdict {
	var v Verdict
	sorted := make([]*Rule, 0, len(rules))
	for i := range rules {
		sorted = append(sorted, &rules[i])
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	for _, r := range sorted {
		st := r.EffectiveState(now)
		if st != Enabled && st != Shadow {
			continue
		}
		if !r.Matches(a) {
			continue
		}
		v.Hits = append(v.Hits, r.ID)
		if st == Enabled && v.SuppressedBy == "" {
			v.SuppressedBy = r.ID
		}
	}
	return v
}

// Apply marks a as suppressed by the verdict's rule, if any: status
// Dismissed and SuppressedBy set.
func (v Verdict) Apply(a *alert.Alert) {
	if v.SuppressedBy == "" {
		return
	}
	a.Status = alert.StatusDismissed
	a.SuppressedBy = v.SuppressedBy
}

// Drafts proposes rules that would suppress alerts like a, from the
// narrowest (this type on this resource) to the broadest (this type
// anywhere). Drafts have no id and state Enabled.
func Drafts(a *alert.Alert, incidentID string) []Rule {
	base := Rule{Reason: "Expected activity", State: Enabled, SourceIncident: incidentID}
	var out []Rule
	if r := a.PrimaryResource(); r != "" {
		d := base
		d.Name = fmt.Sprintf("%s on %s", a.Type, r)
		d.Match = Match{AlertType: a.Type, ResourceID: r}
		out = append(out, d)
	}
	for _, e := range a.Entities {
		if e.Type == alert.EntityIP && e.Public || e.Type == alert.EntityAccount || e.Type == alert.EntityDomain {
			d := base
			d.Name = fmt.Sprintf("%s with %s %s", a.Type, e.Type, e.Value)
			d.Match = Match{AlertType: a.Type, Entity: &EntityMatch{Type: e.Type, Value: e.Value}}
			out = append(out, d)
			break
		}
	}
	d := base
	d.Name = fmt.Sprintf("%s from %s", a.Type, a.Provider)
	d.Match = Match{AlertType: a.Type, Provider: a.Provider}
	out = append(out, d)
	return out
}

// Active returns the rules whose effective state at now is Enabled or
// Shadow: the ones ingest must evaluate. It filters in place.
func Active(rules []Rule, now time.Time) []Rule {
	out := rules[:0]
	for _, r := range rules {
		if st := r.EffectiveState(now); st == Enabled || st == Shadow {
			out = append(out, r)
		}
	}
	return out
}
