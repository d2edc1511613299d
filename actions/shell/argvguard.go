package shell

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hookrunner/hookrunner/actions"
)

// guardCommand refuses, at load, every templated element of the command
// (and every templated env: value) that a program would read as code. Each
// problem carries its element path (command[3]) so the engine prefixes it
// with the rule and action.
//
// dir is the folder the command runs in: a program given by a relative
// path, or a link, is resolved from there (resolveProgram) so that a link
// to bash is read as bash.
func guardCommand(cfg ShellConfig, dir string) error {
	var errs actions.ConfigErrors
	found, stdin, over := analyse(cfg.Command, scanOpts{allowDash: cfg.AllowDash, stdinData: cfg.Stdin != "", resolve: resolveProgram(dir)})
	if over {
		errs.Add("command", "too many nested programs or unknown options to tell where a value would be read as code (more than %d readings or %d programs deep); put the pipeline in a script and pass the values to it as arguments", maxScanSteps, maxScanDepth)
	}
	for _, f := range found {
		errs.Add(fmt.Sprintf("command[%d]", f.Index), "%s", describeFinding(cfg.Command, f))
	}
	if cfg.Stdin != "" && stdin != "" {
		errs.Add("stdin", "%s reads code from standard input, so the event's data there would run as code; give the program a fixed script and pass the data as an argument or through env:", stdin)
	}
	names := make([]string, 0, len(cfg.Env))
	for k := range cfg.Env {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if templated(cfg.Env[k]) && dangerousEnv(k) {
			errs.Add("env."+k, "%q: programs read %s as code or as a program to run or load; pass the value under another variable name", cfg.Env[k], k)
		}
	}
	return errs.Err()
}

// checkDash refuses, at run time, a value that starts with "-" or "+" in
// an element that begins with a template: the program would read it as an
// option (-rf, --upload-pack=…, --help; shells take +c and +o, vim and less
// +cmd). An element that begins with literal text is never checked:
// "--ref={{ x }}" is one option with its value, and "refs/{{ x }}" cannot
// start with "-".
func (s *Shell) checkDash(i int, v string) error {
	if s.cfg.AllowDash || !strings.HasPrefix(s.cfg.Command[i], "{{") || !strings.HasPrefix(v, "-") && !strings.HasPrefix(v, "+") {
		return nil
	}
	shown := v
	if len(shown) > 40 {
		shown = shown[:40] + "…"
	}
	return fmt.Errorf("command[%d]: the value %q starts with %q and %s would read it as an option; refused (set allow_dash: true on the action if this element may carry options)", i, shown, v[:1], filepath.Base(s.cfg.Command[0]))
}

// The argv guard decides, when a shell action is loaded, whether a payload
// value could be read as code by the program the action runs. It parses the
// argv the way the program (and every wrapper in front of it: env, sudo,
// timeout, xargs, busybox, find -exec, …) will, and refuses each templated
// element that lands in a place the program interprets: a script given with
// -c/-e/--eval, the program text of awk/sed/jq, a script file path, the remote
// command of ssh, the command string of watch/su/sg/flock -c, the program
// position itself, an environment variable that programs execute
// (LD_PRELOAD, BASH_ENV, …). A templated element after the script (it becomes
// $1, sys.argv, ARGV) stays allowed.
//
// When the guard cannot tell how a program parses an option it is unsure
// about, it analyses both readings (a flag, an option with a value) and
// refuses what either reading would make code.
//
// Elements are "templated" when they contain "{{". With allow_dash off, a
// templated element that begins with a template cannot start with "-" at run
// time (Shell.render refuses it), so it is an operand, never an option; with
// allow_dash on, such an element in a place where the program still reads
// options is refused, since the payload could choose the option.

// argvFinding is one templated element a program would read as code.
type argvFinding struct {
	Index int
	// Reader names who reads the element and how: "bash -c",
	// "ssh (remote command)", "env (program position)".
	Reader string
	Kind   findingKind
	// Prog is the index of the program that reads it (for the safe form).
	Prog int
	// Behind names the program hookrunner does not know that the element
	// follows (unknownScan), "" when every program on the way is known.
	Behind string
}

type findingKind int

const (
	kindCode    findingKind = iota // read as program text
	kindScript                     // a script file path: the payload would choose the code
	kindProgram                    // the payload would choose the program
	kindOption                     // could become an option (allow_dash on)
	kindEnvName                    // the payload would choose an environment variable name
	kindEnvCode                    // an environment variable that programs execute
	kindJoined                     // joined into a shell command line
)

// optKind is how a program treats an option.
type optKind int

const (
	oFlag    optKind = iota
	oArg             // takes a value (attached or the next element); data
	oCode            // takes a value that is code
	oCodeEnd         // takes a value that is code; later elements are data (python -c)
	oLoad            // takes a value that is code (a module, a library, an rc file) but does not replace the script
	oOpt             // optional value, attached only (-i.bak, --in-place=.bak)
	oProg            // value is a program path (su -s)
	oSplit           // env -S: the value is split into a command line
	oEnd             // ends option parsing (later elements are operands)
	oDigits          // optional attached digits, then more letters (perl -l, -0)
	oArg2            // takes two values (jq --arg NAME VALUE); data
	oArg3            // takes three values (bwrap --overlay RW WORK DEST); data
)

// progSpec describes how one program parses its argv.
type progSpec struct {
	short map[byte]optKind
	// long options, keyed with their dashes ("--command", "-Command" for
	// single-dash long options).
	long map[string]optKind
	// unknownShortIsFlag: every short option not in short is a flag (POSIX
	// shells). Otherwise an unknown option is read both ways.
	unknownShortIsFlag bool
	// singleDash: "-name" is one long option (sqlite3, find).
	singleDash bool
	// plus: "+o" options (shells).
	plus bool
	// permute: options may follow operands (GNU getopt); stopAfter, when
	// set, ends option parsing once that many operands were seen.
	permute   bool
	stopAfter int
	// shellLine: its code options take a shell command line (su -c,
	// flock -c), split to find what reads standard input.
	shellLine bool
	operands  func(s *argvScan, p *parseState)
	custom    func(s *argvScan, prog int)
}

type parseState struct {
	prog    int
	name    string
	ops     []int
	seen    map[string]bool
	vals    map[string]string // the literal value of each option seen with one (xargs -I, docker --entrypoint)
	code    bool              // program text came from an option (-c, -e, -f)
	codeEnd bool
	branch  int
	// shellLine: code options take a shell command line (progSpec).
	shellLine bool
}

func newState(prog int, name string) *parseState {
	return &parseState{prog: prog, name: name, seen: map[string]bool{}, vals: map[string]string{}}
}

func (p *parseState) clone() *parseState {
	q := *p
	q.ops = append([]int(nil), p.ops...)
	q.seen = make(map[string]bool, len(p.seen))
	for k, v := range p.seen {
		q.seen[k] = v
	}
	q.vals = make(map[string]string, len(p.vals))
	for k, v := range p.vals {
		q.vals[k] = v
	}
	return &q
}

type argvScan struct {
	argv []string
	// idx is the original index of each element (env -S splits one into
	// many). A negative index marks an element that carries standard input
	// (xargs, stdinElem).
	idx []int
	scanOpts
	found map[int]argvFinding
	depth int
	// stdin names the program that reads its code from standard input
	// (sh with no script, python -, ssh with no remote command), if any.
	stdin *string
	// tried: elements unknownScan already looked at; done: elements
	// already analysed as a program (the analysis of argv[i:] does not
	// depend on who reached it, so it runs once).
	tried, done map[int]bool
	lim         *scanLimits
	// behind: the unknown program whose arguments are being analysed.
	behind string
	// feeder: who turns standard input into elements (xargs).
	feeder string
}

// scanOpts are what the guard knows beside the argv.
type scanOpts struct {
	allowDash bool
	// stdinData: stdin: carries event data (a template or body).
	stdinData bool
	// resolve returns the file a program name or path runs (a link
	// followed), "" when unknown. Nil in tests of the parser alone.
	resolve func(string) string
}

func (s *argvScan) readsStdin(p *parseState, what string) {
	if *s.stdin != "" {
		return
	}
	*s.stdin = p.name + " (" + what + ")"
	switch {
	case strings.HasPrefix(s.behind, "the command line of "):
		*s.stdin += ", in " + s.behind + ","
	case s.behind != "":
		*s.stdin += ", found among the arguments of " + s.behind + ","
	}
}

// sub is a scan of another argv (a split command line, find -exec …)
// sharing the findings.
func (s *argvScan) sub(argv []string, idx []int) *argvScan {
	return &argvScan{argv: argv, idx: idx, scanOpts: s.scanOpts, found: s.found, depth: s.depth + 1, stdin: s.stdin,
		tried: map[int]bool{}, done: map[int]bool{}, lim: s.lim, behind: s.behind, feeder: s.feeder}
}

// scanLimits bound the work of one analysis. Past them the command is
// refused (Over), never accepted half-read.
type scanLimits struct {
	steps int
	over  bool
}

const (
	maxScanSteps = 20000
	maxScanDepth = 32
)

// spend counts one step; false once the limits are passed.
func (s *argvScan) spend() bool {
	s.lim.steps++
	if s.lim.steps > maxScanSteps || s.depth > maxScanDepth {
		s.lim.over = true
	}
	return !s.lim.over
}

// analyseArgv returns the templated elements of argv that a program would
// read as code, by index.
func analyseArgv(argv []string, allowDash bool) []argvFinding {
	f, _, _ := analyse(argv, scanOpts{allowDash: allowDash})
	return f
}

// analyse also reports who would read code from standard input, and
// whether the argv was too involved to analyse within the limits.
func analyse(argv []string, o scanOpts) ([]argvFinding, string, bool) {
	idx := make([]int, len(argv))
	for i := range idx {
		idx[i] = i
	}
	var stdin string
	s := &argvScan{argv: argv, idx: idx, scanOpts: o, found: map[int]argvFinding{}, stdin: &stdin,
		tried: map[int]bool{}, done: map[int]bool{}, lim: &scanLimits{}}
	s.program(0)
	out := make([]argvFinding, 0, len(s.found))
	for _, f := range s.found {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out, stdin, s.lim.over
}

func templated(s string) bool { return strings.Contains(s, "{{") }

func (s *argvScan) tmpl(i int) bool { return i < len(s.argv) && templated(s.argv[i]) }

func (s *argvScan) add(i int, reader string, kind findingKind, prog int) {
	if i >= len(s.argv) || !templated(s.argv[i]) {
		return
	}
	oi := s.idx[i]
	if oi < 0 {
		s.stdinFinding(oi, reader)
		return
	}
	if _, dup := s.found[oi]; dup {
		return
	}
	s.found[oi] = argvFinding{Index: oi, Reader: reader, Kind: kind, Prog: s.idx[prog], Behind: s.behind}
}

// dashable: a whole-template element here could start with "-" at run time
// (allow_dash, or standard input that xargs turns into an argument).
func (s *argvScan) dashable(k int) bool { return s.allowDash || s.idx[k] < 0 }

// program analyses argv[i:] where argv[i] is the program run.
func (s *argvScan) program(i int) {
	if i >= len(s.argv) || s.done[i] || !s.spend() {
		return
	}
	s.done[i] = true
	s.depth++
	defer func() { s.depth-- }()
	if s.tmpl(i) {
		reader := "the program position"
		if i > 0 {
			reader = s.label(s.parentOf(i)) + " (the program it runs)"
		}
		s.add(i, reader, kindProgram, i)
		return
	}
	name := progName(s.argv[i])
	sp := specs[name]
	alt, altName := s.resolved(i, sp)
	if sp == nil && alt == nil {
		s.unknownScan(i)
		return
	}
	if sp != nil {
		s.run(sp, i, s.label(i))
	}
	if alt != nil {
		s.run(alt, i, s.label(i)+" ("+altName+")")
	}
}

func (s *argvScan) run(sp *progSpec, i int, label string) {
	if sp.custom != nil {
		sp.custom(s, i)
		return
	}
	p := newState(i, label)
	p.shellLine = sp.shellLine
	s.parse(sp, i+1, p)
}

// progName is the table key of a program: its base name, without a version
// suffix (python3.12, perl5.36, lua5.4, gawk-5.1, ksh93) or an ABI suffix
// after the version (python3.13t, python3.7m, python3.12d, python3-dbg).
func progName(p string) string {
	b := strings.ToLower(filepath.Base(p))
	b = strings.TrimSuffix(b, ".exe")
	if specs[b] != nil {
		return b
	}
	t := b
	for _, sfx := range []string{"-dbg", "_dbg", "-debug", "_d"} {
		t = strings.TrimSuffix(t, sfx)
	}
	if u := strings.TrimRight(t, "dmtu"); u != t && u != "" && u[len(u)-1] >= '0' && u[len(u)-1] <= '9' {
		t = u
	}
	t = strings.TrimRight(t, "0123456789.")
	t = strings.TrimSuffix(t, "-")
	if t != b && specs[t] != nil {
		return t
	}
	return b
}

// parse reads options from k on, then hands the operands to sp.operands.
func (s *argvScan) parse(sp *progSpec, k int, p *parseState) {
	if !s.spend() {
		return
	}
	var dash []int // whole-template elements read where options are
	for k < len(s.argv) {
		if sp.stopAfter > 0 && len(p.ops) >= sp.stopAfter || !sp.permute && len(p.ops) > 0 || p.codeEnd {
			break
		}
		a := s.argv[k]
		if a == "--" && !s.tmpl(k) {
			k++
			break
		}
		if s.tmpl(k) {
			pre, _, _ := strings.Cut(a, "{{")
			isOpt := strings.HasPrefix(pre, "-") || sp.plus && strings.HasPrefix(pre, "+")
			if !isOpt {
				if pre == "" && s.dashable(k) {
					dash = append(dash, k)
				}
				p.ops = append(p.ops, k)
				k++
				continue
			}
			k = s.option(sp, k, p)
			if k < 0 {
				return
			}
			continue
		}
		if len(a) > 1 && (a[0] == '-' || sp.plus && a[0] == '+') {
			k = s.option(sp, k, p)
			if k < 0 {
				return
			}
			continue
		}
		p.ops = append(p.ops, k)
		k++
	}
	for ; k < len(s.argv); k++ {
		p.ops = append(p.ops, k)
	}
	if sp.operands != nil {
		sp.operands(s, p)
	}
	// After the operands, so that where the element is also code (xargs sh
	// -c), that is what the refusal says.
	for _, k := range dash {
		why := " (with allow_dash the value could be an option)"
		if s.idx[k] < 0 {
			why = " (the value could be an option)"
		}
		s.add(k, p.name+why, kindOption, p.prog)
	}
}

// option handles the option element at k and returns the next index, or -1
// when it branched (both readings were analysed recursively).
func (s *argvScan) option(sp *progSpec, k int, p *parseState) int {
	a := s.argv[k]
	isTmpl := s.tmpl(k)
	long := strings.HasPrefix(a, "--") || sp.singleDash && strings.HasPrefix(a, "-")
	if long {
		name, val, hasVal := strings.Cut(a, "=")
		if isTmpl && templated(name) {
			s.add(k, p.name+" (the payload would choose the option)", kindOption, p.prog)
			return k + 1
		}
		kind, known := lookupLong(sp, name)
		p.seen[name] = true
		if !known {
			if hasVal {
				return k + 1
			}
			return s.branch(sp, k, p)
		}
		switch kind {
		case oOpt:
			if hasVal && isTmpl {
				s.add(k, p.name+" "+name+" (its value)", kindCode, p.prog)
			}
			p.vals[name] = val
			return k + 1
		case oFlag, oDigits:
			return k + 1
		case oArg2:
			return k + 3
		case oArg3:
			return k + 4
		case oEnd:
			for k++; k < len(s.argv); k++ {
				p.ops = append(p.ops, k)
			}
			return k
		}
		if hasVal {
			p.vals[name] = val
			s.value(kind, k, val, name, p)
			return k + 1
		}
		if n, ok := s.bothReadings(sp, kind, k, "", name, p); ok {
			return n
		}
		p.vals[name] = s.at(k + 1)
		s.value(kind, k+1, s.at(k+1), name, p)
		return k + 2
	}
	// Short options, possibly combined: -xec, -ne, -o pipefail, +o.
	pre, _, _ := strings.Cut(a, "{{")
	for j := 1; j < len(a); j++ {
		if j >= len(pre) {
			s.add(k, p.name+" (the payload would choose the option)", kindOption, p.prog)
			return k + 1
		}
		c := a[j]
		kind, known := sp.short[c]
		p.seen[string(c)] = true
		if !known {
			if sp.unknownShortIsFlag {
				continue
			}
			if j == len(a)-1 {
				return s.branch(sp, k, p)
			}
			continue // a flag among combined letters (conservative enough)
		}
		flag := "-" + string(c)
		switch kind {
		case oFlag:
			continue
		case oDigits:
			for j+1 < len(pre) && (pre[j+1] >= '0' && pre[j+1] <= '9' || pre[j+1] == 'x' && c == '0') {
				j++
			}
			continue
		case oArg2:
			return k + 3
		case oArg3:
			return k + 4
		case oOpt:
			// The optional value is attached: perl -d:Mod=…, -i.bak. A
			// template in it is refused, whatever the option does with it.
			if isTmpl {
				s.add(k, p.name+" "+flag+" (its attached value)", kindCode, p.prog)
			}
			p.vals[string(c)] = a[j+1:]
			return k + 1
		case oEnd:
			for k++; k < len(s.argv); k++ {
				p.ops = append(p.ops, k)
			}
			return k
		}
		if j < len(a)-1 {
			v := a[j+1:] // attached: -ecode, -n10
			if n, ok := s.bothReadings(sp, kind, k, v, flag, p); ok {
				return n
			}
			p.vals[string(c)] = v
			s.value(kind, k, v, flag, p)
			return k + 1
		}
		if n, ok := s.bothReadings(sp, kind, k, "", flag, p); ok {
			return n
		}
		p.vals[string(c)] = s.at(k + 1)
		s.value(kind, k+1, s.at(k+1), flag, p)
		return k + 2
	}
	return k + 1
}

func (s *argvScan) at(i int) string {
	if i < len(s.argv) {
		return s.argv[i]
	}
	return ""
}

// value judges the value v of an option, found in element vi.
func (s *argvScan) value(kind optKind, vi int, v, flag string, p *parseState) {
	switch kind {
	case oCode, oCodeEnd, oLoad:
		if kind != oLoad {
			p.code = true
		}
		if kind == oCodeEnd {
			p.codeEnd = true
		}
		s.add(vi, p.name+" "+flag, kindCode, p.prog)
		if vi < len(s.argv) && !s.tmpl(vi) {
			if stdinPath(v) {
				s.readsStdin(p, flag+" "+v+" reads code from standard input")
			} else if p.shellLine && kind != oLoad {
				s.shellLine(vi, v, p.name+" "+flag)
			}
		}
	case oProg:
		s.add(vi, p.name+" "+flag+" (the program it runs)", kindProgram, p.prog)
	case oSplit:
		if s.tmpl(vi) {
			s.add(vi, p.name+" "+flag+" (split into a command line)", kindCode, p.prog)
			return
		}
		if vi < len(s.argv) {
			s.split(vi, v, p)
		}
	}
}
