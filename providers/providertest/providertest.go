// Package providertest is the conformance suite every registered provider
// passes, as store/storetest is the stores': one table, run against every
// name in the registry through a running hookrunner. A provider without a
// fixture fails it, so a provider cannot be registered without passing it.
//
// For each provider (and each of its fixtures) the suite checks, on a fresh
// server and store:
//
//   - a body with one byte changed, a request without its signature, one
//     signed with another secret and (where the provider's Doc gives a replay
//     window) one signed a day ago are each refused with 401, and nothing
//     is stored;
//   - the handshake `hookrunner send --handshake` builds is answered
//     byte-exactly as the fixture computes it, one built with the wrong
//     secret is refused, and nothing is stored;
//   - the sample `hookrunner send` posts is accepted and stored once, with
//     the event type expected and a delivery id; posted again it is a
//     duplicate (send round-trips);
//   - the same signed request resent under each other Content-Type (form,
//     text/plain, multipart, XML, none), with any header carrying the
//     delivery id changed as an attacker would, is refused and not stored,
//     or is a duplicate, or is stored with the same event type and the
//     same payload: nothing signs the Content-Type, so it must not change
//     what the signed bytes say.
//
// A check that cannot apply to a provider by design is exempted in its
// fixture with the reason. An exemption the suite would not need is an
// error: one of a check the Doc makes moot, and one whose request is
// refused after all (the exempted requests are still sent, last), so the
// exceptions stay few, explicit and true.
package providertest

import (
	"bytes"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/providers"
)

// Check names one conformance check.
type Check string

// The checks a fixture may exempt.
const (
	// Accept: the signed sample is accepted and stored.
	Accept Check = "accept"
	// Tamper: one changed byte of the body is refused.
	Tamper Check = "tamper"
	// Unsigned: the request without what the signer added is refused.
	Unsigned Check = "unsigned"
	// WrongSecret: a request signed with another secret is refused.
	WrongSecret Check = "wrong-secret"
	// Stale: a request signed a day ago is refused (Doc.ReplayWindow set).
	Stale Check = "stale"
	// Handshake: the handshake is answered byte-exactly (Doc.Handshake set).
	Handshake Check = "handshake"
	// HandshakeAuth: the handshake built with the wrong secret is refused.
	HandshakeAuth Check = "handshake-auth"
	// DeliveryID: the stored event has a delivery id; a resend is a duplicate.
	DeliveryID Check = "delivery-id"
	// MediaType: the signed sample resent under another Content-Type is
	// refused, or says what it said.
	MediaType Check = "media-type"
)

var checks = []Check{Accept, Tamper, Unsigned, WrongSecret, Stale, Handshake, HandshakeAuth, DeliveryID, MediaType}

// Fixture is how the suite configures and judges one provider.
type Fixture struct {
	// Name tells the fixtures of one provider apart ("" for a single one).
	Name string
	// Source is the source under test: its config keys beside provider:
	// (secret:, verify_token:, …). Wrong is the same source with another
	// secret: what it signs must be refused by Source.
	Source, Wrong map[string]any
	// Event is the sample sent ("" for the provider's DefaultEvent);
	// WantEvent the event type stored ("" for Event, else DefaultEvent).
	Event, WantEvent string
	// Status is the answer to an accepted delivery (0: 202, hookrunner's
	// own; providers that acknowledge in their protocol answer theirs).
	Status int
	// Answer computes, independently of the provider, the exact answer to
	// the handshake request r its HandshakeSigner built.
	Answer func(r *providers.Request) providers.Answer
	// Exempt lists the checks that cannot apply, each with the reason.
	Exempt map[Check]string
	// Setup, when set, prepares what the provider reaches before the
	// server starts (a local TLS server standing in for its key host).
	Setup func(t *testing.T)
}

var (
	mu       sync.Mutex
	fixtures = map[string][]Fixture{}
)

// Add registers the fixtures of a provider (from a test file's init).
func Add(provider string, f ...Fixture) {
	mu.Lock()
	defer mu.Unlock()
	fixtures[provider] = append(fixtures[provider], f...)
}

// Stored is an event as the store holds it.
type Stored struct {
	ID         string
	Event      string
	DeliveryID string
	// Payload is the payload as rules see it, as JSON.
	Payload string
}

// Server is a running hookrunner with two sources of the provider under
// test: the one configured with Fixture.Source, and one with Fixture.Wrong.
type Server interface {
	// Do sends r to the source under test: its method, r.URL's query, its
	// headers and body.
	Do(t *testing.T, r *providers.Request) (status int, header http.Header, body []byte)
	// Sign is what `hookrunner send` builds for the source under test, or
	// for the wrong one (addressed to the source under test).
	Sign(t *testing.T, wrong bool, event string, body []byte, now time.Time) *providers.Request
	// SignHandshake is what `hookrunner send --handshake` builds.
	SignHandshake(t *testing.T, wrong bool, now time.Time) *providers.Request
	// Stored lists every event in the store.
	Stored(t *testing.T) []Stored
}

// Start runs a hookrunner (real listeners, real store) for provider with
// the two sources.
type Start func(t *testing.T, provider string, good, wrong map[string]any) Server

// Run runs the suite against every registered provider.
func Run(t *testing.T, start Start) {
	mu.Lock()
	all := make(map[string][]Fixture, len(fixtures))
	for k, v := range fixtures {
		all[k] = v
	}
	mu.Unlock()
	infos := providers.All()
	for _, p := range unmatched(infos, all) {
		t.Error(p)
	}
	for _, info := range infos {
		for _, f := range all[info.Name] {
			label := info.Name
			if f.Name != "" {
				label += "/" + f.Name
			}
			t.Run(label, func(t *testing.T) { runOne(t, start, info, f) })
		}
	}
}

// unmatched names every registered provider without a fixture and every
// fixture of no registered provider.
func unmatched(infos []providers.Info, fx map[string][]Fixture) []string {
	var out []string
	names := make([]string, 0, len(infos))
	for _, info := range infos {
		names = append(names, info.Name)
		if len(fx[info.Name]) == 0 {
			out = append(out, fmt.Sprintf("provider %s has no conformance fixture: add providertest.Add(%q, providertest.Fixture{…}) in its _test file", info.Name, info.Name))
		}
	}
	for name := range fx {
		if !slices.Contains(names, name) {
			out = append(out, fmt.Sprintf("fixture for %q, which is not a registered provider", name))
		}
	}
	sort.Strings(out)
	return out
}

func runOne(t *testing.T, start Start, info providers.Info, f Fixture) {
	timed := info.Doc.ReplayWindow != "" && info.Doc.ReplayWindow != "—"
	hands := info.Doc.Handshake != "" && info.Doc.Handshake != "—"
	for c, why := range f.Exempt {
		switch {
		case !slices.Contains(checks, c):
			t.Fatalf("exemption of unknown check %q", c)
		case strings.TrimSpace(why) == "":
			t.Fatalf("exemption of %s without a reason", c)
		case c == Stale && !timed:
			t.Fatalf("needless exemption of %s: the Doc gives no replay window", c)
		case (c == Handshake || c == HandshakeAuth) && !hands:
			t.Fatalf("needless exemption of %s: the Doc gives no handshake", c)
		}
	}
	run := func(c Check) bool {
		if why, ok := f.Exempt[c]; ok {
			t.Logf("%s: exempt: %s", c, why)
			return false
		}
		return true
	}
	if hands && f.Answer == nil && run(Handshake) {
		t.Fatalf("Doc says the handshake is %q: the fixture needs Answer (or an exemption with the reason)", info.Doc.Handshake)
	}
	if !hands && f.Answer != nil {
		t.Fatalf("fixture has Answer but the Doc gives no handshake")
	}
	if f.Setup != nil {
		f.Setup(t)
	}
	srv := start(t, info.Name, f.Source, f.Wrong)
	now := time.Now()
	event := f.Event
	if event == "" {
		event = info.DefaultEvent
	}
	body, err := providers.Sample(info.Name, event)
	if err != nil && run(Accept) {
		t.Fatalf("sample: %v", err)
	}
	if body == nil {
		body = []byte("{}")
	}
	refused := func(c Check, r *providers.Request) {
		t.Helper()
		status, _, b := srv.Do(t, r)
		if status != http.StatusUnauthorized {
			t.Errorf("%s: answered %d %s, want 401", c, status, b)
		}
	}
	if run(Tamper) {
		r := srv.Sign(t, false, event, body, now)
		r.Body = flipOneByte(r.Body)
		refused(Tamper, r)
	}
	if run(Unsigned) {
		// What the sender would post without signing: the sample and its
		// content type, nothing the signer added to the headers, the query
		// or the body.
		bare := &providers.Request{Method: http.MethodPost, URL: &url.URL{}, Header: http.Header{}, Body: body, Now: now}
		bare.Header.Set("Content-Type", contentType(body))
		refused(Unsigned, bare)
	}
	if run(WrongSecret) {
		refused(WrongSecret, srv.Sign(t, true, event, body, now))
	}
	if timed && run(Stale) {
		refused(Stale, srv.Sign(t, false, event, body, now.Add(-24*time.Hour)))
	}
	if got := srv.Stored(t); len(got) != 0 {
		t.Fatalf("refused requests were stored: %+v", got)
	}
	if hands && f.Answer != nil {
		checkHandshake(t, srv, f, now, run(HandshakeAuth))
	}
	if !run(Accept) {
		return
	}
	defer probeExemptions(t, srv, f, event, body, now, timed)
	want := Fixture{Status: http.StatusAccepted, WantEvent: event}
	if f.Status != 0 {
		want.Status = f.Status
	}
	if f.WantEvent != "" {
		want.WantEvent = f.WantEvent
	}
	r := srv.Sign(t, false, event, body, now)
	status, _, b := srv.Do(t, r)
	if status != want.Status {
		t.Fatalf("signed sample: answered %d %s, want %d", status, b, want.Status)
	}
	got := srv.Stored(t)
	if len(got) != 1 {
		t.Fatalf("signed sample: %d events stored, want 1: %+v", len(got), got)
	}
	if got[0].Event != want.WantEvent {
		t.Errorf("stored event type %q, want %q", got[0].Event, want.WantEvent)
	}
	if !run(DeliveryID) {
		return
	}
	if got[0].DeliveryID == "" {
		t.Fatalf("stored without a delivery id")
	}
	// send round-trips: the same delivery again is a duplicate.
	if status, _, b := srv.Do(t, r); status/100 != 2 {
		t.Fatalf("resent delivery: answered %d %s", status, b)
	}
	if got := srv.Stored(t); len(got) != 1 {
		t.Fatalf("resent delivery stored again: %+v", got)
	}
	if run(MediaType) {
		checkMediaTypes(t, srv, r, got[0])
	}
}

// otherMediaTypes are the Content-Types a signed request is resent under.
var otherMediaTypes = []string{"application/x-www-form-urlencoded", "text/plain; charset=utf-8",
	"multipart/form-data; boundary=hookrunner", "application/xml", ""}

// checkMediaTypes resends the accepted request r (stored as genuine) under
// each other Content-Type, with every header holding its delivery id given
// a fresh one (as an attacker would: such headers are not signed). Each is
// refused and not stored, or is a duplicate, or is stored as the same
// event type with the same payload.
func checkMediaTypes(t *testing.T, srv Server, r *providers.Request, genuine Stored) {
	t.Helper()
	sent, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	for i, ct := range otherMediaTypes {
		if mt, _, _ := mime.ParseMediaType(ct); mt == sent {
			continue
		}
		alt := *r
		alt.Header = r.Header.Clone()
		for k, vs := range alt.Header {
			for j, v := range vs {
				if v == genuine.DeliveryID {
					alt.Header[k][j] = fmt.Sprintf("%s-ct%d", v, i)
				}
			}
		}
		alt.Header.Del("Content-Type")
		if ct != "" {
			alt.Header.Set("Content-Type", ct)
		}
		before := srv.Stored(t)
		status, _, b := srv.Do(t, &alt)
		after := srv.Stored(t)
		if status/100 != 2 {
			if len(after) != len(before) {
				t.Errorf("resent as %q: refused (%d %s) but stored", ct, status, b)
			}
			continue
		}
		for _, e := range after {
			if slices.ContainsFunc(before, func(o Stored) bool { return o.ID == e.ID }) {
				continue
			}
			if e.Event != genuine.Event || e.Payload != genuine.Payload {
				t.Errorf("resent as %q (answered %d): stored as event %q with payload\n%s\nbut the same signed bytes sent as the provider sends them are event %q with payload\n%s\n(the unsigned Content-Type changed what they say)",
					ct, status, e.Event, clip(e.Payload), genuine.Event, clip(genuine.Payload))
			}
		}
	}
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

func checkHandshake(t *testing.T, srv Server, f Fixture, now time.Time, auth bool) {
	t.Helper()
	r := srv.SignHandshake(t, false, now)
	want := f.Answer(r)
	status, h, b := srv.Do(t, r)
	if status != want.Status {
		t.Errorf("handshake: status %d %s, want %d", status, b, want.Status)
	}
	if want.ContentType != "" {
		got, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
		wct, _, _ := mime.ParseMediaType(want.ContentType)
		if got != wct {
			t.Errorf("handshake: Content-Type %q, want %q", h.Get("Content-Type"), want.ContentType)
		}
	}
	keys := make([]string, 0, len(want.Header))
	for k := range want.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if got := h.Values(k); !slices.Equal(got, want.Header.Values(k)) {
			t.Errorf("handshake: header %s = %q, want %q", k, got, want.Header.Values(k))
		}
	}
	if r.Method != http.MethodHead && !bytes.Equal(b, want.Body) {
		t.Errorf("handshake: body %q, want exactly %q", b, want.Body)
	}
	if auth {
		wr := srv.SignHandshake(t, true, now)
		if status, _, b := srv.Do(t, wr); status != http.StatusUnauthorized && status != http.StatusForbidden {
			t.Errorf("handshake with the wrong secret: answered %d %s, want 401 or 403", status, b)
		}
	}
	if got := srv.Stored(t); len(got) != 0 {
		t.Fatalf("a handshake was stored: %+v", got)
	}
}

// flipOneByte changes one letter or digit near the middle of b (keeping
// JSON and forms well-formed, so only the signature can refuse it).
func flipOneByte(b []byte) []byte {
	out := append([]byte(nil), b...)
	for off := 0; off < len(out); off++ {
		for _, i := range []int{len(out)/2 + off, len(out)/2 - off} {
			if i < 0 || i >= len(out) {
				continue
			}
			switch c := out[i]; {
			case c >= 'a' && c <= 'y', c >= 'A' && c <= 'Y', c >= '0' && c <= '8':
				out[i] = c + 1
				return out
			case c == 'z', c == 'Z', c == '9':
				out[i] = c - 1
				return out
			}
		}
	}
	return append(out, ' ')
}

// probeExemptions runs the exempted refusal checks anyway, after the
// others: an exemption whose request is refused after all is needless and
// fails the suite, so the exceptions stay true.
func probeExemptions(t *testing.T, srv Server, f Fixture, event string, body []byte, now time.Time, timed bool) {
	probes := map[Check]func() *providers.Request{
		Tamper: func() *providers.Request {
			r := srv.Sign(t, false, event, body, now)
			r.Body = flipOneByte(r.Body)
			return r
		},
		WrongSecret: func() *providers.Request { return srv.Sign(t, true, event, body, now) },
		Unsigned: func() *providers.Request {
			r := &providers.Request{Method: http.MethodPost, URL: &url.URL{}, Header: http.Header{}, Body: body, Now: now}
			r.Header.Set("Content-Type", contentType(body))
			return r
		},
		HandshakeAuth: func() *providers.Request { return srv.SignHandshake(t, true, now) },
	}
	if timed {
		probes[Stale] = func() *providers.Request { return srv.Sign(t, false, event, body, now.Add(-24*time.Hour)) }
	}
	for _, c := range checks {
		probe, ok := probes[c]
		if _, exempt := f.Exempt[c]; !ok || !exempt || (c == HandshakeAuth && f.Answer == nil) {
			continue
		}
		if status, _, b := srv.Do(t, probe()); status == http.StatusUnauthorized || status == http.StatusForbidden {
			t.Errorf("needless exemption of %s: the request was refused (%d %s); drop the exemption", c, status, b)
		}
	}
}

// contentType is the content type `hookrunner send` gives a sample.
func contentType(body []byte) string {
	switch t := strings.TrimSpace(string(body)); {
	case strings.HasPrefix(t, "<"):
		return "text/xml; charset=utf-8"
	case t != "" && t[0] != '{' && t[0] != '[':
		return "application/x-www-form-urlencoded"
	}
	return "application/json"
}
