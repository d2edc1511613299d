package shell

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/hookrunner/hookrunner/actions"
)

// guardCommand refuses, at load, every templated element of the command
// (and every templated env: value) that a program would read as code. Each
// problem carries its element path (command[3]) so the engine prefixes it
// with the rule and action.
func guardCommand(cfg ShellConfig) error {
	var errs actions.ConfigErrors
	found, stdin := analyse(cfg.Command, cfg.AllowDash)
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

// checkDash refuses, at run time, a value that starts with "-" in an
// element that begins with a template: the program would read it as an
// option (-rf, --upload-pack=…, --help). An element that begins with literal
// text is never checked: "--ref={{ x }}" is one option with its value, and
// "refs/{{ x }}" cannot start with "-".
func (s *Shell) checkDash(i int, v string) error {
	if s.cfg.AllowDash || !strings.HasPrefix(s.cfg.Command[i], "{{") || !strings.HasPrefix(v, "-") {
		return nil
	}
	shown := v
	if len(shown) > 40 {
		shown = shown[:40] + "…"
	}
	return fmt.Errorf("command[%d]: the value %q starts with \"-\" and %s would read it as an option; refused (set allow_dash: true on the action if this element may carry options)", i, shown, filepath.Base(s.cfg.Command[0]))
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
	operands  func(s *argvScan, p *parseState)
	custom    func(s *argvScan, prog int)
}

type parseState struct {
	prog    int
	name    string
	ops     []int
	seen    map[string]bool
	code    bool // program text came from an option (-c, -e, -f)
	codeEnd bool
	branch  int
}

func (p *parseState) clone() *parseState {
	q := *p
	q.ops = append([]int(nil), p.ops...)
	q.seen = make(map[string]bool, len(p.seen))
	for k, v := range p.seen {
		q.seen[k] = v
	}
	return &q
}

type argvScan struct {
	argv      []string
	idx       []int // original index of each element (env -S splits one into many)
	allowDash bool
	found     map[int]argvFinding
	depth     int
	// stdin names the program that reads its code from standard input
	// (sh with no script, python -, ssh with no remote command), if any.
	stdin *string
}

func (s *argvScan) readsStdin(p *parseState, what string) {
	if *s.stdin == "" {
		*s.stdin = p.name + " (" + what + ")"
	}
}

// analyseArgv returns the templated elements of argv that a program would
// read as code, by index.
func analyseArgv(argv []string, allowDash bool) []argvFinding {
	f, _ := analyse(argv, allowDash)
	return f
}

// analyse also reports who would read code from standard input.
func analyse(argv []string, allowDash bool) ([]argvFinding, string) {
	idx := make([]int, len(argv))
	for i := range idx {
		idx[i] = i
	}
	var stdin string
	s := &argvScan{argv: argv, idx: idx, allowDash: allowDash, found: map[int]argvFinding{}, stdin: &stdin}
	s.program(0)
	out := make([]argvFinding, 0, len(s.found))
	for _, f := range s.found {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out, stdin
}

func templated(s string) bool { return strings.Contains(s, "{{") }

func (s *argvScan) tmpl(i int) bool { return i < len(s.argv) && templated(s.argv[i]) }

func (s *argvScan) add(i int, reader string, kind findingKind, prog int) {
	if i >= len(s.argv) {
		return
	}
	oi := s.idx[i]
	if _, dup := s.found[oi]; dup || !templated(s.argv[i]) {
		return
	}
	s.found[oi] = argvFinding{Index: oi, Reader: reader, Kind: kind, Prog: s.idx[prog]}
}

// program analyses argv[i:] where argv[i] is the program run.
func (s *argvScan) program(i int) {
	if i >= len(s.argv) || s.depth > 32 {
		return
	}
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
	if sp == nil {
		return // unknown program: its arguments are data
	}
	if sp.custom != nil {
		sp.custom(s, i)
		return
	}
	s.parse(sp, i+1, &parseState{prog: i, name: s.label(i), seen: map[string]bool{}})
}

// parentOf is only used for messages: the nearest earlier known program.
func (s *argvScan) parentOf(i int) int {
	for j := i - 1; j >= 0; j-- {
		if specs[progName(s.argv[j])] != nil {
			return j
		}
	}
	return 0
}

func (s *argvScan) label(i int) string { return filepath.Base(s.argv[i]) }

// progName is the table key of a program: its base name, without a version
// suffix (python3.12, perl5.36, lua5.4, gawk-5.1).
func progName(p string) string {
	b := strings.ToLower(filepath.Base(p))
	b = strings.TrimSuffix(b, ".exe")
	if specs[b] != nil {
		return b
	}
	t := strings.TrimRight(b, "0123456789.")
	t = strings.TrimSuffix(t, "-")
	if t != b && specs[t] != nil {
		return t
	}
	return b
}

// parse reads options from k on, then hands the operands to sp.operands.
func (s *argvScan) parse(sp *progSpec, k int, p *parseState) {
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
				if pre == "" && s.allowDash {
					s.add(k, p.name+" (with allow_dash the value could be an option)", kindOption, p.prog)
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
		case oFlag, oOpt, oDigits:
			return k + 1
		case oArg2:
			return k + 3
		case oEnd:
			for k++; k < len(s.argv); k++ {
				p.ops = append(p.ops, k)
			}
			return k
		}
		if hasVal {
			s.value(kind, k, val, name, p)
		} else {
			s.value(kind, k+1, s.at(k+1), name, p)
		}
		if hasVal {
			return k + 1
		}
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
		case oOpt:
			return k + 1
		case oEnd:
			for k++; k < len(s.argv); k++ {
				p.ops = append(p.ops, k)
			}
			return k
		}
		flag := "-" + string(c)
		if j < len(a)-1 {
			s.value(kind, k, a[j+1:], flag, p) // attached: -ecode, -n10
			return k + 1
		}
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

// branch analyses an unknown option both as a flag and as an option that
// takes the next element as its value.
func (s *argvScan) branch(sp *progSpec, k int, p *parseState) int {
	if p.branch >= 6 {
		return k + 1
	}
	q := p.clone()
	q.branch++
	s.parse(sp, k+2, q)
	r := p.clone()
	r.branch++
	s.parse(sp, k+1, r)
	return -1
}

func lookupLong(sp *progSpec, name string) (optKind, bool) {
	if k, ok := sp.long[name]; ok {
		return k, true
	}
	if sp.singleDash && strings.HasPrefix(name, "--") {
		if k, ok := sp.long[name[1:]]; ok {
			return k, true
		}
	}
	if len(name) < 3 {
		return 0, false
	}
	// GNU getopt_long accepts unique prefixes (--comm for --command); take
	// the most dangerous reading among the matches.
	best, found := optKind(0), false
	for full, k := range sp.long {
		if strings.HasPrefix(full, name) && strings.HasPrefix(full, "--") == strings.HasPrefix(name, "--") {
			if !found || danger(k) > danger(best) {
				best = k
			}
			found = true
		}
	}
	return best, found
}

func danger(k optKind) int {
	switch k {
	case oCode, oCodeEnd, oLoad, oSplit:
		return 3
	case oProg:
		return 2
	case oArg:
		return 1
	}
	return 0
}

// split handles env -S STRING: the words of STRING are analysed as if they
// stood in argv in its place.
func (s *argvScan) split(vi int, v string, p *parseState) {
	words := splitWords(v)
	argv := append([]string{"env"}, words...)
	idx := []int{s.idx[p.prog]}
	for range words {
		idx = append(idx, s.idx[vi])
	}
	argv = append(argv, s.argv[vi+1:]...)
	idx = append(idx, s.idx[vi+1:]...)
	sub := &argvScan{argv: argv, idx: idx, allowDash: s.allowDash, found: s.found, depth: s.depth + 1, stdin: s.stdin}
	sub.program(0)
	// The rest of argv was analysed by the sub scan: envCustom stops.
	p.codeEnd = true
}

// splitWords splits like env -S: whitespace separates, quotes group.
func splitWords(v string) []string {
	var out []string
	var b strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' && i+1 < len(v) {
				i++
				b.WriteByte(v[i])
			} else {
				b.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == '\\' && i+1 < len(v):
			i++
			b.WriteByte(v[i])
			in = true
		case c == ' ' || c == '\t' || c == '\n':
			if in {
				out = append(out, b.String())
				b.Reset()
				in = false
			}
		default:
			b.WriteByte(c)
			in = true
		}
	}
	if in {
		out = append(out, b.String())
	}
	return out
}

// ---- operand semantics ----

// wrapperOps: pos operands of the wrapper's own, then the program it runs.
func wrapperOps(pos int) func(*argvScan, *parseState) {
	return func(s *argvScan, p *parseState) {
		if len(p.ops) <= pos {
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
	if len(p.ops) == 0 || s.argv[p.ops[0]] == "-" {
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
	switch {
	case p.seen["c"]:
		s.add(p.ops[0], p.name+" -c", kindCode, p.prog)
	case p.seen["s"] || p.code:
	default:
		s.add(p.ops[0], p.name+" (script file)", kindScript, p.prog)
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
	p := &parseState{prog: prog, name: s.label(prog), seen: map[string]bool{}}
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
		return
	}
	k := s.assignments(p.ops[0], p)
	if p.seen["s"] || p.seen["i"] || p.seen["--shell"] || p.seen["--login"] {
		for ; k < len(s.argv); k++ {
			s.add(k, p.name+" -s (joined into a shell command)", kindJoined, p.prog)
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
		}
		return
	}
	suOps(s, p)
}

// suOps: su [-] [USER [ARG]…]: the arguments go to the user's shell.
func suOps(s *argvScan, p *parseState) {
	ops := p.ops
	if len(ops) > 0 && s.argv[ops[0]] == "-" {
		ops = ops[1:]
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
			if strings.HasPrefix(a, "{{") && s.allowDash {
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
			sub := &argvScan{argv: s.argv[k+1 : end], idx: s.idx[k+1 : end], allowDash: s.allowDash, found: s.found, depth: s.depth + 1, stdin: s.stdin}
			sub.program(0)
			k = end
		}
	}
}

// pwshCustom: for PowerShell every argument after -Command is part of the
// command; -File SCRIPT ARGS passes ARGS as data.
func pwshCustom(s *argvScan, prog int) {
	name := s.label(prog)
	for k := prog + 1; k < len(s.argv); k++ {
		a := strings.ToLower(s.argv[k])
		if !s.tmpl(k) && len(a) >= 2 && (a[0] == '-' || a[0] == '/') && strings.HasPrefix("-file", "-"+a[1:]) {
			s.add(k+1, name+" -File (script file)", kindScript, prog)
			return
		}
		s.add(k, name+" (PowerShell command line)", kindCode, prog)
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
	for k := sub + 1; k < len(s.argv); k++ {
		a := s.argv[k]
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

// npxOps: npx PACKAGE ARGS: the package is the program.
func npxOps(s *argvScan, p *parseState) {
	if len(p.ops) == 0 || p.code {
		return
	}
	s.add(p.ops[0], p.name+" (package it runs)", kindProgram, p.prog)
}

// dangerousEnv reports environment variables whose value programs read as
// code or as a program or library to load.
func dangerousEnv(name string) bool {
	n := strings.ToUpper(name)
	for _, pfx := range []string{"LD_", "DYLD_", "BASH_FUNC_", "GIT_CONFIG", "GCONV_", "MALLOC_"} {
		if strings.HasPrefix(n, pfx) {
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
		"HOSTALIASES", "LOCPATH", "NLSPATH", "RESOLV_HOST_CONF", "TERMINFO", "SYSTEMD_PAGER", "HOME", "XDG_CONFIG_HOME":
		return true
	}
	return false
}

// ---- the table ----

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
	node := &progSpec{short: with(shorts("ivch", "C", "ep"), "r", oLoad),
		long: longs("--eval --print", oCode, "--require --import --loader --experimental-loader --env-file --env-file-if-exists --experimental-config-file", oLoad,
			"--conditions --title --input-type --stack-size --max-old-space-size --inspect-port --disable-warning --redirect-warnings --heapsnapshot-signal --diagnostic-dir --report-dir --report-filename --cpu-prof-dir --cpu-prof-name --test-reporter --test-reporter-destination --watch-path --run", oArg,
			"--inspect --inspect-brk --debug-port", oOpt,
			"--interactive --check --version --help --test --watch --no-warnings --trace-warnings --enable-source-maps --experimental-strip-types --no-deprecation --expose-gc --abort-on-uncaught-exception --preserve-symlinks --pending-deprecation --trace-uncaught", oFlag),
		operands: scriptOps}
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
	specs["gojq"], specs["jaq"], specs["yq"] = specs["jq"], specs["jq"], specs["jq"]
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
		operands: joinedOps(1, "remote command")}
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
	specs["xargs"] = wrap(with(shorts("0prtx", "aEILnPsd", ""), "eil", oOpt),
		longs("--arg-file --delimiter --max-lines --max-args --max-procs --max-chars --process-slot-var", oArg,
			"--eof --replace --max-lines", oOpt, "--null --interactive --no-run-if-empty --verbose --exit --open-tty --show-limits", oFlag), 0)
	specs["ionice"] = wrap(shorts("tPpu", "cn", ""), longs("--class --classdata", oArg, "--ignore --pid --pgid --uid", oFlag), 0)
	specs["chroot"] = wrap(nil, longs("--userspec --groups", oArg, "--skip-chdir", oFlag), 1)
	specs["chrt"] = wrap(shorts("abdefiomprRv", "TPD", ""), longs("--sched-runtime --sched-period --sched-deadline", oArg, "--all-tasks --batch --deadline --fifo --idle --other --rr --reset-on-fork --verbose --max --pid", oFlag), 1)
	specs["taskset"] = wrap(shorts("acp", "", ""), longs("--all-tasks --cpu-list --pid", oFlag), 1)
	specs["flock"] = &progSpec{short: shorts("sexunoFV", "wE", "c"), long: longs("--command", oCode, "--timeout --wait --conflict-exit-code", oArg,
		"--shared --exclusive --unlock --nonblock --nb --close --no-fork --verbose", oFlag), operands: flockOps}
	specs["nsenter"] = wrap(with(shorts("FZ", "tSG", ""), "muinpUCTrw", oOpt), longs("--target --setuid --setgid --env", oArg,
		"--mount --uts --ipc --net --pid --user --cgroup --time --root --wd", oOpt, "--all --preserve-credentials --no-fork --follow-context", oFlag), 0)
	specs["unshare"] = wrap(shorts("muinpUCTfrc", "RwSGl", ""), longs("--root --wd --setuid --setgid --propagation --setgroups --map-user --map-group --map-users --map-groups --kill-child --load-interp", oArg,
		"--mount --uts --ipc --net --pid --user --cgroup --time --mount-proc --monotonic --boottime", oOpt, "--fork --map-root-user --map-current-user --keep-caps", oFlag), 0)
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
		"--group --supp-group --whitelist-environment", oArg, "--login --preserve-environment --pty --fast", oFlag), permute: true, operands: suOps}
	specs["su"] = su
	specs["runuser"] = &progSpec{short: with(shorts("lmpfPT", "gGwu", "c"), "s", oProg), long: longs("--command --session-command", oCode, "--shell", oProg,
		"--group --supp-group --whitelist-environment --user", oArg, "--login --preserve-environment --pty --fast", oFlag), permute: true, operands: runuserOps}
	specs["sg"] = &progSpec{short: shorts("", "", ""), operands: sgOps}
	specs["watch"] = &progSpec{short: with(shorts("bcCegtwxprfh", "nq", ""), "d", oOpt), long: longs("--interval --equexit --shotsdir", oArg, "--differences", oOpt,
		"--beep --color --no-color --errexit --chgexit --no-title --no-wrap --exec --precise --no-rerun --follow --help --version", oFlag), operands: watchOps}
	specs["script"] = &progSpec{short: shorts("aefqhVk", "EOIBTt", "c"), long: longs("--command", oCode, "--echo --log-out --log-in --log-io --log-timing --logging-format --output-limit --timing", oArg,
		"--append --return --flush --force --quiet --help --version", oFlag), permute: true}
	specs["systemd-run"] = wrap(shorts("GPqrth", "upEMHjdl", ""), longs("--unit --property --description --slice --setenv --machine --host --uid --gid --nice --working-directory --on-active --on-boot --on-startup --on-unit-active --on-unit-inactive --on-calendar --on-clock-change --on-timezone-change --path-property --socket-property --timer-property --service-type --expand-environment --json", oArg,
		"--user --system --scope --pty --pipe --quiet --remain-after-exit --wait --collect --send-sighup --no-block --no-ask-password --same-dir --shell --version --help --verbose", oFlag), 0)
	specs["firejail"] = wrap(nil, nil, 0)
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
	specs["parallel"] = &progSpec{short: shorts("kquv", "jdSI", ""), operands: allCodeOps("joined into a shell command")}
}

// describeFinding renders the refusal of one element and its safe form.
func describeFinding(argv []string, f argvFinding) string {
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
	tmpl := argv[f.Index]
	if i := strings.Index(tmpl, "{{"); i >= 0 {
		if j := strings.Index(tmpl[i:], "}}"); j >= 0 {
			tmpl = tmpl[i : i+j+2]
		}
	}
	return fmt.Sprintf("%s would be read as code by %s; %s", val, f.Reader, safeForm(argv[f.Prog], tmpl))
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
