package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/internal/syncbuf"
)

// The shipped units pass systemd-analyze verify (where systemd is present).
func TestSystemdUnitsVerify(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	dir := t.TempDir()
	for _, name := range []string{"hookrunner.service", "hookrunner.socket"} {
		b, err := os.ReadFile(filepath.Join("..", "systemd", name))
		if err != nil {
			t.Fatal(err)
		}
		// Point ExecStart at the binary this test built (verify checks it exists).
		b = []byte(strings.ReplaceAll(string(b), "/usr/local/bin/hookrunner", binary))
		os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	out, err := exec.Command(sa, "verify", "--man=no", filepath.Join(dir, "hookrunner.service"), filepath.Join(dir, "hookrunner.socket")).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "hookrunner") && !strings.Contains(l, "Failed to") {
			t.Errorf("verify warning: %s", l)
		}
	}
}

// The drop-in that lets deploy scripts use sudo parses, relaxes exactly the
// settings that block sudo (NoNewPrivileges, the empty capability bounding
// set, a read-only /run/sudo), and nothing else of the unit's hardening.
func TestSystemdSudoDropIn(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "systemd", "deploy-with-sudo.conf"))
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok && !strings.HasPrefix(l, "#") {
			set[k] = v
		}
	}
	want := map[string]string{"NoNewPrivileges": "no", "CapabilityBoundingSet": "~", "ReadWritePaths": "-/run/sudo"}
	if fmt.Sprint(set) != fmt.Sprint(want) {
		t.Fatalf("drop-in sets %v, want exactly %v", set, want)
	}
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	dir := t.TempDir()
	unit, _ := os.ReadFile(filepath.Join("..", "systemd", "hookrunner.service"))
	os.WriteFile(filepath.Join(dir, "hookrunner.service"), []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/hookrunner", binary)), 0o644)
	sock, _ := os.ReadFile(filepath.Join("..", "systemd", "hookrunner.socket"))
	os.WriteFile(filepath.Join(dir, "hookrunner.socket"), sock, 0o644)
	os.Mkdir(filepath.Join(dir, "hookrunner.service.d"), 0o755)
	os.WriteFile(filepath.Join(dir, "hookrunner.service.d", "deploy-with-sudo.conf"), b, 0o644)
	cmd := exec.Command(sa, "verify", "--man=no", filepath.Join(dir, "hookrunner.service"))
	// The unit path makes systemd read the drop-in folder beside the unit.
	cmd.Env = append(os.Environ(), "SYSTEMD_UNIT_PATH="+dir+":")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze verify with the drop-in: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "deploy-with-sudo.conf") {
		t.Fatalf("the drop-in has warnings:\n%s", out)
	}
}

// Type=notify: READY=1 once serving, RELOADING=1/READY=1 around a SIGHUP
// reload, STOPPING=1 on SIGTERM; and socket activation through LISTEN_FDS.
func TestSdNotifyAndSocketActivation(t *testing.T) {
	dir := t.TempDir()
	sockPath := filepath.Join(dir, "notify.sock")
	nc, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sockPath, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	msgs := make(chan string, 32)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, _, err := nc.ReadFromUnix(buf)
			if err != nil {
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	// The "systemd socket": opened here, handed over as fd 3.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lf, _ := ln.(*net.TCPListener).File()
	addr := ln.Addr().String()
	ln.Close()
	cfg := fmt.Sprintf(`
server: { listen: "127.0.0.1:1" }
admin: { listen: %q }
store: { dsn: hr.db }
sources:
  hook: { provider: generic, verify: none }
rules:
  - { name: r, source: hook, actions: [ { shell: { command: ["/bin/true"] } } ] }
`, freePort(t))
	os.WriteFile(filepath.Join(dir, "hooks.yaml"), []byte(cfg), 0o600)
	cmd := exec.Command("/bin/sh", "-c", `LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" serve --config hooks.yaml --watch=false`, binary)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sockPath)
	cmd.ExtraFiles = []*os.File{lf}
	logs := &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	defer func() { cmd.Process.Kill(); <-done }()
	expect := func(want string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case m := <-msgs:
				if strings.HasPrefix(m, want) {
					return
				}
			case <-deadline:
				t.Fatalf("no %s from hookrunner:\n%s", want, logs)
			}
		}
	}
	expect("READY=1")
	// Serving on the inherited socket (server.listen points nowhere).
	resp, err := http.Post("http://"+addr+"/hooks/hook", "application/json", strings.NewReader("{}"))
	if err != nil || resp.StatusCode != 202 {
		t.Fatalf("request on the activated socket: %v", err)
	}
	resp.Body.Close()
	os.WriteFile(filepath.Join(dir, "hooks.yaml"), []byte(strings.Replace(cfg, "name: r,", "name: r2,", 1)), 0o600)
	cmd.Process.Signal(syscall.SIGHUP)
	expect("RELOADING=1")
	expect("READY=1")
	cmd.Process.Signal(syscall.SIGTERM)
	expect("STOPPING=1")
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
}
