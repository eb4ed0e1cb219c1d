package handler_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/muster-sec/muster/functions/ingest/handler"
	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/normalize"
)

// goodGeneric is a small valid generic alert with sender id id.
func goodGeneric(id string) string {
	return fmt.Sprintf(`{"id":%q,"type":"T","severity":"low","tactics":["Execution"],"firstSeen":"2026-11-20T08:00:00Z","resources":[{"id":"r-%s"}]}`, id, id)
}

// urlEntities is n url entities of the longest allowed value (about 2 KB
// each).
func urlEntities(n int) string {
	es := make([]string, 0, n)
	for i := range n {
		v := fmt.Sprintf("https://e.example/%d/", i)
		es = append(es, fmt.Sprintf(`{"type":"url","value":"%s%s"}`, v, strings.Repeat("p", alert.MaxValueLen-len(v))))
	}
	return "[" + strings.Join(es, ",") + "]"
}

// wantResults checks a 202 response item by item: status, and for
// rejected items the field and a fragment of the reason.
func wantResults(t *testing.T, body string, want []handler.ItemResult, reason string) handler.Summary {
	t.Helper()
	s := webhookResult(t, body)
	if len(s.Results) != len(want) {
		t.Fatalf("%d results, want %d: %s", len(s.Results), len(want), body)
	}
	for i, w := range want {
		got := s.Results[i]
		if got.Index != i || got.Status != w.Status {
			t.Fatalf("result %d = %+v, want status %s", i, got, w.Status)
		}
		if w.Error != nil && (got.Error == nil || got.Error.Field != w.Error.Field || !strings.Contains(got.Error.Reason, reason)) {
			t.Fatalf("result %d error = %+v, want field %q and a reason with %q", i, got.Error, w.Error.Field, reason)
		}
		if w.Status != handler.StatusRejected && got.AlertID == "" {
			t.Fatalf("result %d has no alert id", i)
		}
	}
	return s
}

// One oversized alert between two good ones: the good ones are stored, the
// oversized one is rejected with its field and reason (nothing written for
// it), and a retry of the same request gets the same answer (duplicates
// for the good ones), never a 500.
func TestOversizedAlertIsRejectedOnMoto(t *testing.T) {
	tests := []struct {
		name, big, field, reason string
	}{
		{"900 KB tag value",
			`{"id":"big","type":"T","severity":"low","firstSeen":"2026-11-20T08:00:00Z","resources":[{"id":"r","tags":{"note":"` + strings.Repeat("n", 900<<10) + `"}}]}`,
			"resources[0].tags.note", fmt.Sprintf("longer than %d bytes", alert.MaxTagValueLen)},
		{"alert over the stored budget",
			`{"id":"big","type":"T","severity":"low","firstSeen":"2026-11-20T08:00:00Z","resources":[{"id":"r"}],"entities":` + urlEntities(alert.MaxEntities) + `}`,
			"entities", fmt.Sprintf("over the limit of %d bytes per alert", alert.MaxStoredBytes)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, store := motoHandler(t)
			body := "[" + goodGeneric("good-1") + "," + tt.big + "," + goodGeneric("good-2") + "]"
			if len(body) > handler.MaxBodyBytes {
				t.Fatalf("test body is %d bytes, over the request limit", len(body))
			}
			rejected := handler.ItemResult{Status: handler.StatusRejected, Error: &alert.FieldError{Field: tt.field}}
			for attempt, status := range []string{handler.StatusAccepted, handler.StatusDuplicate} {
				resp, err := h.ServeAPI(context.Background(), post("generic", tokenAll, body))
				if err != nil || resp.StatusCode != 202 {
					t.Fatalf("attempt %d: %d %v %.300s", attempt, resp.StatusCode, err, resp.Body)
				}
				s := wantResults(t, resp.Body, []handler.ItemResult{{Status: status}, rejected, {Status: status}}, tt.reason)
				if s.Rejected != 1 {
					t.Fatalf("attempt %d: rejected = %d", attempt, s.Rejected)
				}
				if n := itemCount(t, store); n != 2 {
					t.Fatalf("attempt %d: %d items in the table, want the 2 good alerts", attempt, n)
				}
				for _, i := range []int{0, 2} {
					if _, err := store.GetAlert(context.Background(), s.Results[i].AlertID); err != nil {
						t.Fatalf("attempt %d: good alert %d not stored: %v", attempt, i, err)
					}
				}
			}
		})
	}
}

// sabotage passes alerts to the real store, but makes the one with
// SourceID "poison" unstorable the way only the table can tell: a
// resource id that makes its index key longer than DynamoDB allows.
type sabotage struct{ *dynamostore.Store }

func (s sabotage) PutAlert(ctx context.Context, a *alert.Alert) (normalize.PutResult, error) {
	if a.SourceID == "poison" {
		a.Resources[0].ID = "SECRET-" + strings.Repeat("s", 2100)
	}
	return s.Store.PutAlert(ctx, a)
}

// A DynamoDB ValidationException for one alert is a rejected item with a
// reason of ours (no AWS text, no item data), not a 500 that drops the rest
// of the request; a retry is answered the same way.
func TestStoreRefusalIsARejectedItemOnMoto(t *testing.T) {
	_, store := motoHandler(t)
	h, err := handler.New(handler.Options{
		Alerts: sabotage{store}, Rules: store, Auth: authenticator(t),
		Now:    func() time.Time { return now },
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	body := "[" + goodGeneric("good-1") + "," + goodGeneric("poison") + "," + goodGeneric("good-2") + "]"
	rejected := handler.ItemResult{Status: handler.StatusRejected, Error: &alert.FieldError{Field: "item"}}
	for attempt, status := range []string{handler.StatusAccepted, handler.StatusDuplicate} {
		resp, err := h.ServeAPI(context.Background(), post("generic", tokenAll, body))
		if err != nil || resp.StatusCode != 202 {
			t.Fatalf("attempt %d: %d %v %s", attempt, resp.StatusCode, err, resp.Body)
		}
		wantResults(t, resp.Body, []handler.ItemResult{{Status: status}, rejected, {Status: status}}, "cannot be stored as sent")
		for _, leak := range []string{"SECRET", "ValidationException", "hashkey", "parameter values"} {
			if strings.Contains(resp.Body, leak) {
				t.Fatalf("response carries %q: %s", leak, resp.Body)
			}
		}
		if n := itemCount(t, store); n != 2 {
			t.Fatalf("attempt %d: %d items in the table, want 2", attempt, n)
		}
	}
}
