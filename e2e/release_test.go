package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The release config builds linux and darwin on amd64 and arm64, stamps the
// version the binary prints, archives files that exist, and builds the image
// from the Dockerfile with the prebuilt binary. darwin/arm64 (the target
// furthest from this machine) is resolved by go list.
func TestReleaseConfig(t *testing.T) {
	b, err := os.ReadFile("../.goreleaser.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var rel struct {
		Builds []struct {
			Main    string   `yaml:"main"`
			Env     []string `yaml:"env"`
			Ldflags []string `yaml:"ldflags"`
			Goos    []string `yaml:"goos"`
			Goarch  []string `yaml:"goarch"`
		} `yaml:"builds"`
		Archives []struct {
			Files []string `yaml:"files"`
		} `yaml:"archives"`
		Dockers []struct {
			Dockerfile  string   `yaml:"dockerfile"`
			BuildFlags  []string `yaml:"build_flag_templates"`
			ExtraFiles  []string `yaml:"extra_files"`
			Goarch      string   `yaml:"goarch"`
			ImageTempls []string `yaml:"image_templates"`
		} `yaml:"dockers"`
	}
	if err := yaml.Unmarshal(b, &rel); err != nil {
		t.Fatal(err)
	}
	if len(rel.Builds) != 1 {
		t.Fatalf("want one build, got %d", len(rel.Builds))
	}
	bd := rel.Builds[0]
	slices.Sort(bd.Goos)
	slices.Sort(bd.Goarch)
	if strings.Join(bd.Goos, ",") != "darwin,linux" || strings.Join(bd.Goarch, ",") != "amd64,arm64" || !slices.Contains(bd.Env, "CGO_ENABLED=0") {
		t.Fatalf("targets: goos %v goarch %v env %v", bd.Goos, bd.Goarch, bd.Env)
	}
	ld := strings.NewReplacer("{{.Version}}", "9.8.7", "{{.ShortCommit}}", "fedcba9", "{{.Date}}", "2026-12-01").Replace(strings.Join(bd.Ldflags, " "))
	out := filepath.Join(t.TempDir(), "hookrunner")
	// The same flags as TestMain's build but the ldflags: only the link runs.
	if b, err := exec.Command("go", "build", "-ldflags", ld, "-o", out, "../"+strings.TrimPrefix(bd.Main, "./")).CombinedOutput(); err != nil {
		t.Fatalf("build with the release ldflags: %v\n%s", err, b)
	}
	if v, err := exec.Command(out, "version").CombinedOutput(); err != nil || !strings.Contains(string(v), "9.8.7") || !strings.Contains(string(v), "fedcba9") {
		t.Fatalf("version does not show the stamped version: %s %v", v, err)
	}
	// Which files a darwin build takes: every package of the binary must
	// resolve for it (a Linux-only file without a fallback fails here).
	list := exec.Command("go", "list", "-deps", "../"+strings.TrimPrefix(bd.Main, "./"))
	list.Env = append(os.Environ(), "GOOS=darwin", "GOARCH=arm64", "CGO_ENABLED=0")
	if b, err := list.CombinedOutput(); err != nil {
		t.Fatalf("go list for darwin/arm64: %v\n%s", err, b)
	}
	for _, a := range rel.Archives {
		for _, f := range a.Files {
			if m, _ := filepath.Glob(filepath.Join("..", f)); len(m) == 0 {
				t.Errorf("archive file %s matches nothing", f)
			}
		}
	}
	df, _ := os.ReadFile("../Dockerfile")
	arches := map[string]bool{}
	for _, d := range rel.Dockers {
		arches[d.Goarch] = true
		if d.Dockerfile != "Dockerfile" || !slices.Contains(d.BuildFlags, "--build-arg=BINARY=prebuilt") {
			t.Errorf("docker %s: dockerfile %q flags %v", d.Goarch, d.Dockerfile, d.BuildFlags)
		}
		for _, f := range d.ExtraFiles {
			if !strings.Contains(string(df), "COPY "+f+" ") {
				t.Errorf("extra file %s is not what the Dockerfile copies", f)
			}
		}
	}
	if !arches["amd64"] || !arches["arm64"] || !strings.Contains(string(df), "FROM scratch AS prebuilt") {
		t.Fatalf("image for amd64 and arm64 from the prebuilt stage: %v", arches)
	}
}
