package shell

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/hookrunner/hookrunner/actions"
)

var _ actions.Checker = (*Shell)(nil)

// Check implements actions.Checker: does the program exist and can it be
// executed, does dir exist. The rules (README, "validate"):
//
//   - a program given by path that is a directory, or a file without an
//     execute bit: error;
//   - a program given by path that is missing from a folder that exists:
//     error (a typo, or a script not shipped beside hooks.yaml);
//   - a program given by path whose folder does not exist (yet): warning,
//     a deploy may create it;
//   - a bare program name not found in PATH: warning (the service's PATH
//     may differ from the one validate runs with);
//   - dir missing: warning (a deploy may create it); dir not a folder:
//     error.
//
// user and group are looked up when the action is built (an error).
func (s *Shell) Check() []actions.Finding {
	var out []actions.Finding
	add := func(path, msg string, warn bool) {
		out = append(out, actions.Finding{Path: path, Msg: msg, Warning: warn})
	}
	prog := s.cfg.Command[0]
	switch {
	case !filepath.IsAbs(prog) && filepath.Base(prog) == prog:
		if _, err := exec.LookPath(prog); err != nil {
			add("command[0]", prog+": not found in PATH here; a run fails (exit 127, not retried) unless it is in the service's PATH", true)
		}
	default:
		fi, err := os.Stat(prog)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			folder := filepath.Dir(prog)
			if _, derr := os.Stat(folder); derr != nil {
				add("command[0]", prog+": its folder "+folder+" does not exist (yet); a run fails, not retried, until it does", true)
			} else {
				add("command[0]", prog+": no such file", false)
			}
		case err != nil:
			add("command[0]", prog+": "+err.Error(), false)
		case fi.IsDir():
			add("command[0]", prog+": is a directory, not a program", false)
		case runtime.GOOS != "windows" && fi.Mode().Perm()&0o111 == 0:
			add("command[0]", prog+": not executable (chmod +x "+prog+")", false)
		}
	}
	fi, err := os.Stat(s.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		add("dir", s.dir+": does not exist (yet); a run fails, not retried, until it does", true)
	case err != nil:
		add("dir", s.dir+": "+err.Error(), false)
	case !fi.IsDir():
		add("dir", s.dir+": not a directory", false)
	}
	return out
}
