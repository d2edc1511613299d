package config

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// openForWriting reports whether some process holds path open for writing
// (an editor or scp between two pieces of a save). Linux refuses a read
// lease on a file that is open for writing anywhere, so taking one and
// giving it back at once answers the question without blocking anybody. A
// lease needs the file's owner (or CAP_LEASE) and a filesystem that grants
// them; when the question cannot be asked the answer is false, and the
// stable-content check alone decides.
func openForWriting(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	_, err = unix.FcntlInt(f.Fd(), unix.F_SETLEASE, unix.F_RDLCK)
	if err == nil {
		_, _ = unix.FcntlInt(f.Fd(), unix.F_SETLEASE, unix.F_UNLCK)
		return false
	}
	return errors.Is(err, unix.EAGAIN)
}
