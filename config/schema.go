package config

import "fmt"

// File is what hooks.yaml says, decoded strictly. It holds no compiled state:
// the engine builds its runtime snapshot from it.
type File struct {
	Server  Server            `koanf:"server" json:"server"`
	Store   Store             `koanf:"store" json:"store"`
	Admin   Admin             `koanf:"admin" json:"admin"`
	Log     Log               `koanf:"log" json:"log"`
	Runner  Runner            `koanf:"runner" json:"runner"`
	Sources map[string]Source `koanf:"sources" json:"sources"`
	Rules   []Rule            `koanf:"rules" json:"rules"`
	// Listen turns on the event stream of `hookrunner listen` (listen.go).
	Listen Listen `koanf:"listen" json:"listen"`
	// Breaker is the circuit breaker of every destination host.
	Breaker Breaker `koanf:"breaker" json:"breaker,omitempty"`
	// Limits caps what is sent to a destination (host, or host:port).
	Limits map[string]Limit `koanf:"limits" json:"limits,omitempty"`
	// Alerts run actions when something goes wrong.
	Alerts []Alert `koanf:"alerts" json:"alerts,omitempty"`
	// Include lists files (globs, relative to this file) whose sources and
	// rules are merged in, e.g. ["hooks.d/*.yaml"].
	Include []string `koanf:"include" json:"include,omitempty" path:"file"`
	// Tests lists the rule test files (globs, relative to this file) that
	// `hookrunner test` runs; without it, <name>.test.yaml beside this
	// file (hooks.test.yaml for hooks.yaml). The server never reads them.
	Tests []string `koanf:"tests" json:"tests,omitempty"`
}

// included is what an included file may hold.
type included struct {
	Sources map[string]Source `koanf:"sources"`
	Rules   []Rule            `koanf:"rules"`
}

// Server configures the public webhook listener.
type Server struct {
	Listen            string   `koanf:"listen" json:"listen"`
	MaxBody           ByteSize `koanf:"max_body" json:"max_body"`
	MaxHeaderBytes    ByteSize `koanf:"max_header_bytes" json:"max_header_bytes"`
	ReadHeaderTimeout Duration `koanf:"read_header_timeout" json:"read_header_timeout"`
	ReadTimeout       Duration `koanf:"read_timeout" json:"read_timeout"`
	WriteTimeout      Duration `koanf:"write_timeout" json:"write_timeout"`
	IdleTimeout       Duration `koanf:"idle_timeout" json:"idle_timeout"`
	ShutdownGrace     Duration `koanf:"shutdown_grace" json:"shutdown_grace"`
	// MaxPending is the queue depth (runs not yet finished) past which ingest
	// answers 503 with Retry-After instead of growing without bound.
	MaxPending int `koanf:"max_pending" json:"max_pending"`
	// MaxConnections caps open connections on the public listener.
	MaxConnections int `koanf:"max_connections" json:"max_connections"`
	// MaxConnsPerIP caps the connections one client address holds open on
	// the public listener (0: the default, 64; -1: no per-address cap).
	// Connections from a trusted proxy are exempt (they carry many clients).
	MaxConnsPerIP int `koanf:"max_conns_per_ip" json:"max_conns_per_ip"`
	// MaxJSONDepth caps the nesting of JSON bodies (400 beyond it).
	MaxJSONDepth int `koanf:"max_json_depth" json:"max_json_depth"`
	// MatchBudget is the number of evaluation steps the `if` conditions of
	// one event may use together; a condition still running when they are
	// spent stops and does not match ("evaluation budget exceeded").
	MatchBudget int `koanf:"match_budget" json:"match_budget"`
	// RateLimit limits requests per remote address and per source.
	RateLimit RateLimit `koanf:"rate_limit" json:"rate_limit"`
	// TrustedProxies lists the proxies whose X-Forwarded-For is believed.
	TrustedProxies []string `koanf:"trusted_proxies" json:"trusted_proxies,omitempty"`
	// TLS serves the public listener over HTTPS (TLS 1.2+); the files are
	// re-read when they change.
	TLS TLS `koanf:"tls" json:"tls"`
}

// RateLimit is requests per second with a burst; 0 turns a limit off.
type RateLimit struct {
	PerIP          float64 `koanf:"per_ip" json:"per_ip"`
	PerIPBurst     int     `koanf:"per_ip_burst" json:"per_ip_burst"`
	PerSource      float64 `koanf:"per_source" json:"per_source"`
	PerSourceBurst int     `koanf:"per_source_burst" json:"per_source_burst"`
}

// TLS names a certificate and key (PEM).
type TLS struct {
	CertFile string `koanf:"cert_file" json:"cert_file,omitempty" path:"file"`
	KeyFile  string `koanf:"key_file" json:"key_file,omitempty" path:"file"`
}

// Store selects and configures the durable store.
type Store struct {
	Driver string `koanf:"driver" json:"driver"`
	DSN    string `koanf:"dsn" json:"dsn" path:"dsn"`
	// Synchronous is SQLite's synchronous pragma: full (default; an
	// acknowledged event survives power loss) or normal (survives a process
	// crash, may lose the last commits on power loss).
	Synchronous  string   `koanf:"synchronous" json:"synchronous"`
	DedupeWindow Duration `koanf:"dedupe_window" json:"dedupe_window"`
	Retention    Duration `koanf:"retention" json:"retention"`
}

// Admin configures the admin listener (API, metrics, reload, UI).
type Admin struct {
	Listen    string `koanf:"listen" json:"listen"`
	Token     Secret `koanf:"token" json:"token"`
	TokenFile string `koanf:"token_file" json:"token_file" path:"file"`
	// Hosts lists the host names (besides IP literals and localhost) the
	// admin listener answers to; any other Host header is refused, which
	// stops DNS rebinding.
	Hosts []string `koanf:"hosts" json:"hosts,omitempty"`
}

// Log configures log/slog output.
type Log struct {
	Level  string `koanf:"level" json:"level"`
	Format string `koanf:"format" json:"format"`
}

// Runner configures the worker pool that executes runs.
type Runner struct {
	Workers      int      `koanf:"workers" json:"workers"`
	Lease        Duration `koanf:"lease" json:"lease"`
	PollInterval Duration `koanf:"poll_interval" json:"poll_interval"`
	OutputLimit  ByteSize `koanf:"output_limit" json:"output_limit"`
}

// Source is one webhook endpoint, POST /hooks/<name>.
type Source struct {
	Provider string `koanf:"provider" json:"provider"`
	// Path is the URL path under /hooks/ the source answers at, when not
	// its name: segments of letters, digits, '.', '_' and '-' joined by '/'.
	Path       string   `koanf:"path" json:"path,omitempty"`
	Secret     Secret   `koanf:"secret" json:"secret,omitempty"`
	SecretFile string   `koanf:"secret_file" json:"secret_file,omitempty" path:"file"`
	Secrets    []Secret `koanf:"secrets" json:"secrets,omitempty"`
	// PublicKey is the verification key of a provider that verifies with a
	// public key (sendgrid's ECDSA key, discord's Ed25519 key): another name
	// for secret:, as their dashboards call it.
	PublicKey string   `koanf:"public_key" json:"public_key,omitempty"`
	Tolerance Duration `koanf:"tolerance" json:"tolerance,omitempty"`
	AllowIPs  []string `koanf:"allow_ips" json:"allow_ips,omitempty"`
	MaxBody   ByteSize `koanf:"max_body" json:"max_body,omitempty"`
	// SigningToken is GitLab's newer signing token (Standard Webhooks style
	// webhook-signature over id.timestamp.body).
	SigningToken Secret `koanf:"signing_token" json:"signing_token,omitempty"`
	// PublicURL is the URL the sender signs (Twilio) when hookrunner sits
	// behind a proxy that rewrites it.
	PublicURL string `koanf:"public_url" json:"public_url,omitempty"`

	// Bearer / basic credentials (alertmanager, grafana, generic).
	Bearer       Secret `koanf:"bearer" json:"bearer,omitempty"`
	BearerFile   string `koanf:"bearer_file" json:"bearer_file,omitempty" path:"file"`
	Username     string `koanf:"username" json:"username,omitempty"`
	Password     Secret `koanf:"password" json:"password,omitempty"`
	PasswordFile string `koanf:"password_file" json:"password_file,omitempty" path:"file"`

	// Generic provider settings.
	Verify     string `koanf:"verify" json:"verify,omitempty"` // hmac | token | basic | none
	Header     string `koanf:"header" json:"header,omitempty"`
	QueryParam string `koanf:"query_param" json:"query_param,omitempty"`
	Algorithm  string `koanf:"algorithm" json:"algorithm,omitempty"` // sha1 | sha256 | sha512
	Encoding   string `koanf:"encoding" json:"encoding,omitempty"`   // hex | base64
	Prefix     string `koanf:"prefix" json:"prefix,omitempty"`
	// PrefixOptional (verify: hmac): the signature may come without its
	// prefix, or as a comma-separated list of prefixed signatures, any one
	// of which must match (adnanh/webhook's reading of the header).
	PrefixOptional bool   `koanf:"prefix_optional" json:"prefix_optional,omitempty"`
	EventHeader    string `koanf:"event_header" json:"event_header,omitempty"`
	IDHeader       string `koanf:"id_header" json:"id_header,omitempty"`
	// Grafana: optional signature timestamp header.
	TimestampHeader string `koanf:"timestamp_header" json:"timestamp_header,omitempty"`
	// OrganizationID is the Salesforce organization (15 or 18 characters) a
	// salesforce-outbound source accepts; another one is answered 403.
	OrganizationID string `koanf:"organization_id" json:"organization_id,omitempty"`
	// VerifyToken is what a Meta app sends as hub.verify_token in its GET
	// verification (provider meta).
	VerifyToken Secret `koanf:"verify_token" json:"verify_token,omitempty"`
	// AppID is the sender's application id (provider zalo signs it).
	AppID string `koanf:"app_id" json:"app_id,omitempty"`
	// Audience and ServiceAccount are the aud and email claims a Google
	// Pub/Sub push token must carry (provider pubsub).
	Audience       string `koanf:"audience" json:"audience,omitempty"`
	ServiceAccount string `koanf:"service_account" json:"service_account,omitempty"`
	// Topics are the SNS topic ARNs accepted (provider sns; empty: any).
	Topics []string `koanf:"topics" json:"topics,omitempty"`
	// Confirm: an SNS source confirms a SubscriptionConfirmation by fetching
	// its SubscribeURL (provider sns).
	Confirm bool `koanf:"confirm" json:"confirm,omitempty"`

	// Poll turns an API without webhooks into events (provider: poll).
	Poll *Poll `koanf:"poll" json:"poll,omitempty"`

	// Decrypt opens an encrypted body after verification and before the
	// rules; what is decrypted is what is decoded and stored.
	Decrypt *Decrypt `koanf:"decrypt" json:"decrypt,omitempty"`
}

// Decrypt is a source's decrypt: block.
type Decrypt struct {
	// Algorithm is aes-256-gcm (12-byte nonce, ciphertext, 16-byte tag;
	// raw or base64) or jwe (compact JWE, enc A256GCM; alg dir with key,
	// RSA-OAEP-256 with private_key).
	Algorithm string `koanf:"algorithm" json:"algorithm"`
	// Key is the standard base64 of a 32-byte key.
	Key     Secret `koanf:"key" json:"key,omitempty"`
	KeyFile string `koanf:"key_file" json:"key_file,omitempty" path:"file"`
	// PrivateKey is a PEM RSA private key (jwe, RSA-OAEP-256).
	PrivateKey     Secret `koanf:"private_key" json:"private_key,omitempty"`
	PrivateKeyFile string `koanf:"private_key_file" json:"private_key_file,omitempty" path:"file"`
}

// Poll is a polled source: GET url every interval, one event per new item.
type Poll struct {
	URL     string            `koanf:"url" json:"url"`
	Method  string            `koanf:"method" json:"method,omitempty"`
	Headers map[string]string `koanf:"headers" json:"headers,omitempty"`
	Body    string            `koanf:"body" json:"body,omitempty"`
	Every   Duration          `koanf:"every" json:"every,omitempty"`
	Jitter  Duration          `koanf:"jitter" json:"jitter,omitempty"`
	Timeout Duration          `koanf:"timeout" json:"timeout,omitempty"`
	// Items selects the list in the response (payload is the response).
	Items string `koanf:"items" json:"items,omitempty"`
	// ID gives each item's stable id (payload is the item).
	ID string `koanf:"id" json:"id"`
	// Cursor, evaluated on the last item, is sent on the next request as
	// {{ cursor }} in url, headers or body.
	Cursor string `koanf:"cursor" json:"cursor,omitempty"`
	// Event is the event type: a constant or a {{ }} template over the item.
	Event string `koanf:"event" json:"event,omitempty"`
	// Initial is emit (every item of the first poll becomes an event) or
	// skip (the first poll only remembers what is there).
	Initial string `koanf:"initial" json:"initial,omitempty"`
	// MaxPages bounds the polls made back to back while new items come.
	MaxPages int `koanf:"max_pages" json:"max_pages,omitempty"`
}

// Rule matches events and runs actions.
type Rule struct {
	Name        string   `koanf:"name" json:"name"`
	Source      string   `koanf:"source" json:"source"`
	Events      []string `koanf:"events" json:"events,omitempty"`
	If          string   `koanf:"if" json:"if,omitempty"`
	Concurrency int      `koanf:"concurrency" json:"concurrency,omitempty"`
	Retry       Retry    `koanf:"retry" json:"retry"`
	// Respond is "async" (default: 202 once stored) or "sync" (the answer
	// waits for the actions and carries the last action's output).
	Respond     string           `koanf:"respond" json:"respond,omitempty"`
	SyncTimeout Duration         `koanf:"sync_timeout" json:"sync_timeout,omitempty"`
	Actions     []map[string]any `koanf:"actions" json:"actions"`

	// File and Index locate the rule for error messages: the file it was
	// written in (empty for the main file) and its index there.
	File  string `koanf:"-" json:"-"`
	Index int    `koanf:"-" json:"-"`
}

// RulePath returns where rule i was written: its file (empty for the main
// file) and its key path there.
func (c *Config) RulePath(i int) (string, string) {
	r := c.Rules[i]
	return r.File, fmt.Sprintf("rules[%d]", r.Index)
}

// Retry is a rule's retry policy.
type Retry struct {
	Attempts   int      `koanf:"attempts" json:"attempts"`
	Backoff    Duration `koanf:"backoff" json:"backoff"`
	MaxBackoff Duration `koanf:"max_backoff" json:"max_backoff"`
}
