package builtin

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"github.com/hookrunner/hookrunner/providers"
)

// Grafana's webhook contact point authenticates with basic auth or an
// Authorization header, and optionally an HMAC-SHA256 signature (hex) in a
// configurable header (default X-Grafana-Alerting-Signature) over the body,
// or over timestamp + ":" + body when a timestamp header is configured.
// Event: status; delivery id as for Alertmanager.
type Grafana struct {
	auth     *httpAuth
	secrets  []string
	header   string
	tsHeader string
	s        providers.Settings
	none     bool
}

var (
	_ providers.Provider = (*Grafana)(nil)
	_ providers.Signer   = (*Grafana)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "grafana", New: newGrafana,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "bearer or basic, and/or hex HMAC-SHA256 in `X-Grafana-Alerting-Signature` (`header`) — or `verify: none` written out",
			Handshake:    "—",
			Event:        "`status` (`firing`, `resolved`)",
			DeliveryID:   "hash of groupKey, status, fingerprints, startsAt",
			ReplayWindow: "`tolerance` (5m) with `timestamp_header`",
			Link:         "https://grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/",
		},
		Samples: samplesOf("grafana"), DefaultEvent: "firing",
	})
}

func newGrafana(s providers.Settings) (providers.Provider, error) {
	a, err := newHTTPAuth(s)
	if err != nil {
		return nil, err
	}
	g := &Grafana{auth: a, secrets: s.Secrets, header: s.Header, tsHeader: s.TimestampHeader, s: s}
	if g.header == "" {
		g.header = "X-Grafana-Alerting-Signature"
	}
	if s.Verify == "none" {
		if a.configured() || len(s.Secrets) > 0 {
			return nil, fieldErr("verify", "none conflicts with credentials set")
		}
		g.none = true
		return g, nil
	}
	if s.Verify != "" {
		return nil, fieldErr("verify", "only none may be set here; credentials select the method")
	}
	if !a.configured() && len(s.Secrets) == 0 {
		return nil, fieldErr("secret", "required: set secret (HMAC), bearer, or username and password; to accept unauthenticated requests write verify: none")
	}
	return g, nil
}

func (g *Grafana) signed(r *providers.Request) []byte {
	if g.tsHeader != "" {
		return append([]byte(r.Header.Get(g.tsHeader)+":"), r.Body...)
	}
	return r.Body
}

// Verify implements providers.Provider.
func (g *Grafana) Verify(r *providers.Request) (providers.Coverage, error) {
	if g.none {
		return coversNothing, nil
	}
	return vouch(coversBody, g.verify(r))
}

func (g *Grafana) verify(r *providers.Request) error {
	if g.auth.configured() {
		if err := g.auth.verify(r); err != nil {
			return err
		}
	}
	if len(g.secrets) == 0 {
		return nil
	}
	if g.tsHeader != "" {
		if _, err := checkTimestamp(r.Header.Get(g.tsHeader), r.Now, g.s.Tolerance); err != nil {
			return err
		}
	}
	sig, err := hex.DecodeString(r.Header.Get(g.header))
	if err != nil || len(sig) == 0 {
		return deny("missing or malformed %s", g.header)
	}
	for _, s := range g.secrets {
		if equal(sig, mac(sha256.New, []byte(s), g.signed(r))) {
			return nil
		}
	}
	return deny("%s does not match the body", g.header)
}

// Identify implements providers.Provider.
func (g *Grafana) Identify(_ *providers.Request, payload any) providers.Identity {
	return providers.Identity{Event: field(payload, "status"), DeliveryID: alertGroupID(payload)}
}

// Sign implements providers.Signer; the event type and id come from the body.
func (g *Grafana) Sign(r *providers.Request, _ providers.Identity) {
	g.auth.sign(r)
	if len(g.secrets) > 0 {
		if g.tsHeader != "" {
			r.Header.Set(g.tsHeader, strconv.FormatInt(r.Now.Unix(), 10))
		}
		r.Header.Set(g.header, hex.EncodeToString(mac(sha256.New, []byte(g.secrets[0]), g.signed(r))))
	}
}
