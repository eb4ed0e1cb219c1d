// Command infra is Muster's CDK app: it reads the stack settings from CDK
// context (cdk.json, `-c key=value`, see docs/deploy.md) and synthesises the
// stack. `cd infra && CDK_OUTDIR=../cdk.out go run .` (make synth) works
// offline and without the CDK CLI, and then reads the "context" object of
// cdk.json itself; `npx aws-cdk deploy` runs it through cdk.json and passes
// the context it merged (cdk.json, cdk.context.json, -c).
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/muster-sec/muster/infra/stack"
)

func main() {
	defer jsii.Close()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "muster infra:", err)
		os.Exit(1)
	}
}

func run() error {
	app, err := newApp(os.Getenv, ".")
	if err != nil {
		return err
	}
	get := func(key string) any { return app.Node().TryGetContext(jsii.String(key)) }
	props, err := stack.FromContext(get)
	if err != nil {
		return err
	}
	if props.AssetRoot == "" {
		root, err := assetRoot()
		if err != nil {
			return err
		}
		props.AssetRoot = root
	}
	props.Account = os.Getenv("CDK_DEFAULT_ACCOUNT")
	props.Region = os.Getenv("CDK_DEFAULT_REGION")
	s, err := stack.New(app, "Muster", props)
	if err != nil {
		return err
	}
	// `-c nag=true` runs the cdk-nag packs at synth time too (the tests
	// always do and fail on any unsuppressed finding).
	if v := get("nag"); v != nil && fmt.Sprint(v) == "true" {
		awscdk.Aspects_Of(s.Stack).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
		awscdk.Aspects_Of(s.Stack).Add(cdknag.NewServerlessChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	}
	app.Synth(nil)
	return nil
}

// assetRoot finds make build's dist/ directory: the repository root is the
// nearest ancestor of the working directory holding go.mod, so this works
// from infra/ (go run ., cdk deploy) and from the repository root alike.
func assetRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "dist"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the repository root (go.mod) above the working directory; set context assetRoot")
		}
		dir = parent
	}
}

// Environment variables through which the CDK CLI hands the app its merged
// context (the second names a file, used when the context is large).
const (
	envCLIContext         = "CDK_CONTEXT_JSON"
	envCLIContextOverflow = "CONTEXT_OVERFLOW_LOCATION_ENV"
)

// newApp creates the CDK app. Under the CDK CLI the context arrives from
// the CLI; without it (make synth runs `go run .`) the app takes the
// "context" object of dir/cdk.json, as the CLI would have.
func newApp(getenv func(string) string, dir string) (awscdk.App, error) {
	ctx, err := fileContext(getenv, dir)
	if err != nil {
		return nil, err
	}
	if ctx == nil {
		return awscdk.NewApp(nil), nil
	}
	return awscdk.NewApp(&awscdk.AppProps{Context: &ctx}), nil
}

// fileContext returns the "context" object of dir/cdk.json when the CDK CLI
// did not provide the context; nil when it did or when there is no
// cdk.json.
func fileContext(getenv func(string) string, dir string) (map[string]any, error) {
	if getenv(envCLIContext) != "" || getenv(envCLIContextOverflow) != "" {
		return nil, nil
	}
	path := filepath.Join(dir, "cdk.json")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var doc struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if doc.Context == nil {
		return nil, nil
	}
	return doc.Context, nil
}
