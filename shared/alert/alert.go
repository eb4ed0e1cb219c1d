package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/killchain"
)

// Providers Muster accepts, as used in POST /webhooks/{provider}.
const (
	ProviderGuardDuty    = "guardduty"
	ProviderSecurityHub  = "securityhub"
	ProviderDefender     = "defender"
	ProviderAlertmanager = "alertmanager"
	ProviderFalco        = "falco"
	ProviderOCSF         = "ocsf"
	ProviderGeneric      = "generic"
)

// Providers lists every accepted provider name, for validation. The source
// registry (normalize.Sources: display names, parsers, samples) is the
// place to add a source; a test there checks this list against it.
var Providers = []string{ProviderGuardDuty, ProviderSecurityHub, ProviderDefender,
	ProviderAlertmanager, ProviderFalco, ProviderOCSF, ProviderGeneric}

// KnownProvider reports whether p is one of Providers.
func KnownProvider(p string) bool {
	for _, q := range Providers {
		if p == q {
			return true
		}
	}
	return false
}

// Alert is one normalised security alert.
type Alert struct {
	ID               string            `json:"id"`
	Provider         string            `json:"provider"`
	SourceID         string            `json:"sourceId"`
	Type             string            `json:"type"`
	Name             string            `json:"name"`
	Description      string            `json:"description,omitempty"`
	Severity         Severity          `json:"severity"`
	Status           Status            `json:"status"`
	Tactics          []killchain.Stage `json:"tactics"`
	Techniques       []string          `json:"techniques,omitempty"`
	Resources        []Resource        `json:"resources"`
	Entities         []Entity          `json:"entities,omitempty"`
	RemediationSteps []string          `json:"remediationSteps,omitempty"`
	FirstSeen        time.Time         `json:"firstSeen"`
	LastSeen         time.Time         `json:"lastSeen"`
	ReceivedAt       time.Time         `json:"receivedAt"`
	// UpdatedAt is when the source last updated its record of the alert
	// (GuardDuty updatedAt, Security Hub UpdatedAt, OCSF
	// metadata.modified_time), not when the activity happened; zero when
	// the source does not say. Merge uses it to order two deliveries of
	// the same sighting.
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
	Count     int       `json:"count"`
	// SourceIncident is true when the source already calls the alert an
	// incident or attack sequence (Defender IsIncident, GuardDuty
	// AttackSequence:*); it becomes an incident on its own.
	SourceIncident bool `json:"sourceIncident,omitempty"`
	// StatusEcho marks a delivery whose status Muster itself wrote to the
	// source (the echo of a write-back, docs/write-back.md): a re-delivery
	// so marked keeps the stored alert's status. Never stored.
	StatusEcho   bool   `json:"-"`
	IncidentID   string `json:"incidentId,omitempty"`
	SuppressedBy string `json:"suppressedBy,omitempty"`
	// Raw is the payload as received, kept for audit up to RawCap bytes.
	Raw          json.RawMessage `json:"raw,omitempty"`
	RawTruncated bool            `json:"rawTruncated,omitempty"`
}

// RawCap is the most bytes of the original payload kept with an alert.
const RawCap = 16 << 10

// ID returns the deterministic alert id for a provider identity: the first
// 32 hex digits of SHA-256 over provider, a NUL, and the sender's own id.
func ID(provider, sourceID string) string {
	var buf [256]byte // the hashed text, on the stack for usual ids
	b := append(append(append(buf[:0], provider...), 0), sourceID...)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

// SetRaw keeps raw as the audit copy, capped at RawCap bytes. A payload over
// the cap is stored as a JSON string of its first RawCap bytes.
func (a *Alert) SetRaw(raw []byte) {
	if len(raw) <= RawCap && json.Valid(raw) {
		a.Raw = append(json.RawMessage(nil), raw...)
		a.RawTruncated = false
		return
	}
	b, _ := json.Marshal(string(raw[:min(len(raw), RawCap)]))
	a.Raw, a.RawTruncated = b, len(raw) > RawCap
}

// SetRawValid is SetRaw for bytes the caller knows to be one valid JSON
// value, for example because it has just decoded them without error: it
// skips SetRaw's validity scan and otherwise behaves exactly like SetRaw.
// Bytes that are not valid JSON must go through SetRaw.
func (a *Alert) SetRawValid(raw []byte) {
	if len(raw) == 0 || len(raw) > RawCap {
		a.SetRaw(raw)
		return
	}
	a.Raw = append(json.RawMessage(nil), raw...)
	a.RawTruncated = false
}

// Stages returns the alert's countable stages as a set.
func (a *Alert) Stages() killchain.Set { return killchain.NewSet(a.Tactics...) }

// PrimaryResource returns the first resource's canonical id, or "".
func (a *Alert) PrimaryResource() string {
	if len(a.Resources) == 0 {
		return ""
	}
	return a.Resources[0].ID
}

// Field limits, enforced by Validate. Lengths are bytes of UTF-8 text.
// Every free-text string of an Alert has one. Vendor formats are trimmed to
// them by the normalize package where that loses nothing essential
// (descriptive text, tag values); identifiers over their limit make the
// alert invalid. See also MaxStoredBytes, which bounds the whole alert.
const (
	MaxIDLen          = 512  // sourceId, the sender's own id
	MaxTypeLen        = 256  // alert type; also a resource's type
	MaxNameLen        = 512  // alert name; also a resource's name
	MaxDescriptionLen = 8192 // description
	MaxResources      = 50   // resources per alert
	MaxEntities       = 200  // entities per alert
	MaxListLen        = 100  // techniques, remediation steps, tactics
	MaxStepLen        = 2048 // one remediation step
	MaxTechniqueLen   = 128  // one technique id or name
	// MaxKeyLen bounds the identifiers Muster builds table keys from:
	// resource ids and the values of entities that are correlation keys
	// (ip, host, account, accesskey, filehash, domain). It keeps every key
	// derived from them ("RES#<id>", "KEY#accesskey:<value>" and the noisy
	// key index's "<time>#<key>") within DynamoDB's key size limits
	// (2,048 bytes for a partition key, 1,024 for a sort key).
	MaxKeyLen      = 960
	MaxValueLen    = 2048 // other entity values (process, url, container, pod)
	MaxRegionLen   = 64   // a resource's region
	MaxAccountLen  = 256  // a resource's account or subscription
	MaxTags        = 50   // tags per resource
	MaxTagKeyLen   = 512  // one tag key
	MaxTagValueLen = 1024 // one tag value
)

// FieldError names the field that made an alert invalid and why.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// ErrInvalid is wrapped by every validation error; errors.As gives the
// FieldError.
var ErrInvalid = errors.New("invalid alert")

// Invalid returns a validation error for field.
func Invalid(field, format string, args ...any) error {
	return fmt.Errorf("%w: %w", ErrInvalid, &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// Validate checks the invariants every stored alert satisfies.
func (a *Alert) Validate() error {
	switch {
	case a.SourceID == "":
		return Invalid("id", "is required")
	case len(a.SourceID) > MaxIDLen:
		return tooLong("id", MaxIDLen)
	case !KnownProvider(a.Provider):
		return Invalid("provider", "unknown provider %q", a.Provider)
	case a.Type == "":
		return Invalid("type", "is required")
	case len(a.Type) > MaxTypeLen:
		return tooLong("type", MaxTypeLen)
	case len(a.Name) > MaxNameLen:
		return tooLong("name", MaxNameLen)
	case len(a.Description) > MaxDescriptionLen:
		return tooLong("description", MaxDescriptionLen)
	case !a.Severity.Valid():
		return Invalid("severity", "must be one of Informational, Low, Medium, High, Critical")
	case !a.Status.Valid():
		return Invalid("status", "must be one of Active, Resolved, Dismissed")
	case a.FirstSeen.IsZero():
		return Invalid("firstSeen", "is required")
	case len(a.Resources) == 0:
		return Invalid("resources", "at least one resource is required")
	case len(a.Resources) > MaxResources:
		return Invalid("resources", "more than %d resources", MaxResources)
	case len(a.Entities) > MaxEntities:
		return Invalid("entities", "more than %d entities", MaxEntities)
	case len(a.Techniques) > MaxListLen:
		return Invalid("techniques", "more than %d techniques", MaxListLen)
	case len(a.RemediationSteps) > MaxListLen:
		return Invalid("remediationSteps", "more than %d steps", MaxListLen)
	case len(a.IncidentID) > MaxIDLen:
		return tooLong("incidentId", MaxIDLen)
	case len(a.SuppressedBy) > MaxIDLen:
		return tooLong("suppressedBy", MaxIDLen)
	}
	if !a.LastSeen.IsZero() && a.LastSeen.Before(a.FirstSeen) {
		return Invalid("lastSeen", "is before firstSeen")
	}
	for i, r := range a.Resources {
		if err := r.validate(i); err != nil {
			return err
		}
	}
	for i, e := range a.Entities {
		if !e.Type.Valid() {
			return Invalid(fmt.Sprintf("entities[%d].type", i), "unknown entity type %q", e.Type)
		}
		if e.Value == "" {
			return Invalid(fmt.Sprintf("entities[%d].value", i), "is required")
		}
		if n := e.Type.MaxValueLen(); len(e.Value) > n {
			return tooLong(fmt.Sprintf("entities[%d].value", i), n)
		}
	}
	for i, s := range a.Techniques {
		if len(s) > MaxTechniqueLen {
			return tooLong(fmt.Sprintf("techniques[%d]", i), MaxTechniqueLen)
		}
	}
	for i, s := range a.RemediationSteps {
		if len(s) > MaxStepLen {
			return tooLong(fmt.Sprintf("remediationSteps[%d]", i), MaxStepLen)
		}
	}
	return nil
}

// tooLong is the error of a string field over its limit.
func tooLong(field string, limit int) error {
	return Invalid(field, "longer than %d bytes", limit)
}

// validate checks resource i's fields against their limits.
func (r *Resource) validate(i int) error {
	field := func(name string) string { return fmt.Sprintf("resources[%d].%s", i, name) }
	switch {
	case r.ID == "":
		return Invalid(field("id"), "is required")
	case len(r.ID) > MaxKeyLen:
		return tooLong(field("id"), MaxKeyLen)
	case len(r.Type) > MaxTypeLen:
		return tooLong(field("type"), MaxTypeLen)
	case len(r.Name) > MaxNameLen:
		return tooLong(field("name"), MaxNameLen)
	case len(r.Region) > MaxRegionLen:
		return tooLong(field("region"), MaxRegionLen)
	case len(r.Account) > MaxAccountLen:
		return tooLong(field("account"), MaxAccountLen)
	case len(r.Tags) > MaxTags:
		return Invalid(field("tags"), "more than %d tags", MaxTags)
	}
	bad := false
	for k, v := range r.Tags {
		if len(k) > MaxTagKeyLen || len(v) > MaxTagValueLen {
			bad = true
			break
		}
	}
	if !bad {
		return nil
	}
	// Report the first bad tag in key order, so that the same alert always
	// gets the same answer.
	for _, k := range SortedTagKeys(r.Tags) {
		switch {
		case len(k) > MaxTagKeyLen:
			return Invalid(field("tags"), "a tag key is longer than %d bytes", MaxTagKeyLen)
		case len(r.Tags[k]) > MaxTagValueLen:
			return Invalid(field("tags."+k), "longer than %d bytes", MaxTagValueLen)
		}
	}
	return nil
}

// Finish fills derived fields after a parser has set the source fields:
// the id, canonical resources and entities, de-duplicated tactics, LastSeen
// (defaults to FirstSeen), Count (at least 1), Status (Active) and Name
// (defaults to Type). It is idempotent.
func (a *Alert) Finish(identityProvider string, receivedAt time.Time) {
	if identityProvider == "" {
		identityProvider = a.Provider
	}
	a.ID = ID(identityProvider, a.SourceID)
	if a.Name == "" {
		a.Name = a.Type
	}
	if a.Status == "" {
		a.Status = StatusActive
	}
	if a.Count < 1 {
		a.Count = 1
	}
	a.FirstSeen = a.FirstSeen.UTC()
	if a.LastSeen.IsZero() || a.LastSeen.Before(a.FirstSeen) {
		a.LastSeen = a.FirstSeen
	}
	a.LastSeen = a.LastSeen.UTC()
	if !a.UpdatedAt.IsZero() {
		a.UpdatedAt = a.UpdatedAt.UTC()
	}
	if a.ReceivedAt.IsZero() {
		a.ReceivedAt = receivedAt.UTC()
	}
	set := killchain.NewSet(a.Tactics...)
	a.Tactics = set.Stages()
	for i := range a.Resources {
		a.Resources[i].Canonicalize()
	}
	a.Resources = dedupeResources(a.Resources)
	for i := range a.Entities {
		a.Entities[i].Canonicalize()
	}
	a.Entities = dedupeEntities(a.Entities)
	a.Techniques = dedupeStrings(a.Techniques)
	a.RemediationSteps = dedupeStrings(a.RemediationSteps)
}

func dedupeStrings(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	seen := make(map[string]bool, len(in))
	out := in[:0]
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

func dedupeResources(in []Resource) []Resource {
	seen := make(map[string]int, len(in))
	out := in[:0]
	for _, r := range in {
		if j, ok := seen[r.ID]; ok {
			out[j].merge(r)
			continue
		}
		seen[r.ID] = len(out)
		out = append(out, r)
	}
	return out
}

func dedupeEntities(in []Entity) []Entity {
	if len(in) == 0 {
		return nil
	}
	seen := make(map[Entity]bool, len(in))
	out := in[:0]
	for _, e := range in {
		k := Entity{Type: e.Type, Value: e.Value}
		if e.Value == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, e)
	}
	return out
}

// ExpiresAt is when a stored alert kept for retention expires: retention
// after the later of its last sighting and its first receipt by Muster, so
// an old finding replayed today is kept as long as a fresh one (and is not
// gone on arrival) while an alert seen again lives on. Zero retention
// means it never expires (the zero time).
func (a *Alert) ExpiresAt(retention time.Duration) time.Time {
	if retention <= 0 {
		return time.Time{}
	}
	from := a.LastSeen
	if a.ReceivedAt.After(from) {
		from = a.ReceivedAt
	}
	return from.Add(retention)
}
