package cardstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

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

// TestStore: a claim is taken once; a pending claim is taken over only by
// one naming its time, never once the card is posted; late updates do not
// roll the card back.
func TestStore(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	t1 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Minute)
	if _, err := s.Card(ctx, "inc-1"); !errors.Is(err, chatops.ErrNoCard) {
		t.Fatalf("Card of none: %v", err)
	}
	if err := s.ClaimCard(ctx, "inc-1", chatops.CardRef{Channel: "C1", Version: 1, Claimed: t1}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := s.ClaimCard(ctx, "inc-1", chatops.CardRef{Channel: "C1", Version: 1, Claimed: t1}, time.Time{}); !errors.Is(err, chatops.ErrCardExists) {
		t.Fatalf("second claim: %v", err)
	}
	if err := s.ClaimCard(ctx, "inc-1", chatops.CardRef{Channel: "C1", Version: 2, Claimed: t2}, t1.Add(time.Second)); !errors.Is(err, chatops.ErrCardExists) {
		t.Fatalf("take-over naming another claim: %v", err)
	}
	if err := s.ClaimCard(ctx, "inc-1", chatops.CardRef{Channel: "C1", Version: 2, Claimed: t2}, t1); err != nil {
		t.Fatalf("take-over of the claim made at t1: %v", err)
	}
	if got, err := s.Card(ctx, "inc-1"); err != nil || got != (chatops.CardRef{Channel: "C1", Version: 2, Claimed: t2}) {
		t.Fatalf("after the take-over: %+v %v", got, err)
	}
	steps := []struct {
		ref  chatops.CardRef
		want chatops.CardRef
	}{
		{chatops.CardRef{Channel: "C1", TS: "1.1", Version: 2}, chatops.CardRef{Channel: "C1", TS: "1.1", Version: 2, Claimed: t2}},
		{chatops.CardRef{Channel: "C1", TS: "1.1", Version: 3}, chatops.CardRef{Channel: "C1", TS: "1.1", Version: 3, Claimed: t2}},
		{chatops.CardRef{Channel: "C1", TS: "1.1", Version: 2}, chatops.CardRef{Channel: "C1", TS: "1.1", Version: 3, Claimed: t2}}, // late: ignored
	}
	for _, st := range steps {
		if err := s.UpdateCard(ctx, "inc-1", st.ref); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Card(ctx, "inc-1"); err != nil || got != st.want {
			t.Fatalf("after UpdateCard(%+v): %+v %v, want %+v", st.ref, got, err, st.want)
		}
	}
	if err := s.ClaimCard(ctx, "inc-1", chatops.CardRef{Channel: "C1", Version: 4, Claimed: t2.Add(time.Hour)}, t2); !errors.Is(err, chatops.ErrCardExists) {
		t.Fatalf("take-over of a posted card: %v", err)
	}
}

// failsFirstPost is a Slack client whose first chat.postMessage fails.
type failsFirstPost struct {
	*slack.Client
	failed bool
}

func (f *failsFirstPost) PostMessage(ctx context.Context, m slack.Message) (string, error) {
	if !f.failed {
		f.failed = true
		return "", slack.ErrAPI
	}
	return f.Client.PostMessage(ctx, m)
}

// TestNotifierPostsAfterAFailedPost: Slack refuses the created event's
// post; events within the claim's lease are retried, the first after it
// posts the card, and the next updates that message.
func TestNotifierPostsAfterAFailedPost(t *testing.T) {
	fake := slacktest.New()
	defer fake.Close()
	now := time.Now().UTC()
	n := &chatops.Notifier{Channel: "C0SECOPS", Cards: newStore(t), Playbooks: playbook.DefaultPlaybooks(),
		Slack: &failsFirstPost{Client: &slack.Client{Token: slacktest.Token, BaseURL: fake.APIURL()}},
		Now:   func() time.Time { return now }}
	evs := events(t)
	created, updated := evs[0], evs[1]
	ctx := context.Background()
	if err := n.Notify(ctx, created.DetailType, created.Detail); err == nil {
		t.Fatal("created event with Slack failing: no error, so it would not be retried")
	}
	now = now.Add(chatops.ClaimLease - time.Second)
	if err := n.Notify(ctx, created.DetailType, created.Detail); err == nil {
		t.Fatal("retry within the claim's lease: no error")
	}
	if calls := fake.Calls(); len(calls) != 0 {
		t.Fatalf("Slack calls within the lease: %+v", calls)
	}
	now = now.Add(time.Second)
	if err := n.Notify(ctx, created.DetailType, created.Detail); err != nil {
		t.Fatalf("retry after the lease: %v", err)
	}
	if err := n.Notify(ctx, updated.DetailType, updated.Detail); err != nil {
		t.Fatal(err)
	}
	var methods []string
	for _, c := range fake.Calls() {
		methods = append(methods, c.Method)
	}
	if got := strings.Join(methods, " "); got != "chat.postMessage chat.update" {
		t.Fatalf("calls %s, want the card posted once after the lease, then updated", got)
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
