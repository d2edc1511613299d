package procgroup

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestTargets: which groups an attempt signals whole and which of its
// processes one by one. Session 100 (its leader's group too), hookrunner's
// group 200, the action's leader 300.
func TestTargets(t *testing.T) {
	const sid, self, leader = 100, 200, 300
	ours := func(pid, pgrp int) sessionProc { return sessionProc{pid: pid, pgrp: pgrp, start: 1, mark: markOurs} }
	other := func(pid, pgrp int) sessionProc { return sessionProc{pid: pid, pgrp: pgrp, start: 1, mark: markOther} }
	none := func(pid, pgrp int) sessionProc { return sessionProc{pid: pid, pgrp: pgrp, start: 1, mark: markNone} }
	for _, c := range []struct {
		name            string
		procs           []sessionProc
		groups, singles []int // pgids, pids
		n               int
	}{
		{"nothing left", nil, nil, nil, 0},
		{"the leader's group, its members marked or not, counted and signalled by id", []sessionProc{ours(301, leader), none(302, leader)}, nil, nil, 2},
		{"timeout's group: leader and child carry the key", []sessionProc{ours(400, 400), ours(401, 400)}, []int{400}, nil, 2},
		{"leader gone, a member cleared its environment (env -i)", []sessionProc{ours(401, 400), none(402, 400)}, []int{400}, nil, 2},
		{"live leader carries the key, a child does not", []sessionProc{ours(400, 400), none(402, 400)}, []int{400}, nil, 2},
		{"joined a group whose live leader is not ours", []sessionProc{none(500, 500), ours(501, 500)}, nil, []int{501}, 1},
		{"a group shared with another attempt", []sessionProc{ours(600, 600), other(601, 600)}, nil, []int{600}, 1},
		{"leader gone, a member older than the attempt", []sessionProc{ours(650, 640), {pid: 641, pgrp: 640, mark: markOlder}}, nil, []int{650}, 1},
		{"another attempt's group alone", []sessionProc{other(700, 700), other(701, 700)}, nil, nil, 0},
		{"unmarked processes of the session", []sessionProc{none(800, 800), none(100, sid)}, nil, nil, 0},
		{"in hookrunner's group", []sessionProc{ours(201, self)}, nil, []int{201}, 1},
		{"in the session leader's group", []sessionProc{ours(101, sid)}, nil, []int{101}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			groups, singles, n := targets(c.procs, leader, sid, self)
			var gs, ss []int
			for _, g := range groups {
				gs = append(gs, g.pgrp)
				if g.mark != markOurs {
					t.Errorf("group %d vouched for by a process without the key", g.pgrp)
				}
			}
			for _, s := range singles {
				ss = append(ss, s.pid)
			}
			sort.Ints(gs)
			sort.Ints(ss)
			if fmt.Sprint(gs) != fmt.Sprint(c.groups) || fmt.Sprint(ss) != fmt.Sprint(c.singles) || n != c.n {
				t.Fatalf("groups %v singles %v n %d; want %v %v %d", gs, ss, n, c.groups, c.singles, c.n)
			}
		})
	}
}

func TestParseStatBytes(t *testing.T) {
	for _, s := range []string{
		"1234 (sleep) S 1 1234 1234 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 987654 8192 100 18446744073709551615\n",
		"77 (a) b) (c) R 1 70 60 34816 77 4194304 1 2 3 4 5 6 7 8 20 0 1 0 42 1 2 3 4\n",
		"9 (x) Z 1 9 9 0 -1 0 0 0 0 0 0 0 0 0 0 0 1 0 5",
	} {
		want, err := parseStat(s)
		got, ok := parseStatBytes([]byte(s))
		if err != nil || !ok || got != want {
			t.Errorf("%q: %+v %v, want %+v %v", s, got, ok, want, err)
		}
	}
	for _, s := range []string{"", "1 (x", "1 (x) S 1 2", "1 (x) SS 1 2 3 0 -1 0 0 0 0 0 0 0 0 0 0 0 1 0 5", "1 (x) S 1 a 3 0 -1 0 0 0 0 0 0 0 0 0 0 0 1 0 5"} {
		if st, ok := parseStatBytes([]byte(s)); ok {
			t.Errorf("%q parsed as %+v", s, st)
		}
	}
}

// startKeyed starts a sleep in a group of its own (or a session of its
// own) carrying AttemptVar=key.
func startKeyed(t testing.TB, key string, setsid bool) int {
	t.Helper()
	c := exec.Command("/bin/sleep", "300")
	c.Env = append(os.Environ(), AttemptVar+"="+key)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: !setsid, Setsid: setsid}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait() })
	return c.Process.Pid
}

// TestAttemptKill: the attempt's processes in groups of their own are
// killed; another attempt's, and its own detached with setsid, are not.
func TestAttemptKill(t *testing.T) {
	a, err := NewAttempt()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewAttempt()
	ownGroup := startKeyed(t, a.key, false)
	detached := startKeyed(t, a.key, true)
	others := startKeyed(t, b.key, false)
	if n, err := a.count(); err != nil || n != 1 {
		t.Fatalf("count = %d, %v; want 1", n, err)
	}
	if err := a.Kill(context.Background()); err != nil {
		t.Fatal(err)
	}
	if alive(ownGroup) {
		t.Error("the attempt's process in its own group survived Kill")
	}
	if !alive(detached) || !alive(others) {
		t.Errorf("Kill reached beyond the attempt: detached alive %v, other attempt's alive %v", alive(detached), alive(others))
	}
}

func alive(pid int) bool {
	st, err := readStat(pid)
	return err == nil && !st.dead()
}

// BenchmarkAttemptScan is the cost at the end of every action run: one
// scan of /proc that finds nothing, with 100 more processes on the host:
// outside hookrunner's session (they cost a stat read once, then nothing),
// or in it as other runs' processes, started before the leader (a stat
// read each) or after it (a stat and an environ read each).
func BenchmarkAttemptScan(b *testing.B) {
	for _, bc := range []struct {
		name          string
		setsid, newer bool
	}{{"100 outside the session", true, false}, {"100 in the session, older", false, false}, {"100 in the session, newer", false, true}} {
		b.Run(bc.name, func(b *testing.B) {
			var pids []int
			for range 100 {
				pids = append(pids, startKeyed(b, "other", bc.setsid))
			}
			a, err := NewAttempt()
			if err != nil {
				b.Fatal(err)
			}
			a.since = ^uint64(0)
			if bc.newer {
				a.since = 0
			}
			for b.Loop() {
				if n, err := a.count(); err != nil || n != 0 {
					b.Fatal(n, err)
				}
			}
			all, _ := listProc(must(procDir()), make([]byte, 16<<10))
			b.ReportMetric(float64(len(all)), "procs")
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// BenchmarkProcStat is one stat read, the unit of the scan's cost.
func BenchmarkProcStat(b *testing.B) {
	dir, err := procDir()
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 16<<10)
	pid := os.Getpid()
	for b.Loop() {
		if _, ok := statAt(dir, pid, buf); !ok {
			b.Fatal("stat")
		}
	}
}

// TestNoneSince: the quick answer at a run's end is "nothing left" only
// when neither the leader's group nor a process carrying the key is alive
// among the pids handed out since the leader; another attempt's process
// does not count.
func TestNoneSince(t *testing.T) {
	ss, err := session()
	if err != nil {
		t.Fatal(err)
	}
	a, _ := NewAttempt()
	b, _ := NewAttempt()
	forks0, ok := forkCount()
	if !ok {
		t.Fatal("no fork count in /proc/stat")
	}
	leaderCmd := exec.Command("/bin/sleep", "300")
	leaderCmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := leaderCmd.Start(); err != nil {
		t.Fatal(err)
	}
	leader := leaderCmd.Process.Pid
	t.Cleanup(func() { _ = leaderCmd.Process.Kill(); _ = leaderCmd.Wait() })
	others := startKeyed(t, b.key, false)
	inRange := func() bool {
		raw, err := os.ReadFile("/proc/sys/kernel/ns_last_pid")
		if err != nil {
			return false
		}
		last, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
		return last >= leader && last-leader <= maxQuickRange
	}
	if noneSince(a.key, leader, ss[0], forks0) {
		t.Fatal("the leader is alive, yet nothing was found")
	}
	_ = leaderCmd.Process.Kill()
	_ = leaderCmd.Wait()
	escaped := startKeyed(t, a.key, false) // in a group of its own, with the key
	if noneSince(a.key, leader, ss[0], forks0) {
		t.Fatal("a process of the attempt in a group of its own is alive, yet nothing was found")
	}
	_ = syscall.Kill(escaped, syscall.SIGKILL)
	for alive(escaped) {
		runtime.Gosched()
	}
	if !inRange() {
		t.Skip("more pids were handed out meanwhile than the quick check reads")
	}
	if !noneSince(a.key, leader, ss[0], forks0) {
		t.Fatalf("nothing of the attempt is alive (another attempt's %d is), yet the quick check found something", others)
	}
	// More forks since the attempt began than the range holds: the pids may
	// have wrapped, and a process of the attempt may sit below the leader.
	if noneSince(a.key, leader, ss[0], forks0-2*maxQuickRange) {
		t.Fatal("the quick check answered although the pids may have wrapped")
	}
	if noneSince(a.key, leader, ss[0], 0) {
		t.Fatal("the quick check answered without a fork count")
	}
}
