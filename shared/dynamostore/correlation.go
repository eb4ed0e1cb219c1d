package dynamostore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/resources"
)

// Correlation state on the table (see the resources package for the layout):
//
//	key-day   pk KEY#<key>  sk DAY#<yyyy-mm-dd>  state (S, JSON entries), version,
//	          noisy (BOOL), gsi1pk NOISYKEY / gsi1sk <since>#<key> while noisy,
//	          expiresAt (the day's end + KeyDayRetention)
//	group     the incident item (EncodeIncident) with the group state in "group"
//
// Every write is conditioned on the version read, inside one
// TransactWriteItems per correlate.Unit, so two correlator workers touching
// the same keys or groups serialise: the loser gets correlate.ErrConflict,
// reloads and applies again.

// Key-day item constants.
const (
	KindKeyDay = "keyday"
	// NoisyKeyPartition is the gsi1 partition listing noisy keys.
	NoisyKeyPartition = "NOISYKEY"
	// KeyDayRetention is how long a key-day item outlives its day: longer
	// than the largest correlation window (correlate.MaxWindow), so every
	// alert within a window of a live alert is still indexed, and longer
	// than InvestigationDays, so the query API's entity pages and related
	// incidents see a month of a key's history.
	KeyDayRetention = max(correlate.MaxWindow+2*24*time.Hour, (InvestigationDays+1)*24*time.Hour)
	// InvestigationDays is how far back an entity's history and an
	// incident's related incidents reach.
	InvestigationDays = 30

	attrState      = "state"
	attrNoisy      = "noisy"
	attrMembership = "membership"
	attrReason     = "reason"
)

var _ correlate.Store = (*Store)(nil)

// KeyDayKey is the primary key of a key-day item.
func KeyDayKey(id correlate.KeyDayID) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		resources.AttrPK: s(resources.PrefixKey + string(id.Key)),
		resources.AttrSK: s(resources.SKKeyDay + id.Day),
	}
}

type keyDayState struct {
	Entries        correlate.Entries `json:"entries"`
	NoisySince     time.Time         `json:"noisySince,omitzero"`
	NoisyResources int               `json:"noisyResources,omitempty"`
	NoisySample    []string          `json:"noisySample,omitempty"`
}

// EncodeKeyDay builds the item of a key-day record at its Version.
func EncodeKeyDay(kd *correlate.KeyDay) (map[string]types.AttributeValue, error) {
	st, err := json.Marshal(keyDayState{Entries: kd.Entries, NoisySince: kd.NoisySince,
		NoisyResources: kd.NoisyResources, NoisySample: kd.NoisySample})
	if err != nil {
		return nil, fmt.Errorf("encode key-day %s %s: %w", kd.Key, kd.Day, err)
	}
	item := KeyDayKey(kd.ID())
	item[attrKind] = s(KindKeyDay)
	item[attrState] = s(string(st))
	item[resources.AttrVersion] = n(kd.Version)
	item[attrNoisy] = &types.AttributeValueMemberBOOL{Value: kd.Noisy}
	if kd.Noisy {
		item[resources.AttrGSI1PK] = s(NoisyKeyPartition)
		item[resources.AttrGSI1SK] = s(sortTime(kd.NoisySince) + "#" + string(kd.Key))
	}
	if day, err := time.Parse(correlate.DayLayout, kd.Day); err == nil {
		item[resources.AttrTTL] = n(day.Add(24 * time.Hour).Add(KeyDayRetention).Unix())
	}
	return item, nil
}

// DecodeKeyDay reads a key-day item.
func DecodeKeyDay(item map[string]types.AttributeValue) (*correlate.KeyDay, error) {
	pk, sk := StringAttr(item, resources.AttrPK), StringAttr(item, resources.AttrSK)
	if !strings.HasPrefix(pk, resources.PrefixKey) || !strings.HasPrefix(sk, resources.SKKeyDay) {
		return nil, fmt.Errorf("decode key-day: not a key-day item (%s/%s)", pk, sk)
	}
	kd := &correlate.KeyDay{
		Key: alert.Key(strings.TrimPrefix(pk, resources.PrefixKey)),
		Day: strings.TrimPrefix(sk, resources.SKKeyDay),
	}
	var st keyDayState
	if err := json.Unmarshal([]byte(StringAttr(item, attrState)), &st); err != nil {
		return nil, fmt.Errorf("decode key-day %s %s: %w", kd.Key, kd.Day, err)
	}
	kd.Entries = st.Entries
	kd.NoisySince, kd.NoisyResources, kd.NoisySample = st.NoisySince, st.NoisyResources, st.NoisySample
	if b, ok := item[attrNoisy].(*types.AttributeValueMemberBOOL); ok {
		kd.Noisy = b.Value
	}
	kd.Version = version(item)
	return kd, nil
}

// groupManagedAttrs are the incident-item attributes the correlator's
// encoding owns; anything else another writer put on the item survives a
// correlator rewrite.
var groupManagedAttrs = map[string]bool{
	resources.AttrPK: true, resources.AttrSK: true, attrKind: true, attrDoc: true, attrGroup: true,
	attrIsIncident: true, resources.AttrVersion: true, "title": true, "severity": true, "sevRank": true,
	"status": true, "owner": true, "mergedInto": true, "firstActivity": true, "lastActivity": true,
	"tactics": true, "resourceIds": true, "providers": true, resources.AttrGSI1PK: true, resources.AttrGSI1SK: true,
}

// MaxIncidentItemBytes is the largest incident item EncodeGroup builds
// (DynamoDB's limit is 400 KB). An incident holds at most
// correlate.MaxAlertsPerIncident members and bounded lists of resources and
// entities, but tags and long values can still add up; see fitIncident.
const MaxIncidentItemBytes = 390_000

// EncodeGroup builds the incident item of a group at its Version. An item
// over MaxIncidentItemBytes is shrunk in what only people read (see
// fitIncident) rather than refused: refusing it would stop the stream.
func EncodeGroup(g *correlate.Group) (map[string]types.AttributeValue, error) {
	inc, st := g.Incident, g.State()
	item, err := encodeGroupItem(g, inc, st)
	if err != nil {
		return nil, err
	}
	for step := 0; ItemSize(item) > MaxIncidentItemBytes; step++ {
		if !fitIncident(&inc, &st, step) {
			return nil, fmt.Errorf("encode group %s: %d bytes even shrunk, over the limit of %d", g.ID(), ItemSize(item), MaxIncidentItemBytes)
		}
		if item, err = encodeGroupItem(g, inc, st); err != nil {
			return nil, err
		}
	}
	return item, nil
}

// fitIncident shrinks an incident's stored form one step at a time,
// cheapest loss first: the text of its memberships as shown (reasons,
// names and keys cut to 160, 60 and 100 bytes; the bulk of a large
// incident, and rebuilt for every alert that joins later), then resource
// tags, then entities beyond the first 20, then resources beyond the first
// 10, and at last the memberships' text altogether. It reports false when
// nothing is left to cut. Members keep their alert ids, stages and times,
// and the key-day records keep every link, so what correlates is
// unchanged; a later alert may add back what was cut, and the item is
// shrunk again.
func fitIncident(inc *incident.Incident, st *correlate.GroupState, step int) bool {
	switch step {
	case 0:
		clipMembers(st, 160, 60, 100)
	case 1:
		rs := make([]alert.Resource, len(inc.Resources))
		for i, r := range inc.Resources {
			r.Tags = nil
			rs[i] = r
		}
		inc.Resources = rs
	case 2:
		inc.Entities = inc.Entities[:min(len(inc.Entities), 20)]
	case 3:
		inc.Resources = inc.Resources[:min(len(inc.Resources), 10)]
	case 4:
		// Last: the memberships' text goes altogether (the alerts, their
		// stages and the links stay).
		clipMembers(st, 0, 0, 40)
	default:
		return false
	}
	return true
}

// clipMembers replaces st's members with copies whose reason, name and key
// are cut to the given lengths (0: emptied). The stored members are shared,
// so they are not written in place.
func clipMembers(st *correlate.GroupState, reason, name, key int) {
	clip := func(s string, n int) string {
		if n == 0 {
			return ""
		}
		return alert.Clip(s, n)
	}
	ms := make([]correlate.Member, len(st.Members))
	for i, m := range st.Members {
		m.Reason, m.Name, m.Key = clip(m.Reason, reason), clip(m.Name, name), clip(m.Key, key)
		ms[i] = m
	}
	st.Members = ms
}

func encodeGroupItem(g *correlate.Group, inc incident.Incident, st correlate.GroupState) (map[string]types.AttributeValue, error) {
	raw, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encode group %s: %w", g.ID(), err)
	}
	item, err := EncodeIncident(IncidentRecord{Incident: inc, Group: raw, IsIncident: g.IsIncident, Version: g.Version})
	if err != nil {
		return nil, err
	}
	if len(inc.Resources) < len(g.Incident.Resources) {
		// Shrunk: the resource filter (GET /incidents?resource=) still
		// reads every resource id, whatever the shown list keeps.
		setIf(item, "resourceIds", ss(resourceIDs(g.Incident.Resources)))
	}
	if extra, ok := g.Opaque.(map[string]types.AttributeValue); ok {
		for k, v := range extra {
			if _, set := item[k]; !set {
				item[k] = v
			}
		}
	}
	return item, nil
}

// DecodeGroup reads an incident item as a correlation group.
func DecodeGroup(item map[string]types.AttributeValue) (*correlate.Group, error) {
	rec, err := DecodeIncident(item)
	if err != nil {
		return nil, err
	}
	var st correlate.GroupState
	if len(rec.Group) > 0 {
		if err := json.Unmarshal(rec.Group, &st); err != nil {
			return nil, fmt.Errorf("decode group %s: %w", rec.Incident.ID, err)
		}
	}
	g := correlate.NewGroupFrom(rec.Incident, st, rec.IsIncident, rec.Version)
	extra := map[string]types.AttributeValue{}
	for k, v := range item {
		if !groupManagedAttrs[k] {
			extra[k] = v
		}
	}
	if len(extra) > 0 {
		g.Opaque = extra
	}
	return g, nil
}

// batchGet reads items by key with strongly consistent BatchGetItem calls
// of at most 100 keys.
func (s *Store) batchGet(ctx context.Context, keys []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	var out []map[string]types.AttributeValue
	for chunk := range slices.Chunk(keys, 100) {
		items, err := s.batchGetChunk(ctx, chunk)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
	}
	return out, nil
}

// maxBatchAttempts bounds the BatchGetItem calls for one chunk of keys:
// the first, then retries of the keys DynamoDB left unprocessed.
const maxBatchAttempts = 9

// batchGetChunk reads up to 100 keys. The SDK's paginator re-requests the
// keys DynamoDB leaves unprocessed; each retry waits a little longer
// (20 ms × attempt²), as DynamoDB asks.
// With attrs, only those attributes of each item are read.
func (s *Store) batchGetChunk(ctx context.Context, keys []map[string]types.AttributeValue, attrs ...string) ([]map[string]types.AttributeValue, error) {
	ka := types.KeysAndAttributes{Keys: keys, ConsistentRead: aws.Bool(true)}
	if len(attrs) > 0 {
		var proj []string
		ka.ExpressionAttributeNames = map[string]string{}
		for i, a := range attrs {
			name := fmt.Sprintf("#a%d", i)
			ka.ExpressionAttributeNames[name] = a
			proj = append(proj, name)
		}
		ka.ProjectionExpression = aws.String(strings.Join(proj, ", "))
	}
	p := dynamodb.NewBatchGetItemPaginator(s.db, &dynamodb.BatchGetItemInput{
		RequestItems: map[string]types.KeysAndAttributes{s.table: ka},
	})
	var out []map[string]types.AttributeValue
	unprocessed := 0
	for attempt := 0; p.HasMorePages(); attempt++ {
		if attempt == maxBatchAttempts {
			return nil, fmt.Errorf("batch get: %d keys still unprocessed", unprocessed)
		}
		if attempt > 0 {
			if err := sleep(ctx, time.Duration(attempt*attempt)*20*time.Millisecond); err != nil {
				return nil, err
			}
		}
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("batch get: %w", err)
		}
		out = append(out, page.Responses[s.table]...)
		unprocessed = len(page.UnprocessedKeys[s.table].Keys)
	}
	return out, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// LoadKeyDays reads the key-day items that exist among ids.
func (s *Store) LoadKeyDays(ctx context.Context, ids []correlate.KeyDayID) (map[correlate.KeyDayID]*correlate.KeyDay, error) {
	keys := make([]map[string]types.AttributeValue, len(ids))
	for i, id := range ids {
		keys[i] = KeyDayKey(id)
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("load key-days: %w", err)
	}
	out := make(map[correlate.KeyDayID]*correlate.KeyDay, len(items))
	for _, item := range items {
		kd, err := DecodeKeyDay(item)
		if err != nil {
			return nil, err
		}
		out[kd.ID()] = kd
	}
	return out, nil
}

// LoadGroups reads the group (incident) items that exist among ids.
func (s *Store) LoadGroups(ctx context.Context, ids []string) (map[string]*correlate.Group, error) {
	keys := make([]map[string]types.AttributeValue, len(ids))
	for i, id := range ids {
		keys[i] = IncidentKey(id)
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("load groups: %w", err)
	}
	out := make(map[string]*correlate.Group, len(items))
	for _, item := range items {
		g, err := DecodeGroup(item)
		if err != nil {
			return nil, err
		}
		out[g.ID()] = g
	}
	return out, nil
}

// versionCondition is "stored version is v" (absent when v is 0).
func versionCondition(v int64) (*string, map[string]string, map[string]types.AttributeValue) {
	if v == 0 {
		return aws.String("attribute_not_exists(#pk)"), map[string]string{"#pk": resources.AttrPK}, nil
	}
	return aws.String("#v = :v"), map[string]string{"#v": resources.AttrVersion},
		map[string]types.AttributeValue{":v": n(v)}
}

// Commit writes a unit in one TransactWriteItems call, every record
// conditioned on its version.
func (s *Store) Commit(ctx context.Context, u *correlate.Unit) error {
	if u.Items() == 0 {
		return nil
	}
	if u.Items() > correlate.MaxTransactionItems {
		return fmt.Errorf("commit correlation: %d records exceed one transaction", u.Items())
	}
	tx := make([]types.TransactWriteItem, 0, u.Items())
	for _, kd := range u.KeyDays {
		item, err := EncodeKeyDay(kd)
		if err != nil {
			return err
		}
		cond, names, vals := versionCondition(kd.Version - 1)
		tx = append(tx, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: item,
			ConditionExpression: cond, ExpressionAttributeNames: names, ExpressionAttributeValues: vals}})
	}
	for _, c := range u.Checks {
		cond, names, vals := versionCondition(c.Version)
		tx = append(tx, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.table),
			Key: KeyDayKey(c.ID), ConditionExpression: cond, ExpressionAttributeNames: names, ExpressionAttributeValues: vals}})
	}
	for _, g := range u.Groups {
		item, err := EncodeGroup(g)
		if err != nil {
			return err
		}
		cond, names, vals := versionCondition(g.Version - 1)
		tx = append(tx, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: item,
			ConditionExpression: cond, ExpressionAttributeNames: names, ExpressionAttributeValues: vals}})
	}
	for _, r := range u.Timeline {
		item, err := timelineItem(r.IncidentID, r.Entry)
		if err != nil {
			return err
		}
		tx = append(tx, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: item}})
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
	if err == nil {
		return nil
	}
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) {
		for _, r := range canceled.CancellationReasons {
			switch aws.ToString(r.Code) {
			case "ConditionalCheckFailed", "TransactionConflict":
				return fmt.Errorf("commit correlation: %w", correlate.ErrConflict)
			}
		}
	}
	var conflict *types.TransactionConflictException
	if errors.As(err, &conflict) {
		return fmt.Errorf("commit correlation: %w", correlate.ErrConflict)
	}
	return fmt.Errorf("commit correlation: %w", err)
}

// Assign records each alert's incident on its item: the incidentId inside
// the document and as the filter attribute, the incident index (gsi2), and
// the membership (why it joined). Each alert is read (one batch) and
// rewritten with a condition on its version; an alert already assigned is
// not written, one that no longer exists is skipped.
func (s *Store) Assign(ctx context.Context, as []correlate.Assignment) error {
	if len(as) == 0 {
		return nil
	}
	keys := make([]map[string]types.AttributeValue, len(as))
	for i, a := range as {
		keys[i] = AlertKey(a.AlertID)
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return fmt.Errorf("assign alerts: %w", err)
	}
	byID := make(map[string]map[string]types.AttributeValue, len(items))
	for _, item := range items {
		byID[strings.TrimPrefix(StringAttr(item, resources.AttrPK), resources.PrefixAlert)] = item
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		work  = make(chan correlate.Assignment)
	)
	for w := 0; w < min(8, len(as)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range work {
				mu.Lock()
				item := byID[a.AlertID]
				mu.Unlock()
				if err := s.assign(ctx, a, item); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, a := range as {
		work <- a
	}
	close(work)
	wg.Wait()
	return first
}

func (st *Store) assign(ctx context.Context, as correlate.Assignment, item map[string]types.AttributeValue) error {
	for attempt := 0; attempt < 5; attempt++ {
		if item == nil {
			return nil // the alert is gone (retention); nothing to assign
		}
		a, v, err := DecodeAlert(item)
		if err != nil {
			return fmt.Errorf("assign alert %s: %w", as.AlertID, err)
		}
		if a.IncidentID == as.IncidentID && StringAttr(item, "incidentId") == as.IncidentID {
			return nil
		}
		a.IncidentID = as.IncidentID
		doc, err := json.Marshal(&a)
		if err != nil {
			return fmt.Errorf("assign alert %s: %w", as.AlertID, err)
		}
		in, err := assignUpdate(st.table, as, a, string(doc), v)
		if err != nil {
			return fmt.Errorf("assign alert %s: %w", as.AlertID, err)
		}
		_, err = st.db.UpdateItem(ctx, in)
		var ccf *types.ConditionalCheckFailedException
		switch {
		case err == nil:
			return nil
		case errors.As(err, &ccf):
			// Ingest rewrote the alert meanwhile: read it again.
			out, gerr := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(st.table),
				Key: AlertKey(as.AlertID), ConsistentRead: aws.Bool(true)})
			if gerr != nil {
				return fmt.Errorf("assign alert %s: %w", as.AlertID, gerr)
			}
			item = out.Item
		default:
			return fmt.Errorf("assign alert %s: %w", as.AlertID, err)
		}
	}
	return fmt.Errorf("assign alert %s: %w", as.AlertID, correlate.ErrConflict)
}

// assignUpdate is the conditional update that sets an alert's incident
// (with its membership and the incident index keys), or removes them all
// when the assignment is empty (the alert left the incident).
func assignUpdate(table string, as correlate.Assignment, a alert.Alert, doc string, v int64) (*dynamodb.UpdateItemInput, error) {
	in := &dynamodb.UpdateItemInput{
		TableName:           aws.String(table),
		Key:                 AlertKey(as.AlertID),
		ConditionExpression: aws.String("#v = :v"),
		ExpressionAttributeNames: map[string]string{"#doc": attrDoc, "#inc": "incidentId", "#g2pk": resources.AttrGSI2PK,
			"#g2sk": resources.AttrGSI2SK, "#m": attrMembership, "#r": attrReason, "#v": resources.AttrVersion},
		ExpressionAttributeValues: map[string]types.AttributeValue{":doc": s(doc), ":v": n(v), ":nv": n(v + 1)},
	}
	if as.IncidentID == "" {
		in.UpdateExpression = aws.String("SET #doc = :doc, #v = :nv REMOVE #inc, #g2pk, #g2sk, #m, #r")
		return in, nil
	}
	m, err := json.Marshal(as.Membership)
	if err != nil {
		return nil, err
	}
	in.UpdateExpression = aws.String("SET #doc = :doc, #inc = :inc, #g2pk = :g2pk, #g2sk = :g2sk, #m = :m, #r = :r, #v = :nv")
	vals := in.ExpressionAttributeValues
	vals[":inc"], vals[":g2pk"] = s(as.IncidentID), s(IncidentIndexKey(as.IncidentID))
	vals[":g2sk"], vals[":m"], vals[":r"] = s(TimeSortKey(a.FirstSeen, a.ID)), s(string(m)), s(as.Membership.Reason)
	return in, nil
}

// NoisyKeys lists the keys that turned noisy since the given time, newest
// first (a Query on the time index's NOISYKEY partition).
func (st *Store) NoisyKeys(ctx context.Context, since time.Time, limit int) ([]correlate.NoisyKey, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []correlate.NoisyKey
	err := st.newestInPartition(ctx, NoisyKeyPartition, since, limit, func(item map[string]types.AttributeValue) error {
		kd, err := DecodeKeyDay(item)
		if err == nil {
			out = append(out, correlate.NoisyKeyOf(kd))
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list noisy keys: %w", err)
	}
	return out, nil
}

// newestInPartition calls each with the items of a time-index partition
// sorted at or after since, newest first, at most limit of them.
func (st *Store) newestInPartition(ctx context.Context, partition string, since time.Time, limit int, each func(map[string]types.AttributeValue) error) error {
	p := dynamodb.NewQueryPaginator(st.db, &dynamodb.QueryInput{
		TableName:                aws.String(st.table),
		IndexName:                aws.String(resources.IndexTime),
		KeyConditionExpression:   aws.String("#pk = :pk AND #sk >= :since"),
		ExpressionAttributeNames: map[string]string{"#pk": resources.AttrGSI1PK, "#sk": resources.AttrGSI1SK},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": s(partition), ":since": s(sortTime(since)),
		},
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(int32(limit)),
	})
	for n := 0; p.HasMorePages() && n < limit; {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, item := range page.Items[:min(len(page.Items), limit-n)] {
			if err := each(item); err != nil {
				return err
			}
			n++
		}
	}
	return nil
}

// MaxCandidateDays bounds how far back a candidate list reaches.
const MaxCandidateDays = 30

// ListCandidates lists candidates (IsCandidate: linked groups below the
// incident threshold) last active since the given time, newest first, at
// most limit: a Query per month partition of the time index and write
// shard (at most two months for MaxCandidateDays), never a Scan.
func (st *Store) ListCandidates(ctx context.Context, since time.Time, limit int) ([]incident.Incident, error) {
	var out []incident.Incident
	for m := st.now().UTC(); len(out) < limit && !monthStart(m).Before(monthStart(since)); m = monthStart(m).Add(-time.Nanosecond) {
		items, err := st.newestAcross(ctx, monthShards(PrefixCandidate+month(m)), since, limit-len(out))
		if err != nil {
			return nil, fmt.Errorf("list candidates: %w", err)
		}
		for _, item := range items {
			r, err := DecodeIncident(item)
			if err != nil {
				return nil, err
			}
			out = append(out, r.Incident)
		}
	}
	return out, nil
}

func monthStart(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}
