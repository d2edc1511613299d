package importer

// The keys adnanh/webhook accepts, from the json tags of Hook, Argument,
// Header, Rules and MatchRule in its internal/hook/hook.go (release 2.8.2)
// and docs/Hook-Definition.md, docs/Hook-Rules.md. adnanh decodes with
// encoding/json, which ignores unknown keys; the importer refuses them, so
// a misspelt trigger-rule cannot turn into a hook anyone may call.

// Parameter sources (hook.go Source* constants; "url" and "query" are aliases).
var whSources = []string{"entire-headers", "entire-payload", "entire-query", "header", "payload", "query", "raw-request-body", "request", "string", "url"}

// Match types (hook.go Match* constants, IPWhitelist, ScalrSignature).
const (
	matchValue    = "value"
	matchRegex    = "regex"
	matchIP       = "ip-whitelist"
	matchScalr    = "scalr-signature"
	hmacTypePfx   = "payload-hmac-"
	hashTypePfx   = "payload-hash-" // deprecated spelling of payload-hmac-
	sourceHeader  = "header"
	sourcePayload = "payload"
)

var whMatchTypes = []string{
	matchValue, matchRegex,
	"payload-hmac-sha1", "payload-hmac-sha256", "payload-hmac-sha512",
	"payload-hash-sha1", "payload-hash-sha256", "payload-hash-sha512",
	matchIP, matchScalr,
}

var whHookShape = func() *shape {
	arg := mapping(map[string]*shape{
		"source":       oneOf("source", whSources...),
		"name":         scalar(),
		"envname":      scalar(),
		"base64decode": scalar(),
	})
	arg.tag, arg.tagRequired = "source", true
	arg.variants = map[string]variant{}
	for _, s := range whSources {
		switch s {
		case "entire-headers", "entire-payload", "entire-query", "raw-request-body":
			arg.variants[s] = variant{}
		default:
			arg.variants[s] = variant{required: []string{"name"}}
		}
	}

	match := mapping(map[string]*shape{
		"type":      oneOf("match type", whMatchTypes...),
		"value":     scalar(),
		"regex":     scalar(),
		"secret":    scalar(),
		"ip-range":  scalar(),
		"parameter": arg,
	})
	match.tag, match.tagRequired = "type", true
	match.variants = map[string]variant{
		matchValue: {keys: []string{"value", "parameter"}, required: []string{"value", "parameter"}},
		matchRegex: {keys: []string{"regex", "parameter"}, required: []string{"regex", "parameter"}},
		matchIP:    {keys: []string{"ip-range"}, required: []string{"ip-range"}},
		matchScalr: {keys: []string{"secret"}, required: []string{"secret"}},
	}
	for _, t := range whMatchTypes {
		if _, ok := match.variants[t]; !ok { // payload-hmac-* and payload-hash-*
			match.variants[t] = variant{keys: []string{"secret", "parameter"}, required: []string{"secret", "parameter"}}
		}
	}

	// A rule is exactly one of and/or/not/match: adnanh evaluates the first
	// one set and ignores the rest, and an empty rule never matches. An
	// empty and is always true, an empty or never: both are refused.
	rule := mapping(nil)
	rule.exactlyOne = true
	and, or := list(rule), list(rule)
	and.nonEmpty = "adnanh/webhook treats an empty and as always true; write the checks it should hold"
	or.nonEmpty = "adnanh/webhook treats an empty or as never true"
	rule.fields = map[string]*shape{
		"and":   and,
		"or":    or,
		"not":   rule,
		"match": match,
	}

	return mapping(map[string]*shape{
		"id":                        scalar(),
		"execute-command":           scalar(),
		"command-working-directory": scalar(),
		"response-message":          scalar(),
		"response-headers": list(mapping(map[string]*shape{
			"name":  scalar(),
			"value": scalar(),
		})),
		"include-command-output-in-response":          scalar(),
		"include-command-output-in-response-on-error": scalar(),
		"pass-environment-to-command":                 list(arg),
		"pass-arguments-to-command":                   list(arg),
		"pass-file-to-command":                        list(arg),
		"parse-parameters-as-json":                    list(arg),
		"trigger-rule":                                rule,
		"trigger-rule-mismatch-http-response-code":    scalar(),
		"trigger-signature-soft-failures":             scalar(),
		"incoming-payload-content-type":               scalar(),
		"success-http-response-code":                  scalar(),
		"http-methods":                                list(scalar()),
	})
}()
