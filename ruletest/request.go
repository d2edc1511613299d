package ruletest

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/hookrunner/hookrunner/payload"
	"github.com/hookrunner/hookrunner/providers"
	"github.com/hookrunner/hookrunner/providers/decrypt"
	"github.com/hookrunner/hookrunner/ruleset"
)

// outcome is what the rules made of a case's request.
type outcome struct {
	event     string
	decisions []ruleset.Decision // redacted; plans' dirs relative to the config
	// refused says why ingest would not accept the request (status:
	// reason); no rule decides.
	refused string
	// handshake is set when the provider answers the request itself (a
	// URL verification, a PING); no rule decides.
	handshake string
}

// contentTypes are the types of payload files by extension, for a case
// whose headers give none.
var contentTypes = map[string]string{
	".json": "application/json", ".xml": "application/xml", ".form": "application/x-www-form-urlencoded",
}

// decide builds the request of c as ingest would once the request is
// verified — the test says what the sender sent, so no signature is
// checked — and has every rule of the source decide on it. It runs
// nothing: no command, no HTTP call, no store.
func decide(snap *ruleset.Snapshot, c *testCase) (*outcome, error) {
	src := snap.Sources[c.source]
	if src == nil {
		return nil, fmt.Errorf("source: no source %q in the config (sources: %s)", c.source, strings.Join(snap.Config.SourceNames(), ", "))
	}
	h := http.Header{}
	for k, v := range c.headers {
		h.Set(k, v)
	}
	if h.Get("Content-Type") == "" {
		if c.structured {
			h.Set("Content-Type", "application/json")
		} else if ct := contentTypes[c.ext]; ct != "" {
			h.Set("Content-Type", ct)
		}
	}
	// The payload is the body as decoded: ingest inflates gzip/deflate
	// before anything else and keeps no Content-Encoding.
	h.Del("Content-Encoding")
	body, ct := c.body, h.Get("Content-Type")
	if src.MaxBody > 0 && int64(len(body)) > src.MaxBody {
		return &outcome{refused: fmt.Sprintf("413: the body (%d bytes) is larger than max_body (%d bytes)", len(body), src.MaxBody)}, nil
	}
	u := &url.URL{Scheme: "http", Host: "127.0.0.1", Path: "/hooks/" + src.Name, RawQuery: c.query}
	if src.PublicURL != nil {
		pu := *src.PublicURL
		pu.RawQuery = c.query
		u = &pu
	}
	preq := &providers.Request{Method: http.MethodPost, URL: u, Header: h, Body: body, Now: c.receivedAt}
	// A source with decrypt: the payload is the plaintext the rules see
	// (after the verified body was decrypted), typed as ingest types it.
	if src.Decrypt != nil {
		ct = decrypt.ContentType(body)
		h.Set("Content-Type", ct)
		h.Set(ruleset.DecryptedHeader, src.Decrypt.Algorithm())
	}
	if mt, _, _ := mime.ParseMediaType(ct); mt == "application/x-www-form-urlencoded" {
		if f, err := url.ParseQuery(string(body)); err == nil {
			preq.Form = f
		}
	}
	lim := payload.Limits{MaxJSONDepth: snap.Config.Server.MaxJSONDepth}
	doc, _, err := payload.DecodeVerified(ct, body, providers.Coverage{Scope: providers.ScopeBody}, lim)
	if err != nil {
		return &outcome{refused: "400: " + err.Error()}, nil
	}
	if pc, ok := src.P.(providers.PayloadChecker); ok {
		if err := pc.CheckPayload(preq, doc); err != nil {
			status := "400"
			if errors.Is(err, providers.ErrForbidden) {
				status = "403"
			}
			return &outcome{refused: status + ": " + err.Error()}, nil
		}
	}
	if hs, ok := src.P.(providers.Handshaker); ok {
		if status, _, _, ok := hs.Handshake(preq, doc); ok {
			return &outcome{handshake: fmt.Sprintf("%d: a %s handshake, answered by the provider", status, src.Provider)}, nil
		}
	}
	id := src.P.Identify(preq, doc)
	if c.event != "" {
		if id.Event != "" && id.Event != c.event {
			return nil, fmt.Errorf("event: %q, but the %s provider reads %q from the request (ingest would see %q)", c.event, src.Provider, id.Event, id.Event)
		}
		id.Event = c.event
	}
	// Rules see the headers and query as stored (credentials redacted),
	// as they do in the server.
	red := snap.Redactor
	env := ruleset.NewEnv(src.Name, src.Provider, id, "test", red.Headers(h), red.Query(c.query), doc, "127.0.0.1", c.receivedAt)
	ds := ruleset.Redacted(red, src.Explain(env))
	for i := range ds {
		for j, p := range ds[i].Plans {
			if p.Shell != nil {
				sp := *p.Shell
				sp.Dir = relDir(snap.Config.Dir, sp.Dir)
				if len(sp.Argv) > 0 && filepath.IsAbs(sp.Argv[0]) {
					// A program given relative to hooks.yaml is resolved at
					// load; show it as written so answers hold on every machine.
					sp.Argv = append([]string(nil), sp.Argv...)
					if rel := relDir(snap.Config.Dir, sp.Argv[0]); rel != "" && rel != sp.Argv[0] {
						if !strings.ContainsRune(rel, filepath.Separator) {
							rel = "." + string(filepath.Separator) + rel // a bare name would be looked up in PATH
						}
						sp.Argv[0] = rel
					}
				}
				ds[i].Plans[j].Shell = &sp
			}
		}
	}
	return &outcome{event: id.Event, decisions: ds}, nil
}

// relDir shows a working directory relative to the config's folder: ""
// for the folder itself (the default), a relative path below it, the
// absolute path elsewhere. Test files then hold the same answers on every
// machine.
func relDir(base, dir string) string {
	if dir == "" || base == "" {
		return dir
	}
	rel, err := filepath.Rel(base, dir)
	switch {
	case err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)):
		return dir
	case rel == ".":
		return ""
	}
	return rel
}
