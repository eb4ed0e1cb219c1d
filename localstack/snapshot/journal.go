package snapshot

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/events"
)

// JournalFile is the journal's name inside the state directory.
const JournalFile = "journal.jsonl"

// Journal is the list of API requests that changed something since the
// last snapshot, one API Gateway request JSON a line. Credentials are not
// kept: Append drops the Authorization header and the webhook signature
// headers, and a replay authenticates with the local token.
type Journal struct {
	mu   sync.Mutex
	path string
	n    int
}

// OpenJournal opens (or starts) the journal at path.
func OpenJournal(path string) (*Journal, error) {
	reqs, err := ReadJournal(path)
	if err != nil {
		return nil, err
	}
	return &Journal{path: path, n: len(reqs)}, nil
}

// credentials are the headers a journal never keeps (lower case).
var credentials = map[string]bool{"authorization": true, "x-muster-signature": true, "x-muster-timestamp": true}

// Mutates reports whether a request may change state (anything but GET,
// HEAD and OPTIONS).
func Mutates(req events.APIGatewayProxyRequest) bool {
	switch strings.ToUpper(req.HTTPMethod) {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// Append adds req, without its credentials.
func (j *Journal) Append(req events.APIGatewayProxyRequest) error {
	req.Headers = strip(req.Headers)
	req.MultiValueHeaders = stripMulti(req.MultiValueHeaders)
	b, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("encode journal entry: %w", err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	f, err := os.OpenFile(j.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("open journal: %w", err)
	}
	defer f.Close()
	if _, err := f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write journal: %w", err)
	}
	j.n++
	return nil
}

// Len is the number of requests in the journal.
func (j *Journal) Len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.n
}

// Reset empties the journal (its requests are in a snapshot now).
func (j *Journal) Reset() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := os.Remove(j.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	j.n = 0
	return nil
}

// ReadJournal reads the requests of the journal at path; none when there
// is no journal. A last line cut short by a crash is left out.
func ReadJournal(path string) ([]events.APIGatewayProxyRequest, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []events.APIGatewayProxyRequest
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for sc.Scan() {
		var req events.APIGatewayProxyRequest
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			break // a torn last line: its request never got an answer
		}
		out = append(out, req)
	}
	return out, sc.Err()
}

func strip(h map[string]string) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		if !credentials[strings.ToLower(k)] {
			out[k] = v
		}
	}
	return out
}

func stripMulti(h map[string][]string) map[string][]string {
	out := make(map[string][]string, len(h))
	for k, v := range h {
		if !credentials[strings.ToLower(k)] {
			out[k] = v
		}
	}
	return out
}
