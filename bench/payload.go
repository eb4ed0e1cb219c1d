package bench

import (
	"encoding/json"
	"time"

	"github.com/muster-sec/muster/shared/alert"
)

// genericAlert is the generic webhook format (README.md, "The generic
// format").
type genericAlert struct {
	ID          string           `json:"id"`
	Type        string           `json:"type"`
	Name        string           `json:"name,omitempty"`
	Severity    string           `json:"severity"`
	Tactics     []string         `json:"tactics,omitempty"`
	Techniques  []string         `json:"techniques,omitempty"`
	Resources   []alert.Resource `json:"resources"`
	Entities    []genericEntity  `json:"entities,omitempty"`
	FirstSeen   string           `json:"firstSeen"`
	LastSeen    string           `json:"lastSeen,omitempty"`
	Description string           `json:"description,omitempty"`
}

type genericEntity struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Generic renders alerts as one generic webhook body (a JSON array). The
// sender id is the scenario alert's id, so labels follow the alert through
// ingest: the stored id is alert.ID("generic", <scenario id>).
func Generic(alerts []*alert.Alert) []byte {
	out := make([]genericAlert, len(alerts))
	for i, a := range alerts {
		g := genericAlert{
			ID: a.ID, Type: a.Type, Name: a.Name, Severity: a.Severity.String(),
			Techniques: a.Techniques, Resources: a.Resources,
			FirstSeen: a.FirstSeen.Format(time.RFC3339Nano), LastSeen: a.LastSeen.Format(time.RFC3339Nano),
			Description: a.Description,
		}
		for _, t := range a.Tactics {
			g.Tactics = append(g.Tactics, t.String())
		}
		for _, e := range a.Entities {
			g.Entities = append(g.Entities, genericEntity{Type: string(e.Type), Value: e.Value})
		}
		out[i] = g
	}
	b, _ := json.Marshal(out)
	return b
}

// StoredID is the id ingest gives a scenario alert posted with Generic.
func StoredID(a *alert.Alert) string { return alert.ID(alert.ProviderGeneric, a.ID) }
