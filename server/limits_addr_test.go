package server

import (
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"
)

func TestAddrKey(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"192.0.2.7", "192.0.2.7/32"},
		{"::ffff:192.0.2.7", "192.0.2.7/32"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"::1", "::/64"},
	}
	for _, tt := range tests {
		if got := addrKey(netip.MustParseAddr(tt.addr)).String(); got != tt.want {
			t.Errorf("addrKey(%s) = %s, want %s", tt.addr, got, tt.want)
		}
	}
}

// TestPerAddressLimitsPerClient: rate_limit.per_ip, the failure budget
// and max_conns_per_ip hold per client network: all of an IPv6 /64 is one
// client, an IPv4-mapped address is its IPv4 address.
func TestPerAddressLimitsPerClient(t *testing.T) {
	v6 := func(prefix string, n int) []string { // n addresses of one /64
		var out []string
		a := netip.MustParseAddr(prefix)
		for range n {
			a = a.Next()
			out = append(out, a.String())
		}
		return out
	}
	tests := []struct {
		name  string
		addrs []string
		want  int // clients: requests allowed at once with per_ip 1/s, burst 1
	}{
		{"a thousand addresses of one /64", v6("2001:db8:1:2::", 1000), 1},
		{"the ends of one /64", []string{"2001:db8:1:2::", "2001:db8:1:2:ffff:ffff:ffff:ffff"}, 1},
		{"two /64s", []string{"2001:db8:1:2::1", "2001:db8:1:3::1"}, 2},
		{"IPv4 and the same address mapped", []string{"192.0.2.7", "::ffff:192.0.2.7"}, 1},
		{"IPv4 neighbours", []string{"192.0.2.7", "192.0.2.8"}, 2},
	}
	now := time.Now()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newKeyedLimiter(1, 1)
			allowed := 0
			for _, a := range tt.addrs {
				if ok, _ := k.allowAddr(netip.MustParseAddr(a), now); ok {
					allowed++
				}
			}
			if allowed != tt.want {
				t.Errorf("rate limit: %d requests allowed, want %d", allowed, tt.want)
			}

			var f failLimiter
			for _, a := range tt.addrs[:len(tt.addrs)-1] {
				for range LoginFailures {
					f.fail(netip.MustParseAddr(a), now)
				}
			}
			blocked, _ := f.blocked(netip.MustParseAddr(tt.addrs[len(tt.addrs)-1]), now)
			if want := tt.want == 1; blocked != want {
				t.Errorf("failure budget: last address blocked %v, want %v", blocked, want)
			}

			ln := &fakeListener{conns: make(chan net.Conn, len(tt.addrs))}
			for _, a := range tt.addrs {
				ln.conns <- &fakeConn{remote: netip.AddrPortFrom(netip.MustParseAddr(a), 1)}
			}
			close(ln.conns)
			refused := 0
			capped := PerIPListener(ln, 1, nil, func() { refused++ })
			for {
				if _, err := capped.Accept(); err != nil {
					break
				}
			}
			if got := len(tt.addrs) - refused; got != tt.want {
				t.Errorf("connection cap: %d connections held, want %d", got, tt.want)
			}
		})
	}
}

// TestKeyedLimiterBounded: however many keys come, the limiter holds at
// most max buckets; a key seen recently keeps its bucket while fewer than
// max new keys come, and an idle one is dropped.
func TestKeyedLimiterBounded(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name    string
		keys    int           // new keys between two requests of "client"
		gap     time.Duration // time between them
		limited bool          // the second request of "client" is refused
	}{
		{"a flood of keys stays bounded", 100_000, 0, false},
		{"a recent key keeps its bucket", 50, 0, true},
		{"an idle key is dropped", 0, limiterIdle + time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newKeyedLimiter(1.0/3600, 1) // one request an hour
			k.max = 100
			if ok, _ := k.allow("client", now); !ok {
				t.Fatal("first request refused")
			}
			for i := range tt.keys {
				k.allow("flood-"+strconv.Itoa(i), now)
			}
			later := now.Add(tt.gap)
			k.allow("another", later)
			if len(k.m) > k.max || k.lru.Len() != len(k.m) {
				t.Fatalf("%d keys in the map, %d in the list, max %d", len(k.m), k.lru.Len(), k.max)
			}
			if ok, _ := k.allow("client", later); ok == tt.limited {
				t.Fatalf("second request allowed %v, want %v", ok, !tt.limited)
			}
		})
	}
}

type fakeListener struct{ conns chan net.Conn }

func (l *fakeListener) Accept() (net.Conn, error) {
	c, ok := <-l.conns
	if !ok {
		return nil, net.ErrClosed
	}
	return c, nil
}
func (l *fakeListener) Close() error   { return nil }
func (l *fakeListener) Addr() net.Addr { return &net.TCPAddr{} }

type fakeConn struct {
	net.Conn
	remote netip.AddrPort
}

func (c *fakeConn) RemoteAddr() net.Addr { return net.TCPAddrFromAddrPort(c.remote) }
func (c *fakeConn) Close() error         { return nil }
