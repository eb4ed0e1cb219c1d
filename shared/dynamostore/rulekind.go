package dynamostore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/muster-sec/muster/shared/resources"
	"github.com/muster-sec/muster/shared/rulemeta"
)

// ruleKind is one kind of stored rule. Each is an item at key(id) with
// the rule's JSON in doc (hits excluded), version, hits (N, incremented
// with ADD, once per call however often the SDK sends it: see addHits)
// and lastHitAt, indexed in gsi1 under the single partition partition
// (sort key createdAt#id), so every rule of the kind is read with one
// Query, never a Scan.
type ruleKind[R any] struct {
	what      string // the rule's name in errors: "rule", "automation rule"
	kind      string // the item's kind attribute
	partition string
	key       func(id string) map[string]types.AttributeValue
	notFound  error
	// validate checks a rule before it is stored; nil when the caller
	// validates.
	validate func(r *R, now time.Time) error
	// state, when set, is a string attribute kept beside doc.
	state func(r R) string
}

func (k ruleKind[R]) name(id string) string { return k.what + " " + id }

func encodeRuleItem[R any, P rulemeta.Rule[R]](k ruleKind[R], r R) (map[string]types.AttributeValue, error) {
	doc := r
	m := P(&doc).RuleMeta()
	m.Hits, m.LastHitAt = 0, nil
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", k.name(m.ID), err)
	}
	item := k.key(m.ID)
	item[attrKind] = s(k.kind)
	item[attrDoc] = s(string(b))
	item[resources.AttrVersion] = n(m.Version)
	item[resources.AttrGSI1PK] = s(k.partition)
	item[resources.AttrGSI1SK] = s(TimeSortKey(m.CreatedAt, m.ID))
	if k.state != nil {
		item[attrState] = s(k.state(r))
	}
	return item, nil
}

// decoder is the decode function of the kind's items.
func decoder[R any, P rulemeta.Rule[R]](k ruleKind[R]) func(map[string]types.AttributeValue) (R, error) {
	return func(item map[string]types.AttributeValue) (R, error) {
		var r R
		if err := json.Unmarshal([]byte(StringAttr(item, attrDoc)), &r); err != nil {
			return r, fmt.Errorf("decode %s: %w", k.what, err)
		}
		m := P(&r).RuleMeta()
		m.Version = version(item)
		m.Hits, m.LastHitAt = hitsOf(item)
		return r, nil
	}
}

// createRule validates (when the kind does) and stores r as a new rule
// (rulemeta.Meta.Created).
func createRule[R any, P rulemeta.Rule[R]](ctx context.Context, s *Store, k ruleKind[R], r R) (R, error) {
	if k.validate != nil {
		if err := k.validate(&r, s.now()); err != nil {
			return r, err
		}
	}
	m := P(&r).RuleMeta()
	m.Created(s.now().UTC(), NewID)
	item, err := encodeRuleItem[R, P](k, r)
	if err != nil {
		return r, err
	}
	return r, putNew(ctx, s, item, k.name(m.ID))
}

// getRule returns rule id or k.notFound.
func getRule[R any, P rulemeta.Rule[R]](ctx context.Context, s *Store, k ruleKind[R], id string) (R, error) {
	return getOne(ctx, s, k.key(id), k.name(id), k.notFound, decoder[R, P](k))
}

// listRules returns every rule of the kind (at most maxRules), oldest
// first.
func listRules[R any, P rulemeta.Rule[R]](ctx context.Context, s *Store, k ruleKind[R]) ([]R, error) {
	return listPartition(ctx, s, k.partition, k.what+"s", maxRules, decoder[R, P](k))
}

// updateRule applies change to rule id if its stored version is version,
// validates it (when the kind does) and writes it back as version+1 with
// its hit counters untouched. A stale version is incident.ErrConflict.
func updateRule[R any, P rulemeta.Rule[R]](ctx context.Context, s *Store, k ruleKind[R], id string, version int64, change func(*R) error) (R, error) {
	cur, err := getRule[R, P](ctx, s, k, id)
	if err != nil {
		return cur, err
	}
	next, err := rulemeta.Change[R, P](cur, version, s.now(), k.name(id), change, k.validate)
	if err != nil {
		return cur, err
	}
	item, err := encodeRuleItem[R, P](k, next)
	if err != nil {
		return cur, err
	}
	var also []string
	if k.state != nil {
		also = append(also, attrState)
	}
	if err := updateDoc(ctx, s, k.key(id), item, version, k.name(id), also...); err != nil {
		return cur, err
	}
	return next, nil
}

// deleteRule removes rule id (k.notFound when there is none).
func deleteRule[R any](ctx context.Context, s *Store, k ruleKind[R], id string) error {
	return deleteOne(ctx, s, k.key(id), k.name(id), k.notFound)
}
