package handler

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/muster-sec/muster/functions/query/openapi"
	"github.com/muster-sec/muster/shared/apigw"
	"github.com/muster-sec/muster/shared/auth"
)

// An endpoint serves one operation: it reads the request, calls the store
// or the domain, and returns the reply to encode or an error for problem
// to map. It never writes to the connection itself.
type endpoint func(ctx context.Context, r *request) (reply, error)

// endpoints maps each operation of the OpenAPI document (by its ServeMux
// pattern) to the method that serves it. Scopes and accepted query
// parameters are not restated here: they come from the document.
func (h *Handler) endpoints() map[string]endpoint {
	return map[string]endpoint{
		"GET /healthz":                               h.healthz,
		"GET /openapi.json":                          h.openAPI,
		"GET /alerts":                                h.listAlerts,
		"GET /alerts/{id}":                           h.getAlert,
		"GET /incidents":                             h.listIncidents,
		"GET /incidents/{id}":                        h.getIncident,
		"PATCH /incidents/{id}":                      h.patchIncident,
		"GET /incidents/{id}/alerts":                 h.incidentAlerts,
		"GET /incidents/{id}/summary":                h.summary,
		"POST /incidents/{id}/comments":              withBody(h.addComment),
		"GET /incidents/{id}/actions":                h.actions,
		"POST /incidents/{id}/respond":               withBody(h.respond),
		"POST /incidents/{id}/suppress":              withBody(h.suppressSimilar),
		"GET /suppression-rules":                     h.listRules,
		"POST /suppression-rules":                    withBody(h.createRule),
		"POST /suppression-rules/simulate":           withBody(h.simulate),
		"GET /suppression-rules/{id}":                h.getRule,
		"PATCH /suppression-rules/{id}":              h.patchRule,
		"DELETE /suppression-rules/{id}":             h.deleteRule,
		"GET /playbooks":                             h.listPlaybooks,
		"GET /sources":                               h.listSources,
		"GET /automation-rules":                      h.listAutomationRules,
		"POST /automation-rules":                     withBody(h.createAutomationRule),
		"POST /automation-rules/simulate":            withBody(h.simulateAutomationRule),
		"GET /automation-rules/{id}":                 h.getAutomationRule,
		"PATCH /automation-rules/{id}":               h.patchAutomationRule,
		"DELETE /automation-rules/{id}":              h.deleteAutomationRule,
		"POST /incidents/{id}/responses/{requestId}": withBody(h.reportResponse),
		"GET /noisy-keys":                            h.listNoisyKeys,
		"POST /incidents":                            withBody(h.createIncident),
		"POST /incidents/bulk":                       withBody(h.bulkIncidents),
		"POST /incidents/{id}/merge":                 withBody(h.mergeIncidents),
		"POST /incidents/{id}/alerts":                withBody(h.moveAlerts),
		"DELETE /incidents/{id}/alerts/{alertId}":    h.removeAlert,
		"GET /candidates":                            h.listCandidates,
		"POST /candidates/{id}/promote":              withBody(h.promoteCandidate),
		"POST /chatops/slack/commands":               h.slackCommand,
		"POST /chatops/slack/interactions":           h.slackInteraction,
		"GET /entities/{type}/{value}":               h.getEntity,
		"GET /incidents/{id}/related":                h.relatedIncidents,
		"GET /metrics":                               h.getMetrics,
	}
}

// routes builds the router: one ServeMux pattern per operation of the
// OpenAPI document, each behind operation (authentication, scope, query
// and path checks). An operation without an endpoint, or an endpoint for
// no operation, is a programming error that every test of this package
// trips over, so it panics like ServeMux does for a bad pattern.
func (h *Handler) routes(ops []openapi.Operation) (*http.ServeMux, []string) {
	eps := h.endpoints()
	mux := http.NewServeMux()
	var patterns []string
	for _, op := range ops {
		ep, ok := eps[op.Pattern()]
		if !ok {
			panic(fmt.Sprintf("query: openapi.json declares %s but no endpoint serves it", op.Pattern()))
		}
		delete(eps, op.Pattern())
		mux.Handle(op.Pattern(), h.operation(op, ep))
		patterns = append(patterns, op.Pattern())
	}
	for p := range eps {
		panic(fmt.Sprintf("query: endpoint %s is not in openapi.json", p))
	}
	return mux, patterns
}

// maxPathParam bounds a path wildcard's value (the document's id schema);
// a longer one matches no resource.
const maxPathParam = 256

// operation is the one place an endpoint is run: it authenticates the
// caller as the operation's scheme says (a bearer token and its scope, or
// Slack's signature over the raw body, checked before anything of the
// body is parsed), refuses query parameters the operation does not
// declare any of, calls the endpoint, and writes its reply or maps its
// error to a problem.
func (h *Handler) operation(op openapi.Operation, ep endpoint) http.Handler {
	params := op.PathParams()
	return http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		r := &request{Request: hr}
		for _, name := range params {
			if len(hr.PathValue(name)) > maxPathParam {
				h.writeError(w, errRoute)
				return
			}
		}
		if err := h.authenticate(op, r); err != nil {
			h.writeError(w, err)
			return
		}
		if len(op.Query) == 0 && hr.URL.RawQuery != "" {
			h.writeError(w, badRequest("this resource takes no query parameters"))
			return
		}
		rep, err := ep(hr.Context(), r)
		if err != nil {
			h.writeError(w, err)
			return
		}
		rep.write(w)
	})
}

// authenticate checks the caller of op by its scheme and records the
// bearer principal on r.
func (h *Handler) authenticate(op openapi.Operation, r *request) error {
	switch op.Scheme {
	case openapi.SchemeBearer:
		p, err := h.caller(r.Request)
		if err == nil {
			err = auth.Require(p, op.Scope)
		}
		r.principal = p
		return err
	case openapi.SchemeSlack:
		return h.verifySlack(r)
	}
	return nil
}

// withBody adapts an endpoint that takes a JSON body of type B: the body
// is decoded (decodeBody's rules) before fn runs.
func withBody[B any](fn func(ctx context.Context, r *request, b B) (reply, error)) endpoint {
	return func(ctx context.Context, r *request) (reply, error) {
		var b B
		if err := decodeBody(r, &b); err != nil {
			return reply{}, err
		}
		return fn(ctx, r, b)
	}
}

// reply is an endpoint's answer: a status and a value sent as JSON, or a
// text with its content type; header holds ETag, Location and the like
// (set under these exact names).
type reply struct {
	status      int
	value       any
	text        string
	contentType string // set for a text reply
	header      map[string]string
}

func jsonReply(status int, v any) reply { return reply{status: status, value: v} }

func textReply(contentType, text string) reply {
	return reply{status: http.StatusOK, text: text, contentType: contentType}
}

// with returns the reply with one more header.
func (rep reply) with(name, value string) reply {
	rep.header = maps.Clone(rep.header)
	if rep.header == nil {
		rep.header = map[string]string{}
	}
	rep.header[name] = value
	return rep
}

func (rep reply) write(w http.ResponseWriter) {
	for k, v := range rep.header {
		w.Header()[k] = []string{v}
	}
	switch {
	case rep.contentType != "":
		w.Header().Set("Content-Type", rep.contentType)
		w.WriteHeader(rep.status)
		_, _ = w.Write([]byte(rep.text))
	case rep.value == nil:
		w.WriteHeader(rep.status)
	default:
		apigw.WriteJSON(w, rep.status, rep.value)
	}
}

// unrouted answers a request no operation matched, in the API's problem
// shape: 405 with Allow when the path has other methods, else 404. It asks
// the ServeMux's own answer (next) for the status and Allow.
func (h *Handler) unrouted(w http.ResponseWriter, r *http.Request, next http.Handler) {
	rec := apigw.NewRecorder()
	next.ServeHTTP(rec, r)
	resp := rec.Response()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		h.writeError(w, errRoute)
		return
	}
	allowed := strings.Split(resp.Headers["Allow"], ", ")
	// ServeMux serves HEAD with every GET pattern; the API documents GET.
	allowed = slices.DeleteFunc(allowed, func(m string) bool { return m == http.MethodHead })
	w.Header()["Allow"] = []string{strings.Join(allowed, ", ")}
	h.writeError(w, errMethod)
}
