package actions_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
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
