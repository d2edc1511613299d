package forward

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/expression"
)

func TestConfig(t *testing.T) {
	tests := []struct {
		url, wantErr string
	}{
		{"https://ci.internal/hooks/github", ""},
		{"http://127.0.0.1:9000/x?y=1", ""},
		{"", "url: required"},
		{"https://ci.internal/{{ payload.repo }}", "literal"},
		{"{{ payload.callback }}", "literal"},
		{"ftp://ci.internal/x", "absolute http"},
		{"/relative", "absolute http"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := newForward(actions.BuildContext{Config: Config{URL: tt.url}})
			if tt.wantErr == "" && err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// Run: 2xx succeeds; 5xx, 408 and 429 are retried by the rule; other
// answers (a 3xx is not followed) are permanent.
func TestRunOutcomes(t *testing.T) {
	tests := []struct {
		status            int
		wantErr, wantPerm bool
	}{
		{200, false, false},
		{204, false, false},
		{500, true, false},
		{503, true, false},
		{408, true, false},
		{429, true, false},
		{400, true, true},
		{401, true, true},
		{302, true, true},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.status == 302 {
					w.Header().Set("Location", "http://127.0.0.1:1/elsewhere")
				}
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			a, err := newForward(actions.BuildContext{Config: Config{URL: srv.URL}})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			res, err := a.Run(context.Background(), &actions.Invocation{Env: &expression.Env{}, Body: []byte("x"),
				RelayHeader: func() http.Header { return http.Header{"X-Hub-Signature-256": {"sha256=1"}} }})
			if (err != nil) != tt.wantErr || actions.IsPermanent(err) != tt.wantPerm {
				t.Fatalf("err %v (permanent %v), want error %v permanent %v", err, actions.IsPermanent(err), tt.wantErr, tt.wantPerm)
			}
			if res.HTTPStatus != tt.status {
				t.Fatalf("status %d recorded, want %d", res.HTTPStatus, tt.status)
			}
		})
	}
	// No answer at all: retried.
	a, _ := newForward(actions.BuildContext{Config: Config{URL: "http://127.0.0.1:1/closed"}})
	if _, err := a.Run(context.Background(), &actions.Invocation{Env: &expression.Env{}}); err == nil || actions.IsPermanent(err) {
		t.Fatalf("connection refused: %v, want a retryable error", err)
	}
}
