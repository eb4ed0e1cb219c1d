package handler_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/smithy-go/logging"
)

// fakeAWS stands in for Security Hub's BatchUpdateFindings and
// GuardDuty's ArchiveFindings/UnarchiveFindings, which moto lacks. It
// checks every request against the APIs' shapes — operation from method
// and path, a SigV4 signature for the right service, required members,
// list sizes, Note.Text at most 512 characters, enum values — and records
// the valid ones.
type fakeAWS struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	updates  []shUpdate
	archives []gdCall
	// calls maps an SDK invocation id (the same on every attempt of one
	// call) to its index in updates or archives: a call the SDK retries
	// after a lost answer is recorded once, as the handler made it once.
	calls map[string]int
	// unprocessed maps a finding id to the error codes returned for it on
	// successive calls (then it is processed).
	unprocessed map[string][]string
	// failWith, when set, answers every call with this status and error
	// type.
	failStatus int
	failType   string
}

type shIdentifier struct {
	ID         string `json:"Id"`
	ProductArn string `json:"ProductArn"`
}

type shUpdate struct {
	FindingIdentifiers []shIdentifier `json:"FindingIdentifiers"`
	Workflow           *struct {
		Status string `json:"Status"`
	} `json:"Workflow"`
	Note *struct {
		Text      string `json:"Text"`
		UpdatedBy string `json:"UpdatedBy"`
	} `json:"Note"`
}

type gdCall struct {
	Op         string
	Detector   string
	FindingIDs []string `json:"findingIds"`
}

var gdPath = regexp.MustCompile(`^/detector/([^/]+)/findings/(archive|unarchive)$`)

func newFakeAWS(t *testing.T) *fakeAWS {
	t.Helper()
	f := &fakeAWS{t: t, unprocessed: map[string][]string{}, calls: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAWS) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch m := gdPath.FindStringSubmatch(r.URL.Path); {
	case r.Method == http.MethodPatch && r.URL.Path == "/findings/batchupdate":
		f.batchUpdate(w, r)
	case r.Method == http.MethodPost && m != nil:
		f.archive(w, r, m[1], m[2])
	default:
		f.refuse(w, "unknown operation %s %s", r.Method, r.URL.Path)
	}
}

// refuse fails the test and answers as the API does for invalid input.
func (f *fakeAWS) refuse(w http.ResponseWriter, format string, args ...any) {
	f.t.Errorf("fake AWS: "+format, args...)
	w.Header().Set("X-Amzn-Errortype", "InvalidInputException")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write([]byte(`{"message":"invalid request"}`))
}

func (f *fakeAWS) failing(w http.ResponseWriter) bool {
	if f.failStatus == 0 {
		return false
	}
	w.Header().Set("X-Amzn-Errortype", f.failType)
	w.WriteHeader(f.failStatus)
	_, _ = w.Write([]byte(`{"message":"injected failure"}`))
	return true
}

func signedFor(r *http.Request, service string) bool {
	a := r.Header.Get("Authorization")
	return strings.HasPrefix(a, "AWS4-HMAC-SHA256 ") && strings.Contains(a, "/"+service+"/aws4_request")
}

var workflowStatuses = []string{"NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"}

func (f *fakeAWS) batchUpdate(w http.ResponseWriter, r *http.Request) {
	var in shUpdate
	switch err := json.NewDecoder(r.Body).Decode(&in); {
	case !signedFor(r, "securityhub"):
		f.refuse(w, "BatchUpdateFindings not signed for securityhub: %q", r.Header.Get("Authorization"))
		return
	case err != nil:
		f.refuse(w, "BatchUpdateFindings body: %v", err)
		return
	case len(in.FindingIdentifiers) == 0 || len(in.FindingIdentifiers) > 100:
		f.refuse(w, "BatchUpdateFindings with %d FindingIdentifiers (want 1–100)", len(in.FindingIdentifiers))
		return
	case in.Workflow == nil || !slices.Contains(workflowStatuses, in.Workflow.Status):
		f.refuse(w, "BatchUpdateFindings Workflow %+v", in.Workflow)
		return
	case in.Note != nil && (in.Note.Text == "" || len([]rune(in.Note.Text)) > 512 || in.Note.UpdatedBy == "" || len(in.Note.UpdatedBy) > 512):
		f.refuse(w, "BatchUpdateFindings Note %+v", in.Note)
		return
	}
	for _, id := range in.FindingIdentifiers {
		if id.ID == "" || id.ProductArn == "" || !strings.HasPrefix(id.ProductArn, "arn:aws:securityhub:") {
			f.refuse(w, "BatchUpdateFindings identifier %+v", id)
			return
		}
	}
	if f.failing(w) {
		return
	}
	f.updates = record(f.updates, in, f.calls, r)
	type unprocessed struct {
		FindingIdentifier shIdentifier
		ErrorCode         string
		ErrorMessage      string
	}
	out := struct {
		ProcessedFindings   []shIdentifier
		UnprocessedFindings []unprocessed
	}{ProcessedFindings: []shIdentifier{}, UnprocessedFindings: []unprocessed{}}
	for _, id := range in.FindingIdentifiers {
		if codes := f.unprocessed[id.ID]; len(codes) > 0 {
			f.unprocessed[id.ID] = codes[1:]
			out.UnprocessedFindings = append(out.UnprocessedFindings, unprocessed{id, codes[0], "injected"})
			continue
		}
		out.ProcessedFindings = append(out.ProcessedFindings, id)
	}
	_ = json.NewEncoder(w).Encode(out)
}

func (f *fakeAWS) archive(w http.ResponseWriter, r *http.Request, detector, op string) {
	var in gdCall
	switch err := json.NewDecoder(r.Body).Decode(&in); {
	case !signedFor(r, "guardduty"):
		f.refuse(w, "%s not signed for guardduty", op)
		return
	case err != nil:
		f.refuse(w, "%s body: %v", op, err)
		return
	case len(in.FindingIDs) == 0 || len(in.FindingIDs) > 50:
		f.refuse(w, "%s with %d findingIds (want 1–50)", op, len(in.FindingIDs))
		return
	case slices.Contains(in.FindingIDs, ""):
		f.refuse(w, "%s with an empty finding id", op)
		return
	}
	if f.failing(w) {
		return
	}
	in.Op, in.Detector = op, detector
	f.archives = record(f.archives, in, f.calls, r)
	_, _ = w.Write([]byte(`{}`))
}

// Retry settings of the fake's clients: noRetries lets injected failures
// reach the handler at once; sdkRetries is the SDK's standard retryer, as
// the function runs with, so a passing network error on a loaded machine
// is retried as it would be on AWS.
const (
	noRetries  = 1
	sdkRetries = 0
)

// record appends in to list, or replaces the attempt recorded before for
// the same SDK invocation.
func record[T any](list []T, in T, calls map[string]int, r *http.Request) []T {
	id := r.Header.Get("Amz-Sdk-Invocation-Id")
	if i, ok := calls[id]; ok && id != "" {
		list[i] = in
		return list
	}
	calls[id] = len(list)
	return append(list, in)
}

// clients returns real SDK clients pointed at the fake, making at most
// attempts attempts a call (the SDK's default when 0).
func (f *fakeAWS) clients(attempts int) (*securityhub.Client, *guardduty.Client) {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		RetryMaxAttempts: attempts, ClientLogMode: aws.LogRetries, Logger: logging.LoggerFunc(func(c logging.Classification, format string, v ...any) {
			f.t.Logf("sdk %s: "+format, append([]any{c}, v...)...)
		})}
	sh := securityhub.NewFromConfig(cfg, func(o *securityhub.Options) { o.BaseEndpoint = aws.String(f.srv.URL) })
	gd := guardduty.NewFromConfig(cfg, func(o *guardduty.Options) { o.BaseEndpoint = aws.String(f.srv.URL) })
	return sh, gd
}
