package shell

import (
	"strings"
)

// The programs the argv guard knows: their options and operands
// (argvguard.go parses with them).

func shorts(flags, args, code string) map[byte]optKind {
	m := map[byte]optKind{}
	for i := 0; i < len(flags); i++ {
		m[flags[i]] = oFlag
	}
	for i := 0; i < len(args); i++ {
		m[args[i]] = oArg
	}
	for i := 0; i < len(code); i++ {
		m[code[i]] = oCode
	}
	return m
}

func longs(kv ...any) map[string]optKind {
	m := map[string]optKind{}
	for i := 0; i+1 < len(kv); i += 2 {
		for _, n := range strings.Fields(kv[i].(string)) {
			m[n] = kv[i+1].(optKind)
		}
	}
	return m
}

func with(m map[byte]optKind, kv ...any) map[byte]optKind {
	for i := 0; i+1 < len(kv); i += 2 {
		for _, c := range []byte(kv[i].(string)) {
			m[c] = kv[i+1].(optKind)
		}
	}
	return m
}

var envSpec = &progSpec{
	short: with(shorts("i0v", "uC", ""), "S", oSplit),
	long: longs("--ignore-environment --null --debug --list-signal-handling --help --version", oFlag,
		"--unset --chdir", oArg, "--split-string", oSplit,
		"--block-signal --default-signal --ignore-signal", oOpt),
}

var (
	specs      = map[string]*progSpec{}
	shellNames = map[string]bool{}
)

func init() {
	shell := func(long map[string]optKind) *progSpec {
		if long == nil {
			long = map[string]optKind{}
		}
		return &progSpec{short: shorts("", "oO", ""), long: long, unknownShortIsFlag: true, plus: true, operands: shellOps}
	}
	bashLong := longs("--rcfile --init-file", oLoad, "--norc --noprofile --login --posix --restricted --verbose --version --help --debugger --dump-strings --dump-po-strings --noediting --pretty-print", oFlag)
	for _, n := range []string{"sh", "dash", "ash", "ksh", "mksh", "pdksh", "oksh", "yash", "posh", "csh", "tcsh", "zsh"} {
		specs[n] = shell(nil)
		shellNames[n] = true
	}
	specs["ksh"].short['R'] = oArg // ksh93 -R FILE (cross-reference database)
	for _, n := range []string{"bash", "rbash"} {
		specs[n] = shell(bashLong)
		shellNames[n] = true
	}
	specs["fish"] = &progSpec{short: with(shorts("ilnPvh", "dopf", "c"), "C", oLoad), long: longs("--command", oCode, "--init-command", oLoad,
		"--debug --debug-output --profile --profile-startup --features", oArg,
		"--interactive --login --no-execute --private --version --help --no-config --print-rusage-self --print-debug-categories", oFlag), operands: scriptOps}
	specs["pwsh"] = &progSpec{custom: pwshCustom}
	specs["powershell"] = specs["pwsh"]
	specs["pwsh-preview"] = specs["pwsh"]

	py := &progSpec{short: with(shorts("bBdEhiIOPqsSuvVxR", "WX", ""), "cm", oCodeEnd),
		long: longs("--check-hash-based-pycs", oArg, "--help --version --help-env --help-xoptions --help-all", oFlag), operands: scriptOps}
	for _, n := range []string{"python", "pypy", "pypy3", "python2", "python3"} {
		specs[n] = py
	}
	specs["perl"] = &progSpec{short: with(shorts("acnpsStTuUvwWXhgf", "", "eE"), "ixCdD", oOpt, "l0", oDigits, "MmFI", oLoad), unknownShortIsFlag: true, operands: scriptOps}
	specs["ruby"] = &progSpec{short: with(shorts("acdlnpsSvwyhU", "CE", "e"), "ixW0KT", oOpt, "rIF", oLoad),
		long: longs("--eval", oCode, "--require", oLoad, "--encoding --external-encoding --internal-encoding --backtrace-limit --crash-report", oArg), operands: scriptOps}
	// node -p (--print) is a flag: -pe CODE is --print --eval CODE, and
	// -p CODE takes the first operand as code (nodeOps).
	node := &progSpec{short: with(shorts("ivchp", "C", "e"), "r", oLoad),
		long: longs("--eval", oCode, "--print", oFlag, "--require --import --loader --experimental-loader --env-file --env-file-if-exists --experimental-config-file", oLoad,
			"--conditions --title --input-type --stack-size --max-old-space-size --inspect-port --disable-warning --redirect-warnings --heapsnapshot-signal --diagnostic-dir --report-dir --report-filename --cpu-prof-dir --cpu-prof-name --test-reporter --test-reporter-destination --watch-path --run", oArg,
			"--inspect --inspect-brk --debug-port", oOpt,
			"--interactive --check --version --help --test --watch --no-warnings --trace-warnings --enable-source-maps --experimental-strip-types --no-deprecation --expose-gc --abort-on-uncaught-exception --preserve-symlinks --pending-deprecation --trace-uncaught", oFlag),
		operands: nodeOps}
	specs["node"], specs["nodejs"] = node, node
	specs["deno"] = &progSpec{short: shorts("Aqh", "", ""), long: longs("--eval", oCode), permute: false, operands: subcommandOps}
	specs["bun"] = &progSpec{short: with(shorts("hv", "", "ep"), "r", oLoad), long: longs("--eval --print", oCode, "--preload --require --import --env-file --config", oLoad, "--cwd", oArg), operands: subcommandOps}
	specs["npx"] = &progSpec{short: with(shorts("yq", "", "c"), "p", oLoad), long: longs("--call", oCode, "--package", oLoad, "--yes --no --quiet", oFlag), operands: npxOps}
	specs["bunx"], specs["pnpx"] = specs["npx"], specs["npx"]
	specs["php"] = &progSpec{short: with(shorts("ahHilmnqsvw", "", "rRFf"), "BEdcz", oLoad), long: longs("--run --process-code --process-file --file", oCode, "--process-begin --process-end --define --php-ini --zend-extension", oLoad), operands: scriptOps}
	lua := &progSpec{short: with(shorts("ivEW", "O", ""), "elbj", oLoad), operands: scriptOps}
	specs["lua"], specs["luajit"] = lua, lua
	awk := &progSpec{short: with(shorts("bcCdDgMnNOPrstSVhpLo", "vF", "feE"), "ilj", oLoad),
		long: longs("--file --source --exec", oCode, "--include --load", oLoad, "--assign --field-separator", oArg,
			"--dump-variables --profile --pretty-print --debug --lint", oOpt), permute: false, operands: programTextOps("program text")}
	for _, n := range []string{"awk", "gawk", "mawk", "nawk", "busybox-awk", "original-awk", "goawk"} {
		specs[n] = awk
	}
	specs["sed"] = &progSpec{short: with(shorts("nrEsuzhV", "l", "ef"), "i", oOpt),
		long: longs("--expression --file", oCode, "--line-length", oArg, "--in-place --follow-symlinks", oOpt,
			"--quiet --silent --regexp-extended --separate --unbuffered --null-data --debug --posix --sandbox --help --version", oFlag),
		permute: true, operands: programTextOps("script")}
	specs["gsed"] = specs["sed"]
	specs["jq"] = &progSpec{short: with(shorts("nrjacCSeshV", "", "f"), "L", oLoad),
		long: longs("--from-file", oCode, "--indent", oArg, "--arg --argjson --slurpfile --rawfile", oArg2,
			"--null-input --raw-output --join-output --ascii-output --compact-output --color-output --monochrome-output --sort-keys --tab --slurp --exit-status --seq --stream --args --jsonargs --raw-input --raw-output0 --help --version", oFlag),
		permute: true, operands: programTextOps("filter")}
	specs["gojq"], specs["jaq"] = specs["jq"], specs["jq"]
	// yq: mikefarah's (yq eval|e|eval-all|ea EXPRESSION FILE, -s/--split-exp
	// EXPRESSION) and kislyuk's (jq's options) in one.
	specs["yq"] = &progSpec{short: with(shorts("nrjacCSehVPiMNvyYxt0", "opIw", "sf"), "L", oLoad),
		long: longs("--from-file --split-exp --expression", oCode, "--arg --argjson --slurpfile --rawfile", oArg2,
			"--indent --output-format --input-format --front-matter --xml-attribute-prefix --xml-content-name --xml-proc-inst-prefix --xml-directive-name --lua-prefix --lua-suffix --properties-separator --csv-separator --width", oArg,
			"--inplace --in-place --null-input --exit-status --unwrapScalar --prettyPrint --colors --no-colors --no-doc --verbose --raw-output --header-preprocess --yaml-output --yaml-roundtrip --xml-output --toml-output --indentless-lists --nul-output", oFlag),
		permute: true, operands: yqOps}
	specs["tclsh"] = &progSpec{long: longs("-encoding", oArg, "-c", oCode), singleDash: true, operands: scriptOps}
	specs["wish"] = specs["tclsh"]
	specs["expect"] = &progSpec{short: with(shorts("dDinNbv", "", "f"), "c", oLoad), operands: scriptOps}
	specs["osascript"] = &progSpec{short: shorts("i", "ls", "e"), operands: scriptOps}
	rs := &progSpec{short: shorts("hsqv", "d", "ef"), long: longs("--file", oCode, "--default-packages --encoding", oArg,
		"--vanilla --no-save --save --no-restore --quiet --silent --slave --no-environ --no-site-file --no-init-file --verbose --args --interactive --help --version", oFlag), operands: scriptOps}
	specs["rscript"], specs["r"] = rs, rs
	specs["sqlite3"] = &progSpec{long: longs("-cmd -init", oLoad,
		"-separator -newline -nullvalue -vfs -mmap -pagecache -lookaside -heap -maxsize -escape -zip", oArg,
		"-append -ascii -bail -batch -box -column -csv -deserialize -echo -header -noheader -html -interactive -json -line -list -markdown -memtrace -nofollow -readonly -safe -stats -table -tabs -version -help -quote -unsafe-testing -A", oFlag),
		singleDash: true, operands: sqliteOps}
	specs["psql"] = &progSpec{short: with(shorts("aAbeEHlnqsSxXw1W", "dhpUFPRTL", "cf"), "ov", oLoad), long: longs("--command --file", oCode, "--output --variable --set", oLoad,
		"--dbname --host --port --username --field-separator --pset --record-separator --table-attr --log-file", oArg), permute: true, operands: sqlStdinOps}
	specs["mysql"] = &progSpec{short: with(shorts("BsNntvVEHXrkiqfwcC", "DhuPSOTA", "e"), "p", oOpt), long: longs("--execute", oCode, "--init-command --init-command-add --pager --plugin-dir --defaults-file --defaults-extra-file --load-data-local-dir --tee", oLoad,
		"--database --host --user --port --socket --default-character-set --ssl-ca --ssl-cert --ssl-key --connect-timeout --protocol --login-path", oArg,
		"--password", oOpt), permute: true, operands: sqlStdinOps}
	specs["mariadb"] = specs["mysql"]
	specs["ssh"] = &progSpec{short: with(shorts("46AaCfGgKkMNnqsTtVvXxYy", "BbcDEeIiJLlmOpPQRSWw", ""), "oF", oLoad), permute: true, stopAfter: 2,
		operands: sshOps}
	specs["autossh"] = specs["ssh"]
	specs["rsync"] = &progSpec{short: with(shorts("vqcarRbudLlkKHpEAXogDtOJSnWxCIyhPzFm8", "TB", ""), "e", oLoad), long: longs("--rsh --rsync-path", oLoad, "--info --debug", oArg,
		"--temp-dir --block-size --compare-dest --copy-dest --link-dest --partial-dir --exclude --include --exclude-from --include-from --files-from --filter --chmod --chown --usermap --groupmap --timeout --contimeout --port --password-file --log-file --log-file-format --out-format --bwlimit --max-size --min-size --max-delete --modify-window --suffix --backup-dir --compress-level --compress-choice --checksum-choice --sockopts --address --iconv --outbuf --remote-option", oArg), permute: true}
	specs["git"] = &progSpec{short: with(shorts("hpPv", "C", ""), "c", oLoad), long: longs("--config-env --exec-path", oLoad,
		"--git-dir --work-tree --namespace --super-prefix --list-cmds --attr-source", oArg,
		"--paginate --no-pager --no-replace-objects --bare --literal-pathspecs --glob-pathspecs --noglob-pathspecs --icase-pathspecs --no-optional-locks --help --version --html-path --man-path --info-path", oFlag),
		operands: gitOps}
	specs["make"] = &progSpec{short: with(shorts("bBdeiknpqrRsStvwL", "CIjloW", ""), "fE", oLoad), long: longs("--file --makefile --eval", oLoad,
		"--directory --include-dir --jobs --load-average --old-file --what-if --assume-new --assume-old --new-file --debug --output-sync", oOpt), permute: true, operands: makeOps}
	specs["gmake"], specs["bmake"] = specs["make"], specs["make"]

	// Wrappers: options, then (pos operands of their own and) a program.
	wrap := func(short map[byte]optKind, long map[string]optKind, pos int) *progSpec {
		return &progSpec{short: short, long: long, operands: wrapperOps(pos)}
	}
	specs["env"] = &progSpec{custom: envCustom}
	specs["timeout"] = wrap(shorts("v", "sk", ""), longs("--signal --kill-after", oArg, "--foreground --preserve-status --verbose", oFlag), 1)
	specs["nice"] = wrap(with(shorts("", "n", ""), "0123456789", oFlag), longs("--adjustment", oArg), 0)
	specs["nohup"] = wrap(nil, nil, 0)
	specs["setsid"] = wrap(shorts("cfw", "", ""), longs("--ctty --fork --wait", oFlag), 0)
	specs["stdbuf"] = wrap(shorts("", "ioe", ""), longs("--input --output --error", oArg), 0)
	specs["busybox"] = wrap(nil, nil, 0)
	specs["toybox"] = specs["busybox"]
	specs["xargs"] = &progSpec{short: with(shorts("0prtx", "aEILnPsd", ""), "eil", oOpt),
		long: longs("--arg-file --delimiter --max-args --max-procs --max-chars --process-slot-var", oArg,
			"--eof --replace --max-lines", oOpt, "--null --interactive --no-run-if-empty --verbose --exit --open-tty --show-limits", oFlag), operands: xargsOps}
	specs["ionice"] = wrap(shorts("tPpu", "cn", ""), longs("--class --classdata", oArg, "--ignore --pid --pgid --uid", oFlag), 0)
	specs["chroot"] = &progSpec{long: longs("--userspec --groups", oArg, "--skip-chdir", oFlag), operands: shellWrapOps(1)}
	specs["chrt"] = wrap(shorts("abdefiomprRv", "TPD", ""), longs("--sched-runtime --sched-period --sched-deadline", oArg, "--all-tasks --batch --deadline --fifo --idle --other --rr --reset-on-fork --verbose --max --pid", oFlag), 1)
	specs["taskset"] = wrap(shorts("acp", "", ""), longs("--all-tasks --cpu-list --pid", oFlag), 1)
	specs["flock"] = &progSpec{short: shorts("sexunoFV", "wE", "c"), long: longs("--command", oCode, "--timeout --wait --conflict-exit-code", oArg,
		"--shared --exclusive --unlock --nonblock --nb --close --no-fork --verbose", oFlag), shellLine: true, operands: flockOps}
	specs["nsenter"] = wrap(with(shorts("FZ", "tSG", ""), "muinpUCTrw", oOpt), longs("--target --setuid --setgid --env", oArg,
		"--mount --uts --ipc --net --pid --user --cgroup --time --root --wd", oOpt, "--all --preserve-credentials --no-fork --follow-context", oFlag), 0)
	specs["nsenter"].operands = shellWrapOps(0)
	specs["unshare"] = wrap(shorts("muinpUCTfrc", "RwSGl", ""), longs("--root --wd --setuid --setgid --propagation --setgroups --map-user --map-group --map-users --map-groups --kill-child --load-interp", oArg,
		"--mount --uts --ipc --net --pid --user --cgroup --time --mount-proc --monotonic --boottime", oOpt, "--fork --map-root-user --map-current-user --keep-caps", oFlag), 0)
	specs["unshare"].operands = shellWrapOps(0)
	specs["time"] = wrap(shorts("apqv", "fo", ""), longs("--format --output", oArg, "--append --portability --verbose --quiet", oFlag), 0)
	specs["command"] = wrap(shorts("pvV", "", ""), nil, 0)
	specs["exec"] = wrap(shorts("cl", "a", ""), nil, 0)
	specs["builtin"] = wrap(nil, nil, 0)
	sudo := &progSpec{short: shorts("AbBEeHiKklnNPSsVv", "ugCDhpRrtTU", ""),
		long: longs("--user --group --close-from --chdir --host --prompt --chroot --role --type --command-timeout --other-user", oArg,
			"--preserve-env", oOpt, "--shell --login --edit --askpass --background --bell --non-interactive --preserve-groups --reset-timestamp --remove-timestamp --stdin --set-home --list --validate --version --help", oFlag),
		operands: sudoOps}
	specs["sudo"] = sudo
	specs["doas"] = wrap(shorts("ns", "uC", ""), nil, 0)
	specs["pkexec"] = wrap(nil, longs("--user", oArg, "--disable-internal-agent --keep-cwd", oFlag), 0)
	su := &progSpec{short: with(shorts("lmpfPT", "gGw", "c"), "s", oProg), long: longs("--command --session-command", oCode, "--shell", oProg,
		"--group --supp-group --whitelist-environment", oArg, "--login --preserve-environment --pty --fast", oFlag), permute: true, shellLine: true, operands: suOps}
	specs["su"] = su
	specs["runuser"] = &progSpec{short: with(shorts("lmpfPT", "gGwu", "c"), "s", oProg), long: longs("--command --session-command", oCode, "--shell", oProg,
		"--group --supp-group --whitelist-environment --user", oArg, "--login --preserve-environment --pty --fast", oFlag), permute: true, shellLine: true, operands: runuserOps}
	specs["sg"] = &progSpec{short: shorts("", "", ""), operands: sgOps}
	specs["watch"] = &progSpec{short: with(shorts("bcCegtwxprfh", "nq", ""), "d", oOpt), long: longs("--interval --equexit --shotsdir", oArg, "--differences", oOpt,
		"--beep --color --no-color --errexit --chgexit --no-title --no-wrap --exec --precise --no-rerun --follow --help --version", oFlag), operands: watchOps}
	specs["script"] = &progSpec{short: shorts("aefqhVk", "EOIBTt", "c"), long: longs("--command", oCode, "--echo --log-out --log-in --log-io --log-timing --logging-format --output-limit --timing", oArg,
		"--append --return --flush --force --quiet --help --version", oFlag), permute: true, shellLine: true, operands: scriptCmdOps}
	specs["systemd-run"] = wrap(shorts("GPqrth", "upEMHjdl", ""), longs("--unit --property --description --slice --setenv --machine --host --uid --gid --nice --working-directory --on-active --on-boot --on-startup --on-unit-active --on-unit-inactive --on-calendar --on-clock-change --on-timezone-change --path-property --socket-property --timer-property --service-type --expand-environment --json", oArg,
		"--user --system --scope --pty --pipe --quiet --remain-after-exit --wait --collect --send-sighup --no-block --no-ask-password --same-dir --shell --version --help --verbose", oFlag), 0)
	specs["systemd-run"].operands = shellWrapOps(0)
	specs["firejail"] = &progSpec{operands: shellWrapOps(0)}
	specs["strace"] = wrap(shorts("cCdDfFhiknqrtTvVxyzZwY", "eoOpsuaIbEPSXU", ""), nil, 0)
	specs["ltrace"] = wrap(shorts("bcCDfhiLrStTV", "eoOpusanlwxFA", ""), nil, 0)
	specs["valgrind"] = wrap(shorts("hvqd", "", ""), nil, 0)
	specs["faketime"] = wrap(shorts("fmh", "p", ""), longs("--exclude-monotonic --date-prog", oArg), 1)
	specs["eatmydata"] = wrap(nil, nil, 0)
	specs["tini"] = wrap(shorts("sgvwlh", "peo", ""), nil, 0)
	specs["dumb-init"] = wrap(shorts("cvhV", "r", ""), longs("--rewrite", oArg), 0)
	specs["fakeroot"] = wrap(with(shorts("uhv", "sib", ""), "l", oLoad), longs("--lib --faked", oLoad), 0)
	specs["setpriv"] = wrap(shorts("dh", "", ""), longs("--ruid --euid --rgid --egid --reuid --regid --groups --inh-caps --ambient-caps --bounding-set --securebits --pdeathsig --selinux-label --apparmor-profile --landlock-access --landlock-rule", oArg), 0)
	specs["prlimit"] = wrap(shorts("hVvo", "p", ""), nil, 0)
	specs["numactl"] = wrap(nil, nil, 0)
	specs["cgexec"] = wrap(nil, nil, 0)
	specs["sshpass"] = wrap(shorts("ehvV", "pfdP", ""), nil, 0)
	specs["torsocks"] = wrap(shorts("ih", "uPaf", ""), nil, 0)
	specs["proxychains"], specs["proxychains4"] = wrap(shorts("q", "f", ""), nil, 0), wrap(shorts("q", "f", ""), nil, 0)
	specs["unbuffer"] = wrap(shorts("p", "", ""), nil, 0)
	specs["dbus-run-session"] = wrap(nil, longs("--config-file --dbus-daemon", oArg), 0)
	specs["xvfb-run"] = wrap(shorts("ah", "eflnpsw", ""), nil, 0)
	specs["chpst"] = wrap(shorts("vPn0123", "uUbeo", ""), nil, 0)
	specs["s6-setuidgid"] = wrap(nil, nil, 1)
	specs["setuidgid"] = specs["s6-setuidgid"]
	specs["caffeinate"] = wrap(shorts("dimsu", "tw", ""), nil, 0)
	specs["ssh-agent"] = wrap(shorts("cdDks", "aEPt", ""), nil, 0)
	specs["find"] = &progSpec{custom: findCustom}
	specs["parallel"] = &progSpec{short: shorts("kquv", "jdSI", ""), operands: parallelOps}
	initLaunchers()
}
