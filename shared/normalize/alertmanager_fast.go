package normalize

import "encoding/json"

// The fast Alertmanager decode: amUnit and amAlert read by fastDecoder,
// with encoding/json as the fallback whenever it gives up (see
// guardduty_fast.go for the contract). TestAlertmanagerFastMatchesUnmarshal
// and FuzzAlertmanagerFastDecode compare the two.

var (
	amUnitKeys  = []string{"version", "alerts", "labels"}
	amAlertKeys = []string{"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"}
)

// decodeAMUnitFast decodes obj into the zero *u as json.Unmarshal would;
// false means it gave up and *u is to be discarded. Alerts hold the
// elements' own bytes (a null element is "null", as json.RawMessage
// keeps it).
func decodeAMUnitFast(obj []byte, u *amUnit) bool {
	d := fastDecoder{b: obj}
	return d.run(func() {
		var seen uint64
		d.object(func(k []byte) {
			switch string(k) {
			case "version":
				d.once(&seen, 0)
				d.str(&u.Version)
			case "alerts":
				d.once(&seen, 1)
				if d.null() {
					u.Alerts = nil
					return
				}
				u.Alerts = []json.RawMessage{}
				d.array(func() {
					start := d.i
					d.skip()
					u.Alerts = append(u.Alerts, obj[start:d.i])
				})
			case "labels":
				d.once(&seen, 2)
				d.stringMap(&u.Labels)
			default:
				d.unknown(k, amUnitKeys)
			}
		})
	})
}

// decodeAMAlertFast is decodeAMUnitFast for one alert.
func decodeAMAlertFast(obj []byte, m *amAlert) bool {
	d := fastDecoder{b: obj}
	return d.run(func() {
		var seen uint64
		d.object(func(k []byte) {
			switch string(k) {
			case "status":
				d.once(&seen, 0)
				d.str(&m.Status)
			case "labels":
				d.once(&seen, 1)
				d.stringMap(&m.Labels)
			case "annotations":
				d.once(&seen, 2)
				d.stringMap(&m.Annotations)
			case "startsAt":
				d.once(&seen, 3)
				d.str(&m.StartsAt)
			case "endsAt":
				d.once(&seen, 4)
				d.str(&m.EndsAt)
			case "generatorURL":
				d.once(&seen, 5)
				d.str(&m.GeneratorURL)
			case "fingerprint":
				d.once(&seen, 6)
				d.str(&m.Fingerprint)
			default:
				d.unknown(k, amAlertKeys)
			}
		})
	})
}
