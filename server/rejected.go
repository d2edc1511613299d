package server

import (
	"net/http"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hookrunner/hookrunner/internal/redact"
)

// Bounds of what the rejected-requests list keeps.
const (
	// RejectedPerSource is how many rejected requests are kept per source.
	RejectedPerSource = 200
	// rejectedBody is the most bytes of a rejected body kept (a preview).
	rejectedBody = 1024
	// rejectedWindow is how much of the body is redacted before the
	// preview is cut from it, so a secret crossing the cut is still found.
	rejectedWindow = 8 << 10
	// rejectedHeaders and rejectedValue bound the headers kept.
	rejectedHeaders = 40
	rejectedValue   = 256
	// rejectedDetail bounds the reason text.
	rejectedDetail = 300
	// rejectedRepeat is how long a repeat of the newest refusal of a
	// source (same reason, status, detail and address) is counted on it
	// instead of kept anew: a flood costs a counter, not the list.
	rejectedRepeat = time.Minute
)

// Rejected keeps the last requests the ingress refused (bad signature or
// token, address not allowed, too large, rate limited, undecodable body,
// store unavailable), RejectedPerSource per configured source, for the
// console's Rejected page: what a provider sent and why it was refused.
//
// It lives in memory only and is lost on restart, by design: a refused
// request is unverified input from anyone, and a bad signature is
// answered 401 and stored nowhere durable. What is kept is redacted when
// it is recorded (headers and body through the one redactor) and bounded
// (a 1 KiB body preview, 40 headers of 256 bytes). Requests to unknown
// sources are not kept (any name would make a new list).
type Rejected struct {
	mu   sync.Mutex
	seq  uint64
	per  int
	list map[string][]*RejectedRequest // per source, oldest first
}

// RejectedRequest is one refused request, redacted.
type RejectedRequest struct {
	Seq      uint64    `json:"seq"`
	At       time.Time `json:"at"`
	Source   string    `json:"source"`
	Provider string    `json:"provider"`
	// Reason is the outcome of hookrunner_requests_total: unauthorized,
	// forbidden, too_large, rate_limited, bad_request, unavailable,
	// method_not_allowed.
	Reason string `json:"reason"`
	Status int    `json:"status"`
	// Detail says why, as the log line does (redacted).
	Detail   string   `json:"detail,omitempty"`
	RemoteIP string   `json:"remote_ip"`
	Method   string   `json:"method"`
	Path     string   `json:"path"` // with the query, redacted
	Headers  []Header `json:"headers"`
	// Body is a preview of the body (BodyRead false when the request was
	// refused before its body was read); BodySize its full length.
	Body          string `json:"body"`
	BodyRead      bool   `json:"body_read"`
	BodySize      int    `json:"body_size"`
	BodyTruncated bool   `json:"body_truncated,omitempty"`
	HeadersCut    int    `json:"headers_cut,omitempty"`
	// Repeats counts later refusals just like this one, up to Last.
	Repeats int       `json:"repeats,omitempty"`
	Last    time.Time `json:"last,omitzero"`
}

// Header is one request header as kept (redacted, bounded).
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// NewRejected returns an empty list keeping per requests per source
// (RejectedPerSource when per <= 0).
func NewRejected(per int) *Rejected {
	if per <= 0 {
		per = RejectedPerSource
	}
	return &Rejected{per: per, list: map[string][]*RejectedRequest{}}
}

// refusal is what the ingress knows of a request it refuses.
type refusal struct {
	red      *redact.Redactor
	source   string
	provider string
	ip       netip.Addr
	r        *http.Request
	at       time.Time
	reason   string
	status   int
	detail   string
	body     []byte
	bodyRead bool
}

// add records a refusal (a nil list records nothing).
func (rj *Rejected) add(f refusal) {
	if rj == nil {
		return
	}
	// Cut, then redacted: the refused request chose the detail's length,
	// so the redactor reads rejectedDetail bytes, not max_body, and masks
	// what is left of a secret at the "…" of the cut.
	detail := f.red.String(cut(f.detail, rejectedDetail))
	ip := f.ip.String()
	rj.mu.Lock()
	l := rj.list[f.source]
	if n := len(l); n > 0 {
		last := l[n-1]
		if last.Reason == f.reason && last.Status == f.status && last.Detail == detail && last.RemoteIP == ip &&
			f.at.Sub(last.At) < rejectedRepeat && f.at.Sub(last.At) >= 0 {
			last.Repeats++
			last.Last = f.at
			rj.mu.Unlock()
			return
		}
	}
	rj.mu.Unlock()

	// Built outside the lock: redaction is the costly part.
	e := &RejectedRequest{At: f.at, Source: f.source, Provider: f.provider, Reason: f.reason, Status: f.status, Detail: detail,
		RemoteIP: ip, Method: cut(f.r.Method, 16), Path: cut(f.r.URL.EscapedPath(), rejectedValue), BodyRead: f.bodyRead, BodySize: len(f.body)}
	if q := f.r.URL.RawQuery; q != "" {
		e.Path = cut(e.Path+"?"+f.red.Query(q), 2*rejectedValue)
	}
	names := make([]string, 0, len(f.r.Header))
	for k := range f.r.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	if len(names) > rejectedHeaders {
		e.HeadersCut = len(names) - rejectedHeaders
		names = names[:rejectedHeaders]
	}
	for _, k := range names {
		lk := strings.ToLower(k)
		// Redacted whole, then cut: a secret is never shown in part.
		e.Headers = append(e.Headers, Header{Name: cut(lk, 64), Value: cut(f.red.Header(lk, strings.Join(f.r.Header[k], ", ")), rejectedValue)})
	}
	if f.bodyRead {
		b := f.body
		if len(b) > rejectedWindow {
			b = b[:rejectedWindow]
		}
		s := f.red.String(strings.ToValidUTF8(string(b), "\uFFFD"))
		e.Body = cut(s, rejectedBody)
		e.BodyTruncated = len(e.Body) < len(s) || len(b) < len(f.body)
	}

	rj.mu.Lock()
	defer rj.mu.Unlock()
	rj.seq++
	e.Seq = rj.seq
	l = append(rj.list[f.source], e)
	if len(l) > rj.per {
		l = slices.Delete(l, 0, len(l)-rj.per)
	}
	rj.list[f.source] = l
}

// List returns the kept requests of source ("" for every source), newest
// first, as copies.
func (rj *Rejected) List(source string) []RejectedRequest {
	if rj == nil {
		return nil
	}
	rj.mu.Lock()
	defer rj.mu.Unlock()
	var out []RejectedRequest
	for name, l := range rj.list {
		if source != "" && name != source {
			continue
		}
		for _, e := range l {
			c := *e
			c.Headers = slices.Clone(e.Headers)
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq > out[j].Seq })
	return out
}

// cut shortens s to at most n bytes on a rune boundary, marking the cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
