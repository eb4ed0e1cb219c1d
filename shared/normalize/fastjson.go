package normalize

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"strconv"
	"unicode/utf8"
)

// fastDecoder is a one-pass, reflection-free JSON reader for the hot
// parsers (see guardduty_fast.go). It validates every byte it passes over,
// including the values it skips, and gives up (bails) on anything it is not
// certain to decode exactly as encoding/json would: a syntax error, a value
// of an unexpected type, a repeated member, a key with escapes or non-ASCII
// bytes, an unknown key that matches a field only case-insensitively, a
// number out of range, deep nesting. A caller that sees a bail decodes the
// same bytes with encoding/json, so results, errors and the malformed-JSON
// verdict are always encoding/json's own; the fast reader only saves time
// on the plain payloads senders actually send.
type fastDecoder struct {
	b     []byte
	i     int
	depth int
	// src is b as one string, made on the first string value read: values
	// are substrings of it, so a finding's forty-odd strings cost one
	// allocation instead of forty. They keep the decoded object's text alive
	// as long as the alert lives: for the length of a request in ingest; a
	// store that keeps alerts in memory clones what it keeps.
	src string
}

// substr returns b[from:to] as a string, sharing src.
func (d *fastDecoder) substr(from, to int) string {
	if len(d.src) != len(d.b) {
		d.src = string(d.b)
	}
	return d.src[from:to]
}

// bail is the panic value that unwinds a fast decode that gave up.
type bail struct{}

// fastMaxDepth bounds nesting; deeper input is left to encoding/json.
const fastMaxDepth = 200

func (d *fastDecoder) bail() { panic(bail{}) }

// run calls fn and reports whether it completed and consumed the whole
// input (one value and trailing white space).
func (d *fastDecoder) run(fn func()) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, isBail := r.(bail); !isBail {
				panic(r)
			}
			ok = false
		}
	}()
	d.ws()
	fn()
	d.ws()
	return d.i == len(d.b)
}

func (d *fastDecoder) ws() {
	b, i := d.b, d.i
	for i < len(b) {
		c := b[i]
		if c == ' ' && i+8 <= len(b) {
			// A run of spaces (indentation): skip up to eight at a time.
			if x := binary.LittleEndian.Uint64(b[i:]) ^ spaces8; x != 0 {
				i += bits.TrailingZeros64(x) >> 3 // b[i] is a space: at least 1
			} else {
				i += 8
			}
			continue
		}
		if c != ' ' && c != '\n' && c != '\t' && c != '\r' {
			break
		}
		i++
	}
	d.i = i
}

const (
	spaces8 = 0x2020202020202020
	ones8   = 0x0101010101010101
	highs8  = 0x8080808080808080
)

// special8 flags the bytes of x (little-endian) that a string scan must
// look at: a quote, a backslash, a control character or a non-ASCII byte.
// SWAR: a byte-wise "has zero" test on x^'"' and x^'\\', a "less than
// 0x20" test and the high bits. Borrows can flag bytes above a flagged
// one, never below, so the lowest flag is the first such byte exactly.
func special8(x uint64) uint64 {
	q := x ^ (ones8 * '"')
	bs := x ^ (ones8 * '\\')
	hit := (q - ones8) &^ q
	hit |= (bs - ones8) &^ bs
	hit |= (x - ones8*0x20) &^ x
	hit |= x
	return hit & highs8
}

func (d *fastDecoder) peek() byte {
	if d.i >= len(d.b) {
		d.bail()
	}
	return d.b[d.i]
}

func (d *fastDecoder) expect(c byte) {
	if d.i >= len(d.b) || d.b[d.i] != c {
		d.bail()
	}
	d.i++
}

// null consumes a JSON null and reports whether there was one.
func (d *fastDecoder) null() bool {
	if d.peek() != 'n' {
		return false
	}
	d.literal("null")
	return true
}

func (d *fastDecoder) literal(lit string) {
	if len(d.b)-d.i < len(lit) || string(d.b[d.i:d.i+len(lit)]) != lit {
		d.bail()
	}
	d.i += len(lit)
}

// rawString consumes a string and returns its bytes between the quotes and
// whether they need unescaping or UTF-8 repair (then encoding/json
// decodes them).
func (d *fastDecoder) rawString() (s []byte, slow bool) {
	d.expect('"')
	start := d.i
	b := d.b
	for i := start; i < len(b); i++ {
		if i+8 <= len(b) {
			m := special8(binary.LittleEndian.Uint64(b[i:]))
			if m == 0 {
				i += 7 // and the loop's i++
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
		}
		c := b[i]
		switch {
		case c == '"':
			d.i = i + 1
			return b[start:i], slow
		case c == '\\':
			slow = true
			i++
			if i >= len(b) {
				d.bail()
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) {
					d.bail()
				}
				for _, h := range b[i+1 : i+5] {
					if !isHex(h) {
						d.bail()
					}
				}
				i += 4
			default:
				d.bail()
			}
		case c < 0x20:
			d.bail()
		case c >= utf8.RuneSelf:
			slow = true
		}
	}
	d.bail()
	return nil, false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// str decodes a string member into *p; null leaves *p unchanged, as
// encoding/json does.
func (d *fastDecoder) str(p *string) {
	if d.null() {
		return
	}
	if d.peek() != '"' {
		d.bail()
	}
	start := d.i
	s, slow := d.rawString()
	if !slow || !bytes.ContainsRune(s, '\\') && utf8.Valid(s) {
		*p = d.substr(start+1, start+1+len(s)) // s is b[start+1 : d.i-1]
		return
	}
	// Escapes or invalid UTF-8: encoding/json's own unquoting.
	var v string
	if json.Unmarshal(d.b[start:d.i], &v) != nil {
		d.bail()
	}
	*p = v
}

// key reads an object key followed by its colon. Keys with escapes or
// non-ASCII bytes are left to encoding/json (it unescapes and folds them).
func (d *fastDecoder) key() []byte {
	k, slow := d.rawString()
	if slow {
		d.bail()
	}
	d.ws()
	d.expect(':')
	d.ws()
	return k
}

// object reads an object, calling member for each key with the decoder at
// the value; member must consume the value.
func (d *fastDecoder) object(member func(key []byte)) {
	d.expect('{')
	d.depth++
	if d.depth > fastMaxDepth {
		d.bail()
	}
	d.ws()
	if d.peek() == '}' {
		d.i++
		d.depth--
		return
	}
	for {
		d.ws()
		member(d.key())
		d.ws()
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			d.depth--
			return
		default:
			d.bail()
		}
	}
}

// array reads an array, calling elem with the decoder at each element.
func (d *fastDecoder) array(elem func()) {
	d.expect('[')
	d.depth++
	if d.depth > fastMaxDepth {
		d.bail()
	}
	d.ws()
	if d.peek() == ']' {
		d.i++
		d.depth--
		return
	}
	for {
		d.ws()
		elem()
		d.ws()
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			d.i++
			d.depth--
			return
		default:
			d.bail()
		}
	}
}

// once marks member bit in *seen; a repeated member bails (encoding/json
// merges repeats in ways not worth copying).
func (d *fastDecoder) once(seen *uint64, bit uint) {
	if *seen&(1<<bit) != 0 {
		d.bail()
	}
	*seen |= 1 << bit
}

// unknown skips the value of a key no field is named after; a key equal to
// a field name but for case would be matched by encoding/json, so it bails.
func (d *fastDecoder) unknown(key []byte, fields []string) {
	for _, f := range fields {
		if len(f) == len(key) && bytes.EqualFold(key, []byte(f)) {
			d.bail()
		}
	}
	d.skip()
}

// skip consumes and validates one value of any type.
func (d *fastDecoder) skip() {
	switch c := d.peek(); {
	case c == '{':
		d.object(func([]byte) { d.skip() })
	case c == '[':
		d.array(d.skip)
	case c == '"':
		d.rawString()
	case c == 't':
		d.literal("true")
	case c == 'f':
		d.literal("false")
	case c == 'n':
		d.literal("null")
	default:
		d.number()
	}
}

// number consumes a number with JSON's grammar and returns its text.
func (d *fastDecoder) number() []byte {
	b, i := d.b, d.i
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	default:
		d.bail()
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			d.bail()
		}
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			d.bail()
		}
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	}
	d.i = i
	return b[start:i]
}

// float decodes a number into a new *float64; null sets nil.
func (d *fastDecoder) float(p **float64) {
	if d.null() {
		*p = nil
		return
	}
	c := d.peek()
	if c != '-' && (c < '0' || c > '9') {
		d.bail()
	}
	f, err := strconv.ParseFloat(string(d.number()), 64)
	if err != nil {
		d.bail()
	}
	*p = &f
}

// int decodes an integer; null leaves *p unchanged.
func (d *fastDecoder) int(p *int) {
	if d.null() {
		return
	}
	c := d.peek()
	if c != '-' && (c < '0' || c > '9') {
		d.bail()
	}
	n, err := strconv.ParseInt(string(d.number()), 10, 64)
	if err != nil {
		d.bail()
	}
	*p = int(n)
}

// unmarshaler hands the raw value to a json.Unmarshaler, as encoding/json
// does (null included, for a non-pointer field).
func (d *fastDecoder) unmarshaler(u json.Unmarshaler) {
	start := d.i
	d.skip()
	if u.UnmarshalJSON(d.b[start:d.i]) != nil {
		d.bail()
	}
}

// strings decodes an array of strings; null sets nil, [] gives an empty
// non-nil slice and a null element is "", as with encoding/json.
func (d *fastDecoder) strings(p *[]string) {
	if d.null() {
		*p = nil
		return
	}
	out := []string{}
	d.array(func() {
		var s string
		d.str(&s)
		out = append(out, s)
	})
	*p = out
}

// anyValue decodes any value as encoding/json decodes into an empty
// interface: map[string]any (a repeated key keeps the last value),
// []any ([] gives an empty non-nil slice), string, float64, bool, nil.
func (d *fastDecoder) anyValue() any {
	switch c := d.peek(); c {
	case '{':
		m := map[string]any{}
		d.object(func(k []byte) { m[string(k)] = d.anyValue() })
		return m
	case '[':
		a := []any{}
		d.array(func() { a = append(a, d.anyValue()) })
		return a
	case '"':
		var s string
		d.str(&s)
		return s
	case 't':
		d.literal("true")
		return true
	case 'f':
		d.literal("false")
		return false
	case 'n':
		d.literal("null")
		return nil
	}
	f, err := strconv.ParseFloat(string(d.number()), 64)
	if err != nil {
		d.bail()
	}
	return f
}
