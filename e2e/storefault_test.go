package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func storeFaultConfig(t *testing.T, dir, dsn string) (addr, admin string) {
	t.Helper()
	addr, admin = freePort(t), freePort(t)
	cfg := fmt.Sprintf(`
server: { listen: %q, max_body: 4MiB }
admin: { listen: %q }
store: { driver: sqlite, dsn: %q }
log: { level: warn }
sources:
  hook: { provider: generic, verify: token, header: X-Token, secret: fault-token }
rules:
  - name: noop
    source: hook
    actions:
      - shell: { command: ["/bin/true"] }
`, addr, admin, dsn)
	if err := os.WriteFile(filepath.Join(dir, "hooks.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return addr, admin
}

func postHook(addr string, body []byte) (int, error) {
	req, _ := http.NewRequest("POST", "http://"+addr+"/hooks/hook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Token", "fault-token")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, err
	}
	drain(resp)
	return resp.StatusCode, nil
}

func readyz(admin string) int {
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + admin + "/readyz")
	if err != nil {
		return 0
	}
	drain(resp)
	return resp.StatusCode
}

// TestStoreFileDeletedFailsClosed deletes the SQLite file under a serving
// hookrunner while a client keeps sending: within a second every answer is
// 503, no 2xx follows the first 503, and /readyz says not ready.
func TestStoreFileDeletedFailsClosed(t *testing.T) {
	dir := t.TempDir()
	addr, admin := storeFaultConfig(t, dir, "hr.db")
	p := startProc(t, dir, "hooks.yaml", addr)
	defer p.kill()
	if code, err := postHook(addr, []byte(`{"n":0}`)); err != nil || code != 202 {
		t.Fatalf("before: %d %v", code, err)
	}
	if err := os.Remove(filepath.Join(dir, "hr.db")); err != nil {
		t.Fatal(err)
	}
	deleted := time.Now()
	var first503 time.Time
	for i := 1; i <= 200; i++ {
		code, err := postHook(addr, []byte(fmt.Sprintf(`{"n":%d}`, i)))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case code == 503 && first503.IsZero():
			first503 = time.Now()
		case code/100 == 2 && !first503.IsZero():
			t.Fatalf("request %d acknowledged (%d) after the store was refusing", i, code)
		case code/100 == 2 && time.Since(deleted) > time.Second:
			t.Fatalf("request %d still acknowledged %s after the file was deleted", i, time.Since(deleted))
		}
		if !first503.IsZero() && i > 20 {
			break
		}
	}
	if first503.IsZero() {
		t.Fatal("never answered 503 after the store file was deleted")
	}
	if code := readyz(admin); code != 503 {
		t.Fatalf("/readyz = %d after the store file was deleted", code)
	}
	waitUntil(t, "the loud STORE NOT WRITABLE log line", 5*time.Second, func() bool { return strings.Contains(p.logs.String(), "STORE NOT WRITABLE") })
	if n := strings.Count(p.logs.String(), "STORE NOT WRITABLE"); n != 1 {
		t.Fatalf("the loud line was logged %d times, want once", n)
	}
}

// TestDiskFullNotReady puts the store on a small tmpfs and fills it: /readyz
// turns not ready within 2 s, and ready again once room is made. Needs root.
func TestDiskFullNotReady(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", data).CombinedOutput(); err != nil {
		t.Skipf("mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", data).Run() })
	addr, admin := storeFaultConfig(t, dir, "data/hr.db")
	p := startProc(t, dir, "hooks.yaml", addr)
	defer p.kill()
	if code := readyz(admin); code != 200 {
		t.Fatalf("/readyz = %d at start", code)
	}
	f, err := os.Create(filepath.Join(data, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte{'x'}, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	f.Close()
	big := []byte(`{"pad":"` + strings.Repeat("y", 512<<10) + `"}`)
	for i := 0; i < 4; i++ {
		if code, _ := postHook(addr, big); code/100 == 2 {
			continue // the WAL may still have room for a few
		}
		break
	}
	waitUntil(t, "/readyz to say not ready within 2s of the disk filling", 2*time.Second, func() bool { return readyz(admin) == 503 })
	if code, _ := postHook(addr, []byte(`{}`)); code != 503 {
		t.Fatalf("ingest answered %d while the store is not writable", code)
	}
	if err := os.Remove(filepath.Join(data, "filler")); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "/readyz ready again after room was made", 10*time.Second, func() bool { return readyz(admin) == 200 })
	if code, err := postHook(addr, []byte(`{"after":1}`)); err != nil || code != 202 {
		t.Fatalf("after room was made: %d %v", code, err)
	}
}
