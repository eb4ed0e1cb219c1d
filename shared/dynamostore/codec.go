package dynamostore

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/resources"
)

// Attribute names shared by the item codecs.
const (
	attrDoc        = "doc"
	attrGroup      = "group"
	attrIsIncident = "isIncident"
	attrKind       = "kind"
)

// Item kinds, stored in the "kind" attribute.
const (
	KindAlert    = "alert"
	KindIncident = "incident"
)

// sortTime formats t for sort keys: fixed-width UTC with nanoseconds, so
// lexical order is time order.
func sortTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// TimeSortKey is the gsi1 sort key of an item active at t with id.
func TimeSortKey(t time.Time, id string) string { return sortTime(t) + "#" + id }

// IsCandidate reports whether a group is a candidate an analyst may
// promote: linked alerts (two or more), live, Active, not an incident.
func IsCandidate(inc incident.Incident, isIncident bool) bool {
	return !isIncident && inc.MergedInto == "" && inc.AlertCount >= 2 && inc.Status == incident.StatusActive
}

// IncidentIndexKey is the gsi2 partition of an incident's alerts.
func IncidentIndexKey(incidentID string) string { return "INC#" + incidentID }

// ResourceIndexKey is the gsi3 partition of a resource's alerts.
func ResourceIndexKey(resourceID string) string { return "RES#" + resourceID }

// AlertKey is the primary key of an alert item.
func AlertKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		resources.AttrPK: s(resources.PrefixAlert + id),
		resources.AttrSK: s(resources.SKAlert),
	}
}

// IncidentKey is the primary key of an incident (group) item.
func IncidentKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		resources.AttrPK: s(resources.PrefixIncident + id),
		resources.AttrSK: s(resources.SKIncident),
	}
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func ss(vals []string) types.AttributeValue {
	seen := map[string]bool{}
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return &types.AttributeValueMemberSS{Value: out}
}

func setIf(m map[string]types.AttributeValue, k string, v types.AttributeValue) {
	if v != nil {
		m[k] = v
	}
}

func setStr(m map[string]types.AttributeValue, k, v string) {
	if v != "" {
		m[k] = s(v)
	}
}

// MaxAlertItemBytes is the largest alert item EncodeAlert builds, counted
// as DynamoDB counts item size (attribute names plus values). It is under
// DynamoDB's 400 KB item limit by enough for the attributes the correlator
// adds to an alert item later (incidentId, membership, reason, gsi2 keys).
// An alert within alert.MaxStoredBytes and the field limits always fits.
const MaxAlertItemBytes = 380_000

// EncodeAlert builds the full item for a at version, expiring at
// a.ExpiresAt(retention): retention after the later of its last sighting
// and its receipt (no TTL when retention is zero). An item over
// MaxAlertItemBytes is refused with an error wrapping alert.ErrInvalid (a
// permanent refusal to report to the sender, not a storage failure).
func EncodeAlert(a *alert.Alert, version int64, retention time.Duration) (map[string]types.AttributeValue, error) {
	doc, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("encode alert %s: %w", a.ID, err)
	}
	item := AlertKey(a.ID)
	item[attrKind] = s(KindAlert)
	item[attrDoc] = s(string(doc))
	item[resources.AttrVersion] = n(version)
	item["provider"] = s(a.Provider)
	item["type"] = s(a.Type)
	item["name"] = s(a.Name)
	item["severity"] = s(a.Severity.String())
	item["sevRank"] = n(int64(a.Severity))
	item["status"] = s(string(a.Status))
	item["firstSeen"] = s(sortTime(a.FirstSeen))
	item["lastSeen"] = s(sortTime(a.LastSeen))
	tactics := make([]string, 0, len(a.Tactics))
	for _, t := range a.Tactics {
		tactics = append(tactics, t.String())
	}
	setIf(item, "tactics", ss(tactics))
	setIf(item, "resourceIds", ss(resourceIDs(a.Resources)))
	setStr(item, "incidentId", a.IncidentID)
	setStr(item, "suppressedBy", a.SuppressedBy)
	item[resources.AttrGSI1PK] = s(AlertTimeBucket(a.LastSeen, a.ID))
	item[resources.AttrGSI1SK] = s(TimeSortKey(a.LastSeen, a.ID))
	if a.IncidentID != "" {
		item[resources.AttrGSI2PK] = s(IncidentIndexKey(a.IncidentID))
		item[resources.AttrGSI2SK] = s(TimeSortKey(a.FirstSeen, a.ID))
	}
	if p := a.PrimaryResource(); p != "" {
		item[resources.AttrGSI3PK] = s(ResourceIndexKey(p))
		item[resources.AttrGSI3SK] = s(TimeSortKey(a.LastSeen, a.ID))
	}
	if exp := a.ExpiresAt(retention); !exp.IsZero() {
		item[resources.AttrTTL] = n(exp.Unix())
	}
	if size := ItemSize(item); size > MaxAlertItemBytes {
		return nil, fmt.Errorf("encode alert %s: %w", a.ID, alert.Invalid("item",
			"the alert would take %d bytes in the table, over the limit of %d bytes per stored alert", size, MaxAlertItemBytes))
	}
	return item, nil
}

// ItemSize is the size of an item as DynamoDB counts it, toward the 400 KB
// item limit and in the capacity it bills: the UTF-8 length of each
// attribute name plus the size of its value. A string or binary value
// counts its bytes; a number about one byte per two significant digits
// plus one; a boolean or null one byte; a list or map 3 bytes plus one
// byte and the size of each element (a map element counts its name); a
// set the sum of its elements.
func ItemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return numberSize(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		return sum(v.Value, func(s string) int { return len(s) })
	case *types.AttributeValueMemberNS:
		return sum(v.Value, numberSize)
	case *types.AttributeValueMemberBS:
		return sum(v.Value, func(b []byte) int { return len(b) })
	case *types.AttributeValueMemberL:
		return 3 + sum(v.Value, func(e types.AttributeValue) int { return 1 + valueSize(e) })
	case *types.AttributeValueMemberM:
		return 3 + len(v.Value) + ItemSize(v.Value)
	}
	return 0
}

// numberSize approximates a number's stored size: its significant digits
// (leading and trailing zeros dropped) in pairs, plus one byte, plus one
// for a negative sign.
func numberSize(s string) int {
	neg := strings.HasPrefix(s, "-")
	mant, _, _ := strings.Cut(strings.ToLower(strings.TrimLeft(s, "+-")), "e")
	digits := strings.Trim(strings.ReplaceAll(mant, ".", ""), "0")
	n := (len(digits)+1)/2 + 1
	if neg {
		n++
	}
	return n
}

func sum[T any](xs []T, f func(T) int) int {
	n := 0
	for _, x := range xs {
		n += f(x)
	}
	return n
}

// DecodeAlert reads an alert item; it returns the alert and its version.
func DecodeAlert(item map[string]types.AttributeValue) (alert.Alert, int64, error) {
	var a alert.Alert
	doc, ok := item[attrDoc].(*types.AttributeValueMemberS)
	if !ok {
		return a, 0, fmt.Errorf("decode alert: no %s attribute", attrDoc)
	}
	if err := json.Unmarshal([]byte(doc.Value), &a); err != nil {
		return a, 0, fmt.Errorf("decode alert: %w", err)
	}
	return a, version(item), nil
}

// IncidentRecord is an incident (group) item: the incident, the
// correlator's private group state, whether it is a visible incident yet,
// and its version.
type IncidentRecord struct {
	Incident   incident.Incident
	Group      json.RawMessage // the correlator's state; opaque to others
	IsIncident bool
	Version    int64
}

// EncodeIncident builds the full item for r. The incident's Version field
// is set to r.Version so the document and the item agree.
func EncodeIncident(r IncidentRecord) (map[string]types.AttributeValue, error) {
	inc := r.Incident
	inc.Version = r.Version
	doc, err := json.Marshal(inc)
	if err != nil {
		return nil, fmt.Errorf("encode incident %s: %w", inc.ID, err)
	}
	item := IncidentKey(inc.ID)
	item[attrKind] = s(KindIncident)
	item[attrDoc] = s(string(doc))
	if len(r.Group) > 0 {
		item[attrGroup] = s(string(r.Group))
	}
	item[attrIsIncident] = &types.AttributeValueMemberBOOL{Value: r.IsIncident}
	item[resources.AttrVersion] = n(r.Version)
	item["title"] = s(inc.Title)
	if inc.Severity.Valid() {
		item["severity"] = s(inc.Severity.String())
		item["sevRank"] = n(int64(inc.Severity))
	}
	setStr(item, "status", string(inc.Status))
	setStr(item, "owner", inc.Owner)
	setStr(item, "mergedInto", inc.MergedInto)
	item["confidence"] = n(int64(inc.Confidence))
	if !inc.FirstActivity.IsZero() {
		item["firstActivity"] = s(sortTime(inc.FirstActivity))
	}
	if !inc.LastActivity.IsZero() {
		item["lastActivity"] = s(sortTime(inc.LastActivity))
	}
	tactics := make([]string, 0, len(inc.Tactics))
	for _, t := range inc.Tactics {
		tactics = append(tactics, t.String())
	}
	setIf(item, "tactics", ss(tactics))
	setIf(item, "resourceIds", ss(resourceIDs(inc.Resources)))
	setIf(item, "providers", ss(inc.Sources))
	setIf(item, "tags", ss(inc.Tags))
	switch {
	case r.IsIncident && inc.MergedInto == "":
		item[resources.AttrGSI1PK] = s(IncidentTimeBucket(inc.LastActivity, inc.ID))
		item[resources.AttrGSI1SK] = s(TimeSortKey(inc.LastActivity, inc.ID))
	case IsCandidate(inc, r.IsIncident):
		item[resources.AttrGSI1PK] = s(CandidateTimeBucket(inc.LastActivity, inc.ID))
		item[resources.AttrGSI1SK] = s(TimeSortKey(inc.LastActivity, inc.ID))
	}
	return item, nil
}

// DecodeIncident reads an incident item.
func DecodeIncident(item map[string]types.AttributeValue) (IncidentRecord, error) {
	var r IncidentRecord
	doc, ok := item[attrDoc].(*types.AttributeValueMemberS)
	if !ok {
		return r, fmt.Errorf("decode incident: no %s attribute", attrDoc)
	}
	if err := json.Unmarshal([]byte(doc.Value), &r.Incident); err != nil {
		return r, fmt.Errorf("decode incident: %w", err)
	}
	if g, ok := item[attrGroup].(*types.AttributeValueMemberS); ok {
		r.Group = json.RawMessage(g.Value)
	}
	if b, ok := item[attrIsIncident].(*types.AttributeValueMemberBOOL); ok {
		r.IsIncident = b.Value
	}
	r.Version = version(item)
	r.Incident.Version = r.Version
	return r, nil
}

func version(item map[string]types.AttributeValue) int64 {
	if v, ok := item[resources.AttrVersion].(*types.AttributeValueMemberN); ok {
		x, _ := strconv.ParseInt(v.Value, 10, 64)
		return x
	}
	return 0
}

// FromImage converts a stream image (as Lambda delivers it) to SDK
// attribute values.
func FromImage(img map[string]events.DynamoDBAttributeValue) (map[string]types.AttributeValue, error) {
	if img == nil {
		return nil, nil
	}
	b, err := json.Marshal(img)
	if err != nil {
		return nil, fmt.Errorf("encode stream image: %w", err)
	}
	out, err := attributevalue.UnmarshalMapJSON(b)
	if err != nil {
		return nil, fmt.Errorf("decode stream image: %w", err)
	}
	return out, nil
}

// ToImage is the inverse of FromImage: item as a stream record of it
// carries it to Lambda.
func ToImage(item map[string]types.AttributeValue) (map[string]events.DynamoDBAttributeValue, error) {
	if item == nil {
		return nil, nil
	}
	b, err := attributevalue.MarshalMapJSON(item)
	if err != nil {
		return nil, fmt.Errorf("encode item: %w", err)
	}
	var out map[string]events.DynamoDBAttributeValue
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("decode stream image: %w", err)
	}
	return out, nil
}

// AlertFromImage decodes an alert item's stream image.
func AlertFromImage(img map[string]events.DynamoDBAttributeValue) (alert.Alert, int64, error) {
	item, err := FromImage(img)
	if err != nil {
		return alert.Alert{}, 0, err
	}
	return DecodeAlert(item)
}

// IncidentFromImage decodes an incident item's stream image.
func IncidentFromImage(img map[string]events.DynamoDBAttributeValue) (IncidentRecord, error) {
	item, err := FromImage(img)
	if err != nil {
		return IncidentRecord{}, err
	}
	return DecodeIncident(item)
}

// MemberIDs returns the ids of the alerts in the record's correlation
// state (none when it has no state or the state does not decode).
func (r IncidentRecord) MemberIDs() []string {
	var st struct {
		Members []struct {
			AlertID string `json:"alertId"`
		} `json:"members"`
	}
	if len(r.Group) == 0 || json.Unmarshal(r.Group, &st) != nil {
		return nil
	}
	out := make([]string, len(st.Members))
	for i, m := range st.Members {
		out[i] = m.AlertID
	}
	return out
}

// StringAttr returns a string attribute of an item, or "".
func StringAttr(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// resourceIDs lists the ids of rs, in order (the resourceIds attribute).
func resourceIDs(rs []alert.Resource) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}
