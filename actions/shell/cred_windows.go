package shell

import (
	"errors"

	"github.com/hookrunner/hookrunner/internal/procgroup"
)

func credential(userName, groupName string) (*procgroup.Cred, string, error) {
	return nil, "", errors.New("user/group: not supported on Windows")
}
