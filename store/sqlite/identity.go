package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// statIdentity records which file path names when the store opens it.
func statIdentity(path string) (os.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	return fi, nil
}

// sameFile reports an error when path no longer names the database file
// that was opened: deleted (writes would go to an unlinked inode and be
// lost at the next start), replaced by another file, or its directory gone.
func sameFile(path string, opened os.FileInfo) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("database file %s was deleted while open: writes would be lost; restore it and restart", path)
	case err != nil:
		return fmt.Errorf("database file %s: %w", path, err)
	case !os.SameFile(fi, opened):
		return fmt.Errorf("database file %s was replaced by another file while open; restart to use it", path)
	}
	return nil
}
