package normalize

import (
	"slices"

	"github.com/muster-sec/muster/shared/alert"
)

// Source is one alert format Muster accepts: the registry row that ingest
// (routes and parsing), the correlation text, the console and the OpenAPI
// document all read. Adding a source is adding a row here (and its parser,
// samples and golden files); tests check the console's and the OpenAPI
// document's lists against this table.
type Source struct {
	// Name is the provider as it appears in POST /webhooks/{provider}, in
	// Alert.Provider and in filters.
	Name string
	// Display is how people see the source (console, summaries).
	Display string
	// Phrase is how a sentence names the source ("seen by GuardDuty and a
	// generic source"); empty means Display.
	Phrase string
	// Samples is the folder of realistic payloads under events/samples.
	Samples string
	// IDField names the sender's own id in its format (for error messages).
	IDField string
	// DetailTypes are the EventBridge detail types of the events that carry
	// the source's findings through an EventBridge rule; none when it has
	// none.
	DetailTypes []string

	parse parser
}

// EventBridge detail types Muster accepts.
const (
	DetailTypeGuardDuty   = "GuardDuty Finding"
	DetailTypeSecurityHub = "Security Hub Findings - Imported"
	// DetailTypeSecurityHubAction is sent when someone picks a Security Hub
	// custom action on findings; it carries them in detail.findings too.
	DetailTypeSecurityHubAction = "Security Hub Findings - Custom Action"
)

// sources is the registry, in the order lists show it.
var sources = []Source{
	{Name: alert.ProviderGuardDuty, IDField: "arn", Display: "GuardDuty", Samples: "guardduty", DetailTypes: []string{DetailTypeGuardDuty}, parse: parseGuardDuty},
	{Name: alert.ProviderSecurityHub, IDField: "Id", Display: "Security Hub", Samples: "securityhub", DetailTypes: []string{DetailTypeSecurityHub, DetailTypeSecurityHubAction}, parse: parseSecurityHub},
	{Name: alert.ProviderDefender, IDField: "SystemAlertId", Display: "Defender for Cloud", Samples: "defender", parse: parseDefender},
	{Name: alert.ProviderAlertmanager, IDField: "fingerprint", Display: "Alertmanager", Samples: "alertmanager", parse: parseAlertmanager},
	{Name: alert.ProviderFalco, IDField: "uuid", Display: "Falco", Samples: "falco", parse: parseFalco},
	{Name: alert.ProviderOCSF, IDField: "finding_info.uid", Display: "OCSF", Samples: "ocsf", parse: parseOCSF},
	{Name: alert.ProviderGeneric, IDField: "id", Display: "Generic", Phrase: "a generic source", Samples: "generic", parse: parseGeneric},
}

// Sources returns the registry, in display order.
func Sources() []Source { return append([]Source(nil), sources...) }

// Lookup returns the source named name.
func Lookup(name string) (Source, bool) {
	for _, s := range sources {
		if s.Name == name {
			return s, true
		}
	}
	return Source{}, false
}

// SourceNames returns every source's Name, in registry order.
func SourceNames() []string {
	out := make([]string, len(sources))
	for i, s := range sources {
		out[i] = s.Name
	}
	return out
}

// SourcePhrase is how a sentence names the source called name; an unknown
// name is returned as it is.
func SourcePhrase(name string) string {
	s, ok := Lookup(name)
	switch {
	case !ok:
		return name
	case s.Phrase != "":
		return s.Phrase
	}
	return s.Display
}

// ByDetailType returns the source whose findings arrive through EventBridge
// with detail type dt.
func ByDetailType(dt string) (Source, bool) {
	for _, s := range sources {
		if slices.Contains(s.DetailTypes, dt) {
			return s, true
		}
	}
	return Source{}, false
}
