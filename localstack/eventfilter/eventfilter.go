// Package eventfilter implements the subset of Lambda event-filtering
// patterns (FilterCriteria) that Muster's stream consumers use, so the local
// stream poller selects exactly the records the deployed event source
// mappings select.
//
// A pattern is a JSON object mirroring the record's shape. Each leaf is an
// array of matchers; a record field matches a leaf when it matches any of
// them (an array field matches when any element does). Every key of a
// pattern object must match; a record matches a filter list when it matches
// any pattern (Lambda ORs the filters of one mapping).
//
// Matchers supported: literal strings, numbers, booleans and null (exact),
// {"prefix": "…"}, {"suffix": "…"}, {"equals-ignore-case": "…"},
// {"anything-but": literal or [literals]} and {"exists": true|false}.
// Anything else (numeric ranges, wildcard, $or) is rejected by Compile so a
// pattern this package cannot evaluate is noticed at start, not silently
// mismatched.
//
//	f, err := eventfilter.Compile(resources.Correlator.Filters)
//	if f.Match(recordJSON) { … }
package eventfilter

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrUnsupported reports a pattern construct outside the supported subset.
var ErrUnsupported = errors.New("unsupported filter pattern")

// Filter is a compiled list of patterns, ORed.
type Filter struct {
	patterns []node
}

// node is a compiled pattern object: each field either a nested object or
// a list of matchers.
type node struct {
	fields map[string]field
}

type field struct {
	object   *node
	matchers []matcher
}

type matcher struct {
	kind  string // "literal", "prefix", "suffix", "equals-ignore-case", "anything-but", "exists"
	value any
	list  []any
}

// Compile parses patterns. An empty list matches every record.
func Compile(patterns []string) (*Filter, error) {
	f := &Filter{}
	for i, p := range patterns {
		var raw map[string]any
		if err := json.Unmarshal([]byte(p), &raw); err != nil {
			return nil, fmt.Errorf("filter %d: parse pattern: %w", i, err)
		}
		n, err := compileObject(raw, "")
		if err != nil {
			return nil, fmt.Errorf("filter %d: %w", i, err)
		}
		f.patterns = append(f.patterns, n)
	}
	return f, nil
}

func compileObject(raw map[string]any, path string) (node, error) {
	n := node{fields: make(map[string]field, len(raw))}
	for k, v := range raw {
		p := path + "." + k
		if strings.HasPrefix(k, "$") {
			return node{}, fmt.Errorf("%w: %s at %s", ErrUnsupported, k, p)
		}
		switch v := v.(type) {
		case map[string]any:
			child, err := compileObject(v, p)
			if err != nil {
				return node{}, err
			}
			n.fields[k] = field{object: &child}
		case []any:
			if len(v) == 0 {
				return node{}, fmt.Errorf("%w: empty matcher list at %s", ErrUnsupported, p)
			}
			var ms []matcher
			for _, m := range v {
				cm, err := compileMatcher(m, p)
				if err != nil {
					return node{}, err
				}
				ms = append(ms, cm)
			}
			n.fields[k] = field{matchers: ms}
		default:
			return node{}, fmt.Errorf("%w: leaf at %s must be an array", ErrUnsupported, p)
		}
	}
	return n, nil
}

func compileMatcher(m any, path string) (matcher, error) {
	obj, ok := m.(map[string]any)
	if !ok {
		if _, isList := m.([]any); isList {
			return matcher{}, fmt.Errorf("%w: nested array at %s", ErrUnsupported, path)
		}
		return matcher{kind: "literal", value: m}, nil
	}
	if len(obj) != 1 {
		return matcher{}, fmt.Errorf("%w: matcher object with %d keys at %s", ErrUnsupported, len(obj), path)
	}
	for op, v := range obj {
		switch op {
		case "prefix", "suffix", "equals-ignore-case":
			s, ok := v.(string)
			if !ok {
				return matcher{}, fmt.Errorf("%w: %s needs a string at %s", ErrUnsupported, op, path)
			}
			return matcher{kind: op, value: s}, nil
		case "exists":
			b, ok := v.(bool)
			if !ok {
				return matcher{}, fmt.Errorf("%w: exists needs a boolean at %s", ErrUnsupported, path)
			}
			return matcher{kind: op, value: b}, nil
		case "anything-but":
			switch v := v.(type) {
			case []any:
				for _, x := range v {
					if _, isObj := x.(map[string]any); isObj {
						return matcher{}, fmt.Errorf("%w: anything-but with an operator at %s", ErrUnsupported, path)
					}
				}
				return matcher{kind: op, list: v}, nil
			case map[string]any:
				return matcher{}, fmt.Errorf("%w: anything-but with an operator at %s", ErrUnsupported, path)
			default:
				return matcher{kind: op, list: []any{v}}, nil
			}
		default:
			return matcher{}, fmt.Errorf("%w: operator %q at %s", ErrUnsupported, op, path)
		}
	}
	panic("unreachable")
}

// Match reports whether a record (as decoded JSON: map[string]any) matches
// any pattern. A filter without patterns matches everything.
func (f *Filter) Match(record map[string]any) bool {
	if f == nil || len(f.patterns) == 0 {
		return true
	}
	for _, p := range f.patterns {
		if p.match(record) {
			return true
		}
	}
	return false
}

// MatchJSON decodes a record and matches it.
func (f *Filter) MatchJSON(record []byte) (bool, error) {
	var m map[string]any
	if err := json.Unmarshal(record, &m); err != nil {
		return false, fmt.Errorf("decode record: %w", err)
	}
	return f.Match(m), nil
}

func (n node) match(obj map[string]any) bool {
	for k, fd := range n.fields {
		v, present := obj[k]
		if fd.object != nil {
			child, ok := v.(map[string]any)
			if !present || !ok || !fd.object.match(child) {
				return false
			}
			continue
		}
		if !matchLeaf(fd.matchers, v, present) {
			return false
		}
	}
	return true
}

func matchLeaf(ms []matcher, v any, present bool) bool {
	for _, m := range ms {
		if m.kind == "exists" {
			if m.value.(bool) == (present && v != nil) {
				return true
			}
			continue
		}
		if !present {
			continue
		}
		if list, ok := v.([]any); ok {
			for _, x := range list {
				if m.matchValue(x) {
					return true
				}
			}
			continue
		}
		if m.matchValue(v) {
			return true
		}
	}
	return false
}

func (m matcher) matchValue(v any) bool {
	switch m.kind {
	case "literal":
		return equal(m.value, v)
	case "prefix":
		s, ok := v.(string)
		return ok && strings.HasPrefix(s, m.value.(string))
	case "suffix":
		s, ok := v.(string)
		return ok && strings.HasSuffix(s, m.value.(string))
	case "equals-ignore-case":
		s, ok := v.(string)
		return ok && strings.EqualFold(s, m.value.(string))
	case "anything-but":
		if _, isObj := v.(map[string]any); isObj {
			return false
		}
		for _, x := range m.list {
			if equal(x, v) {
				return false
			}
		}
		return true
	}
	return false
}

// equal compares decoded JSON scalars (numbers as float64).
func equal(a, b any) bool {
	switch a := a.(type) {
	case string:
		s, ok := b.(string)
		return ok && s == a
	case float64:
		f, ok := b.(float64)
		return ok && f == a
	case bool:
		x, ok := b.(bool)
		return ok && x == a
	case nil:
		return b == nil
	}
	return false
}
