package streampoller

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"
)

// claimSuffix marks a dead-letter file a redrive has taken over:
// <consumer>.jsonl.redrive-<unix nanos>.
const claimSuffix = ".redrive-"

// AppendDeadLetters appends entries to the JSONL file at path. It holds an
// exclusive lock on the file while writing, and writes to the file that is
// at path once it holds the lock, so a concurrent ClaimDeadLetters (a
// redrive in another process) never takes a file that is still being
// written to, nor misses a line.
func AppendDeadLetters(path string, entries []DeadLetter) error {
	if len(entries) == 0 {
		return nil
	}
	var buf []byte
	for _, e := range entries {
		b, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode dead letter: %w", err)
		}
		buf = append(append(buf, b...), '\n')
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create dead-letter dir: %w", err)
	}
	f, err := openLocked(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY)
	if err != nil {
		return fmt.Errorf("open dead-letter file: %w", err)
	}
	defer f.Close() // closing releases the lock
	if _, err := f.Write(buf); err != nil {
		return fmt.Errorf("write dead letter: %w", err)
	}
	return nil
}

// openLocked opens path and takes an exclusive lock on it, retrying when
// the file was renamed away (claimed) between the open and the lock.
func openLocked(path string, flag int) (*os.File, error) {
	for {
		f, err := os.OpenFile(path, flag, 0o644)
		if err != nil {
			return nil, err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		held, err1 := f.Stat()
		now, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(held, now) {
			return f, nil
		}
		f.Close()
		if err2 != nil && !errors.Is(err2, os.ErrNotExist) {
			return nil, err2
		}
		if flag&os.O_CREATE == 0 && errors.Is(err2, os.ErrNotExist) {
			return nil, err2
		}
	}
}

// ClaimDeadLetters takes the dead-letter file at path over for a redrive:
// it renames it (under the lock AppendDeadLetters takes) to
// path.redrive-<unix nanos>, so records dead-lettered from then on go to a
// new file. It returns every claimed file, oldest first, including those an
// earlier redrive claimed and did not finish; none when there is nothing.
func ClaimDeadLetters(path string, now time.Time) ([]string, error) {
	f, err := openLocked(path, os.O_RDONLY)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("claim %s: %w", path, err)
	default:
		claimed := path + claimSuffix + strconv.FormatInt(now.UnixNano(), 10)
		err := os.Rename(path, claimed)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("claim %s: %w", path, err)
		}
	}
	files, err := filepath.Glob(path + claimSuffix + "*")
	if err != nil {
		return nil, err
	}
	sort.Strings(files) // same-width nanosecond stamps sort by time
	return files, nil
}

// ReadDeadLetters reads a dead-letter file.
func ReadDeadLetters(path string) ([]DeadLetter, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []DeadLetter
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var d DeadLetter
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			return out, fmt.Errorf("%s line %d: %w", path, line, err)
		}
		out = append(out, d)
	}
	return out, sc.Err()
}

// CountDeadLetters returns the number of records parked at path and in the
// files a redrive claimed and did not finish.
func CountDeadLetters(path string) int {
	files, _ := filepath.Glob(path + claimSuffix + "*")
	n := 0
	for _, p := range append(files, path) {
		d, _ := ReadDeadLetters(p)
		n += len(d)
	}
	return n
}
