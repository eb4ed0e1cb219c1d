package normalize

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/alert"
)

// Errors for requests that cannot be read at all. Per-alert problems are
// reported in Result.Err instead.
var (
	// ErrMalformed wraps every "the body is not a request" error: invalid
	// JSON, a top level that is neither an object nor an array, no alerts.
	ErrMalformed = errors.New("malformed request")
	// ErrUnknownProvider is returned for a provider Muster does not accept.
	ErrUnknownProvider = errors.New("unknown provider")
	// ErrTooManyAlerts is returned by ParseLimit for a request with more
	// alerts than its limit.
	ErrTooManyAlerts = errors.New("too many alerts")
)

// Result is the outcome of normalising one alert of a request.
type Result struct {
	// Index is the alert's position in the request, counting alerts inside
	// provider batches (Alertmanager groups, EventBridge envelopes).
	Index int
	// Alert is the finished, valid alert; nil when Err is set.
	Alert *alert.Alert
	// Err wraps alert.ErrInvalid and an *alert.FieldError.
	Err error
}

// FieldError returns the field error of a rejected result, or nil.
func (r Result) FieldError() *alert.FieldError {
	var fe *alert.FieldError
	if errors.As(r.Err, &fe) {
		return fe
	}
	if r.Err != nil {
		return &alert.FieldError{Field: "", Reason: "invalid alert"}
	}
	return nil
}

// parser normalises one top-level JSON object (an alert or a provider
// batch) into c.
type parser func(c *collector, obj []byte)

// Parse normalises a request body for provider. receivedAt becomes each
// alert's ReceivedAt. The error is ErrUnknownProvider or wraps ErrMalformed
// with the reason; otherwise every alert of the request has a Result, in
// order.
func Parse(provider string, body []byte, receivedAt time.Time) ([]Result, error) {
	return ParseLimit(provider, body, receivedAt, 0)
}

// ParseLimit is Parse that gives up with ErrTooManyAlerts as soon as the
// request proves to hold more than limit alerts (valid or not), so an
// over-limit request costs no more than limit+1 alerts of work. A limit of
// 0 or less means no limit.
func ParseLimit(provider string, body []byte, receivedAt time.Time, limit int) ([]Result, error) {
	src, ok := Lookup(provider)
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownProvider, provider)
	}
	c := &collector{src: src, receivedAt: receivedAt.UTC(), limit: limit}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, fmt.Errorf("%w: empty body", ErrMalformed)
	}
	switch body[0] {
	case '{':
		src.parse(c, body)
		if c.syntax {
			return nil, checkSyntax(body)
		}
	case '[':
		items, err := splitItems(body)
		if err != nil {
			return nil, err
		}
		if limit > 0 && len(items) > limit {
			return nil, tooMany(limit)
		}
		for _, it := range items {
			if c.full() {
				break
			}
			if len(it) == 0 || it[0] != '{' {
				c.reject(alert.Invalid("item", "must be a JSON object"))
				continue
			}
			src.parse(c, it)
		}
	default:
		if err := checkSyntax(body); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: the body must be a JSON object or an array of objects", ErrMalformed)
	}
	if c.over {
		return nil, tooMany(limit)
	}
	if len(c.out) == 0 {
		return nil, fmt.Errorf("%w: the request holds no alerts", ErrMalformed)
	}
	return c.out, nil
}

func tooMany(limit int) error {
	return fmt.Errorf("%w: more than %d alerts in one request", ErrTooManyAlerts, limit)
}

// collector gathers results in request order.
type collector struct {
	src        Source // the format being read
	receivedAt time.Time
	out        []Result
	syntax     bool // a decode met invalid JSON: the request is malformed
	limit      int  // most results wanted; 0 = no limit
	over       bool // the request holds more than limit alerts
}

// full reports whether the limit has been exceeded: parsers stop early.
func (c *collector) full() bool { return c.over }

// room checks the limit before a result is recorded.
func (c *collector) room() bool {
	if c.limit > 0 && len(c.out) >= c.limit {
		c.over = true
		return false
	}
	return true
}

// add finishes and validates a and records the outcome. raw is the item's
// own JSON, which every parser has decoded without error before calling
// add, so it is known to be valid JSON and is not scanned again. The alert
// id comes from a.Provider (a Security Hub copy of a GuardDuty finding has
// provider guardduty already).
func (c *collector) add(a *alert.Alert, raw []byte) {
	if !c.room() {
		return
	}
	if err := checkIdentity(a, c.src.IDField); err != nil {
		c.reject(err)
		return
	}
	cleanText(a)
	a.SetRawValid(raw)
	a.Finish("", c.receivedAt)
	if a.Provider != alert.ProviderGeneric {
		fitLimits(a)
	}
	if err := a.Validate(); err != nil {
		c.reject(err)
		return
	}
	if err := FitStored(a); err != nil {
		c.reject(err)
		return
	}
	c.out = append(c.out, Result{Index: len(c.out), Alert: a})
}

// read decodes item b into v; when it cannot, it rejects the item and
// reports false.
func (c *collector) read(b []byte, v any) bool {
	err := c.decode(b, v)
	if err != nil {
		c.reject(err)
	}
	return err == nil
}

// result records a, or err when the item was refused.
func (c *collector) result(a *alert.Alert, err error, raw []byte) {
	if err != nil {
		c.reject(err)
		return
	}
	c.add(a, raw)
}

// reject records an invalid alert.
func (c *collector) reject(err error) {
	if !c.room() {
		return
	}
	if !errors.Is(err, alert.ErrInvalid) {
		err = alert.Invalid("item", "%s", err.Error())
	}
	c.out = append(c.out, Result{Index: len(c.out), Err: err})
}

// parseTime reads an RFC 3339 time (with or without fractional seconds)
// of an alert received at receivedAt (see checkTime). Empty text, and Go's
// zero time 0001-01-01T00:00:00Z that Go senders (Alertmanager among them)
// write for "unset", give the zero time and no error: absent.
func parseTime(field, v string, receivedAt time.Time) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, alert.Invalid(field, "must be an RFC 3339 time")
	}
	if t.IsZero() {
		return time.Time{}, nil
	}
	return t.UTC(), checkTime(field, t, receivedAt)
}

// timeField is a sender's time field: its name (for errors) and text.
type timeField struct{ name, text string }

// sightings parses an alert's first sighting (first, else fallback), its
// last sighting (last, else the record's update) and the record's update,
// each as parseTime does.
func sightings(at time.Time, first, fallback, last, updated timeField) (f, l, u time.Time, err error) {
	if f, err = parseTime(first.name, first.text, at); err == nil && f.IsZero() {
		f, err = parseTime(fallback.name, fallback.text, at)
	}
	if err == nil {
		l, err = parseTime(last.name, last.text, at)
	}
	if err == nil {
		u, err = parseTime(updated.name, updated.text, at)
	}
	return f, cmp.Or(l, u), u, err
}

// entities accumulates entities without duplicates or empty values.
type entities []alert.Entity

func (es *entities) add(t alert.EntityType, v string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return
	}
	for _, e := range *es {
		if e.Type == t && e.Value == v {
			return
		}
	}
	*es = append(*es, alert.Entity{Type: t, Value: v})
}

// localUser qualifies a local OS user with the machine it lives on.
func localUser(user, host string) string {
	user = strings.TrimSpace(user)
	if user == "" || host == "" {
		return user
	}
	return user + "@" + alert.ShortHost(host)
}

// fitLimits trims what a vendor sent beyond Muster's field limits instead of
// rejecting the alert: a third-party detector cannot be asked to shorten its
// text, and losing the alert would be worse. Descriptive text (name,
// description, remediation steps, a resource's type, name, region and
// account, tag values) is cut to its limit; list items that are identifiers
// (entity values, techniques, tag keys) are dropped when over their limit,
// because a cut identifier would be a different one, and lists are cut to
// their length limits. Identity fields (id, type) and resource ids are
// never trimmed; an alert whose identity or resource id is over the limit
// is rejected by Validate. The generic format is Muster's own, so it is
// validated strictly and over-limit fields are reported instead.
func fitLimits(a *alert.Alert) {
	a.Name = alert.Truncate(a.Name, alert.MaxNameLen)
	a.Description = alert.Truncate(a.Description, alert.MaxDescriptionLen)
	if len(a.Resources) > alert.MaxResources {
		a.Resources = a.Resources[:alert.MaxResources]
	}
	for i := range a.Resources {
		r := &a.Resources[i]
		r.Type = alert.Truncate(r.Type, alert.MaxTypeLen)
		r.Name = alert.Truncate(r.Name, alert.MaxNameLen)
		r.Region = alert.Truncate(r.Region, alert.MaxRegionLen)
		r.Account = alert.Truncate(r.Account, alert.MaxAccountLen)
		for k, v := range r.Tags {
			switch {
			case len(k) > alert.MaxTagKeyLen:
				delete(r.Tags, k)
			case len(v) > alert.MaxTagValueLen:
				r.Tags[k] = alert.Truncate(v, alert.MaxTagValueLen)
			}
		}
		for len(r.Tags) > alert.MaxTags {
			keys := alert.SortedTagKeys(r.Tags)
			delete(r.Tags, keys[len(keys)-1])
		}
	}
	ents := a.Entities[:0]
	for _, e := range a.Entities {
		if len(e.Value) <= e.Type.MaxValueLen() && len(ents) < alert.MaxEntities {
			ents = append(ents, e)
		}
	}
	a.Entities = ents
	techs := a.Techniques[:0]
	for _, t := range a.Techniques {
		if len(t) <= alert.MaxTechniqueLen && len(techs) < alert.MaxListLen {
			techs = append(techs, t)
		}
	}
	a.Techniques = techs
	steps := a.RemediationSteps[:0]
	for _, st := range a.RemediationSteps {
		if len(steps) < alert.MaxListLen {
			steps = append(steps, alert.Truncate(st, alert.MaxStepLen))
		}
	}
	a.RemediationSteps = steps
}
