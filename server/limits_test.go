package server

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestPerIPListener: an HTTP server behind PerIPListener(n) serves n
// kept-alive connections from one address; the next one from that address
// is closed at accept (and counted), another address still gets in, a
// trusted proxy is exempt, and closing a connection frees its slot.
func TestPerIPListener(t *testing.T) {
	const n = 3
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := make(chan struct{}, 16)
	closed := make(chan struct{}, 16)
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }),
		ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(c net.Conn, s http.ConnState) {
			if s == http.StateClosed {
				closed <- struct{}{}
			}
		},
	}
	capped := PerIPListener(LimitListener(ln, 100), n, ParsePrefixes([]string{"127.0.0.3"}), func() { refused <- struct{}{} })
	go func() { _ = srv.Serve(capped) }()
	t.Cleanup(func() { _ = srv.Close() })
	addr := ln.Addr().String()

	dial := func(from string) net.Conn {
		t.Helper()
		d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial from %s: %v", from, err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// served sends a keep-alive request and reports whether it was answered.
	served := func(c net.Conn) bool {
		t.Helper()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			return false
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}

	wait := func(ch <-chan struct{}, what string) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("no signal: %s", what)
		}
	}

	var held []net.Conn
	for i := 0; i < n; i++ {
		c := dial("127.0.0.1")
		if !served(c) {
			t.Fatalf("connection %d of %d was not served", i+1, n)
		}
		held = append(held, c)
	}
	extra := dial("127.0.0.1")
	wait(refused, "the extra connection refused")
	if served(extra) {
		t.Fatalf("connection %d from one address was served (cap %d)", n+1, n)
	}
	if c := dial("127.0.0.2"); !served(c) {
		t.Fatal("another address was refused while 127.0.0.1 was at its cap")
	}
	for i := 0; i < n+1; i++ {
		if c := dial("127.0.0.3"); !served(c) {
			t.Fatalf("trusted proxy connection %d was refused", i+1)
		}
	}
	// Free one slot: once the server has closed its side, a new connection
	// from 127.0.0.1 is served again.
	_ = held[0].Close()
	wait(closed, "the server closed the connection")
	if c := dial("127.0.0.1"); !served(c) {
		t.Fatal("a freed slot was not reusable")
	}
	select {
	case <-refused:
		t.Fatal("a connection within the cap was refused")
	default:
	}
}
