//go:build unix

package procgroup

import "syscall"

// Cred is the account a command runs as.
type Cred = syscall.Credential
