package normalize

import (
	"fmt"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/killchain"
)

// genericAlert is Muster's own format (README.md, "The generic format"):
// id, type, severity, firstSeen and at least one resource are required.
type genericAlert struct {
	ID               string   `json:"id"`
	Type             string   `json:"type"`
	Name             string   `json:"name"`
	Description      string   `json:"description"`
	Severity         string   `json:"severity"`
	Status           string   `json:"status"`
	Tactics          []string `json:"tactics"`
	Techniques       []string `json:"techniques"`
	RemediationSteps []string `json:"remediationSteps"`
	FirstSeen        string   `json:"firstSeen"`
	LastSeen         string   `json:"lastSeen"`
	Resources        []struct {
		ID      string            `json:"id"`
		Type    string            `json:"type"`
		Name    string            `json:"name"`
		Region  string            `json:"region"`
		Account string            `json:"account"`
		Tags    map[string]string `json:"tags"`
	} `json:"resources"`
	Entities []struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	} `json:"entities"`
}

func parseGeneric(c *collector, obj []byte) {
	var g genericAlert
	if !c.read(obj, &g) {
		return
	}
	a, err := genericToAlert(&g, c.receivedAt)
	c.result(a, err, obj)
}

func genericToAlert(g *genericAlert, at time.Time) (*alert.Alert, error) {
	if strings.TrimSpace(g.ID) == "" {
		return nil, alert.Invalid("id", "is required")
	}
	if strings.TrimSpace(g.Type) == "" {
		return nil, alert.Invalid("type", "is required")
	}
	if g.Severity == "" {
		return nil, alert.Invalid("severity", "is required")
	}
	sev, ok := alert.ParseSeverity(g.Severity)
	if !ok {
		return nil, alert.Invalid("severity", "must be one of Informational, Low, Medium, High, Critical")
	}
	if g.FirstSeen == "" {
		return nil, alert.Invalid("firstSeen", "is required")
	}
	first, err := parseTime("firstSeen", g.FirstSeen, at)
	if err != nil {
		return nil, err
	}
	last, err := parseTime("lastSeen", g.LastSeen, at)
	if err != nil {
		return nil, err
	}
	if !last.IsZero() && last.Before(first) {
		return nil, alert.Invalid("lastSeen", "is before firstSeen")
	}
	status := alert.StatusActive
	if g.Status != "" {
		if status, ok = alert.ParseStatus(g.Status); !ok {
			return nil, alert.Invalid("status", "must be one of Active, Resolved, Dismissed")
		}
	}
	a := &alert.Alert{
		Provider:         alert.ProviderGeneric,
		SourceID:         strings.TrimSpace(g.ID),
		Type:             strings.TrimSpace(g.Type),
		Name:             g.Name,
		Description:      g.Description,
		Severity:         sev,
		Status:           status,
		Techniques:       g.Techniques,
		RemediationSteps: g.RemediationSteps,
		FirstSeen:        first,
		LastSeen:         last,
	}
	if len(g.Tactics) > alert.MaxListLen {
		return nil, alert.Invalid("tactics", "more than %d tactics", alert.MaxListLen)
	}
	for i, t := range g.Tactics {
		s, ok := killchain.Parse(t)
		if !ok {
			return nil, alert.Invalid(fmt.Sprintf("tactics[%d]", i), "unknown kill-chain stage or MITRE tactic %q", alert.Truncate(t, 64))
		}
		a.Tactics = append(a.Tactics, s)
	}
	if len(g.Resources) == 0 {
		return nil, alert.Invalid("resources", "at least one resource is required")
	}
	if len(g.Resources) > alert.MaxResources {
		return nil, alert.Invalid("resources", "more than %d resources", alert.MaxResources)
	}
	for i, r := range g.Resources {
		if strings.TrimSpace(r.ID) == "" {
			return nil, alert.Invalid(fmt.Sprintf("resources[%d].id", i), "is required")
		}
		a.Resources = append(a.Resources, alert.Resource{ID: r.ID, Type: r.Type, Name: r.Name, Region: r.Region, Account: r.Account, Tags: r.Tags})
	}
	if len(g.Entities) > alert.MaxEntities {
		return nil, alert.Invalid("entities", "more than %d entities", alert.MaxEntities)
	}
	for i, e := range g.Entities {
		t := alert.EntityType(strings.ToLower(strings.TrimSpace(e.Type)))
		if !t.Valid() {
			return nil, alert.Invalid(fmt.Sprintf("entities[%d].type", i), "must be one of ip, host, account, accesskey, process, filehash, domain, url, container, pod")
		}
		if strings.TrimSpace(e.Value) == "" {
			return nil, alert.Invalid(fmt.Sprintf("entities[%d].value", i), "is required")
		}
		a.Entities = append(a.Entities, alert.Entity{Type: t, Value: e.Value})
	}
	return a, nil
}
