package actions

import (
	"fmt"
	"sync"

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
	if t.total > int64(len(t.buf)) {
		return fmt.Sprintf("[… %d bytes cut …]\n", t.total-int64(len(t.buf))) + string(t.buf)
	}
	return string(t.buf)
}

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
