package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/resources"
	"github.com/muster-sec/muster/shared/suppress"
)

// RulesPartition is the gsi1 partition of every suppression rule.
const RulesPartition = "RULES"

// KindRule is the kind attribute of a rule item.
const KindRule = "rule"

// maxRules bounds how many rules of one kind are read.
const maxRules = 1000

// RuleKey is the primary key of a rule item.
func RuleKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		resources.AttrPK: s(resources.PrefixRule + id),
		resources.AttrSK: s(resources.SKRule),
	}
}

// suppressionRules are the items pk RULE#<id>, sk RULE (see ruleKind),
// with the rule's state beside its doc; the store validates them.
var suppressionRules = ruleKind[suppress.Rule]{what: "rule", kind: KindRule, partition: RulesPartition,
	key: RuleKey, notFound: suppress.ErrNotFound,
	validate: func(r *suppress.Rule, now time.Time) error { return r.ValidateAt(now) },
	state:    func(r suppress.Rule) string { return string(r.State) }}

// CreateRule validates and stores a new rule; it assigns the id (when
// empty), the creation time and version 1.
func (s *Store) CreateRule(ctx context.Context, r suppress.Rule) (suppress.Rule, error) {
	return createRule(ctx, s, suppressionRules, r)
}

// GetRule returns a rule or suppress.ErrNotFound.
func (s *Store) GetRule(ctx context.Context, id string) (suppress.Rule, error) {
	return getRule(ctx, s, suppressionRules, id)
}

// ListRules returns every rule (at most 1,000), oldest first.
func (s *Store) ListRules(ctx context.Context) ([]suppress.Rule, error) {
	return listRules(ctx, s, suppressionRules)
}

// ActiveRules returns the rules ingest must evaluate now: those whose
// effective state is Enabled or Shadow (expired and disabled rules are
// left out).
func (s *Store) ActiveRules(ctx context.Context) ([]suppress.Rule, error) {
	all, err := s.ListRules(ctx)
	if err != nil {
		return nil, err
	}
	return suppress.Active(all, s.now()), nil
}

// UpdateRule applies change to the rule if its stored version is version,
// validates it and writes it back as version+1 (hit counters untouched).
// A stale version is incident.ErrConflict.
func (s *Store) UpdateRule(ctx context.Context, id string, version int64, change func(*suppress.Rule) error) (suppress.Rule, error) {
	return updateRule(ctx, s, suppressionRules, id, version, change)
}

// DeleteRule removes a rule (suppress.ErrNotFound when there is none).
func (s *Store) DeleteRule(ctx context.Context, id string) error {
	return deleteRule(ctx, s, suppressionRules, id)
}

// RecordHits adds hit counts per rule id (ADD, so concurrent writers never
// lose a hit) and moves lastHitAt forward to at. Rules deleted meanwhile
// are skipped.
func (s *Store) RecordHits(ctx context.Context, hits map[string]int, at time.Time) error {
	return recordHits(ctx, s, RuleKey, hits, at, "rule")
}

// DismissAlerts marks the given alerts Dismissed with suppressedBy ruleID
// (alerts that no longer exist are skipped) and returns how many it
// changed.
func (s *Store) DismissAlerts(ctx context.Context, ids []string, ruleID string) (int, error) {
	return s.updateAlerts(ctx, ids, func(a *alert.Alert) bool {
		if a.Status == alert.StatusDismissed {
			return false
		}
		a.Status, a.SuppressedBy = alert.StatusDismissed, ruleID
		return true
	})
}

// SetAlertStatus sets the given alerts' status (a person resolved,
// dismissed or reopened their incident) and returns how many it changed.
func (s *Store) SetAlertStatus(ctx context.Context, ids []string, st alert.Status) (int, error) {
	return s.updateAlerts(ctx, ids, func(a *alert.Alert) bool {
		if a.Status == st {
			return false
		}
		a.Status = st
		return true
	})
}

func (s *Store) updateAlerts(ctx context.Context, ids []string, change func(*alert.Alert) bool) (int, error) {
	changed := 0
	for _, id := range ids {
		done, err := s.updateAlert(ctx, id, change)
		if err != nil {
			return changed, err
		}
		if done {
			changed++
		}
	}
	return changed, nil
}

// updateAlertAttempts bounds the re-reads of an alert that keeps changing
// while it is being updated (a re-delivery or the correlator writing it).
const updateAlertAttempts = 5

// updateAlert applies change to one alert, re-reading and trying again
// when it changed between the read and the write. It reports whether it
// changed the alert (false: absent, or change declined).
func (s *Store) updateAlert(ctx context.Context, id string, change func(*alert.Alert) bool) (bool, error) {
	for attempt := 0; attempt < updateAlertAttempts; attempt++ {
		out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: AlertKey(id), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return false, fmt.Errorf("get alert %s: %w", id, err)
		}
		if out.Item == nil {
			return false, nil
		}
		a, v, err := DecodeAlert(out.Item)
		if err != nil {
			return false, err
		}
		suppressed := a.SuppressedBy
		if !change(&a) {
			return false, nil
		}
		item, err := EncodeAlert(&a, v+1, s.retention)
		if err != nil {
			return false, err
		}
		for k, val := range out.Item {
			if _, ok := item[k]; !ok && (k != "suppressedBy" || a.SuppressedBy == suppressed) {
				item[k] = val
			}
		}
		_, err = s.conditionalPut(ctx, item, "#v = :v",
			map[string]string{"#v": resources.AttrVersion}, map[string]types.AttributeValue{":v": n(v)})
		if errors.Is(err, incident.ErrConflict) {
			continue // changed since the read: read it again
		}
		if err != nil {
			return false, fmt.Errorf("update alert %s: %w", id, err)
		}
		return true, nil
	}
	return false, fmt.Errorf("update alert %s: it kept changing (%d attempts): %w", id, updateAlertAttempts, incident.ErrConflict)
}

// Simulation is what a draft rule would have matched.
type Simulation struct {
	Matched   int      `json:"matched"`
	Examined  int      `json:"examined"`
	Sample    []string `json:"sample"`    // up to 20 matching alert ids, newest first
	Truncated bool     `json:"truncated"` // more than MaxSimulated alerts were stored in the window
}

// MaxSimulated bounds how many alerts a simulation examines.
const MaxSimulated = 50000

// SimulateRule counts the stored alerts last seen since since that r would
// match (whatever its state), reading the time index month by month, shard
// by shard (Query, never Scan); a truncated simulation has examined the
// newest month's shards first.
func (s *Store) SimulateRule(ctx context.Context, r suppress.Rule, since time.Time) (Simulation, error) {
	var sim Simulation
	lo := sortTime(since)
	for _, part := range everyShard(months(resources.PrefixAlert, since, s.now().Add(24*time.Hour))) {
		kc := expression.Key(resources.AttrGSI1PK).Equal(expression.Value(part)).
			And(expression.Key(resources.AttrGSI1SK).GreaterThanEqual(expression.Value(lo)))
		expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
		if err != nil {
			return sim, fmt.Errorf("build simulation query: %w", err)
		}
		p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
			TableName: aws.String(s.table), IndexName: aws.String(resources.IndexTime),
			KeyConditionExpression:    expr.KeyCondition(),
			ExpressionAttributeNames:  expr.Names(),
			ExpressionAttributeValues: expr.Values(),
			ScanIndexForward:          aws.Bool(false),
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return sim, fmt.Errorf("query %s: %w", part, err)
			}
			for _, it := range page.Items {
				if sim.Examined >= MaxSimulated {
					sim.Truncated = true
					return sim, nil
				}
				sim.Examined++
				a, _, err := DecodeAlert(it)
				if err != nil {
					return sim, err
				}
				if r.Matches(&a) {
					sim.Matched++
					if len(sim.Sample) < 20 {
						sim.Sample = append(sim.Sample, a.ID)
					}
				}
			}
		}
	}
	return sim, nil
}
