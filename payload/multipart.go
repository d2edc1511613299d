package payload

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"strings"
	"unicode/utf8"
)

// MaxMultipartParts bounds the parts of one multipart/form-data payload
// (max_body bounds its bytes). Go's own multipart.Reader.ReadForm uses the
// same default.
const MaxMultipartParts = 1000

// MaxFileContent is how much of a file part's content the payload holds;
// size always says how big the whole part was.
const MaxFileContent = 64 << 10

// ErrTooManyParts is returned for a multipart body with more than
// MaxMultipartParts parts.
var ErrTooManyParts = errors.New("multipart body has too many parts")

// decodeMultipart reads a multipart/form-data body into its fields: a text
// part is its value (a string), a part sent as application/json (or
// +json) is that JSON decoded as a JSON body would be, a file part (one
// whose Content-Disposition names a filename) is an object
//
//	{filename, content_type, size, content, content_encoding, truncated}
//
// where content holds the first MaxFileContent bytes: as text when they are
// valid UTF-8 (content_encoding "utf-8"), else as standard base64
// (content_encoding "base64"); truncated says whether the file was longer.
// A field name sent more than once is a list in the order sent. Parts
// without a field name are not data and are left out.
func decodeMultipart(contentType string, body []byte, maxDepth int) (any, error) {
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, fmt.Errorf("invalid multipart Content-Type: %w", err)
	}
	boundary := params["boundary"]
	if boundary == "" {
		return nil, errors.New("invalid multipart body: Content-Type has no boundary")
	}
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	fields := map[string]any{}
	repeated := map[string]bool{}
	for n := 0; ; n++ {
		p, err := r.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("invalid multipart body: %w", err)
		}
		if n >= MaxMultipartParts {
			return nil, fmt.Errorf("%w (more than %d)", ErrTooManyParts, MaxMultipartParts)
		}
		name := p.FormName()
		if name == "" {
			continue
		}
		v, err := partValue(p, maxDepth)
		if err != nil {
			return nil, fmt.Errorf("multipart field %q: %w", name, err)
		}
		prev, seen := fields[name]
		switch {
		case !seen:
			fields[name] = v
		case repeated[name]:
			fields[name] = append(prev.([]any), v)
		default:
			fields[name] = []any{prev, v}
			repeated[name] = true
		}
	}
	return fields, nil
}

func partValue(p *multipart.Part, maxDepth int) (any, error) {
	data, err := io.ReadAll(p)
	if err != nil {
		return nil, fmt.Errorf("read part: %w", err)
	}
	ct := p.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	if _, disp, err := mime.ParseMediaType(p.Header.Get("Content-Disposition")); err == nil {
		if _, isFile := disp["filename"]; isFile {
			return fileValue(p.FileName(), ct, data), nil
		}
	}
	if mt == "application/json" || strings.HasSuffix(mt, "+json") {
		// The same path as a JSON body, with the same limits.
		v, _, err := decode(mt, data, maxDepth)
		return v, err
	}
	return string(data), nil
}

func fileValue(filename, contentType string, data []byte) map[string]any {
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	head, truncated := data, false
	if len(head) > MaxFileContent {
		head, truncated = head[:MaxFileContent], true
		// Do not let the cut split the last UTF-8 sequence of a text.
		if k := lastRuneStart(head); !utf8.FullRune(head[len(head)-k:]) {
			head = head[:len(head)-k]
		}
	}
	content, enc := string(head), "utf-8"
	if !utf8.Valid(head) {
		content, enc = base64.StdEncoding.EncodeToString(head), "base64"
	}
	return map[string]any{
		"filename":         filename,
		"content_type":     contentType,
		"size":             int64(len(data)),
		"content":          content,
		"content_encoding": enc,
		"truncated":        truncated,
	}
}

// lastRuneStart is the length of the trailing, possibly incomplete, UTF-8
// sequence of b (1 when the last byte starts or is a whole rune).
func lastRuneStart(b []byte) int {
	for i := 1; i <= utf8.UTFMax && i <= len(b); i++ {
		if utf8.RuneStart(b[len(b)-i]) {
			return i
		}
	}
	return 1
}
