package handler

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/apigw"
	"github.com/muster-sec/muster/shared/auth"
	"github.com/muster-sec/muster/shared/automation"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/playbook"
	"github.com/muster-sec/muster/shared/slack"
	"github.com/muster-sec/muster/shared/suppress"
)

// Sentinels of the API layer.
var (
	errInvalid     = errors.New("invalid request")
	errBadCursor   = errors.New("invalid cursor")
	errRoute       = errors.New("no such route")
	errMethod      = errors.New("method not allowed")
	errMediaType   = errors.New("unsupported media type")
	errTooLarge    = errors.New("body too large")
	errNeedIfMatch = errors.New("If-Match required")
	errStale       = errors.New("stale version")
	errRefused     = errors.New("refused")
	errMissing     = errors.New("not found")
)

// clientError is an error whose message is written for the caller.
type clientError struct {
	sentinel error
	detail   string
	field    string
	limit    string // the bound a value broke, when it broke one
}

func (e *clientError) Error() string { return e.detail }
func (e *clientError) Unwrap() error { return e.sentinel }

func badRequest(detail string) error { return &clientError{sentinel: errInvalid, detail: detail} }

func badField(field, detail string) error {
	return &clientError{sentinel: errInvalid, detail: field + ": " + detail, field: field}
}

// outOfRange reports a value of field beyond a bound, named in detail and,
// machine-readably, in limit.
func outOfRange(field, detail, limit string) error {
	return &clientError{sentinel: errInvalid, detail: field + ": " + detail, field: field, limit: limit}
}

func asErr[T any](err error, target *T) bool { return errors.As(err, target) }

// writeError writes the problem+json response for err. It is the only
// place errors become HTTP statuses; the text of errors not written for the
// caller (storage, AWS, encoding) is logged and replaced by a generic
// detail.
func (h *Handler) writeError(w http.ResponseWriter, err error) {
	if errors.Is(err, auth.ErrUnauthenticated) {
		w.Header()["WWW-Authenticate"] = []string{`Bearer realm="muster"`}
	}
	apigw.WriteProblem(w, h.problem(err))
}

// problem maps an error to its problem document.
func (h *Handler) problem(err error) apigw.ProblemDetails {
	var ce *clientError
	var fe *alert.FieldError
	var ve *playbook.ValidationError
	switch {
	case errors.Is(err, auth.ErrUnauthenticated):
		return detail(http.StatusUnauthorized, "a valid bearer token is required")
	case errors.Is(err, slack.ErrBadSignature):
		return detail(http.StatusUnauthorized, "a valid Slack request signature is required")
	case errors.Is(err, auth.ErrForbidden):
		// auth's message names the missing scope and nothing secret.
		return detail(http.StatusForbidden, err.Error())
	case errors.Is(err, errRoute):
		return detail(http.StatusNotFound, "no such resource")
	case errors.Is(err, errMethod):
		return detail(http.StatusMethodNotAllowed, "method not allowed on this resource")
	case errors.Is(err, incident.ErrNotFound):
		return detail(http.StatusNotFound, "not found")
	case errors.Is(err, suppress.ErrNotFound):
		return detail(http.StatusNotFound, "suppression rule not found")
	case errors.Is(err, automation.ErrNotFound):
		return detail(http.StatusNotFound, "automation rule not found")
	case errors.Is(err, incident.ErrReportIgnored):
		return apigw.ProblemDetails{Status: http.StatusConflict, Title: "Report ignored",
			Detail: "the request already has a final status (Succeeded or Failed); later reports are ignored and change nothing"}
	case errors.Is(err, errNeedIfMatch):
		return detail(http.StatusPreconditionRequired, "send If-Match with the version you last read (ETag of the GET)")
	case errors.Is(err, incident.ErrConflict):
		return detail(http.StatusPreconditionFailed, "the resource changed since you read it; read it again and retry")
	case errors.Is(err, incident.ErrTransition):
		return detail(http.StatusConflict, "status transition not allowed; allowed: Active→InProgress|Resolved|Dismissed, InProgress→Active|Resolved|Dismissed, Resolved→Active|InProgress, Dismissed→Active")
	case errors.Is(err, errMediaType):
		return detail(http.StatusUnsupportedMediaType, "send application/json")
	case errors.Is(err, errTooLarge):
		return apigw.ProblemDetails{Status: http.StatusRequestEntityTooLarge, Detail: "request body too large", Extensions: map[string]any{"limit": maxBody}}
	case errors.Is(err, dynamostore.ErrWindowTooWide):
		// The parameters are checked first; this is a cursor whose window
		// grew with the clock past what one list may read.
		return apigw.ProblemDetails{Status: http.StatusBadRequest, Title: "Time window too wide",
			Detail:     "since: the window spans more month partitions than one list may read; narrow since and until, and start again without the cursor",
			Extensions: map[string]any{"field": "since", "limit": fmt.Sprintf("%d months", dynamostore.MaxListMonths)}}
	case errors.Is(err, errBadCursor), errors.Is(err, dynamostore.ErrBadPosition):
		return apigw.ProblemDetails{Status: http.StatusBadRequest, Title: "Invalid cursor", Detail: "the cursor is not one this API issued for these filters; start again without it"}
	case errors.Is(err, playbook.ErrUnknown):
		return apigw.ProblemDetails{Status: http.StatusBadRequest, Title: "Unknown playbook", Detail: "no playbook of that name; GET /playbooks lists them", Extensions: map[string]any{"field": "playbook"}}
	case errors.As(err, &ve):
		return apigw.ProblemDetails{Status: http.StatusBadRequest, Title: "Invalid playbook parameters", Detail: ve.Error(), Extensions: map[string]any{"errors": ve.Errors}}
	case errors.As(err, &ce) && ce.sentinel == errStale:
		return detail(http.StatusPreconditionFailed, ce.detail)
	case errors.As(err, &ce) && ce.sentinel == errRefused:
		return detail(http.StatusConflict, ce.detail)
	case errors.As(err, &ce) && ce.sentinel == errMissing:
		return detail(http.StatusNotFound, ce.detail)
	case errors.As(err, &ce):
		p := apigw.ProblemDetails{Status: http.StatusBadRequest, Detail: ce.detail, Extensions: map[string]any{}}
		if ce.field != "" {
			p.Extensions["field"] = ce.field
		}
		if ce.limit != "" {
			p.Extensions["limit"] = ce.limit
		}
		return p
	case (errors.Is(err, alert.ErrInvalid) || errors.Is(err, suppress.ErrInvalid) || errors.Is(err, automation.ErrInvalid)) && errors.As(err, &fe):
		return apigw.ProblemDetails{Status: http.StatusBadRequest, Detail: fe.Error(), Extensions: map[string]any{"field": fe.Field, "reason": fe.Reason}}
	case errors.Is(err, alert.ErrInvalid), errors.Is(err, suppress.ErrInvalid), errors.Is(err, automation.ErrInvalid):
		return detail(http.StatusBadRequest, "invalid request")
	}
	h.log.Error("request failed", "error", err.Error())
	return detail(http.StatusInternalServerError, "internal error")
}

func detail(status int, text string) apigw.ProblemDetails {
	return apigw.ProblemDetails{Status: status, Detail: text}
}
