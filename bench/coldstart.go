package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Functions are the Lambda functions Muster deploys.
var Functions = []string{"ingest", "correlator", "query", "responder"}

// ColdStart is the size and start-up time of one function's bootstrap.
type ColdStart struct {
	Function string `json:"function"`
	// SizeBytes is the linux/arm64 bootstrap built as `make build` builds it
	// (the deployed artefact).
	SizeBytes int64 `json:"sizeBytes"`
	// HostArch is the architecture the timing binary was built for (the
	// same flags, this machine's architecture, so it can run here).
	HostArch      string    `json:"hostArch"`
	HostSizeBytes int64     `json:"hostSizeBytes"`
	Runs          int       `json:"runs"`
	MedianMs      float64   `json:"medianMs"`
	MinMs         float64   `json:"minMs"`
	MaxMs         float64   `json:"maxMs"`
	SamplesMs     []float64 `json:"samplesMs"`
	Failures      int       `json:"failures"`
	Error         string    `json:"error,omitempty"`
}

// buildFunctions builds every ./functions/<f> for goarch into dir/<goarch>/
// with the flags of `make build`, in one go invocation, and returns each
// binary's path.
func buildFunctions(ctx context.Context, root, goarch, dir string) (map[string]string, error) {
	out := filepath.Join(dir, goarch)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	args := []string{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out + "/"}
	for _, f := range Functions {
		args = append(args, "./functions/"+f)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build functions for %s: %w: %s", goarch, err, tail(string(b), 1000))
	}
	bins := map[string]string{}
	for _, f := range Functions {
		bins[f] = filepath.Join(out, f)
	}
	return bins, nil
}

func size(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// runtimeAPI is a minimal Lambda Runtime API: it records when a function
// first asks for an invocation and holds the request open.
type runtimeAPI struct {
	addr   string
	srv    *http.Server
	polled chan struct{}
	errs   chan string
}

func startRuntimeAPI() (*runtimeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	api := &runtimeAPI{addr: ln.Addr().String(), polled: make(chan struct{}, 16), errs: make(chan string, 16)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		api.polled <- struct{}{}
		<-r.Context().Done() // hold the poll open until the process is stopped
	})
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 512)
		n, _ := r.Body.Read(b)
		api.errs <- string(b[:n])
		w.WriteHeader(http.StatusAccepted)
	})
	api.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = api.srv.Serve(ln) }()
	return api, nil
}

func (a *runtimeAPI) Close() { _ = a.srv.Close() }

// MeasureColdStart builds every function and times `runs` starts of each
// against a minimal Runtime API, with env set as the functions need it
// (endpoint: a running moto for any start-up calls).
func MeasureColdStart(ctx context.Context, root string, runs int, endpoint string) []ColdStart {
	dir, err := os.MkdirTemp("", "muster-coldstart-")
	if err != nil {
		return []ColdStart{{Error: err.Error()}}
	}
	defer os.RemoveAll(dir)
	api, err := startRuntimeAPI()
	if err != nil {
		return []ColdStart{{Error: err.Error()}}
	}
	defer api.Close()
	env := []string{
		"AWS_LAMBDA_RUNTIME_API=" + api.addr,
		"AWS_LAMBDA_FUNCTION_NAME=muster-bench", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST", "_HANDLER=bootstrap",
		"MUSTER_TABLE=muster", "MUSTER_BUS=muster", "MUSTER_DEV_TOKEN=" + benchToken,
		"AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1", "AWS_ENDPOINT_URL=" + endpoint,
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "PATH=" + os.Getenv("PATH"), "HOME=" + dir,
	}
	arm, err := buildFunctions(ctx, root, "arm64", dir)
	if err != nil {
		return []ColdStart{{Error: err.Error()}}
	}
	host := arm
	if runtime.GOARCH != "arm64" {
		if host, err = buildFunctions(ctx, root, runtime.GOARCH, dir); err != nil {
			return []ColdStart{{Error: err.Error()}}
		}
	}
	var out []ColdStart
	for _, f := range Functions {
		c := ColdStart{Function: f, HostArch: runtime.GOARCH, Runs: runs, SizeBytes: size(arm[f]), HostSizeBytes: size(host[f])}
		for i := 0; i < runs; i++ {
			ms, err := startOnce(ctx, api, host[f], env)
			if err != nil {
				c.Failures++
				c.Error = err.Error()
				continue
			}
			c.SamplesMs = append(c.SamplesMs, ms)
		}
		if len(c.SamplesMs) > 0 {
			s := append([]float64(nil), c.SamplesMs...)
			sort.Float64s(s)
			c.MedianMs, c.MinMs, c.MaxMs = median(s), s[0], s[len(s)-1]
		}
		out = append(out, c)
	}
	return out
}

func startOnce(ctx context.Context, api *runtimeAPI, bin string, env []string) (float64, error) {
	// Drain stale signals.
	for len(api.polled) > 0 {
		<-api.polled
	}
	cmd := exec.Command(bin)
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
		}
	}()
	select {
	case <-api.polled:
		return float64(time.Since(start).Microseconds()) / 1000, nil
	case e := <-api.errs:
		return 0, fmt.Errorf("init error: %.300s", e)
	case err := <-exited:
		exited <- err
		return 0, fmt.Errorf("exited before polling: %v: %.300s", err, stderr.String())
	case <-time.After(20 * time.Second):
		return 0, errors.New("no poll within 20s")
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}
