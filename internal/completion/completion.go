// Package completion writes shell completion scripts (bash, zsh, fish)
// from a kong CLI model: its commands, each command's flags (with enum
// values, and files where a flag or argument is tagged complete:"file")
// and positional arguments. The scripts are static: completing runs no
// program.
package completion

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/alecthomas/kong"
)

// Shells are the shells Write knows.
var Shells = []string{"bash", "zsh", "fish"}

// Write writes the completion script of app for shell.
func Write(w io.Writer, shell string, app *kong.Application) error {
	top, cmds := model(app)
	switch shell {
	case "bash":
		return bash(w, app.Name, top, cmds)
	case "zsh":
		return zsh(w, app.Name, top, cmds)
	case "fish":
		return fish(w, app.Name, top, cmds)
	}
	return fmt.Errorf("completion: unknown shell %q (known: %s)", shell, strings.Join(Shells, ", "))
}

type command struct {
	name, help string
	flags      []flag
	args       []arg
}

type flag struct {
	long, short, negation, help string
	value                       bool // takes a value
	many                        bool // repeatable
	file                        bool
	enum                        []string
}

type arg struct {
	name, help string
	file       bool
	enum       []string
}

// names are the words of a flag: --long, -s, --no-long.
func (f flag) names() []string {
	out := []string{"--" + f.long}
	if f.short != "" {
		out = append(out, "-"+f.short)
	}
	if f.negation != "" {
		out = append(out, f.negation)
	}
	return out
}

func model(app *kong.Application) (top command, cmds []command) {
	top = command{name: app.Name, help: app.Help}
	for _, f := range app.Flags {
		if !f.Hidden {
			top.flags = append(top.flags, flagOf(f))
		}
	}
	for _, n := range app.Children {
		if n.Hidden || n.Type != kong.CommandNode {
			continue
		}
		c := command{name: n.Name, help: n.Help}
		for _, group := range n.AllFlags(true) {
			for _, f := range group {
				c.flags = append(c.flags, flagOf(f))
			}
		}
		for _, p := range n.Positional {
			a := arg{name: p.Name, help: p.Help, file: p.Tag.Get("complete") == "file"}
			if p.Enum != "" {
				a.enum = p.EnumSlice()
			}
			c.args = append(c.args, a)
		}
		cmds = append(cmds, c)
	}
	return top, cmds
}

func flagOf(f *kong.Flag) flag {
	out := flag{long: f.Name, help: f.Help, value: !f.IsBool(), many: f.IsSlice(), file: f.Tag.Get("complete") == "file"}
	if f.Short != 0 {
		out.short = string(f.Short)
	}
	if neg := f.Tag.Negatable; neg != "" {
		if neg == "_" { // kong's placeholder for the default --no-<flag>
			neg = "--no-" + f.Name
		} else {
			neg = "--" + neg
		}
		out.negation = neg
	}
	if f.Enum != "" {
		out.enum = slices.DeleteFunc(f.EnumSlice(), func(s string) bool { return s == "" })
	}
	return out
}

// words lists a command's flag words.
func (c command) words() []string {
	var out []string
	for _, f := range c.flags {
		out = append(out, f.names()...)
	}
	return out
}

func bash(w io.Writer, prog string, top command, cmds []command) error {
	fn := "_" + ident(prog)
	var b strings.Builder
	fmt.Fprintf(&b, "# bash completion for %s: source <(%s completion bash)\n", prog, prog)
	fmt.Fprintf(&b, "%s() {\n", fn)
	b.WriteString("  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd= i words=\n")
	b.WriteString("  for ((i = 1; i < COMP_CWORD; i++)); do\n")
	b.WriteString("    case ${COMP_WORDS[i]} in -*) ;; *) cmd=${COMP_WORDS[i]}; break ;; esac\n  done\n")
	b.WriteString("  case $cmd in\n")
	names := make([]string, len(cmds))
	for i, c := range cmds {
		names[i] = c.name
	}
	fmt.Fprintf(&b, "  '') words='%s' ;;\n", strings.Join(append(names, top.words()...), " "))
	for _, c := range cmds {
		fmt.Fprintf(&b, "  %s)\n    case $prev in\n", c.name)
		var free []string
		for _, f := range c.flags {
			if !f.value {
				continue
			}
			pat := "--" + f.long
			if f.short != "" {
				pat += "|-" + f.short
			}
			if f.enum != nil {
				fmt.Fprintf(&b, "    %s) COMPREPLY=($(compgen -W '%s' -- \"$cur\")); return ;;\n", pat, strings.Join(f.enum, " "))
			} else {
				free = append(free, pat)
			}
		}
		if free != nil {
			// A file, or free text: nothing offered, so -o default
			// completes file names.
			fmt.Fprintf(&b, "    %s) return ;;\n", strings.Join(free, "|"))
		}
		b.WriteString("    esac\n")
		if len(c.args) > 0 {
			b.WriteString("    if [[ $cur != -* ]]; then\n")
			if a := c.args[0]; a.enum != nil {
				fmt.Fprintf(&b, "      COMPREPLY=($(compgen -W '%s' -- \"$cur\"))\n", strings.Join(a.enum, " "))
			}
			b.WriteString("      return\n    fi\n")
		}
		fmt.Fprintf(&b, "    words='%s' ;;\n", strings.Join(c.words(), " "))
	}
	b.WriteString("  esac\n  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n}\n")
	fmt.Fprintf(&b, "complete -o default -F %s %s\n", fn, prog)
	_, err := io.WriteString(w, b.String())
	return err
}

func zsh(w io.Writer, prog string, top command, cmds []command) error {
	fn := "_" + ident(prog)
	var b strings.Builder
	fmt.Fprintf(&b, "#compdef %s\n# zsh completion for %s: source <(%s completion zsh), or save as %s in a directory of $fpath\n", prog, prog, prog, fn)
	fmt.Fprintf(&b, "%s() {\n  local -a commands\n  commands=(\n", fn)
	for _, c := range cmds {
		fmt.Fprintf(&b, "    %s\n", zq(c.name+":"+firstLine(c.help)))
	}
	b.WriteString("  )\n  if (( CURRENT == 2 )); then\n")
	fmt.Fprintf(&b, "    _describe -t commands '%s command' commands\n", prog)
	b.WriteString("    return\n  fi\n  local cmd=$words[2]\n  shift words; (( CURRENT-- ))\n  case $cmd in\n")
	for _, c := range cmds {
		fmt.Fprintf(&b, "  %s)\n    _arguments -s", c.name)
		for _, f := range c.flags {
			for _, spec := range zspecs(f) {
				fmt.Fprintf(&b, " \\\n      %s", spec)
			}
		}
		for i, a := range c.args {
			action := " "
			switch {
			case a.enum != nil:
				action = "(" + strings.Join(a.enum, " ") + ")"
			case a.file:
				action = "_files"
			}
			fmt.Fprintf(&b, " \\\n      %s", zq(fmt.Sprintf("%d:%s:%s", i+1, a.name, action)))
		}
		b.WriteString(" ;;\n")
	}
	b.WriteString("  esac\n}\n")
	fmt.Fprintf(&b, "if [[ $funcstack[1] == %s ]]; then %s \"$@\"; else compdef %s %s; fi\n", fn, fn, fn, prog)
	_, err := io.WriteString(w, b.String())
	return err
}

// zspecs are the _arguments specs of a flag.
func zspecs(f flag) []string {
	help := "[" + zhelp(f.help) + "]"
	val := ""
	if f.value {
		action := " "
		switch {
		case f.enum != nil:
			action = "(" + strings.Join(f.enum, " ") + ")"
		case f.file:
			action = "_files"
		}
		val = "=" + help + ":" + f.long + ":" + action
		help = ""
	}
	rep := ""
	if f.many {
		rep = "*" // repeatable
	}
	out := []string{zq(rep + "--" + f.long + val + help)}
	if f.short != "" {
		out = append(out, zq(rep+"-"+f.short+strings.TrimPrefix(val, "=")+help))
	}
	if f.negation != "" {
		out = append(out, zq(f.negation+"[not: "+zhelp(f.help)+"]"))
	}
	return out
}

// zhelp makes help text safe inside an _arguments [description].
func zhelp(s string) string {
	return strings.NewReplacer("[", "(", "]", ")", ":", "\\:", "\n", " ").Replace(firstLine(s))
}

// zq single-quotes s for zsh (and bash).
func zq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func fish(w io.Writer, prog string, top command, cmds []command) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# fish completion for %s: %s completion fish | source\n", prog, prog)
	fmt.Fprintf(&b, "complete -c %s -f\n", prog)
	for _, f := range top.flags {
		for _, l := range fishFlags(f) {
			fmt.Fprintf(&b, "complete -c %s -n __fish_use_subcommand%s\n", prog, l)
		}
	}
	for _, c := range cmds {
		fmt.Fprintf(&b, "complete -c %s -n __fish_use_subcommand -a %s -d %s\n", prog, c.name, fq(firstLine(c.help)))
	}
	for _, c := range cmds {
		cond := fq("__fish_seen_subcommand_from " + c.name)
		for _, f := range c.flags {
			for _, l := range fishFlags(f) {
				fmt.Fprintf(&b, "complete -c %s -n %s%s\n", prog, cond, l)
			}
		}
		for _, a := range c.args {
			switch {
			case a.enum != nil:
				fmt.Fprintf(&b, "complete -c %s -n %s -a %s\n", prog, cond, fq(strings.Join(a.enum, " ")))
			case a.file:
				fmt.Fprintf(&b, "complete -c %s -n %s -F\n", prog, cond)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// fishFlags are the completions of a flag, after "complete -c prog -n cond".
func fishFlags(f flag) []string {
	s := " -l " + f.long
	if f.short != "" {
		s += " -s " + f.short
	}
	switch {
	case f.enum != nil:
		s += " -x -a " + fq(strings.Join(f.enum, " "))
	case f.file:
		s += " -r -F"
	case f.value:
		s += " -x"
	}
	out := []string{s + " -d " + fq(firstLine(f.help))}
	if f.negation != "" {
		out = append(out, " -l "+strings.TrimPrefix(f.negation, "--")+" -d "+fq("not: "+firstLine(f.help)))
	}
	return out
}

// fq single-quotes s for fish.
func fq(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// ident is prog as a shell function name.
func ident(prog string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, prog)
}
