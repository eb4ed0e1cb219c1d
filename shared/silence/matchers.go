package silence

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Matcher is one Alertmanager matcher (API v2 wire shape).
type Matcher struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	IsRegex bool   `json:"isRegex"`
	IsEqual bool   `json:"isEqual"`
}

// ErrNoAlertname is returned for labels without alertname: a silence
// without it would silence every alert on the resource.
var ErrNoAlertname = errors.New("labels.alertname is required to build a silence")

// resourceLabels are the labels Muster derives an Alertmanager alert's
// resource from, in the order normalize reads them; the first group the
// alert carries becomes the silence's resource matchers. A group lists the
// label and the labels that qualify it (a pod within its namespace).
var resourceLabels = [][]string{
	{"resource"}, {"instance_id"}, {"instance"},
	{"host"}, {"hostname"}, {"node"}, {"nodename"},
	{"pod", "namespace"}, {"service", "namespace"}, {"alias"}, {"job", "namespace"},
}

// Matchers returns alertname plus the labels the alert's resource was
// derived from, each as an equality matcher. An alert that carries none of
// the resource labels (Muster names its resource after the alert rule) gets
// alertname alone.
func Matchers(labels map[string]string) ([]Matcher, error) {
	name := labels["alertname"]
	if name == "" {
		return nil, ErrNoAlertname
	}
	out := []Matcher{equal("alertname", name)}
	for _, group := range resourceLabels {
		if labels[group[0]] == "" {
			continue
		}
		for _, k := range group {
			if v := labels[k]; v != "" {
				out = append(out, equal(k, v))
			}
		}
		break
	}
	return out, nil
}

func equal(name, value string) Matcher {
	return Matcher{Name: name, Value: value, IsEqual: true}
}

// LabelsOf reads the labels of one Alertmanager alert as Muster stores it
// (the alert object of the webhook payload, kept as the alert's raw copy).
func LabelsOf(raw []byte) (map[string]string, error) {
	var doc struct {
		Labels map[string]string `json:"labels"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("read the alert's labels: %w", err)
	}
	if len(doc.Labels) == 0 {
		return nil, errors.New("the alert's raw copy carries no labels")
	}
	return doc.Labels, nil
}

// Equal returns equality matchers for the label values in m (name to
// value), in name order; the inverse of Values.
func Equal(m map[string]string) []Matcher {
	out := make([]Matcher, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, equal(k, m[k]))
	}
	return out
}

// Values returns the name-to-value map of equality matchers.
func Values(ms []Matcher) map[string]string {
	out := make(map[string]string, len(ms))
	for _, m := range ms {
		out[m.Name] = m.Value
	}
	return out
}
