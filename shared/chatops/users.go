package chatops

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/muster-sec/muster/shared/auth"
)

// User is what a Slack user id maps to: a Muster principal's name and its
// scopes (read, write).
type User struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

// Users maps Slack user ids (U…, W…) to Muster users.
type Users map[string]User

// chatScopes are the scopes a Slack user may be given.
var chatScopes = []string{"read", "write"}

// ParseUsers reads the JSON user map {"<slack user id>": {"name": "...",
// "scopes": ["read", "write"]}}. Errors name the user id at fault.
func ParseUsers(b []byte) (Users, error) {
	var u Users
	if len(strings.TrimSpace(string(b))) == 0 {
		return Users{}, nil
	}
	if err := json.Unmarshal(b, &u); err != nil {
		return nil, fmt.Errorf("slack users: not JSON of the form {\"<slack user id>\": {\"name\": \"...\", \"scopes\": [\"read\"]}}")
	}
	for id, user := range u {
		if strings.TrimSpace(user.Name) == "" {
			return nil, fmt.Errorf("slack users[%s].name: is required", id)
		}
		for _, s := range user.Scopes {
			if !slices.Contains(chatScopes, s) {
				return nil, fmt.Errorf("slack users[%s].scopes: %q is not one of read, write", id, s)
			}
		}
	}
	return u, nil
}

// Principal is the principal a Slack user acts as: no scope at all when
// the user is not in the map.
func (u Users) Principal(slackID string) auth.Principal {
	user, ok := u[slackID]
	if !ok {
		return auth.Principal{Name: "slack:" + slackID}
	}
	return auth.Principal{Name: user.Name, Scopes: slices.Clone(user.Scopes)}
}
