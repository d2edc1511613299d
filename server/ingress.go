// Package server is hookrunner's HTTP surface: the public ingress at
// POST /hooks/{source} and the admin listener (JSON API, reload, metrics,
// health).
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"time"

	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/internal/relay"
	"github.com/hookrunner/hookrunner/payload"
	"github.com/hookrunner/hookrunner/providers"
	"github.com/hookrunner/hookrunner/ruleset"
)

// Ingress handles POST /hooks/{source}.
type Ingress struct {
	Engine Ingester
	Log    *slog.Logger
	// MaxPending is the number of unfinished runs past which requests are
	// answered 503 with Retry-After (backpressure) instead of queued.
	MaxPending int64
	// MaxJSONDepth bounds the nesting of every JSON document decoded from a
	// request, the body or the JSON in a form's payload= field (400 beyond it).
	MaxJSONDepth int
	// Trusted are the proxies whose X-Forwarded-For is believed.
	Trusted []netip.Prefix
	// Rejected, when set, keeps the refused requests for the console.
	Rejected *Rejected
	// Stream, when set, serves the listen stream (listen.go) while the
	// config has listen tokens.
	Stream    EventStream
	perIP     *keyedLimiter
	perSource *keyedLimiter
	listen    listenState
}

// NewIngress builds the ingress from the server settings.
func NewIngress(eng Ingester, log *slog.Logger, c config.Server) *Ingress {
	return &Ingress{Engine: eng, Log: log, MaxPending: int64(c.MaxPending), MaxJSONDepth: c.MaxJSONDepth,
		Trusted:   ParsePrefixes(c.TrustedProxies),
		perIP:     newKeyedLimiter(c.RateLimit.PerIP, c.RateLimit.PerIPBurst),
		perSource: newKeyedLimiter(c.RateLimit.PerSource, c.RateLimit.PerSourceBurst),
		listen:    listenState{stop: make(chan struct{})}}
}

func retryAfter(d time.Duration) string {
	s := int(math.Ceil(d.Seconds()))
	if s < 1 {
		s = 1
	}
	return strconv.Itoa(s)
}

type answer struct {
	ID        string   `json:"id,omitempty"`
	Matched   []string `json:"matched"`
	Duplicate bool     `json:"duplicate,omitempty"`
	Error     string   `json:"error,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["X-Content-Type-Options"] = []string{"nosniff"}
	w.WriteHeader(status)
	b, err := json.Marshal(v) // as json.Encoder.Encode writes it, in one Write
	if err != nil {
		return
	}
	_, _ = w.Write(append(b, '\n'))
}

// lazyLogger is the ingress's per-request logger (source and remote_ip
// attached), built on first use. Every line it writes is bounded
// (boundHandler): refusals are logged here and nowhere else, so no
// provider's error can put a request's size in the log.
type lazyLogger struct {
	base   *slog.Logger
	source string
	ip     netip.Addr
	l      *slog.Logger
}

func (l *lazyLogger) get() *slog.Logger {
	if l.l == nil {
		l.l = slog.New(boundHandler{l.base.Handler()}).With("source", l.source, "remote_ip", l.ip.String())
	}
	return l.l
}

// info logs at Info only when Info is enabled, so the attributes are not
// built for nothing.
func (l *lazyLogger) info(ctx context.Context, msg string, args ...any) {
	if l.base.Enabled(ctx, slog.LevelInfo) {
		l.get().Info(msg, args...)
	}
}

func fail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// Handler returns the ingress mux.
func (in *Ingress) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/hooks/{path...}", in.serve)
	mux.HandleFunc(relay.StreamPath, in.serveListen)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fail(w, http.StatusNotFound, "not found: webhooks are received at POST /hooks/<source>")
	})
	return mux
}

func remoteIP(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

func (in *Ingress) serve(w http.ResponseWriter, r *http.Request) {
	received := time.Now()
	snap := in.Engine.Snapshot()
	// A source's path holds no character that needs escaping, so a
	// request that escapes one (mail%2Fin) names no source.
	src := snap.ByPath[r.PathValue("path")]
	if src == nil || r.URL.RawPath != "" {
		fail(w, http.StatusNotFound, "unknown source")
		return
	}
	name := src.Name
	m := in.Engine.Metrics().Received
	ip := clientIP(r, in.Trusted)
	// keep records a refusal in the Rejected list (body: what was read).
	var body []byte
	keep := func(reason string, status int, detail string, bodyRead bool) {
		in.Engine.Refused(name, reason)
		in.Rejected.add(refusal{red: snap.Redactor, source: name, provider: src.Provider, ip: ip, r: r, at: received,
			reason: reason, status: status, detail: detail, body: body, bodyRead: bodyRead})
	}
	ch, challenges := src.P.(providers.Challenger)
	if r.Method != http.MethodPost && (!challenges || !handshakeMethod(r.Method)) {
		keep("method_not_allowed", http.StatusMethodNotAllowed, "method "+r.Method, false)
		w.Header().Set("Allow", http.MethodPost)
		fail(w, http.StatusMethodNotAllowed, "method not allowed: use POST")
		return
	}
	// The request's logger is built only when a line is written: most
	// requests write none (the event line is Info, off at the usual level).
	log := lazyLogger{base: in.Log, source: name, ip: ip}
	if !src.AllowsIP(ip) {
		m.WithLabelValues(name, src.Provider, "forbidden").Inc()
		log.get().Warn("request refused: address not in allow_ips")
		keep("forbidden", http.StatusForbidden, "address not in allow_ips", false)
		fail(w, http.StatusForbidden, "forbidden")
		return
	}
	if ok, wait := in.perIP.allowAddr(ip, received); !ok {
		keep("rate_limited", http.StatusTooManyRequests, "over the rate limit per address", false)
		in.limited(w, m.WithLabelValues(name, src.Provider, "rate_limited"), wait)
		return
	}
	if ok, wait := in.perSource.allow(name, received); !ok {
		keep("rate_limited", http.StatusTooManyRequests, "over the rate limit of the source", false)
		in.limited(w, m.WithLabelValues(name, src.Provider, "rate_limited"), wait)
		return
	}
	if r.Method != http.MethodPost {
		// A handshake without a body (GET verification, OPTIONS): answered
		// by the provider or refused; the body is never read.
		preq := &providers.Request{Method: r.Method, URL: publicURL(r, src, in.Trusted), Header: r.Header, Now: received, Context: r.Context()}
		if !in.challenge(w, r, src, ch, preq, &log) {
			w.Header().Set("Allow", http.MethodPost)
			fail(w, http.StatusMethodNotAllowed, "method not allowed: use POST")
		}
		return
	}
	if err := in.Engine.StoreWritable(); err != nil {
		// Fail closed: nothing is acknowledged that the store cannot keep.
		m.WithLabelValues(name, src.Provider, "unavailable").Inc()
		keep("unavailable", http.StatusServiceUnavailable, "store unavailable", false)
		w.Header().Set("Retry-After", "5")
		fail(w, http.StatusServiceUnavailable, "store unavailable: retry later")
		return
	}
	if in.MaxPending > 0 && in.Engine.Outstanding() >= in.MaxPending {
		m.WithLabelValues(name, src.Provider, "unavailable").Inc()
		keep("unavailable", http.StatusServiceUnavailable, "too many runs queued (server.max_pending)", false)
		w.Header().Set("Retry-After", "5")
		fail(w, http.StatusServiceUnavailable, "busy: too many runs queued, retry later")
		return
	}
	body, err := readBody(w, r, src.MaxBody)
	if err != nil {
		body = nil
		be := &bodyError{Status: http.StatusBadRequest, Msg: "could not read body"}
		errors.As(err, &be)
		switch be.Status {
		case http.StatusRequestEntityTooLarge:
			m.WithLabelValues(name, src.Provider, "too_large").Inc()
			keep("too_large", be.Status, be.Msg, false)
			w.Header().Set("Connection", "close")
		default:
			m.WithLabelValues(name, src.Provider, "bad_request").Inc()
			keep("bad_request", be.Status, be.Msg, false)
		}
		log.get().Warn("request refused: body not taken", "status", be.Status, "reason", be.Msg)
		fail(w, be.Status, be.Msg)
		return
	}
	// One Content-Type, read once: verification, the decode here and every
	// later decode of the stored event must read the body the same way.
	// The same value sent twice is one Content-Type (adnanh/webhook's own
	// tests send it so), kept once so the stored headers say it once too.
	if vals := r.Header.Values("Content-Type"); len(vals) > 1 && allSame(vals) {
		r.Header["Content-Type"] = vals[:1]
	}
	if len(r.Header.Values("Content-Type")) > 1 {
		m.WithLabelValues(name, src.Provider, "bad_request").Inc()
		log.get().Warn("request refused: more than one Content-Type header")
		keep("bad_request", http.StatusBadRequest, "more than one Content-Type header", true)
		fail(w, http.StatusBadRequest, "more than one Content-Type header")
		return
	}
	ct := r.Header.Get("Content-Type")
	preq := &providers.Request{Method: r.Method, URL: publicURL(r, src, in.Trusted), Header: r.Header, Body: body, Now: received, Context: r.Context(),
		MaxJSONDepth: in.MaxJSONDepth}
	if mt, _, _ := mime.ParseMediaType(ct); mt == "application/x-www-form-urlencoded" {
		if f, err := url.ParseQuery(string(body)); err == nil {
			preq.Form = f
		}
	}
	if challenges && in.challenge(w, r, src, ch, preq, &log) {
		return
	}
	covered, err := src.P.Verify(preq)
	if err != nil {
		m.WithLabelValues(name, src.Provider, "unauthorized").Inc()
		log.get().Warn("request refused: verification failed", "reason", err)
		keep("unauthorized", http.StatusUnauthorized, "verification failed: "+err.Error(), true)
		fail(w, http.StatusUnauthorized, "unauthorized")
		return
	}
	// decrypt: the signature covered the ciphertext; from here on the body is the plaintext.
	if body, ct, err = src.Open(preq, body, ct); err != nil {
		m.WithLabelValues(name, src.Provider, "bad_request").Inc()
		log.get().Warn("request refused: body does not decrypt", "reason", err)
		keep("bad_request", http.StatusBadRequest, "body does not decrypt: "+err.Error(), true)
		fail(w, http.StatusBadRequest, "body does not decrypt")
		return
	}
	// What rules, templates, the store and the console see is decoded from
	// what the verification covered, and nothing else: in a format the
	// provider sends (the Content-Type is not signed; decrypted bodies are
	// typed from their plaintext, not the header).
	info, _ := providers.Lookup(src.Provider)
	if covered.Formats == 0 {
		covered.Formats = info.Formats
	}
	if src.Decrypt != nil {
		covered.Formats = providers.AnyFormat
	}
	lim := payload.Limits{MaxJSONDepth: in.MaxJSONDepth}
	doc, _, err := payload.DecodeVerified(ct, body, covered, lim)
	if err == nil && providers.HasShaper(src.Provider) {
		// A Shaper may decode JSON the body holds as a string: the payload
		// rules see is held to the same depth limit.
		err = payload.CheckDepth(providers.ShapePayload(src.Provider, doc), lim.Depth())
	}
	switch {
	case errors.Is(err, payload.ErrTooDeep):
		m.WithLabelValues(name, src.Provider, "bad_request").Inc()
		log.get().Warn("request refused: JSON nested too deeply", "error", err, "max_json_depth", lim.Depth())
		keep("bad_request", http.StatusBadRequest, err.Error(), true)
		fail(w, http.StatusBadRequest, fmt.Sprintf("JSON nested deeper than %d levels", lim.Depth()))
		return
	case errors.Is(err, payload.ErrMediaType):
		m.WithLabelValues(name, src.Provider, "bad_request").Inc()
		log.get().Warn("request refused: media type not one the provider sends", "reason", err, "formats", covered.Formats.String())
		keep("bad_request", http.StatusBadRequest, err.Error(), true)
		fail(w, http.StatusBadRequest, fmt.Sprintf("Content-Type %q: %s sends %s", ct, src.Provider, covered.Formats))
		return
	case errors.Is(err, payload.ErrUncovered):
		m.WithLabelValues(name, src.Provider, "bad_request").Inc()
		log.get().Warn("request refused: body holds unsigned content", "reason", err, "covered", covered.String())
		keep("bad_request", http.StatusBadRequest, err.Error(), true)
		fail(w, http.StatusBadRequest, "the body holds content the signature does not cover")
		return
	case err != nil:
		m.WithLabelValues(name, src.Provider, "bad_request").Inc()
		log.get().Warn("request refused: undecodable body", "error", err)
		keep("bad_request", http.StatusBadRequest, "undecodable body: "+err.Error(), true)
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	if pc, ok := src.P.(providers.PayloadChecker); ok {
		if err := pc.CheckPayload(preq, doc); err != nil {
			status, outcome := http.StatusBadRequest, "bad_request"
			if errors.Is(err, providers.ErrForbidden) {
				status, outcome = http.StatusForbidden, "forbidden"
			}
			m.WithLabelValues(name, src.Provider, outcome).Inc()
			log.get().Warn("request refused: doc check failed", "reason", err)
			keep(outcome, status, err.Error(), true)
			fail(w, status, http.StatusText(status))
			return
		}
	}
	if hs, ok := src.P.(providers.Handshaker); ok {
		if status, ctype, b, ok := hs.Handshake(preq, doc); ok {
			m.WithLabelValues(name, src.Provider, "handshake").Inc()
			if ctype != "" {
				w.Header().Set("Content-Type", ctype)
			}
			w.WriteHeader(status)
			_, _ = w.Write(b)
			return
		}
	}
	id := src.P.Identify(preq, doc)
	acc, err := in.Engine.Accept(r.Context(), &engine.Received{
		Snapshot: snap, Source: src, Identity: id, Header: r.Header, Query: r.URL.RawQuery,
		Body: body, Payload: doc, RemoteIP: ip.String(), RemoteAddr: r.RemoteAddr, ReceivedAt: received, Coverage: covered,
	})
	if err != nil {
		m.WithLabelValues(name, src.Provider, "unavailable").Inc()
		log.get().Error("could not store event: answering 503 so the sender retries", "error", err)
		keep("unavailable", http.StatusServiceUnavailable, "could not store the event", true)
		w.Header().Set("Retry-After", "5")
		fail(w, http.StatusServiceUnavailable, "could not store the event; retry later")
		return
	}
	ack, acks := src.P.(providers.Acknowledger)
	if acc.Duplicate {
		m.WithLabelValues(name, src.Provider, "duplicate").Inc()
		log.info(r.Context(), "duplicate delivery: nothing run again", "event_id", acc.EventID, "delivery_id", id.DeliveryID)
		if acks { // acknowledged again, or the sender redelivers forever
			writeAck(w, ack, preq, acc.EventID)
			return
		}
		writeJSON(w, http.StatusOK, answer{ID: acc.EventID, Matched: []string{}, Duplicate: true})
		return
	}
	m.WithLabelValues(name, src.Provider, "accepted").Inc()
	log.info(r.Context(), "event received", "event_id", acc.EventID, "event", id.Event, "delivery_id", id.DeliveryID, "matched", acc.Matched)
	if acks { // the event is durable: the sender's own acknowledgement (no sync rule on such a source)
		writeAck(w, ack, preq, acc.EventID)
		return
	}
	if acc.SyncRun != nil && acc.SyncRule.Stream {
		in.respondStream(w, r.Context(), acc)
		return
	}
	if acc.SyncRun != nil {
		in.respondSync(w, r.Context(), acc)
		return
	}
	if acc.Matched == nil {
		acc.Matched = []string{}
	}
	writeJSON(w, http.StatusAccepted, answer{ID: acc.EventID, Matched: acc.Matched})
}

func allSame(vals []string) bool {
	for _, v := range vals[1:] {
		if v != vals[0] {
			return false
		}
	}
	return true
}

// handshakeMethod: the methods a Challenger is asked about besides POST.
func handshakeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// challenge asks the provider whether r is a handshake and answers it
// (true), or refuses it (true), or leaves it (false: not a handshake).
// Nothing is stored either way.
func (in *Ingress) challenge(w http.ResponseWriter, r *http.Request, src *ruleset.Source, ch providers.Challenger, preq *providers.Request, log *lazyLogger) bool {
	m := in.Engine.Metrics().Received
	name, prov := src.Name, src.Provider
	a, err := ch.Challenge(preq)
	switch {
	case errors.Is(err, providers.ErrForbidden):
		m.WithLabelValues(name, prov, "forbidden").Inc()
		log.get().Warn("handshake refused", "reason", err)
		fail(w, http.StatusForbidden, "forbidden")
		return true
	case err != nil:
		m.WithLabelValues(name, prov, "unauthorized").Inc()
		log.get().Warn("handshake refused: verification failed", "reason", err)
		fail(w, http.StatusUnauthorized, "unauthorized")
		return true
	case a == nil:
		return false
	}
	m.WithLabelValues(name, prov, "handshake").Inc()
	h := w.Header()
	for k, vs := range a.Header {
		h[http.CanonicalHeaderKey(k)] = vs
	}
	if a.ContentType != "" {
		h.Set("Content-Type", a.ContentType)
	}
	// An echoed challenge is the sender's text: never sniffed as HTML.
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(a.Status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(a.Body)
	}
	return true
}

// writeAck answers in the sender's protocol (Salesforce's SOAP Ack).
func writeAck(w http.ResponseWriter, ack providers.Acknowledger, r *providers.Request, eventID string) {
	status, ctype, body := ack.Ack(r)
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Hookrunner-Event-Id", eventID)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (in *Ingress) limited(w http.ResponseWriter, c interface{ Inc() }, wait time.Duration) {
	c.Inc()
	w.Header().Set("Retry-After", retryAfter(wait))
	fail(w, http.StatusTooManyRequests, "rate limited; retry later")
}

// respondSync runs a `respond: sync` rule's actions and answers with the
// last action's output.
func (in *Ingress) respondSync(w http.ResponseWriter, ctx context.Context, acc *engine.Accepted) {
	res := in.Engine.RunSync(context.WithoutCancel(ctx), acc.SyncRun, acc.SyncRule)
	w.Header().Set("X-Hookrunner-Event-Id", acc.EventID)
	w.Header().Set("X-Hookrunner-Run-Id", acc.SyncRun.ID)
	if res.Result != nil && res.Result.Response != nil {
		resp := res.Result.Response
		if resp.ContentType != "" {
			w.Header().Set("Content-Type", resp.ContentType)
		}
		status := resp.Status
		if status == 0 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		_, _ = w.Write(resp.Body)
		return
	}
	if res.Err != nil {
		fail(w, http.StatusBadGateway, "action failed; the run is "+string(res.State))
		return
	}
	writeJSON(w, http.StatusOK, answer{ID: acc.EventID, Matched: acc.Matched})
}

// flushWriter sends each write to the client at once (chunked encoding).
type flushWriter struct {
	w http.ResponseWriter
	f *http.ResponseController
}

func (f flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err == nil {
		err = f.f.Flush()
	}
	return n, err
}

// respondStream runs a `respond: stream` rule, sending the command's
// standard output as it is produced; the exit code follows as a trailer.
func (in *Ingress) respondStream(w http.ResponseWriter, ctx context.Context, acc *engine.Accepted) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Hookrunner-Event-Id", acc.EventID)
	w.Header().Set("X-Hookrunner-Run-Id", acc.SyncRun.ID)
	w.Header().Set("Trailer", "X-Hookrunner-Exit-Code, X-Hookrunner-Run-State")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	// A deploy may stream for longer than the server's write timeout.
	_ = rc.SetWriteDeadline(time.Time{})
	_ = rc.Flush()
	res := in.Engine.RunStream(context.WithoutCancel(ctx), acc.SyncRun, acc.SyncRule, flushWriter{w, rc})
	if res.Result != nil && res.Result.ExitCode != nil {
		w.Header().Set("X-Hookrunner-Exit-Code", strconv.Itoa(*res.Result.ExitCode))
	}
	w.Header().Set("X-Hookrunner-Run-State", string(res.State))
}

// publicURL is the URL the sender called: the source's public_url when
// configured (with the request's query), else rebuilt from the scheme and
// Host the client used, as requestOrigin finds them (proxy headers only from
// trusted proxies), and the path and query as received.
func publicURL(r *http.Request, src *ruleset.Source, trusted []netip.Prefix) *url.URL {
	if src.PublicURL != nil {
		u := *src.PublicURL
		u.RawQuery = r.URL.RawQuery
		return &u
	}
	o := requestOrigin(r, trusted)
	return &url.URL{Scheme: o.Proto, Host: o.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
}
