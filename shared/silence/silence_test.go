package silence

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestMatchers(t *testing.T) {
	tests := []struct {
		name   string
		labels map[string]string
		want   []Matcher
		err    error
	}{
		{"instance", map[string]string{"alertname": "SSHBruteForce", "instance": "web-1:9100", "severity": "warning", "job": "node"},
			[]Matcher{equal("alertname", "SSHBruteForce"), equal("instance", "web-1:9100")}, nil},
		{"instance_id before instance", map[string]string{"alertname": "A", "instance_id": "i-0abc", "instance": "10.0.0.1:9100"},
			[]Matcher{equal("alertname", "A"), equal("instance_id", "i-0abc")}, nil},
		{"host", map[string]string{"alertname": "A", "host": "db-1", "job": "node"},
			[]Matcher{equal("alertname", "A"), equal("host", "db-1")}, nil},
		{"pod within its namespace", map[string]string{"alertname": "A", "pod": "api-7f", "namespace": "prod", "service": "api"},
			[]Matcher{equal("alertname", "A"), equal("pod", "api-7f"), equal("namespace", "prod")}, nil},
		{"service without namespace", map[string]string{"alertname": "A", "service": "api"},
			[]Matcher{equal("alertname", "A"), equal("service", "api")}, nil},
		{"alias", map[string]string{"alertname": "A", "alias": "edge", "job": "blackbox"},
			[]Matcher{equal("alertname", "A"), equal("alias", "edge")}, nil},
		{"job", map[string]string{"alertname": "A", "job": "falco"},
			[]Matcher{equal("alertname", "A"), equal("job", "falco")}, nil},
		{"no resource label: alertname alone", map[string]string{"alertname": "Watchdog", "severity": "none"},
			[]Matcher{equal("alertname", "Watchdog")}, nil},
		{"no alertname", map[string]string{"instance": "web-1"}, nil, ErrNoAlertname},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Matchers(tt.labels)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			for _, m := range got {
				if !m.IsEqual || m.IsRegex {
					t.Errorf("matcher %+v: want isEqual and not isRegex", m)
				}
			}
			// What a rule keeps of them (Values) makes the same matchers again.
			again := Equal(Values(got))
			if len(again) != len(got) || !reflect.DeepEqual(Values(again), Values(got)) {
				t.Errorf("Equal(Values(%+v)) = %+v", got, again)
			}
			for i := 1; i < len(again); i++ {
				if again[i-1].Name >= again[i].Name {
					t.Errorf("Equal: matchers %+v not in name order", again)
				}
			}
		})
	}
}

func TestLabelsOf(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want map[string]string
		ok   bool
	}{
		{"webhook alert", `{"status":"firing","labels":{"alertname":"A","instance":"x"}}`, map[string]string{"alertname": "A", "instance": "x"}, true},
		{"no labels", `{"status":"firing"}`, nil, false},
		{"truncated copy", `"{\"labels\":{"`, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LabelsOf([]byte(tt.raw))
			if (err == nil) != tt.ok || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, %v", got, err)
			}
		})
	}
}

// TestClientErrors: Alertmanager's failures come back as errors naming
// the operation and status, and never carry the credential.
func TestClientErrors(t *testing.T) {
	const secret = "s3cr3t-token"
	tests := []struct {
		name    string
		status  int
		body    string
		wantErr string
	}{
		{"refused", http.StatusBadRequest, `{"code":400,"message":"bad matchers"}`, "400 Bad Request"},
		{"unauthorised", http.StatusUnauthorized, "Unauthorized", "401"},
		{"no id", http.StatusOK, `{}`, "without a silenceID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var auth string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				auth = r.Header.Get("Authorization")
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			c := New(srv.URL, secret, nil)
			_, err := c.Create(context.Background(), Silence{Matchers: []Matcher{equal("alertname", "A")},
				StartsAt: time.Now(), EndsAt: time.Now().Add(time.Hour), CreatedBy: CreatedBy})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err %v, want one containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error carries the credential: %v", err)
			}
			if auth != "Bearer "+secret {
				t.Errorf("Authorization %q, want the bearer token", auth)
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		c := New(url, "user:"+secret, nil)
		err := c.Expire(context.Background(), "abc")
		if err == nil || strings.Contains(err.Error(), secret) {
			t.Fatalf("err %v: want an error without the credential", err)
		}
	})
}

func TestFromEnv(t *testing.T) {
	if _, ok := FromEnv(func(string) string { return "" }); ok {
		t.Error("configured without a URL")
	}
	env := map[string]string{EnvURL: "http://am:9093/"}
	c, ok := FromEnv(func(k string) string { return env[k] })
	if !ok || c.base != "http://am:9093" {
		t.Errorf("client %+v, ok %v", c, ok)
	}
}
