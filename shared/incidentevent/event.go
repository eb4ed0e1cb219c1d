package incidentevent

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/resources"
)

// Source is the source of every Muster event.
const Source = resources.EventSource

// Detail types.
const (
	DetailTypeCreated           = "Incident Created"
	DetailTypeUpdated           = "Incident Updated"
	DetailTypeStatusChanged     = "Incident Status Changed"
	DetailTypeResponseRequested = "Incident Response Requested"
	DetailTypeResponseUpdated   = "Incident Response Updated"
)

// DetailTypes lists every detail type.
var DetailTypes = []string{DetailTypeCreated, DetailTypeUpdated, DetailTypeStatusChanged, DetailTypeResponseRequested,
	DetailTypeResponseUpdated}

// SchemaVersion is detail.version; it changes only on a breaking change.
const SchemaVersion = "1"

// Change kinds, in change.kind.
const (
	KindCreated           = "created"
	KindUpdated           = "updated"
	KindDissolved         = "dissolved"
	KindMerged            = "merged"
	KindAlertsAdded       = "alertsAdded"
	KindAlertsRemoved     = "alertsRemoved"
	KindOwnerChanged      = "ownerChanged"
	KindSeverityChanged   = "severityChanged"
	KindCommentAdded      = "commentAdded"
	KindStatusChanged     = "statusChanged"
	KindResponseRequested = "responseRequested"
	KindResponseUpdated   = "responseUpdated"
)

// DefaultActor is change.by when the incident does not say who changed it
// (an item written before the correlator recorded itself as UpdatedBy on
// every change; correlate.Actor is the same name).
const DefaultActor = "correlator"

// DefaultAPIURL is the base of the links when none is configured.
const DefaultAPIURL = "http://127.0.0.1:8080"

// MaxListed bounds the resources and entities listed in a summary and the
// list values in change.fields.
const MaxListed = 50

// MaxDetailBytes is the size a detail is trimmed to (see Event.DetailJSON),
// leaving room under EventBridge's 256 KB entry limit for the envelope.
const MaxDetailBytes = 200 << 10

// Rule patterns for the two worked playbooks, in EventBridge pattern syntax.
const (
	// NotifyPattern matches incidents created at, or escalated to, High or
	// Critical severity.
	NotifyPattern = `{"source":["muster"],"detail-type":["Incident Created","Incident Updated","Incident Status Changed"],"detail":{"incident":{"severity":["High","Critical"]},"change":{"severityRaised":[true]}}}`
	// IsolateInstancePattern matches requests for the isolate-instance playbook.
	IsolateInstancePattern = `{"source":["muster"],"detail-type":["Incident Response Requested"],"detail":{"playbook":["isolate-instance"]}}`
)

// Image is one side of an incident item change, as stored: the incident and
// whether the group has reached the incident threshold.
type Image struct {
	Incident   incident.Incident
	IsIncident bool
	// Members are the ids of the incident's alerts (from the correlator's
	// state on the item), to tell which alerts a change added or removed.
	Members []string
}

// Event is one event to publish.
type Event struct {
	DetailType string
	// Time is when the change was committed (the envelope's time).
	Time   time.Time
	Detail Detail
}

// ID is the stable event id consumers de-duplicate on.
func (e Event) ID() string { return e.Detail.EventID }

// Detail is the event's detail.
type Detail struct {
	Version  string  `json:"version"`
	EventID  string  `json:"eventId"`
	Incident Summary `json:"incident"`
	Change   Change  `json:"change"`
	// Response requests and their reports only.
	Playbook    string         `json:"playbook,omitempty"`
	Parameters  map[string]any `json:"parameters,omitempty"`
	RequestID   string         `json:"requestId,omitempty"`
	RequestedBy string         `json:"requestedBy,omitempty"`
	// Comment is the comment added (commentAdded only).
	Comment *incident.Comment `json:"comment,omitempty"`
	// Report is the playbook's report (Incident Response Updated only).
	Report *Report `json:"report,omitempty"`
}

// Report is what a playbook reported on its request.
type Report struct {
	Status     string         `json:"status"`
	Message    string         `json:"message,omitempty"`
	Outputs    map[string]any `json:"outputs,omitempty"`
	Link       string         `json:"link,omitempty"`
	ReportedAt time.Time      `json:"reportedAt"`
	// Sequence counts the request's accepted reports, 1 for the first.
	Sequence int64 `json:"sequence"`
}

// MarshalJSON writes parameters as {} rather than omitting them on a
// response request.
func (d Detail) MarshalJSON() ([]byte, error) {
	type plain Detail
	if d.Playbook == "" {
		return json.Marshal(plain(d))
	}
	params := d.Parameters
	if params == nil {
		params = map[string]any{}
	}
	return json.Marshal(struct {
		plain
		Parameters map[string]any `json:"parameters"`
	}{plain(d), params})
}

// Summary is the incident as consumers see it.
type Summary struct {
	ID             string           `json:"id"`
	Title          string           `json:"title"`
	Description    string           `json:"description,omitempty"`
	Severity       string           `json:"severity"`
	Status         string           `json:"status"`
	Classification string           `json:"classification,omitempty"`
	Owner          string           `json:"owner,omitempty"`
	Tactics        []string         `json:"tactics"`
	Techniques     []string         `json:"techniques,omitempty"`
	Resources      []alert.Resource `json:"resources"`
	ResourceCount  int              `json:"resourceCount"`
	Entities       []alert.Entity   `json:"entities"`
	EntityCount    int              `json:"entityCount"`
	AlertCount     int              `json:"alertCount"`
	MultiResource  bool             `json:"multiResource"`
	Confidence     int              `json:"confidence"`
	Tags           []string         `json:"tags,omitempty"`
	Sources        []string         `json:"sources"`
	FirstActivity  time.Time        `json:"firstActivity"`
	LastActivity   time.Time        `json:"lastActivity"`
	CreatedAt      time.Time        `json:"createdAt"`
	UpdatedAt      time.Time        `json:"updatedAt"`
	MergedInto     string           `json:"mergedInto,omitempty"`
	ContinuationOf string           `json:"continuationOf,omitempty"`
	ContinuedIn    string           `json:"continuedIn,omitempty"`
	Version        int64            `json:"version"`
	// Truncated is set when the summary was trimmed to fit the size limit.
	Truncated bool  `json:"truncated,omitempty"`
	Links     Links `json:"links"`
}

// Links point into the REST API.
type Links struct {
	Self    string `json:"self"`
	Alerts  string `json:"alerts"`
	Actions string `json:"actions"`
}

// Change says what happened, by whom and when.
type Change struct {
	Kind   string        `json:"kind"`
	Fields []FieldChange `json:"fields"`
	// Alerts are the alerts added (alertsAdded) or removed (alertsRemoved),
	// at most MaxListed.
	Alerts []string `json:"alerts,omitempty"`
	// SeverityRaised is true on creation and when the severity went up.
	SeverityRaised bool      `json:"severityRaised"`
	By             string    `json:"by"`
	At             time.Time `json:"at"`
}

// FieldChange is one changed field with its old and new values (JSON
// values; null when absent).
type FieldChange struct {
	Field string `json:"field"`
	From  any    `json:"from"`
	To    any    `json:"to"`
}

// Builder builds events. The zero value links to DefaultAPIURL.
type Builder struct {
	// APIURL is the public base URL of the REST API (MUSTER_API_URL).
	APIURL string
}

// EventID is the stable id of the event for an incident change committed
// at version.
func EventID(incidentID string, version int64) string {
	return incidentID + ":v" + strconv.FormatInt(version, 10)
}

// ResponseEventID is the stable id of the event for a response request.
func ResponseEventID(incidentID, requestID string) string {
	return incidentID + ":response:" + requestID
}

// FromChange decides the event for an incident item change from its old
// and new images (old nil on insert). It reports false when the change
// publishes nothing; see the package documentation for the rules.
func (b Builder) FromChange(old, new *Image) (Event, bool) {
	dissolved := new != nil && !new.IsIncident && old != nil && old.IsIncident && new.Incident.MergedInto == ""
	if new == nil || (!new.IsIncident && !dissolved) {
		return Event{}, false
	}
	inc := new.Incident
	ch := Change{By: inc.UpdatedBy, At: changeTime(inc), Fields: []FieldChange{}}
	if ch.By == "" {
		ch.By = DefaultActor
	}
	var detailType string
	switch {
	case dissolved:
		detailType, ch.Kind = DetailTypeUpdated, KindDissolved
		ch.Fields = Diff(old.Incident, inc)
		if len(ch.Fields) == 0 {
			ch.Fields = []FieldChange{{Field: "confidence", From: old.Incident.Confidence, To: inc.Confidence}}
		}
	case old == nil || !old.IsIncident:
		detailType, ch.Kind, ch.SeverityRaised = DetailTypeCreated, KindCreated, true
	default:
		ch.Fields = Diff(old.Incident, inc)
		if len(ch.Fields) == 0 {
			return Event{}, false
		}
		ch.SeverityRaised = inc.Severity.Valid() && inc.Severity > old.Incident.Severity
		if old.Incident.Status != inc.Status {
			detailType, ch.Kind = DetailTypeStatusChanged, KindStatusChanged
		} else {
			detailType = DetailTypeUpdated
			ch.Kind, ch.Alerts = updateKind(old, new)
		}
	}
	return Event{
		DetailType: detailType,
		Time:       ch.At,
		Detail: Detail{
			Version:  SchemaVersion,
			EventID:  EventID(inc.ID, inc.Version),
			Incident: b.Summary(inc),
			Change:   ch,
		},
	}, true
}

// updateKind says what an update was about, for a bot mirroring the
// incident: merged into another, alerts added or removed (with their
// ids), owner or severity changed; "updated" for anything else.
func updateKind(old, new *Image) (string, []string) {
	added, removed := diffIDs(old.Members, new.Members), diffIDs(new.Members, old.Members)
	switch {
	case new.Incident.MergedInto != "" && old.Incident.MergedInto == "":
		return KindMerged, nil
	case len(removed) > 0:
		return KindAlertsRemoved, removed[:min(len(removed), MaxListed)]
	case len(added) > 0:
		return KindAlertsAdded, added[:min(len(added), MaxListed)]
	case old.Incident.Owner != new.Incident.Owner:
		return KindOwnerChanged, nil
	case old.Incident.Severity != new.Incident.Severity:
		return KindSeverityChanged, nil
	}
	return KindUpdated, nil
}

// diffIDs lists the ids in b that are not in a, sorted.
func diffIDs(a, b []string) []string {
	in := make(map[string]bool, len(a))
	for _, id := range a {
		in[id] = true
	}
	var out []string
	for _, id := range b {
		if !in[id] {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// FromComment builds the event for a comment added to inc.
func (b Builder) FromComment(c incident.Comment, inc incident.Incident) Event {
	return Event{
		DetailType: DetailTypeUpdated,
		Time:       c.At.UTC(),
		Detail: Detail{
			Version:  SchemaVersion,
			EventID:  inc.ID + ":comment:" + c.ID,
			Incident: b.Summary(inc),
			Change:   Change{Kind: KindCommentAdded, Fields: []FieldChange{}, By: c.Author, At: c.At.UTC()},
			Comment:  &c,
		},
	}
}

// FromResponse builds the event for a committed response request on inc.
func (b Builder) FromResponse(req incident.ResponseRequest, inc incident.Incident) Event {
	by := req.RequestedBy
	if by == "" {
		by = "unknown"
	}
	return Event{
		DetailType: DetailTypeResponseRequested,
		Time:       req.RequestedAt,
		Detail: Detail{
			Version:     SchemaVersion,
			EventID:     ResponseEventID(inc.ID, req.ID),
			Incident:    b.Summary(inc),
			Change:      Change{Kind: KindResponseRequested, Fields: []FieldChange{}, By: by, At: req.RequestedAt},
			Playbook:    req.Playbook,
			Parameters:  req.Parameters,
			RequestID:   req.ID,
			RequestedBy: by,
		},
	}
}

// ResponseUpdateEventID is the stable id of the event for the report
// numbered sequence on a response request.
func ResponseUpdateEventID(incidentID, requestID string, sequence int64) string {
	return ResponseEventID(incidentID, requestID) + ":r" + strconv.FormatInt(sequence, 10)
}

// FromResponseUpdate builds the event for a report a playbook made on req
// (req as stored after the report; old is the request before it). It
// reports false when the change is not a new report.
func (b Builder) FromResponseUpdate(old, req incident.ResponseRequest, inc incident.Incident) (Event, bool) {
	if req.Reports <= old.Reports || req.UpdatedAt == nil || req.Status == "" {
		return Event{}, false
	}
	at := req.UpdatedAt.UTC()
	ev := b.FromResponse(req, inc)
	ev.DetailType, ev.Time = DetailTypeResponseUpdated, at
	ev.Detail.EventID = ResponseUpdateEventID(inc.ID, req.ID, req.Reports)
	ev.Detail.Change = Change{Kind: KindResponseUpdated, Fields: []FieldChange{}, By: "playbook:" + req.Playbook, At: at}
	ev.Detail.Report = &Report{Status: string(req.Status), Message: req.Message, Outputs: req.Outputs, Link: req.Link,
		ReportedAt: at, Sequence: req.Reports}
	return ev, true
}

func changeTime(inc incident.Incident) time.Time {
	for _, t := range []time.Time{inc.UpdatedAt, inc.CreatedAt, inc.LastActivity} {
		if !t.IsZero() {
			return t.UTC()
		}
	}
	return time.Time{}
}

// Summary returns the consumer view of inc.
func (b Builder) Summary(inc incident.Incident) Summary {
	base := strings.TrimRight(b.APIURL, "/")
	if base == "" {
		base = DefaultAPIURL
	}
	self := base + "/incidents/" + inc.ID
	sev := ""
	if inc.Severity.Valid() {
		sev = inc.Severity.String()
	}
	s := Summary{
		ID:             inc.ID,
		Title:          inc.Title,
		Description:    inc.Description,
		Severity:       sev,
		Status:         string(inc.Status),
		Classification: string(inc.Classification),
		Owner:          inc.Owner,
		Tactics:        stageNames(inc.Tactics),
		Techniques:     inc.Techniques,
		Resources:      capped(inc.Resources),
		ResourceCount:  len(inc.Resources),
		Entities:       capped(inc.Entities),
		EntityCount:    len(inc.Entities),
		AlertCount:     inc.AlertCount,
		MultiResource:  inc.MultiResource,
		Confidence:     inc.Confidence,
		Tags:           inc.Tags,
		Sources:        nonNil(inc.Sources),
		FirstActivity:  inc.FirstActivity.UTC(),
		LastActivity:   inc.LastActivity.UTC(),
		CreatedAt:      inc.CreatedAt.UTC(),
		UpdatedAt:      inc.UpdatedAt.UTC(),
		MergedInto:     inc.MergedInto,
		ContinuationOf: inc.ContinuationOf,
		ContinuedIn:    inc.ContinuedIn,
		Version:        inc.Version,
		Links:          Links{Self: self, Alerts: self + "/alerts", Actions: self + "/actions"},
	}
	s.Truncated = len(inc.Resources) > MaxListed || len(inc.Entities) > MaxListed
	return s
}

func stageNames(st []killchain.Stage) []string {
	out := make([]string, 0, len(st))
	for _, s := range st {
		out = append(out, s.String())
	}
	return out
}

func capped[T any](in []T) []T {
	if len(in) > MaxListed {
		in = in[:MaxListed]
	}
	return append(make([]T, 0, len(in)), in...)
}

func nonNil(in []string) []string {
	if in == nil {
		return []string{}
	}
	return in
}

// Diff lists the visible fields that differ between old and new, status
// first. Bookkeeping (updatedAt, updatedBy, severitySetBy, version) and
// the correlator's private state are not visible. List values are capped at
// MaxListed items.
func Diff(old, new incident.Incident) []FieldChange {
	var out []FieldChange
	add := func(field string, from, to any) {
		if !equal(from, to) {
			out = append(out, FieldChange{Field: field, From: jsonValue(from), To: jsonValue(to)})
		}
	}
	add("status", string(old.Status), string(new.Status))
	add("title", old.Title, new.Title)
	add("description", old.Description, new.Description)
	add("severity", sevName(old.Severity), sevName(new.Severity))
	add("classification", string(old.Classification), string(new.Classification))
	add("owner", old.Owner, new.Owner)
	add("tactics", stageNames(old.Tactics), stageNames(new.Tactics))
	add("techniques", capped(old.Techniques), capped(new.Techniques))
	if !equal(old.Resources, new.Resources) {
		out = append(out, FieldChange{Field: "resources", From: capped(old.Resources), To: capped(new.Resources)})
	}
	if !equal(old.Entities, new.Entities) {
		out = append(out, FieldChange{Field: "entities", From: capped(old.Entities), To: capped(new.Entities)})
	}
	add("sources", old.Sources, new.Sources)
	add("alertCount", old.AlertCount, new.AlertCount)
	add("multiResource", old.MultiResource, new.MultiResource)
	add("confidence", old.Confidence, new.Confidence)
	add("tags", nonNil(old.Tags), nonNil(new.Tags))
	add("firstActivity", timeValue(old.FirstActivity), timeValue(new.FirstActivity))
	add("lastActivity", timeValue(old.LastActivity), timeValue(new.LastActivity))
	add("mergedInto", old.MergedInto, new.MergedInto)
	add("continuationOf", old.ContinuationOf, new.ContinuationOf)
	add("continuedIn", old.ContinuedIn, new.ContinuedIn)
	return out
}

func sevName(s alert.Severity) string {
	if s.Valid() {
		return s.String()
	}
	return ""
}

func timeValue(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// equal compares two values treating nil and empty slices and maps alike.
func equal(a, b any) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.Kind() == reflect.Slice && vb.Kind() == reflect.Slice && va.Len() == 0 && vb.Len() == 0 {
		return true
	}
	return reflect.DeepEqual(normal(a), normal(b))
}

// normal turns nil tag maps into empty ones so a resource without tags
// equals one with an empty tag map.
func normal(v any) any {
	switch x := v.(type) {
	case []alert.Resource:
		out := make([]alert.Resource, len(x))
		for i, r := range x {
			if len(r.Tags) == 0 {
				r.Tags = nil
			}
			out[i] = r
		}
		return out
	}
	return v
}

// jsonValue maps "" to null so an absent field reads as null.
func jsonValue(v any) any {
	switch x := v.(type) {
	case string:
		if x == "" {
			return nil
		}
	case []string:
		if x == nil {
			return []string{}
		}
	}
	return v
}

// DetailJSON encodes the detail, trimming it to MaxDetailBytes when it is
// larger: first resource tags and change list values beyond the first ten,
// then the listed resources and entities to ten. A detail still too large
// is returned with ErrTooLarge.
func (e Event) DetailJSON() ([]byte, error) {
	b, err := json.Marshal(e.Detail)
	if err != nil {
		return nil, fmt.Errorf("encode event %s: %w", e.ID(), err)
	}
	if len(b) <= MaxDetailBytes {
		return b, nil
	}
	d := e.Detail
	d.Incident.Truncated = true
	const keep = 10
	d.Incident.Resources = append([]alert.Resource(nil), d.Incident.Resources...)
	for i := range d.Incident.Resources {
		if i >= keep {
			d.Incident.Resources[i].Tags = nil
		}
	}
	fields := make([]FieldChange, len(d.Change.Fields))
	for i, f := range d.Change.Fields {
		fields[i] = FieldChange{Field: f.Field, From: shrink(f.From, keep), To: shrink(f.To, keep)}
	}
	d.Change.Fields = fields
	if b, err = json.Marshal(d); err == nil && len(b) <= MaxDetailBytes {
		return b, nil
	}
	d.Incident.Resources = d.Incident.Resources[:min(keep, len(d.Incident.Resources))]
	d.Incident.Entities = d.Incident.Entities[:min(keep, len(d.Incident.Entities))]
	for i := range d.Incident.Resources {
		d.Incident.Resources[i].Tags = nil
	}
	if b, err = json.Marshal(d); err == nil && len(b) <= MaxDetailBytes {
		return b, nil
	}
	return nil, fmt.Errorf("encode event %s: %w", e.ID(), ErrTooLarge)
}

// ErrTooLarge is returned for a detail that cannot be trimmed to size.
var ErrTooLarge = fmt.Errorf("event detail larger than %d bytes", MaxDetailBytes)

func shrink(v any, keep int) any {
	switch x := v.(type) {
	case []alert.Resource:
		out := make([]string, 0, min(keep, len(x)))
		for _, r := range x[:min(keep, len(x))] {
			out = append(out, r.ID)
		}
		return out
	case []alert.Entity:
		return x[:min(keep, len(x))]
	case []string:
		return x[:min(keep, len(x))]
	}
	return v
}
