package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/muster-sec/muster/shared/automation"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/resources"
)

// Automation rules are items pk AUTORULE#<id>, sk AUTORULE (see
// ruleKind) under the gsi1 partition "AUTORULES". A run of the rules on an
// incident change leaves a mark, pk INCIDENT#<id>, sk AUTO#<version>,
// written in the run's transaction, so a replayed change applies nothing
// twice.

// AutomationPartition is the gsi1 partition of every automation rule.
const AutomationPartition = "AUTORULES"

// KindAutomationRule and KindAutomationMark are the kinds of the items.
const (
	KindAutomationRule = "automationRule"
	KindAutomationMark = "automationMark"
)

// automationMarkTTL is how long a run's mark is kept: longer than the
// stream's 24 h retention, the only source of replays.
const automationMarkTTL = 7 * 24 * time.Hour

// AutomationRuleKey is the primary key of an automation rule item.
func AutomationRuleKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		resources.AttrPK: s(resources.PrefixAutoRule + id),
		resources.AttrSK: s(resources.SKAutoRule),
	}
}

// automationRules are the automation rule items; the caller validates
// them (automation.Rule.Validate, with its playbooks).
var automationRules = ruleKind[automation.Rule]{what: "automation rule", kind: KindAutomationRule,
	partition: AutomationPartition, key: AutomationRuleKey, notFound: automation.ErrNotFound}

// CreateAutomationRule stores a new rule, which the caller has validated;
// it assigns the id when empty, the times and version 1.
func (s *Store) CreateAutomationRule(ctx context.Context, r automation.Rule) (automation.Rule, error) {
	return createRule(ctx, s, automationRules, r)
}

// GetAutomationRule returns a rule or automation.ErrNotFound.
func (s *Store) GetAutomationRule(ctx context.Context, id string) (automation.Rule, error) {
	return getRule(ctx, s, automationRules, id)
}

// ListAutomationRules returns every rule (at most 1,000) in run order
// (automation.Sort).
func (s *Store) ListAutomationRules(ctx context.Context) ([]automation.Rule, error) {
	out, err := listRules(ctx, s, automationRules)
	if err != nil {
		return nil, err
	}
	automation.Sort(out)
	return out, nil
}

// UpdateAutomationRule applies change to the rule if its stored version is
// version and writes it back as version+1 (hit counters untouched); the
// caller validates in change. A stale version is incident.ErrConflict.
func (s *Store) UpdateAutomationRule(ctx context.Context, id string, version int64, change func(*automation.Rule) error) (automation.Rule, error) {
	return updateRule(ctx, s, automationRules, id, version, change)
}

// DeleteAutomationRule removes a rule (automation.ErrNotFound when there
// is none).
func (s *Store) DeleteAutomationRule(ctx context.Context, id string) error {
	return deleteRule(ctx, s, automationRules, id)
}

// RecordAutomationHits adds one hit to each rule id given and moves
// lastHitAt forward to at; rules deleted meanwhile are skipped.
func (s *Store) RecordAutomationHits(ctx context.Context, ids []string, at time.Time) error {
	hits := make(map[string]int, len(ids))
	for _, id := range ids {
		hits[id]++
	}
	return recordHits(ctx, s, AutomationRuleKey, hits, at, "automation rule")
}

// MaxAutomationWrites bounds the entries and requests of one run (a
// transaction holds at most 100 items; the incident and the mark take two).
const MaxAutomationWrites = 98

// ApplyAutomation stores what the rules did (out) about the change that
// left incident id at version change, in one transaction: the incident
// rewritten as one version past out.Incident.Version (the version the
// rules saw) when out.Changed, else a check that it is still at that
// version; the run's mark for change; its timeline entries and response
// requests. An incident no longer at the version the rules saw is
// incident.ErrConflict; a run for change stored before is
// automation.ErrApplied. Either way nothing is written.
func (s *Store) ApplyAutomation(ctx context.Context, id string, change int64, out automation.Outcome) error {
	version := out.Incident.Version
	if len(out.Entries)+len(out.Requests) > MaxAutomationWrites {
		return fmt.Errorf("automation run on incident %s: %d writes, at most %d", id, len(out.Entries)+len(out.Requests), MaxAutomationWrites)
	}
	var changed *incident.Incident
	if out.Changed {
		changed = &out.Incident
	}
	first, err := s.automationGuard(ctx, id, version, changed)
	if err != nil {
		return err
	}
	mark := automationMark(id, change, s.now().Add(automationMarkTTL))
	tx := []types.TransactWriteItem{first, {Put: &types.Put{TableName: aws.String(s.table), Item: mark,
		ConditionExpression: aws.String("attribute_not_exists(pk)")}}}
	tl, err := s.timelinePuts(id, out.Entries)
	if err != nil {
		return err
	}
	tx = append(tx, tl...)
	for _, r := range out.Requests {
		item, err := EncodeResponseRequest(r)
		if err != nil {
			return err
		}
		tx = append(tx, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: item}})
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) && len(canceled.CancellationReasons) > 1 {
		switch {
		case aws.ToString(canceled.CancellationReasons[0].Code) == "ConditionalCheckFailed":
			return fmt.Errorf("incident %s changed since version %d: %w", id, version, incident.ErrConflict)
		case aws.ToString(canceled.CancellationReasons[1].Code) == "ConditionalCheckFailed":
			return fmt.Errorf("incident %s version %d: %w", id, change, automation.ErrApplied)
		}
	}
	if err != nil {
		return fmt.Errorf("apply automation to incident %s: %w", id, err)
	}
	return nil
}

// automationMark is the item that says the run for incident id at
// version was stored; it expires at expires.
func automationMark(id string, version int64, expires time.Time) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		resources.AttrPK:  s(resources.PrefixIncident + id),
		resources.AttrSK:  s(resources.SKAutomation + strconv.FormatInt(version, 10)),
		attrKind:          s(KindAutomationMark),
		resources.AttrTTL: n(expires.Unix()),
	}
}

// automationGuard is the run's first write: the incident rewritten as
// version+1 when changed is set, else a check that it is at version.
func (s *Store) automationGuard(ctx context.Context, id string, version int64, changed *incident.Incident) (types.TransactWriteItem, error) {
	if changed == nil {
		return s.incidentCheck(id, expression.Name(resources.AttrVersion).Equal(expression.Value(version)))
	}
	old, rec, err := s.getIncidentItem(ctx, id)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	if rec.Version != version {
		return types.TransactWriteItem{}, fmt.Errorf("incident %s at version %d, not %d: %w", id, rec.Version, version, incident.ErrConflict)
	}
	rec.Incident, rec.Version = *changed, version+1
	return s.rewriteIncident(old, rec, version)
}
