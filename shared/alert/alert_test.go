package alert_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/killchain"
)

func TestCanonicalResourceID(t *testing.T) {
	tests := []struct{ id, typ, want string }{
		{"i-0a1b2c3d4e5f60718", "", "i-0a1b2c3d4e5f60718"},
		{"arn:aws:ec2:us-east-1:111122223333:instance/i-0a1b2c3d4e5f60718", "AwsEc2Instance", "i-0a1b2c3d4e5f60718"},
		{"I-0A1B2C3D4E5F60718", "", "i-0a1b2c3d4e5f60718"},
		{"i-1234abcd", "Instance", "i-1234abcd"},
		{"my-bucket", "S3Bucket", "arn:aws:s3:::my-bucket"},
		{"arn:aws:s3:::my-bucket", "AwsS3Bucket", "arn:aws:s3:::my-bucket"},
		{"/subscriptions/ABC/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/VM1", "", "/subscriptions/abc/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm1"},
		{"IP-10-0-1-25.ec2.internal", "Host", "ip-10-0-1-25"},
		{" arn:aws:iam::111122223333:role/web ", "AwsIamRole", "arn:aws:iam::111122223333:role/web"},
	}
	for _, tt := range tests {
		if got := alert.CanonicalResourceID(tt.id, tt.typ); got != tt.want {
			t.Errorf("CanonicalResourceID(%q, %q) = %q, want %q", tt.id, tt.typ, got, tt.want)
		}
	}
}

func TestIsPublicIP(t *testing.T) {
	tests := map[string]bool{
		"203.0.113.66": true, "8.8.8.8": true, "2606:4700::1111": true,
		"10.0.1.25": false, "172.16.0.1": false, "192.168.1.1": false, "127.0.0.1": false,
		"169.254.169.254": false, "100.64.0.1": false, "::1": false, "fe80::1": false,
		"fd00::1": false, "0.0.0.0": false, "::ffff:10.0.0.1": false,
	}
	for ip, want := range tests {
		if got := alert.IsPublicIP(netip.MustParseAddr(ip)); got != want {
			t.Errorf("IsPublicIP(%s) = %v, want %v", ip, got, want)
		}
	}
}

func newAlert() *alert.Alert {
	return &alert.Alert{
		Provider: "generic", SourceID: "a-1", Type: "SSH brute force", Severity: alert.High,
		Tactics:   []killchain.Stage{killchain.CredentialAccess, killchain.InitialAccess, killchain.Unknown},
		FirstSeen: time.Date(2026, 11, 20, 8, 0, 0, 0, time.FixedZone("x", 3600)),
		Resources: []alert.Resource{
			{ID: "arn:aws:ec2:us-east-1:111122223333:instance/i-0a1b2c3d4e5f60718", Tags: map[string]string{"env": "prod"}},
			{ID: "i-0a1b2c3d4e5f60718", Name: "web-prod-1"},
		},
		Entities: []alert.Entity{
			{Type: "ip", Value: "203.0.113.66"},
			{Type: "ip", Value: "10.0.1.25"},
			{Type: "IP", Value: "203.0.113.66"},
			{Type: "host", Value: "IP-10-0-1-25.ec2.internal"},
			{Type: "account", Value: "arn:aws:iam::111122223333:user/alice"},
			{Type: "process", Value: "/bin/sh"},
			{Type: "filehash", Value: "ABCDEF"},
		},
	}
}

func TestFinishCanonicalisesAndDerives(t *testing.T) {
	a := newAlert()
	recv := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	a.Finish("", recv)
	if a.ID != alert.ID("generic", "a-1") || len(a.ID) != 32 {
		t.Errorf("id = %q", a.ID)
	}
	if len(a.Resources) != 1 || a.Resources[0].Name != "web-prod-1" || a.Resources[0].Tags["env"] != "prod" {
		t.Errorf("resources not merged: %+v", a.Resources)
	}
	if !slices.Equal(a.Tactics, []killchain.Stage{killchain.InitialAccess, killchain.CredentialAccess}) {
		t.Errorf("tactics = %v", a.Tactics)
	}
	if a.Status != alert.StatusActive || a.Count != 1 || a.Name != a.Type || !a.LastSeen.Equal(a.FirstSeen) || a.FirstSeen.Location() != time.UTC {
		t.Errorf("defaults: %+v", a)
	}
	if len(a.Entities) != 6 {
		t.Errorf("entities not de-duplicated: %+v", a.Entities)
	}
	if err := a.Validate(); err != nil {
		t.Fatalf("valid alert rejected: %v", err)
	}
	// Finish is idempotent.
	before := *a
	a.Finish("", recv.Add(time.Hour))
	if a.ID != before.ID || !a.ReceivedAt.Equal(before.ReceivedAt) || len(a.Entities) != len(before.Entities) {
		t.Error("Finish is not idempotent")
	}
}

func TestKeysAreStrongEntitiesOnly(t *testing.T) {
	a := newAlert()
	a.Finish("", time.Now())
	got := a.Keys()
	want := []alert.Key{"res:i-0a1b2c3d4e5f60718", "ip:203.0.113.66", "host:ip-10-0-1-25",
		"account:arn:aws:iam::111122223333:user/alice", "filehash:abcdef"}
	if !slices.Equal(got, want) {
		t.Errorf("keys = %v\nwant %v", got, want)
	}
	for _, k := range got {
		if strings.Contains(string(k), "10.0.1.25") && k.Kind() == "ip" {
			t.Errorf("private IP became a key: %s", k)
		}
	}
}

func TestHostResourceAlsoGivesHostKey(t *testing.T) {
	a := &alert.Alert{Resources: []alert.Resource{{ID: "IP-10-0-1-25.ec2.internal", Type: "Host"}}}
	a.Finish("falco", time.Now())
	if !slices.Contains(a.Keys(), alert.Key("host:ip-10-0-1-25")) {
		t.Errorf("keys = %v", a.Keys())
	}
}

func TestValidateNamesTheField(t *testing.T) {
	tests := []struct {
		field string
		mut   func(a *alert.Alert)
	}{
		{"id", func(a *alert.Alert) { a.SourceID = "" }},
		{"type", func(a *alert.Alert) { a.Type = "" }},
		{"severity", func(a *alert.Alert) { a.Severity = 0 }},
		{"firstSeen", func(a *alert.Alert) { a.FirstSeen = time.Time{} }},
		{"resources", func(a *alert.Alert) { a.Resources = nil }},
		{"resources[0].id", func(a *alert.Alert) { a.Resources[0].ID = "" }},
		{"entities[0].type", func(a *alert.Alert) { a.Entities[0].Type = "planet" }},
		{"lastSeen", func(a *alert.Alert) { a.LastSeen = a.FirstSeen.Add(-time.Hour) }},
		{"description", func(a *alert.Alert) { a.Description = strings.Repeat("x", alert.MaxDescriptionLen+1) }},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			a := newAlert()
			a.Finish("", time.Now())
			tt.mut(a)
			err := a.Validate()
			var fe *alert.FieldError
			if !errors.Is(err, alert.ErrInvalid) || !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("Validate() = %v, want field %q", err, tt.field)
			}
		})
	}
}

func TestSetRawCaps(t *testing.T) {
	var a alert.Alert
	a.SetRaw([]byte(`{"a":1}`))
	if string(a.Raw) != `{"a":1}` || a.RawTruncated {
		t.Errorf("small raw = %s %v", a.Raw, a.RawTruncated)
	}
	big := []byte(`{"x":"` + strings.Repeat("y", alert.RawCap) + `"}`)
	a.SetRaw(big)
	if !a.RawTruncated || len(a.Raw) > alert.RawCap+64 {
		t.Errorf("big raw kept %d bytes, truncated=%v", len(a.Raw), a.RawTruncated)
	}
}

// SetRawValid behaves exactly like SetRaw on valid JSON.
func TestSetRawValidMatchesSetRaw(t *testing.T) {
	tests := map[string][]byte{
		"object":  []byte(`{"a":1}`),
		"array":   []byte(` [1, "two", {"three": null}] `),
		"at cap":  []byte(`"` + strings.Repeat("y", alert.RawCap-2) + `"`),
		"big":     []byte(`{"x":"` + strings.Repeat("y", alert.RawCap) + `"}`),
		"unicode": []byte(`{"name":"caf\u00e9 ☕"}`),
		"empty":   nil,
	}
	for name, raw := range tests {
		t.Run(name, func(t *testing.T) {
			var want, got alert.Alert
			want.SetRaw(raw)
			got.SetRawValid(raw)
			if string(got.Raw) != string(want.Raw) || got.RawTruncated != want.RawTruncated {
				t.Errorf("SetRawValid = %.40s… %v, SetRaw = %.40s… %v", got.Raw, got.RawTruncated, want.Raw, want.RawTruncated)
			}
			if len(raw) > 0 && len(got.Raw) > 0 && &got.Raw[0] == &raw[0] {
				t.Error("raw copy aliases the input")
			}
		})
	}
}

func TestSeverity(t *testing.T) {
	if s, ok := alert.ParseSeverity("critical"); !ok || s != alert.Critical {
		t.Errorf("ParseSeverity(critical) = %v %v", s, ok)
	}
	if _, ok := alert.ParseSeverity("urgent"); ok {
		t.Error("urgent accepted")
	}
	if alert.Critical.Raise() != alert.Critical || alert.Medium.Raise() != alert.High {
		t.Error("Raise")
	}
	if !(alert.Informational < alert.Low && alert.Low < alert.Medium && alert.High < alert.Critical) {
		t.Error("order")
	}
}

// canonicalRef is CanonicalResourceID as first written, with regular
// expressions: the hand-written matchers must agree with it everywhere.
var (
	refEC2   = regexp.MustCompile(`(?:^|[/:])(i-[0-9a-f]{8}(?:[0-9a-f]{9})?)$`)
	refAzure = regexp.MustCompile(`(?i)^/subscriptions/`)
)

func canonicalRef(id, typ string) string {
	id = strings.TrimSpace(id)
	if m := refEC2.FindStringSubmatch(strings.ToLower(id)); m != nil {
		return m[1]
	}
	lt := strings.ToLower(typ)
	switch {
	case refAzure.MatchString(id):
		return strings.ToLower(id)
	case (lt == "s3bucket" || lt == "awss3bucket") && !strings.HasPrefix(id, "arn:"):
		return "arn:aws:s3:::" + id
	case lt == "host" || lt == "node":
		return alert.ShortHost(id)
	}
	return id
}

func checkCanonical(t *testing.T, id, typ string) {
	t.Helper()
	if got, want := alert.CanonicalResourceID(id, typ), canonicalRef(id, typ); got != want {
		t.Fatalf("CanonicalResourceID(%q, %q) = %q, regexp version %q", id, typ, got, want)
	}
	r := alert.Resource{ID: id, Type: typ}
	r.Canonicalize()
	wantType := typ
	if typ == "" && strings.HasPrefix(r.ID, "i-") && refEC2.MatchString(r.ID) {
		wantType = "AwsEc2Instance"
	}
	if r.Type != wantType {
		t.Fatalf("Canonicalize(%q, %q) type = %q, want %q", id, typ, r.Type, wantType)
	}
}

func TestCanonicalResourceIDMatchesRegexp(t *testing.T) {
	ids := []string{
		"", "i-", "i-0a1b2c3d", "i-0a1b2c3", "i-0a1b2c3d4", "i-0a1b2c3d4e5f60718", "i-0a1b2c3d4e5f6071",
		"i-0a1b2c3d4e5f607189", "I-0A1B2C3D", "xi-0a1b2c3d", "/i-0a1b2c3d", ":i-0a1b2c3d", "a/i-0a1b2c3d4e5f60718",
		"arn:aws:ec2:us-east-1:1:instance/i-0a1b2c3d4e5f60718", "i-0a1b2c3g", "i-0a1b2c3d\n", " i-0a1b2c3d ",
		"ii-0a1b2c3d4e5f60718", "/i-0a1b2c3d4e5f60718", "x:i-0a1b2c3d4e5f6071x", "İ-0a1b2c3d", "i-0a1b2c3d/",
		"/subscriptions/ABC/rg", "/SUBSCRIPTIONS/abc", "/ſubscriptions/x", "/subscriptions", "subscriptions/",
		"/Subscriptions/", "/subscription/", "/subſcriptions/", "/subscriptions\xff/", "\xff/subscriptions/",
		"my-bucket", "arn:aws:s3:::b", "Web-1.example.com", "10.0.0.1",
	}
	for _, id := range ids {
		for _, typ := range []string{"", "S3Bucket", "awss3bucket", "Host", "node", "AwsEc2Instance"} {
			checkCanonical(t, id, typ)
		}
	}
}

func FuzzCanonicalResourceID(f *testing.F) {
	f.Add("arn:aws:ec2:us-east-1:1:instance/i-0a1b2c3d4e5f60718", "")
	f.Add("/ſubscriptions/x", "Host")
	f.Add("i-0A1B2C3D", "S3Bucket")
	f.Fuzz(func(t *testing.T, id, typ string) { checkCanonical(t, id, typ) })
}

// BenchmarkCanonicalResourceID compares the hand-written matchers with the
// regular-expression version they replace.
func BenchmarkCanonicalResourceID(b *testing.B) {
	ids := []string{"arn:aws:ec2:us-east-1:111122223333:instance/i-0a1b2c3d4e5f60718", "i-0a1b2c3d",
		"/subscriptions/ABC/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/VM1", "arn:aws:iam::111122223333:role/web"}
	for name, fn := range map[string]func(string, string) string{"matcher": alert.CanonicalResourceID, "regexp": canonicalRef} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, id := range ids {
					fn(id, "")
				}
			}
		})
	}
}

// ID is the first 32 hex digits of SHA-256 over provider, NUL, source id,
// for ids of any length.
func TestIDDefinition(t *testing.T) {
	for _, src := range []string{"", "a-1", strings.Repeat("x", 255), strings.Repeat("y", 4000)} {
		h := sha256.Sum256([]byte("guardduty\x00" + src))
		if got, want := alert.ID("guardduty", src), hex.EncodeToString(h[:16]); got != want {
			t.Errorf("ID(%d-byte id) = %s, want %s", len(src), got, want)
		}
	}
}

// An IP entity's value is netip's canonical text of the unmapped address.
func TestEntityIPCanonicalText(t *testing.T) {
	for _, v := range []string{"10.0.1.25", " 203.0.113.66 ", "::ffff:10.0.0.1", "2606:4700:0:0:0:0:0:1111",
		"fe80::1%eth0", "2001:DB8::1", "0.0.0.0", "not-an-ip"} {
		e := alert.Entity{Type: alert.EntityIP, Value: v}
		e.Canonicalize()
		want := strings.TrimSpace(v)
		if a, err := netip.ParseAddr(want); err == nil {
			want = a.Unmap().String()
		}
		if e.Value != want {
			t.Errorf("Canonicalize(%q) = %q, want %q", v, e.Value, want)
		}
	}
}

// TestKeysDeduplicated: a key named twice (as a resource host and a host
// entity, or the same IP twice) appears once, for alerts with few keys and
// with many (which take a different path).
func TestKeysDeduplicated(t *testing.T) {
	for _, extra := range []int{0, 60} {
		a := &alert.Alert{Resources: []alert.Resource{{ID: "web-1", Type: "host"}},
			Entities: []alert.Entity{{Type: alert.EntityHost, Value: "web-1"}, {Type: alert.EntityIP, Value: "203.0.113.9", Public: true},
				{Type: alert.EntityIP, Value: "203.0.113.9", Public: true}}}
		for i := 0; i < extra; i++ {
			a.Entities = append(a.Entities, alert.Entity{Type: alert.EntityDomain, Value: fmt.Sprintf("d%d.example", i%30)})
		}
		got := a.Keys()
		seen := map[alert.Key]bool{}
		for _, k := range got {
			if seen[k] {
				t.Fatalf("extra=%d: key %s twice in %v", extra, k, got)
			}
			seen[k] = true
		}
		if want := 3 + min(extra, 30); len(got) != want {
			t.Fatalf("extra=%d: %d keys, want %d: %v", extra, len(got), want, got)
		}
		if got[0] != "res:web-1" || got[1] != "host:web-1" {
			t.Fatalf("extra=%d: keys start %v, want resource then host", extra, got[:2])
		}
	}
}
