// Package resources is the single definition of Muster's AWS resources:
// the table (keys, indexes, stream view, TTL), the event bus, the event
// rules and the stream filters of the two stream consumers.
//
// Both the CDK stack in infra/ and the local bootstrap in localstack/ read
// these values, so the deployed stack and the local stack cannot drift. The
// package imports neither the CDK nor the AWS SDK.
//
// Item layout (single table, string keys pk/sk):
//
//	item                 pk                     sk                         indexes
//	alert                ALERT#<alertId>        ALERT                      gsi1 (time), gsi2 (incident), gsi3 (resource)
//	incident / group     INCIDENT#<id>          INCIDENT                   gsi1 (time, only once it is an incident)
//	timeline entry       INCIDENT#<id>          TL#<time>#<seq>
//	comment              INCIDENT#<id>          COMMENT#<time>#<id>
//	response request     INCIDENT#<id>          RESPONSE#<time>#<id>
//	correlation key day  KEY#<key>              DAY#<yyyy-mm-dd>           gsi1 (only when noisy)
//	suppression rule     RULE#<ruleId>          RULE                       gsi1 (RULES)
//	automation rule      AUTORULE#<ruleId>      AUTORULE                   gsi1 (AUTORULES)
//	automation run mark  INCIDENT#<id>          AUTO#<version>             (TTL: kept 7 days)
//	daily counters       METRICS                DAY#<yyyy-mm-dd>
//	counted-event marker METRICSEVENT#<id>      EVENT                      (TTL 3 days)
//
// The dynamostore package documents the access patterns built on these.
package resources

// Default names, overridable by configuration.
const (
	DefaultTableName = "muster"
	DefaultBusName   = "muster"
	EventSource      = "muster"
)

// EnvTable names the table every function uses.
const EnvTable = "MUSTER_TABLE"

// TableFromEnv is the table named by MUSTER_TABLE, DefaultTableName when
// it is unset.
func TableFromEnv(getenv func(string) string) string {
	if t := getenv(EnvTable); t != "" {
		return t
	}
	return DefaultTableName
}

// Attribute names of the table.
const (
	AttrPK      = "pk"
	AttrSK      = "sk"
	AttrGSI1PK  = "gsi1pk"
	AttrGSI1SK  = "gsi1sk"
	AttrGSI2PK  = "gsi2pk"
	AttrGSI2SK  = "gsi2sk"
	AttrGSI3PK  = "gsi3pk"
	AttrGSI3SK  = "gsi3sk"
	AttrTTL     = "expiresAt"
	AttrVersion = "version"
	// AttrRedrive is set on an alert item by the redrive (epoch
	// nanoseconds): the change reaches the correlator as a MODIFY record
	// that it correlates even though the alert itself did not change.
	AttrRedrive = "redriveAt"
)

// Key prefixes of the item layout.
const (
	PrefixAlert    = "ALERT#"
	PrefixIncident = "INCIDENT#"
	PrefixKey      = "KEY#"
	PrefixRule     = "RULE#"
	PrefixAutoRule = "AUTORULE#"
	SKAlert        = "ALERT"
	SKIncident     = "INCIDENT"
	SKRule         = "RULE"
	SKAutoRule     = "AUTORULE"
	SKAutomation   = "AUTO#"
	SKTimeline     = "TL#"
	SKComment      = "COMMENT#"
	SKResponse     = "RESPONSE#"
	SKKeyDay       = "DAY#"
)

// Index is a global secondary index with string keys and all attributes
// projected.
type Index struct {
	Name         string
	PartitionKey string
	SortKey      string
}

// Table describes the DynamoDB table.
type Table struct {
	PartitionKey string
	SortKey      string
	Indexes      []Index
	// StreamView is the stream's view type.
	StreamView string
	// TTLAttribute holds an epoch-seconds expiry.
	TTLAttribute string
}

// Index names.
const (
	IndexTime     = "gsi1"
	IndexIncident = "gsi2"
	IndexResource = "gsi3"
)

// MusterTable is the table definition.
var MusterTable = Table{
	PartitionKey: AttrPK,
	SortKey:      AttrSK,
	Indexes: []Index{
		{Name: IndexTime, PartitionKey: AttrGSI1PK, SortKey: AttrGSI1SK},
		{Name: IndexIncident, PartitionKey: AttrGSI2PK, SortKey: AttrGSI2SK},
		{Name: IndexResource, PartitionKey: AttrGSI3PK, SortKey: AttrGSI3SK},
	},
	StreamView:   "NEW_AND_OLD_IMAGES",
	TTLAttribute: AttrTTL,
}

// StreamConsumer describes how a stream consumer is attached: its batch
// size, retry budget and the filter patterns (Lambda event-filtering syntax)
// that select its records.
type StreamConsumer struct {
	Name              string
	BatchSize         int
	MaxBatchingWindow int // seconds
	MaxRetryAttempts  int
	MaxRecordAgeSecs  int
	Filters           []string
}

// StreamRetentionSecs is how long a DynamoDB stream keeps a record (24
// hours, fixed by DynamoDB).
const StreamRetentionSecs = 24 * 3600

// Correlator consumes newly inserted and modified alert items.
//
// Its retry budget is, like the responder's, the largest finite one Lambda
// takes (10,000), so a store that fails for a while (DynamoDB throttling or
// an outage, moto's 500s locally) is retried until the records reach
// MaxRecordAgeSecs (six hours) instead of being given up on after five
// quick retries; the iterator-age alarm tells the operator meanwhile.
// Only then is the batch parked on the on-failure queue (a dead-letter
// file locally), which alarms at once. Six hours, not the stream's 24,
// leave some 18 hours in which the redrive can still read the parked
// records from the stream: see docs/operations.md.
//
// Batches of up to 1,000 records (Lambda also cuts a batch at 6 MB, and
// the one-second window cuts it on a steady stream): under a backlog an
// attack's alerts then fall in one batch, so its incident and key-day
// records are rewritten in one transaction instead of one per batch of
// 100 (a 600-alert burst through the local stack correlated 1.7 times as
// fast; see docs/performance.md).
var Correlator = StreamConsumer{
	Name:              "correlator",
	BatchSize:         1000,
	MaxBatchingWindow: 1,
	MaxRetryAttempts:  10000,
	MaxRecordAgeSecs:  6 * 3600,
	Filters: []string{
		`{"eventName":["INSERT","MODIFY"],"dynamodb":{"Keys":{"pk":{"S":[{"prefix":"ALERT#"}]}}}}`,
	},
}

// Responder consumes incident items and response requests (inserted:
// requested; modified: a playbook's report).
//
// Its retry budget is the largest finite one Lambda takes (10,000): a batch
// the bus refuses for a reason of the deployment (a wrong bus name, a
// policy change, IAM still propagating) is retried, with the iterator-age
// alarm telling the operator, for some five to six hours (Lambda retries
// at once and a refused invocation ends within about 2 s) — not given up
// on after a minute, when the on-failure queue would get only the batch's
// position. Records that are bad in themselves go to the dead-letter queue
// at once.
var Responder = StreamConsumer{
	Name:              "responder",
	BatchSize:         50,
	MaxBatchingWindow: 1,
	MaxRetryAttempts:  10000,
	MaxRecordAgeSecs:  24 * 3600,
	Filters: []string{
		`{"eventName":["INSERT","MODIFY"],"dynamodb":{"Keys":{"pk":{"S":[{"prefix":"INCIDENT#"}]},"sk":{"S":["INCIDENT"]}}}}`,
		`{"eventName":["INSERT","MODIFY"],"dynamodb":{"Keys":{"pk":{"S":[{"prefix":"INCIDENT#"}]},"sk":{"S":[{"prefix":"RESPONSE#"}]}}}}`,
		`{"eventName":["INSERT"],"dynamodb":{"Keys":{"pk":{"S":[{"prefix":"INCIDENT#"}]},"sk":{"S":[{"prefix":"COMMENT#"}]}}}}`,
	},
}

// WriteBack consumes incident items whose new or old status is Resolved
// or Dismissed: every resolution, dismissal and reopening passes (so do
// other changes to a closed incident; the function compares the two
// images). It exists only where write-back is enabled
// (docs/write-back.md); its retry budget is the responder's, for the same
// reasons (IAM propagating, a source throttling).
var WriteBack = StreamConsumer{
	Name:              "writeback",
	BatchSize:         10,
	MaxBatchingWindow: 1,
	MaxRetryAttempts:  10000,
	MaxRecordAgeSecs:  24 * 3600,
	Filters: []string{
		`{"eventName":["MODIFY"],"dynamodb":{"Keys":{"pk":{"S":[{"prefix":"INCIDENT#"}]},"sk":{"S":["INCIDENT"]}},"NewImage":{"status":{"S":["Resolved","Dismissed"]}}}}`,
		`{"eventName":["MODIFY"],"dynamodb":{"Keys":{"pk":{"S":[{"prefix":"INCIDENT#"}]},"sk":{"S":["INCIDENT"]}},"OldImage":{"status":{"S":["Resolved","Dismissed"]}}}}`,
	},
}

// Rule is an EventBridge rule on Muster's bus or the default bus.
type Rule struct {
	Name        string
	Description string
	Pattern     string
}

// LocalSinkRule routes every Muster event to the local SQS sink queue.
var LocalSinkRule = Rule{
	Name:        "muster-local-sink",
	Description: "Every Muster event, to the local sink queue",
	Pattern:     `{"source":["muster"]}`,
}

// FindingsRule delivers GuardDuty and Security Hub findings from the
// default bus straight to the ingest function.
var FindingsRule = Rule{
	Name:        "muster-aws-findings",
	Description: "GuardDuty and Security Hub findings to Muster ingest",
	Pattern:     `{"source":["aws.guardduty","aws.securityhub"],"detail-type":["GuardDuty Finding","Security Hub Findings - Imported","Security Hub Findings - Custom Action"]}`,
}

// HighSeverityExfiltrationPattern is the README's example playbook pattern:
// incidents of severity High or Critical that reached Exfiltration.
const HighSeverityExfiltrationPattern = `{"source":["muster"],"detail":{"incident":{"severity":["High","Critical"],"tactics":["Exfiltration"]}}}`

// LocalSinkQueue is the SQS queue name of the local event sink.
const LocalSinkQueue = "muster-local-events"

// Items of the Slack app: one per incident with a card in the channel
// (pk SLACKCARD#<incident id>, sk CARD). No stream consumer's filter
// selects them.
const (
	PrefixSlackCard = "SLACKCARD#"
	SKSlackCard     = "CARD"
)

// FunctionMemoryMB is each function's default memory size in MB: the
// stack's MemorySize (infra/stack explains each choice) and what the bench
// prices Lambda duration at.
var FunctionMemoryMB = map[string]int{"ingest": 512, "correlator": 1024, "query": 512, "responder": 256, "notify": 256, "writeback": 256}
