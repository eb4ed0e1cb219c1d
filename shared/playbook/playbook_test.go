package playbook

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestValidateDefaults(t *testing.T) {
	reg := Default()
	tests := []struct {
		name     string
		playbook string
		params   string
		want     []FieldError // nil: valid
	}{
		{"isolate ok", IsolateInstance, `{"instanceId":"i-0abc1234def567890"}`, nil},
		{"isolate short id", IsolateInstance, `{"instanceId":"i-0abc1234","quarantineSecurityGroup":"sg-0123456789abcdef0"}`, nil},
		{"isolate missing", IsolateInstance, `{}`, []FieldError{{"parameters.instanceId", "required"}}},
		{"isolate null is missing", IsolateInstance, `{"instanceId":null}`, []FieldError{{"parameters.instanceId", "required"}}},
		{"isolate bad pattern", IsolateInstance, `{"instanceId":"web-prod-1"}`,
			[]FieldError{{"parameters.instanceId", "does not match the pattern i-[0-9a-f]{8}([0-9a-f]{9})?"}}},
		{"isolate pattern is anchored", IsolateInstance, `{"instanceId":"xi-0abc1234y"}`,
			[]FieldError{{"parameters.instanceId", "does not match the pattern i-[0-9a-f]{8}([0-9a-f]{9})?"}}},
		{"isolate wrong type", IsolateInstance, `{"instanceId":42}`, []FieldError{{"parameters.instanceId", "must be a string"}}},
		{"isolate unknown and missing", IsolateInstance, `{"instance":"i-0abc1234"}`,
			[]FieldError{{"parameters.instance", "unknown parameter"}, {"parameters.instanceId", "required"}}},
		{"key ok", DisableAccessKey, `{"userName":"ci-deployer","accessKeyId":"AKIAIOSFODNN7EXAMPLE"}`, nil},
		{"key both missing", DisableAccessKey, `{}`,
			[]FieldError{{"parameters.accessKeyId", "required"}, {"parameters.userName", "required"}}},
		{"notify empty ok", NotifyOncall, `{}`, nil},
		{"notify nil ok", NotifyOncall, ``, nil},
		{"notify enum", NotifyOncall, `{"urgency":"urgent"}`, []FieldError{{"parameters.urgency", "must be one of low, high"}}},
		{"notify enum ok", NotifyOncall, `{"urgency":"high","message":"look now"}`, nil},
		{"notify too long", NotifyOncall, `{"message":"` + strings.Repeat("x", 1001) + `"}`,
			[]FieldError{{"parameters.message", "longer than 1000 characters"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := reg.Get(tt.playbook)
			if err != nil {
				t.Fatal(err)
			}
			var params map[string]any
			if tt.params != "" {
				if err := json.Unmarshal([]byte(tt.params), &params); err != nil {
					t.Fatal(err)
				}
			}
			err = p.Validate(params)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidParameters) {
				t.Fatalf("Validate = %v, want ErrInvalidParameters", err)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("not a *ValidationError: %T", err)
			}
			if !reflect.DeepEqual(ve.Errors, tt.want) {
				t.Errorf("errors = %#v, want %#v", ve.Errors, tt.want)
			}
		})
	}
}

func TestValidateDoesNotEchoValues(t *testing.T) {
	p, _ := Default().Get(DisableAccessKey)
	secret := "AKIA-not-a-key-SECRETVALUE"
	err := p.Validate(map[string]any{"userName": "u", "accessKeyId": secret})
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("error %v must exist and not contain the value", err)
	}
}

func TestValidateNumbers(t *testing.T) {
	p := Playbook{Name: "n", Parameters: []Parameter{
		{Name: "n", Type: TypeNumber}, {Name: "i", Type: TypeInteger}, {Name: "b", Type: TypeBoolean},
	}}
	tests := []struct {
		name   string
		params map[string]any
		ok     bool
	}{
		{"float", map[string]any{"n": 1.5, "i": 2.0, "b": true}, true},
		{"json number", map[string]any{"n": json.Number("3.25"), "i": 7}, true},
		{"fraction for integer", map[string]any{"i": 2.5}, false},
		{"string for number", map[string]any{"n": "3"}, false},
		{"string for bool", map[string]any{"b": "true"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := p.Validate(tt.params); (err == nil) != tt.ok {
				t.Errorf("Validate(%v) = %v, want ok=%v", tt.params, err, tt.ok)
			}
		})
	}
}

func TestGetUnknown(t *testing.T) {
	if _, err := Default().Get("reboot-everything"); !errors.Is(err, ErrUnknown) {
		t.Fatalf("Get = %v, want ErrUnknown", err)
	}
}

func TestFromEnv(t *testing.T) {
	inline := `[{"name":"page","description":"d","parameters":[{"name":"who","type":"string","required":true}]}]`
	tests := []struct {
		name    string
		env     map[string]string
		want    []string
		wantErr bool
	}{
		{"default", nil, []string{IsolateInstance, DisableAccessKey, NotifyOncall}, false},
		{"inline", map[string]string{EnvPlaybooks: inline}, []string{"page"}, false},
		{"inline wins over file", map[string]string{EnvPlaybooks: inline, EnvPlaybooksFile: "testdata/playbooks.json"}, []string{"page"}, false},
		{"file", map[string]string{EnvPlaybooksFile: "testdata/playbooks.json"}, []string{"block-ip"}, false},
		{"missing file", map[string]string{EnvPlaybooksFile: "testdata/nope.json"}, nil, true},
		{"bad json", map[string]string{EnvPlaybooks: `[{`}, nil, true},
		{"empty list", map[string]string{EnvPlaybooks: `[]`}, nil, true},
		{"unknown field", map[string]string{EnvPlaybooks: `[{"name":"a","steps":[]}]`}, nil, true},
		{"bad name", map[string]string{EnvPlaybooks: `[{"name":"Bad Name"}]`}, nil, true},
		{"duplicate", map[string]string{EnvPlaybooks: `[{"name":"a"},{"name":"a"}]`}, nil, true},
		{"bad type", map[string]string{EnvPlaybooks: `[{"name":"a","parameters":[{"name":"x","type":"object"}]}]`}, nil, true},
		{"enum on number", map[string]string{EnvPlaybooks: `[{"name":"a","parameters":[{"name":"x","type":"number","enum":["1"]}]}]`}, nil, true},
		{"bad pattern", map[string]string{EnvPlaybooks: `[{"name":"a","parameters":[{"name":"x","type":"string","pattern":"("}]}]`}, nil, true},
		{"duplicate parameter", map[string]string{EnvPlaybooks: `[{"name":"a","parameters":[{"name":"x","type":"string"},{"name":"x","type":"string"}]}]`}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg, err := FromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr {
				if err == nil {
					t.Fatal("FromEnv succeeded, want an error")
				}
				if tt.env[EnvPlaybooks] != "" && !errors.Is(err, ErrInvalidConfig) {
					t.Errorf("error %v does not wrap ErrInvalidConfig", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range reg.List() {
				got = append(got, p.Name)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("names = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFileConfigValidates(t *testing.T) {
	reg, err := FromEnv(func(k string) string {
		if k == EnvPlaybooksFile {
			return "testdata/playbooks.json"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := reg.Get("block-ip")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(map[string]any{"ip": "203.0.113.7", "hours": 24.0, "dryRun": false}); err != nil {
		t.Errorf("valid request rejected: %v", err)
	}
	if err := p.Validate(map[string]any{"ip": "203.0.113.7; rm -rf", "hours": 1.5}); err == nil {
		t.Error("invalid request accepted")
	}
}

func TestListIsACopy(t *testing.T) {
	reg := Default()
	l := reg.List()
	l[0].Name = "changed"
	if reg.List()[0].Name != IsolateInstance {
		t.Error("List exposes the registry's slice")
	}
}

func TestJSONShape(t *testing.T) {
	b, err := json.Marshal(Default().List()[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"name":"isolate-instance"`, `"pattern":"i-[0-9a-f]{8}([0-9a-f]{9})?"`, `"required":true`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
}
