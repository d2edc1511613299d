package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	for _, tc := range []struct {
		name          string
		secret, query bool
	}{
		{"Authorization", true, true},
		{"proxy-authorization", true, true},
		{"Cookie", true, true},
		{"Set-Cookie", true, true},
		{"X-Gitlab-Token", true, true},
		{"X-Api-Key", true, true},
		{"apiKey", true, true},
		{"api_key", true, true},
		{"access_token", true, true},
		{"client_secret", true, true},
		{"password", true, true},
		{"db_pass", true, true},
		{"X-Auth", true, true},
		{"X-Hook-Secret", true, true},
		{"bearer", true, true},
		{"hub.verify_token", true, true},
		// not secrets
		{"author", false, false},
		{"passenger", false, false},
		{"monkey", false, false},
		{"content-type", false, false},
		{"secret_file", false, false},
		{"token_file", false, false},
		{"header", false, false},
		// query only: key, sig, signature
		{"key", false, true},
		{"sig", false, true},
		{"signature", false, true},
		{"sessionKey", false, true},
	} {
		if got := IsSecretName(tc.name); got != tc.secret {
			t.Errorf("IsSecretName(%q) = %v, want %v", tc.name, got, tc.secret)
		}
		if got := IsSecretQueryParam(tc.name); got != tc.query {
			t.Errorf("IsSecretQueryParam(%q) = %v, want %v", tc.name, got, tc.query)
		}
	}
}

// Signature headers are signatures of the body, not credentials: they stay
// stored so replay, listen and forward can pass them on.
func TestSignatureHeadersAreKept(t *testing.T) {
	r := New("configured-secret")
	for _, h := range []string{"X-Hub-Signature-256", "X-Hub-Signature", "Stripe-Signature", "X-Slack-Signature",
		"webhook-signature", "X-Twilio-Signature", "X-Shopify-Hmac-Sha256", "X-Signature-Ed25519", "X-Gitea-Signature",
		"I-Twilio-Idempotency-Token"} {
		if IsSecretHeader(h) {
			t.Errorf("%s is treated as a credential", h)
		}
		if got := r.Header(h, "sha256=abcdef0123"); got != "sha256=abcdef0123" {
			t.Errorf("Header(%s) = %q, want it kept", h, got)
		}
	}
	for _, h := range []string{"Authorization", "X-Gitlab-Token", "Cookie", "X-Api-Key", "X-Webhook-Token", "X-Hook-Secret"} {
		if got := r.Header(h, "whatever-value"); got != Mask {
			t.Errorf("Header(%s) = %q, want %s", h, got, Mask)
		}
	}
	// A signature header carrying a configured secret value (a generic
	// token source whose header is named like a signature) still loses it.
	if got := r.Header("X-Signature", "configured-secret"); got != Mask {
		t.Errorf("known secret in a signature header: %q", got)
	}
}

func TestString(t *testing.T) {
	r := New("s3cr3t-value", "ab", "tok/with+chars&<>", "line-one-of-key\nline-two-of-key")
	for _, tc := range []struct{ in, want string }{
		{"the secret is s3cr3t-value.", "the secret is [REDACTED]."},
		{"short ab values stay: ab", "short ab values stay: ab"},
		{"escaped " + "tok%2Fwith%2Bchars%26%3C%3E", "escaped [REDACTED]"},
		{`json "tok/with+chars\u0026\u003c\u003e"`, `json "[REDACTED]"`},
		{"html tok/with+chars&amp;&lt;&gt;", "html [REDACTED]"},
		{"pem line-two-of-key", "pem [REDACTED]"},
		{"GET https://user:hunter22@example.com/x failed", "GET https://user:[REDACTED]@example.com/x failed"},
		{"postgres://u:dbpass@db:5432/app?sslmode=disable", "postgres://u:[REDACTED]@db:5432/app?sslmode=disable"},
		{"POST http://h/x?api_key=abc123&page=2: HTTP 500", "POST http://h/x?api_key=[REDACTED]&page=2: HTTP 500"},
		{"http://h/?sig=zzzz&token=yyy", "http://h/?sig=[REDACTED]&token=[REDACTED]"},
		{"host=db user=u password=pw123 dbname=x", "host=db user=u password=[REDACTED] dbname=x"},
		{"key=email=a@b.c", "key=[REDACTED]"},
		{"upserted key email=a@b.c", "upserted key email=a@b.c"},
		{`{"token": "abc", "name": "x"}`, `{"token": "[REDACTED]", "name": "x"}`},
		{"> Authorization: Bearer abc.def.ghi\n< HTTP/1.1 200", "> Authorization: [REDACTED]\n< HTTP/1.1 200"},
		{"curl -H 'X-Api-Key: k-123'", "curl -H 'X-Api-Key: [REDACTED]"},
		{"  Authorization: '[REDACTED]'\n  X-Token: \"[REDACTED]\"", "  Authorization: '[REDACTED]'\n  X-Token: \"[REDACTED]\""},
		{"sent Bearer eyJhbGciOi.xyz", "sent Bearer [REDACTED]"},
		{"Bearer token required", "Bearer token required"},
		{"X-Hub-Signature-256: sha256=00ff", "X-Hub-Signature-256: sha256=00ff"},
		{"admin.token: required when admin.listen is public", "admin.token: required when admin.listen is public"},
		{"nothing here", "nothing here"},
	} {
		if got := r.String(tc.in); got != tc.want {
			t.Errorf("String(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestQueryAndURL(t *testing.T) {
	r := New("plain-secret")
	for _, tc := range []struct{ in, want string }{
		{"token=abc&a=1", "token=[REDACTED]&a=1"},
		{"a=1&api_key=x&apiKey=y&key=z&sig=w&code=200", "a=1&api_key=[REDACTED]&apiKey=[REDACTED]&key=[REDACTED]&sig=[REDACTED]&code=200"},
		{"note=plain-secret", "note=[REDACTED]"},
		{"empty_token=", "empty_token="},
		{"", ""},
	} {
		if got := r.Query(tc.in); got != tc.want {
			t.Errorf("Query(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := r.URL("https://user:pass@host/p?api_key=k&x=1"); got != "https://user:[REDACTED]@host/p?api_key=[REDACTED]&x=1" {
		t.Errorf("URL = %q", got)
	}
	var nilR *Redactor
	if got := nilR.URL("https://h/?access_token=zz"); got != "https://h/?access_token=[REDACTED]" {
		t.Errorf("nil redactor URL = %q", got)
	}
}

func TestHeaders(t *testing.T) {
	r := New("known-secret-1")
	h := http.Header{"Authorization": {"Bearer x"}, "X-Hub-Signature-256": {"sha256=1"}, "X-Custom": {"has known-secret-1 in it"}, "Content-Type": {"application/json"}}
	got := r.Headers(h)
	want := map[string]string{"authorization": Mask, "x-hub-signature-256": "sha256=1", "x-custom": "has [REDACTED] in it", "content-type": "application/json"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestValue(t *testing.T) {
	r := New("env-secret-xyz")
	var tree any
	_ = json.Unmarshal([]byte(`{
	  "store": {"dsn": "postgres://u:dbpass@db/x"},
	  "sources": {"gh": {"secret": "lit", "secret_file": "/run/s", "secrets": ["a1", "b2"], "verify": "token"}},
	  "rules": [{"actions": [{"http": {"url": "https://h/?api_key=k1", "headers": {"Authorization": "Bearer t", "X-Trace": "1"},
	     "body": "{\"text\": \"env-secret-xyz\"}"}}, {"crm": {"key": ["email"], "token": 12345}}]}],
	  "enabled": true, "password": ""
	}`), &tree)
	out, _ := json.Marshal(r.Value(tree))
	s := string(out)
	for _, leak := range []string{"dbpass", `"lit"`, `"a1"`, "k1", "Bearer t", "env-secret-xyz", "12345"} {
		if strings.Contains(s, leak) {
			t.Errorf("%s leaked: %s", leak, s)
		}
	}
	for _, kept := range []string{"/run/s", `"verify":"token"`, `"key":["email"]`, `"X-Trace":"1"`, `"enabled":true`, `"password":""`} {
		if !strings.Contains(s, kept) {
			t.Errorf("%s lost: %s", kept, s)
		}
	}
}

func TestFind(t *testing.T) {
	var tree any
	_ = json.Unmarshal([]byte(`{
	  "dsn": "postgres://u:db%2Fpass@db/x", "dsn2": "host=h password=kvpass",
	  "url": "https://user:urlpass@h/p?api_key=qkey&x={{ payload.x }}",
	  "headers": {"Authorization": "Bearer hdrtok", "X-Api-Key": "{{ payload.k }}", "Proxy-Authorization": "Basic dTpiYXNpY3B3"},
	  "env": {"API_TOKEN": "envtok", "PLAIN": "notsecret"},
	  "command": ["deploy", "--token", "argvtok", "--password=argvpw", "{{ payload.after }}"],
	  "body": "{\"client_secret\": \"bodysecret\", \"n\": 1}",
	  "crm": {"token": "crmtok", "key": ["email"]}
	}`), &tree)
	got := Find(tree)
	for _, want := range []string{"db/pass", "kvpass", "urlpass", "qkey", "hdrtok", "envtok", "argvtok", "argvpw", "bodysecret", "crmtok", "basicpw"} {
		if !slices.Contains(got, want) {
			t.Errorf("Find missed %q (got %q)", want, got)
		}
	}
	for _, not := range []string{"notsecret", "email", "deploy", "{{ payload.k }}"} {
		if slices.Contains(got, not) {
			t.Errorf("Find took %q as a secret", not)
		}
	}
}

func TestMerge(t *testing.T) {
	a, b := New("old-secret"), New("new-secret")
	m := b.Merge(a)
	if got := m.String("old-secret new-secret"); got != "[REDACTED] [REDACTED]" {
		t.Errorf("merged = %q", got)
	}
	if m.Len() != 2 {
		t.Errorf("Len = %d", m.Len())
	}
	// Merging a redactor with itself (a run of the revision in force) or
	// with nothing builds nothing new.
	if b.Merge(b) != b || b.Merge(nil, b) != b {
		t.Error("merging a redactor with itself built a new one")
	}
	var none *Redactor
	if got := none.Merge(a); got.String("old-secret") != "[REDACTED]" {
		t.Errorf("nil.Merge(a) = %q", got.String("old-secret"))
	}
}

func TestHandler(t *testing.T) {
	var buf bytes.Buffer
	r := New("log-secret-1")
	log := slog.New(NewHandler(slog.NewTextHandler(&buf, nil), func() *Redactor { return r }))
	log = log.With("url", "https://u:p4ss@h/?token=t")
	log.Info("calling log-secret-1", "error", errors.New("GET http://h/?api_key=zz: 500"), "token", "x",
		slog.Group("g", "authorization", "Bearer abc"), "list", []string{"log-secret-1"}, "n", 3)
	s := buf.String()
	for _, leak := range []string{"log-secret-1", "p4ss", "token=t", "zz", "Bearer abc", "token=x"} {
		if strings.Contains(s, leak) {
			t.Errorf("%s leaked: %s", leak, s)
		}
	}
	if !strings.Contains(s, "n=3") {
		t.Errorf("plain attribute lost: %s", s)
	}
}

// quickCases are texts at the edges of String's quick scans: each must come
// out as the full pass makes it.
var quickCases = []string{
	"x-api-\u212Aey: abc123", // KELVIN SIGN folds to k in the header-line pattern
	"x-\u017Fecret: abc123",  // LONG S folds to s
	"X-AUTH-TOKEN: abcdef",
	"set-cookie: id=1",
	"a=b&Password=pw1",
	"(api_key=zz)",
	"[token]=v",
	"sha256=00ff",
	"a.b-c=1;session=2",
	"=value",
	"name==x",
	"s3cr3t-valu",
	"xs3cr3t-valuex",
	"https://u:p@h",
	"Ocp-Apim-Subscription-Key: abc",
	"x-to-ken: abc",
	"Basic dTpw",
	"{\"cookie\": [\"a\", 1], \"b\": \"Authorization: x\"}",
	"[… 3 bytes cut …]\n3cr3t-value…",
	"",
}

// TestQuickScans: on each text the quick scans pass on, String changes it
// only where the full pass does.
func TestQuickScans(t *testing.T) {
	for _, r := range []*Redactor{New("s3cr3t-value"), manySecrets(), nil} {
		for _, in := range quickCases {
			if got, want := r.redact(in, true), r.redact(in, false); got != want {
				t.Errorf("String(%q) = %q, the full pass gives %q", in, got, want)
			}
		}
	}
	if !mayHoldHeaderLine("x-api-\u212Aey: abc") || mayHoldHeaderLine("content-type: text/plain") {
		t.Error("mayHoldHeaderLine misjudges")
	}
	if !mayHoldSecretPair("?a=1&token=2") || mayHoldSecretPair("sha256=00ff a=b") {
		t.Error("mayHoldSecretPair misjudges")
	}
}

// manySecrets is a redactor with more forms than it looks for one by one.
func manySecrets() *Redactor {
	var v []string
	for i := 0; i < 2*fewForms; i++ {
		v = append(v, "secret-number-"+strconv.Itoa(i))
	}
	return New(v...)
}

// FuzzString: the quick scans never let through what the full pass would
// redact.
func FuzzString(f *testing.F) {
	for _, c := range quickCases {
		f.Add(c)
	}
	few, many := New("s3cr3t-value", "tok/with+chars&<>"), manySecrets()
	f.Fuzz(func(t *testing.T, in string) {
		for _, r := range []*Redactor{few, many} {
			if got, want := r.redact(in, true), r.redact(in, false); got != want {
				t.Fatalf("String(%q) = %q, the full pass gives %q", in, got, want)
			}
		}
	})
}
