package procgroup

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// mark is what a process carries of AttemptVar.
type mark uint8

const (
	markNone  mark = iota // no key (or an environment hookrunner may not read)
	markOurs              // this attempt's key
	markOther             // another attempt's key
	markOlder             // started before the attempt's leader: not its (environment not read)
)

// sessionProc is a live process of hookrunner's session, as a scan saw it.
type sessionProc struct {
	pid, pgrp int
	start     uint64
	mark      mark
}

// session is hookrunner's session and process group; neither changes.
var session = sync.OnceValues(func() ([2]int, error) {
	sid, err := unix.Getsid(0)
	if err != nil {
		return [2]int{}, err
	}
	return [2]int{sid, syscall.Getpgrp()}, nil
})

// procDir is /proc, open for the life of hookrunner: each stat and
// environ is opened relative to it, without walking "/proc" again.
var procDir = sync.OnceValues(func() (int, error) {
	return unix.Open("/proc", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
})

// outside remembers the processes found outside hookrunner's session, by
// pid and the inode number of their /proc entry (which the listing gives
// for free): a process never joins a session it is not in (setsid only
// makes a new one), and a new process in a reused pid gets a new /proc
// inode, so only processes not seen before cost a stat read. The lock also
// serialises scans.
var outside struct {
	sync.Mutex
	ino map[int]uint64
}

// scanSession lists the live processes of hookrunner's session but
// itself, with what they carry of AttemptVar: one /proc listing, one stat
// read for each process of the session and each process not seen outside
// it before, and one environ read for each process of the session that
// started no earlier than since (the leader's start: nothing of the
// attempt is older). It runs at the end of every action run: see
// BenchmarkAttemptScan.
func scanSession(key string, since uint64) ([]sessionProc, error) {
	ss, err := session()
	if err != nil {
		return nil, err
	}
	dir, err := procDir()
	if err != nil {
		return nil, err
	}
	buf := scanBuf.Get().(*[]byte)
	defer scanBuf.Put(buf)
	outside.Lock()
	defer outside.Unlock()
	all, err := listProc(dir, *buf)
	if err != nil {
		return nil, err
	}
	self := osGetpid()
	seen := make(map[int]uint64, len(outside.ino))
	var out []sessionProc
	for _, e := range all {
		if e.pid == self {
			continue
		}
		if e.ino > 1 && outside.ino[e.pid] == e.ino {
			seen[e.pid] = e.ino
			continue
		}
		st, ok := statAt(dir, e.pid, *buf)
		if !ok {
			continue
		}
		if st.session != ss[0] {
			if e.ino > 1 { // 1: the kernel could not say
				seen[e.pid] = e.ino
			}
			continue
		}
		if st.dead() {
			continue
		}
		p := sessionProc{pid: e.pid, pgrp: st.pgrp, start: st.startTicks, mark: markOlder}
		if st.startTicks >= since {
			p.mark = markOf(dir, e.pid, key, *buf)
		}
		out = append(out, p)
	}
	outside.ino = seen
	return out, nil
}

// procEntry is a process in the /proc listing.
type procEntry struct {
	pid int
	ino uint64
}

// listProc lists /proc with the inode number of each process's entry
// (getdents; os.ReadDir does not give it).
func listProc(dir int, buf []byte) ([]procEntry, error) {
	fd, err := unix.Openat(dir, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	var out []procEntry
	for {
		n, err := unix.Getdents(fd, buf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			return out, nil
		}
		out = appendDirents(out, buf[:n])
	}
}

// appendDirents parses linux_dirent64 records (ino u64, off s64, reclen
// u16, type u8, name NUL-terminated), keeping the numeric names.
func appendDirents(out []procEntry, b []byte) []procEntry {
	for len(b) >= 19 {
		reclen := int(binary.NativeEndian.Uint16(b[16:18]))
		if reclen < 19 || reclen > len(b) {
			break
		}
		name := b[19:reclen]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		if pid, ok := atoi(name); ok && pid > 0 && name[0] != '-' {
			out = append(out, procEntry{pid: pid, ino: binary.NativeEndian.Uint64(b[0:8])})
		}
		b = b[reclen:]
	}
	return out
}

// scanBuf holds a stat or an environ; an environment larger than it is
// read whole by os.ReadFile.
var scanBuf = sync.Pool{New: func() any { b := make([]byte, 16<<10); return &b }}

// markOf reads AttemptVar in the initial environment of pid.
func markOf(dir, pid int, key string, buf []byte) mark {
	env, ok := readAt(dir, strconv.Itoa(pid)+"/environ", buf)
	if !ok {
		return markNone // gone, or another user's
	}
	if len(env) == len(buf) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
		if err != nil {
			return markNone
		}
		env = b
	}
	name := []byte(AttemptVar + "=")
	m := markNone
	for len(env) > 0 {
		kv := env
		if i := bytes.IndexByte(env, 0); i >= 0 {
			kv, env = env[:i], env[i+1:]
		} else {
			env = nil
		}
		if v, ok := bytes.CutPrefix(kv, name); ok {
			if string(v) == key {
				return markOurs
			}
			m = markOther
		}
	}
	return m
}

// readAt reads the file name under dir into buf (up to len(buf) bytes),
// without the allocations of os.ReadFile.
func readAt(dir int, name string, buf []byte) ([]byte, bool) {
	fd, err := unix.Openat(dir, name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, false
	}
	defer unix.Close(fd)
	n := 0
	for n < len(buf) {
		m, err := unix.Read(fd, buf[n:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, false
		}
		if m == 0 {
			break
		}
		n += m
	}
	return buf[:n], true
}

// statAt reads and parses /proc/<pid>/stat.
func statAt(dir, pid int, buf []byte) (procStat, bool) {
	b, ok := readAt(dir, strconv.Itoa(pid)+"/stat", buf[:1024])
	if !ok {
		return procStat{}, false
	}
	if len(b) == 1024 { // longer than any stat line seen: read it whole
		st, err := readStat(pid)
		return st, err == nil
	}
	return parseStatBytes(b)
}

// targets chooses what Signal signals among the session's processes: the
// groups it may signal whole, and the processes it must signal one by
// one. A group is the attempt's alone when it is neither hookrunner's nor
// the session leader's, none of its members carries another attempt's key
// or is older than the attempt, and its leader, if alive, carries this one's: `timeout`'s group, a `set
// -m` job. A process of the attempt in any other group (it joined a group
// not of its making) is signalled alone. The leader's group is signalled
// by id in any case. n is how many live processes that reaches.
func targets(procs []sessionProc, leader, sid, selfPgrp int) (groups, singles []sessionProc, n int) {
	byGroup := map[int][]sessionProc{}
	for _, p := range procs {
		if p.mark == markOurs || (leader > 0 && p.pgrp == leader) {
			byGroup[p.pgrp] = nil
		}
	}
	for _, p := range procs {
		if ms, ok := byGroup[p.pgrp]; ok {
			byGroup[p.pgrp] = append(ms, p)
		}
	}
	for pgrp, ms := range byGroup {
		if leader > 0 && pgrp == leader {
			n += len(ms)
			continue
		}
		whole := pgrp != sid && pgrp != selfPgrp
		for _, m := range ms {
			if m.mark == markOther || m.mark == markOlder || (m.pid == pgrp && m.mark != markOurs) {
				whole = false
			}
		}
		for _, m := range ms {
			switch {
			case whole:
				n++
			case m.mark == markOurs:
				n++
				singles = append(singles, m)
			}
		}
		if whole {
			for _, m := range ms {
				if m.mark == markOurs {
					groups = append(groups, m) // the member that vouches for the group
					break
				}
			}
		}
	}
	return groups, singles, n
}

func (a *Attempt) scan() (groups, singles []sessionProc, n int, err error) {
	ss, err := session()
	if err != nil {
		return nil, nil, 0, err
	}
	if a.leader > 0 && noneSince(a.key, a.leader, ss[0], a.forks) {
		return nil, nil, 0, nil
	}
	procs, err := scanSession(a.key, a.since)
	if err != nil {
		return nil, nil, 0, err
	}
	groups, singles, n = targets(procs, a.leader, ss[0], ss[1])
	return groups, singles, n, nil
}

func (a *Attempt) signal(sig syscall.Signal) (int, error) {
	if a.leader > 0 {
		Kill(a.leader, sig)
	}
	groups, singles, n, err := a.scan()
	if err != nil {
		return 0, err
	}
	// Each target is checked again just before its signal: the same
	// process (start time), still in the group that made it a target, so a
	// pid or group id freed and reused since the scan is never signalled.
	// A group id cannot be reused while the member vouching for it lives.
	for _, g := range groups {
		if still(g) {
			_ = syscall.Kill(-g.pgrp, sig)
		}
	}
	for _, p := range singles {
		if still(p) {
			_ = syscall.Kill(p.pid, sig)
		}
	}
	return n, nil
}

func (a *Attempt) count() (int, error) {
	_, _, n, err := a.scan()
	return n, err
}

func still(p sessionProc) bool {
	st, err := readStat(p.pid)
	return err == nil && !st.dead() && st.startTicks == p.start && st.pgrp == p.pgrp
}

// parseStatBytes is parseStat on bytes, without allocating.
func parseStatBytes(b []byte) (procStat, bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, false
	}
	rest := b[i+1:]
	var st procStat
	field := 2 // the command name ends field 2
	for field < 22 {
		for len(rest) > 0 && rest[0] == ' ' {
			rest = rest[1:]
		}
		if len(rest) == 0 {
			return procStat{}, false
		}
		f := rest
		if j := bytes.IndexAny(rest, " \n"); j >= 0 {
			f, rest = rest[:j], rest[j+1:]
		} else {
			rest = nil
		}
		field++
		var ok bool
		switch field {
		case 3:
			if len(f) != 1 {
				return procStat{}, false
			}
			st.state, ok = f[0], true
		case 5:
			st.pgrp, ok = atoi(f)
		case 6:
			st.session, ok = atoi(f)
		case 22:
			var u uint64
			u, ok = atou(f)
			st.startTicks = u
		default:
			ok = true
		}
		if !ok {
			return procStat{}, false
		}
	}
	return st, true
}

func atou(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	return u, true
}

func atoi(b []byte) (int, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	u, ok := atou(b)
	if !ok || u > 1<<31 {
		return 0, false
	}
	if neg {
		return -int(u), true
	}
	return int(u), true
}

// maxQuickRange is how many pids noneSince reads at most; past it the full
// scan is cheaper than a stat read a pid.
const maxQuickRange = 256

// noneSince answers, without listing /proc, the question most run ends
// ask: is nothing of the attempt alive? Every process of the attempt
// descends from its leader, so (pids being handed out in turn) its pid
// lies between the leader's and the last pid the kernel gave out
// (ns_last_pid). Two things break that, and each sends it to the full
// scan:
//   - the pids wrapped since the attempt began: the system's fork count
//     (/proc/stat "processes", read before the leader started) has grown
//     by more than the range could hold;
//   - a process of the attempt forked and exited while the range was
//     being read, its child past the range: ns_last_pid is read again
//     after each pass and the new pids are read too, until it stays put.
//
// When no live process in the range is in hookrunner's session and in
// the leader's group or carries the key, nothing of the attempt is alive,
// and the full scan would find nothing. It reports false (scan in full)
// whenever it cannot tell.
func noneSince(key string, leader, sid int, forks0 uint64) bool {
	if forks0 == 0 {
		return false
	}
	dir, err := procDir()
	if err != nil {
		return false
	}
	buf := scanBuf.Get().(*[]byte)
	defer scanBuf.Put(buf)
	from := leader
	for {
		last, ok := lastPid()
		if !ok || last < leader || last-leader > maxQuickRange {
			return false
		}
		if last < from {
			break // read it all, and no new pid since
		}
		for pid := from; pid <= last; pid++ {
			st, ok := statAt(dir, pid, *buf)
			if !ok || st.session != sid || st.dead() {
				continue // gone (or never was), elsewhere, or a zombie
			}
			if st.pgrp == leader || markOf(dir, pid, key, *buf) == markOurs {
				return false
			}
		}
		from = last + 1
	}
	forks, ok := forkCount()
	return ok && forks-forks0 <= maxQuickRange
}

// lastPid is the last pid the kernel handed out in hookrunner's pid
// namespace.
func lastPid() (int, bool) {
	b, err := os.ReadFile("/proc/sys/kernel/ns_last_pid")
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(string(bytes.TrimSpace(b)))
	return n, err == nil
}

// forkCount is how many processes and threads the system has created
// since boot (/proc/stat "processes"); 0, false when unknown.
func forkCount() (uint64, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	i := bytes.Index(b, []byte("\nprocesses "))
	if i < 0 {
		return 0, false
	}
	line := b[i+len("\nprocesses "):]
	if j := bytes.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	n, ok := atou(bytes.TrimSpace(line))
	return n, ok && n > 0
}
