// Package eventschema validates event details against the JSON Schemas
// (draft 2020-12) in events/schemas: one schema per detail type, named for
// it ("Incident Status Changed" → incident-status-changed.json), sharing
// definitions in common.json. Tests of the publishers use it; a consumer
// can use the same files with any 2020-12 validator.
package eventschema

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// FileName is the schema file of a detail type.
func FileName(detailType string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(detailType), " ", "-")) + ".json"
}

const baseURL = "https://github.com/muster-sec/muster/events/schemas/"

// Validator holds the compiled schemas.
type Validator struct {
	schemas map[string]*jsonschema.Schema // by file name
}

// Load compiles every schema in dir, asserting formats (date-time, uri).
func Load(dir string) (*Validator, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no schemas in %s: %v", dir, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read schema: %w", err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("parse schema %s: %w", f, err)
		}
		if err := c.AddResource(baseURL+filepath.Base(f), doc); err != nil {
			return nil, fmt.Errorf("add schema %s: %w", f, err)
		}
	}
	v := &Validator{schemas: map[string]*jsonschema.Schema{}}
	for _, f := range files {
		name := filepath.Base(f)
		s, err := c.Compile(baseURL + name)
		if err != nil {
			return nil, fmt.Errorf("compile schema %s: %w", name, err)
		}
		v.schemas[name] = s
	}
	return v, nil
}

// ErrNoSchema is returned for a detail type without a schema file.
var ErrNoSchema = errors.New("no schema for detail type")

// Validate checks a detail (JSON) of the given detail type.
func (v *Validator) Validate(detailType string, detail []byte) error {
	s, ok := v.schemas[FileName(detailType)]
	if !ok {
		return fmt.Errorf("%w %q", ErrNoSchema, detailType)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(detail))
	if err != nil {
		return fmt.Errorf("parse %s detail: %w", detailType, err)
	}
	if err := s.Validate(doc); err != nil {
		return fmt.Errorf("%s detail: %w", detailType, err)
	}
	return nil
}

// RepoDir returns the module root found by walking up from the working
// directory (tests run in their package directory).
func RepoDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// LoadRepo loads the schemas from events/schemas of the module.
func LoadRepo() (*Validator, error) {
	root, err := RepoDir()
	if err != nil {
		return nil, err
	}
	return Load(filepath.Join(root, "events", "schemas"))
}
