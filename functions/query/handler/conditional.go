package handler

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// conditional answers a list page with a weak ETag over its items, and 304
// Not Modified when the request's If-None-Match names it: a console
// polling the first page learns "nothing new" without a body. The ETag
// covers the items only: the cursor of an unchanged page differs between
// requests (it carries the resolved time window) but the one the client
// holds still works.
func conditional(r *request, lr listResponse) (reply, error) {
	b, err := json.Marshal(lr.Items)
	if err != nil {
		return reply{}, fmt.Errorf("encode list for its ETag: %w", err)
	}
	sum := sha256.Sum256(b)
	tag := `W/"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
	if matches(r.Header.Get("If-None-Match"), tag) {
		return reply{status: http.StatusNotModified}.with("ETag", tag), nil
	}
	return jsonReply(http.StatusOK, lr).with("ETag", tag), nil
}

// matches reports whether an If-None-Match value names tag (weak
// comparison: W/ prefixes are ignored) or is "*".
func matches(header, tag string) bool {
	want := strings.TrimPrefix(tag, "W/")
	for _, v := range strings.Split(header, ",") {
		v = strings.TrimSpace(v)
		if v == "*" || strings.TrimPrefix(v, "W/") == want {
			return true
		}
	}
	return false
}
