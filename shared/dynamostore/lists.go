package dynamostore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/listing"
	"github.com/muster-sec/muster/shared/resources"
)

// Access patterns of the list queries (docs/api.md has the full table):
//
//	alerts of one incident        gsi2  gsi2pk = INC#<id>                       newest firstSeen first
//	alerts of one resource        gsi3  gsi3pk = RES#<id>, gsi3sk BETWEEN t      newest lastSeen first
//	alerts, any other filter      gsi1  gsi1pk = ALERT#<yyyy-mm>#<n>, gsi1sk BETWEEN  per month and shard, newest first
//	incidents                     gsi1  gsi1pk = INCIDENT#<yyyy-mm>#<n>, …            per month and shard, newest first
//
// The time index is write-sharded (timeindex.go): a list on it reads one
// stream per shard (and one for the unsharded keys of older items), each
// walking the months newest first for its share of the page
// (source.share), and merges the streams by sort key; the list position
// holds each stream's place. Every other filter is a FilterExpression on
// the item's top-level attributes. Each Query call asks for Limit =
// share+1 items (4×(share+1), between 100 and 1,000, when a filter may
// drop items). A page reads in
// rounds until it holds limit items or the partitions are exhausted, at
// most MaxListRounds rounds; a very selective filter can still return a
// short (even empty) page with a position to continue from. Nothing here
// Scans.

// DefaultListWindow is how far back a list looks when the filter has no
// Since.
const DefaultListWindow = 90 * 24 * time.Hour

// ErrBadPosition is returned for a list position the store cannot use.
var ErrBadPosition = errors.New("invalid list position")

// MaxListMonths caps the month partitions of the time index that one list
// walks (per source: alerts, incidents), so no caller can make a page read
// thousands of empty partitions. The query API accepts windows of at most
// 731 days that end at most a day ahead: those touch at most 26 calendar
// months.
const MaxListMonths = 26

// ErrWindowTooWide is returned for a list whose time window spans more
// than MaxListMonths month partitions; nothing is read.
var ErrWindowTooWide = errors.New("list time window too wide")

// source is one ordered walk over index partitions, each read newest first.
type source struct {
	kind   listing.Kind
	index  string
	pkAttr string
	skAttr string
	parts  []string
	lo, hi string // sort-key bounds; both "" for none
	filter *expression.ConditionBuilder
	empty  bool // the filter can match nothing
	// shards is the number of sources the list's walk over the time index
	// was split into (shard); 0 or 1 for a whole source.
	shards int
}

// share is how many items a source reads in a round of a page of limit
// items when remaining are still wanted: all of them for a whole source;
// for one of n shard sources 2×limit/n + 1 (when fewer remain, those). The
// merge places everything down to the newest frontier among the sources
// that read their share, which is at least share+1 items, so an
// unfiltered page fills within n/2 rounds (5 of MaxListRounds) and reads
// about twice its size instead of n times.
func (src *source) share(limit, remaining int) int {
	if src.shards <= 1 {
		return remaining
	}
	return min(remaining, (2*limit+src.shards-1)/src.shards+1)
}

// streamPos is where a walk resumes.
type streamPos struct {
	Part int `json:"p"`
	// PK names the partition Part indexed when the position was made: the
	// partitions of a filter without until move with the clock (a new month
	// appears at the front), so a later page finds its partition by name.
	PK string `json:"pk,omitempty"`
	// SK is the index sort key of the last item read: the walk resumes
	// after it (source.startKey rebuilds the item's key from it). Key is
	// the whole key, as positions made before the time index was sharded
	// held it.
	SK   string            `json:"s,omitempty"`
	Key  map[string]string `json:"k,omitempty"`
	Done bool              `json:"d,omitempty"`
}

// rebase points pos at its partition among parts (found by name), or
// reports the walk finished when the partition has left the window.
func (pos streamPos) rebase(parts []string) (streamPos, error) {
	if pos.Done || pos.PK == "" {
		if pos.Part > len(parts) {
			return pos, ErrBadPosition
		}
		return pos, nil
	}
	for i, p := range parts {
		if p == pos.PK {
			pos.Part = i
			return pos, nil
		}
	}
	// Older than every partition still in the window: nothing left.
	return streamPos{Done: true}, nil
}

// position is a list's place: one streamPos per source, in order. Alerts
// is the first form's, made before the time index was sharded, still read
// for the lists that have one source (on gsi2 or gsi3); any other list
// refuses a position of the first form.
type position struct {
	Streams []streamPos `json:"s,omitempty"`
	Alerts  *streamPos  `json:"a,omitempty"`
}

type hit struct {
	part int
	item map[string]types.AttributeValue
	sk   string
}

type walkResult struct {
	hits []hit
	// stop is set when a partition has more items but this page stops
	// reading it (filters dropped items); frontier is its sort key.
	stop     *streamPos
	frontier string
	more     bool // more than limit hits were read
	done     bool // every partition is exhausted
}

// ListAlerts returns one page of alerts (or, with Kind incident or all,
// incidents among them) matching f, newest first, resuming at after (a
// Page.Next of an earlier call with the same filter; "" for the first page).
func (s *Store) ListAlerts(ctx context.Context, f listing.Filter, limit int, after string) (listing.Page, error) {
	var builders []func(listing.Filter) (*source, error)
	switch f.Kind {
	case listing.KindIncident:
		builders = append(builders, s.incidentSource)
	case listing.KindAll:
		builders = append(builders, s.alertSource, s.incidentSource)
	default:
		builders = append(builders, s.alertSource)
	}
	var srcs []*source
	for _, build := range builders {
		src, err := build(f)
		if err != nil {
			return listing.Page{}, err
		}
		srcs = append(srcs, shard(src)...)
	}
	return s.list(ctx, srcs, limit, after)
}

// shard splits a source on the time index into one source per write
// shard of its months, plus one for the months' unsharded keys
// (monthShards); a source on another index is returned whole.
func shard(src *source) []*source {
	if src.index != resources.IndexTime {
		return []*source{src}
	}
	out := make([]*source, TimeShards+1)
	for i := range out {
		c := *src
		c.shards = len(out)
		c.parts = make([]string, len(src.parts))
		for j, p := range src.parts {
			c.parts[j] = monthShards(p)[i]
		}
		out[i] = &c
	}
	return out
}

// ListIncidents returns one page of incidents matching f, newest activity
// first.
func (s *Store) ListIncidents(ctx context.Context, f listing.Filter, limit int, after string) (listing.Page, error) {
	src, err := s.incidentSource(f)
	if err != nil {
		return listing.Page{}, err
	}
	return s.list(ctx, shard(src), limit, after)
}

func (s *Store) window(f listing.Filter) (since, until time.Time) {
	since, until = f.Since, f.Until
	if since.IsZero() {
		since = s.now().Add(-DefaultListWindow)
	}
	if until.IsZero() {
		until = s.now().Add(24 * time.Hour)
	}
	return since, until
}

// monthParts lists the month partitions from until's month back to
// since's, newest first, refusing more than MaxListMonths before it lists
// any.
func monthParts(prefix string, since, until time.Time) ([]string, error) {
	since, until = since.UTC(), until.UTC()
	n := (until.Year()-since.Year())*12 + int(until.Month()) - int(since.Month()) + 1
	if n > MaxListMonths {
		return nil, fmt.Errorf("%w: %s to %s spans %d month partitions, at most %d", ErrWindowTooWide,
			since.Format(time.RFC3339), until.Format(time.RFC3339), n, MaxListMonths)
	}
	return months(prefix, since, until), nil
}

func months(prefix string, since, until time.Time) []string {
	var out []string
	first := time.Date(since.Year(), since.Month(), 1, 0, 0, 0, 0, time.UTC)
	for m := time.Date(until.UTC().Year(), until.UTC().Month(), 1, 0, 0, 0, 0, time.UTC); !m.Before(first); m = m.AddDate(0, -1, 0) {
		out = append(out, prefix+month(m))
	}
	return out
}

func bounds(f listing.Filter) (lo, hi string) {
	lo, hi = "0", "9"
	if !f.Since.IsZero() {
		lo = sortTime(f.Since)
	}
	if !f.Until.IsZero() {
		hi = sortTime(f.Until) + "#~"
	}
	return lo, hi
}

func and(c *expression.ConditionBuilder, next expression.ConditionBuilder) *expression.ConditionBuilder {
	if c == nil {
		return &next
	}
	x := c.And(next)
	return &x
}

func inCond(attr string, vals []string) expression.ConditionBuilder {
	ops := make([]expression.OperandBuilder, 0, len(vals))
	for _, v := range vals {
		ops = append(ops, expression.Value(v))
	}
	return expression.Name(attr).In(ops[0], ops[1:]...)
}

func containsAny(attr string, vals []string) expression.ConditionBuilder {
	c := expression.Contains(expression.Name(attr), vals[0])
	for _, v := range vals[1:] {
		c = c.Or(expression.Contains(expression.Name(attr), v))
	}
	return c
}

func (s *Store) alertSource(f listing.Filter) (*source, error) {
	src := &source{kind: listing.KindAlert, empty: len(f.Owners) > 0 || len(f.Tags) > 0 || f.MinConfidence > 0}
	since, until := s.window(f)
	f.Since = since
	lo, hi := bounds(f)
	var filt *expression.ConditionBuilder
	switch {
	case len(f.Incidents) == 1:
		src.index, src.pkAttr, src.skAttr = resources.IndexIncident, resources.AttrGSI2PK, resources.AttrGSI2SK
		src.parts = []string{IncidentIndexKey(f.Incidents[0])}
		filt = and(filt, expression.Name("lastSeen").Between(expression.Value(lo), expression.Value(hi)))
	case len(f.Resources) == 1:
		src.index, src.pkAttr, src.skAttr = resources.IndexResource, resources.AttrGSI3PK, resources.AttrGSI3SK
		src.parts = []string{ResourceIndexKey(f.Resources[0])}
		src.lo, src.hi = lo, hi
	default:
		src.index, src.pkAttr, src.skAttr = resources.IndexTime, resources.AttrGSI1PK, resources.AttrGSI1SK
		parts, err := monthParts(resources.PrefixAlert, since, until)
		if err != nil {
			return nil, err
		}
		src.parts = parts
		src.lo, src.hi = lo, hi
	}
	if len(f.Resources) > 0 && src.index != resources.IndexResource {
		keys := make([]string, 0, len(f.Resources))
		for _, r := range f.Resources {
			keys = append(keys, ResourceIndexKey(r))
		}
		filt = and(filt, inCond(resources.AttrGSI3PK, keys))
	}
	if len(f.Incidents) > 1 {
		filt = and(filt, inCond("incidentId", f.Incidents))
	}
	if len(f.Names) > 0 {
		filt = and(filt, inCond("name", f.Names))
	}
	if len(f.Types) > 0 {
		filt = and(filt, inCond("type", f.Types))
	}
	if len(f.Severities) > 0 {
		filt = and(filt, inCond("severity", f.Severities))
	}
	if len(f.Statuses) > 0 {
		filt = and(filt, inCond("status", f.Statuses))
	}
	if len(f.Providers) > 0 {
		filt = and(filt, inCond("provider", f.Providers))
	}
	if len(f.Tactics) > 0 {
		filt = and(filt, containsAny("tactics", f.Tactics))
	}
	src.filter = filt
	return src, nil
}

func (s *Store) incidentSource(f listing.Filter) (*source, error) {
	src := &source{kind: listing.KindIncident, empty: len(f.Types) > 0 || len(f.Incidents) > 0,
		index: resources.IndexTime, pkAttr: resources.AttrGSI1PK, skAttr: resources.AttrGSI1SK}
	since, until := s.window(f)
	f.Since = since
	src.lo, src.hi = bounds(f)
	parts, err := monthParts(resources.PrefixIncident, since, until)
	if err != nil {
		return nil, err
	}
	src.parts = parts
	var filt *expression.ConditionBuilder
	if len(f.Names) > 0 {
		filt = and(filt, inCond("title", f.Names))
	}
	if len(f.Severities) > 0 {
		filt = and(filt, inCond("severity", f.Severities))
	}
	if len(f.Statuses) > 0 {
		filt = and(filt, inCond("status", f.Statuses))
	}
	if len(f.Owners) > 0 {
		filt = and(filt, inCond("owner", f.Owners))
	}
	if f.MinConfidence > 0 {
		c := expression.Name("confidence").GreaterThanEqual(expression.Value(f.MinConfidence))
		filt = and(filt, c)
	}
	if len(f.Providers) > 0 {
		filt = and(filt, containsAny("providers", f.Providers))
	}
	if len(f.Resources) > 0 {
		filt = and(filt, containsAny("resourceIds", f.Resources))
	}
	if len(f.Tactics) > 0 {
		filt = and(filt, containsAny("tactics", f.Tactics))
	}
	if len(f.Tags) > 0 {
		filt = and(filt, containsAny("tags", f.Tags))
	}
	src.filter = filt
	return src, nil
}

// walk reads src from pos until it holds more than limit hits, a partition
// stops short, or every partition is exhausted. It reads one page per
// partition, by hand rather than with the SDK's paginator: a page that
// stops short becomes the list position handed to the API client.
func (s *Store) walk(ctx context.Context, src *source, pos streamPos, limit int) (walkResult, error) {
	var res walkResult
	if src.empty || pos.Done {
		res.done = true
		return res, nil
	}
	var start map[string]types.AttributeValue
	switch {
	case pos.SK != "" && pos.Part < len(src.parts):
		start = src.startKey(pos.Part, pos.SK)
	case len(pos.Key) > 0:
		start = toKey(pos.Key)
	}
	for pi := pos.Part; pi < len(src.parts); pi++ {
		in, err := s.listQuery(src, pi, start, limit)
		if err != nil {
			return res, err
		}
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return res, fmt.Errorf("query %s %s: %w", src.index, src.parts[pi], err)
		}
		for _, it := range out.Items {
			res.hits = append(res.hits, hit{part: pi, item: it, sk: StringAttr(it, src.skAttr)})
		}
		if len(res.hits) > limit {
			res.more = true
			return res, nil
		}
		if len(out.LastEvaluatedKey) > 0 {
			res.frontier = StringAttr(out.LastEvaluatedKey, src.skAttr)
			res.stop = &streamPos{Part: pi, PK: src.parts[pi], SK: res.frontier}
			return res, nil
		}
		start = nil // the next partition is read from its newest item
	}
	res.done = true
	return res, nil
}

// listQuery is the Query of src's partition part, newest first, resuming
// after the key start when it is set. It asks for limit+1 items
// (FilteredQueryLimit when a filter may drop items): the hits beyond the
// page are read again next time.
func (s *Store) listQuery(src *source, part int, start map[string]types.AttributeValue, limit int) (*dynamodb.QueryInput, error) {
	kc := expression.Key(src.pkAttr).Equal(expression.Value(src.parts[part]))
	if src.lo != "" {
		kc = kc.And(expression.Key(src.skAttr).Between(expression.Value(src.lo), expression.Value(src.hi)))
	}
	b := expression.NewBuilder().WithKeyCondition(kc)
	queryLimit := limit + 1
	if src.filter != nil {
		b = b.WithFilter(*src.filter)
		queryLimit = FilteredQueryLimit(limit)
	}
	expr, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("build list query: %w", err)
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String(src.index),
		KeyConditionExpression:    expr.KeyCondition(),
		FilterExpression:          expr.Filter(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(queryLimit)),
	}
	if len(start) > 0 {
		in.ExclusiveStartKey = start
	}
	return in, nil
}

func toKey(m map[string]string) map[string]types.AttributeValue {
	out := make(map[string]types.AttributeValue, len(m))
	for k, v := range m {
		out[k] = s(v)
	}
	return out
}

// startKey is the key of the item with index sort key sk in src's
// partition part, as a Query resuming after it takes it: every list sort
// key ends with the item's id (TimeSortKey), which gives its table key.
func (src *source) startKey(part int, sk string) map[string]types.AttributeValue {
	id := sk[strings.LastIndex(sk, "#")+1:]
	pk, skValue := resources.PrefixAlert+id, resources.SKAlert
	if src.kind == listing.KindIncident {
		pk, skValue = resources.PrefixIncident+id, resources.SKIncident
	}
	return map[string]types.AttributeValue{
		resources.AttrPK: s(pk), resources.AttrSK: s(skValue),
		src.pkAttr: s(src.parts[part]), src.skAttr: s(sk),
	}
}

func (src *source) keyOf(h hit) *streamPos {
	return &streamPos{Part: h.part, PK: src.parts[h.part], SK: h.sk}
}

func decodePosition(after string, n int) ([]streamPos, error) {
	pos := make([]streamPos, n)
	if after == "" {
		return pos, nil
	}
	var p position
	if err := json.Unmarshal([]byte(after), &p); err != nil {
		return nil, ErrBadPosition
	}
	switch {
	case len(p.Streams) > 0:
		if len(p.Streams) != n || p.Alerts != nil {
			return nil, ErrBadPosition
		}
		copy(pos, p.Streams)
	case n == 1 && p.Alerts != nil:
		pos[0] = *p.Alerts
	default:
		return nil, ErrBadPosition
	}
	for _, x := range pos {
		if x.Part < 0 {
			return nil, ErrBadPosition
		}
	}
	return pos, nil
}

type tagged struct {
	hit
	stream int
}

// MaxListRounds bounds the reads behind one page: a selective filter may
// drop most items read, so a page keeps reading until it holds limit
// items, the sources are exhausted, or this many rounds have run (then it
// returns what it has, with a position to continue from). Each round
// queries each index partition at most once.
const MaxListRounds = 8

// FilteredQueryLimit is the Limit of a Query that a filter may thin out,
// when limit more items are wanted: more than limit+1, since most of what
// it reads may be dropped, and at most 1,000.
func FilteredQueryLimit(limit int) int { return min(max(4*(limit+1), 100), 1000) }

// list pages through one or two sources merged by sort key (newest first).
func (s *Store) list(ctx context.Context, srcs []*source, limit int, after string) (listing.Page, error) {
	if limit < 1 {
		limit = 1
	}
	pos, err := decodePosition(after, len(srcs))
	if err != nil {
		return listing.Page{}, err
	}
	for i, p := range pos {
		if pos[i], err = p.rebase(srcs[i].parts); err != nil {
			return listing.Page{}, err
		}
	}
	var page listing.Page
	for round := 0; ; round++ {
		items, next, err := s.listRound(ctx, srcs, limit, limit-len(page.Items), pos)
		if err != nil {
			return listing.Page{}, err
		}
		page.Items = append(page.Items, items...)
		if next == nil {
			return page, nil
		}
		pos = next
		if len(page.Items) >= limit || round+1 == MaxListRounds {
			break
		}
	}
	b, err := json.Marshal(position{Streams: pos})
	if err != nil {
		return listing.Page{}, fmt.Errorf("encode list position: %w", err)
	}
	page.Next = string(b)
	return page, nil
}

// listRound reads each source once from pos and returns up to limit more
// items of a page of pageLimit, in order, and the positions to continue
// from (nil when every source is exhausted). Every item a later round
// returns is older than these.
func (s *Store) listRound(ctx context.Context, srcs []*source, pageLimit, limit int, pos []streamPos) ([]listing.Item, []streamPos, error) {
	results, err := s.walkAll(ctx, srcs, pageLimit, limit, pos)
	if err != nil {
		return nil, nil, err
	}
	var all []tagged
	cutoff := ""
	for i, r := range results {
		for _, h := range r.hits {
			all = append(all, tagged{hit: h, stream: i})
		}
		// Items of other streams older than what this one has read cannot
		// be placed yet.
		f := r.frontier
		if r.more && len(r.hits) > 0 {
			f = r.hits[len(r.hits)-1].sk
		}
		if f > cutoff {
			cutoff = f
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].sk > all[j].sk })
	var items []listing.Item
	emitted := make([]int, len(srcs))
	last := make([]*hit, len(srcs))
	for _, t := range all {
		if len(items) == limit || t.sk < cutoff {
			break
		}
		item, err := decodeListItem(srcs[t.stream].kind, t.item)
		if err != nil {
			return nil, nil, err
		}
		items = append(items, item)
		emitted[t.stream]++
		h := t.hit
		last[t.stream] = &h
	}
	next := nextPositions(srcs, results, pos, emitted, last)
	if next == nil {
		return items, nil, nil
	}
	return items, next, nil
}

// nextPositions is where each source resumes after a round that placed
// emitted of its hits, the last of them last (nil when none); nil when
// every source is exhausted.
func nextPositions(srcs []*source, results []walkResult, pos []streamPos, emitted []int, last []*hit) []streamPos {
	next := make([]streamPos, len(srcs))
	finished := true
	for i, r := range results {
		switch {
		case emitted[i] < len(r.hits) && last[i] != nil:
			next[i] = *srcs[i].keyOf(*last[i])
		case emitted[i] < len(r.hits):
			next[i] = pos[i]
		case r.stop != nil:
			next[i] = *r.stop
		case r.done:
			next[i] = streamPos{Done: true}
		case last[i] != nil:
			// Read its share and placed all of it (a shard source, when
			// more remain than its share): go on after the last.
			next[i] = *srcs[i].keyOf(*last[i])
		}
		if !next[i].Done {
			finished = false
		}
	}
	if finished {
		return nil
	}
	return next
}

// walkAll walks every source from its position for its share of the
// limit items still wanted, all at once (a list on the time index has a
// source per write shard).
func (s *Store) walkAll(ctx context.Context, srcs []*source, pageLimit, limit int, pos []streamPos) ([]walkResult, error) {
	results := make([]walkResult, len(srcs))
	errs := make([]error, len(srcs))
	var wg sync.WaitGroup
	for i, src := range srcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = s.walk(ctx, src, pos[i], src.share(pageLimit, limit))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return results, nil
}

func decodeListItem(kind listing.Kind, item map[string]types.AttributeValue) (listing.Item, error) {
	if kind == listing.KindIncident {
		r, err := DecodeIncident(item)
		if err != nil {
			return listing.Item{}, err
		}
		return listing.Item{Kind: listing.KindIncident, Incident: &r.Incident}, nil
	}
	a, _, err := DecodeAlert(item)
	if err != nil {
		return listing.Item{}, err
	}
	a.Raw = nil
	it := listing.Item{Kind: listing.KindAlert, Alert: &a}
	// The correlator records why the alert joined on the alert item.
	if m := StringAttr(item, "membership"); m != "" && a.IncidentID != "" {
		var ms incident.Membership
		if json.Unmarshal([]byte(m), &ms) == nil && ms.Reason != "" {
			it.Membership = &ms
		}
	}
	return it, nil
}
