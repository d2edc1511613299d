package procgroup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

var osGetpid = os.Getpid

// procStat is what hookrunner reads from /proc/<pid>/stat.
type procStat struct {
	state      byte
	pgrp       int
	session    int
	startTicks uint64
}

// readStat parses /proc/<pid>/stat. The command name (field 2) may hold
// spaces and parentheses, so fields are counted from the last ')'.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	return parseStat(string(b))
}

func parseStat(s string) (procStat, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, errors.New("malformed /proc stat")
	}
	// After ") ": field 3 (state) is f[0], field 5 (pgrp) f[2], field 6
	// (session) f[3], field 22 (starttime) f[19].
	f := strings.Fields(s[i+1:])
	if len(f) < 20 || len(f[0]) != 1 {
		return procStat{}, errors.New("malformed /proc stat")
	}
	pgrp, err := strconv.Atoi(f[2])
	if err != nil {
		return procStat{}, fmt.Errorf("/proc stat pgrp: %w", err)
	}
	session, err := strconv.Atoi(f[3])
	if err != nil {
		return procStat{}, fmt.Errorf("/proc stat session: %w", err)
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return procStat{}, fmt.Errorf("/proc stat starttime: %w", err)
	}
	return procStat{state: f[0][0], pgrp: pgrp, session: session, startTicks: start}, nil
}

func (s procStat) dead() bool { return s.state == 'Z' || s.state == 'X' || s.state == 'x' }

var bootIDOnce = sync.OnceValue(func() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
})

func identify(pid int) (Group, error) {
	st, err := readStat(pid)
	if err != nil {
		return Group{PGID: pid}, err
	}
	return Group{PGID: pid, StartTicks: st.startTicks, BootID: bootIDOnce()}, nil
}

func processAlive(pg Group) bool {
	if !pg.Identified() || pg.BootID != bootIDOnce() {
		return false
	}
	st, err := readStat(pg.PGID)
	return err == nil && !st.dead() && st.startTicks == pg.StartTicks
}

var ownerMarker = sync.OnceValue(func() string {
	self, err := identify(osGetpid())
	if err != nil || !self.Identified() {
		return ""
	}
	sid, err := unix.Getsid(0)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%s=%s:%d:%d:%d:%s", OwnerVar, self.BootID, self.PGID, self.StartTicks, sid, workScope())
})

// workScope names the working directory (a hash: a path may hold ':'), so
// only a hookrunner started where the dead one ran (systemd's
// WorkingDirectory, the container's workdir: where its relative store
// path points) takes its orphans; another instance on the host, or a test
// beside it, leaves them to it.
var workScope = sync.OnceValue(func() string {
	wd, err := os.Getwd()
	if err != nil {
		return "-"
	}
	sum := sha256.Sum256([]byte(wd))
	return hex.EncodeToString(sum[:8])
})

func ownerEnv() string { return ownerMarker() }

// owner is a process's OwnerVar, parsed.
type owner struct {
	Group
	session int
	scope   string
}

// ownerOf reads OwnerVar from a process's initial environment
// (/proc/<pid>/environ: NUL-separated, readable for our own user's
// processes).
func ownerOf(environ []byte) (owner, bool) {
	key := []byte(OwnerVar + "=")
	for _, kv := range bytes.Split(environ, []byte{0}) {
		if !bytes.HasPrefix(kv, key) {
			continue
		}
		f := strings.Split(string(kv[len(key):]), ":")
		if len(f) != 5 {
			return owner{}, false
		}
		pid, err1 := strconv.Atoi(f[1])
		ticks, err2 := strconv.ParseUint(f[2], 10, 64)
		sid, err3 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil || err3 != nil {
			return owner{}, false
		}
		o := owner{Group: Group{PGID: pid, StartTicks: ticks, BootID: f[0]}, session: sid, scope: f[4]}
		return o, o.Identified()
	}
	return owner{}, false
}

// orphanGroups lists the groups KillOrphans kills, each with the earliest
// start time among its marked members (its leader's, when the leader
// lives).
func orphanGroups(self Group) (map[int]uint64, error) {
	all, err := pids()
	if err != nil {
		return nil, err
	}
	boot := bootIDOnce()
	alive := map[Group]bool{}
	groups := map[int]uint64{}
	for _, pid := range all {
		if pid == self.PGID {
			continue
		}
		env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
		if err != nil {
			continue // gone, or another user's
		}
		o, ok := ownerOf(env)
		if !ok || o.BootID != boot || o.Group == self || o.scope != workScope() {
			continue
		}
		st, err := readStat(pid)
		if err != nil || st.dead() {
			continue
		}
		// In its hookrunner's session, in a group of its own making
		// (not the session's or hookrunner's group).
		if st.session != o.session || st.pgrp == o.session || st.pgrp == o.PGID {
			continue
		}
		live, seen := alive[o.Group]
		if !seen {
			live = processAlive(o.Group)
			alive[o.Group] = live
		}
		if live {
			continue
		}
		if t, ok := groups[st.pgrp]; !ok || st.startTicks < t {
			groups[st.pgrp] = st.startTicks
		}
	}
	return groups, nil
}

func killOrphans(ctx context.Context, self Group) (int, error) {
	groups, err := orphanGroups(self)
	if err != nil {
		return 0, fmt.Errorf("scan /proc for orphaned action processes: %w", err)
	}
	killed := 0
	for pgid, start := range groups {
		k, err := killStaleGroup(ctx, Group{PGID: pgid, StartTicks: start, BootID: bootIDOnce()})
		if err != nil {
			return killed, err
		}
		if k {
			killed++
		}
	}
	return killed, nil
}

// pids lists the processes in /proc.
func pids() ([]int, error) {
	d, err := os.Open("/proc")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	out := make([]int, 0, len(names))
	for _, n := range names {
		if pid, err := strconv.Atoi(n); err == nil {
			out = append(out, pid)
		}
	}
	return out, nil
}

// groupMembers lists the live processes whose process group is pgid.
func groupMembers(pgid int) ([]procStat, error) {
	all, err := pids()
	if err != nil {
		return nil, err
	}
	var out []procStat
	for _, pid := range all {
		st, err := readStat(pid)
		if err != nil || st.pgrp != pgid || st.dead() {
			continue
		}
		out = append(out, st)
	}
	return out, nil
}

func killStaleGroup(ctx context.Context, pg Group) (bool, error) {
	if !pg.Identified() || pg.BootID != bootIDOnce() {
		return false, nil // another boot: that group died with the machine
	}
	if leader, err := readStat(pg.PGID); err == nil && !leader.dead() {
		if leader.startTicks != pg.StartTicks {
			// The pid was reused, so the recorded group is gone.
			return false, nil
		}
	} else {
		members, err := groupMembers(pg.PGID)
		if err != nil {
			return false, fmt.Errorf("scan /proc for group %d: %w", pg.PGID, err)
		}
		if len(members) == 0 {
			return false, nil
		}
		for _, m := range members {
			if m.startTicks < pg.StartTicks {
				return false, nil // older than the recorded leader: not that group
			}
		}
	}
	if err := syscall.Kill(-pg.PGID, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return false, fmt.Errorf("kill process group %d: %w", pg.PGID, err)
	}
	t := time.NewTicker(groupWaitTick)
	defer t.Stop()
	for {
		members, err := groupMembers(pg.PGID)
		if err != nil {
			return true, fmt.Errorf("scan /proc for group %d: %w", pg.PGID, err)
		}
		if len(members) == 0 {
			return true, nil
		}
		select {
		case <-ctx.Done():
			return true, fmt.Errorf("process group %d still has %d live member(s) after SIGKILL: %w", pg.PGID, len(members), ctx.Err())
		case <-t.C:
		}
	}
}

// Start starts cmd as the leader of a new process group that gets
// SIGKILL when hookrunner dies (Pdeathsig).
//
// The kernel sends the parent-death signal when the *thread* that forked
// the child exits, not the process (golang/go#27505), and the Go runtime
// ends a thread when a goroutine locked to it returns without unlocking.
// So the calling goroutine is locked to its thread from the fork until the
// returned unlock is called, which the caller does only after the leader
// has been reaped: no other goroutine can end that thread meanwhile.
func Start(cmd *exec.Cmd, cred *Cred) (unlock func(), err error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred, Pdeathsig: syscall.SIGKILL}
	runtime.LockOSThread()
	if err := cmd.Start(); err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	return runtime.UnlockOSThread, nil
}

// WaitExited blocks until process pid has exited without reaping it, so
// its pid (and the group id) stays reserved while the rest of its group is
// killed.
func WaitExited(pid int) bool {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err == nil {
			return true
		}
		if !errors.Is(err, syscall.EINTR) {
			return false
		}
	}
}

// Kill sends sig to every process of the group pgid.
func Kill(pgid int, sig syscall.Signal) { _ = syscall.Kill(-pgid, sig) }

// CanWaitExited reports whether WaitExited can wait for the leader without
// reaping it.
const CanWaitExited = true
