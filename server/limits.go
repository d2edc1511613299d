package server

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// LimitListener caps the connections open at once; further ones wait in
// the kernel's backlog until a slot frees.
func LimitListener(ln net.Listener, n int) net.Listener {
	if n <= 0 {
		return ln
	}
	return &limitListener{Listener: ln, sem: make(chan struct{}, n)}
}

type limitListener struct {
	net.Listener
	sem chan struct{}
}

func (l *limitListener) Accept() (net.Conn, error) {
	l.sem <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.sem }}, nil
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// PerIPListener caps the connections one client address holds open at
// once. A connection over the cap is closed as soon as it is accepted,
// before anything is read from it, and refused is called (a metric). Peers
// in exempt (trusted proxies, which carry many clients on their
// connections) are not capped; n <= 0 turns the cap off.
func PerIPListener(ln net.Listener, n int, exempt []netip.Prefix, refused func()) net.Listener {
	if n <= 0 {
		return ln
	}
	if refused == nil {
		refused = func() {}
	}
	return &perIPListener{Listener: ln, n: n, exempt: exempt, refused: refused, open: map[netip.Addr]int{}}
}

type perIPListener struct {
	net.Listener
	n       int
	exempt  []netip.Prefix
	refused func()
	mu      sync.Mutex
	open    map[netip.Addr]int
}

func (l *perIPListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
		if err != nil {
			return c, nil // not TCP/IP (tests, unix sockets): not capped
		}
		ip := ap.Addr().Unmap()
		if inAny(ip, l.exempt) {
			return c, nil
		}
		l.mu.Lock()
		if l.open[ip] >= l.n {
			l.mu.Unlock()
			_ = c.Close()
			l.refused()
			continue
		}
		l.open[ip]++
		l.mu.Unlock()
		return &limitConn{Conn: c, release: func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			if l.open[ip]--; l.open[ip] <= 0 {
				delete(l.open, ip)
			}
		}}, nil
	}
}

// keyedLimiter is a token bucket per key (remote address, source), with
// idle keys swept so memory stays bounded.
type keyedLimiter struct {
	mu    sync.Mutex
	r     rate.Limit
	burst int
	m     map[string]*entry
	sweep time.Time
}

type entry struct {
	l    *rate.Limiter
	seen time.Time
}

func newKeyedLimiter(perSecond float64, burst int) *keyedLimiter {
	if perSecond <= 0 {
		return nil
	}
	return &keyedLimiter{r: rate.Limit(perSecond), burst: burst, m: map[string]*entry{}}
}

// allow reports whether key may make a request now, and if not, how long
// until it may.
func (k *keyedLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	if k == nil {
		return true, 0
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if now.Sub(k.sweep) > time.Minute {
		for key, e := range k.m {
			if now.Sub(e.seen) > 5*time.Minute {
				delete(k.m, key)
			}
		}
		k.sweep = now
	}
	e := k.m[key]
	if e == nil {
		e = &entry{l: rate.NewLimiter(k.r, k.burst)}
		k.m[key] = e
	}
	e.seen = now
	r := e.l.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// ParsePrefixes parses IPs and CIDRs (already validated by the config).
func ParsePrefixes(list []string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
		} else if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return out
}

func inAny(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
