// Package playbook is the registry of automated responses an analyst or a
// bot can request on an incident (POST /incidents/{id}/respond): each has a
// name, a description and a parameter schema the request is validated
// against. The responder publishes accepted requests as "Incident Response
// Requested" events; EventBridge rules start the playbooks.
package playbook

import (
	"errors"
)

// ErrUnknown is returned for a playbook name not in the registry.
var ErrUnknown = errors.New("unknown playbook")

// ErrInvalidParameters wraps parameter validation failures.
var ErrInvalidParameters = errors.New("invalid playbook parameters")

// Parameter describes one playbook parameter.
type Parameter struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"` // string, number, boolean
	Description string   `json:"description"`
	Required    bool     `json:"required"`
	Enum        []string `json:"enum,omitempty"`
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

// NewRegistry returns a registry of the given playbooks.
func NewRegistry(list []Playbook) *Registry { return &Registry{list: list} }

// List returns every playbook.
func (r *Registry) List() []Playbook { return r.list }

// Get returns the named playbook or ErrUnknown.
func (r *Registry) Get(name string) (Playbook, error) {
	for _, p := range r.list {
		if p.Name == name {
			return p, nil
		}
	}
	return Playbook{}, ErrUnknown
}
