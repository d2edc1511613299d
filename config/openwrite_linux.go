package config

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// openForWriting reports whether some process holds path open for writing
// (an editor or scp between two pieces of a save).
//
// Linux refuses a read lease on a file that is open for writing anywhere,
// so taking one and giving it back at once answers the question without
// blocking anybody. A lease needs the file's owner or CAP_LEASE, and a
// filesystem that grants them: the documented systemd setup (hooks.yaml
// owned by root, the service running as its own user) cannot take one.
// Then the answer comes from inotify, which reports every writer's
// modifications and closes whatever its user: a file modified since its
// last close-after-write is still being written. The watch on its
// directory is set up by the first read of a file (the load at start), so
// only a write already under way at that first read goes unseen, and the
// stable-content check alone decides it.
func openForWriting(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	_, err = leaseCheck(f)
	switch {
	case err == nil:
		writes.watch(path) // for the day the lease stops answering
		return false
	case errors.Is(err, unix.EAGAIN):
		return true
	}
	return writes.writing(path)
}

// leaseCheck takes a read lease on f and gives it back; a variable so a
// test can stand in for a process that may not take one.
var leaseCheck = func(f *os.File) (int, error) {
	n, err := unix.FcntlInt(f.Fd(), unix.F_SETLEASE, unix.F_RDLCK)
	if err == nil {
		_, _ = unix.FcntlInt(f.Fd(), unix.F_SETLEASE, unix.F_UNLCK)
	}
	return n, err
}

// writes follows, through one inotify instance, which files of the watched
// directories are being written: modified (IN_MODIFY, which a truncating
// open also sends) and not yet closed after writing (IN_CLOSE_WRITE).
var writes writeTracker

type writeTracker struct {
	mu     sync.Mutex
	fd     int // -1 when inotify is not available
	dirs   map[string]bool
	byWD   map[int32]string
	open   map[string]time.Time // path → last modified, not closed since
	inited bool
}

// watch makes sure path's directory is watched, and reports whether it
// already was (so the tracker has seen its writes since).
func (t *writeTracker) watch(path string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.watchLocked(path)
}

func (t *writeTracker) watchLocked(path string) bool {
	if !t.inited {
		t.inited = true
		t.dirs, t.byWD, t.open = map[string]bool{}, map[int32]string{}, map[string]time.Time{}
		fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
		if err != nil {
			fd = -1
		}
		t.fd = fd
	}
	if t.fd < 0 {
		return false
	}
	abs, ok := trackedPath(path)
	if !ok {
		return false
	}
	dir := filepath.Dir(abs)
	if t.dirs[dir] {
		return true
	}
	wd, err := unix.InotifyAddWatch(t.fd, dir, unix.IN_MODIFY|unix.IN_CLOSE_WRITE|unix.IN_MOVED_FROM|unix.IN_MOVED_TO|unix.IN_CREATE|unix.IN_DELETE)
	if err != nil {
		return false
	}
	t.dirs[dir], t.byWD[int32(wd)] = true, dir
	return false
}

// writing reports whether path was modified and not closed since, as far
// as the tracker has seen; false when it could not watch it until now.
func (t *writeTracker) writing(path string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.watchLocked(path) {
		return false
	}
	t.drainLocked()
	abs, _ := trackedPath(path)
	at, ok := t.open[abs]
	if ok && time.Since(at) > staleWrite {
		delete(t.open, abs) // truncate(2) by path, or a close the tracker missed
		return false
	}
	return ok
}

// staleWrite is how long after its last modification a file no close was
// seen for still counts as being written: a truncate(2) by path, or a
// writer whose close came under another name, clears by itself.
var staleWrite = 30 * time.Second

// trackedPath is the file path is (links followed, as inotify names the
// file that changes), absolute.
func trackedPath(path string) (string, bool) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", false
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	return abs, true
}

// drainLocked reads the events queued since the last call (the fd does not
// block) into open.
func (t *writeTracker) drainLocked() {
	var buf [16 << 10]byte
	for {
		n, err := unix.Read(t.fd, buf[:])
		if n <= 0 || err != nil {
			return
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			nameBytes := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
			off += unix.SizeofInotifyEvent + int(ev.Len)
			if ev.Mask&unix.IN_Q_OVERFLOW != 0 {
				// Events were lost: what is open is unknown; the
				// stable-content check decides until the next writes.
				clear(t.open)
				continue
			}
			dir, ok := t.byWD[ev.Wd]
			if !ok {
				continue
			}
			name := string(nameBytes)
			for len(name) > 0 && name[len(name)-1] == 0 {
				name = name[:len(name)-1]
			}
			p := filepath.Join(dir, name)
			switch {
			case ev.Mask&(unix.IN_CLOSE_WRITE|unix.IN_MOVED_FROM|unix.IN_MOVED_TO|unix.IN_CREATE|unix.IN_DELETE) != 0:
				// Closed, or another file under this name now (renamed
				// over, away, created, deleted): a writer of the old one
				// no longer writes this one.
				delete(t.open, p)
			case ev.Mask&unix.IN_MODIFY != 0:
				t.open[p] = time.Now()
			}
		}
	}
}
