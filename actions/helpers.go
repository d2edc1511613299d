package actions

import (
	"fmt"
	"sync"
	"unicode/utf8"

	"github.com/hookrunner/hookrunner/expression"
)

// CompileTemplates compiles a list of templates, naming the failing entry.
func CompileTemplates(field string, srcs []string) ([]*expression.Template, error) {
	out := make([]*expression.Template, len(srcs))
	for i, s := range srcs {
		t, err := expression.CompileTemplate(s)
		if err != nil {
			return nil, &ConfigError{Path: fmt.Sprintf("%s[%d]", field, i), Msg: err.Error()}
		}
		out[i] = t
	}
	return out, nil
}

// CompileTemplateMap compiles a map of templates, naming the failing key.
func CompileTemplateMap(field string, m map[string]string) (map[string]*expression.Template, error) {
	out := make(map[string]*expression.Template, len(m))
	for k, s := range m {
		t, err := expression.CompileTemplate(s)
		if err != nil {
			return nil, &ConfigError{Path: field + "." + k, Msg: err.Error()}
		}
		out[k] = t
	}
	return out, nil
}

// TailBuffer keeps the last max bytes written to it.
type TailBuffer struct {
	mu    sync.Mutex
	max   int
	buf   []byte
	total int64
}

// NewTailBuffer returns a TailBuffer keeping the last max bytes.
func NewTailBuffer(max int) *TailBuffer { return &TailBuffer{max: max} }

func (t *TailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total += int64(len(p))
	if len(p) >= t.max {
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		return len(p), nil
	}
	if over := len(t.buf) + len(p) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, p...)
	return len(p), nil
}

func (t *TailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return cutTail(t.buf, t.total)
}

// Tail returns the last limit bytes of b as output is shown (see
// TailBuffer); limit <= 0 keeps all.
func Tail(b []byte, limit int) string {
	if limit <= 0 || len(b) <= limit {
		return string(b)
	}
	return cutTail(b[len(b)-limit:], int64(len(b)))
}

// maxPartial bounds how far a cut skips to get past the token it fell in.
const maxPartial = 64

// cutTail shows kept, the end of total bytes of output. When bytes were
// cut, it says how many with the note the redactor knows as the edge of a
// cut, and it drops the token the cut fell in (up to the first space or
// line break, within maxPartial bytes): a cut inside a secret, which a
// sender may place by the length of what it sends before it, leaves none
// of it. What is left of a longer one is masked by the redactor at the
// note (redact's cut edges).
func cutTail(kept []byte, total int64) string {
	cut := total - int64(len(kept))
	if cut <= 0 {
		return string(kept)
	}
	skip := 0
	if len(kept) > 0 && !isSpace(kept[0]) {
		for i := 1; i < len(kept) && i <= maxPartial; i++ {
			if isSpace(kept[i]) {
				skip = i
				break
			}
		}
	}
	for skip < len(kept) && !utf8.RuneStart(kept[skip]) {
		skip++ // never half a character
	}
	return fmt.Sprintf("[… %d bytes cut …]\n", cut+int64(skip)) + string(kept[skip:])
}

// CutHead returns the first max bytes of s followed by "…" when it is
// longer, dropping the token the cut fell in (back to the last space,
// within maxPartial bytes), as cutTail does at the other end. The
// redactor masks what is left of a longer secret before the "…".
func CutHead(s string, max int) string {
	if max <= 0 || len(s) <= max {
		return s
	}
	end := max
	if !isSpace(s[max]) {
		for i := max - 1; i > 0 && i >= max-maxPartial; i-- {
			if isSpace(s[i]) {
				end = i + 1
				break
			}
		}
	}
	for end > 0 && !utf8.RuneStart(s[end]) {
		end-- // never half a character
	}
	return s[:end] + "…"
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// HeadBuffer keeps the first max bytes written to it.
type HeadBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

// NewHeadBuffer returns a HeadBuffer keeping the first max bytes.
func NewHeadBuffer(max int) *HeadBuffer { return &HeadBuffer{max: max} }

// Bytes returns what was kept.
func (h *HeadBuffer) Bytes() []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.buf
}

func (h *HeadBuffer) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if room := h.max - len(h.buf); room > 0 {
		if len(p) < room {
			room = len(p)
		}
		h.buf = append(h.buf, p[:room]...)
	}
	return len(p), nil
}
