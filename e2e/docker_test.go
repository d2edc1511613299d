package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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
