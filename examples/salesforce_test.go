package examples_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/providers"
)

const salesforceAck = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>`

func postXML(t *testing.T, url string, body []byte) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `""`)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func apiCount(t *testing.T, url string) int {
	t.Helper()
	r, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var list []any
	if err := json.NewDecoder(r.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// A Salesforce Outbound Message with two Opportunity notifications: stored,
// the rule matches on the sObject fields, the answer is the SOAP Ack;
// a redelivery gets the same Ack and runs nothing again; another
// organization's message is refused with 403 and nothing is stored.
func TestSalesforceOutbound(t *testing.T) {
	got := make(chan map[string]any, 2)
	billing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v map[string]any
		if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
			http.Error(w, "bad json: "+err.Error(), 400)
			return
		}
		got <- v
	}))
	defer billing.Close()
	_, pub, adm := serve(t, "salesforce-outbound", map[string]string{"BILLING_URL": billing.URL + "/won"})
	body, err := providers.Sample("salesforce-outbound", "")
	if err != nil {
		t.Fatal(err)
	}
	resp, answer := postXML(t, pub+"/hooks/salesforce", body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/xml") || answer != salesforceAck {
		t.Fatalf("answer: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), answer)
	}
	eventID := resp.Header.Get("X-Hookrunner-Event-Id")
	select {
	case v := <-got:
		if v["org"] != "00D5e000001N2XkEAK" || fmt.Sprint(v["ids"]) != "[0065e00000Gx1PQAAZ]" ||
			fmt.Sprint(v["names"]) != "[Express Logistics SLA]" || fmt.Sprint(v["amounts"]) != "[120000.0]" {
			t.Fatalf("billing got %v", v)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the billing service was not called")
	}
	r, err := http.Get(adm + "/api/events/" + eventID)
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Event struct {
			Event        string `json:"event"`
			DeliveryID   string `json:"delivery_id"`
			Verification string `json:"verification"`
		} `json:"event"`
	}
	json.NewDecoder(r.Body).Decode(&ev)
	r.Body.Close()
	if ev.Event.Event != "Opportunity" || ev.Event.DeliveryID != "04l5e00000Bq7RbAAJ,04l5e00000Bq7RcAAJ" ||
		ev.Event.Verification != "unsigned (salesforce-outbound signs nothing)" {
		t.Fatalf("stored event = %+v", ev.Event)
	}

	// Salesforce did not see the Ack (say) and redelivers: acknowledged
	// again, as the same event, and nothing runs twice (runs are created
	// before the answer, so the count is final here).
	resp, answer = postXML(t, pub+"/hooks/salesforce", body)
	if resp.StatusCode != 200 || answer != salesforceAck || resp.Header.Get("X-Hookrunner-Event-Id") != eventID {
		t.Fatalf("redelivery: %d %q event %s", resp.StatusCode, answer, resp.Header.Get("X-Hookrunner-Event-Id"))
	}
	if n := apiCount(t, adm+"/api/runs"); n != 1 {
		t.Fatalf("%d runs after a redelivery, want 1", n)
	}

	// Another organization (same shape, other OrganizationId): 403, nothing stored.
	other := bytes.ReplaceAll(body, []byte("00D5e000001N2XkEAK"), []byte("00D5e000002QwErEAK"))
	other = bytes.ReplaceAll(other, []byte("04l5e00000Bq7Rb"), []byte("04l5e00000Zz9Yy"))
	resp, answer = postXML(t, pub+"/hooks/salesforce", other)
	if resp.StatusCode != 403 || strings.Contains(answer, "Ack") {
		t.Fatalf("other org: %d %q", resp.StatusCode, answer)
	}
	// The 15-character form compares case-sensitively: 00d5e... is another org.
	lower := bytes.ReplaceAll(body, []byte("00D5e000001N2XkEAK"), []byte("00D5e000001n2xk"))
	if resp, _ = postXML(t, pub+"/hooks/salesforce", lower); resp.StatusCode != 403 {
		t.Fatalf("org id differing in case: %d", resp.StatusCode)
	}
	if n := apiCount(t, adm+"/api/events"); n != 1 {
		t.Fatalf("%d events stored, want 1", n)
	}
}
