package listen

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// state is what --state keeps between runs: the cursor of the last event
// handled (forwarded and answered), for one server.
type state struct {
	Server string `json:"server"`
	Cursor int64  `json:"cursor"`
}

// DefaultStatePath is the state file of server under the user's config
// directory: <config dir>/hookrunner/listen-<hash of the server URL>.json.
func DefaultStatePath(server string) (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no user config directory (set --state): %w", err)
	}
	sum := sha256.Sum256([]byte(strings.TrimRight(server, "/")))
	return filepath.Join(dir, "hookrunner", "listen-"+hex.EncodeToString(sum[:6])+".json"), nil
}

// loadState reads the state file; ok is false when there is none yet.
func loadState(path, server string) (st state, ok bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return state{}, false, nil
	}
	if err != nil {
		return state{}, false, fmt.Errorf("read state: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return state{}, false, fmt.Errorf("state file %s is damaged (%v): remove it to start from now, or pass --since", path, err)
	}
	if st.Server != strings.TrimRight(server, "/") {
		return state{}, false, fmt.Errorf("state file %s belongs to server %s, not %s: pass another --state", path, st.Server, server)
	}
	return st, true, nil
}

// saveState writes the state atomically: a temporary file in the same
// directory, synced, then renamed over the old one. A crash leaves the
// old state or the new one, never half of either.
func saveState(path string, st state) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".listen-*.tmp")
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("save state: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // the rename itself durable
		_ = d.Close()
	}
	return nil
}
