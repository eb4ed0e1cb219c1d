package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/muster-sec/muster/infra/stack"
)

func TestMain(m *testing.M) {
	os.Setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// TestAssetRoot: the app finds make build's dist/ from infra/ (go run .,
// cdk deploy) and from any directory below the repository root.
func TestAssetRoot(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	repo := filepath.Dir(wd) // this test runs in infra/
	for _, dir := range []string{wd, repo, filepath.Join(wd, "stack")} {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Chdir(dir)
			got, err := assetRoot()
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(repo, "dist"); got != want {
				t.Errorf("assetRoot() = %s, want %s", got, want)
			}
		})
	}
	t.Run("outside a module", func(t *testing.T) {
		t.Chdir(t.TempDir())
		if _, err := assetRoot(); err == nil {
			t.Errorf("want an error outside the repository")
		}
	})
}

// TestFileContext: without the CDK CLI (make synth) the app takes the
// "context" object of cdk.json; under the CLI it takes only what the CLI
// passes.
func TestFileContext(t *testing.T) {
	noCLI := func(string) string { return "" }
	write := func(t *testing.T, body string) string {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "cdk.json"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	t.Run("this repository's cdk.json", func(t *testing.T) {
		ctx, err := fileContext(noCLI, ".")
		if err != nil {
			t.Fatal(err)
		}
		p, err := stack.FromContext(func(k string) any { return ctx[k] })
		if err != nil {
			t.Fatal(err)
		}
		p.AssetRoot = "/tmp/x"
		if p.TableName != "muster" || p.AlertRetentionDays != 90 || p.DeletionProtection == nil || !*p.DeletionProtection {
			t.Errorf("props from cdk.json: %+v", p)
		}
		if err := p.Defaults().Validate(); err != nil {
			t.Errorf("cdk.json does not validate: %v", err)
		}
	})
	t.Run("read without the CLI", func(t *testing.T) {
		ctx, err := fileContext(noCLI, write(t, `{"app":"go run .","context":{"tableName":"from-file","minStages":3}}`))
		if err != nil {
			t.Fatal(err)
		}
		if ctx["tableName"] != "from-file" || ctx["minStages"] != float64(3) {
			t.Errorf("context %v", ctx)
		}
	})
	t.Run("ignored under the CLI", func(t *testing.T) {
		dir := write(t, `{"context":{"tableName":"from-file"}}`)
		for _, env := range []string{envCLIContext, envCLIContextOverflow} {
			ctx, err := fileContext(func(k string) string {
				if k == env {
					return `{"tableName":"from-cli"}`
				}
				return ""
			}, dir)
			if err != nil || ctx != nil {
				t.Errorf("%s set: context %v, err %v; want none", env, ctx, err)
			}
		}
	})
	t.Run("no cdk.json", func(t *testing.T) {
		if ctx, err := fileContext(noCLI, t.TempDir()); err != nil || ctx != nil {
			t.Errorf("context %v, err %v", ctx, err)
		}
	})
	t.Run("malformed cdk.json", func(t *testing.T) {
		if _, err := fileContext(noCLI, write(t, `{"context":`)); err == nil || !strings.Contains(err.Error(), "cdk.json") {
			t.Errorf("err %v, want one naming cdk.json", err)
		}
	})
	t.Run("reaches the app", func(t *testing.T) {
		app, err := newApp(noCLI, write(t, `{"context":{"tableName":"from-file"}}`))
		if err != nil {
			t.Fatal(err)
		}
		if got := app.Node().TryGetContext(jsii.String("tableName")); got != "from-file" {
			t.Errorf("app context tableName = %v", got)
		}
	})
}
