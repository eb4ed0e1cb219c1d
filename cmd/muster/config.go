package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Environment variables the command reads.
const (
	envURL   = "MUSTER_URL"
	envToken = "MUSTER_TOKEN"
)

// config is ~/.config/muster/config.json.
type config struct {
	URL   string `json:"url"`
	Token string `json:"token"`
}

// configPath is $XDG_CONFIG_HOME/muster/config.json, else
// $HOME/.config/muster/config.json.
func configPath(getenv func(string) string) string {
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" {
		dir = filepath.Join(getenv("HOME"), ".config")
	}
	return filepath.Join(dir, "muster", "config.json")
}

// loadConfig reads the config file, then lets MUSTER_URL and MUSTER_TOKEN
// override it. A missing file is no error; a token in a file others can
// read earns a warning on stderr.
func loadConfig(getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	path := configPath(getenv)
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return c, usagef("read %s: %v", path, err)
	default:
		if err := json.Unmarshal(b, &c); err != nil {
			return c, usagef("%s is not JSON of the form {\"url\": \"...\", \"token\": \"...\"}", path)
		}
		if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 && c.Token != "" {
			fmt.Fprintf(stderr, "muster: warning: %s holds a token and is readable by others (chmod 600 it)\n", path)
		}
	}
	if v := getenv(envURL); v != "" {
		c.URL = v
	}
	if v := getenv(envToken); v != "" {
		c.Token = v
	}
	return c, nil
}
