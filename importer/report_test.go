package importer_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/importer"
)

// The import report lists every hook, what it became and its differences,
// on stderr and in --report's file; --strict refuses an import with any
// difference and writes no hooks.yaml.
func TestImportReportAndStrict(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	differs := write("differs.json", `[{"id": "a/b", "execute-command": "/bin/true", "response-message": "ok",
		"trigger-rule": {"match": {"type": "payload-hmac-sha1", "secret": "s", "parameter": {"source": "header", "name": "X-Hub-Signature"}}}},
		{"id": "nocmd"}]`)
	exact := write("exact.json", `[{"id": "sync", "execute-command": "/bin/true", "include-command-output-in-response": true, "http-methods": ["POST"],
		"trigger-rule": {"match": {"type": "payload-hmac-sha256", "secret": "s", "parameter": {"source": "header", "name": "X-Sig"}}}}]`)
	tests := []struct {
		name, path string
		strict     bool
		wantErr    bool
		report     []string
	}{
		{"report", differs, false, false, []string{"HOOK", "a/b", "POST /hooks/a/b", "a-b", "generic hmac sha1", "202 once stored", "nocmd", "skipped", `hook "a/b":`, `adnanh answers 200 "ok" at once`}},
		{"strict refuses", differs, true, true, []string{`hook "a/b":`}},
		{"strict passes an exact import", exact, true, false, []string{"POST /hooks/sync", "generic hmac sha256", "command output"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			reportFile := filepath.Join(dir, tt.name+".report")
			err := importer.Run(importer.Options{From: "webhook", Path: tt.path, Strict: tt.strict, Report: reportFile}, &out, &errOut)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				if !errors.Is(err, importer.ErrStrict) || out.Len() != 0 {
					t.Fatalf("strict: err %v, %d bytes written", err, out.Len())
				}
			} else if !strings.Contains(out.String(), "sources:") {
				t.Fatalf("no hooks.yaml written: %q", out.String())
			}
			file, _ := os.ReadFile(reportFile)
			for _, w := range tt.report {
				if !strings.Contains(errOut.String(), w) || !strings.Contains(string(file), w) {
					t.Errorf("report lacks %q:\nstderr:\n%s\nfile:\n%s", w, errOut.String(), file)
				}
			}
		})
	}
}
