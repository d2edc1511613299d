package ops

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReadyURL(t *testing.T) {
	tests := []struct{ listen, want string }{
		{"127.0.0.1:8081", "http://127.0.0.1:8081/readyz"},
		{":9091", "http://127.0.0.1:9091/readyz"},
		{"0.0.0.0:9091", "http://127.0.0.1:9091/readyz"},
		{"[::]:9091", "http://127.0.0.1:9091/readyz"},
		{"[::1]:9091", "http://[::1]:9091/readyz"},
		{"10.0.0.5:8081", "http://10.0.0.5:8081/readyz"},
		{"no-port", ""},
	}
	for _, tt := range tests {
		got, err := readyURL(tt.listen)
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("readyURL(%q) = %q, %v; want %q", tt.listen, got, err, tt.want)
		}
	}
}

// Without --config and without ./hooks.yaml, health asks the default admin
// listener; with one, its admin.listen.
func TestHealthURLDefault(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if u, err := HealthURL(""); err != nil || u != DefaultHealthURL {
		t.Fatalf("no hooks.yaml: %q, %v", u, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hooks.yaml"), []byte("admin: { listen: \"127.0.0.1:7001\" }\nsources:\n  s: { provider: generic, verify: none }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if u, err := HealthURL(""); err != nil || u != "http://127.0.0.1:7001/readyz" {
		t.Fatalf("./hooks.yaml: %q, %v", u, err)
	}
	if _, err := HealthURL(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Fatal("a missing --config is not an error")
	}
}
