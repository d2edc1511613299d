//go:build unix

package shell

import (
	"os"
	"os/user"
	"strconv"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/internal/procgroup"
)

// credential resolves user/group for running a command as another
// account, which only root may do. An unknown user or group is reported
// first, whoever runs hookrunner (validate on a workstation says so too).
func credential(userName, groupName string) (*procgroup.Cred, string, error) {
	var errs actions.ConfigErrors
	cred := &procgroup.Cred{Uid: uint32(os.Getuid()), Gid: uint32(os.Getgid()), Groups: []uint32{}}
	home := ""
	if userName != "" {
		if u, err := user.Lookup(userName); err != nil {
			errs.Add("user", "%v", err)
		} else {
			uid, _ := strconv.Atoi(u.Uid)
			gid, _ := strconv.Atoi(u.Gid)
			cred.Uid, cred.Gid, home = uint32(uid), uint32(gid), u.HomeDir
		}
	}
	if groupName != "" {
		if g, err := user.LookupGroup(groupName); err != nil {
			errs.Add("group", "%v", err)
		} else {
			gid, _ := strconv.Atoi(g.Gid)
			cred.Gid = uint32(gid)
		}
	}
	if len(errs) == 0 && os.Geteuid() != 0 {
		field := "user"
		if userName == "" {
			field = "group"
		}
		errs.Add(field, "allowed only when hookrunner runs as root (it is running as uid %d)", os.Geteuid())
	}
	if err := errs.Err(); err != nil {
		return nil, "", err
	}
	return cred, home, nil
}
