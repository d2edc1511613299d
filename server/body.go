package server

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// bodyError is a body that cannot be taken, with the status that says why:
// 413 (over max_body, on the wire or once decoded), 415 (a Content-Encoding
// hookrunner does not decode) or 400 (a corrupt or truncated encoding).
type bodyError struct {
	Status int
	Msg    string
}

func (e *bodyError) Error() string { return e.Msg }

// maxEncodings bounds stacked Content-Encodings ("gzip, gzip"): with every
// layer capped at max_body, refusing a body costs at most this many times
// max_body of decoding.
const maxEncodings = 2

// readBody reads r's body, undoing its Content-Encoding (gzip, x-gzip,
// deflate; identity is nothing) so that what providers verify, rules match
// and the store keeps is the representation the sender signed. limit bounds
// the bytes on the wire and what every decoding layer produces: each
// decoder streams through a capReader, so no layer, the last or one in
// between ("gzip, gzip"), yields more than limit bytes before the body is
// refused with 413. Each layer thus reads at most limit+1 bytes of its
// input, and the work of refusing a bomb, nested or not, is bounded by
// maxEncodings × limit, whatever the layers would inflate to. A decoded
// body no longer carries Content-Encoding or Content-Length in r.Header.
//
// "deflate" is the zlib format (RFC 9110 section 8.4.1.2); like browsers,
// a raw DEFLATE stream without the zlib wrapper is accepted too.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	tooLarge := &bodyError{Status: http.StatusRequestEntityTooLarge, Msg: "body larger than " + strconv.FormatInt(limit, 10) + " bytes"}
	encs, err := contentEncodings(r.Header)
	if err != nil {
		return nil, err
	}
	if r.ContentLength > limit {
		return nil, tooLarge
	}
	var rd io.Reader = http.MaxBytesReader(w, r.Body, limit)
	over := false // set by any layer's capReader past limit
	for i := len(encs) - 1; i >= 0; i-- {
		if rd, err = decoder(encs[i], rd); err != nil {
			if over {
				return nil, tooLarge
			}
			return nil, readErr(err, tooLarge, encs[i])
		}
		rd = &capReader{r: rd, limit: limit, over: &over}
	}
	body, err := readSized(io.LimitReader(rd, limit+1), len(encs) == 0, r.ContentLength)
	if over || int64(len(body)) > limit {
		return nil, tooLarge
	}
	if err != nil {
		return nil, readErr(err, tooLarge, strings.Join(encs, ", "))
	}
	r.Header.Del("Content-Encoding")
	if len(encs) > 0 {
		r.Header.Del("Content-Length")
	}
	return body, nil
}

// errLayerTooLarge is what a capReader returns past its limit.
var errLayerTooLarge = errors.New("decoded layer larger than max_body")

// capReader is one decoding layer's output, capped: it passes at most
// limit+1 bytes, and once past limit it sets *over and fails every read, so
// the layer stops reading its input (and the layer beneath it stops
// inflating). *over is shared by the layers of one body and read by
// readBody, so the refusal is a 413 whatever error a decoder wraps it in.
type capReader struct {
	r     io.Reader
	limit int64
	n     int64
	over  *bool
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.n > c.limit {
		*c.over = true
		return 0, errLayerTooLarge
	}
	if rem := c.limit + 1 - c.n; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := c.r.Read(p)
	if c.n += int64(n); c.n > c.limit {
		*c.over = true
		return n, errLayerTooLarge
	}
	return n, err
}

// readSized is io.ReadAll sized from Content-Length when the body is not
// encoded (one allocation instead of growing from 512 bytes); the length is
// only a hint, the read still ends at EOF or the limit.
func readSized(rd io.Reader, plain bool, length int64) ([]byte, error) {
	if !plain || length <= 0 || length > 1<<20 {
		return io.ReadAll(rd)
	}
	b := make([]byte, 0, length+1) // +1: EOF is seen without growing
	for {
		n, err := rd.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

func readErr(err error, tooLarge *bodyError, enc string) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || errors.Is(err, errLayerTooLarge) {
		return tooLarge
	}
	if enc == "" {
		return &bodyError{Status: http.StatusBadRequest, Msg: "could not read body"}
	}
	return &bodyError{Status: http.StatusBadRequest, Msg: fmt.Sprintf("could not decode %s body: %v", enc, err)}
}

// contentEncodings lists the codings applied to the body, in the order
// they were applied, without identity; unknown codings are a 415.
func contentEncodings(h http.Header) ([]string, error) {
	var encs []string
	for _, line := range h.Values("Content-Encoding") {
		for _, e := range strings.Split(line, ",") {
			switch e = strings.ToLower(strings.TrimSpace(e)); e {
			case "", "identity":
			case "gzip", "x-gzip", "deflate":
				encs = append(encs, e)
			default:
				return nil, &bodyError{Status: http.StatusUnsupportedMediaType,
					Msg: fmt.Sprintf("unsupported Content-Encoding %q (gzip and deflate are decoded)", e)}
			}
		}
	}
	if len(encs) > maxEncodings {
		return nil, &bodyError{Status: http.StatusUnsupportedMediaType, Msg: "too many stacked Content-Encodings"}
	}
	return encs, nil
}

// decoder wraps rd in a streaming decoder for enc. An empty stream decodes
// to an empty body.
func decoder(enc string, rd io.Reader) (io.Reader, error) {
	br := bufio.NewReader(rd)
	head, err := br.Peek(2)
	if len(head) == 0 && errors.Is(err, io.EOF) {
		return br, nil
	}
	switch enc {
	case "gzip", "x-gzip":
		return gzip.NewReader(br)
	default: // deflate
		if len(head) == 2 && head[0]&0x0f == 8 && head[0]>>4 <= 7 && (uint16(head[0])<<8|uint16(head[1]))%31 == 0 {
			return zlib.NewReader(br)
		}
		return flate.NewReader(br), nil
	}
}
