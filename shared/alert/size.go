package alert

import (
	"encoding/json"
	"fmt"
	"time"
)

// MaxStoredBytes is the most bytes an alert may take as stored: the length
// of its JSON document (json.Marshal of the Alert, raw payload included).
//
// A store keeps the document in one item next to a few indexed copies of
// its fields; with the field limits above those copies take at most about
// 52 KB (50 resource ids of MaxKeyLen bytes, the name, the type, index
// keys), so a document within this budget leaves the item well under
// DynamoDB's 400 KB item limit, with room for what the correlator adds to
// the item later. An alert over the budget is shrunk where that loses
// nothing essential (see normalize.FitStored) or rejected.
const MaxStoredBytes = 256 << 10

// escapeFactor is the most bytes encoding/json writes for one byte of a
// string: "<", ">", "&", control characters and each byte of invalid
// UTF-8 become a six-byte \uXXXX escape.
const escapeFactor = 6

// StoredSize returns the length of a's JSON document, exactly as a store
// keeps it.
func (a *Alert) StoredSize() (int, error) {
	b, err := json.Marshal(a)
	if err != nil {
		return 0, fmt.Errorf("encode alert %s: %w", a.ID, err)
	}
	return len(b), nil
}

// FitsStored reports whether a's document is within MaxStoredBytes. It
// encodes a only when a cheap upper bound on the size (every string byte
// escaped) does not already prove that it fits, which is the case for
// every usual alert.
func (a *Alert) FitsStored() bool {
	if a.storedSizeBound() <= MaxStoredBytes {
		return true
	}
	n, err := a.StoredSize()
	return err == nil && n <= MaxStoredBytes
}

// CheckStoredSize returns nil when a fits MaxStoredBytes, and otherwise an
// error wrapping ErrInvalid whose FieldError names the part of the alert
// that takes the most room ("entities", "resources", "raw", …) and gives
// the alert's size and the limit.
func (a *Alert) CheckStoredSize() error {
	if a.storedSizeBound() <= MaxStoredBytes {
		return nil
	}
	n, err := a.StoredSize()
	if err != nil {
		return Invalid("item", "cannot be encoded")
	}
	if n <= MaxStoredBytes {
		return nil
	}
	field, part := a.largestPart()
	return Invalid(field, "the alert is %d bytes as stored, over the limit of %d bytes per alert; this field takes %d bytes", n, MaxStoredBytes, part)
}

// largestPart names the variable-size part of a that encodes longest.
func (a *Alert) largestPart() (string, int) {
	parts := []struct {
		field string
		v     any
	}{
		{"raw", a.Raw},
		{"description", a.Description},
		{"name", a.Name},
		{"type", a.Type},
		{"id", a.SourceID},
		{"resources", a.Resources},
		{"entities", a.Entities},
		{"techniques", a.Techniques},
		{"remediationSteps", a.RemediationSteps},
	}
	best, size := "item", 0
	for _, p := range parts {
		if raw, ok := p.v.(json.RawMessage); ok && len(raw) == 0 {
			continue
		}
		b, err := json.Marshal(p.v)
		if err == nil && len(b) > size {
			best, size = p.field, len(b)
		}
	}
	return best, size
}

// storedSizeBound is an upper bound on StoredSize computed without
// encoding: fixed parts at their longest, strings at escapeFactor bytes
// per byte.
func (a *Alert) storedSizeBound() int {
	// Field names, punctuation, times, enums, numbers and the derived id,
	// all at their longest; the optional updatedAt member (a time encodes
	// to at most len(time.RFC3339Nano) bytes) on top.
	const fixed = 1024 + len(`"updatedAt":"",`) + len(time.RFC3339Nano)
	str := func(s string) int { return escapeFactor*len(s) + 3 } // quotes and a comma
	n := fixed + escapeFactor*len(a.Raw)
	n += str(a.SourceID) + str(a.Type) + str(a.Name) + str(a.Description) +
		str(a.IncidentID) + str(a.SuppressedBy) + str(a.Provider)
	n += 32 * len(a.Tactics) // a stage name and its quotes
	for _, s := range a.Techniques {
		n += str(s)
	}
	for _, s := range a.RemediationSteps {
		n += str(s)
	}
	for _, r := range a.Resources {
		// {"id":…,"type":…,"name":…,"region":…,"account":…,"tags":{}}
		n += 64 + str(r.ID) + str(r.Type) + str(r.Name) + str(r.Region) + str(r.Account)
		for k, v := range r.Tags {
			n += str(k) + str(v)
		}
	}
	for _, e := range a.Entities {
		// {"type":"accesskey","value":…,"public":true} with a type of
		// the caller's choosing
		n += 48 + str(string(e.Type)) + str(e.Value)
	}
	return n
}
