package exactjson

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// checkScan fails t unless scanJSON either leaves b to encoding/json and
// the depth check or decodes it to what encoding/json gives; it reports
// whether scanJSON took b.
func checkScan(t *testing.T, b []byte, maxDepth int) bool {
	t.Helper()
	got, ok := scanJSON(b, maxDepth)
	want, err := decodeStd(b)
	if !ok {
		return false
	}
	if derr := CheckDepth(b, maxDepth); derr != nil {
		t.Fatalf("%q: scanJSON took what is nested deeper than %d", b, maxDepth)
	}
	if err != nil {
		t.Fatalf("%q: scanJSON took what encoding/json rejects (%v): %#v", b, err, got)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: scanJSON %#v, encoding/json %#v", b, got, want)
	}
	return true
}

func TestScanJSON(t *testing.T) {
	for _, tc := range []struct {
		in   string
		took bool // scanJSON decodes it itself
	}{
		{`{"ref":"refs/heads/main","n":1,"big":18446744073709551615,"f":10.50,"neg":-0,"e":1e3,"ok":true,"no":false,"nil":null}`, true},
		{` [ 1 , [ ] , { } , "a" ] `, true},
		{`{"a":1,"a":2}`, true},                                   // the last of a repeated key
		{`"tab\t nl\n q\" bs\\ sl\/ \u00e9 \u20ac \u0000"`, true}, // escapes
		{`"naïve ☃ 😀"`, true},                                     // UTF-8 as sent
		{`-9223372036854775809`, true},                            // beyond int64: json.Number
		{`123456789012345678901234567890`, true},                  // beyond uint64
		{"\"\\ud83d\\ude00\"", false},                             // a surrogate pair: encoding/json's rules
		{"\"\\ud800\"", false},                                    // a lone surrogate
		{"\"bad \xff utf-8\"", false},                             // replaced by U+FFFD there
		{"\"\xed\xa0\x80\"", false},                               // an encoded surrogate
		{`{"a":1} x`, false},                                      // text after the value
		{`{"a":1}{}`, false},
		{`[1,]`, false},
		{`{"a":1,}`, false},
		{`{a:1}`, false},
		{`01`, false},
		{`1.`, false},
		{`.5`, false},
		{`1e`, false},
		{`+1`, false},
		{`-`, false},
		{`tru`, false},
		{`nul`, false},
		{`"ctl ` + "\x01" + `"`, false},
		{`"\x"`, false},
		{`"\u12"`, false},
		{`"\u12g4"`, false},
		{`"open`, false},
		{`[`, false},
		{``, false},
		{"\ufeff{}", false}, // a BOM
	} {
		if took := checkScan(t, []byte(tc.in), 64); took != tc.took {
			t.Errorf("%q: scanJSON took it %v, want %v", tc.in, took, tc.took)
		}
	}
	// Nesting: what is deeper than allowed goes to the depth check.
	for _, tc := range []struct {
		in   string
		max  int
		took bool
	}{
		{`[{"a":[1]}]`, 3, true},
		{`[{"a":[1]}]`, 2, false},
		{`{}`, 0, false},
		{`1`, 0, true},
	} {
		if took := checkScan(t, []byte(tc.in), tc.max); took != tc.took {
			t.Errorf("%q, depth %d: scanJSON took it %v, want %v", tc.in, tc.max, took, tc.took)
		}
	}
}

// TestScanJSONPayloads: every real provider body of the shared payloads
// decodes by scanJSON, to what encoding/json gives.
func TestScanJSONPayloads(t *testing.T) {
	dir := os.Getenv("HOOKRUNNER_PAYLOADS")
	if dir == "" {
		dir = "/work/shared/payloads"
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if len(files) == 0 {
		t.Skip("no shared payloads")
	}
	took := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeStd(b); err != nil {
			continue // not one JSON document (a headers file)
		}
		if checkScan(t, b, MaxDepth) {
			took++
		} else if !bytes.Contains(b, []byte(`\ud`)) && !bytes.Contains(b, []byte(`\uD`)) {
			t.Errorf("%s: valid JSON without surrogate escapes left to encoding/json", f)
		}
	}
	t.Logf("%d of %d files decoded by scanJSON", took, len(files))
}

// FuzzScanJSON: whatever scanJSON decodes, encoding/json decodes to the
// same value; it takes nothing encoding/json rejects.
func FuzzScanJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,-0,1.5e3,"x\u00e9\n"],"b":{"c":null,"d":true}}`, `"\ud83d\ude00"`, "\"\xff\"", `[18446744073709551616]`, `{"a":1,"a":{}}`} {
		f.Add([]byte(s), uint8(64))
	}
	f.Add([]byte(`[[[[1]]]]`), uint8(3))
	f.Fuzz(func(t *testing.T, b []byte, maxDepth uint8) {
		checkScan(t, b, int(maxDepth))
	})
}
