package builtin

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"

	"github.com/hookrunner/hookrunner/providers"
)

// Alertmanager authenticates with a bearer token or basic auth (its
// http_config), or `verify: none` spelt out. Event: status ("firing",
// "resolved"). It sends no delivery id, so one is derived from groupKey,
// status and every alert's fingerprint and startsAt: a repeat of the same
// notification is a duplicate; a change of status or of alerts is not.
type Alertmanager struct {
	auth *httpAuth
	none bool
}

var (
	_ providers.Provider = (*Alertmanager)(nil)
	_ providers.Signer   = (*Alertmanager)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "alertmanager", New: newAlertmanager,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "bearer or basic — or `verify: none` written out",
			Handshake:    "—",
			Event:        "`status` (`firing`, `resolved`)",
			DeliveryID:   "hash of groupKey, status, fingerprints, startsAt",
			ReplayWindow: "—",
			Link:         "https://prometheus.io/docs/alerting/latest/configuration/#webhook_config",
		},
		Samples: samplesOf("alertmanager"), DefaultEvent: "firing",
	})
}

func newAlertmanager(s providers.Settings) (providers.Provider, error) {
	a, err := newHTTPAuth(s)
	if err != nil {
		return nil, err
	}
	switch s.Verify {
	case "none":
		if a.configured() {
			return nil, fieldErr("verify", "none conflicts with bearer/username set")
		}
		return &Alertmanager{auth: a, none: true}, nil
	case "", "bearer", "basic":
	default:
		return nil, fieldErr("verify", "must be bearer, basic or none for this provider, got %q", s.Verify)
	}
	if !a.configured() {
		return nil, fieldErr("bearer", "required: set bearer (or username and password); to accept unauthenticated requests write verify: none")
	}
	return &Alertmanager{auth: a}, nil
}

// Verify implements providers.Provider.
func (p *Alertmanager) Verify(r *providers.Request) (providers.Coverage, error) {
	if p.none {
		return coversNothing, nil
	}
	return vouch(coversBody, p.auth.verify(r))
}

// Identify implements providers.Provider.
func (p *Alertmanager) Identify(_ *providers.Request, payload any) providers.Identity {
	return providers.Identity{Event: field(payload, "status"), DeliveryID: alertGroupID(payload)}
}

// Sign implements providers.Signer; the event type and id come from the body.
func (p *Alertmanager) Sign(r *providers.Request, _ providers.Identity) { p.auth.sign(r) }

// alertGroupID derives a stable delivery id for an Alertmanager/Grafana
// notification.
func alertGroupID(payload any) string {
	m, ok := payload.(map[string]any)
	if !ok {
		return ""
	}
	alerts, _ := m["alerts"].([]any)
	parts := make([]string, 0, len(alerts))
	for _, a := range alerts {
		parts = append(parts, field(a, "fingerprint")+"@"+field(a, "startsAt")+"/"+field(a, "status"))
	}
	sort.Strings(parts)
	key := field(m, "groupKey") + "|" + field(m, "status") + "|" + strings.Join(parts, ",")
	if key == "||" {
		return ""
	}
	sum := sha256.Sum256([]byte(key))
	return "am-" + hex.EncodeToString(sum[:12])
}
