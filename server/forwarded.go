package server

import (
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
)

// origin is what the client of the nearest untrusted hop used: its address,
// the scheme and the Host it called. It feeds both the client address (rate
// limits, allow_ips, sign-in throttling) and the public URL a provider signed
// (Twilio), so both read the proxy headers the same way.
type origin struct {
	IP    netip.Addr
	Proto string // "http" or "https"
	Host  string // host[:port], as the client sent it
}

// hop is one forwarded-element: what a proxy saw of the connection it
// received. A zero addr means the proxy did not name (or obfuscated) its
// client.
type hop struct {
	addr  netip.Addr
	proto string
	host  string
}

// requestOrigin returns the origin of r. Without trusted proxies, or when
// the TCP peer is not one of them, it is the peer itself, the listener's
// scheme and the Host header: proxy headers from anyone else are ignored
// entirely. When the peer is a trusted proxy, the hops it reports are read
// from RFC 7239 Forwarded when that header is present, else from
// X-Forwarded-For / -Proto / -Host / -Port, and walked from the nearest
// (right-most) backwards while the hop's client is itself a trusted proxy.
// The first hop whose client is not trusted counts: its address is the
// client, its proto and host are what that client used. A hop that names
// no usable address ("unknown", obfuscated, malformed) ends the walk; the
// client is then the trusted proxy that reported it.
func requestOrigin(r *http.Request, trusted []netip.Prefix) origin {
	o := origin{IP: remoteIP(r), Proto: "http", Host: r.Host}
	if r.TLS != nil {
		o.Proto = "https"
	}
	if len(trusted) == 0 || !inAny(o.IP, trusted) {
		return o
	}
	hops := forwardedHops(r.Header)
	if hops == nil {
		hops = xForwardedHops(r.Header)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		h := hops[i]
		if h.proto != "" {
			o.Proto = h.proto
		}
		if h.host != "" {
			o.Host = h.host
		}
		if !h.addr.IsValid() {
			break
		}
		o.IP = h.addr
		if !inAny(h.addr, trusted) {
			break
		}
	}
	return o
}

// clientIP is the caller's address as requestOrigin finds it.
func clientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	return requestOrigin(r, trusted).IP
}

// forwardedHops parses every Forwarded header line, in order, into hops;
// nil when there is none. Parameter names are case-insensitive; values are
// tokens or quoted strings. An element that does not parse becomes a hop
// with no address, which stops the walk there.
func forwardedHops(h http.Header) []hop {
	lines := h.Values("Forwarded")
	var hops []hop
	for _, line := range lines {
		for _, el := range splitQuoted(line, ',') {
			if strings.TrimSpace(el) == "" {
				continue
			}
			hops = append(hops, parseForwardedElement(el))
		}
	}
	return hops
}

func parseForwardedElement(el string) hop {
	var h hop
	seen := map[string]bool{}
	for _, pair := range splitQuoted(el, ';') {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if !ok || k == "" || seen[k] {
			return hop{} // malformed or repeated parameter: believe nothing of it
		}
		seen[k] = true
		v, ok = unquote(strings.TrimSpace(v))
		if !ok {
			return hop{}
		}
		switch k {
		case "for":
			h.addr = parseNode(v)
		case "proto":
			h.proto = cleanProto(v)
		case "host":
			h.host = cleanHost(v)
		}
	}
	return h
}

// xForwardedHops builds hops from X-Forwarded-For, with X-Forwarded-Proto,
// -Host and -Port aligned on it from the right; a list shorter than
// X-Forwarded-For lends its left-most value to the farther hops (proxies
// usually overwrite these headers with a single value).
func xForwardedHops(h http.Header) []hop {
	fors := headerList(h, "X-Forwarded-For")
	protos := headerList(h, "X-Forwarded-Proto")
	hosts := headerList(h, "X-Forwarded-Host")
	ports := headerList(h, "X-Forwarded-Port")
	n := len(fors)
	if n == 0 && (len(protos) > 0 || len(hosts) > 0) {
		n = 1 // proto/host from the proxy, no client address
		fors = []string{""}
	}
	hops := make([]hop, n)
	for i := range hops {
		k := n - 1 - i // distance from the nearest hop
		hp := hop{addr: parseNode(fors[i]), proto: cleanProto(aligned(protos, k))}
		host := cleanHost(aligned(hosts, k))
		if host != "" {
			if port := aligned(ports, k); port != "" {
				host = withPort(host, port, hp.proto)
			}
		}
		hp.host = host
		hops[i] = hp
	}
	return hops
}

// aligned returns the value at distance k from the right of list, or its
// left-most value when the list is shorter.
func aligned(list []string, k int) string {
	if len(list) == 0 {
		return ""
	}
	if k < len(list) {
		return list[len(list)-1-k]
	}
	return list[0]
}

func headerList(h http.Header, name string) []string {
	var out []string
	for _, line := range h.Values(name) {
		for _, v := range strings.Split(line, ",") {
			out = append(out, strings.TrimSpace(v))
		}
	}
	return out
}

// splitQuoted splits s on sep outside double-quoted strings.
func splitQuoted(s string, sep byte) []string {
	var out []string
	start, inQuote := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == sep:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// unquote returns a token as is and a quoted-string without its quotes and
// escapes; false for an unterminated or otherwise broken quoted string.
func unquote(v string) (string, bool) {
	if !strings.HasPrefix(v, `"`) {
		return v, !strings.ContainsAny(v, "\" \t")
	}
	if len(v) < 2 || !strings.HasSuffix(v, `"`) {
		return "", false
	}
	var b strings.Builder
	for i := 1; i < len(v)-1; i++ {
		c := v[i]
		if c == '\\' {
			i++
			if i >= len(v)-1 {
				return "", false
			}
			c = v[i]
		} else if c == '"' {
			return "", false
		}
		b.WriteByte(c)
	}
	return b.String(), true
}

// parseNode reads a node (RFC 7239 section 6): an IPv4 address, a
// bracketed IPv6 address, either with an optional port; "unknown" and
// obfuscated identifiers give the zero Addr.
func parseNode(v string) netip.Addr {
	v = strings.TrimSpace(v)
	if a, err := netip.ParseAddr(v); err == nil {
		return a.Unmap()
	}
	if ap, err := netip.ParseAddrPort(v); err == nil {
		return ap.Addr().Unmap()
	}
	if strings.HasPrefix(v, "[") {
		if end := strings.IndexByte(v, ']'); end > 0 {
			if a, err := netip.ParseAddr(v[1:end]); err == nil && a.Is6() && a.Zone() == "" {
				return a.Unmap()
			}
		}
	}
	return netip.Addr{}
}

func cleanProto(v string) string {
	switch p := strings.ToLower(strings.TrimSpace(v)); p {
	case "http", "https":
		return p
	}
	return ""
}

// cleanHost accepts a host[:port] fit for a URL's authority and nothing
// else (no userinfo, path, spaces); anything else is ignored.
func cleanHost(v string) string {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 255 {
		return ""
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(".-_:[]", c) >= 0) {
			return ""
		}
	}
	host, port := v, ""
	if h, p, err := net.SplitHostPort(v); err == nil {
		host, port = h, p
	} else if strings.Contains(v, ":") && !strings.HasPrefix(v, "[") || strings.HasPrefix(v, "[") && !strings.HasSuffix(v, "]") {
		return ""
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if host == "" || port != "" && !validPort(port) {
		return ""
	}
	if strings.Contains(host, ":") {
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() {
			return ""
		}
	}
	return v
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n < 65536 && p[0] != '0'
}

// withPort adds an X-Forwarded-Port to a host that has none, unless it is
// the default port of proto.
func withPort(host, port, proto string) string {
	if !validPort(port) {
		return host
	}
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host // the host already names its port
	}
	if proto == "https" && port == "443" || proto == "http" && port == "80" {
		return host
	}
	return net.JoinHostPort(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), port)
}
