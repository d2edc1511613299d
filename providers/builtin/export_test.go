package builtin

import "net/http"

// UseTransportForTest sends the providers' fetches (SNS certificates and
// confirmations, Google's keys) through rt — a local TLS server standing
// in for AWS and Google — until restore is called. The host allow-lists
// and the https rule stay as they are.
func UseTransportForTest(rt http.RoundTripper) (restore func()) {
	old := netFetch.client.Transport
	netFetch.client.Transport = rt
	netFetch.mu.Lock()
	clear(netFetch.cache)
	netFetch.mu.Unlock()
	return func() {
		netFetch.client.Transport = old
		netFetch.mu.Lock()
		clear(netFetch.cache)
		netFetch.mu.Unlock()
	}
}
