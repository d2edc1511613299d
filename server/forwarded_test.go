package server

import (
	"crypto/tls"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/hookrunner/hookrunner/ruleset"
)

func TestRequestOrigin(t *testing.T) {
	trusted := ParsePrefixes([]string{"10.0.0.0/8", "2001:db8:ffff::/48"})
	tests := []struct {
		name    string
		peer    string
		tls     bool
		host    string
		headers map[string][]string
		trusted []netip.Prefix
		want    origin
	}{
		{
			name: "direct, no proxies configured", peer: "203.0.113.7:5555", host: "hooks.example.com",
			headers: map[string][]string{"X-Forwarded-For": {"198.51.100.1"}, "X-Forwarded-Host": {"evil.example"}, "X-Forwarded-Proto": {"https"}},
			want:    origin{IP: netip.MustParseAddr("203.0.113.7"), Proto: "http", Host: "hooks.example.com"},
		},
		{
			name: "spoof from an untrusted peer is ignored entirely", peer: "203.0.113.7:5555", host: "hooks.example.com", trusted: trusted,
			headers: map[string][]string{"X-Forwarded-For": {"10.0.0.1"}, "X-Forwarded-Host": {"evil.example"}, "X-Forwarded-Proto": {"https"},
				"Forwarded": {"for=10.0.0.2;host=evil.example;proto=https"}},
			want: origin{IP: netip.MustParseAddr("203.0.113.7"), Proto: "http", Host: "hooks.example.com"},
		},
		{
			name: "TLS listener without proxy", peer: "203.0.113.7:5555", tls: true, host: "hooks.example.com:8443", trusted: trusted,
			want: origin{IP: netip.MustParseAddr("203.0.113.7"), Proto: "https", Host: "hooks.example.com:8443"},
		},
		{
			name: "X-Forwarded-* from a trusted proxy", peer: "10.0.0.5:1234", host: "hookrunner:8080", trusted: trusted,
			headers: map[string][]string{"X-Forwarded-For": {"198.51.100.9"}, "X-Forwarded-Host": {"hooks.example.com"}, "X-Forwarded-Proto": {"HTTPS"}},
			want:    origin{IP: netip.MustParseAddr("198.51.100.9"), Proto: "https", Host: "hooks.example.com"},
		},
		{
			name: "X-Forwarded-Port added when not the default", peer: "10.0.0.5:1234", host: "hookrunner:8080", trusted: trusted,
			headers: map[string][]string{"X-Forwarded-For": {"198.51.100.9"}, "X-Forwarded-Host": {"hooks.example.com"}, "X-Forwarded-Proto": {"https"}, "X-Forwarded-Port": {"8443"}},
			want:    origin{IP: netip.MustParseAddr("198.51.100.9"), Proto: "https", Host: "hooks.example.com:8443"},
		},
		{
			name: "X-Forwarded-Port default dropped", peer: "10.0.0.5:1234", host: "hookrunner:8080", trusted: trusted,
			headers: map[string][]string{"X-Forwarded-For": {"198.51.100.9"}, "X-Forwarded-Host": {"hooks.example.com"}, "X-Forwarded-Proto": {"https"}, "X-Forwarded-Port": {"443"}},
			want:    origin{IP: netip.MustParseAddr("198.51.100.9"), Proto: "https", Host: "hooks.example.com"},
		},
		{
			name: "client prepends a spoofed X-Forwarded-For: the nearest untrusted hop counts", peer: "10.0.0.5:1234", host: "hookrunner", trusted: trusted,
			headers: map[string][]string{"X-Forwarded-For": {"10.9.9.9, 198.51.100.9", "10.0.0.6"}, "X-Forwarded-Proto": {"https"}},
			want:    origin{IP: netip.MustParseAddr("198.51.100.9"), Proto: "https", Host: "hookrunner"},
		},
		{
			name: "per-hop X-Forwarded-Host list aligned from the right", peer: "10.0.0.5:1234", host: "hookrunner", trusted: trusted,
			headers: map[string][]string{"X-Forwarded-For": {"198.51.100.9, 10.0.0.6"}, "X-Forwarded-Host": {"evil.example, hooks.example.com, internal.lb"}, "X-Forwarded-Proto": {"https, http"}},
			want:    origin{IP: netip.MustParseAddr("198.51.100.9"), Proto: "https", Host: "hooks.example.com"},
		},
		{
			name: "unparsable X-Forwarded-For entry: the proxy that reported it is the client", peer: "10.0.0.5:1234", host: "h", trusted: trusted,
			headers: map[string][]string{"X-Forwarded-For": {"198.51.100.9, garbage"}},
			want:    origin{IP: netip.MustParseAddr("10.0.0.5"), Proto: "http", Host: "h"},
		},
		{
			name: "Forwarded from a trusted proxy", peer: "10.0.0.5:1234", host: "hookrunner", trusted: trusted,
			headers: map[string][]string{"Forwarded": {`for=198.51.100.9;proto=https;host=hooks.example.com`}},
			want:    origin{IP: netip.MustParseAddr("198.51.100.9"), Proto: "https", Host: "hooks.example.com"},
		},
		{
			name: "Forwarded wins over X-Forwarded-*", peer: "10.0.0.5:1234", host: "hookrunner", trusted: trusted,
			headers: map[string][]string{"Forwarded": {`for=198.51.100.9;proto=https;host=hooks.example.com`},
				"X-Forwarded-For": {"198.51.100.66"}, "X-Forwarded-Host": {"other.example"}, "X-Forwarded-Proto": {"http"}},
			want: origin{IP: netip.MustParseAddr("198.51.100.9"), Proto: "https", Host: "hooks.example.com"},
		},
		{
			name: "Forwarded quoted IPv6 with port, mixed-case names", peer: "[2001:db8:ffff::1]:443", host: "hookrunner", trusted: trusted,
			headers: map[string][]string{"Forwarded": {`For="[2001:db8::1]:4711";PROTO=https;Host="hooks.example.com:8443"`}},
			want:    origin{IP: netip.MustParseAddr("2001:db8::1"), Proto: "https", Host: "hooks.example.com:8443"},
		},
		{
			name: "several Forwarded headers and hops: walk back over trusted ones", peer: "10.0.0.5:1234", host: "hookrunner", trusted: trusted,
			headers: map[string][]string{"Forwarded": {
				`for=10.7.7.7;host=evil.example;proto=http, for=192.0.2.60;proto=https;host="hooks.example.com"`,
				`for="10.0.0.9:80";proto=http;host=internal.lb`,
			}},
			want: origin{IP: netip.MustParseAddr("192.0.2.60"), Proto: "https", Host: "hooks.example.com"},
		},
		{
			name: "quoted value with comma and semicolon stays one value", peer: "10.0.0.5:1234", host: "hookrunner", trusted: trusted,
			headers: map[string][]string{"Forwarded": {`for=192.0.2.60;ext="a,b;c";proto=https;host=hooks.example.com`}},
			want:    origin{IP: netip.MustParseAddr("192.0.2.60"), Proto: "https", Host: "hooks.example.com"},
		},
		{
			name: "for=unknown keeps the reporting proxy as client, its proto and host count", peer: "10.0.0.5:1234", host: "hookrunner", trusted: trusted,
			headers: map[string][]string{"Forwarded": {`for=192.0.2.1;host=evil.example, for=unknown;proto=https;host=hooks.example.com`}},
			want:    origin{IP: netip.MustParseAddr("10.0.0.5"), Proto: "https", Host: "hooks.example.com"},
		},
		{
			name: "malformed Forwarded element is believed in nothing", peer: "10.0.0.5:1234", host: "hookrunner", trusted: trusted,
			headers: map[string][]string{"Forwarded": {`for=192.0.2.1;host=evil.example, for="192.0.2.2;host=evil2.example`}},
			want:    origin{IP: netip.MustParseAddr("10.0.0.5"), Proto: "http", Host: "hookrunner"},
		},
		{
			name: "repeated parameter is malformed", peer: "10.0.0.5:1234", host: "hookrunner", trusted: trusted,
			headers: map[string][]string{"Forwarded": {`for=192.0.2.1;host=hooks.example.com;host=evil.example`}},
			want:    origin{IP: netip.MustParseAddr("10.0.0.5"), Proto: "http", Host: "hookrunner"},
		},
		{
			name: "host with userinfo or path is ignored", peer: "10.0.0.5:1234", host: "hookrunner", trusted: trusted,
			headers: map[string][]string{"X-Forwarded-For": {"192.0.2.1"}, "X-Forwarded-Host": {"evil.example/x@y"}, "X-Forwarded-Proto": {"ftp"}},
			want:    origin{IP: netip.MustParseAddr("192.0.2.1"), Proto: "http", Host: "hookrunner"},
		},
		{
			name: "all hops trusted: the farthest one is the client", peer: "10.0.0.5:1234", host: "hookrunner", trusted: trusted,
			headers: map[string][]string{"X-Forwarded-For": {"10.1.1.1, 10.2.2.2"}},
			want:    origin{IP: netip.MustParseAddr("10.1.1.1"), Proto: "http", Host: "hookrunner"},
		},
		{
			name: "trusted proxy sends proto and host without For", peer: "10.0.0.5:1234", host: "hookrunner", trusted: trusted,
			headers: map[string][]string{"X-Forwarded-Host": {"hooks.example.com"}, "X-Forwarded-Proto": {"https"}},
			want:    origin{IP: netip.MustParseAddr("10.0.0.5"), Proto: "https", Host: "hooks.example.com"},
		},
		{
			name: "IPv4-mapped peer is unmapped", peer: "[::ffff:10.0.0.5]:1234", host: "hookrunner", trusted: trusted,
			headers: map[string][]string{"X-Forwarded-For": {"::ffff:198.51.100.9"}},
			want:    origin{IP: netip.MustParseAddr("198.51.100.9"), Proto: "http", Host: "hookrunner"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/hooks/x", nil)
			r.RemoteAddr, r.Host = tt.peer, tt.host
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			for k, vs := range tt.headers {
				for _, v := range vs {
					r.Header.Add(k, v)
				}
			}
			if got := requestOrigin(r, tt.trusted); got != tt.want {
				t.Fatalf("origin = %+v, want %+v", got, tt.want)
			}
			if got := clientIP(r, tt.trusted); got != tt.want.IP {
				t.Fatalf("clientIP = %v, want %v (must agree with requestOrigin)", got, tt.want.IP)
			}
		})
	}
}

func TestPublicURL(t *testing.T) {
	trusted := ParsePrefixes([]string{"127.0.0.1"})
	r := httptest.NewRequest("POST", "http://hookrunner:8080/hooks/tw%2Fx?b=2&a=1", nil)
	r.RemoteAddr = "127.0.0.1:5000"
	r.Header.Set("X-Forwarded-Proto", "https")
	r.Header.Set("X-Forwarded-Host", "hooks.example.com")
	if got := publicURL(r, &ruleset.Source{}, trusted).String(); got != "https://hooks.example.com/hooks/tw%2Fx?b=2&a=1" {
		t.Fatalf("rebuilt URL = %s", got)
	}
	if got := publicURL(r, &ruleset.Source{}, nil).String(); got != "http://hookrunner:8080/hooks/tw%2Fx?b=2&a=1" {
		t.Fatalf("untrusted URL = %s", got)
	}
	pub := &ruleset.Source{}
	pub.PublicURL, _ = r.URL.Parse("https://public.example/hooks/tw")
	if got := publicURL(r, pub, trusted).String(); got != "https://public.example/hooks/tw?b=2&a=1" {
		t.Fatalf("public_url = %s", got)
	}
}

func TestSecureRequestFollowsForwarded(t *testing.T) {
	a := &Admin{Trusted: ParsePrefixes([]string{"10.0.0.0/8"})}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.5:1"
	r.Header.Set("Forwarded", "for=192.0.2.1;proto=https")
	if !a.secureRequest(r) {
		t.Fatal("Forwarded proto=https from a trusted proxy not believed")
	}
	r.RemoteAddr = "192.0.2.9:1"
	if a.secureRequest(r) {
		t.Fatal("proto from an untrusted peer believed")
	}
}

// Whatever the headers say, parsing does not panic, an untrusted peer is
// taken as it is, and a trusted peer yields a clean scheme and host.
func FuzzRequestOrigin(f *testing.F) {
	f.Add(`for="[2001:db8::1]:4711";proto=https;host=a.example, for=10.0.0.1`, "198.51.100.1, 10.0.0.2", "https", "a.example", "8443")
	f.Add(`for=unknown;ext="x,y;z"`, "", "", "", "")
	f.Add(`for="\"`, "garbage", "ftp, https", "evil/x", "0")
	trusted := ParsePrefixes([]string{"10.0.0.0/8"})
	f.Fuzz(func(t *testing.T, fwd, xff, xfp, xfh, xfport string) {
		r := httptest.NewRequest("POST", "/hooks/x", nil)
		r.Host = "hookrunner"
		for k, v := range map[string]string{"Forwarded": fwd, "X-Forwarded-For": xff, "X-Forwarded-Proto": xfp, "X-Forwarded-Host": xfh, "X-Forwarded-Port": xfport} {
			r.Header.Set(k, v)
		}
		r.RemoteAddr = "192.0.2.1:1"
		if o := requestOrigin(r, trusted); o != (origin{IP: netip.MustParseAddr("192.0.2.1"), Proto: "http", Host: "hookrunner"}) {
			t.Fatalf("untrusted peer: %+v", o)
		}
		r.RemoteAddr = "10.0.0.5:1"
		o := requestOrigin(r, trusted)
		if o.Proto != "http" && o.Proto != "https" || !o.IP.IsValid() {
			t.Fatalf("trusted peer: %+v", o)
		}
		if o.Host != "hookrunner" && cleanHost(o.Host) != o.Host {
			t.Fatalf("unclean host %q", o.Host)
		}
	})
}
