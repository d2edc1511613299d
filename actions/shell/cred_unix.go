//go:build unix

package shell

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"

	"github.com/hookrunner/hookrunner/internal/procgroup"
)

// credential resolves user/group for running a command as another
// account, which only root may do.
func credential(userName, groupName string) (*procgroup.Cred, string, error) {
	if os.Geteuid() != 0 {
		return nil, "", errors.New("user/group: allowed only when hookrunner runs as root (it is running as uid " + strconv.Itoa(os.Geteuid()) + ")")
	}
	cred := &procgroup.Cred{Uid: uint32(os.Getuid()), Gid: uint32(os.Getgid()), Groups: []uint32{}}
	home := ""
	if userName != "" {
		u, err := user.Lookup(userName)
		if err != nil {
			return nil, "", fmt.Errorf("user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred.Uid, cred.Gid, home = uint32(uid), uint32(gid), u.HomeDir
	}
	if groupName != "" {
		g, err := user.LookupGroup(groupName)
		if err != nil {
			return nil, "", fmt.Errorf("group: %w", err)
		}
		gid, _ := strconv.Atoi(g.Gid)
		cred.Gid = uint32(gid)
	}
	return cred, home, nil
}
