package shell

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The classes of the shell review: programs the table did not know,
// launchers, code options whose value looks like options, renamed
// interpreters, table gaps. Each row is an argv the guard must refuse at
// the listed elements, or accept (nil).
func TestArgvGuardLaunchersAndUnknownPrograms(t *testing.T) {
	const x = "{{ payload.x }}"
	cases := []struct {
		name    string
		argv    []string
		refused []int
		reader  string
		behind  string // the unknown program named in the refusal
	}{
		// An unknown program's later arguments that name a known program
		// are a command it may run.
		{"unknown wrapper sh -c", []string{"mywrap", "--opt", "sh", "-c", "deploy " + x}, []int{4}, "sh -c", "mywrap"},
		{"setarch sh -c", []string{"setarch", "x86_64", "-R", "sh", "-c", "echo " + x}, []int{5}, "sh -c", ""},
		{"echo sh -c is refused too", []string{"echo", "sh", "-c", x}, []int{3}, "sh -c", "echo"},
		{"unknown wrapper, split literal", []string{"mywrap", "sh -c", x}, []int{2}, "sh -c", "mywrap"},
		{"unknown wrapper, python", []string{"/opt/run-in-venv", "python3", "-c", x}, []int{3}, "python3 -c", "run-in-venv"},
		{"unknown subcommand of a launcher", []string{"docker", "buildx", "bake", "sh", "-c", x}, []int{5}, "sh -c", "docker buildx"},
		{"too many unknown options: scanned", []string{"timeout", "--a", "--b", "--c", "--d", "--e", "--f", "--g", "5", "sh", "-c", x}, []int{11}, "sh -c", ""},

		// Launchers in the table.
		{"docker exec", []string{"docker", "exec", "app", "sh", "-c", "deploy " + x}, []int{5}, "sh -c", ""},
		{"docker exec -it -u -e", []string{"docker", "exec", "-it", "-u", "app", "-e", "A=1", "app", "bash", "-lc", x}, []int{10}, "bash -c", ""},
		{"docker run --rm -v", []string{"docker", "run", "--rm", "-v", "/a:/b", "img", "sh", "-c", "deploy " + x}, []int{8}, "sh -c", ""},
		{"docker run --entrypoint", []string{"docker", "run", "--entrypoint", "sh", "img", "-c", x}, []int{6}, "sh -c", ""},
		{"docker run --entrypoint templated", []string{"docker", "run", "--entrypoint", x, "img"}, []int{3}, "", ""},
		{"docker container exec", []string{"docker", "container", "exec", "app", "sh", "-c", x}, []int{6}, "sh -c", ""},
		{"docker compose exec", []string{"docker", "compose", "-f", "c.yml", "exec", "-T", "web", "sh", "-c", x}, []int{9}, "sh -c", ""},
		{"docker-compose run", []string{"docker-compose", "run", "--rm", "web", "python", "-c", x}, []int{6}, "python -c", ""},
		{"podman exec bash -lc", []string{"podman", "exec", "app", "bash", "-lc", x}, []int{5}, "bash -c", ""},
		{"docker templated subcommand", []string{"docker", x, "app"}, []int{1}, "", ""},
		{"docker exec templated program", []string{"docker", "exec", "app", x}, []int{3}, "", ""},
		{"kubectl exec --", []string{"kubectl", "exec", "pod", "--", "sh", "-c", "deploy " + x}, []int{6}, "sh -c", ""},
		{"kubectl -n exec -it -c --", []string{"kubectl", "-n", "prod", "exec", "-it", "pod", "-c", "app", "--", "bash", "-lc", x}, []int{11}, "bash -c", ""},
		{"gosu", []string{"gosu", "app", "sh", "-c", x}, []int{4}, "sh -c", ""},
		{"su-exec", []string{"su-exec", "app", "sh", "-c", x}, []int{4}, "sh -c", ""},
		{"gosu templated program", []string{"gosu", "app", x}, []int{2}, "", ""},
		{"capsh --", []string{"capsh", "--drop=cap_net_raw", "--", "-c", x}, []int{4}, "bash -c", ""},
		{"bwrap", []string{"bwrap", "--ro-bind", "/", "/", "--unshare-net", "sh", "-c", x}, []int{7}, "sh -c", ""},
		{"systemd-run", []string{"systemd-run", "--user", "--wait", "sh", "-c", x}, []int{5}, "sh -c", ""},
		{"bundle exec ruby -e", []string{"bundle", "exec", "ruby", "-e", x}, []int{4}, "ruby -e", ""},
		{"poetry run python -c", []string{"poetry", "run", "python", "-c", x}, []int{4}, "python -c", ""},
		{"uv run --with python -c", []string{"uv", "run", "--with", "rich", "python", "-c", x}, []int{6}, "python -c", ""},
		{"pipenv run", []string{"pipenv", "run", "python", "-c", x}, []int{4}, "python -c", ""},
		{"conda run -n", []string{"conda", "run", "-n", "env", "python", "-c", x}, []int{6}, "python -c", ""},
		{"npm exec -- node -e", []string{"npm", "exec", "--", "node", "-e", x}, []int{5}, "node -e", ""},
		{"npm exec -c", []string{"npm", "exec", "-c", "deploy " + x}, []int{3}, "npm exec -c", ""},
		{"npx node -e", []string{"npx", "node", "-e", x}, []int{3}, "node -e", ""},
		{"pnpm exec", []string{"pnpm", "exec", "node", "-e", x}, []int{4}, "node -e", ""},
		{"yarn node -e", []string{"yarn", "node", "-e", x}, []int{3}, "node -e", ""},
		{"npm run templated script", []string{"npm", "run", x}, []int{2}, "", ""},
		{"tmux new-session", []string{"tmux", "new-session", "-d", "deploy " + x}, []int{3}, "tmux", ""},
		{"screen -X stuff", []string{"screen", "-S", "s", "-X", "stuff", x}, []int{5}, "screen", ""},
		{"nix-shell --run", []string{"nix-shell", "-p", "git", "--run", x}, []int{4}, "nix-shell", ""},
		{"busybox hush -c", []string{"busybox", "hush", "-c", x}, []int{3}, "hush -c", ""},
		{"ts-node -e", []string{"ts-node", "-e", x}, []int{2}, "ts-node -e", ""},
		{"tsx -e", []string{"tsx", "-e", x}, []int{2}, "", ""},
		{"vim -es -c", []string{"vim", "-es", "-c", x}, []int{3}, "vim -c", ""},
		{"vim +cmd", []string{"vim", "+" + x, "file"}, []int{1}, "vim +cmd", ""},
		{"nvim --cmd", []string{"nvim", "--cmd", x}, []int{2}, "", ""},
		{"gdb -ex", []string{"gdb", "-batch", "-ex", x}, []int{3}, "gdb -ex", ""},
		{"gdb --eval-command=", []string{"gdb", "-batch", "--eval-command=" + x}, []int{2}, "", ""},
		{"gdb --args", []string{"gdb", "-batch", "-ex", "run", "--args", "sh", "-c", x}, []int{7}, "sh -c", ""},
		{"lldb -o", []string{"lldb", "-b", "-o", x}, []int{3}, "", ""},
		{"dc -e", []string{"dc", "-e", x}, []int{2}, "dc -e", ""},
		{"dc file", []string{"dc", x}, []int{1}, "dc (file of code)", ""},

		// A code option whose value looks like options: both readings.
		{"node -pe", []string{"node", "-pe", x}, []int{2}, "node -e", ""},
		{"node -p -e", []string{"node", "-p", "-e", x}, []int{3}, "node -e", ""},
		{"node --print -e", []string{"node", "--print", "-e", x}, []int{3}, "node -e", ""},
		{"node -p code", []string{"node", "-p", x}, []int{2}, "node -p", ""},
		{"bun -pe", []string{"bun", "-pe", x}, []int{2}, "", ""},
		{"ruby -pe", []string{"ruby", "-pe", x}, []int{2}, "ruby -e", ""},

		// Renamed interpreters.
		{"python3.13t", []string{"python3.13t", "-c", x}, []int{2}, "python3.13t -c", ""},
		{"python3m", []string{"python3m", "-c", x}, []int{2}, "", ""},
		{"python3.7dm", []string{"/usr/bin/python3.7dm", "-c", x}, []int{2}, "", ""},
		{"python3-dbg", []string{"python3-dbg", "-c", x}, []int{2}, "", ""},
		{"ksh -R file -c", []string{"ksh", "-R", "out", "-c", x}, []int{4}, "ksh -c", ""},
		{"ksh93 -R file -c", []string{"ksh93", "-R", "out", "-c", x}, []int{4}, "", ""},

		// Table gaps.
		{"yq eval -i", []string{"yq", "eval", "-i", `.image.tag = "` + x + `"`, "values.yaml"}, []int{3}, "yq eval (expression)", ""},
		{"yq e", []string{"yq", "e", ".a = " + x, "f.yml"}, []int{2}, "yq e", ""},
		{"yq expression", []string{"yq", "-i", ".a = " + x, "f.yml"}, []int{2}, "yq (expression)", ""},
		{"yq --arg data", []string{"yq", "--arg", "v", x, ".a = $v", "f.yml"}, nil, "", ""},
		{"git filter-branch --tree-filter", []string{"git", "filter-branch", "--tree-filter", x}, []int{3}, "filter-branch --tree-filter", ""},
		{"git filter-branch --msg-filter=", []string{"git", "filter-branch", "--msg-filter=" + x}, []int{2}, "", ""},
		{"git filter-branch --env-filter", []string{"git", "filter-branch", "-f", "--env-filter", x, "HEAD"}, []int{4}, "", ""},
		{"git filter-repo --name-callback", []string{"git", "filter-repo", "--name-callback", x}, []int{3}, "", ""},
		{"perl -d:Mod=", []string{"perl", "-d:Foo=" + x, "script.pl"}, []int{1}, "perl -d", ""},
		{"sed -i suffix templated", []string{"sed", "-i" + x, "s/a/b/", "f"}, []int{1}, "sed -i", ""},

		// Safe forms stay accepted.
		{"safe sh -c positional", []string{"sh", "-c", `deploy "$1"`, "sh", x}, nil, "", ""},
		{"safe script", []string{"./deploy.sh", x}, nil, "", ""},
		{"safe script with words", []string{"/opt/deploy/scale.sh", "up", x, "--ref=" + x}, nil, "", ""},
		{"safe git push", []string{"git", "push", "origin", x}, nil, "", ""},
		{"safe docker exec positional", []string{"docker", "exec", "app", "sh", "-c", `deploy "$1"`, "sh", x}, nil, "", ""},
		{"safe kubectl exec script", []string{"kubectl", "exec", "pod", "--", "/app/deploy.sh", x}, nil, "", ""},
		{"safe docker build-arg", []string{"docker", "build", "--build-arg", "REF=" + x, "."}, nil, "", ""},
		{"safe node -p code then argv", []string{"node", "-p", "process.argv[1]", x}, nil, "", ""},
		{"safe node -pe code then argv", []string{"node", "-pe", "process.argv[1]", x}, nil, "", ""},
		{"safe python3.13t script", []string{"python3.13t", "app.py", x}, nil, "", ""},
		{"safe vim file", []string{"vim", "-es", "-c", "%s/a/b/", "-c", "wq", x}, nil, "", ""},
		{"safe gdb core", []string{"gdb", "-batch", "-ex", "bt", "./app", x}, nil, "", ""},
		{"safe gosu script", []string{"gosu", "app", "/app/deploy.sh", x}, nil, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := analyseArgv(c.argv, false)
			var idx []int
			for _, f := range got {
				idx = append(idx, f.Index)
			}
			if !reflect.DeepEqual(idx, c.refused) {
				t.Fatalf("refused %v, want %v (%+v)", idx, c.refused, got)
			}
			if c.reader != "" && !strings.Contains(got[0].Reader, c.reader) {
				t.Fatalf("reader %q, want %q", got[0].Reader, c.reader)
			}
			if len(got) > 0 && got[0].Behind != c.behind {
				t.Fatalf("behind %q, want %q", got[0].Behind, c.behind)
			}
			if c.behind != "" {
				msg := describeFinding(c.argv, got[0])
				if !strings.Contains(msg, "does not know how "+c.behind) || !strings.Contains(msg, "env:") {
					t.Fatalf("the refusal does not explain the unknown program and the safe form: %s", msg)
				}
			}
		})
	}
}

// stdin: reaches code through a script path that names standard input,
// xargs/parallel, ssh's remote command, and shells started with no command.
func TestArgvGuardStdinBecomesCode(t *testing.T) {
	cases := []struct {
		argv   []string
		reader string // "" when stdin stays data
	}{
		{[]string{"bash", "/dev/stdin"}, "bash (script /dev/stdin)"},
		{[]string{"sh", "/proc/self/fd/0"}, "sh (script /proc/self/fd/0)"},
		{[]string{"sh", "/proc/123/fd/0"}, "sh (script"},
		{[]string{"python3", "/dev/stdin"}, "python3 (script on stdin)"},
		{[]string{"node", "/dev/fd/0"}, "node (script on stdin)"},
		{[]string{"awk", "-f", "-", "data"}, "awk (-f - reads code"},
		{[]string{"sed", "-f", "-", "file"}, "sed (-f - reads code"},
		{[]string{"psql", "-f", "-"}, "psql (-f - reads code"},
		{[]string{"jq", "--from-file", "/dev/stdin"}, "jq (--from-file /dev/stdin"},
		{[]string{"xargs", "sh", "-c"}, "xargs (puts its input after the command's arguments, read by sh -c)"},
		{[]string{"xargs", "-I{}", "sh", "-c", "echo deploying {}"}, "xargs (puts its input into command[4], read by sh -c)"},
		{[]string{"xargs", "-i", "sh", "-c", "echo {}"}, "xargs (puts its input into command[4]"},
		{[]string{"xargs", "--replace=@", "python3", "-c", "print(@)"}, "xargs (puts its input into command[4]"},
		{[]string{"xargs", "bash"}, "bash (script on stdin)"},
		{[]string{"xargs", "-I", "{}", "{}", "arg"}, "xargs (puts its input into command[3], read by the program position)"},
		{[]string{"parallel", "echo"}, "parallel"},
		{[]string{"ssh", "deploy@host", "bash -s"}, "bash (script on stdin), in the command line of ssh"},
		{[]string{"ssh", "host", "sh"}, "sh (script on stdin)"},
		{[]string{"ssh", "host", "cd /srv && python3"}, "python3 (script on stdin)"},
		{[]string{"sh", "-c", "cat | python3"}, "python3 (script on stdin), in the command line of sh -c"},
		{[]string{"su", "deploy"}, "su (no command"},
		{[]string{"su", "-", "deploy"}, "su (no command"},
		{[]string{"su", "deploy", "-c", "bash -s"}, "bash (script on stdin)"},
		{[]string{"sudo", "-u", "deploy", "-s"}, "sudo (-s or -i with no command"},
		{[]string{"sudo", "-i"}, "sudo (-s or -i"},
		{[]string{"runuser", "-u", "deploy"}, "runuser (no command"},
		{[]string{"pwsh", "-Command", "-"}, "pwsh (-Command -"},
		{[]string{"pwsh", "-NoProfile"}, "pwsh (no command"},
		{[]string{"pwsh", "-File", "-"}, "pwsh (-File -"},
		{[]string{"docker", "exec", "-i", "app", "sh"}, "sh (script on stdin)"},
		{[]string{"docker", "run", "-i", "img"}, "the image's command reads standard input"},
		{[]string{"at", "now"}, "at (job commands on stdin)"},
		{[]string{"chroot", "/srv/root"}, "chroot (no program"},
		{[]string{"unshare", "-r"}, "unshare (no program"},
		{[]string{"setarch", "x86_64"}, "setarch (no program"},
		{[]string{"nix-shell", "-p", "git"}, "nix-shell (no --run"},
		{[]string{"vim", "-es"}, "vim (keys or Ex commands on stdin)"},
		{[]string{"gdb", "./app"}, "gdb (commands on stdin)"},
		{[]string{"dc"}, "dc (code on stdin)"},
		{[]string{"node", "-p"}, "node (script on stdin)"},
		{[]string{"mywrap", "bash"}, "bash (script on stdin), found among the arguments of mywrap"},
		{[]string{"xargs", "git", "fetch"}, "git fetch (the value could be an option"},

		// stdin stays data.
		{[]string{"jq", "-r", ".x"}, ""},
		{[]string{"./deploy.sh", "{{ payload.x }}"}, ""},
		{[]string{"sh", "-c", "cat > /tmp/x"}, ""},
		{[]string{"sh", "-c", "jq -r .ref | ./deploy.sh"}, ""},
		{[]string{"ssh", "host", "deploy"}, ""},
		{[]string{"ssh", "-n", "host", "bash"}, ""},
		{[]string{"xargs", "-0", "sh", "-c", `deploy "$1"`, "sh"}, ""},
		{[]string{"xargs", "-a", "list.txt", "./deploy.sh"}, ""},
		{[]string{"xargs", "./deploy.sh"}, ""},
		{[]string{"xargs", "git", "fetch", "--"}, ""},
		{[]string{"su", "deploy", "-c", "./deploy.sh"}, ""},
		{[]string{"docker", "exec", "app", "/app/deploy.sh"}, ""},
		{[]string{"vim", "-es", "-c", "%p", "-c", "q", "-"}, ""},
		{[]string{"gdb", "-batch", "-ex", "bt", "./app"}, ""},
		{[]string{"at", "-f", "job.sh", "now"}, ""},
	}
	for _, c := range cases {
		err := guardCommand(ShellConfig{Command: c.argv, Stdin: "{{ payload.x }}"}, "")
		switch {
		case c.reader == "" && err != nil:
			t.Errorf("%q with templated stdin: %v", c.argv, err)
		case c.reader != "" && (err == nil || !strings.Contains(err.Error(), "stdin: ") || !strings.Contains(err.Error(), c.reader)):
			t.Errorf("%q with templated stdin: %v, want a stdin: refusal naming %q", c.argv, err, c.reader)
		}
	}
	// xargs with no stdin: data is not templated, nothing is refused.
	if err := guardCommand(ShellConfig{Command: []string{"xargs", "-I{}", "sh", "-c", "echo {}"}}, ""); err != nil {
		t.Errorf("xargs without stdin: %v", err)
	}
}

// A program given through a link (or a renamed copy) is read as what it
// runs: ./bin/deploysh -> /bin/sh is a shell.
func TestArgvGuardResolvesLinks(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh here")
	}
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "bin"), 0o755)
	if err := os.Symlink(sh, filepath.Join(dir, "bin", "deploysh")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "bin", "deploy.sh"), []byte("#!/bin/sh\n"), 0o755)
	const x = "{{ payload.x }}"
	cases := []struct {
		argv   []string
		reader string
	}{
		{[]string{"./bin/deploysh", "-c", x}, "deploysh"},
		{[]string{"bin/deploysh", "-c", x}, "deploysh"},
		{[]string{filepath.Join(dir, "bin", "deploysh"), "-c", "deploy " + x}, "deploysh"},
		{[]string{"timeout", "5", "./bin/deploysh", "-c", x}, "deploysh"},
		{[]string{"deploysh", "-c", x}, "deploysh"}, // through PATH
		{[]string{"./bin/deploysh", "-c", `deploy "$1"`, "sh", x}, ""},
		{[]string{"./bin/deploy.sh", x}, ""},
	}
	t.Setenv("PATH", filepath.Join(dir, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	for _, c := range cases {
		err := guardCommand(ShellConfig{Command: c.argv}, dir)
		if c.reader == "" {
			if err != nil {
				t.Errorf("%q: %v", c.argv, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.reader) || !strings.Contains(err.Error(), "-c") {
			t.Errorf("%q: %v, want refused as a shell -c", c.argv, err)
		}
	}
	// With stdin: a link to a shell given no script reads it.
	if err := guardCommand(ShellConfig{Command: []string{"./bin/deploysh"}, Stdin: "body"}, dir); err == nil {
		t.Error("./bin/deploysh (a link to sh) with stdin: body was accepted")
	}
}

func TestDangerousEnvClasses(t *testing.T) {
	for name, want := range map[string]bool{
		"GIT_SEQUENCE_EDITOR": true, "SUDO_EDITOR": true, "KUBE_EDITOR": true, "EDITOR": true, "FCEDIT": true,
		"SHELL": true, "DOTNET_STARTUP_HOOKS": true, "CORECLR_PROFILER_PATH": true, "OPENSSL_CONF": true,
		"OPENSSL_ENGINES": true, "BUNDLE_GEMFILE": true, "npm_config_script_shell": true, "NPM_CONFIG_NODE_OPTIONS": true,
		"AWKPATH": true, "AWKLIBPATH": true, "GIT_PAGER": true, "MANPAGER": true, "SSH_ASKPASS": true,
		"GIT_SSH_COMMAND": true, "RSYNC_RSH": true, "LD_PRELOAD": true, "ld_preload": true,
		"REF": false, "DEPLOY_REF": false, "SHIP_LOG": false, "COMMIT_SHA": false, "PR_TITLE": false,
	} {
		if got := dangerousEnv(name); got != want {
			t.Errorf("dangerousEnv(%q) = %v, want %v", name, got, want)
		}
	}
	err := guardCommand(ShellConfig{Command: []string{"git", "rebase", "-i", "HEAD~1"}, Env: map[string]string{"GIT_SEQUENCE_EDITOR": "{{ payload.x }}"}}, "")
	if err == nil || !strings.Contains(err.Error(), "env.GIT_SEQUENCE_EDITOR") {
		t.Errorf("GIT_SEQUENCE_EDITOR from the payload: %v", err)
	}
}

// Shells read "+c" and "+o" as options, vim and less "+cmd": a value that
// begins an element may not start with "+" either, unless allow_dash.
func TestCheckDashRefusesPlus(t *testing.T) {
	cases := []struct {
		elem, value string
		allowDash   bool
		refused     bool
	}{
		{"{{ payload.a }}", "+c", false, true},
		{"{{ payload.a }}", "+o", false, true},
		{"{{ payload.a }}", "-rf", false, true},
		{"{{ payload.a }}", "+c", true, false},
		{"{{ payload.a }}", "main", false, false},
		{"{{ payload.a }}", "1+1", false, false},
		{"ref-{{ payload.a }}", "+c", false, false},
	}
	for _, c := range cases {
		s := &Shell{cfg: ShellConfig{Command: []string{"bash", "-s", c.elem}, AllowDash: c.allowDash}}
		err := s.checkDash(2, c.value)
		if (err != nil) != c.refused {
			t.Errorf("%q = %q (allow_dash %v): %v, refused want %v", c.elem, c.value, c.allowDash, err, c.refused)
		}
		if err != nil && !strings.Contains(err.Error(), `starts with "`+c.value[:1]+`"`) {
			t.Errorf("message does not say what it starts with: %v", err)
		}
	}
}

// An argv too involved to analyse is refused, never accepted half-read.
func TestArgvGuardLimits(t *testing.T) {
	argv := []string{"mywrap"}
	for i := 0; i < 40; i++ {
		argv = append(argv, "env", "mywrap")
	}
	argv = append(argv, "{{ payload.x }}")
	err := guardCommand(ShellConfig{Command: argv, Stdin: "body"}, "")
	if err == nil || !strings.Contains(err.Error(), "too many nested programs") {
		t.Fatalf("err = %v", err)
	}
}
