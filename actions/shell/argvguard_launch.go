package shell

import "strings"

// Launchers the argv guard follows to the command they run (in a
// container, as another user, in a project's environment), and programs
// that take code the main table (argvguard_table.go) lacks. A launcher
// missing here is still analysed: its later arguments that name a known
// program are read as a command it may run (unknownScan).

// selfSpec marks a subcommand that is itself the program (yarn node).
var selfSpec = &progSpec{}

// initLaunchers runs at the end of the table's init, so the specs it
// shares (node) exist.
func initLaunchers() {
	wrap := func(short map[byte]optKind, long map[string]optKind, pos int) *progSpec {
		return &progSpec{short: short, long: long, operands: wrapperOps(pos)}
	}

	// docker, podman, nerdctl [global options] SUBCOMMAND …; docker
	// compose / docker-compose exec|run SERVICE COMMAND.
	ctrExec := &progSpec{short: shorts("dit", "euw", ""), long: longs("--detach --interactive --tty --privileged", oFlag,
		"--env --env-file --user --workdir --detach-keys --preserve-fds", oArg), operands: wrapperOps(1)}
	ctrRun := &progSpec{short: shorts("ditPq", "acehlmpuvw", ""), long: longs(
		"--detach --interactive --tty --rm --init --privileged --read-only --publish-all --no-healthcheck --oom-kill-disable --quiet --sig-proxy --replace --no-deps --service-ports --use-aliases --build --remove-orphans --quiet-pull --no-TTY", oFlag,
		"--entrypoint", oProg, "--health-cmd", oCode,
		"--add-host --annotation --attach --blkio-weight --cap-add --cap-drop --cgroup-parent --cgroupns --cidfile --cpu-period --cpu-quota --cpu-shares --cpus --cpuset-cpus --cpuset-mems --device --dns --dns-option --dns-search --domainname --env --env-file --expose --gpus --group-add --health-interval --health-retries --health-start-period --health-timeout --hostname --ip --ip6 --ipc --isolation --label --label-file --link --log-driver --log-opt --mac-address --memory --memory-reservation --memory-swap --mount --name --network --network-alias --pid --platform --pull --restart --runtime --security-opt --shm-size --stop-signal --stop-timeout --storage-opt --sysctl --tmpfs --ulimit --user --userns --uts --volume --volumes-from --workdir --publish --pod --secret", oArg),
		operands: containerRunOps}
	ctrSubs := map[string]*progSpec{"exec": ctrExec, "run": ctrRun}
	container := &progSpec{operands: subOps(ctrSubs)}
	compose := &progSpec{short: shorts("", "fp", ""), long: longs("--file --project-name --profile --env-file --project-directory --ansi --progress --parallel", oArg,
		"--dry-run --compatibility --all-resources --verbose", oFlag), operands: subOps(ctrSubs)}
	docker := &progSpec{short: shorts("Dv", "cHl", ""), long: longs("--config --context --host --log-level --tlscacert --tlscert --tlskey --url --connection --root --runroot --storage-driver --cgroup-manager --namespace --address", oArg,
		"--debug --tls --tlsverify --version --help --remote", oFlag),
		operands: subOps(map[string]*progSpec{"exec": ctrExec, "run": ctrRun, "container": container, "compose": compose})}
	for _, n := range []string{"docker", "podman", "nerdctl"} {
		specs[n] = docker
	}
	specs["docker-compose"], specs["podman-compose"] = compose, compose

	// kubectl / oc exec POD -- COMMAND, run NAME -- COMMAND, debug.
	kube := "--namespace --context --cluster --user --kubeconfig --server --token --as --as-group --as-uid --certificate-authority --client-certificate --client-key --request-timeout --tls-server-name --cache-dir --container --filename --pod-running-timeout --image --env --labels --port --restart --serviceaccount --image-pull-policy --annotations --output --field-manager --target --profile --copy-to --set-image --custom"
	kubeSub := &progSpec{short: shorts("itq", "cnfslo", ""), long: longs(kube, oArg, "--overrides", oCode,
		"--stdin --tty --quiet --command --rm --leave-stdin-open --privileged --expose --share-processes --replace --attach", oFlag), permute: true, operands: wrapperOps(1)}
	specs["kubectl"] = &progSpec{short: shorts("", "nsv", ""), long: longs(kube, oArg, "--insecure-skip-tls-verify --warnings-as-errors --match-server-version", oFlag),
		operands: subOps(map[string]*progSpec{"exec": kubeSub, "run": kubeSub, "debug": kubeSub})}
	specs["oc"] = specs["kubectl"]

	// Changing user or personality, then the program.
	specs["gosu"], specs["su-exec"] = wrap(nil, nil, 1), wrap(nil, nil, 1)
	specs["setarch"] = &progSpec{custom: setarchCustom}
	specs["linux32"], specs["linux64"] = specs["setarch"], specs["setarch"]
	specs["capsh"] = &progSpec{custom: capshCustom}
	specs["bwrap"] = wrap(nil, longs("--unshare-all --share-net --unshare-user --unshare-user-try --unshare-ipc --unshare-pid --unshare-net --unshare-uts --unshare-cgroup --unshare-cgroup-try --clearenv --new-session --die-with-parent --as-pid-1 --disable-userns --assert-userns-disabled --level-prefix --help --version", oFlag,
		"--args --argv0 --userns --userns2 --pidns --uid --gid --hostname --chdir --unsetenv --lock-file --sync-fd --remount-ro --exec-label --file-label --proc --dev --tmpfs --mqueue --dir --seccomp --add-seccomp-fd --block-fd --userns-block-fd --info-fd --json-status-fd --cap-add --cap-drop --perms --size --overlay-src --tmp-overlay --ro-overlay", oArg,
		"--bind --bind-try --dev-bind --dev-bind-try --ro-bind --ro-bind-try --symlink --setenv --file --bind-data --ro-bind-data --chmod --bind-fd --ro-bind-fd", oArg2,
		"--overlay", oArg3), 0)

	// Project environments: bundle exec, poetry/uv/pipenv/conda run, npm/
	// pnpm/yarn exec.
	specs["bundle"] = &progSpec{long: longs("--verbose --no-color", oFlag, "--retry", oArg),
		operands: subOps(map[string]*progSpec{"exec": wrap(nil, longs("--keep-file-descriptors", oFlag, "--gemfile", oArg), 0)})}
	specs["poetry"] = &progSpec{short: shorts("vqnh", "CP", ""), long: longs("--directory --project", oArg, "--no-ansi --ansi --no-interaction --quiet --verbose --no-plugins --no-cache", oFlag),
		operands: subOps(map[string]*progSpec{"run": wrap(nil, nil, 0)})}
	specs["pipenv"] = &progSpec{long: longs("--python", oArg, "--verbose --quiet", oFlag), operands: subOps(map[string]*progSpec{"run": wrap(nil, nil, 0)})}
	uvRun := wrap(shorts("qvnUmsh", "pCPfiw", ""), longs("--extra --group --with --with-editable --with-requirements --python --package --env-file --directory --project --index --default-index --index-url --extra-index-url --find-links --upgrade-package --reinstall-package --no-binary-package --no-build-package --config-setting --python-platform --exclude-newer --link-mode --resolution --prerelease --cache-dir --config-file --color --allow-insecure-host --refresh-package --keyring-provider --index-strategy --no-group --only-group --from", oArg,
		"--quiet --verbose --no-sync --frozen --locked --isolated --no-dev --all-extras --no-project --active --no-env-file --module --script --offline --no-cache --native-tls --upgrade --refresh --no-config --all-packages --gui-script", oFlag), 0)
	specs["uv"] = &progSpec{short: shorts("qvn", "", ""), long: longs("--directory --project --cache-dir --config-file --color", oArg, "--quiet --verbose --offline --no-cache --native-tls --no-config", oFlag),
		operands: subOps(map[string]*progSpec{"run": uvRun, "tool": {operands: subOps(map[string]*progSpec{"run": uvRun})}})}
	specs["uvx"] = uvRun
	condaRun := wrap(shorts("v", "np", ""), longs("--name --prefix --cwd", oArg, "--live-stream --no-capture-output --debug-wrapper-scripts", oFlag), 0)
	for _, n := range []string{"conda", "mamba", "micromamba"} {
		specs[n] = &progSpec{operands: subOps(map[string]*progSpec{"run": condaRun})}
	}
	npmExec := &progSpec{short: with(shorts("yg", "w", "c"), "p", oArg), long: longs("--call", oCode, "--package --workspace", oArg, "--yes --no --workspaces --include-workspace-root", oFlag),
		shellLine: true, permute: true, operands: wrapperOps(0)}
	runScript := &progSpec{permute: true, operands: scriptNameOps}
	specs["npm"] = &progSpec{short: shorts("gy", "w", ""), long: longs("--prefix --workspace --userconfig --cache --registry", oArg, "--global --yes --workspaces", oFlag),
		operands: subOps(map[string]*progSpec{"exec": npmExec, "x": npmExec, "run": runScript, "run-script": runScript})}
	pnpmExec := &progSpec{short: shorts("r", "", ""), long: longs("--filter --workspace-concurrency --package", oArg, "--recursive --parallel --no-bail --report-summary --resume-from", oFlag),
		permute: false, operands: pnpmExecOps}
	specs["pnpm"] = &progSpec{short: shorts("r", "C", ""), long: longs("--filter --dir --workspace-concurrency", oArg, "--recursive --silent", oFlag),
		operands: subOps(map[string]*progSpec{"exec": pnpmExec, "dlx": pnpmExec, "run": runScript})}
	specs["yarn"] = &progSpec{long: longs("--cwd", oArg, "--silent --verbose", oFlag),
		operands: subOps(map[string]*progSpec{"exec": wrap(nil, nil, 0), "dlx": wrap(shorts("q", "p", ""), longs("--package", oArg, "--quiet", oFlag), 0), "run": wrap(nil, nil, 0), "node": selfSpec})}

	// Terminal multiplexers: their arguments are tmux/screen commands
	// (run-shell, send-keys, new-window "cmd") and shell command lines.
	specs["tmux"] = &progSpec{custom: allTemplatedJoined("tmux commands and the shell commands they run")}
	specs["screen"] = &progSpec{short: with(shorts("dmDRraAxqOiUlLXwfnN", "SthepT", ""), "s", oProg, "c", oLoad), operands: screenOps}
	specs["nix-shell"] = &progSpec{custom: nixShellCustom}

	// More interpreters and programs that take code.
	for _, n := range []string{"hush", "msh", "lash"} {
		specs[n] = specs["ash"]
		shellNames[n] = true
	}
	specs["ts-node"] = &progSpec{short: with(shorts("ivhTHp", "OPCD", "e"), "r", oLoad),
		long: longs("--eval", oCode, "--require", oLoad, "--compiler-options --project --compiler --ignore-diagnostics --cwd --scope-dir --ignore --dir", oArg,
			"--print --interactive --transpile-only --type-check --files --pretty --skip-project --skip-ignore --esm --swc --emit --version --help --show-config --cwd-mode --script-mode --log-error --prefer-ts-exts --scope", oFlag),
		operands: nodeOps}
	for _, n := range []string{"ts-node-esm", "ts-node-script", "ts-node-cwd", "ts-node-transpile-only"} {
		specs[n] = specs["ts-node"]
	}
	specs["tsx"] = specs["node"]
	for _, n := range []string{"vim", "vi", "nvim", "ex", "view", "gvim", "vimdiff", "rvim", "rview", "evim", "gview", "vimx", "nvi"} {
		specs[n] = &progSpec{custom: vimCustom}
	}
	specs["gdb"] = &progSpec{singleDash: true, long: longs(
		"-ex -eval-command -iex -init-eval-command -x -command -ix -init-command", oLoad,
		"-p -pid -c -core -s -symbols -e -exec -se -d -directory -cd -tty -i -interpreter -b -l -D -data-directory", oArg,
		"-batch -batch-silent -q -quiet -silent -nx -n -nh -nw -tui -write -readnow -readnever -statistics -return-child-result -configuration -version -help -dbx -w", oFlag,
		"-args", oEnd), operands: debuggerOps}
	specs["lldb"] = &progSpec{short: with(shorts("bxXQwhv", "npcafl", ""), "oOkKsS", oLoad), long: longs(
		"--one-line --one-line-before-file --one-line-on-crash --source --source-before-file --source-on-crash --source-quietly", oLoad,
		"--attach-name --attach-pid --core --arch --file --script-language --repl-language", oArg,
		"--batch --no-lldbinit --wait-for --help --version --repl --debug", oFlag), operands: debuggerOps}
	specs["dc"] = &progSpec{short: with(shorts("hV", "", ""), "ef", oLoad), long: longs("--expression --file", oLoad, "--help --version", oFlag), operands: dcOps}
	specs["at"] = &progSpec{short: shorts("mMlrdvcbKVh", "qt", "f"), operands: atOps}
	specs["batch"] = specs["at"]
}

// subOps: the first operand names a subcommand; subs maps it to the spec
// that parses the rest. A subcommand not listed is read as an unknown
// program's arguments (unknownScan); a templated one chooses what runs.
func subOps(subs map[string]*progSpec) func(*argvScan, *parseState) {
	return func(s *argvScan, p *parseState) {
		if len(p.ops) == 0 {
			return
		}
		k := p.ops[0]
		if s.tmpl(k) {
			s.add(k, p.name+" (the subcommand)", kindProgram, p.prog)
			return
		}
		label := p.name + " " + s.argv[k]
		sp := subs[s.argv[k]]
		switch {
		case sp == nil:
			s.unknownScanAs(k, label)
		case sp == selfSpec:
			s.program(k)
		default:
			q := newState(p.prog, label)
			q.shellLine = sp.shellLine
			s.parse(sp, k+1, q)
		}
	}
}

// containerRunOps: run IMAGE [COMMAND…]: the command, or --entrypoint
// with the command as its arguments. With no command and -i, the image's
// own command reads standard input.
func containerRunOps(s *argvScan, p *parseState) {
	if len(p.ops) == 0 {
		return
	}
	entry := p.vals["--entrypoint"]
	if entry != "" && !templated(entry) {
		argv := append([]string{entry}, s.argv[p.ops[0]+1:]...)
		idx := append([]int{s.idx[p.prog]}, s.idx[p.ops[0]+1:]...)
		s.sub(argv, idx).program(0)
		return
	}
	if len(p.ops) == 1 {
		if p.seen["i"] || p.seen["--interactive"] {
			s.readsStdin(p, "-i with no command: the image's command reads standard input")
		}
		return
	}
	s.program(p.ops[1])
}

// scriptNameOps: npm run SCRIPT [-- ARGS]: the payload must not choose the
// script; npm quotes the arguments it appends to the script's line.
func scriptNameOps(s *argvScan, p *parseState) {
	if len(p.ops) > 0 {
		s.add(p.ops[0], p.name+" (the script it runs)", kindProgram, p.prog)
	}
}

// pnpmExecOps: pnpm exec COMMAND, or with -c (--shell-mode) a shell line.
func pnpmExecOps(s *argvScan, p *parseState) {
	if len(p.ops) == 0 {
		return
	}
	if p.seen["c"] || p.seen["--shell-mode"] {
		joinedOps(0, "joined into a shell command")(s, p)
		return
	}
	s.program(p.ops[0])
}

// setarchCustom: setarch ARCH [options] [PROGRAM [ARG…]]; linux32 and
// linux64 take no ARCH. With no program it runs /bin/sh.
func setarchCustom(s *argvScan, prog int) {
	k := prog + 1
	if progName(s.argv[prog]) == "setarch" && k < len(s.argv) && !strings.HasPrefix(s.argv[k], "-") {
		k++
	}
	s.parse(setarchSpec, k, newState(prog, s.label(prog)))
}

var setarchSpec = &progSpec{short: shorts("vRFZLXBIST3h", "", ""), long: longs("--verbose --addr-no-randomize --fdpic-funcptrs --mmap-page-zero --addr-compat-layout --read-implies-exec --32bit --short-inode --whole-seconds --sticky-timeouts --3gb --4gb --uname-2.6 --help --version --list", oFlag),
	operands: shellWrapOps(0)}

// capshCustom: capsh [--OPTION=…]… [-- ARGS | == ARGS]: after "--" the ARGS
// go to /bin/bash (or --shell=), after "==" to capsh again.
func capshCustom(s *argvScan, prog int) {
	name := s.label(prog)
	shell := "/bin/bash"
	for k := prog + 1; k < len(s.argv); k++ {
		a := s.argv[k]
		if s.tmpl(k) {
			pre, _, _ := strings.Cut(a, "{{")
			switch {
			case strings.HasPrefix(pre, "--shell="):
				s.add(k, name+" --shell (the program it runs)", kindProgram, prog)
			case !strings.Contains(pre, "="):
				s.add(k, name+" (the payload would choose the option)", kindOption, prog)
			}
			continue
		}
		if v, ok := strings.CutPrefix(a, "--shell="); ok {
			shell = v
			continue
		}
		if a == "--" || a == "==" {
			head := shell
			if a == "==" {
				head = s.argv[prog]
			}
			argv := append([]string{head}, s.argv[k+1:]...)
			idx := append([]int{s.idx[k]}, s.idx[k+1:]...)
			s.sub(argv, idx).program(0)
			return
		}
	}
}

// allTemplatedJoined: every templated argument is code (tmux).
func allTemplatedJoined(what string) func(*argvScan, int) {
	return func(s *argvScan, prog int) {
		for k := prog + 1; k < len(s.argv); k++ {
			s.add(k, s.label(prog)+" ("+what+")", kindJoined, prog)
		}
	}
}

// screenOps: screen [options] [PROGRAM [ARG…]] runs PROGRAM; with -X the
// operands are screen commands (stuff types into a shell).
func screenOps(s *argvScan, p *parseState) {
	if p.seen["X"] {
		allCodeOps("screen commands")(s, p)
		return
	}
	if len(p.ops) > 0 {
		s.program(p.ops[0])
	}
}

// nixShellCustom: --run/--command are shell command lines; -E/--expr,
// --arg NAME EXPR, -p PACKAGES, --option and the file operands are Nix
// expressions or settings (builtins.exec, build hooks): code. Only
// --argstr NAME VALUE passes a string. With neither --run nor --command
// it starts an interactive shell, which reads standard input.
func nixShellCustom(s *argvScan, prog int) {
	name := s.label(prog)
	run := false
	for k := prog + 1; k < len(s.argv); k++ {
		switch a := s.argv[k]; a {
		case "--argstr":
			k += 2
			continue
		case "--run", "--command":
			run = true
			if k+1 < len(s.argv) && !s.tmpl(k+1) {
				s.shellLine(k+1, s.argv[k+1], name+" "+a)
			}
		}
		s.add(k, name+" (shell commands and Nix expressions)", kindJoined, prog)
	}
	if !run {
		s.readsStdin(newState(prog, name), "no --run: the shell it starts reads standard input")
	}
}

// nodeOps: node -p (--print) is a flag; with no -e the first operand is
// the code it prints, else the script file.
func nodeOps(s *argvScan, p *parseState) {
	if (p.seen["p"] || p.seen["--print"]) && !p.code {
		if len(p.ops) == 0 {
			s.readsStdin(p, "script on stdin")
			return
		}
		s.add(p.ops[0], p.name+" -p", kindCode, p.prog)
		return
	}
	scriptOps(s, p)
}

// vimCustom: vim, nvim, ex: -c CMD, --cmd CMD, +CMD and -S FILE are Ex
// commands (:!cmd runs a shell); -u/-U load rc files, -s reads keys from
// a file, nvim -l runs Lua. vim takes keys or Ex commands from standard
// input when it is not a terminal, unless an operand is "-" (text).
func vimCustom(s *argvScan, prog int) {
	name := s.label(prog)
	textStdin, opts := false, true
	codeArg := func(o string) bool {
		switch o {
		case "--cmd", "--remote-send", "--remote-expr":
			return true
		}
		return len(o) >= 2 && o[0] == '-' && o[1] != '-' && strings.ContainsAny(o[len(o)-1:], "cSuUsl")
	}
	for k := prog + 1; k < len(s.argv); k++ {
		a := s.argv[k]
		pre, _, _ := strings.Cut(a, "{{")
		switch {
		case !opts:
			if a == "-" {
				textStdin = true
			}
		case a == "--":
			opts = false
		case a == "-":
			textStdin = true
		case strings.HasPrefix(pre, "+"):
			s.add(k, name+" +cmd", kindCode, prog)
		case s.tmpl(k) && strings.HasPrefix(pre, "-"):
			s.add(k, name+" "+pre+" (an option and its value)", kindCode, prog)
		case codeArg(a):
			// The next element is code, unless it is an option itself
			// (vim -es -c …: -s is silent mode there).
			n := s.at(k + 1)
			if s.tmpl(k + 1) {
				s.add(k+1, name+" "+a, kindCode, prog)
				k++
			} else if n != "" && n[0] != '-' && n[0] != '+' {
				if stdinPath(n) {
					s.readsStdin(newState(prog, name), a+" "+n+" reads code from standard input")
				}
				k++
			}
		}
	}
	if !textStdin {
		s.readsStdin(newState(prog, name), "keys or Ex commands on stdin")
	}
}

// debuggerOps: gdb/lldb load (and with run, start) the program operand;
// without -batch they read commands from standard input.
func debuggerOps(s *argvScan, p *parseState) {
	if len(p.ops) > 0 {
		s.program(p.ops[0])
	}
	for _, b := range []string{"-batch", "--batch", "-batch-silent", "--batch-silent", "b"} {
		if p.seen[b] {
			return
		}
	}
	s.readsStdin(p, "commands on stdin")
}

// dcOps: every operand of dc is a file of dc code (! runs a shell
// command); with no -e, -f or operand it reads code from standard input.
func dcOps(s *argvScan, p *parseState) {
	given := p.seen["e"] || p.seen["f"] || p.seen["--expression"] || p.seen["--file"]
	if !given && len(p.ops) == 0 {
		s.readsStdin(p, "code on stdin")
	}
	for _, k := range p.ops {
		if !s.tmpl(k) && stdinPath(s.argv[k]) {
			s.readsStdin(p, "code on stdin")
		}
		s.add(k, p.name+" (file of code)", kindScript, p.prog)
	}
}

// atOps: at TIME reads the job's shell commands from standard input
// unless -f FILE.
func atOps(s *argvScan, p *parseState) {
	if !p.code {
		s.readsStdin(p, "job commands on stdin")
	}
}

// yqOps: yq [eval|e|eval-all|ea] EXPRESSION FILE…: the expression after
// the subcommand (mikefarah yq v4), or the first operand, is code.
func yqOps(s *argvScan, p *parseState) {
	if p.code || len(p.ops) == 0 {
		return
	}
	first := p.ops[0]
	if !s.tmpl(first) {
		switch s.argv[first] {
		case "eval", "e", "eval-all", "ea":
			if len(p.ops) > 1 {
				s.add(p.ops[1], p.name+" "+s.argv[first]+" (expression)", kindCode, p.prog)
			}
			return
		}
	}
	s.add(first, p.name+" (expression)", kindCode, p.prog)
}

// scriptCmdOps: script [FILE] with no -c runs an interactive shell, which
// reads standard input.
func scriptCmdOps(s *argvScan, p *parseState) {
	if !p.code {
		s.readsStdin(p, "no -c: the shell it starts reads standard input")
	}
}

// sshOps: ssh [options] HOST [COMMAND…]: the operands after the host are
// joined into the remote shell's command line; a literal one is split and
// analysed for what reads standard input (ssh host "bash -s"). With -n or
// -N standard input is not forwarded.
func sshOps(s *argvScan, p *parseState) {
	if p.seen["n"] || p.seen["N"] || p.seen["f"] {
		for n, k := range p.ops {
			if n >= 1 {
				s.add(k, p.name+" (remote command)", kindJoined, p.prog)
			}
		}
		return
	}
	joinedOps(1, "remote command")(s, p)
	if len(p.ops) < 2 {
		return
	}
	var line []string
	for _, k := range p.ops[1:] {
		if s.tmpl(k) {
			return
		}
		line = append(line, s.argv[k])
	}
	s.shellLine(p.ops[1], strings.Join(line, " "), p.name+" (remote command)")
}
