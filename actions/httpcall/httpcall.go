// Package httpcall is the `http` action: call a URL with a templated
// request (named httpcall so it does not shadow net/http).
package httpcall

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/expression"
	"github.com/hookrunner/hookrunner/internal/redact"
)

// HTTPConfig is the YAML of an http action.
type HTTPConfig struct {
	Method  string            `koanf:"method" json:"method,omitempty"`
	URL     string            `koanf:"url" json:"url"`
	Headers map[string]string `koanf:"headers" json:"headers,omitempty"`
	// Body is a template; when empty the event's raw body is forwarded.
	Body    string        `koanf:"body" json:"body,omitempty"`
	Timeout time.Duration `koanf:"timeout" json:"timeout,omitempty"`
	// Success lists the statuses that count as success (default: any 2xx).
	Success []int `koanf:"success" json:"success,omitempty"`
	// Retries are quick in-attempt retries of connection errors and 5xx
	// (go-retryablehttp); the rule's retry policy does durable retries.
	Retries int `koanf:"retries" json:"retries,omitempty"`
	// MaxRetryAfter caps a Retry-After the target asks for.
	MaxRetryAfter time.Duration `koanf:"max_retry_after" json:"max_retry_after,omitempty"`
	// TrustedURL lets the whole URL come from one template ("{{ payload.callback }}")
	// used as is; without it scheme and host are literal and every {{ }} in
	// the URL is escaped for the path segment, query or fragment it is in.
	TrustedURL bool `koanf:"trusted_url" json:"trusted_url,omitempty"`
}

// HTTP calls a URL with a templated request.
type HTTP struct {
	cfg     HTTPConfig
	url     *expression.Template
	headers map[string]*expression.Template
	body    *expression.Template
	client  *retryablehttp.Client
	// jsonCT: no Content-Type is configured and the body template is JSON
	// (it starts with a literal { or [): send application/json.
	jsonCT bool
}

var (
	_ actions.Action  = (*HTTP)(nil)
	_ actions.Planner = (*HTTP)(nil)
)

func init() {
	actions.Register(actions.Info{Name: "http", Config: HTTPConfig{}, New: newHTTP})
}

func newHTTP(bc actions.BuildContext) (actions.Action, error) {
	cfg := bc.Config.(HTTPConfig)
	if cfg.URL == "" {
		return nil, errors.New("url: required")
	}
	if cfg.Method == "" {
		cfg.Method = http.MethodPost
	}
	cfg.Method = strings.ToUpper(cfg.Method)
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxRetryAfter == 0 {
		cfg.MaxRetryAfter = 5 * time.Minute
	}
	if cfg.Retries < 0 || cfg.Retries > 10 {
		return nil, errors.New("retries: must be between 0 and 10")
	}
	h := &HTTP{cfg: cfg}
	var err error
	urlCtx := expression.URL
	if cfg.TrustedURL {
		urlCtx = expression.TrustedURL
	}
	if h.url, err = expression.CompileTemplateFor(urlCtx, cfg.URL); err != nil {
		if !cfg.TrustedURL && strings.Contains(cfg.URL, "{{") {
			return nil, fmt.Errorf("url: %w (to take the whole URL from the event, make url a single {{ }} and set trusted_url: true)", err)
		}
		return nil, fmt.Errorf("url: %w", err)
	}
	if h.headers, err = actions.CompileHeaders(cfg.Headers); err != nil {
		return nil, err
	}
	if cfg.Body != "" {
		ct, ctKey := actions.ContentType(cfg.Headers)
		if ctKey != "" && !h.headers[ctKey].IsStatic() {
			return nil, errors.New("headers.Content-Type: must not be a template when body is set (it decides how the body is escaped)")
		}
		bodyCtx, err := expression.BodyContext(ct, cfg.Body)
		if err != nil {
			return nil, fmt.Errorf("headers.Content-Type: %w", err)
		}
		if h.body, err = expression.CompileTemplateFor(bodyCtx, cfg.Body); err != nil {
			if bodyCtx == expression.JSON && ct == "" {
				return nil, fmt.Errorf("body: %w (a body starting with { or [ is JSON; for text set headers: {Content-Type: text/plain})", err)
			}
			return nil, fmt.Errorf("body: %w", err)
		}
		// Decided here, from the config: a payload value never chooses the
		// type the target reads the body as.
		h.jsonCT = ct == "" && bodyCtx == expression.JSON
	}
	h.client = actions.NewHTTPClient(cfg.Retries, cfg.Timeout, cfg.MaxRetryAfter)
	return h, nil
}

type renderedRequest struct {
	url     string
	headers map[string]string
	body    []byte
}

func (h *HTTP) render(env *expression.Env, raw []byte) (*renderedRequest, error) {
	u, err := h.url.Render(env)
	if err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	r := &renderedRequest{url: u, headers: map[string]string{}, body: raw}
	for k, t := range h.headers {
		v, err := t.Render(env)
		if err != nil {
			return nil, fmt.Errorf("headers.%s: %w", k, err)
		}
		r.headers[k] = v
	}
	if h.body != nil {
		b, err := h.body.Render(env)
		if err != nil {
			return nil, fmt.Errorf("body: %w", err)
		}
		r.body = []byte(b)
	}
	return r, nil
}

// Describe implements actions.Action.
func (h *HTTP) Describe(env *expression.Env) (string, error) {
	r, err := h.render(env, nil)
	if err != nil {
		return "", err
	}
	keys := make([]string, 0, len(r.headers))
	for k := range r.headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "http %s %s", h.cfg.Method, actions.SafeURL(r.url))
	for _, k := range keys {
		v := r.headers[k]
		if redact.IsSecretHeader(k) {
			v = redact.Mask
		}
		fmt.Fprintf(&b, "\n    %s: %s", k, v)
	}
	if h.body != nil {
		fmt.Fprintf(&b, "\n    body: %s", r.body)
	} else {
		b.WriteString("\n    body: (the event's raw body)")
	}
	return b.String(), nil
}

// Plan implements actions.Planner: method, URL (credentials dropped),
// headers (credential headers masked) and body.
func (h *HTTP) Plan(env *expression.Env) (actions.Plan, error) {
	r, err := h.render(env, nil)
	if err != nil {
		return actions.Plan{}, err
	}
	p := &actions.HTTPPlan{Method: h.cfg.Method, URL: actions.SafeURL(r.url), RawBody: h.body == nil}
	if len(r.headers) > 0 {
		p.Headers = make(map[string]string, len(r.headers))
		for k, v := range r.headers {
			if redact.IsSecretHeader(k) {
				v = redact.Mask
			}
			p.Headers[k] = v
		}
	}
	if h.body != nil {
		p.Body = string(r.body)
	}
	return actions.Plan{HTTP: p}, nil
}

func (h *HTTP) success(code int) bool {
	if len(h.cfg.Success) == 0 {
		return code >= 200 && code < 300
	}
	for _, c := range h.cfg.Success {
		if c == code {
			return true
		}
	}
	return false
}

// Run implements actions.Action. 4xx answers other than 408 and 429 are permanent
// failures; 5xx, 408, 429 and connection errors are retried.
func (h *HTTP) Run(ctx context.Context, inv *actions.Invocation) (actions.Result, error) {
	r, err := h.render(inv.Env, inv.Body)
	if err != nil {
		return actions.Result{}, actions.Permanent(err)
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, h.cfg.Method, r.url, r.body)
	if err != nil {
		return actions.Result{}, actions.Permanent(fmt.Errorf("build request: %w", err))
	}
	if h.body == nil {
		if ct := inv.Env.Headers["content-type"]; ct != "" {
			req.Header.Set("Content-Type", ct)
		}
	} else if h.jsonCT {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "hookrunner")
	req.Header.Set("Idempotency-Key", inv.IdempotencyKey())
	for k, v := range r.headers {
		req.Header.Set(k, v)
	}
	return actions.DoHTTP(h.client, req, inv.OutputLimit, h.success, h.cfg.MaxRetryAfter)
}

// Close implements actions.Action: it drops the client's idle connections.
func (h *HTTP) Close() error {
	h.client.HTTPClient.CloseIdleConnections()
	return nil
}
