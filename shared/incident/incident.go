package incident

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/killchain"
)

// Sentinel errors shared by stores and services.
var (
	ErrNotFound   = errors.New("not found")
	ErrConflict   = errors.New("version conflict")
	ErrTransition = errors.New("status transition not allowed")
)

// Status is an incident's lifecycle state.
type Status string

// Incident statuses.
const (
	StatusActive     Status = "Active"
	StatusInProgress Status = "InProgress"
	StatusResolved   Status = "Resolved"
	StatusDismissed  Status = "Dismissed"
)

// Statuses lists every status.
var Statuses = []Status{StatusActive, StatusInProgress, StatusResolved, StatusDismissed}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

// ParseStatus accepts a status name in any case.
func ParseStatus(v string) (Status, bool) {
	for _, k := range Statuses {
		if strings.EqualFold(v, string(k)) {
			return k, true
		}
	}
	return "", false
}

var transitions = map[Status][]Status{
	StatusActive:     {StatusInProgress, StatusResolved, StatusDismissed},
	StatusInProgress: {StatusActive, StatusResolved, StatusDismissed},
	StatusResolved:   {StatusActive, StatusInProgress},
	StatusDismissed:  {StatusActive},
}

// CanTransition reports whether a person may move an incident from one
// status to another. Staying in the same status is always allowed.
func CanTransition(from, to Status) bool {
	return from == to || slices.Contains(transitions[from], to)
}

// Classification is an analyst's verdict.
type Classification string

// Classifications.
const (
	TruePositive   Classification = "TruePositive"
	BenignPositive Classification = "BenignPositive"
	FalsePositive  Classification = "FalsePositive"
	Undetermined   Classification = "Undetermined"
)

// Classifications lists every classification.
var Classifications = []Classification{TruePositive, BenignPositive, FalsePositive, Undetermined}

// Valid reports whether c is known.
func (c Classification) Valid() bool { return slices.Contains(Classifications, c) }

// Membership records why an alert joined an incident.
type Membership struct {
	AlertID string `json:"alertId"`
	// Key is the correlation key that linked it ("res:i-0abc", "ip:203.0.113.7");
	// empty for the alert that started the group.
	Key string `json:"key,omitempty"`
	// LinkedTo is the alert it linked to through Key.
	LinkedTo string `json:"linkedTo,omitempty"`
	// Stage is the kill-chain stage it contributed (its first tactic).
	Stage    killchain.Stage `json:"stage"`
	JoinedAt time.Time       `json:"joinedAt"`
	// Reason is the sentence shown to analysts.
	Reason string `json:"reason"`
}

// Incident is a group of linked alerts that reached the incident threshold.
type Incident struct {
	ID            string         `json:"id"`
	Title         string         `json:"title"`
	Description   string         `json:"description"`
	Severity      alert.Severity `json:"severity"`
	SeveritySetBy string         `json:"severitySetBy,omitempty"`
	// TitleSetBy names the person who set the title (an incident created
	// from chosen alerts); the correlator then keeps it.
	TitleSetBy     string            `json:"titleSetBy,omitempty"`
	Status         Status            `json:"status"`
	Classification Classification    `json:"classification,omitempty"`
	Owner          string            `json:"owner,omitempty"`
	FirstActivity  time.Time         `json:"firstActivity"`
	LastActivity   time.Time         `json:"lastActivity"`
	CreatedAt      time.Time         `json:"createdAt"`
	UpdatedAt      time.Time         `json:"updatedAt"`
	UpdatedBy      string            `json:"updatedBy,omitempty"`
	Resources      []alert.Resource  `json:"resources"`
	Tactics        []killchain.Stage `json:"tactics"`
	Techniques     []string          `json:"techniques,omitempty"`
	Entities       []alert.Entity    `json:"entities,omitempty"`
	Sources        []string          `json:"sources"`
	AlertCount     int               `json:"alertCount"`
	MultiResource  bool              `json:"multiResource"`
	// Confidence (0–100) says how strongly the alerts look like one
	// attack; ConfidenceReasons say why, in an analyst's words.
	Confidence        int      `json:"confidence"`
	ConfidenceReasons []string `json:"confidenceReasons,omitempty"`
	// Tags are labels people and automation rules put on the incident
	// (ValidTag; at most MaxTags).
	Tags           []string `json:"tags,omitempty"`
	MergedInto     string   `json:"mergedInto,omitempty"`
	ContinuationOf string   `json:"continuationOf,omitempty"`
	ContinuedIn    string   `json:"continuedIn,omitempty"`
	Version        int64    `json:"version"`
}

// Title returns the incident title for its resources, as Defender words it.
func Title(resources []alert.Resource) string {
	if len(resources) == 1 {
		return "Security incident detected on " + resources[0].DisplayName()
	}
	return "Security incident detected on multiple resources"
}

// TimelineEntry is one recorded change or event in an incident's life.
type TimelineEntry struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Detail string    `json:"detail,omitempty"`
	From   string    `json:"from,omitempty"`
	To     string    `json:"to,omitempty"`
}

// Comment is an analyst's note on an incident.
type Comment struct {
	ID     string    `json:"id"`
	At     time.Time `json:"at"`
	Author string    `json:"author"`
	Text   string    `json:"text"`
}

// MaxCommentLen bounds a comment's text.
const MaxCommentLen = 4000

// MaxTags bounds an incident's tags.
const MaxTags = 20

// tagRE is what a tag may hold: 1–64 letters, digits and : . _ / -.
var tagRE = regexp.MustCompile(`^[A-Za-z0-9:._/-]{1,64}$`)

// ValidTag reports whether t is a well-formed tag.
func ValidTag(t string) bool { return tagRE.MatchString(t) }

// ResponseRequest asks for an automated playbook to run on an incident. The
// responder publishes it as an "Incident Response Requested" event; the
// playbook reports back (Report), each report an "Incident Response
// Updated" event.
type ResponseRequest struct {
	ID          string         `json:"id"`
	IncidentID  string         `json:"incidentId"`
	Playbook    string         `json:"playbook"`
	Parameters  map[string]any `json:"parameters"`
	RequestedBy string         `json:"requestedBy"`
	RequestedAt time.Time      `json:"requestedAt"`
	// What the playbook last reported; Status is empty (Requested) until
	// its first report. Reports counts the accepted reports.
	Status    ResponseStatus `json:"status,omitempty"`
	Message   string         `json:"message,omitempty"`
	Outputs   map[string]any `json:"outputs,omitempty"`
	Link      string         `json:"link,omitempty"`
	UpdatedAt *time.Time     `json:"updatedAt,omitempty"`
	Reports   int64          `json:"reports,omitempty"`
}

// ResponseStatus is where a response request stands.
type ResponseStatus string

// Response statuses. Requested is a request no playbook has reported on;
// NoReport is shown, never stored, for one still Requested past the
// configured report time.
const (
	ResponseRequested ResponseStatus = "Requested"
	ResponseRunning   ResponseStatus = "Running"
	ResponseSucceeded ResponseStatus = "Succeeded"
	ResponseFailed    ResponseStatus = "Failed"
	ResponseNoReport  ResponseStatus = "NoReport"
)

// Final reports whether no report may follow s.
func (s ResponseStatus) Final() bool { return s == ResponseSucceeded || s == ResponseFailed }

// ResponseReport is what a playbook reports on a request.
type ResponseReport struct {
	Status  ResponseStatus `json:"status"`
	Message string         `json:"message,omitempty"`
	Outputs map[string]any `json:"outputs,omitempty"`
	Link    string         `json:"link,omitempty"`
}

// Limits of a report.
const (
	MaxReportMessage = 2000
	MaxReportLink    = 2048
	MaxReportOutputs = 16 << 10 // bytes, as JSON
)

// ErrReportIgnored is a report on a request that already has a final
// status (Succeeded or Failed): reports may arrive out of order, and the
// final one stands.
var ErrReportIgnored = errors.New("report ignored: the request already has a final status")

// Validate checks a report's fields, naming the field at fault.
func (r ResponseReport) Validate() error {
	bad := func(field, reason string) error {
		return fmt.Errorf("%w: %w", alert.ErrInvalid, &alert.FieldError{Field: field, Reason: reason})
	}
	switch r.Status {
	case ResponseRunning, ResponseSucceeded, ResponseFailed:
	default:
		return bad("status", "must be Running, Succeeded or Failed")
	}
	if len(r.Message) > MaxReportMessage {
		return bad("message", fmt.Sprintf("longer than %d bytes", MaxReportMessage))
	}
	if r.Link != "" && (len(r.Link) > MaxReportLink || !(strings.HasPrefix(r.Link, "https://") || strings.HasPrefix(r.Link, "http://"))) {
		return bad("link", fmt.Sprintf("must be an http(s) URL of at most %d bytes", MaxReportLink))
	}
	if b, err := json.Marshal(r.Outputs); err != nil || len(b) > MaxReportOutputs {
		return bad("outputs", fmt.Sprintf("must be a JSON object of at most %d bytes", MaxReportOutputs))
	}
	return nil
}

// Report records rep on the request at time at. A request with a final
// status takes no more reports (ErrReportIgnored); a Running report after
// Running updates the message, outputs and link.
func (r *ResponseRequest) Report(rep ResponseReport, at time.Time) error {
	if r.Status.Final() {
		return fmt.Errorf("request %s is %s: %w", r.ID, r.Status, ErrReportIgnored)
	}
	at = at.UTC()
	r.Status, r.Message, r.Outputs, r.Link, r.UpdatedAt = rep.Status, rep.Message, rep.Outputs, rep.Link, &at
	r.Reports++
	return nil
}

// Shown is the status to show at now: NoReport for a request no playbook
// reported on within wait (wait 0: never), else its status (Requested
// when it has none).
func (r ResponseRequest) Shown(now time.Time, wait time.Duration) ResponseStatus {
	if r.Status != "" {
		return r.Status
	}
	if wait > 0 && now.Sub(r.RequestedAt) > wait {
		return ResponseNoReport
	}
	return ResponseRequested
}

// Validate checks a comment's text.
func (c Comment) Validate() error {
	if strings.TrimSpace(c.Text) == "" {
		return fmt.Errorf("%w: text is required", alert.ErrInvalid)
	}
	if len(c.Text) > MaxCommentLen {
		return fmt.Errorf("%w: text longer than %d characters", alert.ErrInvalid, MaxCommentLen)
	}
	return nil
}
