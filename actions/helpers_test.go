package actions

import (
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/internal/redact"
)

// secretPieces returns every piece of s of n bytes.
func secretPieces(s string, n int) []string {
	var out []string
	for i := 0; i+n <= len(s); i++ {
		out = append(out, s[i:i+n])
	}
	return out
}

// Wherever a cut falls in a secret (the sender of a payload chooses it by
// the length of what comes before), what is shown after redaction holds
// no piece of it: the cut drops the token it fell in, and the redactor
// masks what is left of a longer one at the edge. (The secrets share no
// letter with the text around them, "[REDACTED]" or the cut note.)
func TestCutsLeaveNoPieceOfASecret(t *testing.T) {
	for _, tc := range []struct {
		name, secret string
		piece        int // the shortest piece that must not be shown
	}{
		{"token shorter than a skip", "SHIMMYQUIZBLOWNGK", 2},
		// Past the skip the redactor masks pieces of 3 bytes and more.
		{"token longer than a skip", "SHIMMY" + strings.Repeat("QUIZ", 20) + "BLOWNGK", 3},
	} {
		red := redact.New(tc.secret)
		for shift := 0; shift <= len(tc.secret); shift++ {
			text := "tok=" + tc.secret + "\n" + strings.Repeat("a", 1024-len(tc.secret)+shift-1) + "\n"
			tb := NewTailBuffer(1024)
			_, _ = tb.Write([]byte(text[:10]))
			_, _ = tb.Write([]byte(text[10:]))
			outs := map[string]string{
				"TailBuffer": red.String(tb.String()),
				"Tail":       red.String(Tail([]byte(text), 1024)),
				"CutHead":    red.String(CutHead(strings.Repeat("x", 294-shift)+" key "+tc.secret+" more", 300)),
			}
			for cut, out := range outs {
				for _, p := range secretPieces(tc.secret, tc.piece) {
					if strings.Contains(out, p) {
						t.Errorf("%s, %s, shift %d: piece %q of the secret is shown: %.80q", tc.name, cut, shift, p, out)
						break
					}
				}
			}
		}
	}
}

func TestCutKeepsWholeOutput(t *testing.T) {
	for _, tc := range []struct {
		in    string
		limit int
		want  string
	}{
		{"short", 10, "short"},
		{"abc def ghi", 7, "[… 7 bytes cut …]\n ghi"},
		{"abc def\nghi", 4, "[… 7 bytes cut …]\n\nghi"},
		{"héllo wörld", 7, "[… 6 bytes cut …]\n wörld"},
		{"ééééé", 3, "[… 8 bytes cut …]\né"},
	} {
		if got := Tail([]byte(tc.in), tc.limit); got != tc.want {
			t.Errorf("Tail(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
	}
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"abc def ghi", 6, "abc …"},
		{"abc def ghi", 7, "abc def…"},
		{"ééééé", 3, "é…"},
	} {
		if got := CutHead(tc.in, tc.max); got != tc.want {
			t.Errorf("CutHead(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}
