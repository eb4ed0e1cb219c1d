package dynamostore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/resources"
)

// Item kinds of an incident's auxiliary items.
const (
	KindTimeline = "timeline"
	KindComment  = "comment"
	KindResponse = "response"
)

// maxAux bounds how many timeline entries, comments or response requests a
// detail read returns (the newest ones).
const maxAux = 500

// NewID returns a random 128-bit hex id.
func NewID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// groupMembers is the part of the correlator's group state the API reads:
// the memberships (correlate.GroupState embeds incident.Membership in each
// member).
type groupMembers struct {
	Members []incident.Membership `json:"members"`
}

func (s *Store) getIncidentItem(ctx context.Context, id string) (map[string]types.AttributeValue, IncidentRecord, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: IncidentKey(id), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, IncidentRecord{}, fmt.Errorf("get incident %s: %w", id, err)
	}
	if out.Item == nil {
		return nil, IncidentRecord{}, fmt.Errorf("incident %s: %w", id, incident.ErrNotFound)
	}
	rec, err := DecodeIncident(out.Item)
	if err != nil {
		return nil, IncidentRecord{}, err
	}
	if !rec.IsIncident {
		return nil, IncidentRecord{}, fmt.Errorf("incident %s: %w", id, incident.ErrNotFound)
	}
	return out.Item, rec, nil
}

// GetIncident returns a visible incident (a correlation group that has not
// become an incident is ErrNotFound).
func (s *Store) GetIncident(ctx context.Context, id string) (incident.Incident, error) {
	_, rec, err := s.getIncidentItem(ctx, id)
	return rec.Incident, err
}

// IncidentMembers returns why each alert joined the incident, decoded from
// the correlator's group state (members[] with the Membership fields).
func (s *Store) IncidentMembers(ctx context.Context, id string) ([]incident.Membership, error) {
	_, rec, err := s.getIncidentItem(ctx, id)
	if err != nil {
		return nil, err
	}
	return MembersFromGroup(rec.Group), nil
}

// MembersFromGroup decodes the memberships in a group-state document; an
// empty or unreadable state has none.
func MembersFromGroup(group json.RawMessage) []incident.Membership {
	if len(group) == 0 {
		return nil
	}
	var g groupMembers
	if err := json.Unmarshal(group, &g); err != nil {
		return nil
	}
	return g.Members
}

// SeedIncident writes a visible incident with its memberships
// unconditionally (version inc.Version, 1 when zero). It is for tests,
// tools and fixtures; the correlator owns incident creation.
func (s *Store) SeedIncident(ctx context.Context, inc incident.Incident, members []incident.Membership) error {
	if inc.Version == 0 {
		inc.Version = 1
	}
	g, err := json.Marshal(groupMembers{Members: members})
	if err != nil {
		return fmt.Errorf("encode members of %s: %w", inc.ID, err)
	}
	item, err := EncodeIncident(IncidentRecord{Incident: inc, Group: g, IsIncident: true, Version: inc.Version})
	if err != nil {
		return err
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item}); err != nil {
		return fmt.Errorf("put incident %s: %w", inc.ID, err)
	}
	return nil
}

// codecAttrs are the attributes EncodeIncident manages; a rewrite drops
// them from the old item before laying the new encoding over it, so cleared
// fields disappear and unknown attributes survive.
var codecAttrs = []string{attrKind, attrDoc, attrIsIncident, resources.AttrVersion, "title", "severity",
	"sevRank", "status", "owner", "mergedInto", "firstActivity", "lastActivity", "tactics",
	"resourceIds", "providers", "tags", resources.AttrGSI1PK, resources.AttrGSI1SK}

// PatchIncident applies change to the incident if its stored version is
// version, records the timeline entries change returns, and writes it back
// as version+1 with a condition on the version (the correlator's group
// state and every other attribute are preserved). A stale version is
// ErrConflict and changes nothing; an error from change is returned as is.
// When change returns no entries nothing is written.
func (s *Store) PatchIncident(ctx context.Context, id string, version int64, change func(*incident.Incident) ([]incident.TimelineEntry, error)) (incident.Incident, error) {
	old, rec, err := s.getIncidentItem(ctx, id)
	if err != nil {
		return incident.Incident{}, err
	}
	if rec.Version != version {
		return rec.Incident, fmt.Errorf("incident %s at version %d, not %d: %w", id, rec.Version, version, incident.ErrConflict)
	}
	inc := rec.Incident
	entries, err := change(&inc)
	if err != nil {
		return rec.Incident, err
	}
	if len(entries) == 0 {
		return rec.Incident, nil
	}
	rec.Incident = inc
	rec.Version = version + 1
	put, err := s.rewriteIncident(old, rec, version)
	if err != nil {
		return incident.Incident{}, err
	}
	tl, err := s.timelinePuts(id, entries)
	if err != nil {
		return incident.Incident{}, err
	}
	tx := append([]types.TransactWriteItem{put}, tl...)
	if _, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx}); err != nil {
		var canceled *types.TransactionCanceledException
		if errors.As(err, &canceled) && len(canceled.CancellationReasons) > 0 &&
			aws.ToString(canceled.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
			return rec.Incident, fmt.Errorf("incident %s changed concurrently: %w", id, incident.ErrConflict)
		}
		return incident.Incident{}, fmt.Errorf("write incident %s: %w", id, err)
	}
	inc.Version = rec.Version
	return inc, nil
}

// rewriteIncident is the conditional put of rec over the stored item old
// (stored at version): the codec's attributes are replaced, every other
// attribute (the correlator's state) is kept.
func (s *Store) rewriteIncident(old map[string]types.AttributeValue, rec IncidentRecord, version int64) (types.TransactWriteItem, error) {
	enc, err := EncodeIncident(rec)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	item := make(map[string]types.AttributeValue, len(old)+len(enc))
	for k, v := range old {
		item[k] = v
	}
	for _, k := range codecAttrs {
		delete(item, k)
	}
	for k, v := range enc {
		item[k] = v
	}
	cond := expression.Name(resources.AttrVersion).Equal(expression.Value(version))
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("build condition: %w", err)
	}
	return types.TransactWriteItem{Put: &types.Put{
		TableName: aws.String(s.table), Item: item,
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}}, nil
}

func auxItem(incidentID, sk, kind string, v any) (map[string]types.AttributeValue, error) {
	doc, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s of incident %s: %w", kind, incidentID, err)
	}
	return map[string]types.AttributeValue{
		resources.AttrPK: s(resources.PrefixIncident + incidentID),
		resources.AttrSK: s(sk),
		attrKind:         s(kind),
		attrDoc:          s(string(doc)),
		"incidentId":     s(incidentID),
	}, nil
}

// EncodeTimeline builds the item of one timeline entry of an incident, as
// the correlator's transactions write it.
func EncodeTimeline(incidentID string, e incident.TimelineEntry) (map[string]types.AttributeValue, error) {
	return timelineItem(incidentID, e)
}

func timelineItem(incidentID string, e incident.TimelineEntry) (map[string]types.AttributeValue, error) {
	return auxItem(incidentID, resources.SKTimeline+sortTime(e.At)+"#"+NewID()[:8], KindTimeline, e)
}

// timelinePuts are the puts of entries written together: entries of one
// time keep their order (one random run id, then their position).
func (s *Store) timelinePuts(incidentID string, entries []incident.TimelineEntry) ([]types.TransactWriteItem, error) {
	run := NewID()[:6]
	out := make([]types.TransactWriteItem, 0, len(entries))
	for i, e := range entries {
		item, err := auxItem(incidentID, fmt.Sprintf("%s%s#%s%02d", resources.SKTimeline, sortTime(e.At), run, i), KindTimeline, e)
		if err != nil {
			return nil, err
		}
		out = append(out, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: item}})
	}
	return out, nil
}

// visibleIncident is the condition check that the incident exists and is
// visible, for writes of auxiliary items.
func (s *Store) visibleIncident(id string) (types.TransactWriteItem, error) {
	return s.incidentCheck(id, expression.AttributeExists(expression.Name(resources.AttrPK)).
		And(expression.Name(attrIsIncident).Equal(expression.Value(true))))
}

// incidentCheck is the transaction's condition check cond on incident id.
func (s *Store) incidentCheck(id string, cond expression.ConditionBuilder) (types.TransactWriteItem, error) {
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("build condition: %w", err)
	}
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: aws.String(s.table), Key: IncidentKey(id),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}}, nil
}

// writeAux writes items of incident id together with a check that the
// incident exists (ErrNotFound otherwise).
func (s *Store) writeAux(ctx context.Context, id string, items ...map[string]types.AttributeValue) error {
	check, err := s.visibleIncident(id)
	if err != nil {
		return err
	}
	tx := []types.TransactWriteItem{check}
	for _, it := range items {
		tx = append(tx, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: it}})
	}
	if _, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx}); err != nil {
		var canceled *types.TransactionCanceledException
		if errors.As(err, &canceled) && len(canceled.CancellationReasons) > 0 &&
			aws.ToString(canceled.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
			return fmt.Errorf("incident %s: %w", id, incident.ErrNotFound)
		}
		return fmt.Errorf("write to incident %s: %w", id, err)
	}
	return nil
}

// AddComment stores a comment (id and time assigned when empty) and a
// timeline entry for it.
func (s *Store) AddComment(ctx context.Context, id string, c incident.Comment) (incident.Comment, error) {
	if c.ID == "" {
		c.ID = NewID()
	}
	if c.At.IsZero() {
		c.At = s.now().UTC()
	}
	ci, err := EncodeComment(id, c)
	if err != nil {
		return c, err
	}
	tl, err := timelineItem(id, incident.TimelineEntry{At: c.At, Actor: c.Author, Action: "commented", Detail: truncate(c.Text, 200)})
	if err != nil {
		return c, err
	}
	return c, s.writeAux(ctx, id, ci, tl)
}

// AddResponseRequest records a response request (item pk INCIDENT#<id>, sk
// RESPONSE#<time>#<requestId>, which the responder publishes) and a
// timeline entry for it.
func (s *Store) AddResponseRequest(ctx context.Context, r incident.ResponseRequest) (incident.ResponseRequest, error) {
	if r.ID == "" {
		r.ID = NewID()
	}
	if r.RequestedAt.IsZero() {
		r.RequestedAt = s.now().UTC()
	}
	item, err := EncodeResponseRequest(r)
	if err != nil {
		return r, err
	}
	tl, err := timelineItem(r.IncidentID, incident.TimelineEntry{At: r.RequestedAt, Actor: r.RequestedBy,
		Action: "response requested", Detail: r.Playbook})
	if err != nil {
		return r, err
	}
	return r, s.writeAux(ctx, r.IncidentID, item, tl)
}

// EncodeResponseRequest builds a response-request item: pk INCIDENT#<id>,
// sk RESPONSE#<time>#<requestId>, kind "response", doc (the request JSON),
// and incidentId, playbook, requestedBy as top-level attributes.
// EncodeComment builds the item of a comment on incident id.
func EncodeComment(id string, c incident.Comment) (map[string]types.AttributeValue, error) {
	return auxItem(id, resources.SKComment+sortTime(c.At)+"#"+c.ID, KindComment, c)
}

// EncodeResponseRequest builds the item of a response request.
func EncodeResponseRequest(r incident.ResponseRequest) (map[string]types.AttributeValue, error) {
	item, err := auxItem(r.IncidentID, resources.SKResponse+sortTime(r.RequestedAt)+"#"+r.ID, KindResponse, r)
	if err != nil {
		return nil, err
	}
	item["playbook"] = s(r.Playbook)
	setStr(item, "requestedBy", r.RequestedBy)
	return item, nil
}

// DecodeResponseRequest reads a response-request item (for example a
// stream image converted with FromImage).
func DecodeResponseRequest(item map[string]types.AttributeValue) (incident.ResponseRequest, error) {
	return decodeDoc[incident.ResponseRequest](item, "response request")
}

// DecodeComment reads a comment item (as the stream carries it).
func DecodeComment(item map[string]types.AttributeValue) (incident.Comment, error) {
	return decodeDoc[incident.Comment](item, "comment")
}

func decodeDoc[T any](item map[string]types.AttributeValue, what string) (T, error) {
	var v T
	doc, ok := item[attrDoc].(*types.AttributeValueMemberS)
	if !ok {
		return v, fmt.Errorf("decode %s: no %s attribute", what, attrDoc)
	}
	if err := json.Unmarshal([]byte(doc.Value), &v); err != nil {
		return v, fmt.Errorf("decode %s: %w", what, err)
	}
	return v, nil
}

// queryAux returns the docs of incident id's items whose sort key starts
// with prefix, oldest first, at most maxAux (the newest ones).
func (s *Store) queryAux(ctx context.Context, id, prefix string, each func(doc []byte) error) error {
	kc := expression.Key(resources.AttrPK).Equal(expression.Value(resources.PrefixIncident + id)).
		And(expression.Key(resources.AttrSK).BeginsWith(prefix))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return fmt.Errorf("build query: %w", err)
	}
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(maxAux),
	})
	var docs []string
	for p.HasMorePages() && len(docs) < maxAux {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("query %s of incident %s: %w", prefix, id, err)
		}
		for _, it := range page.Items[:min(len(page.Items), maxAux-len(docs))] {
			docs = append(docs, StringAttr(it, attrDoc))
		}
	}
	for i := len(docs) - 1; i >= 0; i-- {
		if err := each([]byte(docs[i])); err != nil {
			return fmt.Errorf("decode %s of incident %s: %w", prefix, id, err)
		}
	}
	return nil
}

// Timeline returns the incident's timeline, oldest first.
func (s *Store) Timeline(ctx context.Context, id string) ([]incident.TimelineEntry, error) {
	var out []incident.TimelineEntry
	err := s.queryAux(ctx, id, resources.SKTimeline, func(b []byte) error {
		var e incident.TimelineEntry
		if err := json.Unmarshal(b, &e); err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, err
}

// Comments returns the incident's comments, oldest first.
func (s *Store) Comments(ctx context.Context, id string) ([]incident.Comment, error) {
	var out []incident.Comment
	err := s.queryAux(ctx, id, resources.SKComment, func(b []byte) error {
		var c incident.Comment
		if err := json.Unmarshal(b, &c); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

// ResponseRequests returns the incident's response requests, oldest first.
func (s *Store) ResponseRequests(ctx context.Context, id string) ([]incident.ResponseRequest, error) {
	var out []incident.ResponseRequest
	err := s.queryAux(ctx, id, resources.SKResponse, func(b []byte) error {
		var r incident.ResponseRequest
		if err := json.Unmarshal(b, &r); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// AddTimeline records one timeline entry on a visible incident.
func (s *Store) AddTimeline(ctx context.Context, id string, e incident.TimelineEntry) error {
	if e.At.IsZero() {
		e.At = s.now().UTC()
	}
	tl, err := timelineItem(id, e)
	if err != nil {
		return err
	}
	return s.writeAux(ctx, id, tl)
}

// ReportResponse records a playbook's report on response request
// requestID of incident id: report (incident.ResponseRequest.Report) is
// applied to the stored request, which is written back conditioned on its
// report count, with a timeline entry by "playbook:<name>". An unknown
// request, or one of another incident, is incident.ErrNotFound; a report
// the request refuses (incident.ErrReportIgnored) or a concurrent report
// (incident.ErrConflict) changes nothing.
func (s *Store) ReportResponse(ctx context.Context, id, requestID string, report func(*incident.ResponseRequest) error) (incident.ResponseRequest, error) {
	item, req, err := s.findResponse(ctx, id, requestID)
	if err != nil {
		return req, err
	}
	before := req.Reports
	if err := report(&req); err != nil {
		return req, err
	}
	next, err := EncodeResponseRequest(req)
	if err != nil {
		return req, err
	}
	next[resources.AttrSK] = item[resources.AttrSK]
	next["reports"] = n(req.Reports)
	cond := expression.Name("reports").AttributeNotExists()
	if before > 0 {
		cond = expression.Name("reports").Equal(expression.Value(before))
	}
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return req, fmt.Errorf("build condition: %w", err)
	}
	at := s.now().UTC()
	if req.UpdatedAt != nil {
		at = *req.UpdatedAt
	}
	tl, err := timelineItem(id, incident.TimelineEntry{At: at, Actor: "playbook:" + req.Playbook,
		Action: "response " + strings.ToLower(string(req.Status)), Detail: truncate(req.Message, 200)})
	if err != nil {
		return req, err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.table), Item: next, ConditionExpression: expr.Condition(),
			ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}},
		{Put: &types.Put{TableName: aws.String(s.table), Item: tl}},
	}})
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) {
		return req, fmt.Errorf("response %s of incident %s reported concurrently: %w", requestID, id, incident.ErrConflict)
	}
	if err != nil {
		return req, fmt.Errorf("report response %s of incident %s: %w", requestID, id, err)
	}
	return req, nil
}

// findResponse reads response request requestID among incident id's
// (the newest maxAux).
func (s *Store) findResponse(ctx context.Context, id, requestID string) (map[string]types.AttributeValue, incident.ResponseRequest, error) {
	kc := expression.Key(resources.AttrPK).Equal(expression.Value(resources.PrefixIncident + id)).
		And(expression.Key(resources.AttrSK).BeginsWith(resources.SKResponse))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, incident.ResponseRequest{}, fmt.Errorf("build query: %w", err)
	}
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName: aws.String(s.table), KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ScanIndexForward: aws.Bool(false), ConsistentRead: aws.Bool(true),
	})
	for read := 0; p.HasMorePages() && read < maxAux; {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, incident.ResponseRequest{}, fmt.Errorf("query responses of incident %s: %w", id, err)
		}
		for _, it := range page.Items {
			read++
			if r, err := DecodeResponseRequest(it); err == nil && r.ID == requestID {
				return it, r, nil
			}
		}
	}
	return nil, incident.ResponseRequest{}, fmt.Errorf("response %s of incident %s: %w", requestID, id, incident.ErrNotFound)
}
