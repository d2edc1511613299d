package actions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Wait is the error of an action that must not send now (its destination's
// circuit breaker is open, or its rate or concurrency limit is reached):
// the engine puts the run back in the queue, state waiting, due at Until,
// and the attempt does not count against the rule's retry attempts.
type Wait struct {
	Until  time.Time
	Reason string
}

func (w *Wait) Error() string {
	return fmt.Sprintf("waiting until %s: %s", w.Until.UTC().Format(time.RFC3339Nano), w.Reason)
}

// AsWait returns the Wait in err's chain, or nil.
func AsWait(err error) *Wait {
	var w *Wait
	if errors.As(err, &w) {
		return w
	}
	return nil
}

// Gate decides whether a request to a destination may be sent now. The
// engine puts one in the context of each run (WithGate); every client
// built by NewHTTPClient asks it before each request it sends (retries
// included), so every HTTP-sending action is covered by construction.
type Gate interface {
	// Admit returns nil and a done function to call with the outcome once
	// the request is over, or a *Wait when the request must not go now.
	// dest is the host (host:port when the URL names a port).
	Admit(ctx context.Context, dest string) (Ticket, error)
}

// Ticket is an admitted request.
type Ticket interface {
	// Done records the outcome: failed is a connection error, a 5xx or a
	// 429. When Done returns a *Wait (a failed breaker probe), the request
	// counts as not made: the run waits instead of spending an attempt.
	Done(failed bool) error
	// Abandon ends a request that gives no verdict on the destination
	// (cancelled by hookrunner).
	Abandon()
}

type gateKey struct{}

// WithGate returns ctx carrying g, for the requests sent under it.
func WithGate(ctx context.Context, g Gate) context.Context {
	if g == nil {
		return ctx
	}
	return context.WithValue(ctx, gateKey{}, g)
}

func gateFrom(ctx context.Context) Gate {
	g, _ := ctx.Value(gateKey{}).(Gate)
	return g
}

// Destination is the key limits and breakers use for a URL's host: the
// host name in lower case, with ":port" only when the URL names one.
func Destination(u *http.Request) string {
	if u.URL == nil {
		return ""
	}
	return DestinationOf(u.URL.Host)
}

// DestinationOf is Destination of a URL's host[:port].
func DestinationOf(hostport string) string {
	h, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return lower(hostport)
	}
	return net.JoinHostPort(lower(h), p)
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// gatedTransport asks the request context's Gate before each request.
type gatedTransport struct{ next http.RoundTripper }

func (t gatedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	g := gateFrom(req.Context())
	if g == nil {
		return t.next.RoundTrip(req)
	}
	ticket, err := g.Admit(req.Context(), Destination(req))
	if err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, err
	}
	resp, err := t.next.RoundTrip(req)
	failed := err != nil && req.Context().Err() == nil ||
		resp != nil && (resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests)
	if err != nil && req.Context().Err() != nil {
		// Cancelled by us (shutdown, timeout of the run): no verdict on
		// the destination.
		ticket.Abandon()
		return nil, err
	}
	if resp == nil {
		if werr := ticket.Done(failed); werr != nil {
			return nil, werr
		}
		return nil, err
	}
	// The ticket (a concurrency slot) is held until the body is read.
	var once sync.Once
	var doneErr error
	finish := func() error { once.Do(func() { doneErr = ticket.Done(failed) }); return doneErr }
	if failed {
		if werr := finish(); werr != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			_ = resp.Body.Close()
			return nil, werr
		}
	}
	resp.Body = &ticketBody{ReadCloser: resp.Body, done: finish}
	return resp, nil
}

type ticketBody struct {
	io.ReadCloser
	done func() error
}

func (b *ticketBody) Close() error {
	err := b.ReadCloser.Close()
	_ = b.done()
	return err
}
