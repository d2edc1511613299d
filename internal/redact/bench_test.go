package redact

import (
	"net/http"
	"testing"
)

// BenchmarkHeaders is what every accepted request pays: the headers of a
// GitHub delivery redacted as they are stored.
func BenchmarkHeaders(b *testing.B) {
	r := New("bench-secret", "another-secret-value")
	h := http.Header{
		"Content-Type":                           {"application/json"},
		"User-Agent":                             {"GitHub-Hookshot/4b1e2c3"},
		"X-Github-Event":                         {"push"},
		"X-Github-Delivery":                      {"72d3162e-cc78-11e3-81ab-4c9367dc0958"},
		"X-Github-Hook-Id":                       {"292430182"},
		"X-Hub-Signature":                        {"sha1=7d38cdd689735b008b3c702edd92eea23791c5f6"},
		"X-Hub-Signature-256":                    {"sha256=d57c68ca6f92289e6987922ff26938930f6e66a2d161ef06abdf1859230aa23c"},
		"Accept":                                 {"*/*"},
		"Content-Length":                         {"7311"},
		"X-Forwarded-For":                        {"140.82.115.1"},
		"Date":                                   {"Tue, 01 Dec 2026 22:58:54 GMT"},
		"X-Github-Hook-Installation-Target-Type": {"repository"},
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = r.Headers(h)
	}
}
