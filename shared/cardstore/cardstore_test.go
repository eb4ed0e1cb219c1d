package cardstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/muster-sec/muster/shared/cardstore"
	"github.com/muster-sec/muster/shared/chatops"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/incidentevent"
	"github.com/muster-sec/muster/shared/mototest"
	"github.com/muster-sec/muster/shared/playbook"
	"github.com/muster-sec/muster/shared/slack"
	"github.com/muster-sec/muster/shared/slack/slacktest"
)

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

func newStore(t *testing.T) *cardstore.Store {
	t.Helper()
	db := dynamodb.NewFromConfig(mototest.Get(t).Config())
	name := mototest.UniqueName("cards")
	if _, err := dynamostore.CreateTable(context.Background(), db, name); err != nil {
		t.Fatal(err)
	}
	return &cardstore.Store{DB: db, Table: name}
}

func TestStore(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if _, err := s.Card(ctx, "inc-1"); !errors.Is(err, chatops.ErrNoCard) {
		t.Fatalf("Card of none: %v", err)
	}
	if err := s.CreateCard(ctx, "inc-1", chatops.CardRef{Channel: "C1", Version: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCard(ctx, "inc-1", chatops.CardRef{Channel: "C1", Version: 1}); !errors.Is(err, chatops.ErrCardExists) {
		t.Fatalf("second CreateCard: %v", err)
	}
	steps := []struct {
		ref  chatops.CardRef
		want chatops.CardRef
	}{
		{chatops.CardRef{Channel: "C1", TS: "1.1", Version: 1}, chatops.CardRef{Channel: "C1", TS: "1.1", Version: 1}},
		{chatops.CardRef{Channel: "C1", TS: "1.1", Version: 3}, chatops.CardRef{Channel: "C1", TS: "1.1", Version: 3}},
		{chatops.CardRef{Channel: "C1", TS: "1.1", Version: 2}, chatops.CardRef{Channel: "C1", TS: "1.1", Version: 3}}, // late: ignored
	}
	for _, st := range steps {
		if err := s.UpdateCard(ctx, "inc-1", st.ref); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Card(ctx, "inc-1"); err != nil || got != st.want {
			t.Fatalf("after UpdateCard(%+v): %+v %v, want %+v", st.ref, got, err, st.want)
		}
	}
}

// event is a Muster event as the bus delivers it.
type event struct {
	DetailType string               `json:"detail-type"`
	Detail     incidentevent.Detail `json:"detail"`
}

// events reads testdata/events.jsonl: one incident's life, in order, with
// one event delivered late.
func events(t *testing.T) []event {
	t.Helper()
	raw, err := os.ReadFile("testdata/events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var out []event
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var ev event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

// TestNotifierPostsThenUpdatesInPlace: an incident's created event posts
// its card; later events update that message (same ts), a late event is
// skipped, and the status change to Resolved drops the buttons.
func TestNotifierPostsThenUpdatesInPlace(t *testing.T) {
	fake := slacktest.New()
	defer fake.Close()
	n := &chatops.Notifier{Channel: "C0SECOPS", Cards: newStore(t), Playbooks: playbook.DefaultPlaybooks(),
		Slack: &slack.Client{Token: slacktest.Token, BaseURL: fake.APIURL()}}
	evs := events(t)
	for _, ev := range evs {
		if err := n.Notify(context.Background(), ev.DetailType, ev.Detail); err != nil {
			t.Fatalf("%s v%d: %v", ev.DetailType, ev.Detail.Incident.Version, err)
		}
	}
	calls := fake.Calls()
	var methods []string
	for _, c := range calls {
		if c.Error != "" {
			t.Errorf("Slack refused %s: %s", c.Method, c.Error)
		}
		methods = append(methods, c.Method)
	}
	// Created v1 → post; Updated v2 → update; Updated v1 (late) → none;
	// Status Changed v3 → update.
	if want := "chat.postMessage chat.update chat.update"; strings.Join(methods, " ") != want {
		t.Fatalf("calls %v, want %s", methods, want)
	}
	for _, c := range calls[1:] {
		if c.Body["ts"] != calls[0].TS || c.Body["channel"] != "C0SECOPS" {
			t.Errorf("update of ts %v in %v, want the posted message %s", c.Body["ts"], c.Body["channel"], calls[0].TS)
		}
	}
	last := string(slack.JSON(calls[2].Body))
	if !strings.Contains(last, "Resolved") || strings.Contains(last, chatops.ActionAssignMe) {
		t.Errorf("resolved card: %s", last)
	}
	first := string(slack.JSON(calls[0].Body))
	for _, want := range []string{"i-0fedcba9876543210", "guardduty", "[Exfiltration]", "https://muster.example/#/incidents/inc-ev", chatops.ActionAssignMe} {
		if !strings.Contains(first, want) {
			t.Errorf("posted card lacks %q: %s", want, first)
		}
	}
}
