// Package e2e drives the real hookrunner binary as a separate process:
// crash (kill -9) and restart, reload by signal, the CLI.
package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
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

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hookrunner-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "hookrunner")
	out, err := exec.Command("go", "build", "-o", binary, "github.com/hookrunner/hookrunner/cmd/hookrunner").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build hookrunner: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// proc is a running hookrunner binary.
type proc struct {
	cmd  *exec.Cmd
	logs *syncbuf.Buffer
	done chan struct{}
}

// startProc starts `hookrunner serve` in dir and waits until addr answers.
func startProc(t *testing.T, dir, cfg, addr string, extra ...string) *proc {
	t.Helper()
	p := &proc{logs: &syncbuf.Buffer{}, done: make(chan struct{})}
	args := append([]string{"serve", "--config", cfg}, extra...)
	p.cmd = exec.Command(binary, args...)
	p.cmd.Dir = dir
	p.cmd.Stdout = p.logs
	p.cmd.Stderr = p.logs
	p.cmd.Env = append(os.Environ(), "HOOKRUNNER_TEST=1")
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	// A failed wait (waitUntil) ends the test at once: leave no server
	// behind, and show what it logged.
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("hookrunner %v logged:\n%s", args, p.logs)
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("hookrunner exited at start:\n%s", p.logs)
		default:
		}
		if time.Now().After(deadline) {
			p.kill()
			t.Fatalf("hookrunner did not listen on %s:\n%s", addr, p.logs)
		}
		time.Sleep(20 * time.Millisecond) // bounded: the dial above polls until the server listens
	}
}

func (p *proc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func (p *proc) term(t *testing.T) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		p.kill()
		t.Error("hookrunner ignored SIGTERM for 60s")
	}
}

func runCLI(t *testing.T, dir string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return string(out), code
}

func readLines(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		if l := strings.TrimSpace(s.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func drain(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return string(b)
}
