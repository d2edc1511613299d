package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// configFS is where a config's files are read from: the disk, or a stored
// revision.
type configFS interface {
	ReadFile(path string) ([]byte, error)
	Glob(pattern string) ([]string, error)
}

type osFS struct{}

func (osFS) ReadFile(path string) ([]byte, error) { return ReadStable(path) }
func (osFS) Glob(p string) ([]string, error)      { return filepath.Glob(p) }

// mapFS serves the files of a stored revision, keyed relative to dir.
type mapFS struct {
	dir   string
	files map[string][]byte
}

func (m mapFS) ReadFile(path string) ([]byte, error) {
	rel, err := filepath.Rel(m.dir, path)
	if err != nil {
		return nil, err
	}
	b, ok := m.files[rel]
	if !ok {
		return nil, fmt.Errorf("%s: not in the stored revision", rel)
	}
	return b, nil
}

func (m mapFS) Glob(pattern string) ([]string, error) {
	if _, err := filepath.Match(pattern, ""); err != nil {
		return nil, err
	}
	var out []string
	for rel := range m.files {
		p := filepath.Join(m.dir, rel)
		if ok, _ := filepath.Match(pattern, p); ok {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out, nil
}

func hasMeta(p string) bool { return strings.ContainsAny(p, `*?[\`) }

// stableWait is how long a file must stay unchanged to count as written.
const stableWait = 50 * time.Millisecond

// ReadStable reads path until two reads a moment apart agree (and its size
// and modification time did not move in between) and, on Linux, no process
// holds it open for writing, so a file that an editor or scp is still
// writing is not taken half-written, even when the writer pauses between
// pieces for longer than any quiet period. It gives up after a few seconds
// of constant change or of a writer holding the file open.
func ReadStable(path string) ([]byte, error) {
	prev, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for i := 0; i < 60; i++ {
		before, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		time.Sleep(stableWait)
		cur, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		after, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		if bytes.Equal(prev, cur) && before.Size() == after.Size() && before.ModTime().Equal(after.ModTime()) && int64(len(cur)) == after.Size() && !openForWriting(path) {
			// A writer that wrote its last piece and closed between the
			// read and the writer check is no longer writing, but what was
			// read is not its file: the file must still be what was read.
			if last, err := os.Stat(path); err == nil && last.Size() == after.Size() && last.ModTime().Equal(after.ModTime()) {
				return cur, nil
			}
		}
		prev = cur
	}
	return nil, fmt.Errorf("%s: still changing or open for writing after %s; not loaded", path, 60*stableWait)
}
