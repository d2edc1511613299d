package server

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func zl(b []byte) []byte {
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func rawDeflate(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.DefaultCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// noise is n bytes that do not compress: gzipped, they grow.
func noise(n int) []byte {
	b := make([]byte, n)
	x := uint32(1)
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = byte(x >> 24)
	}
	return b
}

func TestReadBody(t *testing.T) {
	payload := []byte(`{"ref":"refs/heads/main","n":1}`)
	big := bytes.Repeat([]byte("a"), 2000)
	tests := []struct {
		name     string
		encoding []string
		body     []byte
		limit    int64
		want     []byte
		status   int
	}{
		{name: "identity", body: payload, limit: 1024, want: payload},
		{name: "explicit identity", encoding: []string{"identity"}, body: payload, limit: 1024, want: payload},
		{name: "gzip", encoding: []string{"gzip"}, body: gz(payload), limit: 1024, want: payload},
		{name: "x-gzip, upper case", encoding: []string{"X-GZIP"}, body: gz(payload), limit: 1024, want: payload},
		{name: "deflate is zlib", encoding: []string{"deflate"}, body: zl(payload), limit: 1024, want: payload},
		{name: "raw deflate accepted", encoding: []string{"deflate"}, body: rawDeflate(payload), limit: 1024, want: payload},
		{name: "stacked, in order applied", encoding: []string{"deflate, gzip"}, body: gz(zl(payload)), limit: 1024, want: payload},
		{name: "stacked over two header lines", encoding: []string{"gzip", "gzip"}, body: gz(gz(payload)), limit: 1024, want: payload},
		{name: "empty gzip body", encoding: []string{"gzip"}, body: nil, limit: 1024, want: []byte{}},
		{name: "decoded exactly at the limit", encoding: []string{"gzip"}, body: gz(big), limit: 2000, want: big},
		{name: "decoded one byte over the limit", encoding: []string{"gzip"}, body: gz(big), limit: 1999, status: 413},
		{name: "wire over the limit", body: big, limit: 1000, status: 413},
		{name: "unknown encoding", encoding: []string{"br"}, body: payload, limit: 1024, status: 415},
		{name: "unknown among known", encoding: []string{"gzip, zstd"}, body: payload, limit: 1024, status: 415},
		{name: "a middle layer over the limit", encoding: []string{"gzip, gzip"}, body: gz(gz(noise(2000))), limit: 2010, status: 413},
		{name: "three layers", encoding: []string{"gzip, gzip, gzip"}, body: gz(gz(gz(payload))), limit: 1024, status: 415},
		{name: "corrupt gzip", encoding: []string{"gzip"}, body: []byte("not gzip at all"), limit: 1024, status: 400},
		{name: "truncated gzip", encoding: []string{"gzip"}, body: gz(big)[:20], limit: 4096, status: 400},
		{name: "gzip bytes without the header are not inflated", body: gz(payload), limit: 1024, want: gz(payload)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/hooks/x", bytes.NewReader(tt.body))
			for _, e := range tt.encoding {
				r.Header.Add("Content-Encoding", e)
			}
			got, err := readBody(httptest.NewRecorder(), r, tt.limit)
			if tt.status != 0 {
				var be *bodyError
				if !errors.As(err, &be) || be.Status != tt.status {
					t.Fatalf("err = %v, want status %d", err, tt.status)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("body = %q, want %q", got, tt.want)
			}
			if len(tt.encoding) > 0 && r.Header.Get("Content-Encoding") != "" {
				t.Fatal("Content-Encoding kept on a decoded body")
			}
		})
	}
}

// A gzip bomb (64 MiB of zeros in ~64 KiB) is refused after reading about
// max_body of it, without inflating the rest.
func TestReadBodyBombStaysBounded(t *testing.T) {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zero := make([]byte, 1<<20)
	for range 64 {
		w.Write(zero)
	}
	w.Close()
	bomb := buf.Bytes()
	if len(bomb) > 1<<20 {
		t.Fatalf("bomb is %d bytes", len(bomb))
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r := httptest.NewRequest("POST", "/hooks/x", bytes.NewReader(bomb))
	r.Header.Set("Content-Encoding", "gzip")
	_, err := readBody(httptest.NewRecorder(), r, 1<<20)
	runtime.ReadMemStats(&after)
	var be *bodyError
	if !errors.As(err, &be) || be.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("err = %v, want 413", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
		t.Fatalf("allocated %d MiB to refuse a 64 MiB bomb", grew>>20)
	}
	if !strings.Contains(be.Msg, "1048576") {
		t.Fatalf("message %q does not name the limit", be.Msg)
	}
}

// emptyBlocks is a stream in enc ("gzip" or "deflate", raw) that decodes
// to nothing but is n empty stored DEFLATE blocks long (5 bytes each): the
// middle layer of a nested bomb, tiny once compressed again.
func emptyBlocks(w io.Writer, enc string, n int) {
	if enc == "gzip" {
		w.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	}
	chunk := bytes.Repeat([]byte{0, 0, 0, 0xff, 0xff}, 4096)
	for range n / 4096 {
		w.Write(chunk)
	}
	w.Write([]byte{1, 0, 0, 0xff, 0xff}) // final empty block
	if enc == "gzip" {
		w.Write(make([]byte, 8)) // CRC-32 and size of nothing
	}
}

// countingReader counts the bytes read from the wire.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// A nested bomb ("gzip, gzip" and the other stacks): the outer layer
// inflates to 40 MiB of empty blocks that the inner layer decodes to
// nothing, from ~40 KiB on the wire, well under max_body. Every layer is
// capped at max_body, so it is refused with 413 once the outer decoder has
// produced limit+1 bytes: a few KiB of the wire are read, and the 40 MiB
// are never inflated (before the cap, all of it was, and the empty body
// taken).
func TestReadBodyNestedBombStaysBounded(t *testing.T) {
	const limit = 1 << 20
	const blocks = 8 << 20 // 40 MiB once the outer layer is undone
	tests := []struct{ outer, inner string }{
		{"gzip", "gzip"},
		{"gzip", "deflate"},
		{"deflate", "gzip"},
		{"deflate", "deflate"},
	}
	for _, tt := range tests {
		t.Run(tt.outer+" of "+tt.inner, func(t *testing.T) {
			var wire bytes.Buffer
			var ow io.WriteCloser
			if tt.outer == "gzip" {
				ow, _ = gzip.NewWriterLevel(&wire, gzip.BestCompression)
			} else {
				ow, _ = zlib.NewWriterLevel(&wire, zlib.BestCompression)
			}
			emptyBlocks(ow, tt.inner, blocks)
			ow.Close()
			if wire.Len() >= limit {
				t.Fatalf("bomb is %d bytes, not under max_body", wire.Len())
			}
			body := &countingReader{r: bytes.NewReader(wire.Bytes())}
			r := httptest.NewRequest("POST", "/hooks/x", body)
			r.Header.Set("Content-Encoding", tt.inner+", "+tt.outer) // in the order applied
			r.ContentLength = -1
			_, err := readBody(httptest.NewRecorder(), r, limit)
			var be *bodyError
			if !errors.As(err, &be) || be.Status != http.StatusRequestEntityTooLarge {
				t.Fatalf("err = %v, want 413", err)
			}
			// limit+1 bytes of the middle layer come from ~1 KiB of the
			// wire; the decoders read it 4 KiB at a time.
			t.Logf("read %d of %d wire bytes", body.n, wire.Len())
			if body.n > 16<<10 {
				t.Fatalf("read %d of the %d wire bytes to refuse the bomb", body.n, wire.Len())
			}
		})
	}
}
