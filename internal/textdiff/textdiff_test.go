package textdiff

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestUnified(t *testing.T) {
	tests := []struct {
		name, a, b string
		context    int
		want       string
	}{
		{name: "equal", a: "x\ny\n", b: "x\ny\n", context: 3, want: ""},
		{name: "both empty", a: "", b: "", context: 3, want: ""},
		{name: "one line changed", a: "a\nb\nc\n", b: "a\nB\nc\n", context: 3,
			want: "--- a\n+++ b\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{name: "from empty", a: "", b: "x\ny\n", context: 3,
			want: "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n"},
		{name: "to empty", a: "x\n", b: "", context: 3,
			want: "--- a\n+++ b\n@@ -1 +0,0 @@\n-x\n"},
		{name: "insert without context", a: "1\n2\n3\n", b: "1\n2\n3\n4\n5\n", context: 0,
			want: "--- a\n+++ b\n@@ -3,0 +4,2 @@\n+4\n+5\n"},
		{name: "no newline at end", a: "a\nb", b: "a\nb\n", context: 1,
			want: "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"},
		{name: "two hunks far apart", a: lines(1, 20), b: strings.Replace(strings.Replace(lines(1, 20), "3\n", "three\n", 1), "18\n", "eighteen\n", 1), context: 1,
			want: "--- a\n+++ b\n@@ -2,3 +2,3 @@\n 2\n-3\n+three\n 4\n@@ -17,3 +17,3 @@\n 17\n-18\n+eighteen\n 19\n"},
		{name: "close changes share a hunk", a: lines(1, 10), b: strings.Replace(strings.Replace(lines(1, 10), "3\n", "x\n", 1), "6\n", "y\n", 1), context: 1,
			want: "--- a\n+++ b\n@@ -2,6 +2,6 @@\n 2\n-3\n+x\n 4\n 5\n-6\n+y\n 7\n"},
		{name: "rule changed in yaml", a: "rules:\n  - name: deploy\n    run: ./deploy.sh v1\n", b: "rules:\n  - name: deploy\n    run: ./deploy.sh v2\n", context: 3,
			want: "--- a\n+++ b\n@@ -1,3 +1,3 @@\n rules:\n   - name: deploy\n-    run: ./deploy.sh v1\n+    run: ./deploy.sh v2\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Unified("a", "b", tt.a, tt.b, tt.context)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// lines returns "from\n…to\n".
func lines(from, to int) string {
	var sb strings.Builder
	for i := from; i <= to; i++ {
		fmt.Fprintf(&sb, "%d\n", i)
	}
	return sb.String()
}

// lcs is the length of a longest common subsequence, by the textbook table.
func lcs(a, b []string) int {
	t := make([][]int, len(a)+1)
	for i := range t {
		t[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				t[i][j] = t[i+1][j+1] + 1
			} else {
				t[i][j] = max(t[i+1][j], t[i][j+1])
			}
		}
	}
	return t[0][0]
}

// TestDiffIsShortestAndApplies checks on random texts that the edits
// rebuild both sides and that their length is the edit distance.
func TestDiffIsShortestAndApplies(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	gen := func() []string {
		out := make([]string, r.IntN(12))
		for i := range out {
			out[i] = string(rune('a'+r.IntN(4))) + "\n"
		}
		return out
	}
	for i := 0; i < 2000; i++ {
		a, b := gen(), gen()
		edits, err := Diff(a, b, MaxEdits)
		if err != nil {
			t.Fatal(err)
		}
		var ga, gb []string
		changes := 0
		for _, e := range edits {
			if e.Op != Insert {
				ga = append(ga, e.Line)
			}
			if e.Op != Delete {
				gb = append(gb, e.Line)
			}
			if e.Op != Equal {
				changes++
			}
		}
		if strings.Join(ga, "") != strings.Join(a, "") || strings.Join(gb, "") != strings.Join(b, "") {
			t.Fatalf("a=%q b=%q: edits %v do not rebuild them", a, b, edits)
		}
		if want := len(a) + len(b) - 2*lcs(a, b); changes != want {
			t.Fatalf("a=%q b=%q: %d changes, shortest is %d", a, b, changes, want)
		}
	}
}

func TestBounded(t *testing.T) {
	tests := []struct {
		name    string
		a, b    []string
		max     int
		wantErr bool
	}{
		{"within bound", []string{"x\n", "y\n"}, []string{"x\n", "z\n"}, 2, false},
		{"over bound", []string{"a\n", "b\n", "c\n"}, []string{"d\n", "e\n", "f\n"}, 5, true},
		{"long equal head and tail cost nothing", append(append(strings.SplitAfter(lines(1, 5000), "\n")[:5000], "mid\n"), strings.SplitAfter(lines(1, 5000), "\n")[:5000]...),
			append(append(strings.SplitAfter(lines(1, 5000), "\n")[:5000], "MID\n"), strings.SplitAfter(lines(1, 5000), "\n")[:5000]...), 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Diff(tt.a, tt.b, tt.max)
			if got := errors.Is(err, ErrTooLarge); got != tt.wantErr {
				t.Fatalf("err = %v, want too large: %v", err, tt.wantErr)
			}
		})
	}
	// Two unrelated large texts: Unified refuses rather than working n*m.
	a, b := strings.Repeat("a\n", 3000), strings.Repeat("b\n", 3000)
	if _, err := Unified("a", "b", a, b, 3); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("unrelated 3000-line texts: err = %v, want ErrTooLarge", err)
	}
}

func TestFiles(t *testing.T) {
	a := map[string]string{"hooks.yaml": "x: 1\n", "hooks.d/a.yaml": "rules: []\n", "same.yaml": "s\n"}
	b := map[string]string{"hooks.yaml": "x: 2\n", "hooks.d/b.yaml": "rules: [b]\n", "same.yaml": "s\n", "big.yaml": ""}
	a["big.yaml"] = ""
	got := Files("a/", "b/", a, b, 3)
	want := "--- a/hooks.d/a.yaml\n+++ /dev/null\n@@ -1 +0,0 @@\n-rules: []\n" +
		"--- /dev/null\n+++ b/hooks.d/b.yaml\n@@ -0,0 +1 @@\n+rules: [b]\n" +
		"--- a/hooks.yaml\n+++ b/hooks.yaml\n@@ -1 +1 @@\n-x: 1\n+x: 2\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if got := Files("a/", "b/", map[string]string{"f": strings.Repeat("a\n", 2000)}, map[string]string{"f": strings.Repeat("b\n", 2000)}, 3); got != "Files a/f and b/f differ (too many changes to show)\n" {
		t.Fatalf("too large: got %q", got)
	}
	if got := Files("a/", "b/", a, a, 3); got != "" {
		t.Fatalf("equal sets: got %q", got)
	}
}
