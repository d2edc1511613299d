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
