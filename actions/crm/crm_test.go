package crm_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/actions"
	_ "github.com/hookrunner/hookrunner/actions/crm"
	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/expression"
	"github.com/hookrunner/hookrunner/internal/pgtest"
)

func build(t *testing.T, raw map[string]any) actions.Action {
	t.Helper()
	a, err := actions.Build("crm", actions.BuildContext{Decode: func(v any) error { return config.Decode(raw, v) }, Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return a
}

// customer is a Stripe customer.* event payload.
func customer(typ, email, name string, created any) *actions.Invocation {
	return &actions.Invocation{Env: &expression.Env{ID: "evt", Rule: "crm", Payload: map[string]any{
		"type": typ, "created": created,
		"data": map[string]any{"object": map[string]any{"id": "cus_123", "email": email, "name": name}},
	}}, OutputLimit: 4096}
}

var stripeFields = map[string]any{"email": "payload.data.object.email", "name": "payload.data.object.name", "stripe_id": "payload.data.object.id"}

func testSQL(t *testing.T, dsn string, db *sql.DB) {
	ctx := context.Background()
	a := build(t, map[string]any{"driver": "sql", "dsn": dsn, "table": "contacts", "key": []any{"email"}, "fields": stripeFields,
		"create_table": true, "only_if_newer": "payload.created"})
	run := func(inv *actions.Invocation) string {
		t.Helper()
		res, err := a.Run(ctx, inv)
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		return res.Detail
	}
	// Delivered three times and replayed once: one row.
	created := customer("customer.created", "jenny@example.com", "Jenny Rosen", 1000)
	details := []string{run(created), run(created), run(created), run(created)}
	if details[0] != "inserted email=jenny@example.com" || details[3] != "unchanged email=jenny@example.com" {
		t.Fatalf("details = %q", details)
	}
	count := func() (n int, name string) {
		t.Helper()
		if err := db.QueryRow(`SELECT COUNT(*), MAX(name) FROM contacts`).Scan(&n, &name); err != nil {
			t.Fatal(err)
		}
		return
	}
	if n, name := count(); n != 1 || name != "Jenny Rosen" {
		t.Fatalf("rows = %d, name %q", n, name)
	}
	// An update changes it.
	if d := run(customer("customer.updated", "jenny@example.com", "Jenny R. Rosen", 2000)); d != "updated email=jenny@example.com" {
		t.Fatalf("update: %s", d)
	}
	if _, name := count(); name != "Jenny R. Rosen" {
		t.Fatalf("after update name = %q", name)
	}
	// The older event replayed after the newer one changes nothing.
	if d := run(created); d != "skipped-older email=jenny@example.com" {
		t.Fatalf("older replay: %s", d)
	}
	if n, name := count(); n != 1 || name != "Jenny R. Rosen" {
		t.Fatalf("after older replay: %d %q", n, name)
	}
	// A decimal version (a payload's json.Number, as sent) orders too.
	if d := run(customer("customer.updated", "jenny@example.com", "Jenny Old", json.Number("1999.50"))); d != "skipped-older email=jenny@example.com" {
		t.Fatalf("older decimal version: %s", d)
	}
	// A missing key field is a permanent failure.
	if _, err := a.Run(ctx, customer("customer.created", "", "x", 3000)); !actions.IsPermanent(err) {
		t.Fatalf("empty key: %v", err)
	}
}

func TestSQLiteUpsert(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crm.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	testSQL(t, path, db)
}

func TestPostgresUpsert(t *testing.T) {
	dsn := pgtest.DSN(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	testSQL(t, dsn, db)
}

func TestConfigErrors(t *testing.T) {
	for name, raw := range map[string]map[string]any{
		"unknown driver":  {"driver": "dynamics", "key": []any{"email"}, "fields": stripeFields},
		"key not a field": {"driver": "sql", "dsn": "x.db", "table": "t", "key": []any{"id"}, "fields": stripeFields},
		"bad expression":  {"driver": "sql", "dsn": "x.db", "table": "t", "key": []any{"email"}, "fields": map[string]any{"email": "payload."}},
		"bad table":       {"driver": "sql", "dsn": "x.db", "table": "t; drop", "key": []any{"email"}, "fields": stripeFields},
		"no token":        {"driver": "hubspot", "object": "contacts", "key": []any{"email"}, "fields": stripeFields},
		"unknown key":     {"driver": "sql", "dsn": "x.db", "table": "t", "key": []any{"email"}, "fields": stripeFields, "tabel": "x"},
	} {
		_, err := actions.Build("crm", actions.BuildContext{Decode: func(v any) error { return config.Decode(raw, v) }})
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// fakeHubSpot implements the batch upsert shapes: it creates on the first
// upsert of an id and updates after; `script` answers first.
type fakeCRM struct {
	mu      sync.Mutex
	records map[string]map[string]any
	script  []func(w http.ResponseWriter) bool
	calls   atomic.Int32
	auth    string
}

func (f *fakeCRM) next(w http.ResponseWriter) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.script) == 0 {
		return false
	}
	s := f.script[0]
	f.script = f.script[1:]
	return s(w)
}

func (f *fakeCRM) hubspot(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	f.auth = r.Header.Get("Authorization")
	if r.Method != "POST" || r.URL.Path != "/crm/v3/objects/contacts/batch/upsert" {
		http.Error(w, `{"status":"error","message":"not found"}`, 404)
		return
	}
	if f.next(w) {
		return
	}
	var in struct {
		Inputs []struct {
			IDProperty string            `json:"idProperty"`
			ID         string            `json:"id"`
			Properties map[string]string `json:"properties"`
		} `json:"inputs"`
	}
	json.NewDecoder(r.Body).Decode(&in)
	f.mu.Lock()
	_, exists := f.records[in.Inputs[0].ID]
	f.records[in.Inputs[0].ID] = map[string]any{"props": in.Inputs[0].Properties}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"status":"COMPLETE","results":[{"id":"51","new":%v,"properties":{}}],"startedAt":"2026-11-22T10:00:00Z","completedAt":"2026-11-22T10:00:00Z"}`, !exists)
}

func (f *fakeCRM) salesforce(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	if r.Method != "PATCH" || !strings.HasPrefix(r.URL.Path, "/services/data/v62.0/sobjects/Contact/email/") {
		http.Error(w, `[{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}]`, 404)
		return
	}
	if f.next(w) {
		return
	}
	id := strings.TrimPrefix(r.URL.Path, "/services/data/v62.0/sobjects/Contact/email/")
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	_, exists := f.records[id]
	f.records[id] = map[string]any{"body": string(b)}
	f.mu.Unlock()
	if exists {
		w.WriteHeader(204)
		return
	}
	w.WriteHeader(201)
	w.Write([]byte(`{"id":"003xx000004TmiQAAS","success":true,"errors":[],"created":true}`))
}

func TestHTTPDrivers(t *testing.T) {
	type tc struct {
		driver  string
		handler func(f *fakeCRM) http.HandlerFunc
		extra   map[string]any
		badMsg  string
		badBody string
	}
	for _, c := range []tc{
		{"hubspot", func(f *fakeCRM) http.HandlerFunc { return f.hubspot }, map[string]any{"object": "contacts"},
			"Property values were not valid", `{"status":"error","message":"Property values were not valid: [{\"isValid\":false,\"message\":\"Email address jenny@ is invalid\"}]","category":"VALIDATION_ERROR"}`},
		{"salesforce", func(f *fakeCRM) http.HandlerFunc { return f.salesforce }, map[string]any{"object": "Contact"},
			"INVALID_EMAIL_ADDRESS", `[{"message":"Email: invalid email address: jenny@","errorCode":"INVALID_EMAIL_ADDRESS","fields":["Email"]}]`},
	} {
		t.Run(c.driver, func(t *testing.T) {
			f := &fakeCRM{records: map[string]map[string]any{}}
			srv := httptest.NewServer(c.handler(f))
			defer srv.Close()
			raw := map[string]any{"driver": c.driver, "base_url": srv.URL, "token": "crm-token", "key": []any{"email"},
				"fields": map[string]any{"email": "payload.data.object.email", "name": "payload.data.object.name"}, "retries": 2}
			for k, v := range c.extra {
				raw[k] = v
			}
			a := build(t, raw)
			ctx := context.Background()
			inv := customer("customer.created", "jenny@example.com", "Jenny", 1)
			res, err := a.Run(ctx, inv)
			if err != nil || res.Detail != "inserted email=jenny@example.com" {
				t.Fatalf("first upsert: %v %q", err, res.Detail)
			}
			res, err = a.Run(ctx, inv)
			if err != nil || res.Detail != "updated email=jenny@example.com" {
				t.Fatalf("second upsert: %v %q", err, res.Detail)
			}
			if len(f.records) != 1 {
				t.Fatalf("records = %d", len(f.records))
			}
			// 429 with Retry-After, then success: retried inside the attempt.
			f.script = []func(w http.ResponseWriter) bool{func(w http.ResponseWriter) bool {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(429)
				w.Write([]byte(`{"status":"error","message":"You have reached your secondly limit.","errorType":"RATE_LIMIT"}`))
				return true
			}}
			start := time.Now()
			before := f.calls.Load()
			if _, err := a.Run(ctx, inv); err != nil {
				t.Fatalf("after 429: %v", err)
			}
			if f.calls.Load()-before != 2 || time.Since(start) < 900*time.Millisecond {
				t.Fatalf("429 not retried after Retry-After: %d calls in %s", f.calls.Load()-before, time.Since(start))
			}
			// 400 validation error: permanent, with the CRM's message.
			f.script = []func(w http.ResponseWriter) bool{func(w http.ResponseWriter) bool {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(400)
				w.Write([]byte(c.badBody))
				return true
			}}
			_, err = a.Run(ctx, inv)
			if !actions.IsPermanent(err) || !strings.Contains(err.Error(), c.badMsg) {
				t.Fatalf("400: permanent=%v %v", actions.IsPermanent(err), err)
			}
			// 5xx three times (more than retries): a retryable failure.
			fail := func(w http.ResponseWriter) bool { w.WriteHeader(503); return true }
			f.script = []func(w http.ResponseWriter) bool{fail, fail, fail}
			_, err = a.Run(ctx, inv)
			if err == nil || actions.IsPermanent(err) {
				t.Fatalf("503: %v", err)
			}
		})
	}
}
