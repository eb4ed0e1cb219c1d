package handler_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/muster-sec/muster/shared/alert"
)

// FuzzWebhook posts arbitrary bodies to every provider's webhook on an
// in-memory store: the handler never panics, never answers 5xx, and always
// answers JSON (the webhook result or problem+json).
func FuzzWebhook(f *testing.F) {
	for i, p := range alert.Providers {
		files, _ := filepath.Glob(filepath.Join("..", "..", "..", "events", "samples", p, "*.json"))
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(uint8(i), b)
		}
	}
	f.Add(uint8(0), []byte(`{"id":`))
	f.Add(uint8(1), []byte(`[1,2,3]`))
	fx := newFixture(f)
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		p := alert.Providers[int(which)%len(alert.Providers)]
		resp, err := fx.h.ServeAPI(context.Background(), post(p, tokenAll, string(body)))
		if err != nil {
			t.Fatalf("ServeAPI error: %v", err)
		}
		if resp.StatusCode >= 500 || resp.StatusCode < 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
		}
		if !json.Valid([]byte(resp.Body)) {
			t.Fatalf("response is not JSON: %q", resp.Body)
		}
		switch resp.StatusCode {
		case 202, 400, 413:
		default:
			t.Fatalf("unexpected status %d", resp.StatusCode)
		}
	})
}
