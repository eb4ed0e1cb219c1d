package slacktest

import _ "embed"

// Slack's own documented examples, for tests in any package.
var (
	// Command is the slash-command request body of Slack's documentation
	// (application/x-www-form-urlencoded).
	//
	//go:embed testdata/command.form
	Command []byte
	// BlockActions is the block_actions interaction payload of Slack's
	// documentation (the JSON inside the form's payload field).
	//
	//go:embed testdata/block_actions.json
	BlockActions []byte
)
