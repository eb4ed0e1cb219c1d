package normalize

import "encoding/json"

// The fast Defender decode: defenderUnit read by fastDecoder, with
// encoding/json as the fallback whenever it gives up (see guardduty_fast.go
// for the contract). Defender's two shapes differ only in the case of their
// keys, which encoding/json matches case-insensitively; so does this
// decode, for the ASCII keys fastDecoder accepts (where encoding/json's
// folding is plain ASCII case folding). TestDefenderFastMatchesUnmarshal
// and FuzzDefenderFastDecode compare the two.

// decodeDefenderFast decodes obj into the zero *u as json.Unmarshal would;
// false means it gave up and *u is to be discarded.
func decodeDefenderFast(obj []byte, u *defenderUnit) bool {
	d := fastDecoder{b: obj}
	return d.run(func() {
		var seen uint64
		d.object(func(k []byte) {
			var buf [32]byte
			switch lowerASCII(&buf, k) {
			case "name":
				d.once(&seen, 0)
				d.str(&u.Name)
			case "properties":
				d.once(&seen, 1)
				if p := fastNew(&d, &u.Properties); p != nil {
					d.defenderAlert(p)
				}
			default:
				d.defenderMember(&seen, 2, k, &u.defenderAlert)
			}
		})
	})
}

// lowerASCII lower-cases an ASCII key into buf; a key longer than buf
// names no field and gives "".
func lowerASCII(buf *[32]byte, k []byte) string {
	if len(k) > len(buf) {
		return ""
	}
	for i, c := range k {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return string(buf[:len(k)])
}

func (d *fastDecoder) defenderAlert(a *defenderAlert) {
	var seen uint64
	d.object(func(k []byte) { d.defenderMember(&seen, 0, k, a) })
}

// defenderMember decodes member k (matched case-insensitively) into a,
// using bits from base up in *seen, or skips it.
func (d *fastDecoder) defenderMember(seen *uint64, base uint, k []byte, a *defenderAlert) {
	var buf [32]byte
	switch lowerASCII(&buf, k) {
	case "alerttype":
		d.once(seen, base+0)
		d.str(&a.AlertType)
	case "systemalertid":
		d.once(seen, base+1)
		d.str(&a.SystemAlertID)
	case "alertdisplayname":
		d.once(seen, base+2)
		d.str(&a.AlertDisplayName)
	case "description":
		d.once(seen, base+3)
		d.str(&a.Description)
	case "severity":
		d.once(seen, base+4)
		d.str(&a.Severity)
	case "status":
		d.once(seen, base+5)
		d.str(&a.Status)
	case "intent":
		d.once(seen, base+6)
		d.str(&a.Intent)
	case "techniques":
		d.once(seen, base+7)
		d.strings(&a.Techniques)
	case "starttimeutc":
		d.once(seen, base+8)
		d.str(&a.StartTimeUtc)
	case "endtimeutc":
		d.once(seen, base+9)
		d.str(&a.EndTimeUtc)
	case "timegeneratedutc":
		d.once(seen, base+10)
		d.str(&a.TimeGeneratedUtc)
	case "timegenerated":
		d.once(seen, base+11)
		d.str(&a.TimeGenerated)
	case "compromisedentity":
		d.once(seen, base+12)
		d.str(&a.CompromisedEntity)
	case "isincident":
		d.once(seen, base+13)
		d.unmarshaler(&a.IsIncident)
	case "remediationsteps":
		d.once(seen, base+14)
		start := d.i
		d.skip()
		a.RemediationSteps = json.RawMessage(d.b[start:d.i]) // null too, as RawMessage keeps it
	case "resourceidentifiers":
		d.once(seen, base+15)
		d.anySlice(&a.ResourceIdentifiers)
	case "entities":
		d.once(seen, base+16)
		d.anySlice(&a.Entities)
	default:
		d.skip()
	}
}

// anySlice decodes an array into []any as encoding/json does; null sets
// nil.
func (d *fastDecoder) anySlice(p *[]any) {
	if d.null() {
		*p = nil
		return
	}
	if d.peek() != '[' {
		d.bail()
	}
	out := []any{}
	d.array(func() { out = append(out, d.anyValue()) })
	*p = out
}
