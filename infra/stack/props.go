package stack

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/playbook"
	"github.com/muster-sec/muster/shared/resources"
	"github.com/muster-sec/muster/shared/writeback"
)

// Function names: the make build asset directories (dist/<name>/bootstrap)
// and the keys of Props.Functions.
const (
	Ingest     = "ingest"
	Correlator = "correlator"
	Query      = "query"
	Responder  = "responder"
	// Notify posts and updates incidents' Slack cards; deployed only
	// with a Slack channel (SlackChannelID), so it is not in FunctionNames.
	Notify = "notify"
	// WriteBack writes incident status changes back to the source
	// findings; deployed only with WriteBackSources, so it is not in
	// FunctionNames.
	WriteBack = "writeback"
)

// OptionalFunctions are deployed only when configured (Props.functionNames).
var OptionalFunctions = []string{Notify, WriteBack}

// FunctionNames lists the four functions every stack deploys, in a fixed
// order.
var FunctionNames = []string{Ingest, Correlator, Query, Responder}

// FunctionSettings sizes one function. Zero fields take the defaults of
// DefaultFunctionSettings.
type FunctionSettings struct {
	MemoryMB       int
	TimeoutSeconds int
	// ReservedConcurrency caps (and reserves) concurrent executions; 0
	// leaves the function on the account's unreserved pool. New accounts
	// have a concurrency quota of 10, so reserving by default would make
	// the first deployment fail there.
	ReservedConcurrency int
}

// DefaultFunctionSettings are the sizes chosen for each function.
//
//   - ingest 512 MB / 30 s: parses and validates request bodies up to 1 MiB
//     (hundreds of alerts in an Alertmanager group or an EventBridge batch),
//     CPU scales with memory and 512 MB on arm64 keeps a 1 MiB batch well
//     under a second; 30 s is above API Gateway's 29 s integration limit, so
//     the client sees a 504 from the gateway rather than a killed function,
//     and leaves room for DynamoDB retries on EventBridge deliveries.
//   - correlator 1024 MB / 120 s: batches of resources.Correlator.BatchSize
//     alerts, each loading and rewriting incident/group items with
//     optimistic-locking retries; the connected-component merge is CPU work.
//     120 s bounds a stuck batch; bisect-on-error halves it on failure.
//   - query 512 MB / 29 s: bounded queries (limit, 1 MB pages, no Scan) and
//     the embedded console; 29 s matches API Gateway's integration limit.
//   - responder 256 MB / 60 s: decodes stream images and calls PutEvents in
//     batches of 10 with backoff on retryable failures; I/O bound, so little
//     memory, but time for a few backoff rounds per batch.
//   - notify 256 MB / 30 s: one event, two small table writes and one Slack
//     call (10 s client timeout) per invocation.
//   - writeback 256 MB / 60 s: batches of resources.WriteBack.BatchSize
//     incident changes, each a few alert reads and a few API calls
//     (unprocessed findings sent again); I/O bound.
var DefaultFunctionSettings = map[string]FunctionSettings{
	Ingest:     {MemoryMB: resources.FunctionMemoryMB[Ingest], TimeoutSeconds: 30},
	Correlator: {MemoryMB: resources.FunctionMemoryMB[Correlator], TimeoutSeconds: 120},
	Query:      {MemoryMB: resources.FunctionMemoryMB[Query], TimeoutSeconds: 29},
	Responder:  {MemoryMB: resources.FunctionMemoryMB[Responder], TimeoutSeconds: 60},
	Notify:     {MemoryMB: resources.FunctionMemoryMB[Notify], TimeoutSeconds: 30},
	WriteBack:  {MemoryMB: resources.FunctionMemoryMB[WriteBack], TimeoutSeconds: 60},
}

// Props are every name and setting of the stack. The zero value of each
// field means "use the default" (see Defaults); booleans whose default is
// true are pointers so that an explicit false is distinguishable.
type Props struct {
	// StackName is the CloudFormation stack name (default "Muster").
	StackName string
	// Account and Region pin the environment; empty leaves the stack
	// environment-agnostic (the CLI's CDK_DEFAULT_* values are used by main).
	Account, Region string

	// AssetRoot is the directory holding <function>/bootstrap (make build's
	// dist/). Required.
	AssetRoot string

	// TableName and BusName (default resources.DefaultTableName / DefaultBusName).
	TableName string
	BusName   string
	// AlertRetentionDays is passed to ingest and query (the functions that
	// create or rewrite alert items; the correlator only sets their
	// incident) as MUSTER_ALERT_RETENTION_DAYS; items carry an expiresAt
	// (TTL) that many days ahead (default 90, at most 3650).
	AlertRetentionDays int
	// DeletionProtection on the table (default true). When false the table
	// is also removed with the stack; when true it is retained.
	DeletionProtection *bool

	// LogRetentionDays for function, API access and state machine logs
	// (default 30). Must be a value CloudWatch Logs accepts.
	LogRetentionDays int
	// Functions overrides DefaultFunctionSettings per function.
	Functions map[string]FunctionSettings
	// Architecture of the function binaries: "arm64" (default, as make
	// build produces) or "x86_64" (for LocalStack on an x86 host).
	Architecture string
	// Tracing turns on X-Ray for the functions, the API stage and the state
	// machine (default false).
	Tracing bool

	// API settings.
	APIStageName      string   // default "v1"
	APIThrottleRate   float64  // steady requests per second (default 50)
	APIThrottleBurst  int      // burst (default 100)
	CORSOrigins       []string // none by default: no CORS at all
	APICloudWatchRole *bool    // create the account-level API Gateway logging role (default true)
	// PublicURL is the public base URL for links in events (MUSTER_API_URL):
	// an absolute http(s) URL; empty uses the stage's execute-api URL.
	PublicURL string
	// AlertmanagerURL, when set, is given to query as MUSTER_ALERTMANAGER_URL:
	// "suppress similar" rules made from Alertmanager alerts are written back
	// there as silences. Its credential is not a context value (it would sit
	// in the template in clear): set MUSTER_ALERTMANAGER_TOKEN yourself.
	AlertmanagerURL string

	// Archive creates the event bus archive (default true). LocalStack
	// supports archives only in some versions and plans, so the LocalStack
	// deployment can turn it off.
	Archive *bool
	// ArchiveRetentionDays of the event bus archive (default 30).
	ArchiveRetentionDays int

	// AlarmEmail, when set, subscribes that address to the alarm topic.
	AlarmEmail string
	// IteratorAgeAlarmSeconds is the stream iterator age alarm threshold
	// (default 300).
	IteratorAgeAlarmSeconds int

	// AuthParamName is the SSM SecureString parameter holding the auth
	// configuration (default "/muster/auth"). The operator creates it; the
	// stack only references it by name.
	AuthParamName string
	// AuthParamKMSKeyARN is the customer managed key of that parameter; empty
	// means the AWS managed key aws/ssm.
	AuthParamKMSKeyARN string

	// Playbooks is the playbook registry (JSON) given to query as
	// MUSTER_PLAYBOOKS; empty leaves the built-in registry. It must parse
	// as shared/playbook parses it (playbook.FromEnv).
	Playbooks string
	// QuarantineSecurityGroupID enables the isolate-instance playbook: the
	// security group an isolated instance is moved to. Empty: the playbook's
	// state machine and rule are not deployed.
	QuarantineSecurityGroupID string
	// ChatWebhookURL and ChatConnectionSecretARN, both set, add an
	// EventBridge API destination posting chat notifications to the webhook.
	// The secret (Secrets Manager) holds the header value sent in
	// ChatAuthHeader (default "Authorization").
	ChatWebhookURL          string
	ChatConnectionSecretARN string
	ChatAuthHeader          string
	// PlaybookReportSecretARN, with the isolate-instance playbook, makes
	// its state machine report Running, then Succeeded or Failed, to the
	// API (POST /incidents/{id}/responses/{requestId}): a Secrets Manager
	// secret holding the Authorization header value, "Bearer " and a token
	// of scope respond. Empty: the playbook does not report.
	PlaybookReportSecretARN string

	// SlackParamName is the SSM SecureString holding the Slack app's
	// settings ({"signingSecret", "botToken", "users"}, docs/chatops.md),
	// read by query and notify; empty: the Slack routes refuse every
	// request. It is encrypted with the auth parameter's key
	// (AuthParamKMSKeyARN or aws/ssm).
	SlackParamName string
	// SlackChannelID, with SlackParamName, deploys the notify function and
	// its rule: incident cards are posted to this channel (C…).
	SlackChannelID string

	// WriteBackSources, when not empty, deploys the writeback function
	// for these sources (writeback.Sources: securityhub, guardduty), with
	// its stream mapping and only the permissions they need
	// (docs/write-back.md).
	WriteBackSources []string

	// Correlator tuning passed through when set (zero or empty: the
	// correlator's default). Validate checks them with the correlator's own
	// parser and ranges (correlate.FromEnv, correlate.Config.Validate).
	CorrelationWindow    string // MUSTER_CORRELATION_WINDOW, a Go duration, e.g. "24h" (at most 168h)
	ResourceWindow       string // MUSTER_RESOURCE_WINDOW, a Go duration, e.g. "6h" (at most the correlation window)
	MinStages            int    // MUSTER_MIN_STAGES (1..13)
	MinConfidence        int    // MUSTER_MIN_CONFIDENCE (1..100)
	MaxAlertsPerIncident int    // MUSTER_MAX_ALERTS_PER_INCIDENT (2..1000)
	NoisyKeyResources    int    // MUSTER_NOISY_KEY_RESOURCES (at least 1)
	ReopenResolved       *bool  // MUSTER_REOPEN_RESOLVED
	AutoResolve          *bool  // MUSTER_AUTO_RESOLVE
}

// ErrInvalidProps wraps every validation failure of Props.
var ErrInvalidProps = errors.New("invalid stack props")

// logRetentionDays are the values CloudWatch Logs accepts.
var logRetentionDays = map[int]bool{1: true, 3: true, 5: true, 7: true, 14: true, 30: true, 60: true, 90: true,
	120: true, 150: true, 180: true, 365: true, 400: true, 545: true, 731: true, 1096: true, 1827: true,
	2192: true, 2557: true, 2922: true, 3288: true, 3653: true}

var sgPattern = regexp.MustCompile(`^sg-[0-9a-f]{8,17}$`)

var slackChannelPattern = regexp.MustCompile(`^[CG][A-Z0-9]{6,20}$`)

// Defaults returns p with every zero field set to its default.
func (p Props) Defaults() Props {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	defInt := func(n *int, v int) {
		if *n == 0 {
			*n = v
		}
	}
	def(&p.StackName, "Muster")
	def(&p.TableName, resources.DefaultTableName)
	def(&p.BusName, resources.DefaultBusName)
	defInt(&p.AlertRetentionDays, 90)
	if p.DeletionProtection == nil {
		p.DeletionProtection = ptr(true)
	}
	defInt(&p.LogRetentionDays, 30)
	fns := make(map[string]FunctionSettings, len(FunctionNames)+1)
	for _, name := range append(slices.Clone(FunctionNames), OptionalFunctions...) {
		s := p.Functions[name]
		d := DefaultFunctionSettings[name]
		defInt(&s.MemoryMB, d.MemoryMB)
		defInt(&s.TimeoutSeconds, d.TimeoutSeconds)
		fns[name] = s
	}
	p.Functions = fns
	def(&p.Architecture, "arm64")
	def(&p.APIStageName, "v1")
	if p.APIThrottleRate == 0 {
		p.APIThrottleRate = 50
	}
	defInt(&p.APIThrottleBurst, 100)
	if p.APICloudWatchRole == nil {
		p.APICloudWatchRole = ptr(true)
	}
	if p.Archive == nil {
		p.Archive = ptr(true)
	}
	defInt(&p.ArchiveRetentionDays, 30)
	defInt(&p.IteratorAgeAlarmSeconds, 300)
	def(&p.AuthParamName, "/muster/auth")
	def(&p.ChatAuthHeader, "Authorization")
	return p
}

// Validate reports the first invalid setting of p (after Defaults). Each
// error names the Props field and the context key that sets it. Settings
// the functions read are checked with the functions' own parsers, so a
// value that synthesises is one the function accepts at start.
func (p Props) Validate() error {
	bad := func(field, key, format string, args ...any) error {
		return fmt.Errorf("%w: %s (context %s): %s", ErrInvalidProps, field, key, fmt.Sprintf(format, args...))
	}
	badErr := func(field, key string, err error) error {
		return fmt.Errorf("%w: %s (context %s): %w", ErrInvalidProps, field, key, err)
	}
	if p.AssetRoot == "" {
		return bad("AssetRoot", CtxAssetRoot, "required (the make build dist/ directory)")
	}
	// The same check ingest and query make at start.
	if _, err := dynamostore.OptionsFromEnv(oneVar(dynamostore.EnvAlertRetentionDays, strconv.Itoa(p.AlertRetentionDays))); err != nil {
		return badErr("AlertRetentionDays", CtxAlertRetentionDays, err)
	}
	if !logRetentionDays[p.LogRetentionDays] {
		return bad("LogRetentionDays", CtxLogRetentionDays, "%d is not a CloudWatch Logs retention value", p.LogRetentionDays)
	}
	for _, name := range append(slices.Clone(FunctionNames), OptionalFunctions...) {
		s, ok := p.Functions[name]
		if !ok {
			continue
		}
		if s.MemoryMB < 128 || s.MemoryMB > 10240 {
			return bad("Functions."+name+".MemoryMB", name+ctxFunctionMemorySuffix, "must be 128..10240, got %d", s.MemoryMB)
		}
		if s.TimeoutSeconds < 1 || s.TimeoutSeconds > 900 {
			return bad("Functions."+name+".TimeoutSeconds", name+ctxFunctionTimeoutSuffix, "must be 1..900, got %d", s.TimeoutSeconds)
		}
		if s.ReservedConcurrency < 0 {
			return bad("Functions."+name+".ReservedConcurrency", name+ctxFunctionReservedSuffix, "must not be negative")
		}
	}
	if p.Architecture != "arm64" && p.Architecture != "x86_64" {
		return bad("Architecture", CtxArchitecture, "want arm64 or x86_64, got %q", p.Architecture)
	}
	if p.APIThrottleRate < 0 {
		return bad("APIThrottleRate", CtxAPIThrottleRate, "must not be negative")
	}
	if p.APIThrottleBurst < 0 {
		return bad("APIThrottleBurst", CtxAPIThrottleBurst, "must not be negative")
	}
	for _, o := range p.CORSOrigins {
		if o == "*" {
			return bad("CORSOrigins", CtxCORSOrigins, "a wildcard origin is not allowed: list the console origins")
		}
		if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" {
			return bad("CORSOrigins", CtxCORSOrigins, "%q is not an origin (scheme://host[:port])", o)
		}
	}
	if p.PublicURL != "" {
		// The responder refuses to start unless MUSTER_API_URL is http(s).
		if u, err := url.Parse(p.PublicURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return bad("PublicURL", CtxPublicURL, "%q is not an absolute http(s) URL such as https://muster.example.com", p.PublicURL)
		}
	}
	if p.AlertmanagerURL != "" {
		if u, err := url.Parse(p.AlertmanagerURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return bad("AlertmanagerURL", CtxAlertmanagerURL, "%q is not an absolute http(s) URL without credentials, such as https://alertmanager.example:9093", p.AlertmanagerURL)
		}
	}
	if p.ArchiveRetentionDays < 1 {
		return bad("ArchiveRetentionDays", CtxArchiveRetentionDays, "must be at least 1, got %d", p.ArchiveRetentionDays)
	}
	if !strings.HasPrefix(p.AuthParamName, "/") {
		return bad("AuthParamName", CtxAuthParamName, "must be a path starting with /, got %q", p.AuthParamName)
	}
	if p.QuarantineSecurityGroupID != "" && !sgPattern.MatchString(p.QuarantineSecurityGroupID) {
		return bad("QuarantineSecurityGroupID", CtxQuarantineSG, "%q is not a security group id", p.QuarantineSecurityGroupID)
	}
	if p.PlaybookReportSecretARN != "" && p.QuarantineSecurityGroupID == "" {
		return bad("PlaybookReportSecretARN", CtxPlaybookReportSecret, "reports come from the isolate-instance playbook: set %s too", CtxQuarantineSG)
	}
	if (p.ChatWebhookURL == "") != (p.ChatConnectionSecretARN == "") {
		return bad("ChatWebhookURL", CtxChatWebhookURL+" / "+CtxChatConnectionSecret, "set both the webhook URL and the connection secret ARN, or neither")
	}
	if p.ChatWebhookURL != "" {
		if u, err := url.Parse(p.ChatWebhookURL); err != nil || u.Scheme != "https" || u.Host == "" {
			return bad("ChatWebhookURL", CtxChatWebhookURL, "must be an https URL")
		}
	}
	if p.SlackParamName != "" && !strings.HasPrefix(p.SlackParamName, "/") {
		return bad("SlackParamName", CtxSlackParamName, "must be a path starting with /, got %q", p.SlackParamName)
	}
	if _, err := writeback.ParseSources(strings.Join(p.WriteBackSources, ",")); err != nil {
		return badErr("WriteBackSources", CtxWriteBackSources, err)
	}
	if p.SlackChannelID != "" && (p.SlackParamName == "" || !slackChannelPattern.MatchString(p.SlackChannelID)) {
		return bad("SlackChannelID", CtxSlackChannelID, "must be a channel id (C…) and needs %s for the bot token", CtxSlackParamName)
	}
	if p.Playbooks != "" {
		// The registry query builds at start (playbook.FromEnv).
		if _, err := playbook.FromEnv(oneVar(playbook.EnvPlaybooks, p.Playbooks)); err != nil {
			return badErr("Playbooks", CtxPlaybooks, err)
		}
	}
	return p.validateCorrelator()
}

// correlatorSetting is one correlator tuning value and where it comes from.
type correlatorSetting struct {
	field, key, env, value string // value "" = unset (the correlator's default)
}

// correlatorSettings lists the correlator's tuning as the stack passes it:
// zero and empty values are left out, so the correlator uses its defaults.
func (p Props) correlatorSettings() []correlatorSetting {
	num := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	flag := func(b *bool) string {
		if b == nil {
			return ""
		}
		return strconv.FormatBool(*b)
	}
	return []correlatorSetting{
		{"CorrelationWindow", CtxCorrelationWindow, correlate.EnvWindow, strings.TrimSpace(p.CorrelationWindow)},
		{"ResourceWindow", CtxResourceWindow, correlate.EnvResourceWindow, strings.TrimSpace(p.ResourceWindow)},
		{"MinStages", CtxMinStages, correlate.EnvMinStages, num(p.MinStages)},
		{"MinConfidence", CtxMinConfidence, correlate.EnvMinConfidence, num(p.MinConfidence)},
		{"MaxAlertsPerIncident", CtxMaxAlertsPerIncident, correlate.EnvMaxAlertsPerIncident, num(p.MaxAlertsPerIncident)},
		{"NoisyKeyResources", CtxNoisyKeyResources, correlate.EnvNoisyKeyResources, num(p.NoisyKeyResources)},
		{"ReopenResolved", CtxReopenResolved, correlate.EnvReopenResolved, flag(p.ReopenResolved)},
		{"AutoResolve", CtxAutoResolve, correlate.EnvAutoResolve, flag(p.AutoResolve)},
	}
}

// correlatorEnv is the correlator's tuning environment.
func (p Props) correlatorEnv() map[string]string {
	env := map[string]string{}
	for _, s := range p.correlatorSettings() {
		if s.value != "" {
			env[s.env] = s.value
		}
	}
	return env
}

// validateCorrelator runs the correlator's own configuration reader
// (correlate.FromEnv, which parses and then calls correlate.Config.Validate)
// on each setting alone, so the error names the context key, and then on
// all of them together, exactly as the correlator will see them.
func (p Props) validateCorrelator() error {
	for _, s := range p.correlatorSettings() {
		if s.value == "" {
			continue
		}
		if _, err := correlate.FromEnv(oneVar(s.env, s.value)); err != nil {
			return fmt.Errorf("%w: %s (context %s): %w", ErrInvalidProps, s.field, s.key, err)
		}
	}
	env := p.correlatorEnv()
	if _, err := correlate.FromEnv(func(k string) string { return env[k] }); err != nil {
		if p.ResourceWindow != "" {
			// The one rule across settings: the resource window fits in
			// the correlation window.
			return fmt.Errorf("%w: ResourceWindow (context %s): %w", ErrInvalidProps, CtxResourceWindow, err)
		}
		return fmt.Errorf("%w: correlator settings: %w", ErrInvalidProps, err)
	}
	return nil
}

// oneVar is a getenv holding one variable.
func oneVar(name, value string) func(string) string {
	return func(k string) string {
		if k == name {
			return value
		}
		return ""
	}
}

// Context keys, one per setting; docs/deploy.md documents each.
const (
	CtxStackName              = "stackName"
	CtxAssetRoot              = "assetRoot"
	CtxTableName              = "tableName"
	CtxBusName                = "busName"
	CtxAlertRetentionDays     = "alertRetentionDays"
	CtxDeletionProtection     = "deletionProtection"
	CtxLogRetentionDays       = "logRetentionDays"
	CtxTracing                = "tracing"
	CtxArchitecture           = "architecture"
	CtxAPIStageName           = "apiStageName"
	CtxAPIThrottleRate        = "apiThrottleRate"
	CtxAPIThrottleBurst       = "apiThrottleBurst"
	CtxCORSOrigins            = "corsOrigins"
	CtxAPICloudWatchRole      = "apiCloudWatchRole"
	CtxPublicURL              = "publicUrl"
	CtxArchive                = "archive"
	CtxArchiveRetentionDays   = "archiveRetentionDays"
	CtxAlarmEmail             = "alarmEmail"
	CtxIteratorAgeAlarm       = "iteratorAgeAlarmSeconds"
	CtxAuthParamName          = "authParamName"
	CtxAuthParamKMSKeyARN     = "authParamKmsKeyArn"
	CtxPlaybooks              = "playbooks"
	CtxQuarantineSG           = "quarantineSecurityGroupId"
	CtxChatWebhookURL         = "chatWebhookUrl"
	CtxChatConnectionSecret   = "chatConnectionSecretArn"
	CtxChatAuthHeader         = "chatAuthHeader"
	CtxPlaybookReportSecret   = "playbookReportSecretArn"
	CtxSlackParamName         = "slackParamName"
	CtxSlackChannelID         = "slackChannelId"
	CtxWriteBackSources       = "writeBackSources"
	CtxAlertmanagerURL        = "alertmanagerUrl"
	CtxCorrelationWindow      = "correlationWindow"
	CtxResourceWindow         = "resourceWindow"
	CtxMinStages              = "minStages"
	CtxMinConfidence          = "minConfidence"
	CtxMaxAlertsPerIncident   = "maxAlertsPerIncident"
	CtxNoisyKeyResources      = "noisyKeyResources"
	CtxReopenResolved         = "reopenResolved"
	CtxAutoResolve            = "autoResolve"
	ctxFunctionMemorySuffix   = "MemoryMb"            // e.g. ingestMemoryMb
	ctxFunctionTimeoutSuffix  = "TimeoutSeconds"      // e.g. correlatorTimeoutSeconds
	ctxFunctionReservedSuffix = "ReservedConcurrency" // e.g. queryReservedConcurrency
)

// FromContext builds Props from CDK context values. get returns the raw
// value of a key (nil when unset): strings from `cdk -c key=value`, or JSON
// values from cdk.json. The result still needs Defaults and Validate.
func FromContext(get func(key string) any) (Props, error) {
	var p Props
	r := &contextReader{get: get}
	str, num, boolean := r.str, r.num, r.boolean
	str(CtxStackName, &p.StackName)
	str(CtxAssetRoot, &p.AssetRoot)
	str(CtxTableName, &p.TableName)
	str(CtxBusName, &p.BusName)
	num(CtxAlertRetentionDays, &p.AlertRetentionDays)
	boolean(CtxDeletionProtection, &p.DeletionProtection)
	num(CtxLogRetentionDays, &p.LogRetentionDays)
	var tracing *bool
	boolean(CtxTracing, &tracing)
	p.Tracing = tracing != nil && *tracing
	str(CtxArchitecture, &p.Architecture)
	str(CtxAPIStageName, &p.APIStageName)
	if v := get(CtxAPIThrottleRate); v != nil {
		f, err := strconv.ParseFloat(strings.TrimSpace(fmt.Sprint(v)), 64)
		if err != nil {
			r.errs = append(r.errs, fmt.Errorf("%w: context %s: not a number", ErrInvalidProps, CtxAPIThrottleRate))
		}
		p.APIThrottleRate = f
	}
	num(CtxAPIThrottleBurst, &p.APIThrottleBurst)
	if v := get(CtxCORSOrigins); v != nil {
		switch o := v.(type) {
		case []any:
			for _, e := range o {
				p.CORSOrigins = append(p.CORSOrigins, fmt.Sprint(e))
			}
		default:
			for _, e := range strings.Split(fmt.Sprint(v), ",") {
				if e = strings.TrimSpace(e); e != "" {
					p.CORSOrigins = append(p.CORSOrigins, e)
				}
			}
		}
	}
	boolean(CtxAPICloudWatchRole, &p.APICloudWatchRole)
	str(CtxPublicURL, &p.PublicURL)
	str(CtxAlertmanagerURL, &p.AlertmanagerURL)
	boolean(CtxArchive, &p.Archive)
	num(CtxArchiveRetentionDays, &p.ArchiveRetentionDays)
	str(CtxAlarmEmail, &p.AlarmEmail)
	num(CtxIteratorAgeAlarm, &p.IteratorAgeAlarmSeconds)
	str(CtxAuthParamName, &p.AuthParamName)
	str(CtxAuthParamKMSKeyARN, &p.AuthParamKMSKeyARN)
	if v := get(CtxPlaybooks); v != nil {
		if s, ok := v.(string); ok {
			p.Playbooks = s
		} else if b, err := json.Marshal(v); err == nil {
			p.Playbooks = string(b)
		}
	}
	str(CtxQuarantineSG, &p.QuarantineSecurityGroupID)
	str(CtxChatWebhookURL, &p.ChatWebhookURL)
	str(CtxChatConnectionSecret, &p.ChatConnectionSecretARN)
	str(CtxChatAuthHeader, &p.ChatAuthHeader)
	str(CtxPlaybookReportSecret, &p.PlaybookReportSecretARN)
	str(CtxSlackParamName, &p.SlackParamName)
	str(CtxSlackChannelID, &p.SlackChannelID)
	if v := get(CtxWriteBackSources); v != nil {
		list := fmt.Sprint(v)
		if l, ok := v.([]any); ok {
			parts := make([]string, len(l))
			for i, e := range l {
				parts[i] = fmt.Sprint(e)
			}
			list = strings.Join(parts, ",")
		}
		sources, err := writeback.ParseSources(list)
		if err != nil {
			r.errs = append(r.errs, fmt.Errorf("%w: context %s: %w", ErrInvalidProps, CtxWriteBackSources, err))
		}
		p.WriteBackSources = sources
	}
	str(CtxCorrelationWindow, &p.CorrelationWindow)
	str(CtxResourceWindow, &p.ResourceWindow)
	num(CtxMinStages, &p.MinStages)
	num(CtxMinConfidence, &p.MinConfidence)
	num(CtxMaxAlertsPerIncident, &p.MaxAlertsPerIncident)
	num(CtxNoisyKeyResources, &p.NoisyKeyResources)
	boolean(CtxReopenResolved, &p.ReopenResolved)
	boolean(CtxAutoResolve, &p.AutoResolve)
	for _, name := range append(slices.Clone(FunctionNames), OptionalFunctions...) {
		var s FunctionSettings
		num(name+ctxFunctionMemorySuffix, &s.MemoryMB)
		num(name+ctxFunctionTimeoutSuffix, &s.TimeoutSeconds)
		num(name+ctxFunctionReservedSuffix, &s.ReservedConcurrency)
		if s != (FunctionSettings{}) {
			if p.Functions == nil {
				p.Functions = map[string]FunctionSettings{}
			}
			p.Functions[name] = s
		}
	}
	return p, errors.Join(r.errs...)
}

// contextReader reads typed context values, collecting what does not
// parse.
type contextReader struct {
	get  func(key string) any
	errs []error
}

func (r *contextReader) str(key string, dst *string) {
	if v := r.get(key); v != nil {
		*dst = fmt.Sprint(v)
	}
}

func (r *contextReader) num(key string, dst *int) {
	v := r.get(key)
	if v == nil {
		return
	}
	if f, ok := v.(float64); ok && f == float64(int(f)) {
		// A JSON number from cdk.json (fmt.Sprint would print 1000000 as
		// 1e+06).
		*dst = int(f)
		return
	}
	n, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(v)))
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%w: context %s: %q is not an integer", ErrInvalidProps, key, fmt.Sprint(v)))
		return
	}
	*dst = n
}

func (r *contextReader) boolean(key string, dst **bool) {
	v := r.get(key)
	if v == nil {
		return
	}
	b, err := strconv.ParseBool(strings.TrimSpace(fmt.Sprint(v)))
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%w: context %s: %q is not a boolean", ErrInvalidProps, key, fmt.Sprint(v)))
		return
	}
	*dst = &b
}

func ptr[T any](v T) *T { return &v }

// functionNames are the functions the stack deploys: FunctionNames, notify
// with a Slack channel, writeback with write-back sources.
func (p Props) functionNames() []string {
	names := slices.Clone(FunctionNames)
	if p.SlackChannelID != "" {
		names = append(names, Notify)
	}
	if len(p.WriteBackSources) > 0 {
		names = append(names, WriteBack)
	}
	return names
}

// writesBack reports whether write-back is enabled for source.
func (p Props) writesBack(source string) bool { return slices.Contains(p.WriteBackSources, source) }
