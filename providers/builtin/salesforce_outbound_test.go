package builtin_test

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/payload"
	"github.com/hookrunner/hookrunner/providers"
)

func TestSalesforceOutboundSettings(t *testing.T) {
	tests := []struct {
		name string
		s    providers.Settings
		err  string // "" when accepted
	}{
		{"18 characters", providers.Settings{OrganizationID: "00D5e000001N2XkEAK"}, ""},
		{"15 characters", providers.Settings{OrganizationID: "00D5e000001N2Xk"}, ""},
		{"missing", providers.Settings{}, "organization_id: required"},
		{"16 characters", providers.Settings{OrganizationID: "00D5e000001N2XkE"}, "15 or 18"},
		{"suffix does not match", providers.Settings{OrganizationID: "00D5e000001N2XkAAA"}, "expected EAK"},
		{"not an org id", providers.Settings{OrganizationID: "0065e00000Gx1PQAAZ"}, "start with 00D"},
		{"punctuation", providers.Settings{OrganizationID: "00D5e000001N2X-"}, "letters and digits"},
		{"a secret means a misunderstanding", providers.Settings{OrganizationID: "00D5e000001N2Xk", Secrets: []string{"x"}}, "signs nothing"},
	}
	for _, tt := range tests {
		_, err := providers.New("salesforce-outbound", tt.s)
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.err)
		}
	}
}

func salesforceMessage(t *testing.T, org string, notifications ...[2]string) any {
	t.Helper()
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>` + org +
		`</OrganizationId><ActionId>04k5e000000TmQaAAK</ActionId><SessionId xsi:nil="true"/><EnterpriseUrl>https://acme.my.salesforce.com/services/Soap/c/60.0/00D5e000001N2Xk</EnterpriseUrl><PartnerUrl>https://acme.my.salesforce.com/services/Soap/u/60.0/00D5e000001N2Xk</PartnerUrl>`)
	for _, n := range notifications {
		b.WriteString(`<Notification><Id>` + n[0] + `</Id><sObject xsi:type="sf:` + n[1] + `" xmlns:sf="urn:sobject.enterprise.soap.sforce.com"><sf:Id>0035e00000AbCdEAAV</sf:Id><sf:Email>ada@example.com</sf:Email></sObject></Notification>`)
	}
	b.WriteString(`</notifications></soapenv:Body></soapenv:Envelope>`)
	p, _, err := payload.Decode("text/xml; charset=utf-8", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSalesforceOutbound(t *testing.T) {
	p, err := providers.New("salesforce-outbound", providers.Settings{OrganizationID: "00D5e000001N2Xk"})
	if err != nil {
		t.Fatal(err)
	}
	r := &providers.Request{Header: http.Header{}}
	if c, err := p.Verify(r); err != nil || c.Scope != providers.ScopeNone {
		t.Fatalf("Verify = %v, %v: Salesforce signs nothing, so nothing is vouched for", c, err)
	}
	check := p.(providers.PayloadChecker)

	t.Run("organization", func(t *testing.T) {
		tests := []struct {
			name, org string
			forbidden bool // else accepted (or a 400 when bad)
			bad       bool
		}{
			{"18-character form", "00D5e000001N2XkEAK", false, false},
			{"15-character form", "00D5e000001N2Xk", false, false},
			{"another organization", "00D5e000002QwEr", true, false},
			{"same letters, other case (15 chars are case-sensitive)", "00D5e000001n2xk", true, false},
			{"malformed", "00D5e000001N2XkEAKX", false, true},
		}
		for _, tt := range tests {
			err := check.CheckPayload(r, salesforceMessage(t, tt.org, [2]string{"04l5e00000Bq7RbAAJ", "Contact"}))
			switch {
			case tt.forbidden:
				if !errors.Is(err, providers.ErrForbidden) {
					t.Errorf("%s: err = %v, want ErrForbidden (403)", tt.name, err)
				}
			case tt.bad:
				if err == nil || errors.Is(err, providers.ErrForbidden) {
					t.Errorf("%s: err = %v, want a 400", tt.name, err)
				}
			case err != nil:
				t.Errorf("%s: %v", tt.name, err)
			}
		}
		for _, body := range []string{`{"OrganizationId":["00D5e000001N2Xk","00D5e000001N2Xk"]}`, `{"a":1}`} {
			payload, _, _ := payload.Decode("application/json", []byte(body))
			if err := check.CheckPayload(r, payload); err == nil || errors.Is(err, providers.ErrForbidden) {
				t.Errorf("%s: err = %v, want a 400", body, err)
			}
		}
		payload, _, _ := payload.Decode("application/xml", []byte(`<notifications><OrganizationId>00D5e000001N2Xk</OrganizationId><OrganizationId>00D5e000002QwEr</OrganizationId></notifications>`))
		if err := check.CheckPayload(r, payload); err == nil {
			t.Error("two OrganizationId elements were accepted")
		}
	})

	t.Run("identity and shape", func(t *testing.T) {
		two := salesforceMessage(t, "00D5e000001N2XkEAK", [2]string{"04l5e00000Bq7RcAAJ", "Opportunity"}, [2]string{"04l5e00000Bq7RbAAJ", "Opportunity"})
		id := p.Identify(r, two)
		if id.Event != "Opportunity" || id.DeliveryID != "04l5e00000Bq7RbAAJ,04l5e00000Bq7RcAAJ" {
			t.Fatalf("identity = %+v", id)
		}
		one := salesforceMessage(t, "00D5e000001N2XkEAK", [2]string{"04l5e00000Bq7RbAAJ", "Contact"})
		shaped := providers.ShapePayload("salesforce-outbound", one).(map[string]any)
		list, ok := shaped["Notification"].([]any)
		if !ok || len(list) != 1 || shaped["OrganizationId"] != "00D5e000001N2XkEAK" || shaped["SessionId"] != nil {
			t.Fatalf("shaped = %#v", shaped)
		}
		if email, _ := list[0].(map[string]any)["sObject"].(map[string]any)["Email"]; email != "ada@example.com" {
			t.Fatalf("sObject fields: %#v", list[0])
		}
		if again := providers.ShapePayload("salesforce-outbound", shaped); !reflect.DeepEqual(again, shaped) {
			t.Fatal("shaping is not idempotent")
		}
		if id := p.Identify(r, shaped); id.Event != "Contact" || id.DeliveryID != "04l5e00000Bq7RbAAJ" {
			t.Fatalf("identity of the shaped payload = %+v", id)
		}
		// Other providers' payloads are left alone.
		if got := providers.ShapePayload("github", one); !reflect.DeepEqual(got, one) {
			t.Fatal("github payload reshaped")
		}
	})

	t.Run("ack", func(t *testing.T) {
		status, ct, body := p.(providers.Acknowledger).Ack(r)
		want := `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>`
		if status != 200 || !strings.HasPrefix(ct, "text/xml") || string(body) != want {
			t.Fatalf("ack = %d %s %s", status, ct, body)
		}
	})

	t.Run("shipped sample", func(t *testing.T) {
		body, err := providers.Sample("salesforce-outbound", "")
		if err != nil {
			t.Fatal(err)
		}
		payload, _, err := payload.Decode("text/xml", body)
		if err != nil {
			t.Fatal(err)
		}
		if err := check.CheckPayload(r, payload); err != nil {
			t.Fatal(err)
		}
		if id := p.Identify(r, payload); id.Event != "Opportunity" || id.DeliveryID != "04l5e00000Bq7RbAAJ,04l5e00000Bq7RcAAJ" {
			t.Fatalf("identity = %+v", id)
		}
	})
}
