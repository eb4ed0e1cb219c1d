package dynamostore

import (
	"context"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/muster-sec/muster/shared/resources"
)

// The time index (gsi1) lists alerts, incidents and candidates by month.
// Each month of each of them is write-sharded over TimeShards partition
// keys, <PREFIX><yyyy-mm>#<n>, n a hash of the item's id:
//
//	alerts       ALERT#2026-11#0 … ALERT#2026-11#7         sort key <lastSeen>#<id>
//	incidents    INCIDENT#2026-11#0 … INCIDENT#2026-11#7   sort key <lastActivity>#<id>
//	candidates   CANDIDATE#2026-11#0 … CANDIDATE#2026-11#7 sort key <lastActivity>#<id>
//
// One partition key takes about 1,000 write units a second, and a month's
// sort keys only grow, so DynamoDB cannot split a hot month for heat: an
// alert storm would write one key at the rate of the whole storm
// (docs/performance.md, "A storm"). Sharded, a month takes TimeShards
// times that. Readers query every shard of a month and merge by sort key
// (lists.go); they also read the month's unsharded key, <PREFIX><yyyy-mm>,
// where items written before the sharding stay until they are rewritten
// or expire.

// TimeShards is the number of write shards of a month of the time index.
// Raising it later is safe (readers read the shards the current value
// names, and an item moves to its new shard when next written, but items
// in shards above a lowered value would be lost to lists): only raise it.
const TimeShards = 8

// PrefixCandidate starts the time-index partitions of candidates.
const PrefixCandidate = "CANDIDATE#"

// month is the time-bucket of the time index.
func month(t time.Time) string { return t.UTC().Format("2006-01") }

// timeShard is the write shard of an item id: FNV-1a of the id modulo
// TimeShards.
func timeShard(id string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return int(h.Sum32() % TimeShards)
}

// shardedBucket is the time-index partition of the item id active in t's
// month.
func shardedBucket(prefix string, t time.Time, id string) string {
	return prefix + month(t) + "#" + strconv.Itoa(timeShard(id))
}

// AlertTimeBucket is the gsi1 partition of the alert id last seen in t's
// month.
func AlertTimeBucket(t time.Time, id string) string {
	return shardedBucket(resources.PrefixAlert, t, id)
}

// IncidentTimeBucket is the gsi1 partition of the incident id last active
// in t's month.
func IncidentTimeBucket(t time.Time, id string) string {
	return shardedBucket(resources.PrefixIncident, t, id)
}

// CandidateTimeBucket is the time-index partition of the candidate id
// (a linked group below the incident threshold) last active in t's month.
func CandidateTimeBucket(t time.Time, id string) string {
	return shardedBucket(PrefixCandidate, t, id)
}

// monthShards are the partitions a reader of one month partition of the
// time index (<PREFIX><yyyy-mm>) queries: its TimeShards write shards,
// then the unsharded key itself (items written before the sharding).
func monthShards(monthPart string) []string {
	out := make([]string, 0, TimeShards+1)
	for n := range TimeShards {
		out = append(out, monthPart+"#"+strconv.Itoa(n))
	}
	return append(out, monthPart)
}

// everyShard lists the partitions of every month partition in months, in
// order (monthShards of each).
func everyShard(months []string) []string {
	out := make([]string, 0, len(months)*(TimeShards+1))
	for _, m := range months {
		out = append(out, monthShards(m)...)
	}
	return out
}

// newestAcross returns the items of the time-index partitions parts sorted
// at or after since, newest first, at most limit: the newest limit of each
// partition, merged by sort key.
func (st *Store) newestAcross(ctx context.Context, parts []string, since time.Time, limit int) ([]map[string]types.AttributeValue, error) {
	var all []map[string]types.AttributeValue
	for _, p := range parts {
		err := st.newestInPartition(ctx, p, since, limit, func(item map[string]types.AttributeValue) error {
			all = append(all, item)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		return StringAttr(all[i], resources.AttrGSI1SK) > StringAttr(all[j], resources.AttrGSI1SK)
	})
	return all[:min(len(all), limit)], nil
}

// UnshardedBucket is the month partition (<PREFIX><yyyy-mm>) a time-index
// partition key belongs to: the key itself unless it is a write shard of a
// month (<PREFIX><yyyy-mm>#<n>).
func UnshardedBucket(partition string) string {
	i := strings.LastIndex(partition, "#")
	if i < 0 || strings.Count(partition, "#") != 2 {
		return partition
	}
	if _, err := strconv.Atoi(partition[i+1:]); err != nil {
		return partition
	}
	return partition[:i]
}
