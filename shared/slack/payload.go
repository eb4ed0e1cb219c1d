package slack

import (
	"encoding/json"
	"fmt"
	"net/url"
)

// Command is a slash command as Slack posts it (form-encoded).
type Command struct {
	Command     string // "/muster"
	Text        string // what follows the command
	UserID      string
	UserName    string
	TeamID      string
	ChannelID   string
	ResponseURL string
	TriggerID   string
}

// ParseCommand reads a verified slash-command body.
func ParseCommand(body []byte) (Command, error) {
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return Command{}, fmt.Errorf("slash command body is not form-encoded")
	}
	c := Command{Command: v.Get("command"), Text: v.Get("text"), UserID: v.Get("user_id"), UserName: v.Get("user_name"),
		TeamID: v.Get("team_id"), ChannelID: v.Get("channel_id"), ResponseURL: v.Get("response_url"), TriggerID: v.Get("trigger_id")}
	if c.UserID == "" {
		return Command{}, fmt.Errorf("slash command: user_id is missing")
	}
	return c, nil
}

// Interaction is a block_actions or view_submission payload, with the
// fields Muster reads.
type Interaction struct {
	Type      string `json:"type"` // block_actions, view_submission
	TriggerID string `json:"trigger_id"`
	User      struct {
		ID       string `json:"id"`
		Username string `json:"username"`
	} `json:"user"`
	Channel struct {
		ID string `json:"id"`
	} `json:"channel"`
	Container struct {
		MessageTS string `json:"message_ts"`
		ChannelID string `json:"channel_id"`
	} `json:"container"`
	ResponseURL string   `json:"response_url"`
	Actions     []Action `json:"actions"`
	View        struct {
		CallbackID      string `json:"callback_id"`
		PrivateMetadata string `json:"private_metadata"`
		State           struct {
			// Values: block id → action id → value.
			Values map[string]map[string]StateValue `json:"values"`
		} `json:"state"`
	} `json:"view"`
}

// Action is one element the user acted on.
type Action struct {
	ActionID       string  `json:"action_id"`
	BlockID        string  `json:"block_id"`
	Value          string  `json:"value"`
	SelectedOption *Option `json:"selected_option"`
}

// StateValue is an input's value in a submitted view.
type StateValue struct {
	Type           string  `json:"type"`
	Value          string  `json:"value"`
	SelectedOption *Option `json:"selected_option"`
}

// ParseInteraction reads a verified interaction body: a form with one
// field, payload, holding JSON.
func ParseInteraction(body []byte) (Interaction, error) {
	v, err := url.ParseQuery(string(body))
	if err != nil || v.Get("payload") == "" {
		return Interaction{}, fmt.Errorf("interaction body is not a form with a payload field")
	}
	var in Interaction
	if err := json.Unmarshal([]byte(v.Get("payload")), &in); err != nil {
		return Interaction{}, fmt.Errorf("interaction payload is not valid JSON")
	}
	if in.User.ID == "" {
		return Interaction{}, fmt.Errorf("interaction: user.id is missing")
	}
	return in, nil
}
