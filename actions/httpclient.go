package actions

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/hookrunner/hookrunner/internal/redact"
)

// maxIdlePerHost is the idle keep-alive connections an action's client
// keeps per host: at least the workers that may call it at once.
const maxIdlePerHost = 64

// NewHTTPClient returns a go-retryablehttp client that retries connection
// errors, 429 and 5xx up to retries times, honouring Retry-After but never
// waiting longer than maxWait (go-retryablehttp does not cap it itself).
func NewHTTPClient(retries int, timeout, maxWait time.Duration) *retryablehttp.Client {
	c := retryablehttp.NewClient()
	c.Logger = nil
	c.RetryMax = retries
	c.RetryWaitMin = 200 * time.Millisecond
	c.RetryWaitMax = 5 * time.Second
	c.HTTPClient.Timeout = timeout
	c.HTTPClient.CheckRedirect = sameOriginRedirects
	// go-retryablehttp's pooled transport keeps GOMAXPROCS+1 idle
	// connections a host: with more workers than that calling one host,
	// every run past them dialled a new connection and left the old one in
	// TIME_WAIT. Keep enough for every worker (and a few replicas of them).
	if tr, ok := c.HTTPClient.Transport.(*http.Transport); ok {
		tr.MaxIdleConnsPerHost = maxIdlePerHost
		tr.MaxIdleConns = max(tr.MaxIdleConns, maxIdlePerHost)
	}
	// Every request, retries included, asks the run's Gate (circuit
	// breaker, destination limits) first; a Wait is never retried here:
	// the run waits in the queue instead.
	c.HTTPClient.Transport = gatedTransport{next: c.HTTPClient.Transport}
	c.CheckRetry = func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		if AsWait(err) != nil {
			return false, nil
		}
		return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	}
	c.Backoff = func(min, max time.Duration, n int, resp *http.Response) time.Duration {
		if d := RetryAfter(resp); d > 0 {
			return min2(d, maxWait)
		}
		return retryablehttp.DefaultBackoff(min, max, n, nil)
	}
	c.ErrorHandler = retryablehttp.PassthroughErrorHandler
	return c
}

func min2(a, b time.Duration) time.Duration {
	if a < b {
		return a
	}
	return b
}

// RetryAfter parses a Retry-After header (seconds or HTTP date).
func RetryAfter(resp *http.Response) time.Duration {
	if resp == nil {
		return 0
	}
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// maxRedirects is how many same-origin redirects a request follows.
const maxRedirects = 10

// sameOriginRedirects is the CheckRedirect of every action's client (http,
// CRM, poll): a redirect is followed only to the origin (scheme, host and
// port) of the configured URL. A redirect elsewhere is not followed: the 3xx
// is the answer. Following it would send the action's headers (X-Api-Key,
// and Authorization to another port of the same host), its body (307/308)
// and, in the Referer, the URL with its query credentials to a host the
// config does not name, which the target, or a payload value in its query
// (?next=http://169.254.169.254/), chooses.
func sameOriginRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	first := via[0].URL
	if req.URL.Scheme != first.Scheme || !strings.EqualFold(req.URL.Host, first.Host) {
		return http.ErrUseLastResponse
	}
	return nil
}

// DoHTTP sends req and turns the answer into a Result: success per ok,
// permanent failure for 4xx other than 408/429, retryable otherwise, with
// Retry-After (capped at maxWait) passed on to the retry schedule.
func DoHTTP(c *retryablehttp.Client, req *retryablehttp.Request, limit int, ok func(int) bool, maxWait time.Duration) (Result, error) {
	if limit <= 0 {
		limit = 64 << 10
	}
	// The URL as errors quote it, credentials removed: only on failure.
	where := func() string { return noSecrets.URL(req.URL.String()) }
	resp, err := c.Do(req)
	if w := AsWait(err); w != nil {
		return Result{Output: w.Error()}, w
	}
	if err != nil {
		// The client's error quotes the URL: its credentials go.
		err = noSecrets.Error(err)
		return Result{Output: err.Error()}, fmt.Errorf("%s %s: %w", req.Method, where(), err)
	}
	defer resp.Body.Close()
	out := NewTailBuffer(limit)
	_, _ = io.Copy(out, io.LimitReader(resp.Body, int64(limit)*4))
	res := Result{HTTPStatus: resp.StatusCode, Output: out.String()}
	res.Response = &Response{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Body: bytes.Clone([]byte(res.Output))}
	if ok(resp.StatusCode) {
		return res, nil
	}
	res.RetryAfter = min2(RetryAfter(resp), maxWait)
	err = fmt.Errorf("%s %s: HTTP %d: %s", req.Method, where(), resp.StatusCode, firstLine(res.Output, 300))
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		// A redirect to another origin (sameOriginRedirects): the config
		// names the wrong address, which no retry changes.
		return res, Permanent(fmt.Errorf("%s %s: HTTP %d redirect to %s not followed (only redirects to the same scheme, host and port are); set the url to the final address", req.Method, where(), resp.StatusCode, noSecrets.URL(resp.Header.Get("Location"))))
	}
	if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != 408 && resp.StatusCode != 429 {
		return res, Permanent(err)
	}
	return res, err
}

func firstLine(s string, max int) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	// CutHead drops the token the cut falls in: the redactor, which sees
	// the error later, could not recognise a piece of a secret.
	return CutHead(s, max)
}

// SafeURL drops the credentials of u (userinfo, credential query
// parameters), for messages and explain output.
func SafeURL(u string) string { return noSecrets.URL(u) }

// noSecrets applies the redactor's structural rules (URL userinfo,
// credential query parameters): an action's error never carries them. The
// engine passes the error through the redactor that knows the config's
// secret values before it is stored or logged.
var noSecrets *redact.Redactor
