package handler

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/resources"
)

var t0 = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)

// toEvents converts an SDK item to a Lambda stream image.
func toEvents(t testing.TB, item map[string]types.AttributeValue) map[string]events.DynamoDBAttributeValue {
	t.Helper()
	img, err := dynamostore.ToImage(item)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// record builds a stream record for an item change.
func record(t testing.TB, seq int, name string, oldItem, newItem map[string]types.AttributeValue) events.DynamoDBEventRecord {
	t.Helper()
	keyOf := newItem
	if keyOf == nil {
		keyOf = oldItem
	}
	return events.DynamoDBEventRecord{
		EventID:   fmt.Sprintf("ev-%d", seq),
		EventName: name,
		Change: events.DynamoDBStreamRecord{
			SequenceNumber: fmt.Sprintf("%021d", seq),
			Keys: toEvents(t, map[string]types.AttributeValue{
				resources.AttrPK: keyOf[resources.AttrPK],
				resources.AttrSK: keyOf[resources.AttrSK],
			}),
			NewImage:       toEvents(t, newItem),
			OldImage:       toEvents(t, oldItem),
			StreamViewType: "NEW_AND_OLD_IMAGES",
		},
	}
}

func incidentItem(t testing.TB, inc incident.Incident, isIncident bool, group string) map[string]types.AttributeValue {
	t.Helper()
	item, err := dynamostore.EncodeIncident(dynamostore.IncidentRecord{
		Incident: inc, Group: json.RawMessage(group), IsIncident: isIncident, Version: inc.Version,
	})
	if err != nil {
		t.Fatal(err)
	}
	return item
}

func responseItem(t testing.TB, r incident.ResponseRequest) map[string]types.AttributeValue {
	t.Helper()
	item, err := dynamostore.EncodeResponseRequest(r)
	if err != nil {
		t.Fatal(err)
	}
	return item
}

// newIncident is a visible incident at version 1.
func newIncident(id string, sev alert.Severity, tactics ...killchain.Stage) incident.Incident {
	return incident.Incident{
		ID: id, Title: "Security incident detected on web-" + id, Severity: sev, Status: incident.StatusActive,
		Resources: []alert.Resource{{ID: "i-0abc1234def5678" + fmt.Sprintf("%02x", len(id)), Type: "AwsEc2Instance", Name: "web-" + id,
			Tags: map[string]string{"env": "prod"}}},
		Tactics: tactics, Sources: []string{"guardduty"}, AlertCount: 2,
		FirstActivity: t0.Add(-time.Hour), LastActivity: t0, CreatedAt: t0, UpdatedAt: t0, Version: 1,
	}
}

// next returns inc one version later, changed by change.
func next(inc incident.Incident, change func(*incident.Incident)) incident.Incident {
	inc.Version++
	inc.UpdatedAt = inc.UpdatedAt.Add(time.Minute)
	inc.Resources = append([]alert.Resource(nil), inc.Resources...)
	inc.Tactics = append([]killchain.Stage(nil), inc.Tactics...)
	if change != nil {
		change(&inc)
	}
	return inc
}
