package shell

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// The argv guard's view past a single program: arguments of programs it does
// not know, shell command lines, standard input that becomes code, and the
// file a program name runs.

var multiCall = map[string]bool{"busybox": true, "toybox": true, "coreutils": true}

// unknownScan: hookrunner does not know how argv[i] parses its arguments,
// so it cannot tell which of them it runs (docker exec, gosu, a script that
// ends in exec "$@"). Every later literal element that names a program the
// table knows starts a command analysed as if it stood at argv[0]; a
// literal element with spaces whose first word names one (a command line
// the program hands to a shell) is split and analysed the same way.
// Conservative by construction: ["echo", "sh", "-c", "{{ x }}"] is refused.
func (s *argvScan) unknownScan(i int) { s.unknownScanAs(i, s.label(i)) }

func (s *argvScan) unknownScanAs(i int, label string) {
	for k := i + 1; k < len(s.argv); k++ {
		if s.tmpl(k) || s.tried[k] {
			continue
		}
		s.tried[k] = true
		a := s.argv[k]
		prev := s.behind
		if prev == "" {
			s.behind = label
		}
		switch {
		case knownProgName(a):
			s.program(k)
		case strings.ContainsAny(a, " \t\n"):
			if w := splitShellWords(a); len(w) > 0 && knownProgName(w[0]) {
				s.splitAt(k, w)
			}
		}
		s.behind = prev
	}
}

// knownProgName: a literal element that names a program of the table.
func knownProgName(a string) bool {
	if a == "" || a[0] == '-' || a[0] == '+' {
		return false
	}
	n := progName(a)
	return len(n) > 1 && specs[n] != nil
}

// splitAt analyses words (from element k) followed by the elements after
// k as one command.
func (s *argvScan) splitAt(k int, words []string) {
	argv := append(append([]string(nil), words...), s.argv[k+1:]...)
	idx := make([]int, 0, len(argv))
	for range words {
		idx = append(idx, s.idx[k])
	}
	idx = append(idx, s.idx[k+1:]...)
	sub := s.sub(argv, idx)
	// The elements after k are the caller's own candidates: only the words
	// need scanning here.
	for j := len(words); j < len(argv); j++ {
		sub.tried[j] = true
	}
	sub.program(0)
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

// stdinPath: a file operand or option value that names standard input.
func stdinPath(v string) bool {
	switch v {
	case "-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0", "/proc/thread-self/fd/0":
		return true
	}
	if rest, ok := strings.CutPrefix(v, "/proc/"); ok {
		if pid, ok := strings.CutSuffix(rest, "/fd/0"); ok && pid != "" && strings.Trim(pid, "0123456789") == "" {
			return true
		}
	}
	return false
}

// shellLine analyses the literal shell command line v (of sh -c, su -c,
// ssh's remote command), found in element vi, for programs that read
// standard input: ssh host "bash -s", sh -c "cat | python3". Each word
// that names a known program starts a command, as behind an unknown
// program; nothing in v is templated, so only standard input is at stake.
func (s *argvScan) shellLine(vi int, v, who string) {
	words := splitShellWords(v)
	if len(words) == 0 {
		return
	}
	idx := make([]int, len(words))
	for n := range idx {
		idx[n] = s.idx[vi]
	}
	sub := s.sub(words, idx)
	if sub.behind == "" {
		sub.behind = "the command line of " + who
	}
	if knownProgName(words[0]) {
		sub.tried[0] = true
		sub.program(0)
	}
	sub.unknownScan(0)
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
	s.sub(argv, idx).program(0)
	// The rest of argv was analysed by the sub scan: envCustom stops.
	p.codeEnd = true
}

// splitWords splits like env -S: whitespace separates, quotes group.
func splitWords(v string) []string { return splitOn(v, " \t\n") }

// splitShellWords also separates at the shell's operators (cat|sh, a;b,
// $(…)), so each command of a line starts a word.
func splitShellWords(v string) []string { return splitOn(v, " \t\n|;&()`<>{}") }

func splitOn(v, seps string) []string {
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
		case strings.IndexByte(seps, c) >= 0:
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

// resolved is the spec of the file argv[i] runs when a link (or PATH)
// leads to a program the table knows under another name: ./bin/deploysh
// -> /bin/bash. A multi-call binary (busybox) picks its applet by the name
// written, so its own spec is not used.
func (s *argvScan) resolved(i int, written *progSpec) (*progSpec, string) {
	if s.resolve == nil {
		return nil, ""
	}
	r := s.resolve(s.argv[i])
	if r == "" {
		return nil, ""
	}
	rn := progName(r)
	sp := specs[rn]
	if sp == nil || sp == written || multiCall[rn] {
		return nil, ""
	}
	return sp, filepath.Base(r)
}

// bothReadings: the table says the option at k takes code, but its value
// looks like more options: attached letters (node -pe CODE: is it -p with
// the value "e", or -p and -e?) or a next element that is an option (node
// --print -e CODE). A table entry that is wrong about such an option must
// not make the code after it data, so both readings are analysed: the
// option with that value, and the option as a flag followed by the rest.
// attached is the attached value, "" for the next element.
func (s *argvScan) bothReadings(sp *progSpec, kind optKind, k int, attached, flag string, p *parseState) (int, bool) {
	if kind != oCode && kind != oCodeEnd && kind != oLoad || p.branch >= 6 {
		return 0, false
	}
	if attached != "" {
		if !letters(attached) {
			return 0, false
		}
		q := p.clone()
		q.branch++
		s.value(kind, k, attached, flag, q)
		s.parse(sp, k+1, q)
		// The letters after the flag are options of their own.
		argv := append([]string(nil), s.argv...)
		argv[k] = "-" + attached
		r := p.clone()
		r.branch++
		alt := *s
		alt.argv = argv
		alt.parse(sp, k, r)
		return -1, true
	}
	n := s.at(k + 1)
	if s.tmpl(k+1) || len(n) < 2 || n[0] != '-' && !(sp.plus && n[0] == '+') {
		return 0, false
	}
	q := p.clone()
	q.branch++
	s.value(kind, k+1, n, flag, q)
	s.parse(sp, k+2, q)
	r := p.clone()
	r.branch++
	s.parse(sp, k+1, r)
	return -1, true
}

func letters(v string) bool {
	for i := 0; i < len(v); i++ {
		if !(v[i] >= 'a' && v[i] <= 'z' || v[i] >= 'A' && v[i] <= 'Z') {
			return false
		}
	}
	return v != ""
}

// resolveProgram returns what a program name or path runs, links followed:
// a bare name through PATH, a relative path from the action's folder (the
// child starts there). "" when it cannot be found (Check warns of that).
func resolveProgram(dir string) func(string) string {
	return func(p string) string {
		path := p
		if !strings.ContainsRune(p, '/') {
			lp, err := exec.LookPath(p)
			if err != nil {
				return ""
			}
			path = lp
		} else if !filepath.IsAbs(p) {
			path = filepath.Join(dir, p)
		}
		r, err := filepath.EvalSymlinks(path)
		if err != nil {
			return ""
		}
		return r
	}
}

// Elements that carry standard input (xargs) have a negative index:
// stdinAppended for the item xargs appends, stdinElem(i) for command[i]
// holding the replace string.
const stdinAppended = -1

func stdinElem(i int) int { return -2 - i }

// stdinFinding: an element that carries standard input would be read as
// code; it is reported against stdin:, the element itself being literal.
func (s *argvScan) stdinFinding(oi int, reader string) {
	if *s.stdin != "" {
		return
	}
	where := "after the command's arguments"
	if oi != stdinAppended {
		where = fmt.Sprintf("into command[%d]", -2-oi)
	}
	*s.stdin = fmt.Sprintf("%s (puts its input %s, read by %s)", s.feeder, where, reader)
}

// xargsOps: xargs turns standard input into arguments of the command it
// runs: into every element holding the replace string (-I R, -i, --replace),
// or appended after the last one. When stdin: carries event data, the
// command is analysed a second time with those elements templated (and
// able to start with "-", which no run-time check sees). With -a FILE the
// items come from FILE and standard input is left to the command.
func xargsOps(s *argvScan, p *parseState) {
	if len(p.ops) == 0 {
		return // xargs runs echo
	}
	first := p.ops[0]
	s.program(first)
	if !s.stdinData || p.seen["a"] || p.seen["--arg-file"] {
		return
	}
	replace := ""
	switch {
	case p.seen["I"]:
		replace = p.vals["I"]
	case p.seen["i"]:
		replace = p.vals["i"]
	case p.seen["--replace"]:
		replace = p.vals["--replace"]
	}
	if replace == "" && (p.seen["i"] || p.seen["--replace"]) {
		replace = "{}"
	}
	var argv []string
	var idx []int
	for k := first; k < len(s.argv); k++ {
		if a := s.argv[k]; replace != "" && strings.Contains(a, replace) {
			argv = append(argv, strings.ReplaceAll(a, replace, "{{ stdin }}"))
			idx = append(idx, stdinElem(s.idx[k]))
			continue
		}
		argv = append(argv, s.argv[k])
		idx = append(idx, s.idx[k])
	}
	if replace == "" {
		argv = append(argv, "{{ stdin }}")
		idx = append(idx, stdinAppended)
	}
	sub := s.sub(argv, idx)
	sub.feeder = p.name
	sub.program(0)
}

// parallelOps: GNU parallel joins its arguments into shell command lines
// and fills them from its input, standard input unless ::: or -a.
func parallelOps(s *argvScan, p *parseState) {
	allCodeOps("joined into a shell command")(s, p)
	s.readsStdin(p, "its input lines become arguments of the shell command lines it runs")
}

// branch analyses an unknown option both as a flag and as an option that
// takes the next element as its value. Past six unknown options in one
// program the rest of its argv is read as an unknown program's would be
// (unknownScan), rather than with every reading.
func (s *argvScan) branch(sp *progSpec, k int, p *parseState) int {
	if p.branch >= 6 {
		s.unknownScanAs(k-1, p.name)
		return -1
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
