package moto

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
)

// siteCustomize replaces moto's whole-table copies in TransactWriteItems
// with an undo log of the items a transaction names (see the file).
//
//go:embed sitecustomize.py
var siteCustomize []byte

// Command returns moto_server listening on host:port, in its own process
// group, killed with its parent, with the transaction patch on its
// PYTHONPATH. env is added to this process's environment.
func Command(host string, port int, env ...string) (*exec.Cmd, error) {
	path, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, ErrNotInstalled
	}
	dir, err := patchDir()
	if err != nil {
		return nil, err
	}
	pythonPath := dir
	if prev := os.Getenv("PYTHONPATH"); prev != "" {
		pythonPath += string(os.PathListSeparator) + prev
	}
	cmd := exec.Command(path, "-H", host, "-p", strconv.Itoa(port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Env = append(append(os.Environ(), env...), "PYTHONPATH="+pythonPath)
	return cmd, nil
}

// patchDir writes sitecustomize.py into a directory of the user's cache
// named for its content, once, and returns the directory. Python runs the
// file, so it is kept where only the user writes: the user's cache, or a
// new private temporary directory when there is none.
func patchDir() (string, error) {
	sum := sha256.Sum256(siteCustomize)
	name := "moto-" + hex.EncodeToString(sum[:6])
	var dir string
	if cache, err := os.UserCacheDir(); err == nil {
		dir = filepath.Join(cache, "muster", name)
	} else if dir, err = os.MkdirTemp("", "muster-"+name+"-"); err != nil {
		return "", fmt.Errorf("write moto's transaction patch: %w", err)
	}
	file := filepath.Join(dir, "sitecustomize.py")
	if b, err := os.ReadFile(file); err == nil && string(b) == string(siteCustomize) {
		return dir, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("write moto's transaction patch: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "sitecustomize-*.tmp")
	if err != nil {
		return "", fmt.Errorf("write moto's transaction patch: %w", err)
	}
	_, werr := tmp.Write(siteCustomize)
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), file)
	}
	if werr != nil {
		_ = os.Remove(tmp.Name())
		return "", fmt.Errorf("write moto's transaction patch: %w", werr)
	}
	return dir, nil
}
