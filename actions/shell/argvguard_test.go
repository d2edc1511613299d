package shell

import (
	"reflect"
	"strings"
	"testing"
)

func TestArgvGuard(t *testing.T) {
	const x = "{{ payload.x }}"
	cases := []struct {
		name      string
		argv      []string
		allowDash bool
		refused   []int // indices refused; nil means accepted
		reader    string
	}{
		// The shell family and -c in every spelling.
		{"sh -c", []string{"/bin/sh", "-c", "deploy " + x}, false, []int{2}, "sh -c"},
		{"bash -lc", []string{"bash", "-lc", "deploy " + x}, false, []int{2}, "bash -c"},
		{"bash -ec", []string{"/usr/bin/bash", "-ec", x}, false, []int{2}, "bash -c"},
		{"bash -xec", []string{"bash", "-xec", "echo " + x}, false, []int{2}, ""},
		{"sh -c -e script", []string{"sh", "-c", "-e", "deploy " + x}, false, []int{3}, "sh -c"},
		{"bash -o pipefail -c", []string{"bash", "-o", "pipefail", "-c", x}, false, []int{4}, ""},
		{"bash +o posix -c", []string{"bash", "+o", "posix", "-c", x}, false, []int{4}, ""},
		{"bash --norc -c", []string{"bash", "--norc", "-c", x}, false, []int{3}, ""},
		{"bash -- script", []string{"bash", "--", x}, false, []int{2}, "bash (script file)"},
		{"dash zsh ksh mksh", []string{"mksh", "-c", x}, false, []int{2}, ""},
		{"zsh -c", []string{"zsh", "-fc", x}, false, []int{2}, ""},
		{"fish --command=", []string{"fish", "--command=echo " + x}, false, []int{1}, ""},
		{"fish --command X", []string{"fish", "--command", x}, false, []int{2}, ""},
		{"fish -c arg after is data", []string{"fish", "-c", "echo $argv", x}, false, nil, ""},
		{"csh -c", []string{"tcsh", "-c", x}, false, []int{2}, ""},
		{"rbash -c", []string{"rbash", "-c", x}, false, []int{2}, ""},
		{"pwsh -Command", []string{"pwsh", "-NoProfile", "-Command", "Deploy " + x}, false, []int{3}, ""},
		{"pwsh -c args also code", []string{"powershell", "-c", "Deploy", x}, false, []int{3}, ""},
		{"pwsh -File args data", []string{"pwsh", "-File", "deploy.ps1", x}, false, nil, ""},
		{"safe sh -c positional", []string{"sh", "-c", `deploy "$1"`, "sh", x}, false, nil, ""},
		{"safe bash -c positional", []string{"bash", "-c", `deploy "$1"`, "bash", x, x}, false, nil, ""},
		{"safe bash -lc positional", []string{"bash", "-lc", `deploy "$1"`, "bash", x}, false, nil, ""},
		{"safe script file", []string{"/bin/sh", "deploy.sh", x}, false, nil, ""},
		{"sh -s reads stdin", []string{"sh", "-s", x}, false, nil, ""},
		{"templated script file", []string{"sh", x}, false, []int{1}, "sh (script file)"},
		{"bash --rcfile", []string{"bash", "--rcfile", x, "-c", "true"}, false, []int{2}, ""},

		// Wrappers, followed to the program they run.
		{"env sh -c", []string{"env", "sh", "-c", x}, false, []int{3}, "sh -c"},
		{"env -i VAR=1 -u X", []string{"/usr/bin/env", "-i", "A=1", "B=" + x, "bash", "-c", x}, false, []int{6}, ""},
		{"env -u NAME", []string{"env", "-u", "HOME", "sh", "-c", x}, false, []int{5}, ""},
		{"env -- sh", []string{"env", "--", "sh", "-c", x}, false, []int{4}, ""},
		{"env -S literal", []string{"env", "-S", "sh -c", x}, false, []int{3}, "sh -c"},
		{"env -Ssh -c attached", []string{"env", "-Ssh -c", x}, false, []int{2}, "sh -c"},
		{"env -S templated", []string{"env", "-S", x}, false, []int{2}, ""},
		{"env --split-string=", []string{"env", "--split-string=sh -e -c", x}, false, []int{2}, ""},
		{"env LD_PRELOAD", []string{"env", "LD_PRELOAD=" + x, "/opt/deploy"}, false, []int{1}, ""},
		{"env templated name", []string{"env", x + "=1", "/opt/deploy"}, false, []int{1}, ""},
		{"env templated program", []string{"env", "A=1", x}, false, []int{2}, ""},
		{"env safe", []string{"env", "REF=" + x, "/opt/deploy", x}, false, nil, ""},
		{"timeout 5 sh -c", []string{"timeout", "5", "sh", "-c", x}, false, []int{4}, "sh -c"},
		{"timeout -s KILL -k 1 5", []string{"timeout", "-s", "KILL", "-k", "1", "--foreground", "5", "bash", "-c", x}, false, []int{9}, ""},
		{"timeout safe", []string{"timeout", "5", "/opt/deploy", x}, false, nil, ""},
		{"nice -n 10", []string{"nice", "-n", "10", "sh", "-c", x}, false, []int{5}, ""},
		{"nice -10", []string{"nice", "-10", "sh", "-c", x}, false, []int{4}, ""},
		{"nohup", []string{"nohup", "python3", "-c", x}, false, []int{3}, ""},
		{"sudo -u user -E --", []string{"sudo", "-u", "deploy", "-E", "--", "bash", "-c", x}, false, []int{7}, ""},
		{"sudo -s joins", []string{"sudo", "-s", "deploy", x}, false, []int{3}, ""},
		{"sudo VAR=", []string{"sudo", "BASH_ENV=" + x, "/opt/deploy"}, false, []int{1}, ""},
		{"doas -u", []string{"doas", "-u", "deploy", "sh", "-c", x}, false, []int{5}, ""},
		{"setsid -f", []string{"setsid", "-f", "sh", "-c", x}, false, []int{4}, ""},
		{"stdbuf -o L", []string{"stdbuf", "-o", "L", "-eL", "sh", "-c", x}, false, []int{6}, ""},
		{"busybox sh -c", []string{"busybox", "sh", "-c", x}, false, []int{3}, "sh -c"},
		{"busybox ash script safe", []string{"/bin/busybox", "ash", "deploy.sh", x}, false, nil, ""},
		{"xargs sh -c", []string{"xargs", "-0", "-n", "1", "sh", "-c", x}, false, []int{6}, ""},
		{"xargs -I", []string{"xargs", "-I{}", "sh", "-c", "echo {} " + x}, false, []int{4}, ""},
		{"ionice -c 3 -n 7", []string{"ionice", "-c", "3", "-n", "7", "sh", "-c", x}, false, []int{7}, ""},
		{"chroot NEWROOT", []string{"chroot", "--userspec=a:b", "/srv/root", "sh", "-c", x}, false, []int{5}, ""},
		{"chrt prio", []string{"chrt", "-f", "10", "sh", "-c", x}, false, []int{5}, ""},
		{"taskset mask", []string{"taskset", "-c", "0-1", "sh", "-c", x}, false, []int{5}, ""},
		{"flock file cmd", []string{"flock", "-w", "10", "/tmp/l", "sh", "-c", x}, false, []int{6}, ""},
		{"flock file -c", []string{"flock", "/tmp/l", "-c", x}, false, []int{3}, ""},
		{"flock -c option", []string{"flock", "-c", x, "/tmp/l"}, false, []int{2}, ""},
		{"nsenter", []string{"nsenter", "-t", "1", "-m", "-u", "sh", "-c", x}, false, []int{7}, ""},
		{"unshare", []string{"unshare", "--mount", "-r", "sh", "-c", x}, false, []int{5}, ""},
		{"time -f", []string{"/usr/bin/time", "-f", "%e", "sh", "-c", x}, false, []int{5}, ""},
		{"command -p", []string{"command", "-p", "sh", "-c", x}, false, []int{4}, ""},
		{"exec -a", []string{"exec", "-a", "name", "sh", "-c", x}, false, []int{5}, ""},
		{"su -c", []string{"su", "deploy", "-c", x}, false, []int{3}, ""},
		{"su --command=", []string{"su", "-", "deploy", "--command=" + x}, false, []int{3}, ""},
		{"su -s templated shell", []string{"su", "-s", x, "deploy"}, false, []int{2}, ""},
		{"runuser -u -- cmd", []string{"runuser", "-u", "deploy", "--", "bash", "-c", x}, false, []int{6}, ""},
		{"watch joins", []string{"watch", "-n", "5", "deploy", x}, false, []int{4}, ""},
		{"watch -x execs", []string{"watch", "-x", "deploy", x}, false, nil, ""},
		{"watch -x sh -c", []string{"watch", "-x", "sh", "-c", x}, false, []int{4}, ""},
		{"script -c", []string{"script", "-q", "-c", x, "/dev/null"}, false, []int{3}, ""},
		{"systemd-run", []string{"systemd-run", "--user", "--unit", "u", "-p", "X=1", "sh", "-c", x}, false, []int{8}, ""},
		{"firejail", []string{"firejail", "--quiet", "--net=none", "sh", "-c", x}, false, []int{5}, ""},
		{"strace -o", []string{"strace", "-f", "-o", "/tmp/t", "sh", "-c", x}, false, []int{6}, ""},
		{"sg group", []string{"sg", "deploy", "deploy " + x}, false, []int{2}, ""},
		{"nested wrappers", []string{"sudo", "-u", "d", "env", "A=1", "timeout", "5", "nice", "busybox", "sh", "-ec", x}, false, []int{11}, "sh -c"},
		{"unknown option branches", []string{"timeout", "--weird", "5", "sh", "-c", x}, false, []int{5}, ""},

		// Interpreters.
		{"python3 -c", []string{"python3", "-c", x}, false, []int{2}, "python3 -c"},
		{"python3.12 -Ic", []string{"/usr/bin/python3.12", "-Ic", "print(" + x + ")"}, false, []int{2}, ""},
		{"python -m module", []string{"python", "-m", x}, false, []int{2}, ""},
		{"python -c safe argv", []string{"python3", "-c", "import sys; print(sys.argv[1])", x}, false, nil, ""},
		{"python script", []string{"python3", "-u", "app.py", x}, false, nil, ""},
		{"python templated script", []string{"python3", x}, false, []int{1}, ""},
		{"perl -e", []string{"perl", "-e", x}, false, []int{2}, ""},
		{"perl5.36 -ne", []string{"perl5.36", "-ne", "print " + x}, false, []int{2}, ""},
		{"perl -le attached", []string{"perl", "-le" + x}, false, []int{1}, ""},
		{"perl -0777 -ne", []string{"perl", "-0777", "-ne", x}, false, []int{3}, ""},
		{"perl -i.bak -pe", []string{"perl", "-i.bak", "-pe", "s/a/b/", x}, false, nil, ""},
		{"perl -e safe", []string{"perl", "-e", "print $ARGV[0]", x}, false, nil, ""},
		{"perl -M", []string{"perl", "-M" + x, "script.pl"}, false, []int{1}, ""},
		{"ruby -e", []string{"ruby", "-e", x}, false, []int{2}, ""},
		{"ruby -e safe", []string{"ruby", "-e", "p ARGV", x}, false, nil, ""},
		{"node -e", []string{"node", "-e", x}, false, []int{2}, ""},
		{"node --eval=", []string{"nodejs", "--eval=" + x}, false, []int{1}, ""},
		{"node -p", []string{"node", "-p", x}, false, []int{2}, ""},
		{"node --print abbreviated", []string{"node", "--pri", x}, false, []int{2}, ""},
		{"node -e safe", []string{"node", "-e", "console.log(process.argv[1])", x}, false, nil, ""},
		{"deno eval", []string{"deno", "eval", x}, false, []int{2}, ""},
		{"bun -e", []string{"bun", "--eval", x}, false, []int{2}, ""},
		{"php -r", []string{"php", "-r", x}, false, []int{2}, ""},
		{"php -R", []string{"php", "-R", x}, false, []int{2}, ""},
		{"php -d ini", []string{"php", "-d", "auto_prepend_file=" + x, "app.php"}, false, []int{2}, ""},
		{"lua -e", []string{"lua5.4", "-e", x}, false, []int{2}, ""},
		{"luajit -e", []string{"luajit", "-e", x}, false, []int{2}, ""},
		{"awk program", []string{"awk", "{print " + x + "}"}, false, []int{1}, "awk (program text)"},
		{"gawk -F then program", []string{"gawk", "-F", ":", x, "file"}, false, []int{3}, ""},
		{"awk -v var is data", []string{"awk", "-v", "ref=" + x, "{print ref}", "file"}, false, nil, ""},
		{"awk -f file", []string{"mawk", "-f", x}, false, []int{2}, ""},
		{"awk file operand data", []string{"awk", "{print}", x}, false, nil, ""},
		{"sed script", []string{"sed", "s/a/" + x + "/"}, false, []int{1}, ""},
		{"sed -e", []string{"sed", "-n", "-e", x, "file"}, false, []int{3}, ""},
		{"sed -i script", []string{"sed", "-i.bak", "s/x/y/", x}, false, nil, ""},
		{"sed --expression=", []string{"sed", "--expression=" + x}, false, []int{1}, ""},
		{"jq filter", []string{"jq", "-r", ".a." + x}, false, []int{2}, ""},
		{"jq --arg data", []string{"jq", "--arg", "v", x, ".a == $v"}, false, nil, ""},
		{"tclsh script", []string{"tclsh", x}, false, []int{1}, ""},
		{"expect -c", []string{"expect", "-c", x}, false, []int{2}, ""},
		{"osascript -e", []string{"osascript", "-e", x}, false, []int{2}, ""},
		{"Rscript -e", []string{"Rscript", "-e", x}, false, []int{2}, ""},
		{"sqlite3 sql", []string{"sqlite3", "db.sqlite", "select " + x}, false, []int{2}, ""},
		{"sqlite3 -cmd", []string{"sqlite3", "-cmd", x, "db"}, false, []int{2}, ""},
		{"sqlite3 db data", []string{"sqlite3", "-readonly", x}, false, nil, ""},
		{"psql -c", []string{"psql", "-d", "app", "-c", "select " + x}, false, []int{4}, ""},
		{"psql --command=", []string{"psql", "--command=" + x}, false, []int{1}, ""},
		{"mysql -e", []string{"mysql", "-u", "root", "-e", x}, false, []int{4}, ""},
		{"ssh remote command", []string{"ssh", "host", "deploy " + x}, false, []int{2}, "ssh (remote command)"},
		{"ssh options then args", []string{"ssh", "-p", "22", "-i", "/k", "-o", "BatchMode=yes", "deploy@host", "deploy", x}, false, []int{9}, ""},
		{"ssh options after host", []string{"ssh", "host", "-l", "deploy", "deploy", x}, false, []int{5}, ""},
		{"ssh -o templated", []string{"ssh", "-o", x, "host", "true"}, false, []int{2}, ""},
		{"ssh -J jump then code", []string{"ssh", "-J", "bastion", "host", "--", x}, false, []int{5}, ""},
		{"find -exec sh -c", []string{"find", ".", "-name", "*.go", "-exec", "sh", "-c", x, ";"}, false, []int{7}, ""},
		{"find -execdir safe", []string{"find", ".", "-name", x, "-execdir", "sh", "-c", `echo "$1"`, "sh", "{}", "+"}, false, nil, ""},
		{"git -c", []string{"git", "-c", "core.sshCommand=" + x, "fetch"}, false, []int{2}, ""},
		{"git clone --upload-pack", []string{"git", "clone", "--upload-pack=" + x, "repo"}, false, []int{2}, ""},
		{"git templated subcommand", []string{"git", x}, false, []int{1}, ""},
		{"git checkout data", []string{"git", "-C", "/srv/app", "checkout", x}, false, nil, ""},
		{"make VAR=", []string{"make", "deploy", "REF=" + x}, false, []int{2}, ""},
		{"parallel", []string{"parallel", "echo", x}, false, []int{2}, ""},
		{"npx package", []string{"npx", x}, false, []int{1}, ""},
		{"rsync -e", []string{"rsync", "-a", "-e", x, "src", "dst"}, false, []int{3}, ""},

		// The program position.
		{"templated argv[0]", []string{x, "a"}, false, []int{0}, "the program position"},
		{"templated wrapper target", []string{"timeout", "5", x}, false, []int{2}, ""},
		{"xargs templated target", []string{"xargs", x}, false, []int{1}, ""},

		// allow_dash: a value that begins with a template may become an
		// option where the program still reads options.
		{"allow_dash perl -e then arg", []string{"perl", "-e", "print @ARGV", x}, true, []int{3}, ""},
		{"no allow_dash perl -e then arg", []string{"perl", "-e", "print @ARGV", x}, false, nil, ""},
		{"allow_dash after sh -c script", []string{"sh", "-c", `echo "$1"`, "sh", x}, true, nil, ""},
		{"allow_dash unknown program", []string{"/opt/deploy.sh", x}, true, nil, ""},
		{"option chosen by payload", []string{"node", "-" + x}, false, []int{1}, ""},
		{"allow_dash git fetch", []string{"git", "fetch", x}, true, []int{2}, "git fetch (the value could be an option"},
		{"allow_dash git after --", []string{"git", "checkout", "--", x}, true, nil, ""},
		{"long option name chosen", []string{"node", "--" + x + "=1"}, false, []int{1}, ""},

		// Unknown programs take data.
		{"plain script", []string{"/opt/deploy/redeploy.sh", x, "--ref=" + x}, false, nil, ""},
		{"echo", []string{"echo", "deploy " + x}, false, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := analyseArgv(c.argv, c.allowDash)
			var idx []int
			for _, f := range got {
				idx = append(idx, f.Index)
			}
			if !reflect.DeepEqual(idx, c.refused) {
				t.Fatalf("refused %v, want %v (%+v)", idx, c.refused, got)
			}
			if c.reader != "" && (len(got) == 0 || !strings.Contains(got[0].Reader, c.reader)) {
				t.Fatalf("reader %+v, want %q", got, c.reader)
			}
		})
	}
}

func TestArgvGuardStdin(t *testing.T) {
	cases := []struct {
		argv   []string
		reader string // "" when stdin is data
	}{
		{[]string{"sh"}, "sh (script on stdin)"},
		{[]string{"bash", "-s", "arg"}, "bash (script on stdin)"},
		{[]string{"env", "-i", "bash", "-e"}, "bash (script on stdin)"},
		{[]string{"python3", "-"}, "python3 (script on stdin)"},
		{[]string{"python3", "-u"}, "python3 (script on stdin)"},
		{[]string{"perl", "-w"}, "perl (script on stdin)"},
		{[]string{"node"}, "node (script on stdin)"},
		{[]string{"ssh", "-p", "22", "host"}, "ssh (commands on stdin)"},
		{[]string{"sqlite3", "db"}, "sqlite3 (SQL on stdin)"},
		{[]string{"psql", "-d", "app"}, "psql (SQL on stdin)"},
		{[]string{"mysql", "app"}, "mysql (SQL on stdin)"},
		{[]string{"sudo", "-u", "x", "sh"}, "sh (script on stdin)"},
		{[]string{"sh", "-c", "cat > /tmp/x"}, ""},
		{[]string{"sh", "deploy.sh"}, ""},
		{[]string{"python3", "app.py"}, ""},
		{[]string{"ssh", "host", "deploy"}, ""},
		{[]string{"psql", "-c", "copy t from stdin"}, ""},
		{[]string{"jq", "."}, ""},
		{[]string{"/bin/cat"}, ""},
	}
	for _, c := range cases {
		_, got, _ := analyse(c.argv, scanOpts{})
		if got != c.reader {
			t.Errorf("%q: stdin reader %q, want %q", c.argv, got, c.reader)
		}
	}
	err := guardCommand(ShellConfig{Command: []string{"bash"}, Stdin: "body"}, "")
	if err == nil || !strings.Contains(err.Error(), "stdin: bash (script on stdin) reads code from standard input") {
		t.Fatalf("stdin: body into bash: %v", err)
	}
	if err := guardCommand(ShellConfig{Command: []string{"bash"}}, ""); err != nil {
		t.Fatalf("bash without stdin: %v", err)
	}
}
