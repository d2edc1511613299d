package app_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

type captured struct {
	header http.Header
	body   []byte
	method string
}

// The forward action relays the original request: method, body bytes,
// the provider's headers, and the credential header that was redacted
// before storage (GitLab's X-Gitlab-Token) set again from the source's
// config, with the rule's retries; never the hop-by-hop headers.
func TestForwardActionRelaysWithCredentials(t *testing.T) {
	var mu sync.Mutex
	var got []captured
	fails := 1
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		got = append(got, captured{header: r.Header.Clone(), body: b, method: r.Method})
		if fails > 0 {
			fails--
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer target.Close()
	const token = "gitlab-shared-token-77"
	in := start(t, `
sources:
  gitlab: { provider: gitlab, secret: "`+token+`" }
rules:
  - name: fan-out
    source: gitlab
    retry: { attempts: 3, backoff: 30ms, max_backoff: 100ms }
    actions:
      - forward: { url: "`+target.URL+`/hooks/gitlab" }
`, false)
	body := []byte("{\"object_kind\":\"push\",\"ref\":\"refs/heads/main\"}\n")
	req, _ := http.NewRequest(http.MethodPost, in.pub+"/hooks/gitlab", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Gitlab-Event", "Push Hook")
	req.Header.Set("X-Gitlab-Event-UUID", "uuid-1")
	req.Header.Set("X-Gitlab-Token", token)
	req.Header.Set("Connection", "keep-alive, X-Hop")
	req.Header.Set("X-Hop", "only for this hop")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("ingest: %d", resp.StatusCode)
	}
	waitFor(t, "the forward to succeed on its second try", 10*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == 2
	})
	var runs []map[string]any
	waitFor(t, "the run to succeed", 10*time.Second, func() bool {
		in.getJSON(t, "/api/runs?rule=fan-out", &runs)
		return len(runs) == 1 && runs[0]["state"] == "succeeded"
	})
	mu.Lock()
	defer mu.Unlock()
	for i, c := range got {
		if c.method != http.MethodPost || !bytes.Equal(c.body, body) {
			t.Fatalf("try %d: %s %q, want POST and the body as received", i, c.method, c.body)
		}
		if c.header.Get("X-Gitlab-Token") != token {
			t.Fatalf("try %d: X-Gitlab-Token %q, want the source's token re-attached", i, c.header.Get("X-Gitlab-Token"))
		}
		if c.header.Get("X-Gitlab-Event") != "Push Hook" || c.header.Get("X-Gitlab-Event-Uuid") != "uuid-1" || c.header.Get("Content-Type") != "application/json" {
			t.Fatalf("try %d: provider headers not relayed: %v", i, c.header)
		}
		if c.header.Get("X-Hop") != "" {
			t.Fatalf("try %d: a header named by Connection was relayed", i)
		}
	}
	// What hookrunner stored and shows keeps the token redacted.
	if strings.Contains(in.logs.String(), token) {
		t.Fatal("the GitLab token reached the log")
	}
}
