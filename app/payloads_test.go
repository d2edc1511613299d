package app_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
)

func postCT(t *testing.T, u, ct string, headers map[string]string, body []byte) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// An XML body signed by a generic HMAC source reaches the rule decoded:
// root element as a key, attributes as @name, an element once or many times
// read through asList; a body with a DTD is refused and not stored.
func TestXMLPayloadThroughServer(t *testing.T) {
	in := start(t, `
sources:
  crm: { provider: generic, verify: hmac, header: X-Signature, prefix: "sha256=", secret: "xml-secret" }
rules:
  - name: paid-order
    source: crm
    respond: sync
    if: payload.order.status == "paid" && any(asList(payload.order.item), .sku == "A1")
    actions:
      - shell: { command: ["/bin/sh", "-c", "printf '%s|%s|%s|%s' \"$1\" \"$2\" \"$3\" \"$4\"", "sh",
          "{{ payload.order['@id'] }}", "{{ payload.order.total['#text'] }}", "{{ payload.order.total['@currency'] }}",
          "{{ len(asList(payload.order.item)) }}"] }
`, false)
	sign := func(body string) map[string]string {
		return map[string]string{"X-Signature": "sha256=" + hmacHex("xml-secret", body)}
	}
	tests := []struct {
		name, body, want string
	}{
		{"many items", `<?xml version="1.0" encoding="UTF-8"?>
<o:order xmlns:o="urn:acme:orders" id="820982911946154509">
  <o:status>paid</o:status>
  <o:total currency="EUR">10.50</o:total>
  <o:item><o:sku>B2</o:sku></o:item>
  <o:item><o:sku>A1</o:sku></o:item>
</o:order>`, "820982911946154509|10.50|EUR|2"},
		{"one item", `<order id="7"><status>paid</status><total currency="USD">3.00</total><item><sku>A1</sku></item></order>`, "7|3.00|USD|1"},
	}
	for _, tt := range tests {
		resp, out := postCT(t, in.pub+"/hooks/crm", "application/xml", sign(tt.body), []byte(tt.body))
		if resp.StatusCode != 200 || out != tt.want {
			t.Fatalf("%s: %d %q, want %q", tt.name, resp.StatusCode, out, tt.want)
		}
	}
	// Not paid: stored, no rule matches.
	body := `<order id="8"><status>pending</status><item><sku>A1</sku></item></order>`
	if resp, out := postCT(t, in.pub+"/hooks/crm", "text/xml", sign(body), []byte(body)); resp.StatusCode != 202 || !strings.Contains(out, `"matched":[]`) {
		t.Fatalf("pending: %d %s", resp.StatusCode, out)
	}
	// A signed body with a DTD (XXE): 400, nothing stored.
	xxe := `<?xml version="1.0"?><!DOCTYPE order [<!ENTITY x SYSTEM "file:///etc/passwd">]><order id="9"><status>&x;</status></order>`
	if resp, out := postCT(t, in.pub+"/hooks/crm", "application/xml", sign(xxe), []byte(xxe)); resp.StatusCode != 400 || strings.Contains(out, "root:") {
		t.Fatalf("DTD: %d %s", resp.StatusCode, out)
	}
	var events []map[string]any
	in.getJSON(t, "/api/events", &events)
	if len(events) != 3 {
		t.Fatalf("%d events stored, want 3 (the DTD body is not stored)", len(events))
	}
}

// A SendGrid Inbound Parse style multipart/form-data post: text fields,
// an attachment, and a JSON part reach the rule as values.
func TestMultipartPayloadThroughServer(t *testing.T) {
	in := start(t, `
sources:
  inbound: { provider: generic, verify: token, query_param: key, secret: "parse-key" }
rules:
  - name: invoice-mail
    source: inbound
    respond: sync
    if: payload.subject startsWith "Invoice" && payload.attachment1.content_type == "text/csv"
    actions:
      - shell: { command: ["/bin/sh", "-c", "printf '%s|%s|%s|%s|%s|%s' \"$1\" \"$2\" \"$3\" \"$4\" \"$5\" \"$6\"", "sh",
          "{{ payload.from }}", "{{ payload.attachment1.filename }}", "{{ payload.attachment1.size }}",
          "{{ payload.attachment1.content }}", "{{ payload.meta.tenant }}", "{{ join(payload.to, ',') }}"] }
`, false)
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, f := range [][2]string{{"from", "Ada <ada@example.com>"}, {"to", "billing@parse.example.com"}, {"to", "copy@parse.example.com"},
		{"subject", "Invoice 2026-001"}, {"text", "See attached.\n"}, {"envelope", `{"to":["billing@parse.example.com"],"from":"ada@example.com"}`},
		{"attachments", "1"}} {
		w.WriteField(f[0], f[1])
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="attachment1"; filename="invoice.csv"`)
	h.Set("Content-Type", "text/csv")
	pw, _ := w.CreatePart(h)
	pw.Write([]byte("sku,qty\nA1,2\n"))
	h = textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="meta"`)
	h.Set("Content-Type", "application/json")
	pw, _ = w.CreatePart(h)
	pw.Write([]byte(`{"tenant":"acme"}`))
	w.Close()

	resp, out := postCT(t, in.pub+"/hooks/inbound?key=parse-key", w.FormDataContentType(), nil, b.Bytes())
	want := "Ada <ada@example.com>|invoice.csv|13|sku,qty\nA1,2\n|acme|billing@parse.example.com,copy@parse.example.com"
	if resp.StatusCode != 200 || out != want {
		t.Fatalf("inbound parse: %d %q, want %q", resp.StatusCode, out, want)
	}
	// Wrong key: 401.
	if resp, _ := postCT(t, in.pub+"/hooks/inbound?key=nope", w.FormDataContentType(), nil, b.Bytes()); resp.StatusCode != 401 {
		t.Fatalf("wrong key: %d", resp.StatusCode)
	}
}
