package normalize

// The fast Falco decode: falcoEvent read by fastDecoder, with
// encoding/json as the fallback whenever it gives up (see guardduty_fast.go
// for the contract). TestFalcoFastMatchesUnmarshal and FuzzFalcoFastDecode
// compare the two.

var falcoKeys = []string{"uuid", "output", "priority", "rule", "time", "source", "hostname", "tags", "output_fields"}

// decodeFalcoFast decodes obj into the zero *e as json.Unmarshal would;
// false means it gave up and *e is to be discarded.
func decodeFalcoFast(obj []byte, e *falcoEvent) bool {
	d := fastDecoder{b: obj}
	return d.run(func() {
		var seen uint64
		d.object(func(k []byte) {
			switch string(k) {
			case "uuid":
				d.once(&seen, 0)
				d.str(&e.UUID)
			case "output":
				d.once(&seen, 1)
				d.str(&e.Output)
			case "priority":
				d.once(&seen, 2)
				d.str(&e.Priority)
			case "rule":
				d.once(&seen, 3)
				d.str(&e.Rule)
			case "time":
				d.once(&seen, 4)
				d.str(&e.Time)
			case "source":
				d.once(&seen, 5)
				d.str(&e.Source)
			case "hostname":
				d.once(&seen, 6)
				d.str(&e.Hostname)
			case "tags":
				d.once(&seen, 7)
				d.strings(&e.Tags)
			case "output_fields":
				d.once(&seen, 8)
				if d.null() {
					e.OutputFields = nil
					return
				}
				if d.peek() != '{' {
					d.bail()
				}
				if e.OutputFields == nil {
					e.OutputFields = map[string]any{}
				}
				m := e.OutputFields
				d.object(func(k []byte) { m[string(k)] = d.anyValue() })
			default:
				d.unknown(k, falcoKeys)
			}
		})
	})
}
