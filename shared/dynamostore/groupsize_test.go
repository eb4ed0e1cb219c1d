package dynamostore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
)

// TestLargestGroupFits: an incident at every bound at once — the most
// members, resources with the most and longest tags, the most entities
// with the longest values, the longest keys and reasons — is shrunk in
// what only people read until DynamoDB (moto) takes it, and the
// correlation state it needs comes back whole.
func TestLargestGroupFits(t *testing.T) {
	ctx := context.Background()
	st, _ := newStore(t, dynamostore.Options{})
	at := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	long := func(prefix string, n int) string { return prefix + strings.Repeat("x", n-len(prefix)) }
	inc := incident.Incident{ID: "big-group", Title: "Security incident detected on multiple resources", Severity: alert.High,
		Status: incident.StatusActive, FirstActivity: at, LastActivity: at.Add(time.Hour), CreatedAt: at, UpdatedAt: at}
	for i := 0; i < correlate.MaxIncidentResources; i++ {
		r := alert.Resource{ID: long(fmt.Sprintf("res-%02d-", i), alert.MaxKeyLen), Name: long("n", alert.MaxNameLen), Tags: map[string]string{}}
		for k := 0; k < alert.MaxTags; k++ {
			r.Tags[long(fmt.Sprintf("k%02d-", k), alert.MaxTagKeyLen)] = long("v", alert.MaxTagValueLen)
		}
		inc.Resources = append(inc.Resources, r)
	}
	for i := 0; i < correlate.MaxIncidentEntities; i++ {
		inc.Entities = append(inc.Entities, alert.Entity{Type: alert.EntityDomain, Value: long(fmt.Sprintf("d%03d.", i), alert.MaxKeyLen)})
	}
	g := &correlate.Group{Incident: inc, IsIncident: true, Version: 1}
	for i := 0; i < correlate.DefaultMaxAlertsPerIncident; i++ {
		g.Members = append(g.Members, correlate.Member{
			Membership: incident.Membership{AlertID: fmt.Sprintf("%032d", i), Key: "domain:" + long("d", alert.MaxKeyLen),
				LinkedTo: fmt.Sprintf("%032d", i+1), Stage: killchain.Execution, JoinedAt: at, Reason: long("Linked to ", 1800)},
			Name: long("m", 120), Provider: "generic", Severity: alert.High, Stages: killchain.NewSet(killchain.Execution),
			FirstSeen: at, LastSeen: at, Status: alert.StatusActive, Count: 1})
	}
	item, err := dynamostore.EncodeGroup(g)
	if err != nil {
		t.Fatal(err)
	}
	if n := dynamostore.ItemSize(item); n > dynamostore.MaxIncidentItemBytes {
		t.Fatalf("item is %d bytes, over %d", n, dynamostore.MaxIncidentItemBytes)
	}
	g.Opaque = nil
	if err := st.Commit(ctx, &correlate.Unit{Groups: []*correlate.Group{g}}); err != nil {
		t.Fatalf("commit the largest group: %v", err)
	}
	got, err := st.LoadGroups(ctx, []string{g.ID()})
	if err != nil {
		t.Fatal(err)
	}
	back := got[g.ID()]
	if back == nil || len(back.Members) != len(g.Members) {
		t.Fatalf("loaded %v members, want %d", back, len(g.Members))
	}
	for i, m := range back.Members {
		if m.AlertID != g.Members[i].AlertID || m.Stages != g.Members[i].Stages || !m.FirstSeen.Equal(g.Members[i].FirstSeen) {
			t.Fatalf("member %d = %+v, want the correlation fields of %+v", i, m, g.Members[i])
		}
	}
	if len(back.Incident.Resources) == 0 || back.Incident.Resources[0].ID != inc.Resources[0].ID {
		t.Fatalf("the first resource was lost: %v", back.Incident.Resources)
	}
	// Even at every bound, the resource filter sees every resource.
	if ids, ok := item["resourceIds"].(*types.AttributeValueMemberSS); !ok || len(ids.Value) != len(inc.Resources) {
		t.Fatalf("resourceIds holds %v, want all %d resources", item["resourceIds"], len(inc.Resources))
	}
}

// TestMemberTextGoesFirst: an incident over the limit because of its
// memberships' text (500 alerts linked through a long host name) loses
// that text, not its resources, entities or tags; and the resource filter
// still sees every resource id.
func TestMemberTextGoesFirst(t *testing.T) {
	at := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	inc := incident.Incident{ID: "chatty", Title: "Security incident detected on multiple resources", Severity: alert.High,
		Status: incident.StatusActive, FirstActivity: at, LastActivity: at}
	for i := 0; i < 30; i++ {
		inc.Resources = append(inc.Resources, alert.Resource{ID: fmt.Sprintf("i-%017d", i), Tags: map[string]string{"env": "prod"}})
	}
	for i := 0; i < 40; i++ {
		inc.Entities = append(inc.Entities, alert.Entity{Type: alert.EntityAccessKey, Value: fmt.Sprintf("AKIA%016d", i)})
	}
	g := &correlate.Group{Incident: inc, IsIncident: true, Version: 1}
	host := strings.Repeat("h", 240)
	for i := 0; i < 500; i++ {
		g.Members = append(g.Members, correlate.Member{
			Membership: incident.Membership{AlertID: fmt.Sprintf("%032d", i), Key: "host:" + host, LinkedTo: fmt.Sprintf("%032d", i+1),
				Stage: killchain.Execution, JoinedAt: at, Reason: "Linked through shared host " + host + " and " + strings.Repeat("r", 500)},
			Name: strings.Repeat("n", 120), Provider: "falco", Severity: alert.High, Stages: killchain.NewSet(killchain.Execution),
			FirstSeen: at, LastSeen: at, Status: alert.StatusActive, Count: 1})
	}
	item, err := dynamostore.EncodeGroup(g)
	if err != nil {
		t.Fatal(err)
	}
	if n := dynamostore.ItemSize(item); n > dynamostore.MaxIncidentItemBytes {
		t.Fatalf("item is %d bytes, over %d", n, dynamostore.MaxIncidentItemBytes)
	}
	back, err := dynamostore.DecodeGroup(item)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Incident.Resources) != 30 || len(back.Incident.Entities) != 40 || back.Incident.Resources[29].Tags["env"] != "prod" {
		t.Fatalf("kept %d resources (tags %v) and %d entities, want all 30 with tags and 40",
			len(back.Incident.Resources), back.Incident.Resources[len(back.Incident.Resources)-1].Tags, len(back.Incident.Entities))
	}
	if len(back.Members[0].Reason) > 200 {
		t.Errorf("membership reason kept %d bytes; the text should have been cut first", len(back.Members[0].Reason))
	}
	ids, ok := item["resourceIds"].(*types.AttributeValueMemberSS)
	if !ok || len(ids.Value) != 30 {
		t.Fatalf("resourceIds = %v, want all 30", item["resourceIds"])
	}
}

// TestSmallGroupIsNotShrunk: an ordinary incident keeps its tags.
func TestSmallGroupIsNotShrunk(t *testing.T) {
	at := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	g := &correlate.Group{IsIncident: true, Version: 1, Incident: incident.Incident{ID: "small", Status: incident.StatusActive, Severity: alert.Low,
		FirstActivity: at, LastActivity: at, Resources: []alert.Resource{{ID: "i-0a1b2c3d4e5f60718", Tags: map[string]string{"env": "prod"}}}}}
	item, err := dynamostore.EncodeGroup(g)
	if err != nil {
		t.Fatal(err)
	}
	back, err := dynamostore.DecodeGroup(item)
	if err != nil {
		t.Fatal(err)
	}
	if back.Incident.Resources[0].Tags["env"] != "prod" {
		t.Fatalf("tags = %v, want env=prod kept", back.Incident.Resources[0].Tags)
	}
}
