package builtin_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/providers/builtin"
)

// keyHost is a local TLS server standing in for the hosts the providers
// fetch from (sns.<region>.amazonaws.com, www.googleapis.com): its
// certificate names them, the fetcher's transport dials it and trusts it;
// the fetcher's host allow-lists and https rule are the real ones.
type keyHost struct {
	srv *httptest.Server
	mu  sync.Mutex
	// files are the paths served (GET), and hits counts the GETs of each.
	files map[string][]byte
	hits  map[string]int
}

func newRSAKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pemKey(k *rsa.PrivateKey) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

// selfSigned is a certificate for key valid now, naming dns.
func selfSigned(t testing.TB, key *rsa.PrivateKey, cn string, dns ...string) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), DNSNames: dns,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func startKeyHost(t testing.TB) *keyHost {
	t.Helper()
	kh := &keyHost{files: map[string][]byte{}, hits: map[string]int{}}
	tlsKey := newRSAKey(t)
	der := selfSigned(t, tlsKey, "keyhost", "sns.us-east-1.amazonaws.com", "sns.us-west-2.amazonaws.com", "www.googleapis.com")
	kh.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kh.mu.Lock()
		key := r.Host + r.URL.Path
		b, ok := kh.files[key]
		kh.hits[key]++
		kh.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(b)
	}))
	kh.srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: tlsKey}}}
	kh.srv.StartTLS()
	t.Cleanup(kh.srv.Close)
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	addr := kh.srv.Listener.Addr().String()
	rt := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}}
	t.Cleanup(builtin.UseTransportForTest(rt))
	return kh
}

func (kh *keyHost) serve(hostPath string, b []byte) {
	kh.mu.Lock()
	defer kh.mu.Unlock()
	kh.files[hostPath] = b
}

func (kh *keyHost) count(hostPath string) int {
	kh.mu.Lock()
	defer kh.mu.Unlock()
	return kh.hits[hostPath]
}
