package importer

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// The trigger rule of an adnanh/webhook hook becomes the source's
// verification (signature, token, allowed IPs) and the rule's condition.

// plan is what a hook's trigger rule becomes: the source's verification
// and the rule's condition.
type plan struct {
	provider string
	lines    []string // source keys
	allowIPs []string
	conds    []cond
}

// check kinds of a match rule.
const (
	kindCondition = iota // value or regex on anything: a condition
	kindToken            // value on a header or URL parameter: a token check
	kindSignature        // payload-hmac-* / payload-hash-*
	kindIP               // ip-whitelist
	kindScalr            // scalr-signature
)

func matchKind(m *whMatch) int {
	switch {
	case strings.HasPrefix(m.Type, hmacTypePfx), strings.HasPrefix(m.Type, hashTypePfx):
		return kindSignature
	case m.Type == matchIP:
		return kindIP
	case m.Type == matchScalr:
		return kindScalr
	case m.Type == matchValue && (m.Parameter.Source == sourceHeader || m.Parameter.Source == "url" || m.Parameter.Source == "query"):
		return kindToken
	}
	return kindCondition
}

// conjunct is one part of a trigger rule's top-level and, with its path.
type conjunct struct {
	rule whRule
	path string
}

// conjuncts flattens nested ands: every element must hold, so each can
// become the source's verification or one part of the condition.
func conjuncts(r whRule, path string, out *[]conjunct) {
	if len(r.And) > 0 {
		for i, x := range r.And {
			conjuncts(x, fmt.Sprintf("%s.and[%d]", path, i), out)
		}
		return
	}
	*out = append(*out, conjunct{r, path})
}

// planRule turns the trigger rule into verification and a condition. Every
// check of the rule is kept: one that hookrunner cannot express exactly is
// an error, never dropped.
func (c *conv) planRule() (*plan, error) {
	p := &plan{}
	if c.hook.TriggerRule == nil {
		p.provider, p.lines = "generic", []string{"verify: none"}
		c.loud("hook %q had no trigger rule in adnanh/webhook either: anyone who knows the URL can run it; add a secret (its source is written with verify: none)", c.hook.ID)
		return p, nil
	}
	var parts []conjunct
	conjuncts(*c.hook.TriggerRule, "trigger-rule", &parts)
	var errs []error
	var sig, ip *conjunct
	var sigs []*whMatch // the signature checks of sig: one, or an or of several (rotation)
	var tokens []tokenCheck
	for i := range parts {
		part := &parts[i]
		m := part.rule.Match
		if group := signatureGroup(part.rule); group != nil {
			if sig != nil {
				errs = append(errs, fmt.Errorf("%s: a second signature check cannot be converted: a hookrunner source verifies one signature (first one at %s)", part.path, sig.path))
				continue
			}
			sig, sigs = part, group
			continue
		}
		if group := credentialGroup(part.rule); group != nil {
			tokens = append(tokens, tokenCheck{group, part.path})
			continue
		}
		if m == nil {
			e, err := c.cond(part.rule, part.path)
			if err != nil {
				errs = append(errs, err)
			}
			p.conds = append(p.conds, e)
			continue
		}
		mpath := part.path + ".match"
		switch matchKind(m) {
		case kindIP:
			if ip != nil {
				errs = append(errs, fmt.Errorf("%s: a second ip-whitelist that must hold too cannot be converted: allow_ips accepts any one of its ranges (first one at %s.match)", mpath, ip.path))
				continue
			}
			ip = part
		case kindScalr:
			errs = append(errs, fmt.Errorf("%s: scalr-signature cannot be converted: no hookrunner provider checks Scalr's signature, and the hook would accept unsigned requests", mpath))
		case kindToken:
			tokens = append(tokens, tokenCheck{[]*whMatch{m}, part.path})
		default:
			e, err := c.matchCond(m, mpath)
			if err != nil {
				errs = append(errs, err)
			}
			p.conds = append(p.conds, e)
		}
	}
	if sig != nil {
		if err := c.signatureSource(sigs, sig.path, p); err != nil {
			errs = append(errs, err)
		}
	}
	// A credential check is preferred as the source's verification: the
	// rule could not read it (see credential).
	slices.SortStableFunc(tokens, func(a, b tokenCheck) int {
		return cmpBool(credential(b.ms[0].Parameter), credential(a.ms[0].Parameter))
	})
	var verifier *tokenCheck
	for i, t := range tokens {
		if i == 0 && sig == nil {
			verifier = &tokens[i]
			if err := c.tokenSource(t.ms, t.path, p); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		par := t.ms[0].Parameter
		if credential(par) {
			var first string
			if verifier != nil {
				first = "the token check at " + verifier.path
			} else {
				first = "the signature check at " + sig.path
			}
			errs = append(errs, fmt.Errorf("%s: the check of %s %q cannot be converted: a hookrunner source verifies one credential (already %s), and %s %q is a credential that hookrunner redacts before rules see it ([REDACTED]), so a condition on it could never hold; keep one of the two checks", t.path, par.Source, par.Name, first, par.Source, par.Name))
			continue
		}
		// The source verifies something else already: a check of a
		// header or parameter that is no credential stays, as an exact
		// comparison in the condition.
		e, err := c.matchCond(t.ms[0], t.path+".match")
		if err != nil {
			errs = append(errs, err)
		}
		p.conds = append(p.conds, e)
	}
	if ip != nil {
		p.allowIPs = strings.Fields(ip.rule.Match.IPRange)
		if len(p.allowIPs) == 0 {
			errs = append(errs, fmt.Errorf("%s.match: ip-range is empty", ip.path))
		}
		for _, r := range p.allowIPs {
			if _, err := netip.ParsePrefix(r); err != nil {
				if _, err := netip.ParseAddr(r); err != nil {
					errs = append(errs, fmt.Errorf("%s.match.ip-range: %q is neither an IP address nor a CIDR range", ip.path, r))
				}
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if p.provider == "" {
		p.provider, p.lines = "generic", []string{"verify: none"}
		var guards []string
		if len(p.allowIPs) > 0 {
			guards = append(guards, "allow_ips")
		}
		if len(p.conds) > 0 {
			guards = append(guards, "the rule's if: condition")
		}
		if len(c.tokenConds) > 0 {
			c.loud("hook %q: its token check (%s) sits inside or/not, so it stays in the rule's if: condition, compared exactly; the source itself accepts unsigned requests (verify: none); move the token to the top level of the trigger-rule or add a secret", c.hook.ID, strings.Join(c.tokenConds, ", "))
		} else {
			c.loud("hook %q had no signature or header/URL token check in adnanh/webhook either: its source accepts unsigned requests (verify: none), guarded only by %s; anyone who can reach the URL and satisfy that can run the command; add a secret", c.hook.ID, strings.Join(guards, " and "))
		}
	}
	if c.hook.SoftFailures && len(sigs) < 2 {
		c.warn("trigger-signature-soft-failures has no effect: it matters only for an or of signature checks, and this hook has none")
	}
	return p, nil
}

// signatureGroup returns the signature checks of a rule that is one
// signature match, or an or whose every element is one (secret rotation);
// nil for anything else.
func signatureGroup(r whRule) []*whMatch {
	if r.Match != nil {
		if matchKind(r.Match) == kindSignature {
			return []*whMatch{r.Match}
		}
		return nil
	}
	if len(r.Or) == 0 {
		return nil
	}
	var out []*whMatch
	for _, x := range r.Or {
		if x.Match == nil || matchKind(x.Match) != kindSignature {
			return nil
		}
		out = append(out, x.Match)
	}
	return out
}

// githubLike are the signature headers of senders that name their event
// in a header: the source reads it as the event type (events: work).
// Delivery ids are not read, so no delivery is refused as a duplicate,
// as adnanh/webhook refuses none.
var githubLike = map[string]string{
	"x-hub-signature":     "X-GitHub-Event",
	"x-hub-signature-256": "X-GitHub-Event",
	"x-gitea-signature":   "X-Gitea-Event",
	"x-gogs-signature":    "X-Gogs-Event",
}

// signatureSource turns a top-level payload-hmac-* check, or an or of
// them on one header with one algorithm, into the source's verification:
// a generic hmac source that reads the header as adnanh/webhook does
// (prefix_optional: the "sha1=" prefix may be absent, or several
// signatures listed with commas).
//
// An or of signatures tries each secret only with
// trigger-signature-soft-failures: without it adnanh stops at the first
// signature that does not match (an error, answered 500), so only the
// first secret ever verifies, and only it is kept.
func (c *conv) signatureSource(ms []*whMatch, path string, pl *plan) error {
	first := ms[0]
	alg := first.Type[strings.LastIndex(first.Type, "-")+1:]
	header := first.Parameter.Name
	var errs []error
	var secrets []string
	for i, m := range ms {
		mpath := path + ".match"
		if len(ms) > 1 {
			mpath = fmt.Sprintf("%s.or[%d].match", path, i)
		}
		p := m.Parameter
		if p.Source != sourceHeader {
			errs = append(errs, fmt.Errorf("%s: %s reads the signature from %s %q; hookrunner reads signatures from a header only", mpath, m.Type, p.Source, p.Name))
			continue
		}
		if a := m.Type[strings.LastIndex(m.Type, "-")+1:]; a != alg || !strings.EqualFold(p.Name, header) {
			errs = append(errs, fmt.Errorf("%s: an or of signature checks with different algorithms or headers (%s on %s, %s on %s) cannot be converted: a hookrunner source verifies one", mpath, first.Type, header, m.Type, p.Name))
			continue
		}
		sv, err := c.secretValue(string(m.Secret), mpath+".secret")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		secrets = append(secrets, q(sv))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if len(secrets) > 1 && !c.hook.SoftFailures {
		c.warn("%s: without trigger-signature-soft-failures adnanh/webhook stops at the first signature of the or that does not match, so only its first secret ever verified: only that one is kept", path)
		secrets = secrets[:1]
	}
	pl.provider = "generic"
	pl.lines = []string{"verify: hmac", "header: " + q(esc(header)), "algorithm: " + alg, "encoding: hex",
		"prefix: " + q(alg+"="), "prefix_optional: true"}
	if len(secrets) == 1 {
		pl.lines = append(pl.lines, "secret: "+secrets[0])
	} else {
		pl.lines = append(pl.lines, "secrets: ["+strings.Join(secrets, ", ")+"]")
	}
	if ev, ok := githubLike[strings.ToLower(header)]; ok {
		pl.lines = append(pl.lines, "event_header: "+q(ev))
	}
	return nil
}

// tokenCheck is a top-level value check on a header or URL parameter:
// one match, or an or of matches on one credential (several tokens).
type tokenCheck struct {
	ms   []*whMatch
	path string
}

// credentialGroup returns the matches of a rule that is an or whose every
// element is a value match on one and the same credential header or URL
// parameter (key rotation: any of the tokens is accepted); nil otherwise.
func credentialGroup(r whRule) []*whMatch {
	if len(r.Or) == 0 {
		return nil
	}
	var out []*whMatch
	for _, x := range r.Or {
		m := x.Match
		if m == nil || matchKind(m) != kindToken || !credential(m.Parameter) {
			return nil
		}
		if len(out) > 0 && !sameParam(out[0].Parameter, m.Parameter) {
			return nil
		}
		out = append(out, m)
	}
	return out
}

// sameParam: header names compare without case, URL parameters exactly.
func sameParam(a, b whArg) bool {
	if a.Source == sourceHeader || b.Source == sourceHeader {
		return a.Source == b.Source && strings.EqualFold(a.Name, b.Name)
	}
	return (a.Source == "url" || a.Source == "query") && (b.Source == "url" || b.Source == "query") && a.Name == b.Name
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// tokenSource turns a top-level value match on a header or URL parameter,
// or an or of them on one credential, into a token-verifying source
// whose secrets are the values.
func (c *conv) tokenSource(ms []*whMatch, path string, pl *plan) error {
	p := ms[0].Parameter
	auth := p.Source == sourceHeader && strings.EqualFold(p.Name, "Authorization")
	var secrets []string
	var errs []error
	for i, m := range ms {
		mpath := path + ".match"
		if len(ms) > 1 {
			mpath = fmt.Sprintf("%s.or[%d].match", path, i)
		}
		v := string(m.Value)
		if auth {
			// adnanh compares the whole header value; hookrunner's token
			// check on Authorization removes a "Bearer " scheme first.
			if scheme, rest, ok := strings.Cut(v, " "); ok && strings.EqualFold(scheme, "Bearer") {
				v = rest
			}
		}
		sv, err := c.secretValue(v, mpath+".value")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		secrets = append(secrets, q(sv))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	secret := "secret: " + secrets[0]
	if len(secrets) > 1 {
		secret = "secrets: [" + strings.Join(secrets, ", ") + "]"
	}
	if auth {
		c.warn("its Authorization check became a token source: adnanh compared the whole header value, hookrunner removes a \"Bearer \" scheme before comparing, so the token is accepted with or without it (a secret read from the environment must hold the token without \"Bearer \")")
	}
	switch {
	case p.Source == sourceHeader:
		pl.provider, pl.lines = "generic", []string{"verify: token", "header: " + q(esc(p.Name)), secret}
		if strings.EqualFold(p.Name, "X-Gitlab-Token") {
			pl.lines = append(pl.lines, `event_header: "X-Gitlab-Event"`)
		}
	default: // url, query
		pl.provider, pl.lines = "generic", []string{"verify: token", "query_param: " + q(esc(p.Name)), secret}
	}
	c.warn("its token check (%s %q) became a %s source's secret; prefer a signing scheme where the sender offers one", p.Source, p.Name, pl.provider)
	return nil
}
