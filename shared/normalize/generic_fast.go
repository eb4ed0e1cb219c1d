package normalize

// The fast generic decode: genericAlert read by fastDecoder, with
// encoding/json as the fallback whenever it gives up (see guardduty_fast.go
// for the contract). TestGenericFastMatchesUnmarshal and
// FuzzGenericFastDecode compare the two.

var (
	genericKeys = []string{"id", "type", "name", "description", "severity", "status", "tactics", "techniques",
		"remediationSteps", "firstSeen", "lastSeen", "resources", "entities"}
	genericResourceKeys = []string{"id", "type", "name", "region", "account", "tags"}
	genericEntityKeys   = []string{"type", "value"}
)

// decodeGenericFast decodes obj into the zero *g as json.Unmarshal would;
// false means it gave up and *g is to be discarded.
func decodeGenericFast(obj []byte, g *genericAlert) bool {
	d := fastDecoder{b: obj}
	return d.run(func() {
		var seen uint64
		d.object(func(k []byte) {
			switch string(k) {
			case "id":
				d.once(&seen, 0)
				d.str(&g.ID)
			case "type":
				d.once(&seen, 1)
				d.str(&g.Type)
			case "name":
				d.once(&seen, 2)
				d.str(&g.Name)
			case "description":
				d.once(&seen, 3)
				d.str(&g.Description)
			case "severity":
				d.once(&seen, 4)
				d.str(&g.Severity)
			case "status":
				d.once(&seen, 5)
				d.str(&g.Status)
			case "tactics":
				d.once(&seen, 6)
				d.strings(&g.Tactics)
			case "techniques":
				d.once(&seen, 7)
				d.strings(&g.Techniques)
			case "remediationSteps":
				d.once(&seen, 8)
				d.strings(&g.RemediationSteps)
			case "firstSeen":
				d.once(&seen, 9)
				d.str(&g.FirstSeen)
			case "lastSeen":
				d.once(&seen, 10)
				d.str(&g.LastSeen)
			case "resources":
				d.once(&seen, 11)
				fastElems(&d, &g.Resources, func(i int) {
					r := &g.Resources[i]
					var s uint64
					d.object(func(k []byte) {
						switch string(k) {
						case "id":
							d.once(&s, 0)
							d.str(&r.ID)
						case "type":
							d.once(&s, 1)
							d.str(&r.Type)
						case "name":
							d.once(&s, 2)
							d.str(&r.Name)
						case "region":
							d.once(&s, 3)
							d.str(&r.Region)
						case "account":
							d.once(&s, 4)
							d.str(&r.Account)
						case "tags":
							d.once(&s, 5)
							d.stringMap(&r.Tags)
						default:
							d.unknown(k, genericResourceKeys)
						}
					})
				})
			case "entities":
				d.once(&seen, 12)
				fastElems(&d, &g.Entities, func(i int) {
					e := &g.Entities[i]
					d.strObject(genericEntityKeys, &e.Type, &e.Value)
				})
			default:
				d.unknown(k, genericKeys)
			}
		})
	})
}
