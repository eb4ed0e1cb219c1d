package killchain

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Stage is one step of the kill chain. Its zero value is Unknown.
type Stage int

// The stages in kill-chain order. Unknown sorts first and is never counted.
const (
	Unknown Stage = iota
	PreAttack
	InitialAccess
	Persistence
	PrivilegeEscalation
	DefenseEvasion
	CredentialAccess
	Discovery
	LateralMovement
	Execution
	Collection
	CommandAndControl
	Exfiltration
	Impact
)

var names = [...]string{
	Unknown:             "Unknown",
	PreAttack:           "PreAttack",
	InitialAccess:       "InitialAccess",
	Persistence:         "Persistence",
	PrivilegeEscalation: "PrivilegeEscalation",
	DefenseEvasion:      "DefenseEvasion",
	CredentialAccess:    "CredentialAccess",
	Discovery:           "Discovery",
	LateralMovement:     "LateralMovement",
	Execution:           "Execution",
	Collection:          "Collection",
	CommandAndControl:   "CommandAndControl",
	Exfiltration:        "Exfiltration",
	Impact:              "Impact",
}

// All lists the countable stages in kill-chain order (Unknown excluded).
func All() []Stage {
	out := make([]Stage, 0, len(names)-1)
	for s := PreAttack; s <= Impact; s++ {
		out = append(out, s)
	}
	return out
}

// String returns the canonical API spelling, e.g. "CommandAndControl".
func (s Stage) String() string {
	if s < 0 || int(s) >= len(names) {
		return "Unknown"
	}
	return names[s]
}

// Label returns a human-readable name, e.g. "Command and control".
func (s Stage) Label() string {
	switch s {
	case PreAttack:
		return "Pre-attack"
	case InitialAccess:
		return "Initial access"
	case PrivilegeEscalation:
		return "Privilege escalation"
	case DefenseEvasion:
		return "Defense evasion"
	case CredentialAccess:
		return "Credential access"
	case LateralMovement:
		return "Lateral movement"
	case CommandAndControl:
		return "Command and control"
	}
	return s.String()
}

// Counts reports whether the stage counts towards an incident's stages.
func (s Stage) Counts() bool { return s >= PreAttack && s <= Impact }

// MarshalText encodes the canonical name.
func (s Stage) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText accepts any spelling Parse accepts; unknown text is an error.
func (s *Stage) UnmarshalText(b []byte) error {
	v, ok := Parse(string(b))
	if !ok {
		return fmt.Errorf("unknown kill-chain stage %q", string(b))
	}
	*s = v
	return nil
}

var lookup = func() map[string]Stage {
	m := map[string]Stage{}
	for i, n := range names {
		m[fold(n)] = Stage(i)
	}
	aliases := map[string]Stage{
		"reconnaissance":           PreAttack,
		"recon":                    PreAttack,
		"resourcedevelopment":      PreAttack,
		"probing":                  PreAttack,
		"exploitation":             InitialAccess,
		"commandcontrol":           CommandAndControl,
		"c2":                       CommandAndControl,
		"privesc":                  PrivilegeEscalation,
		"credentialaccesses":       CredentialAccess,
		"ta0043":                   PreAttack,
		"ta0042":                   PreAttack,
		"ta0001":                   InitialAccess,
		"ta0002":                   Execution,
		"ta0003":                   Persistence,
		"ta0004":                   PrivilegeEscalation,
		"ta0005":                   DefenseEvasion,
		"ta0006":                   CredentialAccess,
		"ta0007":                   Discovery,
		"ta0008":                   LateralMovement,
		"ta0009":                   Collection,
		"ta0010":                   Exfiltration,
		"ta0011":                   CommandAndControl,
		"ta0040":                   Impact,
		"dataexfiltration":         Exfiltration,
		"defenseevasions":          DefenseEvasion,
		"initialaccesses":          InitialAccess,
		"lateralmovements":         LateralMovement,
		"unknownstage":             Unknown,
		"mitreinitialaccess":       InitialAccess,
		"mitreexecution":           Execution,
		"mitrepersistence":         Persistence,
		"mitreprivilegeescalation": PrivilegeEscalation,
		"mitredefenseevasion":      DefenseEvasion,
		"mitrecredentialaccess":    CredentialAccess,
		"mitrediscovery":           Discovery,
		"mitrelateralmovement":     LateralMovement,
		"mitrecollection":          Collection,
		"mitrecommandandcontrol":   CommandAndControl,
		"mitreexfiltration":        Exfiltration,
		"mitreimpact":              Impact,
		"mitrereconnaissance":      PreAttack,
		"mitreresourcedevelopment": PreAttack,
	}
	for k, v := range aliases {
		m[k] = v
	}
	return m
}()

// fold lower-cases and drops spaces, dashes, underscores, ampersands and the
// word "and" joints so that "Command and Control", "command_and_control" and
// "CommandAndControl" compare equal.
func fold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		switch r {
		case ' ', '-', '_', '&', '.', ':':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Parse maps a stage name in any supported spelling to a Stage. It reports
// false for text it does not recognise; callers decide whether that is an
// error (explicit fields) or just Unknown (free-form tags).
func Parse(s string) (Stage, bool) {
	f := fold(s)
	if f == "" {
		return Unknown, false
	}
	if st, ok := lookup[f]; ok {
		return st, true
	}
	return Unknown, false
}

// Set is a set of stages. The zero value is empty and ready to use.
type Set uint16

// NewSet returns a set holding the given stages (Unknown is dropped).
func NewSet(stages ...Stage) Set {
	var s Set
	for _, st := range stages {
		s = s.With(st)
	}
	return s
}

// With returns s plus st; Unknown is ignored.
func (s Set) With(st Stage) Set {
	if !st.Counts() {
		return s
	}
	return s | 1<<uint(st)
}

// Union returns the stages in either set.
func (s Set) Union(o Set) Set { return s | o }

// Has reports whether st is in the set.
func (s Set) Has(st Stage) bool { return st.Counts() && s&(1<<uint(st)) != 0 }

// Len counts the stages in the set.
func (s Set) Len() int {
	n := 0
	for v := s; v != 0; v &= v - 1 {
		n++
	}
	return n
}

// Stages lists the set's stages in kill-chain order.
func (s Set) Stages() []Stage {
	out := []Stage{}
	for _, st := range All() {
		if s.Has(st) {
			out = append(out, st)
		}
	}
	return out
}

// Sort orders stages by kill-chain position, in place.
func Sort(st []Stage) { sort.Slice(st, func(i, j int) bool { return st[i] < st[j] }) }

// MarshalJSON encodes the set as an ordered list of names.
func (s Set) MarshalJSON() ([]byte, error) { return json.Marshal(s.Stages()) }

// UnmarshalJSON decodes a list of stage names.
func (s *Set) UnmarshalJSON(b []byte) error {
	var list []Stage
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*s = NewSet(list...)
	return nil
}
