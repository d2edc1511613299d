package builtin_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/providers"
	"github.com/hookrunner/hookrunner/providers/builtin"
)

func TestEventGridSAS(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	secret := base64.StdEncoding.EncodeToString(key)
	p := mustNew(t, "eventgrid", providers.Settings{Secrets: []string{secret}})
	now := time.Date(2024, 6, 29, 17, 0, 0, 0, time.UTC)
	const endpoint = "https://hooks.example.com/hooks/azure"
	u, _ := url.Parse(endpoint)
	tests := []struct {
		name   string
		header http.Header
		ok     bool
	}{
		{"aeg-sas-token", http.Header{"Aeg-Sas-Token": {builtin.EventGridSAS(endpoint, now.Add(time.Hour), key)}}, true},
		{"Authorization SharedAccessSignature", http.Header{"Authorization": {"SharedAccessSignature " + builtin.EventGridSAS(endpoint, now.Add(time.Hour), key)}}, true},
		{"expired", http.Header{"Aeg-Sas-Token": {builtin.EventGridSAS(endpoint, now.Add(-time.Second), key)}}, false},
		{"another resource", http.Header{"Aeg-Sas-Token": {builtin.EventGridSAS("https://hooks.example.com/hooks/other", now.Add(time.Hour), key)}}, false},
		{"another key", http.Header{"Aeg-Sas-Token": {builtin.EventGridSAS(endpoint, now.Add(time.Hour), []byte("other"))}}, false},
		{"malformed", http.Header{"Aeg-Sas-Token": {"r=x&s=y"}}, false},
		{"key as header", http.Header{"Aeg-Sas-Key": {secret}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.Verify(&providers.Request{Method: http.MethodPost, URL: u, Header: tc.header, Body: []byte(`[]`), Now: now})
			if tc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.ok && !errors.Is(err, providers.ErrUnauthorized) {
				t.Fatalf("accepted: %v", err)
			}
		})
	}
	// The token format as Event Grid documents it (en-US expiry, URL-encoded parts).
	if got := builtin.EventGridSAS(endpoint, time.Date(2024, 6, 29, 17, 2, 54, 0, time.UTC), key); got[:len("r=https%3A%2F%2Fhooks.example.com%2Fhooks%2Fazure&e=6%2F29%2F2024+5%3A02%3A54+PM&s=")] != "r=https%3A%2F%2Fhooks.example.com%2Fhooks%2Fazure&e=6%2F29%2F2024+5%3A02%3A54+PM&s=" {
		t.Errorf("token = %s", got)
	}
}
