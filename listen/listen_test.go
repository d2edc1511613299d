package listen

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/internal/redact"
	"github.com/hookrunner/hookrunner/internal/relay"
)

func TestReadEvent(t *testing.T) {
	in := ": heartbeat\n\n" +
		"event: ready\r\nid: 7\r\ndata: {\"cursor\":7}\r\n\r\n" +
		"event: event\nid: 8\ndata: line1\ndata: line2\n\n" +
		"data: " + strings.Repeat("x", 200) + "\n\n"
	br := bufio.NewReaderSize(strings.NewReader(in), 16)
	seen := 0
	want := []sseEvent{{"ready", "7", []byte(`{"cursor":7}`)}, {"event", "8", []byte("line1\nline2")}}
	for i, w := range want {
		ev, err := readEvent(br, 1000, func() { seen++ })
		if err != nil || ev.name != w.name || ev.id != w.id || string(ev.data) != string(w.data) {
			t.Fatalf("event %d = %+v (%v), want %+v", i, ev, err, w)
		}
	}
	if _, err := readEvent(br, 100, func() {}); !errors.Is(err, errLineTooLong) {
		t.Fatalf("a 206-byte line with a 100-byte limit: %v", err)
	}
	if seen == 0 {
		t.Fatal("the watchdog was never told of a line")
	}
}

func TestState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "listen.json")
	if _, ok, err := loadState(path, "https://a.example"); ok || err != nil {
		t.Fatalf("no file: ok %v, %v", ok, err)
	}
	if err := saveState(path, state{Server: "https://a.example", Cursor: 41}); err != nil {
		t.Fatal(err)
	}
	if err := saveState(path, state{Server: "https://a.example", Cursor: 42}); err != nil {
		t.Fatal(err)
	}
	st, ok, err := loadState(path, "https://a.example/")
	if err != nil || !ok || st.Cursor != 42 {
		t.Fatalf("loaded %+v %v %v", st, ok, err)
	}
	if _, _, err := loadState(path, "https://b.example"); err == nil {
		t.Fatal("a state file of another server was used")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
	if err := os.WriteFile(path, []byte("{half"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := loadState(path, "https://a.example"); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("damaged state: %v", err)
	}
}

func TestOptionsChecked(t *testing.T) {
	tests := []struct {
		o       Options
		wantErr string
	}{
		{Options{Server: "https://hooks.example.com", Token: "t", Forward: "http://localhost:3000/webhook", State: "s"}, ""},
		{Options{Server: "http://127.0.0.1:8080", Token: "t", Print: true}, ""},
		{Options{Server: "http://hooks.example.com", Token: "t", Print: true}, "plain http"},
		{Options{Server: "hooks.example.com", Token: "t", Print: true}, "--server"},
		{Options{Server: "https://hooks.example.com", Print: true}, "--token"},
		{Options{Server: "https://hooks.example.com", Token: "t"}, "--forward"},
		{Options{Server: "https://hooks.example.com", Token: "t", Print: true, Since: -1}, "--since"},
	}
	for _, tt := range tests {
		err := tt.o.check()
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%+v: %v, want %q", tt.o, err, tt.wantErr)
		}
	}
}

func TestSafeKeepsTerminalControlOut(t *testing.T) {
	if got := safe("push\x1b]0;pwned\x07\x1b[2J", false); strings.ContainsAny(got, "\x1b\x07") {
		t.Fatalf("escape sequence passed: %q", got)
	}
	if got := safe("a\nb\tc\x1b", true); got != "a\nb\tc\uFFFD" {
		t.Fatalf("body = %q", got)
	}
}

// The Ready line and the other notes name the --server and --forward URLs
// without their credentials, and never the token.
func TestNotesHideCredentials(t *testing.T) {
	for _, tc := range []struct {
		name   string
		o      Options
		hidden []string
		shown  []string
	}{
		{"forward userinfo and query key", Options{Server: "http://127.0.0.1:18080", Token: "listenTOK-12345",
			Forward: "http://u:fwdPASS-9876@127.0.0.1:1/x?api_key=fwdKEY-1234"},
			[]string{"fwdPASS-9876", "fwdKEY-1234"}, []string{"Ready! Forwarding github", "127.0.0.1:1/x"}},
		{"server userinfo", Options{Server: "https://admin:srvPASS-5555@hooks.example.com", Token: "listenTOK-12345", Print: true},
			[]string{"srvPASS-5555"}, []string{"Ready! Printing github", "hooks.example.com"}},
		{"token in a URL", Options{Server: "https://hooks.example.com/?t=listenTOK-12345", Token: "listenTOK-12345",
			Forward: "http://127.0.0.1:1/x"}, []string{"listenTOK-12345"}, []string{"Ready!"}},
	} {
		var out strings.Builder
		r := &runner{o: tc.o, p: printer{w: &out, hide: redact.New(tc.o.Token)}}
		r.ready(relay.Ready{Sources: []string{"github"}, Cursor: 7})
		r.p.note("connection lost: Get %q: refused", tc.o.Server)
		for _, h := range tc.hidden {
			if strings.Contains(out.String(), h) {
				t.Errorf("%s: %q is printed: %s", tc.name, h, out.String())
			}
		}
		for _, s := range tc.shown {
			if !strings.Contains(out.String(), s) {
				t.Errorf("%s: %q is missing: %s", tc.name, s, out.String())
			}
		}
	}
	// A --server or --forward that is refused is quoted without them too.
	o := Options{Server: "ftp://u:srvPASS-5555@h", Token: "t", Print: true}
	if err := o.check(); err == nil || strings.Contains(err.Error(), "srvPASS-5555") {
		t.Errorf("check: %v", err)
	}
}
