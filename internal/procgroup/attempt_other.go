//go:build !linux

package procgroup

import "syscall"

// Without /proc the attempt's processes cannot be found by their key:
// only the leader's group is signalled, as before.

func (a *Attempt) signal(sig syscall.Signal) (int, error) {
	if a.leader > 0 {
		Kill(a.leader, sig)
	}
	return 0, nil
}

func (a *Attempt) count() (int, error) { return 0, nil }

func forkCount() (uint64, bool) { return 0, false }
