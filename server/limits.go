package server

import (
	"container/list"
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

// IPv6PrefixBits is how much of an IPv6 address names one client in the
// per-address limits: a /64, the least a host or a home is given, so one
// client cannot spread its requests over the 2^64 addresses it holds.
const IPv6PrefixBits = 64

// addrKey is the client an address counts as in the per-address limits
// (rate_limit.per_ip, max_conns_per_ip, the failure budgets): an IPv4
// address itself, an IPv4-mapped IPv6 address as that IPv4 address, an
// IPv6 address as its /64.
func addrKey(a netip.Addr) netip.Prefix {
	a = a.Unmap().WithZone("")
	bits := 32
	if a.Is6() {
		bits = IPv6PrefixBits
	}
	p, _ := a.Prefix(bits)
	return p
}

// PerIPListener caps the connections one client address (addrKey: an IPv6
// /64) holds open at once. A connection over the cap is closed as soon as
// it is accepted, before anything is read from it, and refused is called
// (a metric). Peers in exempt (trusted proxies, which carry many clients
// on their connections) are not capped; n <= 0 turns the cap off.
func PerIPListener(ln net.Listener, n int, exempt []netip.Prefix, refused func()) net.Listener {
	if n <= 0 {
		return ln
	}
	if refused == nil {
		refused = func() {}
	}
	return &perIPListener{Listener: ln, n: n, exempt: exempt, refused: refused, open: map[netip.Prefix]int{}}
}

type perIPListener struct {
	net.Listener
	n       int
	exempt  []netip.Prefix
	refused func()
	mu      sync.Mutex
	open    map[netip.Prefix]int // at most one key per open connection
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
		key := addrKey(ip)
		l.mu.Lock()
		if l.open[key] >= l.n {
			l.mu.Unlock()
			_ = c.Close()
			l.refused()
			continue
		}
		l.open[key]++
		l.mu.Unlock()
		return &limitConn{Conn: c, release: func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			if l.open[key]--; l.open[key] <= 0 {
				delete(l.open, key)
			}
		}}, nil
	}
}

const (
	// limiterMaxKeys bounds the buckets a keyedLimiter holds (~250 bytes
	// each): past it the least recently seen key is forgotten, and comes
	// back, if it does, with a full bucket. A flood from more clients
	// than this costs bounded memory, not a map that grows with it.
	limiterMaxKeys = 1 << 16
	// limiterIdle is how long a key unseen keeps its bucket.
	limiterIdle = 5 * time.Minute
)

// keyedLimiter is a token bucket per key (a client's addrKey, a source),
// at most max of them: idle keys and, past max, the least recently seen
// are dropped from the back of an LRU list as new ones come, so memory is
// bounded whatever the keys.
type keyedLimiter struct {
	mu    sync.Mutex
	r     rate.Limit
	burst int
	max   int
	m     map[string]*list.Element // of *entry
	lru   list.List                // front: most recently seen
}

type entry struct {
	key  string
	l    *rate.Limiter
	seen time.Time
}

func newKeyedLimiter(perSecond float64, burst int) *keyedLimiter {
	if perSecond <= 0 {
		return nil
	}
	return &keyedLimiter{r: rate.Limit(perSecond), burst: burst, max: limiterMaxKeys, m: map[string]*list.Element{}}
}

// allowAddr is allow for the client at a: its addrKey, so all of an IPv6
// /64 shares one bucket.
func (k *keyedLimiter) allowAddr(a netip.Addr, now time.Time) (bool, time.Duration) {
	if k == nil {
		return true, 0
	}
	return k.allow(addrKey(a).String(), now)
}

// allow reports whether key may make a request now, and if not, how long
// until it may.
func (k *keyedLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	if k == nil {
		return true, 0
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	el := k.m[key]
	if el == nil {
		for b := k.lru.Back(); b != nil && (k.lru.Len() >= k.max || now.Sub(b.Value.(*entry).seen) > limiterIdle); b = k.lru.Back() {
			delete(k.m, b.Value.(*entry).key)
			k.lru.Remove(b)
		}
		el = k.lru.PushFront(&entry{key: key, l: rate.NewLimiter(k.r, k.burst)})
		k.m[key] = el
	} else {
		k.lru.MoveToFront(el)
	}
	e := el.Value.(*entry)
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
