package automation

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/playbook"
)

// Triggers returns the triggers an incident change fires: created when
// there was no incident before (old nil), else updated, plus statusChanged
// and alertsAdded when the status or the alert count changed that way.
// Call it only for changes that publish an event (a visible change).
func Triggers(old *incident.Incident, new incident.Incident) []Trigger {
	if old == nil {
		return []Trigger{TriggerCreated}
	}
	out := []Trigger{TriggerUpdated}
	if old.Status != new.Status {
		out = append(out, TriggerStatusChanged)
	}
	if new.AlertCount > old.AlertCount {
		out = append(out, TriggerAlertsAdded)
	}
	return out
}

// EffectiveState is the rule's state at now: Disabled once ExpiresAt has
// passed.
func (r Rule) EffectiveState(now time.Time) State {
	if r.ExpiresAt != nil && !now.Before(*r.ExpiresAt) {
		return Disabled
	}
	return r.State
}

// Sort orders rules as they run: by Order, then name, then id.
func Sort(rules []Rule) {
	slices.SortStableFunc(rules, func(a, b Rule) int {
		return cmp.Or(cmp.Compare(a.Order, b.Order), cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
}

// Outcome is what the rules do to one incident change.
type Outcome struct {
	// Incident is the incident as the acting rules leave it; Changed says
	// whether it differs from the one given.
	Incident incident.Incident
	Changed  bool
	// Entries are the timeline entries to record, one per action that did
	// (or, for a Shadow rule, would have done) something.
	Entries []incident.TimelineEntry
	// Requests are the playbook runs to store.
	Requests []incident.ResponseRequest
	// Matched lists the ids of the rules that matched, Shadow ones
	// included, in run order (their hit counters).
	Matched []string
}

// Evaluator runs rules; its zero value uses the default playbooks.
type Evaluator struct {
	Playbooks *playbook.Registry
}

// Evaluate runs the rules that apply to a change firing triggers on f, in
// rule order, each seeing the incident as the rules before it left it.
func (e Evaluator) Evaluate(rules []Rule, triggers []Trigger, f Facts, now time.Time) Outcome {
	rules = slices.Clone(rules)
	Sort(rules)
	out := Outcome{Incident: f.Incident}
	for _, r := range rules {
		state := r.EffectiveState(now)
		if state == Disabled || !fires(r.Triggers, triggers) {
			continue
		}
		facts := f
		facts.Incident = out.Incident
		if !r.Conditions.Matches(facts) {
			continue
		}
		out.Matched = append(out.Matched, r.ID)
		if e.run(r, state == Shadow, &out, now) {
			break
		}
	}
	return out
}

func fires(want, have []Trigger) bool {
	for _, w := range want {
		if slices.Contains(have, w) {
			return true
		}
	}
	return false
}

// run applies a matched rule's actions to out (to a scratch copy for a
// Shadow rule) and reports whether a stop action ended the run.
func (e Evaluator) run(r Rule, shadow bool, out *Outcome, now time.Time) bool {
	actor := Actor(r.Name)
	inc := out.Incident
	stopped := false
	for i, a := range r.Actions {
		if a.Type == ActionStop {
			stopped = true
			break
		}
		entry, req, changed := e.apply(a, &inc, actor, requestID(inc, r.ID, i))
		if entry.Action == "" {
			continue
		}
		entry.At, entry.Actor = now, actor
		if shadow {
			entry.Action = "shadow: " + entry.Action
			out.Entries = append(out.Entries, entry)
			continue
		}
		out.Entries = append(out.Entries, entry)
		if req != nil {
			req.RequestedBy, req.RequestedAt = actor, now
			out.Requests = append(out.Requests, *req)
		}
		if changed {
			inc.UpdatedAt, inc.UpdatedBy = now, actor
			out.Changed = true
		}
	}
	if !shadow {
		out.Incident = inc
	}
	return stopped
}

// requestID is the id of the response request action i of rule ruleID
// makes on inc at its version: the same on every replay of the change.
func requestID(inc incident.Incident, ruleID string, i int) string {
	sum := sha256.Sum256([]byte(inc.ID + "\x00" + strconv.FormatInt(inc.Version, 10) + "\x00" + ruleID + "\x00" + strconv.Itoa(i)))
	return hex.EncodeToString(sum[:16])
}

// apply does one action to inc. It returns the timeline entry (empty
// Action when the action changed nothing), the response request to store
// and whether the incident changed.
func (e Evaluator) apply(a Action, inc *incident.Incident, actor, reqID string) (incident.TimelineEntry, *incident.ResponseRequest, bool) {
	switch a.Type {
	case ActionAssign:
		if inc.Owner == a.Owner {
			return incident.TimelineEntry{}, nil, false
		}
		en := incident.TimelineEntry{Action: "owner changed", From: inc.Owner, To: a.Owner}
		inc.Owner = a.Owner
		return en, nil, true
	case ActionSetSeverity:
		sev, _ := alert.ParseSeverity(a.Severity)
		if inc.Severity == sev {
			return incident.TimelineEntry{}, nil, false
		}
		en := incident.TimelineEntry{Action: "severity changed", From: inc.Severity.String(), To: sev.String()}
		// Set by someone, so the correlator no longer derives it.
		inc.Severity, inc.SeveritySetBy = sev, actor
		return en, nil, true
	case ActionAddTags, ActionRemoveTags:
		return retag(a, inc)
	case ActionSetStatus:
		return setStatus(a, inc)
	case ActionRunPlaybook:
		return e.runPlaybook(a, *inc, reqID)
	}
	return incident.TimelineEntry{}, nil, false
}

func retag(a Action, inc *incident.Incident) (incident.TimelineEntry, *incident.ResponseRequest, bool) {
	var done []string
	tags := slices.Clone(inc.Tags)
	for _, t := range a.Tags {
		has := slices.Contains(tags, t)
		switch {
		case a.Type == ActionAddTags && !has && len(tags) < incident.MaxTags:
			tags = append(tags, t)
			done = append(done, t)
		case a.Type == ActionRemoveTags && has:
			tags = slices.DeleteFunc(tags, func(x string) bool { return x == t })
			done = append(done, t)
		}
	}
	if len(done) == 0 {
		return incident.TimelineEntry{}, nil, false
	}
	inc.Tags = tags
	action := "tags added"
	if a.Type == ActionRemoveTags {
		action = "tags removed"
	}
	return incident.TimelineEntry{Action: action, Detail: strings.Join(done, ", ")}, nil, true
}

func setStatus(a Action, inc *incident.Incident) (incident.TimelineEntry, *incident.ResponseRequest, bool) {
	st, _ := incident.ParseStatus(a.Status)
	class := incident.Classification(a.Classification)
	if st == inc.Status && (class == "" || class == inc.Classification) {
		return incident.TimelineEntry{}, nil, false
	}
	if !incident.CanTransition(inc.Status, st) {
		return incident.TimelineEntry{Action: "action skipped",
			Detail: "setStatus: " + string(inc.Status) + " → " + string(st) + " is not allowed"}, nil, false
	}
	en := incident.TimelineEntry{Action: "status changed", From: string(inc.Status), To: string(st), Detail: a.Comment}
	inc.Status = st
	if class != "" {
		inc.Classification = class
	}
	return en, nil, true
}

// runPlaybook resolves the parameters from the incident and checks them by
// the playbook's own rules and the incident's scope, as a person's request
// is checked; a request that fails is skipped with the reason.
func (e Evaluator) runPlaybook(a Action, inc incident.Incident, reqID string) (incident.TimelineEntry, *incident.ResponseRequest, bool) {
	reg := e.Playbooks
	if reg == nil {
		reg = playbook.Default()
	}
	skip := func(reason string) (incident.TimelineEntry, *incident.ResponseRequest, bool) {
		return incident.TimelineEntry{Action: "action skipped", Detail: "runPlaybook " + a.Playbook + ": " + reason}, nil, false
	}
	pb, err := reg.Get(a.Playbook)
	if err != nil {
		return skip("no such playbook")
	}
	params, err := resolve(a.Parameters, inc)
	if err != nil {
		return skip(err.Error())
	}
	if err := pb.Validate(params); err != nil {
		return skip(err.Error())
	}
	if err := pb.CheckScope(params, inc.Resources, inc.Entities); err != nil {
		return skip(err.Error())
	}
	req := &incident.ResponseRequest{ID: reqID, IncidentID: inc.ID, Playbook: pb.Name, Parameters: params}
	return incident.TimelineEntry{Action: "response requested", Detail: pb.Name}, req, false
}
