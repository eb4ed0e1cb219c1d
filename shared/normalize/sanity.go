package normalize

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/muster-sec/muster/shared/alert"
)

// Input sanity for every format (the rules: functions/ingest/README.md,
// "Input sanity"); invalid UTF-8 and repeated names are refused by the
// decoder (decode.go).

// earliest is the first alert time Muster accepts; maxAhead how far past
// receipt an alert time may be (clock skew).
var earliest = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

const maxAhead = 24 * time.Hour

// checkTime refuses an alert time outside [earliest, receivedAt+maxAhead].
func checkTime(field string, t, receivedAt time.Time) error {
	switch {
	case t.Before(earliest):
		return alert.Invalid(field, "is before 2000-01-01")
	case t.After(receivedAt.Add(maxAhead)):
		return alert.Invalid(field, "is more than a day after the alert was received")
	}
	return nil
}

// unsafeRune reports whether r may not appear in an identifier: a control
// character or a bidirectional override or isolate.
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

// checkIdentity refuses identifying strings holding unsafe runes. idField
// is the sender's name for its own id.
func checkIdentity(a *alert.Alert, idField string) error {
	if strings.ContainsFunc(a.SourceID, unsafeRune) {
		return alert.Invalid(idField, "must not contain control characters")
	}
	if strings.ContainsFunc(a.Type, unsafeRune) {
		return alert.Invalid("type", "must not contain control characters")
	}
	for i, r := range a.Resources {
		if strings.ContainsFunc(r.ID, unsafeRune) {
			return alert.Invalid(fmt.Sprintf("resources[%d].id", i), "must not contain control characters")
		}
	}
	for i, e := range a.Entities {
		if strings.ContainsFunc(e.Value, unsafeRune) {
			return alert.Invalid(fmt.Sprintf("entities[%d].value", i), "must not contain control characters")
		}
	}
	return nil
}

// cleanText strips control characters and terminal escapes from the
// alert's free text.
func cleanText(a *alert.Alert) {
	a.Name = clean(a.Name)
	a.Description = clean(a.Description)
	for i, s := range a.RemediationSteps {
		a.RemediationSteps[i] = clean(s)
	}
	for i := range a.Resources {
		r := &a.Resources[i]
		r.Type, r.Name, r.Region, r.Account = clean(r.Type), clean(r.Name), clean(r.Region), clean(r.Account)
		for k, v := range r.Tags {
			if ck := clean(k); ck != k || clean(v) != v {
				delete(r.Tags, k)
				r.Tags[ck] = clean(v)
			}
		}
	}
}

// clean removes from s every unsafe rune but tab and line feed, and each
// terminal escape sequence whole.
func clean(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r != '\n' && r != '\t' && unsafeRune(r) }) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0x1b:
			n = escapeLen(s[i:])
		case r == '\n' || r == '\t' || !unsafeRune(r):
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// escapeLen is the length of the escape sequence at the start of s: ESC
// alone, or a CSI sequence (ESC [, parameter and intermediate bytes, a
// final byte).
func escapeLen(s string) int {
	if len(s) < 2 || s[1] != '[' {
		return 1
	}
	for i := 2; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 0x40 && c <= 0x7e:
			return i + 1
		case c < 0x20 || c > 0x3f:
			return i
		}
	}
	return len(s)
}
