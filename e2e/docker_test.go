package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// CI has no Docker engine, so this runs the Dockerfile's build-stage
// command itself and checks the binary is static.
func TestDockerfileBuildStage(t *testing.T) {
	df, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^RUN (CGO_ENABLED=0 go build .*) -o /out/hookrunner (\S+)$`).FindStringSubmatch(string(df))
	if m == nil {
		t.Fatal("no `RUN CGO_ENABLED=0 go build … -o /out/hookrunner` line in the Dockerfile")
	}
	out := filepath.Join(t.TempDir(), "hookrunner")
	script := strings.NewReplacer("${VERSION}", "1.2.3", "${COMMIT}", "abc1234", "${DATE}", "2026-11-22").Replace(m[1]) + " -o " + out + " " + m[2]
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Dir = ".."
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, b)
	}
	b, _ := exec.Command("ldd", out).CombinedOutput()
	if !strings.Contains(string(b), "not a dynamic executable") && !strings.Contains(string(b), "statically linked") {
		t.Fatalf("binary is dynamic:\n%s", b)
	}
	v, err := exec.Command(out, "version").CombinedOutput()
	if err != nil || !strings.Contains(string(v), "hookrunner 1.2.3 (commit abc1234, built 2026-11-22)") {
		t.Fatalf("version with ldflags: %s %v", v, err)
	}
	for _, want := range []string{"USER hookrunner", "HEALTHCHECK", "EXPOSE 8080", "VOLUME"} {
		if !strings.Contains(string(df), want) {
			t.Errorf("Dockerfile lacks %s", want)
		}
	}
}

// TestDockerImage builds the image and runs it, where a Docker engine
// answers (CI has none: it skips). The image holds no config: without one it
// exits naming the path to mount; with the repository's hooks.yaml mounted
// read-only it becomes ready and runs the example redeploy rule, whose
// scripts ship under /etc/hookrunner/examples and write under the volume.
func TestDockerImage(t *testing.T) {
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("docker not installed")
	}
	if out, err := exec.Command(docker, "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		t.Skipf("no Docker engine answers: %s", strings.TrimSpace(string(out)))
	}
	tag := fmt.Sprintf("hookrunner-test:%d", os.Getpid())
	run := func(args ...string) (string, error) {
		out, err := exec.Command(docker, args...).CombinedOutput()
		return string(out), err
	}
	if out, err := run("build", "-t", tag, ".."); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	t.Cleanup(func() { run("rmi", "-f", tag) })

	out, err := run("run", "--rm", tag)
	if err == nil || !strings.Contains(out, "/etc/hookrunner/hooks.yaml") {
		t.Fatalf("the image started without a config, or said nothing of it: %v\n%s", err, out)
	}

	cfg, _ := filepath.Abs("../hooks.yaml")
	name := fmt.Sprintf("hookrunner-test-%d", os.Getpid())
	if out, err := run("run", "-d", "--name", name, "-e", "GITHUB_WEBHOOK_SECRET=docker-test-secret",
		"-v", cfg+":/etc/hookrunner/hooks.yaml:ro", tag); err != nil {
		t.Fatalf("docker run: %v\n%s", err, out)
	}
	t.Cleanup(func() { run("rm", "-f", name) })
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := run("exec", name, "hookrunner", "health", "--url", "http://127.0.0.1:8081/readyz")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			logs, _ := run("logs", name)
			t.Fatalf("never ready: %s\n%s", out, logs)
		}
		time.Sleep(500 * time.Millisecond) // polling a container from outside: no signal to wait on
	}
	// The built-in push sample is a push to main of acme/api, at 0d1a26e.
	if out, err := run("exec", name, "hookrunner", "send", "--config", "/etc/hookrunner/hooks.yaml",
		"--url", "http://127.0.0.1:8080/hooks/github", "--source", "github", "--event", "push"); err != nil {
		t.Fatalf("send: %v\n%s", err, out)
	}
	for {
		out, _ := run("exec", name, "cat", "/var/lib/hookrunner/var/deploys.log")
		if strings.Contains(out, "deployed 0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c") {
			return
		}
		if time.Now().After(deadline) {
			logs, _ := run("logs", name)
			t.Fatalf("the redeploy rule did not run in the read-only layout:\n%s", logs)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
