package shell

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// How each program treats its operands (the argv guard, argvguard.go).

// wrapperOps: pos operands of the wrapper's own, then the program it runs.
func wrapperOps(pos int) func(*argvScan, *parseState) {
	return func(s *argvScan, p *parseState) {
		if len(p.ops) <= pos {
			return
		}
		s.program(p.ops[pos])
	}
}

// shellWrapOps: as wrapperOps, but with no program the wrapper starts a
// shell (chroot, unshare, nsenter, setarch), which reads standard input.
func shellWrapOps(pos int) func(*argvScan, *parseState) {
	return func(s *argvScan, p *parseState) {
		if len(p.ops) <= pos {
			s.readsStdin(p, "no program: it starts a shell, which reads standard input")
			return
		}
		s.program(p.ops[pos])
	}
}

// scriptOps: without program text from an option, the first operand is a
// script file (code); later operands are the script's arguments.
func scriptOps(s *argvScan, p *parseState) {
	if p.code {
		return
	}
	if len(p.ops) == 0 || !s.tmpl(p.ops[0]) && stdinPath(s.argv[p.ops[0]]) {
		s.readsStdin(p, "script on stdin")
		return
	}
	s.add(p.ops[0], p.name+" (script file)", kindScript, p.prog)
}

// shellOps: with -c the first operand is the command string, else a script
// file; -s reads stdin and every operand is a positional parameter.
func shellOps(s *argvScan, p *parseState) {
	if !p.seen["c"] && !p.code && (len(p.ops) == 0 || p.seen["s"]) {
		s.readsStdin(p, "script on stdin")
	}
	if len(p.ops) == 0 {
		return
	}
	first := p.ops[0]
	switch {
	case p.seen["c"]:
		s.add(first, p.name+" -c", kindCode, p.prog)
		if !s.tmpl(first) {
			s.shellLine(first, s.argv[first], p.name+" -c")
		}
	case p.seen["s"] || p.code:
	case !s.tmpl(first) && stdinPath(s.argv[first]):
		s.readsStdin(p, "script "+s.argv[first])
	default:
		s.add(first, p.name+" (script file)", kindScript, p.prog)
	}
}

// programTextOps: awk, sed, jq: the first operand is the program unless an
// option gave it.
func programTextOps(what string) func(*argvScan, *parseState) {
	return func(s *argvScan, p *parseState) {
		if p.code || len(p.ops) == 0 {
			return
		}
		s.add(p.ops[0], p.name+" ("+what+")", kindCode, p.prog)
	}
}

// joinedOps: after pos operands, every operand is joined into a shell
// command line (ssh, watch, sg, su).
func joinedOps(pos int, what string) func(*argvScan, *parseState) {
	return func(s *argvScan, p *parseState) {
		if len(p.ops) <= pos {
			s.readsStdin(p, "commands on stdin")
		}
		for n, k := range p.ops {
			if n >= pos {
				s.add(k, p.name+" ("+what+")", kindJoined, p.prog)
			}
		}
	}
}

func allCodeOps(what string) func(*argvScan, *parseState) {
	return func(s *argvScan, p *parseState) {
		for _, k := range p.ops {
			s.add(k, p.name+" ("+what+")", kindCode, p.prog)
		}
	}
}

// ---- custom parsers ----

// envCustom: env [OPTION]... [NAME=VALUE]... [COMMAND [ARG]...]
func envCustom(s *argvScan, prog int) {
	sp := envSpec
	p := newState(prog, s.label(prog))
	k := prog + 1
	for k < len(s.argv) {
		a := s.argv[k]
		if a == "-" {
			k++
			continue
		}
		if a == "--" {
			k++
			break
		}
		pre, _, _ := strings.Cut(a, "{{")
		if strings.HasPrefix(pre, "-") {
			n := s.option(sp, k, p)
			if n < 0 || p.codeEnd {
				return
			}
			k = n
			continue
		}
		break
	}
	k = s.assignments(k, p)
	s.program(k)
}

// assignments skips NAME=VALUE elements from k (env, sudo) and judges them.
func (s *argvScan) assignments(k int, p *parseState) int {
	for ; k < len(s.argv); k++ {
		a := s.argv[k]
		pre, _, _ := strings.Cut(a, "{{")
		name, _, ok := strings.Cut(pre, "=")
		if !ok {
			if s.tmpl(k) && strings.Contains(a, "=") {
				s.add(k, p.name+" (the payload would choose an environment variable name)", kindEnvName, p.prog)
				continue
			}
			return k
		}
		if s.tmpl(k) && dangerousEnv(name) {
			s.add(k, p.name+" "+name+"= (the variable is read as code)", kindEnvCode, p.prog)
		}
	}
	return k
}

func sudoOps(s *argvScan, p *parseState) {
	if len(p.ops) == 0 {
		if p.seen["s"] || p.seen["i"] || p.seen["--shell"] || p.seen["--login"] {
			s.readsStdin(p, "-s or -i with no command: the shell reads standard input")
		}
		return
	}
	k := s.assignments(p.ops[0], p)
	if p.seen["s"] || p.seen["i"] || p.seen["--shell"] || p.seen["--login"] {
		if k >= len(s.argv) {
			s.readsStdin(p, "-s or -i with no command: the shell reads standard input")
		}
		var line []string
		for j := k; j < len(s.argv); j++ {
			s.add(j, p.name+" -s (joined into a shell command)", kindJoined, p.prog)
			line = append(line, s.argv[j])
		}
		if k < len(s.argv) && !s.tmpl(k) {
			s.shellLine(k, strings.Join(line, " "), p.name+" -s")
		}
		return
	}
	if p.seen["e"] || p.seen["--edit"] {
		return
	}
	s.program(k)
}

// flockOps: flock FILE COMMAND… or flock FILE -c COMMAND.
func flockOps(s *argvScan, p *parseState) {
	if p.code || len(p.ops) < 2 {
		return
	}
	k := p.ops[1]
	if a := s.argv[k]; a == "-c" || a == "--command" {
		s.add(k+1, p.name+" -c", kindCode, p.prog)
		return
	}
	s.program(k)
}

func watchOps(s *argvScan, p *parseState) {
	if len(p.ops) == 0 {
		return
	}
	if p.seen["x"] || p.seen["--exec"] {
		s.program(p.ops[0])
		return
	}
	joinedOps(0, "joined into a sh -c command")(s, p)
}

func runuserOps(s *argvScan, p *parseState) {
	if p.seen["u"] || p.seen["--user"] {
		if len(p.ops) > 0 {
			s.program(p.ops[0])
		} else if !p.code {
			s.readsStdin(p, "no command: the user's shell reads standard input")
		}
		return
	}
	suOps(s, p)
}

// suOps: su [-] [USER [ARG]…]: the arguments go to the user's shell, which
// with no -c and no arguments reads standard input.
func suOps(s *argvScan, p *parseState) {
	ops := p.ops
	if len(ops) > 0 && s.argv[ops[0]] == "-" {
		ops = ops[1:]
	}
	if !p.code && len(ops) <= 1 {
		s.readsStdin(p, "no command: the user's shell reads standard input")
	}
	for n, k := range ops {
		if n >= 1 {
			s.add(k, p.name+" (passed to the user's shell)", kindJoined, p.prog)
		}
	}
}

func sgOps(s *argvScan, p *parseState) {
	ops := p.ops
	if len(ops) > 0 && s.argv[ops[0]] == "-" {
		ops = ops[1:]
	}
	if len(ops) <= 1 {
		s.readsStdin(p, "no command: it starts a shell, which reads standard input")
	}
	for n, k := range ops {
		if n >= 1 && s.argv[k] != "-c" {
			s.add(k, p.name+" (joined into a sh -c command)", kindJoined, p.prog)
		}
	}
}

func sqlStdinOps(s *argvScan, p *parseState) {
	if !p.code {
		s.readsStdin(p, "SQL on stdin")
	}
}

func sqliteOps(s *argvScan, p *parseState) {
	if len(p.ops) <= 1 {
		s.readsStdin(p, "SQL on stdin")
	}
	for n, k := range p.ops {
		if n >= 1 {
			s.add(k, p.name+" (SQL)", kindCode, p.prog)
		}
	}
}

// makeOps: a NAME=VALUE operand is a make variable, expanded as make text
// ($(shell …)); a whole-template operand could be one.
func makeOps(s *argvScan, p *parseState) {
	for _, k := range p.ops {
		a := s.argv[k]
		pre, _, _ := strings.Cut(a, "{{")
		if strings.Contains(pre, "=") || strings.HasPrefix(a, "{{") {
			s.add(k, p.name+" (variable assignment, expanded by make)", kindCode, p.prog)
		}
	}
}

// findCustom: find [paths] [expression]; -exec/-execdir/-ok/-okdir run a
// command up to ";" or "+".
func findCustom(s *argvScan, prog int) {
	name := s.label(prog)
	for k := prog + 1; k < len(s.argv); k++ {
		a := s.argv[k]
		if s.tmpl(k) {
			if strings.HasPrefix(a, "{{") && s.dashable(k) {
				s.add(k, name+" (with allow_dash the value could be an expression)", kindOption, prog)
			}
			if strings.HasPrefix(a, "-") {
				pre, _, _ := strings.Cut(a, "{{")
				s.add(k, name+" (the payload would choose the expression "+pre+"…)", kindOption, prog)
			}
			continue
		}
		switch a {
		case "-exec", "-execdir", "-ok", "-okdir":
			end := k + 1
			for end < len(s.argv) && s.argv[end] != ";" && s.argv[end] != "+" {
				end++
			}
			s.sub(s.argv[k+1:end], s.idx[k+1:end]).program(0)
			k = end
		}
	}
}

// pwshCustom: for PowerShell every argument after -Command is part of the
// command; -File SCRIPT ARGS passes ARGS as data. -Command - and -File -
// read standard input, as does pwsh given no command at all.
func pwshCustom(s *argvScan, prog int) {
	name := s.label(prog)
	p := newState(prog, name)
	command := false
	for k := prog + 1; k < len(s.argv); k++ {
		a := strings.ToLower(s.argv[k])
		opt := !s.tmpl(k) && len(a) >= 2 && (a[0] == '-' || a[0] == '/')
		if opt && strings.HasPrefix("-file", "-"+a[1:]) {
			if !s.tmpl(k+1) && (k+1 >= len(s.argv) || stdinPath(s.argv[k+1])) {
				s.readsStdin(p, "-File - reads the script from standard input")
			}
			s.add(k+1, name+" -File (script file)", kindScript, prog)
			return
		}
		if opt && (strings.HasPrefix("-command", "-"+a[1:]) || strings.HasPrefix("-encodedcommand", "-"+a[1:]) && len(a) > 2) {
			command = true
			if !s.tmpl(k+1) && (k+1 >= len(s.argv) || s.argv[k+1] == "-") {
				s.readsStdin(p, "-Command - reads commands from standard input")
			}
		} else if !opt {
			command = true // a positional command or script
		}
		s.add(k, name+" (PowerShell command line)", kindCode, prog)
	}
	if !command {
		s.readsStdin(p, "no command: it reads commands from standard input")
	}
}

// gitOps: git [global options] SUBCOMMAND [args]: -c sets config (which
// can run commands: core.sshCommand, alias.x=!…); the subcommand picks
// what runs; a few subcommand options take commands.
func gitOps(s *argvScan, p *parseState) {
	if len(p.ops) == 0 {
		return
	}
	sub := p.ops[0]
	if s.tmpl(sub) {
		s.add(sub, p.name+" (subcommand or alias)", kindProgram, p.prog)
		return
	}
	cmd := s.argv[sub]
	opts := true // before "--", git's subcommands read options anywhere
	for k := sub + 1; k < len(s.argv); k++ {
		a := s.argv[k]
		if a == "--" && !s.tmpl(k) {
			opts = false
		}
		if opts && strings.HasPrefix(a, "{{") && s.dashable(k) {
			s.add(k, p.name+" "+cmd+" (the value could be an option: --upload-pack=…, --exec=…)", kindOption, p.prog)
		}
		switch cmd {
		case "config":
			s.add(k, p.name+" config (configuration can run commands)", kindCode, p.prog)
			continue
		case "submodule":
			if a == "foreach" {
				for k++; k < len(s.argv); k++ {
					s.add(k, p.name+" submodule foreach (shell command)", kindJoined, p.prog)
				}
				return
			}
		case "bisect":
			if a == "run" {
				s.program(k + 1)
				return
			}
		}
		pre, _, _ := strings.Cut(a, "{{")
		name, _, hasVal := strings.Cut(pre, "=")
		if code := gitCodeOpt(cmd, name); code {
			if hasVal {
				s.add(k, p.name+" "+cmd+" "+name, kindCode, p.prog)
			} else if !s.tmpl(k) {
				s.add(k+1, p.name+" "+cmd+" "+name, kindCode, p.prog)
				k++
			}
		}
	}
}

func gitCodeOpt(cmd, opt string) bool {
	switch cmd {
	case "filter-branch":
		// Each filter and --setup is shell code (eval'd by the script).
		if opt == "--setup" || strings.HasSuffix(opt, "-filter") {
			return true
		}
	case "filter-repo":
		// Callbacks are Python function bodies.
		if strings.HasSuffix(opt, "-callback") {
			return true
		}
	}
	switch opt {
	case "--upload-pack", "--receive-pack", "--exec", "--extcmd", "--open-files-in-pager", "--config", "--tool", "--template":
		return true
	}
	switch cmd + " " + opt {
	case "clone -c", "clone -u", "fetch -u", "ls-remote -u", "rebase -x", "difftool -x", "difftool -t", "mergetool -t", "grep -O", "archive --remote":
		return true
	}
	return false
}

// denoOps: deno eval CODE, deno run SCRIPT ARGS…
func subcommandOps(s *argvScan, p *parseState) {
	if len(p.ops) == 0 || p.code {
		return
	}
	sub := p.ops[0]
	if s.tmpl(sub) {
		s.add(sub, p.name+" (subcommand or script)", kindScript, p.prog)
		return
	}
	switch s.argv[sub] {
	case "eval", "-e", "e":
		s.add(sub+1, p.name+" eval", kindCode, p.prog)
	case "run", "x", "exec", "dlx", "repl", "test", "bundle", "compile", "install", "add":
		// The next operand is a script, a package or a task: code.
		for k := sub + 1; k < len(s.argv); k++ {
			if strings.HasPrefix(s.argv[k], "-") && !s.tmpl(k) {
				continue
			}
			s.add(k, p.name+" "+s.argv[sub]+" (script or package)", kindScript, p.prog)
			return
		}
	default:
		// "bun script.ts args": the operand is the script.
	}
}

// npxOps: npx PACKAGE ARGS: the package is the program (npx node -e …).
func npxOps(s *argvScan, p *parseState) {
	if len(p.ops) == 0 || p.code {
		return
	}
	s.add(p.ops[0], p.name+" (package it runs)", kindProgram, p.prog)
	s.program(p.ops[0])
}

// dangerousEnv reports environment variables whose value programs read as
// code or as a program or library to load.
//
// Whole classes are matched where a family shares a naming scheme: every
// *EDITOR (EDITOR, GIT_EDITOR, GIT_SEQUENCE_EDITOR, SUDO_EDITOR,
// KUBE_EDITOR), *PAGER, *ASKPASS, *_HOOKS (DOTNET_STARTUP_HOOKS), and the
// configuration prefixes of tools whose settings name programs
// (NPM_CONFIG_script_shell, YARN_, BUNDLE_GEMFILE, OPENSSL_CONF, CORECLR_).
// Names compare case-insensitively (npm reads npm_config_* in any case).
func dangerousEnv(name string) bool {
	n := strings.ToUpper(name)
	for _, pfx := range []string{"LD_", "DYLD_", "BASH_FUNC_", "GIT_CONFIG", "GCONV_", "MALLOC_",
		"NPM_CONFIG_", "YARN_", "BUNDLE_", "OPENSSL_", "CORECLR_", "COMPLUS_"} {
		if strings.HasPrefix(n, pfx) {
			return true
		}
	}
	for _, sfx := range []string{"EDITOR", "PAGER", "ASKPASS", "_HOOKS", "_SSH_COMMAND", "_RSH"} {
		if strings.HasSuffix(n, sfx) {
			return true
		}
	}
	switch n {
	case "PATH", "ENV", "BASH_ENV", "SHELLOPTS", "BASHOPTS", "PS4", "PROMPT_COMMAND", "ZDOTDIR", "IFS", "CDPATH",
		"PERL5OPT", "PERL5LIB", "PERLLIB", "PERL5DB", "PYTHONSTARTUP", "PYTHONPATH", "PYTHONHOME", "PYTHONWARNINGS", "PYTHONINSPECT", "PYTHONBREAKPOINT",
		"NODE_OPTIONS", "NODE_PATH", "RUBYOPT", "RUBYLIB", "LUA_INIT", "LUA_PATH", "LUA_CPATH", "PHPRC", "PHP_INI_SCAN_DIR",
		"JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "CLASSPATH",
		"GIT_SSH", "GIT_SSH_COMMAND", "GIT_EXTERNAL_DIFF", "GIT_PAGER", "GIT_EDITOR", "GIT_ASKPASS", "GIT_PROXY_COMMAND", "GIT_EXEC_PATH", "GIT_TEMPLATE_DIR",
		"SSH_ASKPASS", "SUDO_ASKPASS", "PAGER", "MANPAGER", "EDITOR", "VISUAL", "BROWSER", "LESSOPEN", "LESSCLOSE",
		"HOSTALIASES", "LOCPATH", "NLSPATH", "RESOLV_HOST_CONF", "TERMINFO", "SYSTEMD_PAGER", "HOME", "XDG_CONFIG_HOME",
		"SHELL", "FCEDIT", "AWKPATH", "AWKLIBPATH", "DOTNET_ADDITIONAL_DEPS", "NODE_REPL_EXTERNAL_MODULE", "PSQLRC",
		"RSYNC_CONNECT_PROG", "MAVEN_OPTS", "GRADLE_OPTS", "SBT_OPTS", "ANT_OPTS", "KUBECONFIG", "DOCKER_CONFIG":
		return true
	}
	return false
}

// describeFinding renders the refusal of one element and its safe form.
func describeFinding(argv []string, f argvFinding) string {
	msg := describeKind(argv, f)
	if f.Behind != "" {
		msg += fmt.Sprintf(" (hookrunner does not know how %s reads its arguments, so a later argument that names a shell, interpreter or wrapper is read as a command %s may run, as docker exec or gosu would; if it does not run it, pass the value through env: or to a script: [\"./deploy.sh\", %q])", f.Behind, f.Behind, tmplOf(argv[f.Index]))
	}
	return msg
}

// tmplOf is the first {{ … }} of an element.
func tmplOf(tmpl string) string {
	if i := strings.Index(tmpl, "{{"); i >= 0 {
		if j := strings.Index(tmpl[i:], "}}"); j >= 0 {
			return tmpl[i : i+j+2]
		}
	}
	return tmpl
}

func describeKind(argv []string, f argvFinding) string {
	val := strconv.Quote(argv[f.Index])
	switch f.Kind {
	case kindProgram:
		return fmt.Sprintf("%s: a template here lets the payload choose the program (%s); the program must be fixed (choose between programs with rule conditions)", val, f.Reader)
	case kindOption:
		return fmt.Sprintf("%s: %s; drop allow_dash, or pass the value in one --option=value element", val, f.Reader)
	case kindEnvName:
		return fmt.Sprintf("%s: %s; write the variable name literally", val, f.Reader)
	case kindEnvCode:
		return fmt.Sprintf("%s would be read as code: %s; pass the value under another variable name", val, f.Reader)
	case kindScript:
		return fmt.Sprintf("%s would be read as code by %s: the payload would choose the script; keep the script fixed and pass the value as an argument after it or through env:", val, f.Reader)
	case kindJoined:
		return fmt.Sprintf("%s would be read as code by %s; no argument position there is safe: pass the value through env: or stdin: to a fixed script", val, f.Reader)
	}
	return fmt.Sprintf("%s would be read as code by %s; %s", val, f.Reader, safeForm(argv[f.Prog], tmplOf(argv[f.Index])))
}

// safeForm suggests where the value can go instead.
func safeForm(path, val string) string {
	q := func(xs ...string) string {
		out := make([]string, len(xs))
		for i, x := range xs {
			out[i] = strconv.Quote(x)
		}
		return "[" + strings.Join(out, ",") + "]"
	}
	name := progName(path)
	base := filepath.Base(path)
	switch {
	case shellNames[name]:
		return fmt.Sprintf("pass the value as a positional argument after the script (%s) or through env:", q(path, "-c", `deploy "$1"`, base, val))
	case specs[name] == specs["python"]:
		return fmt.Sprintf("pass the value as an argument after the code (%s reads it as sys.argv[1]) or through env:", q(path, "-c", "import sys; deploy(sys.argv[1])", val))
	case specs[name] == specs["perl"]:
		return fmt.Sprintf("pass the value as an argument after the code (%s reads it as $ARGV[0]) or through env:", q(path, "-e", "deploy($ARGV[0])", val))
	}
	return "pass the value as an argument after the code or script (it arrives in ARGV, process.argv, $1, …), through env:, or on stdin:"
}
