package automation

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/playbook"
	"github.com/muster-sec/muster/shared/rulemeta"
)

// Sentinels: ErrInvalid wraps validation errors (with an *alert.FieldError
// naming the field); stores return ErrNotFound for an unknown rule.
var (
	ErrInvalid  = errors.New("invalid automation rule")
	ErrNotFound = errors.New("automation rule not found")
	// ErrApplied is a store's answer to a run stored before for the same
	// incident version (a replayed change).
	ErrApplied = errors.New("automation already applied to this incident version")
)

// ActorPrefix starts the actor of every change a rule makes.
const ActorPrefix = "automation:"

// Actor is the actor name of rule name's changes.
func Actor(name string) string { return ActorPrefix + name }

// ByAutomation reports whether a change was made by a rule.
func ByAutomation(updatedBy string) bool { return strings.HasPrefix(updatedBy, ActorPrefix) }

// State is a rule's state.
type State string

// Rule states.
const (
	Enabled  State = "Enabled"
	Disabled State = "Disabled"
	Shadow   State = "Shadow"
)

// Trigger is a kind of incident change a rule runs on.
type Trigger string

// Triggers.
const (
	TriggerCreated       Trigger = "created"
	TriggerUpdated       Trigger = "updated"
	TriggerAlertsAdded   Trigger = "alertsAdded"
	TriggerStatusChanged Trigger = "statusChanged"
)

var allTriggers = []Trigger{TriggerCreated, TriggerUpdated, TriggerAlertsAdded, TriggerStatusChanged}

// Action types.
const (
	ActionAssign      = "assign"
	ActionSetSeverity = "setSeverity"
	ActionAddTags     = "addTags"
	ActionRemoveTags  = "removeTags"
	ActionSetStatus   = "setStatus"
	ActionRunPlaybook = "runPlaybook"
	ActionStop        = "stop"
)

// Conditions select incidents. Every given condition must hold; a list
// condition holds when any of its values matches.
type Conditions struct {
	SeverityAtLeast string   `json:"severityAtLeast,omitempty"`
	Severities      []string `json:"severities,omitempty"`
	Tactics         []string `json:"tactics,omitempty"`
	Providers       []string `json:"providers,omitempty"`
	// AlertTypes match the incident's alerts' types exactly, or by prefix
	// when a value ends in "*".
	AlertTypes []string `json:"alertTypes,omitempty"`
	// Resources match resource ids (case-insensitive).
	Resources []string `json:"resources,omitempty"`
	// ResourceTags hold when one resource carries every pair ("*" as a
	// value: any value).
	ResourceTags map[string]string `json:"resourceTags,omitempty"`
	// Entities match an entity's value, or "type:value".
	Entities      []string `json:"entities,omitempty"`
	TitleContains string   `json:"titleContains,omitempty"`
	Tags          []string `json:"tags,omitempty"`
	MinConfidence int      `json:"minConfidence,omitempty"`
}

// Action is one thing a rule does; which fields count depends on Type.
type Action struct {
	Type           string         `json:"type"`
	Owner          string         `json:"owner,omitempty"`
	Severity       string         `json:"severity,omitempty"`
	Tags           []string       `json:"tags,omitempty"`
	Status         string         `json:"status,omitempty"`
	Classification string         `json:"classification,omitempty"`
	Comment        string         `json:"comment,omitempty"`
	Playbook       string         `json:"playbook,omitempty"`
	Parameters     map[string]any `json:"parameters,omitempty"`
}

// Rule is one automation rule.
type Rule struct {
	rulemeta.Meta
	Name       string     `json:"name"`
	Order      int        `json:"order"`
	State      State      `json:"state"`
	Triggers   []Trigger  `json:"triggers"`
	Conditions Conditions `json:"conditions"`
	Actions    []Action   `json:"actions"`
	ExpiresAt  *time.Time `json:"expiresAt,omitempty"`
}

// Limits of a rule.
const (
	MaxNameLen    = 128
	MaxActions    = 10
	MaxListValues = 50
	MaxCommentLen = 1000
	MaxOwnerLen   = 256
)

var nameRE = regexp.MustCompile(`^[^\x00-\x1f]{1,128}$`)

func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%w: %w", ErrInvalid, &alert.FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// Validate checks the rule against the playbooks it may run (nil: the
// default set) and fills defaults (state Enabled, every trigger).
func (r *Rule) Validate(playbooks *playbook.Registry) error {
	if !nameRE.MatchString(r.Name) || strings.TrimSpace(r.Name) == "" {
		return invalid("name", "is required: 1–%d printable characters", MaxNameLen)
	}
	if r.State == "" {
		r.State = Enabled
	}
	if r.State != Enabled && r.State != Disabled && r.State != Shadow {
		return invalid("state", "must be Enabled, Disabled or Shadow")
	}
	if len(r.Triggers) == 0 {
		r.Triggers = append([]Trigger(nil), allTriggers...)
	}
	for i, t := range r.Triggers {
		if !t.valid() {
			return invalid(fmt.Sprintf("triggers[%d]", i), "must be created, updated, alertsAdded or statusChanged")
		}
	}
	if err := r.Conditions.validate(); err != nil {
		return err
	}
	if len(r.Actions) == 0 || len(r.Actions) > MaxActions {
		return invalid("actions", "give 1 to %d actions", MaxActions)
	}
	if playbooks == nil {
		playbooks = playbook.Default()
	}
	for i, a := range r.Actions {
		if err := a.validate(fmt.Sprintf("actions[%d]", i), playbooks); err != nil {
			return err
		}
	}
	return nil
}

func (t Trigger) valid() bool {
	for _, k := range allTriggers {
		if t == k {
			return true
		}
	}
	return false
}

func (c Conditions) validate() error {
	if c.SeverityAtLeast != "" {
		if _, ok := alert.ParseSeverity(c.SeverityAtLeast); !ok {
			return invalid("conditions.severityAtLeast", "must be Informational, Low, Medium, High or Critical")
		}
	}
	for _, v := range c.Severities {
		if _, ok := alert.ParseSeverity(v); !ok {
			return invalid("conditions.severities", "%q is not a severity", v)
		}
	}
	for _, v := range c.Tactics {
		if _, ok := killchain.Parse(v); !ok {
			return invalid("conditions.tactics", "%q is not a kill-chain stage", v)
		}
	}
	lists := map[string][]string{"severities": c.Severities, "tactics": c.Tactics, "providers": c.Providers,
		"alertTypes": c.AlertTypes, "resources": c.Resources, "entities": c.Entities, "tags": c.Tags}
	for name, l := range lists {
		if len(l) > MaxListValues {
			return invalid("conditions."+name, "at most %d values", MaxListValues)
		}
		for _, v := range l {
			if v == "" || len(v) > 1024 {
				return invalid("conditions."+name, "values must be 1–1024 characters")
			}
		}
	}
	if len(c.ResourceTags) > MaxListValues {
		return invalid("conditions.resourceTags", "at most %d tags", MaxListValues)
	}
	if c.MinConfidence < 0 || c.MinConfidence > 100 {
		return invalid("conditions.minConfidence", "must be 0–100")
	}
	if len(c.TitleContains) > 1024 {
		return invalid("conditions.titleContains", "longer than 1024 characters")
	}
	return nil
}
