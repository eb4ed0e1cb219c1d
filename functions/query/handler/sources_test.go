package handler_test

import (
	"net/http"
	"testing"

	"github.com/muster-sec/muster/shared/normalize"
)

// TestSourcesServeTheRegistry: GET /sources is the source registry, in its
// order, with display names (what the console's provider filter reads).
func TestSourcesServeTheRegistry(t *testing.T) {
	e := newEnv(t)
	resp := e.get("/sources", readToken, nil)
	wantStatus(t, resp, http.StatusOK)
	items := decode[listBody](t, resp).Items
	want := normalize.Sources()
	if len(items) != len(want) {
		t.Fatalf("%d sources, want %d", len(items), len(want))
	}
	for i, s := range want {
		if items[i]["name"] != s.Name || items[i]["display"] != s.Display || items[i]["webhook"] != "/webhooks/"+s.Name {
			t.Errorf("source %d = %v, want %s (%s)", i, items[i], s.Name, s.Display)
		}
	}
}
