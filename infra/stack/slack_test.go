package stack

import (
	"slices"
	"strings"
	"testing"

	"github.com/muster-sec/muster/shared/chatops"
)

// TestSlackStack: with a Slack parameter and channel, the notify function
// is deployed with its environment, reads and writes only its card items,
// reads only the Slack parameter, and receives incident events from the
// bus (with a dead-letter queue); query reads the Slack parameter too.
// Without them (the default stack), neither notify nor its rule exists.
func TestSlackStack(t *testing.T) {
	s := get(t, "slack")
	fn, ok := s.stack.Functions[Notify]
	if !ok {
		t.Fatal("no notify function")
	}
	env := asJSON(props(resourcesOfType(s, "AWS::Lambda::Function")[logicalID(s, fn)])["Environment"])
	for _, want := range []string{chatops.EnvParam, testSlackParam, chatops.EnvChannel, testSlackChannel} {
		if !strings.Contains(env, want) {
			t.Errorf("notify environment lacks %s: %s", want, env)
		}
	}
	queryEnv := asJSON(props(resourcesOfType(s, "AWS::Lambda::Function")[logicalID(s, s.stack.Functions[Query])])["Environment"])
	if !strings.Contains(queryEnv, testSlackParam) {
		t.Errorf("query environment lacks the Slack parameter: %s", queryEnv)
	}
	var actions []string
	for _, st := range roleStatements(s, logicalID(s, s.stack.Roles[Notify])) {
		actions = append(actions, stringsOf(st["Action"])...)
		doc := asJSON(st)
		switch {
		case strings.Contains(doc, "dynamodb:PutItem") && !strings.Contains(doc, "SLACKCARD#*"):
			t.Errorf("notify's table statement is not limited to its card items: %s", doc)
		case strings.Contains(doc, "ssm:GetParameter") && (!strings.Contains(doc, "parameter/muster/slack") || strings.Contains(doc, "muster/auth")):
			t.Errorf("notify's parameter statement: %s", doc)
		}
	}
	slices.Sort(actions)
	want := []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "kms:Decrypt",
		"logs:CreateLogStream", "logs:PutLogEvents", "sqs:SendMessage", "ssm:GetParameter"}
	if !slices.Equal(slices.Compact(actions), want) {
		t.Errorf("notify actions %v, want %v", slices.Compact(actions), want)
	}
	var rule string
	for _, r := range resourcesOfType(s, "AWS::Events::Rule") {
		if doc := asJSON(r); strings.Contains(doc, "Slack cards") {
			rule = doc
		}
	}
	for _, want := range []string{"Incident Created", "Incident Status Changed", logicalID(s, fn), "DeadLetterConfig"} {
		if !strings.Contains(rule, want) {
			t.Errorf("slack rule lacks %s: %s", want, rule)
		}
	}
	def := get(t, "default")
	if _, ok := def.stack.Functions[Notify]; ok {
		t.Error("the default stack deploys notify")
	}
	if strings.Contains(asJSON(def.tmpl), "Slack cards") {
		t.Error("the default stack has the Slack rule")
	}
}

func TestSlackPropsValidate(t *testing.T) {
	tests := []struct {
		name  string
		param string
		ch    string
		ok    bool
	}{
		{"both", "/muster/slack", "C0123SECOPS", true},
		{"param only (commands, no cards)", "/muster/slack", "", true},
		{"channel without param", "", "C0123SECOPS", false},
		{"param not a path", "muster/slack", "", false},
		{"not a channel id", "/muster/slack", "#secops", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Props{AssetRoot: "/tmp/x", SlackParamName: tt.param, SlackChannelID: tt.ch}.Defaults().Validate()
			if (err == nil) != tt.ok {
				t.Errorf("Validate = %v, want ok %v", err, tt.ok)
			}
		})
	}
}
