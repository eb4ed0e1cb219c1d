// Package playbook is the registry of automated responses an analyst or a
// bot can request on an incident (POST /incidents/{id}/respond): each has a
// name, a description and a parameter schema the request is validated
// against. The responder publishes accepted requests as "Incident Response
// Requested" events; EventBridge rules start the playbooks.
//
// The registry comes from configuration (see FromEnv): a JSON array of
// playbooks in MUSTER_PLAYBOOKS, or in the file named by
// MUSTER_PLAYBOOKS_FILE, or else the default set (Default):
//
//	isolate-instance    instanceId (string, required, i-…), quarantineSecurityGroup (string, sg-…)
//	disable-access-key  userName (string, required), accessKeyId (string, required, AKIA…/ASIA…)
//	notify-oncall       message (string), urgency (string, low|high)
//
// A playbook's parameters are a small schema: each parameter has a type
// (string, number, integer, boolean), may be required, and a string may
// carry an enum, a regular-expression pattern (anchored), a maximum length
// (DefaultMaxLength when unset) and inIncident, which confines it to what
// the incident names (CheckScope). Validate rejects unknown
// parameters, missing required ones, wrong types, values outside the enum
// and strings not matching the pattern, all at once, as a *ValidationError
// that wraps ErrInvalidParameters.
package playbook

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/muster-sec/muster/shared/alert"
)

// ErrUnknown is returned for a playbook name not in the registry.
var ErrUnknown = errors.New("unknown playbook")

// ErrInvalidParameters wraps parameter validation failures.
var ErrInvalidParameters = errors.New("invalid playbook parameters")

// ErrInvalidConfig wraps errors in a playbook configuration.
var ErrInvalidConfig = errors.New("invalid playbook configuration")

// Parameter types.
const (
	TypeString  = "string"
	TypeNumber  = "number"
	TypeInteger = "integer"
	TypeBoolean = "boolean"
)

// DefaultMaxLength bounds a string parameter whose MaxLength is unset, so a
// request cannot bloat the event it becomes.
const DefaultMaxLength = 1024

// Parameter describes one playbook parameter.
type Parameter struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"` // string, number, integer, boolean
	Description string   `json:"description"`
	Required    bool     `json:"required"`
	Enum        []string `json:"enum,omitempty"`
	// Pattern is a regular expression a string value must match in full.
	Pattern string `json:"pattern,omitempty"`
	// MaxLength bounds a string value in characters (DefaultMaxLength when 0).
	MaxLength int `json:"maxLength,omitempty"`
	// InIncident, when set, confines a string value to the incident the
	// request is made on: "resource" (one of its affected resources, by id)
	// or an entity type such as "accesskey" (one of its entities of that
	// type). A write token can then act only on what the incident names,
	// not on anything in the account.
	InIncident string `json:"inIncident,omitempty"`

	re *regexp.Regexp
}

// Playbook is one automated response.
type Playbook struct {
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Parameters  []Parameter `json:"parameters"`
}

// Registry holds the configured playbooks.
type Registry struct {
	list []Playbook
}

// NewRegistry returns a registry of the given playbooks. It does not check
// them; configuration read by Parse or FromEnv is checked.
func NewRegistry(list []Playbook) *Registry {
	out := make([]Playbook, len(list))
	for i, p := range list {
		out[i] = p.compiled()
	}
	return &Registry{list: out}
}

// List returns every playbook, in configuration order.
func (r *Registry) List() []Playbook { return append([]Playbook(nil), r.list...) }

// Get returns the named playbook or ErrUnknown.
func (r *Registry) Get(name string) (Playbook, error) {
	for _, p := range r.list {
		if p.Name == name {
			return p, nil
		}
	}
	return Playbook{}, fmt.Errorf("%w: %q", ErrUnknown, name)
}

// Names of the default playbooks.
const (
	IsolateInstance  = "isolate-instance"
	DisableAccessKey = "disable-access-key"
	NotifyOncall     = "notify-oncall"
)

// DefaultPlaybooks is the default set, used when no configuration is given.
func DefaultPlaybooks() []Playbook {
	return []Playbook{
		{
			Name:        IsolateInstance,
			Description: "Move an EC2 instance to a quarantine security group and snapshot its EBS volumes for forensics.",
			Parameters: []Parameter{
				{Name: "instanceId", Type: TypeString, Required: true, Pattern: `i-[0-9a-f]{8}([0-9a-f]{9})?`, InIncident: InIncidentResource,
					Description: "The EC2 instance to isolate (i-…): one of the incident's affected resources."},
				{Name: "quarantineSecurityGroup", Type: TypeString, Pattern: `sg-[0-9a-f]{8}([0-9a-f]{9})?`,
					Description: "Security group with no rules to move the instance to, tagged muster:quarantine=true; the playbook's configured group when absent."},
			},
		},
		{
			Name:        DisableAccessKey,
			Description: "Deactivate an IAM user's access key so it can no longer sign requests.",
			Parameters: []Parameter{
				{Name: "userName", Type: TypeString, Required: true, Pattern: `[\w+=,.@-]{1,64}`,
					Description: "The IAM user that owns the key."},
				{Name: "accessKeyId", Type: TypeString, Required: true, Pattern: `(AKIA|ASIA)[A-Z0-9]{12,124}`, InIncident: string(alert.EntityAccessKey),
					Description: "The access key id to deactivate (AKIA…/ASIA…): one of the incident's access-key entities."},
			},
		},
		{
			Name:        NotifyOncall,
			Description: "Page the on-call responder with a link to the incident.",
			Parameters: []Parameter{
				{Name: "message", Type: TypeString, MaxLength: 1000,
					Description: "A note for the on-call responder."},
				{Name: "urgency", Type: TypeString, Enum: []string{"low", "high"},
					Description: "Paging urgency; high pages immediately."},
			},
		},
	}
}

// Default returns a registry of DefaultPlaybooks.
func Default() *Registry { return NewRegistry(DefaultPlaybooks()) }

// Environment variables read by FromEnv.
const (
	EnvPlaybooks     = "MUSTER_PLAYBOOKS"
	EnvPlaybooksFile = "MUSTER_PLAYBOOKS_FILE"
)

// FromEnv builds the registry from MUSTER_PLAYBOOKS (a JSON array of
// playbooks), else from the file named by MUSTER_PLAYBOOKS_FILE, else the
// default set. Configuration errors wrap ErrInvalidConfig.
func FromEnv(getenv func(string) string) (*Registry, error) {
	if v := strings.TrimSpace(getenv(EnvPlaybooks)); v != "" {
		r, err := Parse([]byte(v))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvPlaybooks, err)
		}
		return r, nil
	}
	if path := strings.TrimSpace(getenv(EnvPlaybooksFile)); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s: read %s: %w", EnvPlaybooksFile, path, err)
		}
		r, err := Parse(b)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", EnvPlaybooksFile, path, err)
		}
		return r, nil
	}
	return Default(), nil
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
var paramRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)

// Parse reads a JSON array of playbooks and checks it: names unique and
// lower-case with dashes, parameter names unique, types known, enums only
// on strings, patterns that compile.
func Parse(b []byte) (*Registry, error) {
	var list []Playbook
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&list); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%w: no playbooks", ErrInvalidConfig)
	}
	seen := map[string]bool{}
	for i, p := range list {
		if !nameRE.MatchString(p.Name) {
			return nil, fmt.Errorf("%w: playbook %d: name %q must be lower-case letters, digits and dashes", ErrInvalidConfig, i, p.Name)
		}
		if seen[p.Name] {
			return nil, fmt.Errorf("%w: playbook %q defined twice", ErrInvalidConfig, p.Name)
		}
		seen[p.Name] = true
		params := map[string]bool{}
		for _, q := range p.Parameters {
			if err := q.check(); err != nil {
				return nil, fmt.Errorf("%w: playbook %q: %v", ErrInvalidConfig, p.Name, err)
			}
			if params[q.Name] {
				return nil, fmt.Errorf("%w: playbook %q: parameter %q defined twice", ErrInvalidConfig, p.Name, q.Name)
			}
			params[q.Name] = true
		}
	}
	return NewRegistry(list), nil
}

func (q Parameter) check() error {
	if !paramRE.MatchString(q.Name) {
		return fmt.Errorf("parameter name %q must be a letter followed by letters, digits or _", q.Name)
	}
	switch q.Type {
	case TypeString:
	case TypeNumber, TypeInteger, TypeBoolean:
		if len(q.Enum) > 0 || q.Pattern != "" || q.MaxLength != 0 {
			return fmt.Errorf("parameter %q: enum, pattern and maxLength apply to strings only", q.Name)
		}
	default:
		return fmt.Errorf("parameter %q: unknown type %q (string, number, integer, boolean)", q.Name, q.Type)
	}
	if q.Pattern != "" {
		if _, err := regexp.Compile(anchor(q.Pattern)); err != nil {
			return fmt.Errorf("parameter %q: pattern: %v", q.Name, err)
		}
	}
	if q.MaxLength < 0 {
		return fmt.Errorf("parameter %q: negative maxLength", q.Name)
	}
	if q.InIncident != "" {
		if q.Type != TypeString {
			return fmt.Errorf("parameter %q: inIncident applies to strings only", q.Name)
		}
		if q.InIncident != InIncidentResource && !alert.EntityType(q.InIncident).Valid() {
			return fmt.Errorf("parameter %q: inIncident %q is neither %q nor an entity type", q.Name, q.InIncident, InIncidentResource)
		}
	}
	return nil
}

func anchor(p string) string { return `^(?:` + p + `)$` }

func (p Playbook) compiled() Playbook {
	params := make([]Parameter, len(p.Parameters))
	for i, q := range p.Parameters {
		if q.Pattern != "" && q.re == nil {
			q.re, _ = regexp.Compile(anchor(q.Pattern)) // an invalid pattern matches nothing (see check)
		}
		params[i] = q
	}
	p.Parameters = params
	return p
}

// FieldError is one problem with one parameter.
type FieldError struct {
	// Field is "parameters.<name>".
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (e FieldError) Error() string { return e.Field + ": " + e.Reason }

// ValidationError lists every problem found in a request's parameters. It
// wraps ErrInvalidParameters; the reasons name the parameter and the rule,
// never echo the value.
type ValidationError struct {
	Playbook string
	Errors   []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Errors))
	for i, f := range e.Errors {
		parts[i] = f.Error()
	}
	return fmt.Sprintf("playbook %s: %s", e.Playbook, strings.Join(parts, "; "))
}

// Unwrap makes errors.Is(err, ErrInvalidParameters) hold.
func (e *ValidationError) Unwrap() error { return ErrInvalidParameters }

// InIncidentResource confines a parameter to the incident's affected
// resources (see Parameter.InIncident).
const InIncidentResource = "resource"

// CheckScope checks the parameters confined to the incident (InIncident)
// against what the incident names: its resources by id, its entities by
// type and value (case-insensitive). Call it after Validate.
func (p Playbook) CheckScope(params map[string]any, resources []alert.Resource, entities []alert.Entity) error {
	var errs []FieldError
	for _, q := range p.Parameters {
		v, ok := params[q.Name].(string)
		if q.InIncident == "" || !ok {
			continue
		}
		found := false
		if q.InIncident == InIncidentResource {
			for _, r := range resources {
				if strings.EqualFold(r.ID, v) || strings.HasSuffix(strings.ToLower(r.ID), "/"+strings.ToLower(v)) {
					found = true
					break
				}
			}
			if !found {
				errs = append(errs, FieldError{"parameters." + q.Name, "is not an affected resource of this incident"})
			}
			continue
		}
		for _, e := range entities {
			if string(e.Type) == q.InIncident && strings.EqualFold(e.Value, v) {
				found = true
				break
			}
		}
		if !found {
			errs = append(errs, FieldError{"parameters." + q.Name, "is not a " + q.InIncident + " entity of this incident"})
		}
	}
	if len(errs) > 0 {
		return &ValidationError{Playbook: p.Name, Errors: errs}
	}
	return nil
}

// Validate checks params (as decoded from JSON) against the playbook's
// parameters. A nil map is an empty one. Errors are ordered by parameter
// name.
func (p Playbook) Validate(params map[string]any) error {
	var errs []FieldError
	known := map[string]bool{}
	for _, q := range p.Parameters {
		known[q.Name] = true
		v, ok := params[q.Name]
		if !ok || v == nil {
			if q.Required {
				errs = append(errs, FieldError{"parameters." + q.Name, "required"})
			}
			continue
		}
		if reason := q.validate(v); reason != "" {
			errs = append(errs, FieldError{"parameters." + q.Name, reason})
		}
	}
	for name := range params {
		if !known[name] {
			errs = append(errs, FieldError{"parameters." + name, "unknown parameter"})
		}
	}
	if len(errs) == 0 {
		return nil
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
	return &ValidationError{Playbook: p.Name, Errors: errs}
}

func (q Parameter) validate(v any) string {
	switch q.Type {
	case TypeString:
		s, ok := v.(string)
		if !ok {
			return "must be a string"
		}
		limit := q.MaxLength
		if limit == 0 {
			limit = DefaultMaxLength
		}
		if utf8.RuneCountInString(s) > limit {
			return fmt.Sprintf("longer than %d characters", limit)
		}
		if len(q.Enum) > 0 {
			for _, e := range q.Enum {
				if s == e {
					return ""
				}
			}
			return "must be one of " + strings.Join(q.Enum, ", ")
		}
		if q.Pattern != "" {
			re := q.re
			if re == nil {
				re, _ = regexp.Compile(anchor(q.Pattern))
			}
			if re == nil || !re.MatchString(s) {
				return "does not match the pattern " + q.Pattern
			}
		}
	case TypeBoolean:
		if _, ok := v.(bool); !ok {
			return "must be a boolean"
		}
	case TypeNumber, TypeInteger:
		f, ok := number(v)
		if !ok {
			return "must be a " + q.Type
		}
		if q.Type == TypeInteger && f != math.Trunc(f) {
			return "must be an integer"
		}
	default:
		return "has an unsupported type " + q.Type
	}
	return ""
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}
