// Package shell is the `shell` action: run a command (an argv list, no
// shell) with a clean environment in its own process group. The argv guard
// (argvguard*.go) refuses at load every templated element a program would
// read as code.
package shell

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/expression"
	"github.com/hookrunner/hookrunner/internal/procgroup"
)

// ShellConfig is the YAML of a shell action. There is no shell: command is
// an argv list, each entry a template rendered to exactly one argument.
type ShellConfig struct {
	// Command[0] is the program: a bare name (git) is looked up in PATH;
	// a relative path (./deploy.sh) is relative to hooks.yaml's folder,
	// resolved by the config loader (path tags), as Dir is.
	Command []string          `koanf:"command" json:"command" path:"program"`
	Dir     string            `koanf:"dir" json:"dir,omitempty" path:"file"`
	Env     map[string]string `koanf:"env" json:"env,omitempty"`
	Timeout time.Duration     `koanf:"timeout" json:"timeout,omitempty"`
	// Stdin is "body" (the raw request body) or a template.
	Stdin string `koanf:"stdin" json:"stdin,omitempty"`
	// KillGrace is how long a timed-out command gets after SIGTERM before
	// its process group is killed.
	KillGrace time.Duration `koanf:"kill_grace" json:"kill_grace,omitempty"`
	// Respond shapes the synchronous answer of a `respond: sync` rule.
	ContentType string         `koanf:"content_type" json:"content_type,omitempty"`
	Status      map[string]int `koanf:"status" json:"status,omitempty"`
	// User and Group run the command under another account; allowed only
	// when hookrunner runs as root.
	User  string `koanf:"user" json:"user,omitempty"`
	Group string `koanf:"group" json:"group,omitempty"`
	// AllowDash lets a command element that begins with a template render
	// to a value starting with "-" or "+" (by default the run fails,
	// permanently, so a payload cannot pass an option such as
	// --upload-pack, -rf or a shell's +c).
	AllowDash bool `koanf:"allow_dash" json:"allow_dash,omitempty"`
	// OmitMissingEnv leaves out an env entry that is exactly one
	// `{{ expr }}` whose value is missing (nil), instead of setting it
	// empty (adnanh/webhook's behaviour).
	OmitMissingEnv bool `koanf:"omit_missing_env" json:"omit_missing_env,omitempty"`
	// ErrorBody, when set, is the body of a `respond: sync` answer when the
	// command fails (non-zero exit, or it could not start), in place of its
	// output, so a failing command's output is not shown to the sender.
	ErrorBody string `koanf:"error_body" json:"error_body,omitempty"`
	// RespondStderr makes a `respond: sync` answer the command's standard
	// output and standard error as written (the last output_limit bytes),
	// not its standard output alone.
	RespondStderr bool `koanf:"respond_stderr" json:"respond_stderr,omitempty"`
}

// Shell runs a command with a clean environment, in its own process group.
type Shell struct {
	cfg   ShellConfig
	argv  []*expression.Template
	env   map[string]*expression.Template
	stdin *expression.Template
	dir   string
	cred  *procgroup.Cred
	home  string
}

var (
	_ actions.Action  = (*Shell)(nil)
	_ actions.Planner = (*Shell)(nil)
)

func init() {
	actions.Register(actions.Info{Name: "shell", Config: ShellConfig{}, New: newShell})
}

func newShell(bc actions.BuildContext) (actions.Action, error) {
	cfg := bc.Config.(ShellConfig)
	if len(cfg.Command) == 0 {
		return nil, &actions.ConfigError{Path: "command", Msg: "required, as a list: [\"/path/to/script\", \"{{ payload.after }}\"]"}
	}
	// Refuse every payload value a program would read as code (argvguard.go).
	if err := guardCommand(cfg, actionDir(bc.Dir, cfg.Dir)); err != nil {
		return nil, err
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Minute
	}
	if cfg.KillGrace == 0 {
		cfg.KillGrace = 5 * time.Second
	}
	for k := range cfg.Status {
		if k == "default" {
			continue
		}
		if _, err := strconv.Atoi(k); err != nil {
			return nil, &actions.ConfigError{Path: "status." + k, Msg: "keys are exit codes or \"default\""}
		}
	}
	s := &Shell{cfg: cfg, dir: cfg.Dir}
	if cfg.User != "" || cfg.Group != "" {
		cred, home, err := credential(cfg.User, cfg.Group)
		if err != nil {
			return nil, err
		}
		s.cred, s.home = cred, home
	}
	s.dir = actionDir(bc.Dir, cfg.Dir)
	var err error
	if s.argv, err = actions.CompileTemplates("command", cfg.Command); err != nil {
		return nil, err
	}
	for k := range cfg.Env {
		if !validEnvName(k) {
			return nil, &actions.ConfigError{Path: "env." + k, Msg: "not a valid environment variable name"}
		}
		if strings.HasPrefix(k, "HOOKRUNNER_") {
			return nil, &actions.ConfigError{Path: "env." + k, Msg: "the HOOKRUNNER_ prefix is reserved"}
		}
	}
	if s.env, err = actions.CompileTemplateMap("env", cfg.Env); err != nil {
		return nil, err
	}
	if cfg.Stdin != "" && cfg.Stdin != "body" {
		if s.stdin, err = expression.CompileTemplate(cfg.Stdin); err != nil {
			return nil, &actions.ConfigError{Path: "stdin", Msg: err.Error()}
		}
	}
	return s, nil
}

// validEnvName accepts a letter or '_' followed by letters, digits, '_',
// '.' and '-': names a shell cannot expand ($a.b) are still passed as they
// are (adnanh/webhook's HOOK_head_commit.timestamp), and no name can hold
// '=' or a byte the environment block cannot carry.
func validEnvName(k string) bool {
	if k == "" {
		return false
	}
	for i, c := range k {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && (c >= '0' && c <= '9' || c == '.' || c == '-')) {
			return false
		}
	}
	return true
}

// actionDir is the folder the command runs in: dir: from the config's
// folder, or the config's folder.
func actionDir(base, dir string) string {
	if dir == "" {
		return base
	}
	if !filepath.IsAbs(dir) {
		return filepath.Join(base, dir)
	}
	return dir
}

func (s *Shell) render(env *expression.Env) ([]string, []string, error) {
	argv := make([]string, len(s.argv))
	for i, t := range s.argv {
		v, err := t.Render(env)
		if err != nil {
			return nil, nil, fmt.Errorf("command[%d]: %w", i, err)
		}
		if err := s.checkDash(i, v); err != nil {
			return nil, nil, err
		}
		argv[i] = v
	}
	vars := []string{
		"PATH=" + pathOr(os.Getenv("PATH")),
		"HOME=" + homeOr(s.homeDir()),
		"HOOKRUNNER_EVENT_ID=" + env.ID,
		"HOOKRUNNER_DELIVERY_ID=" + env.DeliveryID,
		"HOOKRUNNER_SOURCE=" + env.Source,
		"HOOKRUNNER_EVENT=" + env.Event,
		"HOOKRUNNER_RULE=" + env.Rule,
		"HOOKRUNNER_RUN_ID=" + env.RunID,
		"HOOKRUNNER_ATTEMPT=" + strconv.Itoa(env.Attempt),
	}
	own, err := s.renderEnv(env)
	if err != nil {
		return nil, nil, err
	}
	return argv, append(vars, own...), nil
}

// renderEnv renders what env: sets, as NAME=value in name order.
func (s *Shell) renderEnv(env *expression.Env) ([]string, error) {
	keys := make([]string, 0, len(s.env))
	for k := range s.env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	vars := make([]string, 0, len(keys))
	for _, k := range keys {
		v, absent, err := s.env[k].RenderOrAbsent(env)
		if err != nil {
			return nil, fmt.Errorf("env.%s: %w", k, err)
		}
		if absent && s.cfg.OmitMissingEnv {
			continue
		}
		vars = append(vars, k+"="+v)
	}
	return vars, nil
}

func pathOr(p string) string {
	if p == "" {
		return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	}
	return p
}

func homeOr(h string) string {
	if h == "" {
		return "/"
	}
	return h
}

// Describe implements actions.Action.
func (s *Shell) Describe(env *expression.Env) (string, error) {
	argv, _, err := s.render(env)
	if err != nil {
		return "", err
	}
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = strconv.Quote(a)
	}
	return "shell [" + strings.Join(q, " ") + "] in " + s.dir, nil
}

// Plan implements actions.Planner: the argv, the working directory, what
// env: sets and what goes to standard input.
func (s *Shell) Plan(env *expression.Env) (actions.Plan, error) {
	argv, _, err := s.render(env)
	if err != nil {
		return actions.Plan{}, err
	}
	p := &actions.ShellPlan{Argv: argv, Dir: s.dir, StdinBody: s.cfg.Stdin == "body"}
	own, err := s.renderEnv(env)
	if err != nil {
		return actions.Plan{}, err
	}
	if len(own) > 0 {
		p.Env = make(map[string]string, len(own))
		for _, kv := range own {
			k, v, _ := strings.Cut(kv, "=")
			p.Env[k] = v
		}
	}
	if s.stdin != nil {
		if p.Stdin, err = s.stdin.Render(env); err != nil {
			return actions.Plan{}, fmt.Errorf("stdin: %w", err)
		}
	}
	return actions.Plan{Shell: p}, nil
}

// devNull is /dev/null open for reading, the standard input of every
// command given none; never closed.
var devNull = sync.OnceValues(func() (*os.File, error) { return os.Open(os.DevNull) })

// pipeWaitDelay bounds how long Wait keeps reading output after the
// command and its process group are gone, for a process that left the group
// (setsid) while holding the pipes.
const pipeWaitDelay = time.Second

// killWait bounds how long a run waits, after SIGKILL, for the last of
// its processes to be gone (one in uninterruptible sleep on a hung mount).
const killWait = 10 * time.Second

// Run implements actions.Action. The command runs as the leader of its own process
// group, which on Linux gets SIGKILL if hookrunner dies (Pdeathsig). Every
// process it starts carries a key new for this run (procgroup.Attempt), so
// the run's processes are found in /proc wherever they went: into a group
// of their own (coreutils timeout, `set -m` jobs) or to init after a
// double fork. A daemon detached with setsid is in another session and is
// left alone. The run ends when the command exits: whatever it left
// running is then killed, and the command's own exit status is the result.
// On timeout or cancellation all of them get SIGTERM, then SIGKILL after
// kill_grace. No process of the run is left alive when Run returns, or Run
// says so. inv.Started learns the group when it starts and, once nothing
// of the run is left, that it is gone, so a restart can kill a group a
// crash left behind.
func (s *Shell) Run(ctx context.Context, inv *actions.Invocation) (actions.Result, error) {
	argv, vars, err := s.render(inv.Env)
	if err != nil {
		return actions.Result{}, actions.Permanent(err)
	}
	limit := inv.OutputLimit
	if limit <= 0 {
		limit = 64 << 10
	}
	att, err := procgroup.NewAttempt()
	if err != nil {
		return actions.Result{}, fmt.Errorf("start %s: %w", argv[0], err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()

	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = s.dir
	// Last, so a configured env: of the same name could not hide them (the
	// HOOKRUNNER_ prefix is refused at load besides).
	cmd.Env = append(vars[:len(vars):len(vars)], att.Env())
	if m := procgroup.OwnerEnv(); m != "" {
		cmd.Env = append(cmd.Env, m)
	}
	// The run ends when the command exits, even if something it left in
	// the background still holds its output pipes.
	cmd.WaitDelay = pipeWaitDelay
	out := actions.NewTailBuffer(limit)
	stdout := actions.NewHeadBuffer(limit)
	cmd.Stdout = io.MultiWriter(out, stdout)
	if inv.Stream != nil {
		cmd.Stdout = io.MultiWriter(out, stdout, inv.Stream)
	}
	cmd.Stderr = out
	if inv.Stream == nil && (s.cfg.RespondStderr || !inv.Answer) {
		// stdout and stderr as the command wrote them: one pipe for both
		// (os/exec shares it when the writers are equal), so their order
		// is the command's, not the scheduler's; the answer, when there is
		// one, is both. A run that answers no request keeps no stdout of
		// its own (and a pipe, its goroutine and their syscalls less).
		cmd.Stdout, cmd.Stderr = out, out
	}
	switch {
	case s.cfg.Stdin == "body":
		cmd.Stdin = bytes.NewReader(inv.Body)
	case s.stdin != nil:
		in, err := s.stdin.Render(inv.Env)
		if err != nil {
			return actions.Result{}, actions.Permanent(fmt.Errorf("stdin: %w", err))
		}
		cmd.Stdin = strings.NewReader(in)
	default:
		// /dev/null, as os/exec gives a nil Stdin, but opened once for
		// every run rather than once a run.
		if f, err := devNull(); err == nil {
			cmd.Stdin = f
		}
	}
	unlock, err := procgroup.Start(cmd, s.cred)
	if err != nil {
		// A sync answer says the command failed, as a non-zero exit does;
		// why (a path, an errno) stays in the run's output.
		return actions.Result{Output: err.Error(), Response: s.failed(nil)}, startFailure(argv[0], cmd.Dir, err)
	}
	defer unlock() // only after the leader is reaped (Pdeathsig is per thread)
	pgid := cmd.Process.Pid
	att.Started(pgid)
	var ended func()
	if inv.Started != nil {
		pg, _ := procgroup.Identify(pgid)
		ended = inv.Started(pg)
	}

	// exited is closed when the command has exited. On Linux it is not
	// reaped yet, so its pid, and with it the group id, cannot be reused
	// while the rest of the run is killed.
	exited := make(chan struct{})
	var reaped chan error
	if procgroup.CanWaitExited {
		go func() { procgroup.WaitExited(pgid); close(exited) }()
	} else {
		reaped = make(chan error, 1)
		go func() { reaped <- cmd.Wait(); close(exited) }()
	}
	timedOut := false
	select {
	case <-exited:
	case <-ctx.Done():
		timedOut = true
		s.terminate(att, exited)
	}
	// What ignored SIGTERM, or what the command left in the background, in
	// its group or elsewhere in the session, dies now.
	kctx, kcancel := context.WithTimeout(context.Background(), killWait)
	left := att.Kill(kctx)
	kcancel()
	if timedOut {
		_ = cmd.Process.Kill() // in case it left its own group
	}
	var waitErr error
	if reaped != nil {
		waitErr = <-reaped
	} else {
		waitErr = cmd.Wait()
	}
	if left != nil {
		// The record stays, so the next start still kills the group.
		left = fmt.Errorf("%w (pgid %d)", left, pgid)
	} else if ended != nil {
		ended()
	}
	res, err := s.outcome(ctx, cmd, waitErr, timedOut, argv[0], out, stdout)
	if left != nil {
		err = errors.Join(err, left)
	}
	return res, err
}

// terminate sends SIGTERM to every process of the run and gives them
// kill_grace to exit: the command first, then what it started.
func (s *Shell) terminate(att *procgroup.Attempt, exited <-chan struct{}) {
	_, _ = att.Signal(syscall.SIGTERM)
	gctx, cancel := context.WithTimeout(context.Background(), s.cfg.KillGrace)
	defer cancel()
	select {
	case <-exited:
		att.Wait(gctx)
	case <-gctx.Done():
	}
}

// outcome is the result of a command that ran: its output, exit status and
// answer, and why it failed.
func (s *Shell) outcome(ctx context.Context, cmd *exec.Cmd, waitErr error, timedOut bool, prog string, out *actions.TailBuffer, stdout *actions.HeadBuffer) (actions.Result, error) {
	if errors.Is(waitErr, exec.ErrWaitDelay) {
		waitErr = nil // the command exited 0; only a stray holder of its pipes was left
	}
	res := actions.Result{Output: out.String(), Stdout: stdout.Bytes()}
	code := cmd.ProcessState.ExitCode()
	res.ExitCode = &code
	if s.cfg.RespondStderr {
		res.Response = s.response(code, []byte(res.Output))
	} else {
		res.Response = s.response(code, stdout.Bytes())
	}
	if timedOut {
		if ctx.Err() == context.DeadlineExceeded {
			return res, fmt.Errorf("timed out after %s; its processes killed", s.cfg.Timeout)
		}
		return res, fmt.Errorf("cancelled: %w", context.Cause(ctx))
	}
	if waitErr != nil {
		var ee *exec.ExitError
		if errors.As(waitErr, &ee) {
			return res, exitFailure(prog, code)
		}
		return res, waitErr
	}
	return res, nil
}

// failed is the sync answer of a command that could not start.
func (s *Shell) failed(stdout []byte) *actions.Response {
	r := s.response(-1, stdout)
	if v, ok := s.cfg.Status["default"]; ok {
		r.Status = v
	} else {
		r.Status = 500
	}
	return r
}

// startFailure is why the command did not start. It is permanent (the
// run goes dead at once, not retried) when retrying cannot help: no such
// program or dir, not executable, not allowed. The machine running short
// of processes, memory or file descriptors is retried.
func startFailure(prog, dir string, err error) error {
	err = fmt.Errorf("start %s (in %s): %w", prog, dir, err)
	for _, transient := range []error{syscall.EAGAIN, syscall.ENOMEM, syscall.EMFILE, syscall.ENFILE, syscall.EINTR} {
		if errors.Is(err, transient) {
			return err
		}
	}
	return actions.Permanent(err)
}

// exitFailure is a non-zero exit. 126 (found but not executable) and 127
// (not found) are what env, sudo, timeout, nice and shells answer when the
// program they were to run is missing or cannot run: permanent.
func exitFailure(prog string, code int) error {
	switch code {
	case 126:
		return actions.Permanent(fmt.Errorf("exit status 126 (%s, or a command it ran, could not be executed: permission denied or not a program)", prog))
	case 127:
		return actions.Permanent(fmt.Errorf("exit status 127 (%s, or a command it ran, was not found)", prog))
	}
	return fmt.Errorf("exit status %d", code)
}

func (s *Shell) response(code int, stdout []byte) *actions.Response {
	status := 200
	if code != 0 {
		status = 500
	}
	if code != 0 && s.cfg.ErrorBody != "" {
		stdout = []byte(s.cfg.ErrorBody)
	}
	if v, ok := s.cfg.Status[strconv.Itoa(code)]; ok {
		status = v
	} else if v, ok := s.cfg.Status["default"]; ok && code != 0 {
		status = v
	}
	ct := s.cfg.ContentType
	if ct == "" {
		ct = "text/plain; charset=utf-8"
		if t := bytes.TrimSpace(stdout); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
			ct = "application/json"
		}
	}
	return &actions.Response{Status: status, ContentType: ct, Body: stdout}
}

// Close implements actions.Action; a shell action holds nothing between
// runs.
func (s *Shell) Close() error { return nil }

func (s *Shell) homeDir() string {
	if s.home != "" {
		return s.home
	}
	return os.Getenv("HOME")
}
