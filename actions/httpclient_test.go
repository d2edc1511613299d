package actions_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/hookrunner/hookrunner/actions"
)

// TestHTTPClientKeepsAConnectionPerWorker: 8 workers calling one host
// through one action's client reuse their keep-alive connections instead
// of dialling anew (go-retryablehttp's pool kept GOMAXPROCS+1 idle ones,
// so every call past them dialled and left a socket in TIME_WAIT).
func TestHTTPClientKeepsAConnectionPerWorker(t *testing.T) {
	const workers, calls = 8, 25
	var conns atomic.Int64
	// Each round of calls is answered once all 8 are in flight, so all
	// 8 connections are busy at once, then idle at once.
	var mu sync.Mutex
	arrived, gate := 0, make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		arrived++
		g := gate
		if arrived == workers {
			arrived = 0
			close(gate)
			gate = make(chan struct{})
		}
		mu.Unlock()
		<-g
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c := actions.NewHTTPClient(0, 10*time.Second, time.Minute)
	defer c.HTTPClient.CloseIdleConnections()
	// Rounds: 8 calls at once, then all 8 connections idle at once.
	for round := 0; round < calls; round++ {
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, err := retryablehttp.NewRequest(http.MethodPost, srv.URL, []byte(`{}`))
				if err != nil {
					t.Error(err)
					return
				}
				resp, err := c.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}()
		}
		wg.Wait()
	}
	// One connection a worker, and a few more at most when a dial races
	// a connection coming back to the pool; never one a call.
	if n := conns.Load(); n > 2*workers {
		t.Fatalf("%d connections for %d calls by %d workers; want at most %d", n, workers*calls, workers, 2*workers)
	}
}

// TestHTTPClientRedirects: an action's client follows a redirect only to
// the origin of the configured URL. A redirect to another host or port (or
// scheme) is the answer, a permanent failure that names the Location
// without its credentials; the other origin gets nothing: not the
// action's headers, not its body, not the URL's query secrets in a Referer.
func TestHTTPClientRedirects(t *testing.T) {
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
	}))
	defer other.Close()
	var final atomic.Value
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/moved":
			b, _ := io.ReadAll(r.Body)
			final.Store(r.Header.Get("X-Api-Key") + " " + string(b))
			w.WriteHeader(http.StatusOK)
		default:
			w.Header().Set("Location", r.URL.Query().Get("next"))
			w.WriteHeader(http.StatusTemporaryRedirect)
		}
	}))
	defer target.Close()
	tests := []struct {
		name, next string
		followed   bool
	}{
		{"same origin, path", "/moved", true},
		{"same origin, absolute", target.URL + "/moved", true},
		{"other port", other.URL + "/steal?api_key=k", false},
		{"other host name", "http://localhost:" + other.URL[len("http://127.0.0.1:"):] + "/steal", false},
		{"other scheme", "https://" + target.URL[len("http://"):] + "/moved", false},
	}
	c := actions.NewHTTPClient(0, 10*time.Second, time.Minute)
	defer c.HTTPClient.CloseIdleConnections()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			final.Store("")
			before := elsewhere.Load()
			req, err := retryablehttp.NewRequest(http.MethodPost, target.URL+"/login?api_key=query-secret&next="+url.QueryEscape(tc.next), []byte(`{"a":1}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Api-Key", "header-secret")
			res, err := actions.DoHTTP(c, req, 0, func(code int) bool { return code/100 == 2 }, time.Minute)
			if tc.followed {
				if err != nil || res.HTTPStatus != http.StatusOK {
					t.Fatalf("same-origin redirect not followed: %d %v", res.HTTPStatus, err)
				}
				if got := final.Load().(string); got != `header-secret {"a":1}` {
					t.Fatalf("the redirected request carried %q; want the headers and the body", got)
				}
				return
			}
			if err == nil || !actions.IsPermanent(err) || res.HTTPStatus != http.StatusTemporaryRedirect {
				t.Fatalf("redirect to another origin: status %d, err %v; want the 307 as a permanent failure", res.HTTPStatus, err)
			}
			if !strings.Contains(err.Error(), "redirect to") || strings.Contains(err.Error(), "query-secret") {
				t.Fatalf("error %q: want it to name the redirect, without the URL's credentials", err)
			}
			if n := elsewhere.Load() - before; n != 0 {
				t.Fatalf("the other origin got %d requests", n)
			}
		})
	}
}
