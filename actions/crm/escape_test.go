package crm_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/config"
)

type crmRequest struct{ method, path, rawQuery, body string }

// pathRecorder is a CRM stand-in on 127.0.0.1 that records the escaped path
// of every request and answers as the driver expects.
func pathRecorder(t *testing.T) (*httptest.Server, func() []crmRequest) {
	t.Helper()
	var mu sync.Mutex
	var got []crmRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, crmRequest{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, string(b)})
		mu.Unlock()
		if r.Method == http.MethodPatch {
			w.WriteHeader(201)
			return
		}
		w.Write([]byte(`{"status":"COMPLETE","results":[{"id":"1","new":true}]}`))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []crmRequest {
		mu.Lock()
		defer mu.Unlock()
		return append([]crmRequest(nil), got...)
	}
}

// A payload value used as a record id is one path segment (Salesforce) or a
// JSON value (HubSpot); it never adds segments, a query or a fragment.
func TestCRMIDsFromPayloadStayOneSegment(t *testing.T) {
	for _, c := range []struct {
		driver, object string
		id             string
		wantPath       string
	}{
		{"salesforce", "Contact", "../../admin", "/services/data/v62.0/sobjects/Contact/ext_id/..%2F..%2Fadmin"},
		{"salesforce", "Contact", "a/b?c=d#e", "/services/data/v62.0/sobjects/Contact/ext_id/a%2Fb%3Fc=d%23e"},
		{"salesforce", "Contact", "%2e%2e", "/services/data/v62.0/sobjects/Contact/ext_id/%252e%252e"},
		{"hubspot", "contacts", "../../admin", "/crm/v3/objects/contacts/batch/upsert"},
		{"hubspot", "contacts", "a/b?c=d#e", "/crm/v3/objects/contacts/batch/upsert"},
	} {
		t.Run(c.driver+" "+c.id, func(t *testing.T) {
			srv, got := pathRecorder(t)
			a := build(t, map[string]any{"driver": c.driver, "base_url": srv.URL, "token": "t", "object": c.object,
				"key": []any{"ext_id"}, "fields": map[string]any{"ext_id": "payload.id", "name": "payload.name"}})
			if _, err := a.Run(context.Background(), idEvent(c.id)); err != nil {
				t.Fatal(err)
			}
			reqs := got()
			if len(reqs) != 1 || reqs[0].path != c.wantPath || reqs[0].rawQuery != "" {
				t.Fatalf("requests = %+v, want path %q and no query", reqs, c.wantPath)
			}
			if c.driver == "hubspot" {
				var in struct {
					Inputs []struct {
						ID string `json:"id"`
					} `json:"inputs"`
				}
				if err := json.Unmarshal([]byte(reqs[0].body), &in); err != nil || len(in.Inputs) != 1 || in.Inputs[0].ID != c.id {
					t.Fatalf("body %s: %v", reqs[0].body, err)
				}
			}
		})
	}
}

// An id that would be a "." or ".." segment is refused for good, unsent.
func TestCRMDotIDRefused(t *testing.T) {
	for _, id := range []string{"..", "."} {
		srv, got := pathRecorder(t)
		a := build(t, map[string]any{"driver": "salesforce", "base_url": srv.URL, "token": "t", "object": "Contact",
			"key": []any{"ext_id"}, "fields": map[string]any{"ext_id": "payload.id"}})
		_, err := a.Run(context.Background(), idEvent(id))
		if err == nil || !actions.IsPermanent(err) || !strings.Contains(err.Error(), "climb") {
			t.Fatalf("id %q: err = %v, want a permanent failure", id, err)
		}
		if n := len(got()); n != 0 {
			t.Fatalf("id %q: %d requests sent", id, n)
		}
	}
}

func TestCRMObjectIsOneSegment(t *testing.T) {
	for _, obj := range []string{"../admin", "contacts/x", "..", "a?b"} {
		raw := map[string]any{"driver": "hubspot", "token": "t", "object": obj, "key": []any{"email"}, "fields": stripeFields}
		if _, err := actions.Build("crm", actions.BuildContext{Decode: func(v any) error { return config.Decode(raw, v) }}); err == nil {
			t.Errorf("object %q accepted", obj)
		}
	}
}

func idEvent(id string) *actions.Invocation {
	inv := customer("customer.created", "a@example.com", "A", 1)
	inv.Env.Payload = map[string]any{"id": id, "name": "A"}
	return inv
}
