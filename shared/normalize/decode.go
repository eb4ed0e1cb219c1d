package normalize

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/muster-sec/muster/shared/alert"
)

// How request bodies are read. Every item (an alert or a provider batch) is
// decoded into its format's struct with strict: a name repeated in one
// object and invalid UTF-8 are refused (RFC 8259 requires UTF-8; a repeated
// name would otherwise let the last copy silently win), and object names
// match struct fields case-insensitively, as Defender's two shapes need
// (PascalCase and camelCase) and as encoding/json always did. lax only
// splits a top-level array into items, so that one bad item is refused on
// its own and the others go on.
var (
	strict = json.MatchCaseInsensitiveNames(true)
	lax    = json.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
)

// splitItems returns the elements of the top-level array body.
func splitItems(body []byte) ([]jsontext.Value, error) {
	var items []jsontext.Value
	if err := json.Unmarshal(body, &items, lax); err != nil {
		return nil, checkSyntax(body)
	}
	return items, nil
}

// checkSyntax returns the ErrMalformed error for a body that is not JSON,
// located by byte offset, never quoting input; nil for valid JSON.
func checkSyntax(body []byte) error {
	var v jsontext.Value
	err := json.Unmarshal(body, &v, lax)
	if err == nil {
		return nil
	}
	var se *jsontext.SyntacticError
	if errors.As(err, &se) {
		return fmt.Errorf("%w: invalid JSON at byte %d", ErrMalformed, se.ByteOffset)
	}
	return fmt.Errorf("%w: invalid JSON", ErrMalformed)
}

// decode unmarshals one item into v. What is wrong with the item (a value
// of the wrong type, a repeated name, invalid UTF-8) rejects the item with
// the field named; JSON that is not JSON at all marks the whole request
// malformed.
func (c *collector) decode(b []byte, v any) error {
	err := json.Unmarshal(b, v, strict)
	if err == nil {
		return nil
	}
	var syn *jsontext.SyntacticError
	if errors.As(err, &syn) {
		if !jsontext.Value(b).IsValid(lax) {
			c.syntax = true
			return alert.Invalid("item", "is not valid JSON")
		}
		field := fieldPath(syn.JSONPointer)
		if errors.Is(syn.Err, jsontext.ErrDuplicateName) {
			return alert.Invalid(field, "is a duplicate key: each name may appear once in an object")
		}
		return alert.Invalid(field, "must be valid UTF-8")
	}
	var sem *json.SemanticError
	if errors.As(err, &sem) {
		return alert.Invalid(fieldPath(sem.JSONPointer), "must be a JSON %s", jsonKind(sem.GoType))
	}
	return alert.Invalid("item", "cannot be decoded")
}

// fieldPath writes a JSON pointer as Muster names fields:
// /detail/findings/0/Id is detail.findings[0].Id.
func fieldPath(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err == nil && b.Len() > 0 {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	if b.Len() == 0 {
		return "item"
	}
	return alert.Truncate(b.String(), 128)
}

// jsonKind names the JSON type a Go type is read from.
func jsonKind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == nil:
		return "value"
	case t.Kind() == reflect.String:
		return "string"
	case t.Kind() == reflect.Struct || t.Kind() == reflect.Map:
		return "object"
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return "array"
	case t.Kind() == reflect.Bool:
		return "boolean"
	}
	return "number"
}

// flexString reads any JSON value as text, never refusing one: a string,
// number or boolean as written; null, an array or an object as "" (as
// GuardDuty's asn, ASFF ProductFields and Falco's output_fields need).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	switch v := jsontext.Value(b); v.Kind() {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	case 't', 'f', '0':
		*f = flexString(b)
	default:
		*f = ""
	}
	return nil
}

// flexBool accepts true/false, "true"/"false" and null.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" || s == "" {
		*f = false
		return nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("must be true or false")
	}
	*f = flexBool(v)
	return nil
}
