package handler

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
)

// A cursor is base64url(JSON payload) + "." + base64url(HMAC-SHA256(key,
// payload)). The payload carries the store's position, a hash of the list
// and filters it belongs to, and the resolved time window of the first page
// (so later pages see the same window). An edited cursor fails the MAC; a
// cursor reused with other filters fails the hash: both are 400.
type cursorPayload struct {
	Scope string `json:"f"` // hash of list + filters
	Pos   string `json:"p"`
	Since int64  `json:"s"`
	Until int64  `json:"u"`
}

func scopeHash(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:12])
}

func (h *Handler) sign(scope, pos string, since, until time.Time) string {
	p := cursorPayload{Scope: scope, Pos: pos, Since: since.UnixNano(), Until: untilNano(until)}
	b, _ := json.Marshal(p)
	m := hmac.New(sha256.New, h.cursorKey)
	m.Write(b)
	return base64.RawURLEncoding.EncodeToString(b) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// verify returns the payload of a cursor this handler signed for scope.
func (h *Handler) verify(cursor, scope string) (cursorPayload, error) {
	var p cursorPayload
	body, mac, ok := strings.Cut(cursor, ".")
	if !ok || len(cursor) > 4096 {
		return p, errBadCursor
	}
	b, err1 := base64.RawURLEncoding.DecodeString(body)
	sig, err2 := base64.RawURLEncoding.DecodeString(mac)
	if err1 != nil || err2 != nil {
		return p, errBadCursor
	}
	m := hmac.New(sha256.New, h.cursorKey)
	m.Write(b)
	if !hmac.Equal(sig, m.Sum(nil)) {
		return p, errBadCursor
	}
	if err := json.Unmarshal(b, &p); err != nil || p.Scope != scope || p.Pos == "" {
		return p, errBadCursor
	}
	return p, nil
}
