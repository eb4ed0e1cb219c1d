package metrics

import (
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
)

// Delta is a set of counter increments (counter name → amount).
type Delta map[string]int64

// Counter names. Detection counters are Det + detection + one of the
// DetAlerts, DetIncidents, DetFalse, DetBenign suffixes; histogram
// counters are MTTA or MTTR + bucket index.
const (
	Alerts     = "alerts"       // alerts received (new, not re-deliveries)
	Suppressed = "suppressed"   // of those, suppressed by a rule
	Correlated = "correlated"   // alerts that joined a visible incident
	Created    = "created"      // incidents that became visible
	Resolved   = "resolved"     // transitions into Resolved
	CreatedSev = "created.sev." // + severity
	StatusTo   = "status."      // + status: transitions into it
	ClassTo    = "class."       // + classification: transitions into it
	Stage      = "stage."       // + kill-chain stage: incidents that reached it
	MTTA       = "mtta."        // + bucket: created → first owner or InProgress
	MTTR       = "mttr."        // + bucket: created → Resolved
	Det        = "det."
	DetAlerts  = "|alerts"
	DetInc     = "|incidents"
	DetFalse   = "|fp"
	DetBenign  = "|bp"
)

// MaxDetections bounds the detections one incident change counts, so a
// delta stays one small update.
const MaxDetections = 20

const maxDetectionName = 60

// Detection names a detection: provider and alert type (at most 60
// characters of it), as "provider/type". The type, not the display name:
// names often carry an address or an instance id, so every alert would be
// a detection of its own.
func Detection(provider, typ string) string {
	if utf8.RuneCountInString(typ) > maxDetectionName {
		typ = string([]rune(typ)[:maxDetectionName])
	}
	return provider + "/" + typ
}

// ForAlerts is the delta of alerts newly stored: each counts once, and
// once more as suppressed when a rule suppressed it.
func ForAlerts(alerts []*alert.Alert) Delta {
	d := Delta{}
	for _, a := range alerts {
		d[Alerts]++
		if a.SuppressedBy != "" {
			d[Suppressed]++
		}
		d[Det+Detection(a.Provider, a.Type)+DetAlerts]++
	}
	return d
}

// Image is an incident as a stream record shows it: the incident, whether
// it is visible, and the detections of its alerts (needed only when
// NeedsDetections says so).
type Image struct {
	Incident   incident.Incident
	IsIncident bool
	Detections []string
}

// ForChange is the delta of one incident change, from its old image (nil
// when the item is new) to its new one. Durations are measured from the
// incident's creation to the change's UpdatedAt.
func ForChange(old, new *Image) Delta {
	d := Delta{}
	if !new.IsIncident || new.Incident.MergedInto != "" {
		return d
	}
	var was incident.Incident
	if old != nil && old.IsIncident {
		was = old.Incident
	} else {
		created(d, new)
	}
	now := &new.Incident
	if n := now.AlertCount - was.AlertCount; n > 0 {
		d[Correlated] += int64(n)
	}
	for _, s := range now.Tactics {
		if !slices.Contains(was.Tactics, s) {
			d[Stage+s.String()]++
		}
	}
	took := max(now.UpdatedAt.Sub(now.CreatedAt), 0)
	if now.Status != was.Status && now.Status != incident.StatusActive {
		d[StatusTo+string(now.Status)]++
	}
	if acknowledged(&was, now) {
		d[MTTA+bucketOf(took)]++
	}
	if now.Status == incident.StatusResolved && was.Status != incident.StatusResolved {
		d[Resolved]++
		d[MTTR+bucketOf(took)]++
	}
	classified(d, was.Classification, now.Classification, new.Detections)
	return d
}

// NeedsDetections reports whether ForChange counts per detection for this
// change (the incident appears, or its classification moves to or from a
// false or benign positive), so a caller looks the detections up only then.
func NeedsDetections(old, new *Image) bool {
	if !new.IsIncident || new.Incident.MergedInto != "" {
		return false
	}
	if old == nil || !old.IsIncident {
		return true
	}
	noise := func(c incident.Classification) bool {
		return c == incident.FalsePositive || c == incident.BenignPositive
	}
	was, now := old.Incident.Classification, new.Incident.Classification
	return was != now && (noise(was) || noise(now))
}

func created(d Delta, img *Image) {
	d[Created]++
	d[CreatedSev+img.Incident.Severity.String()]++
	for _, det := range img.Detections {
		d[Det+det+DetInc]++
	}
}

// acknowledged reports a first acknowledgement: an incident nobody owned
// and nobody worked on gets an owner or goes InProgress (or further).
func acknowledged(was, now *incident.Incident) bool {
	fresh := was.Owner == "" && (was.Status == "" || was.Status == incident.StatusActive)
	return fresh && (now.Owner != "" || now.Status != incident.StatusActive)
}

// classified counts a change of classification, and per detection the
// incidents classified false or benign positive (taking back a
// classification changed away from).
func classified(d Delta, was, now incident.Classification, dets []string) {
	if was == now {
		return
	}
	if now != "" {
		d[ClassTo+string(now)]++
	}
	suffix := map[incident.Classification]string{incident.FalsePositive: DetFalse, incident.BenignPositive: DetBenign}
	for _, det := range dets {
		if s, ok := suffix[was]; ok {
			d[Det+det+s]--
		}
		if s, ok := suffix[now]; ok {
			d[Det+det+s]++
		}
	}
}

// Histogram buckets: four per doubling of seconds, so a bucket's midpoint
// is within 9% of any duration in it.
const perDoubling = 4

func bucketOf(d time.Duration) string {
	s := d.Seconds()
	i := 0
	if s >= 1 {
		i = int(math.Floor(perDoubling*math.Log2(s))) + 1
	}
	return strconv.Itoa(i)
}

// bucketValue is a bucket's representative duration (its geometric
// midpoint; under a second for bucket 0).
func bucketValue(i int) time.Duration {
	if i == 0 {
		return time.Second / 2
	}
	exp := (float64(i-1) + 0.5) / perDoubling
	return time.Duration(math.Pow(2, exp) * float64(time.Second))
}
