package payload_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/payload"
	"github.com/hookrunner/hookrunner/providers"
)

func TestDecodeXML(t *testing.T) {
	type m = map[string]any
	type l = []any
	billionLaughs := `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<lolz>&lol3;</lolz>`
	tests := []struct {
		name, ct, body string
		want           any
		err            error // nil: any error when refused is set
		refused        bool
	}{
		{name: "leaf elements are strings, numbers not guessed", ct: "application/xml",
			body: `<order><id>820982911946154509</id><total>10.50</total></order>`,
			want: m{"order": m{"id": "820982911946154509", "total": "10.50"}}},
		{name: "attributes and text beside them", ct: "text/xml; charset=utf-8",
			body: `<price currency="EUR" vat="yes"> 10.50 </price>`,
			want: m{"price": m{"@currency": "EUR", "@vat": "yes", "#text": "10.50"}}},
		{name: "text beside children", ct: "application/xml",
			body: `<note>hello <b>you</b> there</note>`,
			want: m{"note": m{"b": "you", "#text": "hello  there"}}},
		{name: "repeated elements become a list, once stays a value", ct: "application/xml",
			body: `<r><item>a</item><one>x</one><item>b</item><item>c</item></r>`,
			want: m{"r": m{"item": l{"a", "b", "c"}, "one": "x"}}},
		{name: "namespace prefixes stripped, declarations dropped", ct: "application/soap+xml",
			body: `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:sf"><s:Body><sf:Id sf:kind="k">1</sf:Id></s:Body></s:Envelope>`,
			want: m{"Envelope": m{"Body": m{"Id": m{"@kind": "k", "#text": "1"}}}}},
		{name: "empty element and xsi:nil", ct: "application/xml",
			body: `<a xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><e/><n xsi:nil="true"/></a>`,
			want: m{"a": m{"e": "", "n": nil}}},
		{name: "predefined entities and character references", ct: "application/xml",
			body: `<a>&lt;b&gt; &amp; &#65;&#x42;</a>`,
			want: m{"a": "<b> & AB"}},
		{name: "CDATA is text", ct: "application/xml",
			body: `<a><![CDATA[<not-an-element>]]></a>`,
			want: m{"a": "<not-an-element>"}},
		{name: "empty body", ct: "application/xml", body: "  ", want: nil},
		{name: "DTD refused", ct: "application/xml",
			body: `<!DOCTYPE a [<!ELEMENT a (#PCDATA)>]><a>x</a>`, err: payload.ErrXMLRefused},
		{name: "external entity (XXE) refused", ct: "application/xml",
			body: `<?xml version="1.0"?><!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><a>&xxe;</a>`, err: payload.ErrXMLRefused},
		{name: "billion laughs refused", ct: "text/xml", body: billionLaughs, err: payload.ErrXMLRefused},
		{name: "undeclared entity refused", ct: "application/xml", body: `<a>&custom;</a>`, refused: true},
		{name: "deep nesting refused", ct: "application/xml",
			body: strings.Repeat("<a>", 10001) + strings.Repeat("</a>", 10001), err: payload.ErrTooDeep},
		{name: "too many elements refused", ct: "application/xml",
			body: "<r>" + strings.Repeat("<e/>", payload.MaxXMLElements) + "</r>", err: payload.ErrXMLRefused},
		{name: "mismatched tags", ct: "application/xml", body: `<a><b></a></b>`, refused: true},
		{name: "two roots", ct: "application/xml", body: `<a/><b/>`, refused: true},
		{name: "text outside the root", ct: "application/xml", body: `<a/>junk`, refused: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := payload.Decode(tt.ct, []byte(tt.body))
			if tt.err != nil || tt.refused {
				if err == nil {
					t.Fatalf("decoded %v, want an error", got)
				}
				if tt.err != nil && !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

// The ingress decodes XML with the configured depth limit, like JSON.
func TestDecodeVerifiedXMLDepth(t *testing.T) {
	body := []byte(strings.Repeat("<a>", 11) + strings.Repeat("</a>", 11))
	cover := providers.Coverage{Scope: providers.ScopeBody}
	if _, _, err := payload.DecodeVerified("text/xml", body, cover, payload.Limits{MaxJSONDepth: 10}); !errors.Is(err, payload.ErrTooDeep) {
		t.Fatalf("err = %v, want ErrTooDeep", err)
	}
	if _, _, err := payload.DecodeVerified("text/xml", body, cover, payload.Limits{MaxJSONDepth: 11}); err != nil {
		t.Fatalf("11 levels with a limit of 11: %v", err)
	}
}
