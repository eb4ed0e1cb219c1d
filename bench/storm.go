package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/muster-sec/muster/bench/awsbill"
	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/normalize"
	"github.com/muster-sec/muster/shared/quality"
	"github.com/muster-sec/muster/shared/scenario"
)

// PartitionLimitWRU is DynamoDB's write throughput per partition, in write
// units per second: a partition (of the table or of a global secondary
// index) takes about 1,000 WCU/s, whatever the table's mode.
const PartitionLimitWRU = 1000

// StormPerRequest is the alerts per webhook request in the storm (the
// cost section's figure).
const StormPerRequest = 50

// StormResult is the storm measured without AWS: every DynamoDB write
// ingest and the correlator would make, by partition key and second.
type StormResult struct {
	Seed      uint64 `json:"seed"`
	Alerts    int    `json:"alerts"`
	Accepted  int    `json:"accepted"`
	Campaigns int    `json:"campaigns"`
	Scanners  int    `json:"scanners"`
	// Probes is the scanners' alerts.
	Probes int `json:"scannerAlerts"`
	// Seconds is the storm's length in alert time, first write to last;
	// PeakAlerts the alerts ingested in its busiest second.
	Seconds    int64 `json:"seconds"`
	PeakAlerts int   `json:"peakAlertsPerSecond"`
	Requests   int   `json:"requests"`
	// Batches are the correlator's stream batches of new alerts;
	// Assignments the alert items it rewrote with their incident (each a
	// MODIFY record its stream filter delivers and its handler drops).
	Batches     int `json:"correlatorBatches"`
	Units       int `json:"units"`
	Conflicts   int `json:"conflicts"`
	Failed      int `json:"failedAlerts"`
	Assignments int `json:"assignments"`
	// Hottest is each index's hottest partition key as written;
	// Unsharded the same with the time index's shards of a month taken as
	// one partition (the load before write-sharding).
	Hottest   []PartitionLoad `json:"hottest"`
	Unsharded []PartitionLoad `json:"unsharded"`
	// TimeIndex is the load of every partition key of the time index
	// (gsi1), hottest first.
	TimeIndex []PartitionLoad `json:"timeIndex"`
	LimitWRU  int             `json:"partitionLimitWru"`
	// Quality scores the incidents against the campaigns; NoisyScanners
	// is the number of scanner IPs whose key the engine marked noisy, and
	// ScannerInIncidents the scanner probes inside an incident.
	Quality            quality.Result `json:"quality"`
	NoisyScanners      int            `json:"noisyScanners"`
	ScannerInIncidents int            `json:"scannerAlertsInIncidents"`
	// PeakWRU is the most the table and its indexes took together in one
	// second (an on-demand table's default ceiling is 40,000 WRU/s).
	PeakWRU     float64   `json:"peakWruPerSecond"`
	TableWRU    float64   `json:"tableWru"`
	IndexWRU    float64   `json:"indexWru"`
	RRU         float64   `json:"rru"`
	Bill        StormBill `json:"bill"`
	WallSeconds float64   `json:"wallSeconds"`
}

// StormBill is the storm's DynamoDB and API Gateway bill in dollars.
type StormBill struct {
	TableWrites float64 `json:"tableWrites"`
	IndexWrites float64 `json:"indexWrites"`
	Reads       float64 `json:"reads"`
	Requests    float64 `json:"requests"`
	Total       float64 `json:"total"`
}

// StormConfig is the storm scenario for seed: scenario.Storm, or a small
// one (a few hundred alerts) for a short run.
func StormConfig(seed uint64, short bool) scenario.Config {
	c := scenario.Storm(seed)
	if short {
		c.Campaigns, c.NoiseAlerts, c.NoiseResources, c.Scanners, c.ScanTargets = 3, 100, 60, 2, 60
	}
	return c
}

// MeasureStorm generates the storm, ingests it as generic webhook requests
// of StormPerRequest alerts through the real normaliser and encoder, and
// correlates it with the real engine and service in stream batches of 100
// on the engine's in-memory state, metering every write DynamoDB would
// take (dynamostore's encoders give the item sizes). Time is alert time: a
// request is written when its last alert arrives, a batch correlated when
// its last alert was written.
func MeasureStorm(ctx context.Context, cfg scenario.Config) (StormResult, error) {
	start := time.Now()
	sc := scenario.Generate(cfg)
	r := StormResult{Seed: cfg.Seed, Alerts: len(sc.Alerts), Campaigns: len(sc.Campaigns), Scanners: len(sc.Scanners), LimitWRU: PartitionLimitWRU}
	for _, s := range sc.Scanners {
		r.Probes += len(s.AlertIDs)
	}
	st := newStormStore()
	stored, perSec, err := st.ingest(sc.Alerts, &r)
	if err != nil {
		return r, err
	}
	if err := st.correlate(ctx, stored, &r); err != nil {
		return r, err
	}
	r.Quality, r.NoisyScanners, r.ScannerInIncidents = stormQuality(sc, st.mem)
	first, last := int64(-1), int64(0)
	for s, n := range perSec {
		if first < 0 || s < first {
			first = s
		}
		last = max(last, s)
		r.PeakAlerts = max(r.PeakAlerts, n)
	}
	r.Seconds = last - first + 1
	r.Hottest = st.m.hottest(first, last, nil)
	r.Unsharded = st.m.hottest(first, last, unshard)
	r.TimeIndex = st.m.loads("gsi1", first, last)
	r.TableWRU, r.IndexWRU, r.RRU, r.PeakWRU = st.m.tableWRU, st.m.indexWRU, st.m.rru, st.m.peak()
	r.Bill = stormBill(r)
	r.WallSeconds = time.Since(start).Seconds()
	return r, nil
}

// unshard maps a write shard of the time index (<PREFIX><yyyy-mm>#<n>) to
// its month partition.
func unshard(index, key string) string {
	if index != "gsi1" {
		return key
	}
	return dynamostore.UnshardedBucket(key)
}

func stormBill(r StormResult) StormBill {
	b := StormBill{
		TableWrites: r.TableWRU * awsbill.PriceWRU.USD / 1e6,
		IndexWrites: r.IndexWRU * awsbill.PriceWRU.USD / 1e6,
		Reads:       r.RRU * awsbill.PriceRRU.USD / 1e6,
		Requests:    float64(r.Requests) * awsbill.PriceRESTRequest.USD / 1e6,
	}
	b.Total = b.TableWrites + b.IndexWrites + b.Reads + b.Requests
	return b
}

// stormQuality scores the live incidents against the campaigns (labels
// follow the alerts under their stored ids), counts the scanners whose IP
// the engine marked noisy and the scanner probes inside incidents.
func stormQuality(sc *scenario.Scenario, mem *correlate.Memory) (res quality.Result, noisyScanners, probesIn int) {
	labels := make(map[string]string, len(sc.Alerts))
	for _, a := range sc.Alerts {
		labels[StoredID(a)] = sc.Labels[a.ID]
	}
	probe := map[string]bool{}
	for _, s := range sc.Scanners {
		for _, id := range s.AlertIDs {
			probe[alert.ID(alert.ProviderGeneric, id)] = true
		}
	}
	var groups [][]string
	for _, g := range mem.Groups() {
		if g.IsIncident && g.Incident.MergedInto == "" {
			groups = append(groups, g.MemberIDs())
			for _, id := range g.MemberIDs() {
				if probe[id] {
					probesIn++
				}
			}
		}
	}
	noisy := map[alert.Key]bool{}
	for _, kd := range mem.KeyDays() {
		if kd.Noisy {
			noisy[kd.Key] = true
		}
	}
	for _, s := range sc.Scanners {
		if noisy[alert.Key("ip:"+s.IP)] {
			noisyScanners++
		}
	}
	return quality.Score(groups, labels), noisyScanners, probesIn
}

// stormAlert is a stored alert and its item's image.
type stormAlert struct {
	a   *alert.Alert
	img image
}

// stormStore is the correlator's store during the storm: the engine's
// in-memory state, every write and read DynamoDB would take metered at the
// batch's time.
type stormStore struct {
	mem     *correlate.Memory
	m       *meter
	now     time.Time
	keyDays map[correlate.KeyDayID]image
	groups  map[string]image
	alerts  map[string]*stormAlert
	// assigned counts the alert items rewritten with their incident.
	assigned int
}

var _ correlate.Store = (*stormStore)(nil)

func newStormStore() *stormStore {
	return &stormStore{mem: correlate.NewMemory(), m: newMeter(), keyDays: map[correlate.KeyDayID]image{},
		groups: map[string]image{}, alerts: map[string]*stormAlert{}}
}

// ingest posts the alerts as generic webhook requests, in delivery order,
// and meters each new alert's conditional put and each request's counter
// update. It returns the stored alerts in write order and the alerts
// written per second.
func (st *stormStore) ingest(alerts []*alert.Alert, r *StormResult) ([]alert.Alert, map[int64]int, error) {
	var stored []alert.Alert
	perSec := map[int64]int{}
	for i := 0; i < len(alerts); i += StormPerRequest {
		chunk := alerts[i:min(i+StormPerRequest, len(alerts))]
		now := chunk[0].ReceivedAt
		for _, a := range chunk {
			now = later(now, a.ReceivedAt)
		}
		res, err := normalize.Parse(alert.ProviderGeneric, Generic(chunk), now)
		if err != nil {
			return nil, nil, fmt.Errorf("normalise request %d: %w", r.Requests, err)
		}
		r.Requests++
		for _, x := range res {
			if x.Alert == nil || st.alerts[x.Alert.ID] != nil {
				continue
			}
			item, err := dynamostore.EncodeAlert(x.Alert, 1, dynamostore.DefaultAlertRetention)
			if err != nil {
				return nil, nil, err
			}
			img := imageOf(item)
			st.m.write(now, image{}, img, false)
			st.alerts[x.Alert.ID] = &stormAlert{a: x.Alert, img: img}
			stored = append(stored, *x.Alert)
			perSec[now.Unix()]++
		}
		// The day's metric counters: one small UpdateItem per request.
		st.m.add(tableIndex, "METRICS", now, 1)
	}
	r.Accepted = len(stored)
	return stored, perSec, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// correlate runs the correlation service over the stored alerts in stream
// batches of 100, each at the time its last alert was received.
func (st *stormStore) correlate(ctx context.Context, stored []alert.Alert, r *StormResult) error {
	eng, err := correlate.New(correlate.DefaultConfig())
	if err != nil {
		return err
	}
	svc := correlate.NewService(eng, st, correlate.ServiceOptions{Now: func() time.Time { return st.now },
		Logger: slog.New(slog.DiscardHandler)})
	for i := 0; i < len(stored); i += 100 {
		batch := stored[i:min(i+100, len(stored))]
		st.now = batch[0].ReceivedAt
		for _, a := range batch {
			st.now = later(st.now, a.ReceivedAt)
		}
		res := svc.Correlate(ctx, batch)
		r.Batches++
		r.Units += res.Units
		r.Conflicts += res.Conflicts
		r.Failed += len(res.Failed)
	}
	r.Assignments = st.assigned
	return nil
}

// LoadKeyDays implements correlate.Store: one strongly consistent read per
// id (BatchGetItem), found or not.
func (st *stormStore) LoadKeyDays(_ context.Context, ids []correlate.KeyDayID) (map[correlate.KeyDayID]*correlate.KeyDay, error) {
	out := map[correlate.KeyDayID]*correlate.KeyDay{}
	for _, id := range ids {
		kd, err := st.mem.KeyDay(id)
		st.m.read(st.keyDays[id].size)
		if err == nil {
			out[id] = kd
		}
	}
	return out, nil
}

// LoadGroups implements correlate.Store.
func (st *stormStore) LoadGroups(_ context.Context, ids []string) (map[string]*correlate.Group, error) {
	out := map[string]*correlate.Group{}
	for _, id := range ids {
		g, err := st.mem.Group(id)
		st.m.read(st.groups[id].size)
		if err == nil {
			out[id] = g
		}
	}
	return out, nil
}

// Commit implements correlate.Store: the unit's TransactWriteItems, as
// dynamostore.Store.Commit builds it.
func (st *stormStore) Commit(_ context.Context, u *correlate.Unit) error {
	if err := st.mem.Commit(u); err != nil {
		return err
	}
	if err := replaceAll(st, st.keyDays, u.KeyDays, dynamostore.EncodeKeyDay); err != nil {
		return err
	}
	for _, c := range u.Checks {
		img := st.keyDays[c.ID]
		if img.pk == "" {
			img = imageOf(dynamostore.KeyDayKey(c.ID))
		}
		st.m.check(st.now, img)
	}
	if err := replaceAll(st, st.groups, u.Groups, dynamostore.EncodeGroup); err != nil {
		return err
	}
	for _, t := range u.Timeline {
		item, err := dynamostore.EncodeTimeline(t.IncidentID, t.Entry)
		if err != nil {
			return err
		}
		st.m.write(st.now, image{}, imageOf(item), true)
	}
	return nil
}

// replaceAll meters the transactional write of each record's item over
// the image kept under its id, and keeps the new image.
func replaceAll[T interface{ ID() K }, K comparable](st *stormStore, kept map[K]image, records []T,
	encode func(T) (map[string]types.AttributeValue, error)) error {
	for _, r := range records {
		item, err := encode(r)
		if err != nil {
			return err
		}
		img := imageOf(item)
		st.m.write(st.now, kept[r.ID()], img, true)
		kept[r.ID()] = img
	}
	return nil
}

// Assign implements correlate.Store: a consistent read of each alert and
// an UpdateItem of those whose incident changes (dynamostore.Store.Assign).
func (st *stormStore) Assign(_ context.Context, as []correlate.Assignment) error {
	for _, as := range as {
		sa := st.alerts[as.AlertID]
		if sa == nil {
			continue
		}
		st.m.read(sa.img.size)
		if sa.a.IncidentID == as.IncidentID {
			continue
		}
		a := *sa.a
		a.IncidentID = as.IncidentID
		item, err := dynamostore.EncodeAlert(&a, 2, dynamostore.DefaultAlertRetention)
		if err != nil {
			return err
		}
		if as.IncidentID != "" {
			m, err := json.Marshal(as.Membership)
			if err != nil {
				return err
			}
			item["membership"] = &types.AttributeValueMemberS{Value: string(m)}
			item["reason"] = &types.AttributeValueMemberS{Value: as.Membership.Reason}
		}
		img := imageOf(item)
		st.m.write(st.now, sa.img, img, false)
		sa.a, sa.img = &a, img
		st.assigned++
	}
	return nil
}

// NoisyKeys implements correlate.Store; the engine does not read it.
func (st *stormStore) NoisyKeys(context.Context, time.Time, int) ([]correlate.NoisyKey, error) {
	return nil, nil
}
