package relay

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestClean(t *testing.T) {
	in := http.Header{
		"Connection":          {"keep-alive, X-Per-Hop"},
		"X-Per-Hop":           {"1"},
		"Keep-Alive":          {"timeout=5"},
		"Transfer-Encoding":   {"chunked"},
		"Host":                {"hooks.example.com"},
		"Content-Length":      {"12"},
		"X-Forwarded-For":     {"10.0.0.1"},
		"Proxy-Authorization": {"Basic x"},
		"x-hub-signature-256": {"sha256=abc"},
		"Content-Type":        {"application/json"},
		"X-Multi":             {"a", "b"},
	}
	out := Clean(in)
	want := http.Header{"X-Hub-Signature-256": {"sha256=abc"}, "Content-Type": {"application/json"}, "X-Multi": {"a", "b"}}
	if len(out) != len(want) {
		t.Fatalf("Clean = %v, want %v", out, want)
	}
	for k, v := range want {
		if got := out[k]; len(got) != len(v) || got[0] != v[0] || got[len(got)-1] != v[len(v)-1] {
			t.Fatalf("%s = %v, want %v", k, got, v)
		}
	}
	if len(in) != 11 {
		t.Fatal("Clean changed its argument")
	}
}

// Send relays method, headers and body bytes as given, adds no
// User-Agent of its own and follows no redirect.
func TestSendVerbatim(t *testing.T) {
	body := []byte{0, 1, 2, 0xff, '\r', '\n'}
	var gotBody []byte
	var gotHeader http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotBody, _ = io.ReadAll(r.Body)
		gotHeader = r.Header.Clone()
		w.Header().Set("Location", "http://127.0.0.1:1/")
		w.WriteHeader(http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	res, err := Send(context.Background(), NewClient(0), Request{URL: srv.URL, Body: body,
		Header: http.Header{"Stripe-Signature": {"t=1,v1=ab"}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusTemporaryRedirect {
		t.Fatalf("status %d: the redirect was followed", res.Status)
	}
	if string(gotBody) != string(body) || gotHeader.Get("Stripe-Signature") != "t=1,v1=ab" || gotHeader.Get("User-Agent") != "" {
		t.Fatalf("relayed %q with %v", gotBody, gotHeader)
	}
}
