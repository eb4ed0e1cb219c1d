package handler

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/correlate"
)

// defaultNoisySince is how far back GET /noisy-keys looks by default.
const defaultNoisySince = 7 * 24 * time.Hour

var noisyKeyParams = []string{"since", "limit"}

// noisyKeyItem is a noisy correlation key in GET /noisy-keys: one per key
// and day it turned noisy on.
type noisyKeyItem struct {
	Key   string    `json:"key"`
	Kind  string    `json:"kind"`  // the key's kind: res, ip, host, account, …
	Day   string    `json:"day"`   // the key-day (UTC yyyy-mm-dd) it is noisy on
	Since time.Time `json:"since"` // firstSeen of the alert that made it noisy
	// Resources is how many distinct resources it linked within the window
	// when it turned noisy; Sample names up to ten of them, sorted.
	Resources int      `json:"resources"`
	Sample    []string `json:"sample"`
}

func noisyItem(k correlate.NoisyKey) noisyKeyItem {
	sample := k.Sample
	if sample == nil {
		sample = []string{}
	}
	return noisyKeyItem{Key: string(k.Key), Kind: k.Key.Kind(), Day: k.Day, Since: k.Since.UTC(), Resources: k.Resources, Sample: sample}
}

// listNoisyKeys serves GET /noisy-keys: the correlation keys that turned
// noisy (linked too many resources and stopped linking) since a time,
// newest first, at most limit. No cursor: the list is short by nature and
// since narrows it.
func (h *Handler) listNoisyKeys(ctx context.Context, r *request) (reply, error) {
	q := queryValues(r)
	for k := range q {
		if !slices.Contains(noisyKeyParams, k) {
			return reply{}, badField(k, "unknown query parameter; this list accepts "+strings.Join(noisyKeyParams, ", "))
		}
	}
	now := h.now()
	since := now.Add(-defaultNoisySince).UTC()
	if s := values(q, "since"); len(s) > 0 {
		t, ok := parseTime(s[0], now)
		if !ok || len(s) > 1 {
			return reply{}, badField("since", "must be an RFC 3339 time or a duration such as 24h or 7d")
		}
		since = t
	}
	limit := defaultLimit
	if l := values(q, "limit"); len(l) > 0 {
		n, err := strconv.Atoi(l[0])
		if err != nil || n < 1 || n > maxLimit || len(l) > 1 {
			return reply{}, badField("limit", "must be an integer from 1 to "+strconv.Itoa(maxLimit))
		}
		limit = n
	}
	keys, err := h.store.NoisyKeys(ctx, since, limit)
	if err != nil {
		return reply{}, err
	}
	items := make([]any, 0, len(keys))
	for _, k := range keys {
		items = append(items, noisyItem(k))
	}
	return jsonReply(http.StatusOK, listResponse{Items: items}), nil
}
