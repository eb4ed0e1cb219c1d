package automation

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/playbook"
)

// Templates a runPlaybook parameter value may name ("{{firstInstanceId}}"),
// each resolved from the incident when the rule runs.
var templates = map[string]func(incident.Incident) string{
	"incidentId":      func(inc incident.Incident) string { return inc.ID },
	"firstResourceId": func(inc incident.Incident) string { return firstResource(inc, "") },
	"firstInstanceId": func(inc incident.Incident) string { return firstResource(inc, "i-") },
	"firstAccessKey":  func(inc incident.Incident) string { return firstEntity(inc, alert.EntityAccessKey) },
	"firstAccount":    func(inc incident.Incident) string { return firstEntity(inc, alert.EntityAccount) },
	"firstIp":         func(inc incident.Incident) string { return firstEntity(inc, alert.EntityIP) },
	"firstHost":       func(inc incident.Incident) string { return firstEntity(inc, alert.EntityHost) },
}

var templateRE = regexp.MustCompile(`^\{\{\s*([A-Za-z]+)\s*\}\}$`)

// templateName returns the template a parameter value names, if any.
func templateName(v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		return "", false
	}
	m := templateRE.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// firstResource is the id of the incident's first resource whose id (or
// its last path segment, for ARNs) starts with prefix.
func firstResource(inc incident.Incident, prefix string) string {
	for _, r := range inc.Resources {
		id := r.ID
		if i := strings.LastIndex(id, "/"); i >= 0 && prefix != "" {
			id = id[i+1:]
		}
		if strings.HasPrefix(id, prefix) {
			return id
		}
	}
	return ""
}

func firstEntity(inc incident.Incident, t alert.EntityType) string {
	for _, e := range inc.Entities {
		if e.Type == t {
			return e.Value
		}
	}
	return ""
}

func (a Action) validate(field string, playbooks *playbook.Registry) error {
	switch a.Type {
	case ActionAssign:
		if strings.TrimSpace(a.Owner) == "" || len(a.Owner) > MaxOwnerLen {
			return invalid(field+".owner", "is required: 1–%d characters", MaxOwnerLen)
		}
	case ActionSetSeverity:
		if _, ok := alert.ParseSeverity(a.Severity); !ok {
			return invalid(field+".severity", "must be Informational, Low, Medium, High or Critical")
		}
	case ActionAddTags, ActionRemoveTags:
		if len(a.Tags) == 0 || len(a.Tags) > incident.MaxTags {
			return invalid(field+".tags", "give 1 to %d tags", incident.MaxTags)
		}
		for _, t := range a.Tags {
			if !incident.ValidTag(t) {
				return invalid(field+".tags", "%q: a tag is 1–64 of A-Z a-z 0-9 : . _ / -", t)
			}
		}
	case ActionSetStatus:
		return a.validateStatus(field)
	case ActionRunPlaybook:
		return a.validatePlaybook(field, playbooks)
	case ActionStop:
	default:
		return invalid(field+".type", "must be assign, setSeverity, addTags, removeTags, setStatus, runPlaybook or stop")
	}
	return nil
}

func (a Action) validateStatus(field string) error {
	if _, ok := incident.ParseStatus(a.Status); !ok {
		return invalid(field+".status", "must be Active, InProgress, Resolved or Dismissed")
	}
	if a.Classification != "" && !incident.Classification(a.Classification).Valid() {
		return invalid(field+".classification", "must be TruePositive, BenignPositive, FalsePositive or Undetermined")
	}
	if len(a.Comment) > MaxCommentLen {
		return invalid(field+".comment", "longer than %d characters", MaxCommentLen)
	}
	return nil
}

// validatePlaybook checks the playbook exists and the parameters pass its
// rules, leaving out the checks a templated value can only pass once it is
// resolved (pattern, scope), which run when the rule runs.
func (a Action) validatePlaybook(field string, playbooks *playbook.Registry) error {
	pb, err := playbooks.Get(a.Playbook)
	if err != nil {
		return invalid(field+".playbook", "no playbook of that name; GET /playbooks lists them")
	}
	fixed := map[string]any{}
	templated := map[string]bool{}
	for k, v := range a.Parameters {
		name, ok := templateName(v)
		if !ok {
			fixed[k] = v
			continue
		}
		if _, known := templates[name]; !known {
			return invalid(field+".parameters."+k, "unknown template {{%s}}", name)
		}
		templated[k] = true
	}
	err = pb.Validate(fixed)
	var ve *playbook.ValidationError
	if errors.As(err, &ve) {
		for _, fe := range ve.Errors {
			if !templated[strings.TrimPrefix(fe.Field, "parameters.")] {
				return invalid(field+"."+fe.Field, "%s", fe.Reason)
			}
		}
	}
	return nil
}

// resolve returns the parameters with templates replaced from inc, or an
// error naming the template the incident has no value for.
func resolve(params map[string]any, inc incident.Incident) (map[string]any, error) {
	out := make(map[string]any, len(params))
	for k, v := range params {
		name, ok := templateName(v)
		if !ok {
			out[k] = v
			continue
		}
		val := templates[name](inc)
		if val == "" {
			return nil, fmt.Errorf("parameters.%s: the incident has no value for {{%s}}", k, name)
		}
		out[k] = val
	}
	return out, nil
}
