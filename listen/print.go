package listen

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hookrunner/hookrunner/internal/redact"
	"github.com/hookrunner/hookrunner/internal/relay"
)

// printer writes one line per event, like `stripe listen`: time, source,
// event type, event id, the local answer's status and duration; ANSI
// colours when color is set (a terminal).
type printer struct {
	w     io.Writer
	color bool
	// hide hides the token and the credentials of URLs (the --server and
	// --forward URLs a note names) in notes and delivery errors.
	hide *redact.Redactor
}

const (
	dim    = "\x1b[2m"
	bold   = "\x1b[1m"
	green  = "\x1b[32m"
	yellow = "\x1b[33m"
	red    = "\x1b[31m"
	reset  = "\x1b[0m"
)

func (p *printer) paint(c, s string) string {
	if !p.color {
		return s
	}
	return c + s + reset
}

func (p *printer) head(m *relay.Message, at time.Time) string {
	return fmt.Sprintf("%s  %-10s %-28s %s", p.paint(dim, at.Format("2006-01-02 15:04:05")), safe(m.Source, false), p.paint(bold, safe(m.Event, false)), safe(m.ID, false))
}

// safe replaces the control characters of what a sender chose (an event
// type, a body) so that nothing it sends moves the cursor, clears the
// screen or sets the title of the terminal; body keeps newlines and tabs.
func safe(s string, body bool) string {
	return strings.Map(func(r rune) rune {
		switch {
		case body && (r == '\n' || r == '\t'):
			return r
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0, r == utf8.RuneError:
			return '\uFFFD'
		}
		return r
	}, s)
}

// delivered prints an event's final answer.
func (p *printer) delivered(m *relay.Message, at time.Time, res relay.Result) {
	c := green
	switch {
	case res.Status >= 500:
		c = red
	case res.Status >= 300:
		c = yellow
	}
	fmt.Fprintf(p.w, "%s  <-- %s %s\n", p.head(m, at), p.paint(c, fmt.Sprintf("[%d %s]", res.Status, http.StatusText(res.Status))), res.Duration.Round(time.Millisecond))
}

// failed prints a failed try and when the next one is.
func (p *printer) failed(m *relay.Message, at time.Time, try int, what string, d time.Duration, wait time.Duration) {
	fmt.Fprintf(p.w, "%s  <-- %s %s (try %d; again in %s)\n", p.head(m, at), p.paint(red, "["+p.hide.String(what)+"]"), d.Round(time.Millisecond), try, wait)
}

// printed prints an event of --print: its line, then its body.
func (p *printer) printed(m *relay.Message, at time.Time) {
	fmt.Fprintf(p.w, "%s  (%d bytes)\n", p.head(m, at), len(m.Body))
	const show = 4 << 10
	if len(m.Body) > show {
		fmt.Fprintf(p.w, "%s\n… (%d more bytes)\n\n", safe(string(m.Body[:show]), true), len(m.Body)-show)
		return
	}
	fmt.Fprintf(p.w, "%s\n\n", safe(string(m.Body), true))
}

func (p *printer) note(format string, args ...any) {
	fmt.Fprintln(p.w, p.paint(dim, p.hide.String(fmt.Sprintf(format, args...))))
}

// lockedWriter serializes writes: a note about a stop is printed while a
// delivery may be printing its line.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
