// Package relay sends a stored webhook on to another receiver as it was
// received: its method, its headers (hop-by-hop ones dropped) and its
// body bytes, unchanged, so the receiver's own signature check passes.
// It is the one relay of hookrunner: the `forward` action and `hookrunner
// listen` both send through Send.
package relay

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"strings"
	"time"
)

// Method is the method of every relayed event: the ingress takes webhooks
// by POST only, so a stored event was a POST.
const Method = http.MethodPost

// hopByHop are the headers that describe one connection, not the message
// (RFC 9110 section 7.6.1), plus those the client computes for the new
// request (Host, Content-Length) and the proxy headers of the hop that
// delivered it to hookrunner.
var hopByHop = map[string]bool{
	"Connection": true, "Proxy-Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
	"Host": true, "Content-Length": true,
	"Forwarded": true, "X-Forwarded-For": true, "X-Forwarded-Proto": true, "X-Forwarded-Host": true, "X-Real-Ip": true,
}

// Clean returns h without the hop-by-hop headers (and those Connection
// names), with canonical names. h is not changed.
func Clean(h http.Header) http.Header {
	out := make(http.Header, len(h))
	drop := map[string]bool{}
	for _, v := range h.Values("Connection") {
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				drop[textproto.CanonicalMIMEHeaderKey(name)] = true
			}
		}
	}
	for k, vs := range h {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		if hopByHop[ck] || drop[ck] || len(vs) == 0 {
			continue
		}
		out[ck] = append(out[ck], vs...)
	}
	return out
}

// Request is a relayed event.
type Request struct {
	// Method is the original method (Method when empty).
	Method string
	URL    string
	Header http.Header
	Body   []byte
}

// Result is the receiver's answer.
type Result struct {
	Status   int
	Duration time.Duration
	// Head is the start of the answer's body (up to HeadLimit bytes).
	Head []byte
	// RetryAfter is the delay a 429 or 503 asked for (0 when none).
	RetryAfter time.Duration
}

// HeadLimit caps the part of an answer's body kept in Result.Head.
const HeadLimit = 4 << 10

// Send relays r with c and reads the answer. An error is a failure to get
// an answer at all (refused, reset, timed out); any status is a Result.
func Send(ctx context.Context, c *http.Client, r Request) (Result, error) {
	method := r.Method
	if method == "" {
		method = Method
	}
	req, err := http.NewRequestWithContext(ctx, method, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return Result{}, fmt.Errorf("relay: build request: %w", err)
	}
	req.Header = Clean(r.Header)
	if _, ok := req.Header["User-Agent"]; !ok {
		req.Header["User-Agent"] = []string{""} // no Go default: the sender's, or none
	}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return Result{Duration: time.Since(start)}, fmt.Errorf("relay to %s: %w", req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, HeadLimit))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // reuse the connection
	res := Result{Status: resp.StatusCode, Duration: time.Since(start), Head: head}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		res.RetryAfter = retryAfter(resp.Header.Get("Retry-After"))
	}
	return res, nil
}

// retryAfter reads a Retry-After of seconds, capped at an hour.
func retryAfter(v string) time.Duration {
	var s int
	if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d", &s); err != nil || s < 0 {
		return 0
	}
	return min(time.Duration(s)*time.Second, time.Hour)
}

// Retryable reports whether an answer's status is a failure that a later
// try may fix: a 5xx, 408 or 429. Other statuses are the receiver's
// verdict on the event.
func Retryable(status int) bool {
	return status >= 500 || status == http.StatusRequestTimeout || status == http.StatusTooManyRequests
}

// NewClient returns the client relays are sent with: each try bounded by
// timeout, redirects not followed (a 3xx is the receiver's answer: the
// relayed credential and signature headers go to the URL configured, and
// nowhere else).
func NewClient(timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16
	return &http.Client{Timeout: timeout, Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
