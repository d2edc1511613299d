package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// §1 (signed): a signed GitHub JSON push resent with another Content-Type
// is refused: read as a form, the "&ref=…&after=…&" its commit message
// holds would be top-level payload fields, and the deploy rule on
// payload.ref would run with the attacker's sha. Resent as text/plain it is
// read as the JSON it is (a proxy may rewrite the type), so nothing changes.
func (s *secSuite) testContentTypeNotSigned(t *testing.T) {
	body := []byte(`{"ref":"refs/heads/feature-x","after":"featsha","head_commit":{"message":"fix typo &ref=refs/heads/main&after=EVIL_CT_SHA&"}}`)
	if code, ans := s.pushGitHub(t, s.client, "ct-orig", body); code != http.StatusAccepted || len(matched(ans)) != 0 {
		t.Fatalf("the genuine feature-x push: %d %v", code, ans)
	}
	before := len(s.events(t, "github"))
	for i, ct := range []string{"application/x-www-form-urlencoded", "application/xml", "multipart/form-data; boundary=x"} {
		code, _, b := request(t, s.client, "POST", "http://"+s.pub+"/hooks/github", map[string]string{
			"Content-Type":        ct,
			"X-GitHub-Event":      "push",
			"X-GitHub-Delivery":   fmt.Sprintf("ct-replay-%d", i),
			"X-Hub-Signature-256": "sha256=" + hmacHex(secSecrets["SEC_GH"], body),
		}, body)
		if code != http.StatusBadRequest {
			t.Fatalf("the signed JSON resent as %q: %d %s, want 400", ct, code, b)
		}
	}
	if !strings.Contains(s.p.logs.String(), "request refused: media type not one the provider sends") {
		t.Error("the refusal reason was not logged")
	}
	if after := len(s.events(t, "github")); after != before {
		t.Fatalf("refused deliveries were stored (%d -> %d events)", before, after)
	}
	code, _, b := request(t, s.client, "POST", "http://"+s.pub+"/hooks/github", map[string]string{
		"Content-Type":        "text/plain",
		"X-GitHub-Event":      "push",
		"X-GitHub-Delivery":   "ct-replay-text",
		"X-Hub-Signature-256": "sha256=" + hmacHex(secSecrets["SEC_GH"], body),
	}, body)
	var ans map[string]any
	_ = json.Unmarshal([]byte(b), &ans)
	if code != http.StatusAccepted || len(matched(ans)) != 0 {
		t.Fatalf("the signed JSON resent as text/plain: %d %v, want 202 with the same (feature-x) payload matching nothing", code, ans)
	}
	s.assertStillServing(t)
	if slices.Contains(readLines(filepath.Join(s.dir, "alive.log")), "EVIL_CT_SHA") {
		t.Fatal("the deploy rule ran with the sha written in the commit message")
	}
}
