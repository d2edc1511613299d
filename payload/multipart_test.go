package payload_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"reflect"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/payload"
)

type mpart struct {
	name, filename, ct, body string
}

func multipartBody(t *testing.T, parts ...mpart) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		cd := fmt.Sprintf(`form-data; name=%q`, p.name)
		if p.filename != "-" && p.filename != "" {
			cd += fmt.Sprintf(`; filename=%q`, p.filename)
		}
		h.Set("Content-Disposition", cd)
		if p.ct != "" {
			h.Set("Content-Type", p.ct)
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		pw.Write([]byte(p.body))
	}
	w.Close()
	return w.FormDataContentType(), b.Bytes()
}

func TestDecodeMultipart(t *testing.T) {
	type m = map[string]any
	type l = []any
	big := strings.Repeat("é", payload.MaxFileContent) // 2 bytes each: cut in the middle of one
	binary := string([]byte{0xff, 0xfe, 0x00, 0x01})
	many := make([]mpart, payload.MaxMultipartParts+1)
	for i := range many {
		many[i] = mpart{name: "f", body: "x"}
	}
	tests := []struct {
		name  string
		parts []mpart
		check func(t *testing.T, got m)
		err   error
	}{
		{name: "text fields (SendGrid inbound parse)", parts: []mpart{
			{name: "from", body: "Alice <alice@example.com>"}, {name: "subject", body: "Invoice 42"},
			{name: "envelope", body: `{"to":["in@parse.example.com"]}`}},
			check: func(t *testing.T, got m) {
				want := m{"from": "Alice <alice@example.com>", "subject": "Invoice 42", "envelope": `{"to":["in@parse.example.com"]}`}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("got %#v", got)
				}
			}},
		{name: "repeated field is a list in order", parts: []mpart{
			{name: "tag", body: "a"}, {name: "other", body: "x"}, {name: "tag", body: "b"}, {name: "tag", body: "c"}},
			check: func(t *testing.T, got m) {
				if !reflect.DeepEqual(got["tag"], l{"a", "b", "c"}) || got["other"] != "x" {
					t.Fatalf("got %#v", got)
				}
			}},
		{name: "JSON part decoded", parts: []mpart{{name: "meta", ct: "application/json", body: `{"id":"7","ok":true}`}},
			check: func(t *testing.T, got m) {
				meta, _ := got["meta"].(map[string]any)
				if meta["id"] != "7" || meta["ok"] != true {
					t.Fatalf("got %#v", got)
				}
			}},
		{name: "file part", parts: []mpart{{name: "attachment1", filename: "../../etc/notes.txt", ct: "text/plain", body: "hello"}},
			check: func(t *testing.T, got m) {
				want := m{"filename": "notes.txt", "content_type": "text/plain", "size": int64(5), "content": "hello",
					"content_encoding": "utf-8", "truncated": false}
				if !reflect.DeepEqual(got["attachment1"], want) {
					t.Fatalf("got %#v", got["attachment1"])
				}
			}},
		{name: "binary file is base64", parts: []mpart{{name: "f", filename: "a.bin", body: binary}},
			check: func(t *testing.T, got m) {
				f := got["f"].(map[string]any)
				if f["content"] != base64.StdEncoding.EncodeToString([]byte(binary)) || f["content_encoding"] != "base64" ||
					f["content_type"] != "application/octet-stream" {
					t.Fatalf("got %#v", f)
				}
			}},
		{name: "large file bounded, cut on a rune", parts: []mpart{{name: "f", filename: "big.txt", ct: "text/plain", body: big}},
			check: func(t *testing.T, got m) {
				f := got["f"].(map[string]any)
				c, _ := f["content"].(string)
				if f["size"] != int64(len(big)) || f["truncated"] != true || f["content_encoding"] != "utf-8" ||
					len(c) > payload.MaxFileContent || len(c) < payload.MaxFileContent-1 || !strings.HasPrefix(big, c) {
					t.Fatalf("size=%v truncated=%v enc=%v len(content)=%d", f["size"], f["truncated"], f["content_encoding"], len(c))
				}
			}},
		{name: "invalid JSON part", parts: []mpart{{name: "meta", ct: "application/json", body: `{"id":`}}, err: errors.New("any")},
		{name: "too many parts", parts: many, err: payload.ErrTooManyParts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct, body := multipartBody(t, tt.parts...)
			got, _, err := payload.Decode(ct, body)
			if tt.err != nil {
				if err == nil {
					t.Fatalf("decoded %v, want an error", got)
				}
				if errors.Is(tt.err, payload.ErrTooManyParts) && !errors.Is(err, payload.ErrTooManyParts) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, got.(map[string]any))
		})
	}
	if _, _, err := payload.Decode("multipart/form-data", []byte("x")); err == nil {
		t.Error("a multipart body without a boundary decoded")
	}
	ct, body := multipartBody(t, mpart{name: "a", body: "1"})
	if _, _, err := payload.Decode(ct, body[:len(body)-10]); err == nil {
		t.Error("a truncated multipart body decoded")
	}
}
