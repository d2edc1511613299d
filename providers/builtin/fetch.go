package builtin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"time"
)

// fetcher is the one way the providers reach the network (SNS signing
// certificates and subscription confirmations, Google's signing keys):
// GET over https only, to a host the caller's allow-list accepts, port 443,
// no credentials in the URL, no redirects, a timeout and a size limit.
// Answers are cached by URL for ttl (at most maxCached entries).
type fetcher struct {
	client  *http.Client
	maxSize int64
	ttl     time.Duration

	mu    sync.Mutex
	cache map[string]fetched
}

type fetched struct {
	body []byte
	at   time.Time
}

const maxCached = 64

// netFetch is the process's fetcher; tests point its transport at a local
// TLS server (export_test.go), never its allow-lists.
var netFetch = newFetcher(&http.Transport{Proxy: http.ProxyFromEnvironment, TLSHandshakeTimeout: 5 * time.Second,
	ResponseHeaderTimeout: 5 * time.Second, MaxIdleConns: 4, IdleConnTimeout: time.Minute})

func newFetcher(rt http.RoundTripper) *fetcher {
	return &fetcher{maxSize: 64 << 10, ttl: time.Hour, cache: map[string]fetched{},
		client: &http.Client{Transport: rt, Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return errors.New("redirects are not followed") }}}
}

// Host allow-lists.
var (
	// snsHost is an SNS endpoint: sns.<region>.amazonaws.com (.cn in China),
	// as the AWS SDKs' message validators accept.
	snsHost = regexp.MustCompile(`^sns\.[a-z0-9-]{3,}\.amazonaws\.com(\.cn)?$`)
	// googleKeysHost serves Google's OAuth2 signing keys.
	googleKeysHost = regexp.MustCompile(`^www\.googleapis\.com$`)
)

// checkURL refuses any URL the fetcher would not get.
func checkURL(raw string, allow *regexp.Regexp) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, fmt.Errorf("invalid URL: %w", err)
	case u.Scheme != "https":
		return nil, fmt.Errorf("%q is not https", raw)
	case u.User != nil:
		return nil, fmt.Errorf("%q carries credentials", raw)
	case u.Port() != "" && u.Port() != "443":
		return nil, fmt.Errorf("%q is not on port 443", raw)
	case !allow.MatchString(u.Hostname()):
		return nil, fmt.Errorf("host %q is not allowed (%s)", u.Hostname(), allow)
	}
	return u, nil
}

// get fetches raw (allowed by allow), from the cache when cached.
func (f *fetcher) get(ctx context.Context, raw string, allow *regexp.Regexp, cached bool) ([]byte, error) {
	u, err := checkURL(raw, allow)
	if err != nil {
		return nil, err
	}
	key := u.String()
	if cached {
		f.mu.Lock()
		c, ok := f.cache[key]
		f.mu.Unlock()
		if ok && time.Since(c.at) < f.ttl {
			return c.body, nil
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, key, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "hookrunner")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u.Redacted(), resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, f.maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u.Redacted(), err)
	}
	if int64(len(b)) > f.maxSize {
		return nil, fmt.Errorf("GET %s: answer larger than %d bytes", u.Redacted(), f.maxSize)
	}
	if cached {
		f.mu.Lock()
		if len(f.cache) >= maxCached {
			for k := range f.cache { // evict one
				delete(f.cache, k)
				break
			}
		}
		f.cache[key] = fetched{body: b, at: time.Now()}
		f.mu.Unlock()
	}
	return b, nil
}
