package procgroup

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// deadOwner is the identity of a process that has exited: a hookrunner
// killed before it could record its action's group.
func deadOwner(t *testing.T) Group {
	t.Helper()
	c := exec.Command("/bin/true")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	g, err := identify(c.Process.Pid) // a zombie until reaped: still readable
	if err != nil || !g.Identified() {
		t.Fatalf("identify: %v %+v", err, g)
	}
	_ = c.Wait()
	return g
}

// startMarked starts sh with a background sleep, as an action would be
// started (its own group in our session) or detached (setsid), carrying
// the variable of owner in the working directory scope; it returns the
// group id.
func startMarked(t *testing.T, owner Group, scope string, setsid bool) int {
	t.Helper()
	sid, err := unix.Getsid(0)
	if err != nil {
		t.Fatal(err)
	}
	c := exec.Command("/bin/sh", "-c", "sleep 300 & echo started; wait")
	c.Env = append(os.Environ(), fmt.Sprintf("%s=%s:%d:%d:%d:%s", OwnerVar, owner.BootID, owner.PGID, owner.StartTicks, sid, scope))
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: !setsid, Setsid: setsid}
	out, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := c.Process.Pid
	t.Cleanup(func() { _ = syscall.Kill(-pgid, syscall.SIGKILL); _ = c.Wait() })
	// "started" is echoed after the background sleep is forked: wait for
	// the sleep to be in the group too.
	buf := make([]byte, 8)
	if _, err := out.Read(buf); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, _ := groupMembers(pgid)
		if len(m) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("group %d has %d members", pgid, len(m))
		}
		time.Sleep(5 * time.Millisecond)
	}
	return pgid
}

// TestKillOrphans: a group whose processes carry the variable of a dead
// hookrunner is killed, whole, without any record of it; the groups of a
// live hookrunner, of one that ran in another working directory, and a
// daemon detached with setsid are left alone.
func TestKillOrphans(t *testing.T) {
	if bootIDOnce() == "" {
		t.Skip("no /proc boot id")
	}
	self := Self()
	live := exec.Command("/bin/sleep", "300")
	if err := live.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = live.Process.Kill(); _ = live.Wait() }()
	liveOwner, err := identify(live.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	dead := deadOwner(t)

	here := workScope()
	orphan := startMarked(t, dead, here, false)
	ofLive := startMarked(t, liveOwner, here, false)
	detached := startMarked(t, dead, here, true)
	elsewhere := startMarked(t, dead, "0123456789abcdef", false)

	n, err := KillOrphans(context.Background(), self)
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := groupMembers(orphan); len(m) != 0 {
		t.Fatalf("the dead owner's group %d still has %d live members", orphan, len(m))
	}
	if n < 1 {
		t.Fatalf("KillOrphans reported %d groups killed", n)
	}
	for name, pgid := range map[string]int{"a live owner's group": ofLive, "a detached (setsid) daemon": detached,
		"the group of a hookrunner that ran in another directory": elsewhere} {
		if m, _ := groupMembers(pgid); len(m) < 2 {
			t.Errorf("%s (%d) was killed: %d members left", name, pgid, len(m))
		}
	}
}

func TestOwnerOf(t *testing.T) {
	for _, c := range []struct {
		env  string
		want bool
	}{
		{"A=1\x00HOOKRUNNER_OWNER=b-1:12:34:5:ab\x00Z=2\x00", true},
		{"HOOKRUNNER_OWNER=b-1:12:34:5:ab", true},
		{"HOOKRUNNER_OWNER=b-1:12:34:5", false},
		{"HOOKRUNNER_OWNER=b-1:x:34:5:ab", false},
		{"HOOKRUNNER_OWNER=:12:34:5:ab", false},
		{"XHOOKRUNNER_OWNER=b-1:12:34:5:ab", false},
		{"", false},
	} {
		o, ok := ownerOf([]byte(c.env))
		if ok != c.want {
			t.Errorf("%q: ok %v, want %v", c.env, ok, c.want)
		}
		if ok && (o.PGID != 12 || o.StartTicks != 34 || o.BootID != "b-1" || o.session != 5 || o.scope != "ab") {
			t.Errorf("%q: %+v", c.env, o)
		}
	}
	if m := OwnerEnv(); !strings.HasPrefix(m, OwnerVar+"=") {
		t.Errorf("OwnerEnv %q", m)
	}
}
