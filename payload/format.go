package payload

import (
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strings"

	"github.com/hookrunner/hookrunner/providers"
)

// ErrMediaType is returned by DecodeVerified for a verified body posted
// under a media type its provider does not send, or a JSON document posted
// as a form: the signature covers the bytes, not the Content-Type, so
// reading them another way is reading something nobody signed.
var ErrMediaType = errors.New("the body's media type is not one the provider sends")

// FormatOf is the format decode reads body as under contentType.
func FormatOf(contentType string, body []byte) providers.Formats {
	mt, _, _ := mime.ParseMediaType(contentType)
	return formatOfType(mt, body)
}

// formatOfType is FormatOf for a media type already parsed.
func formatOfType(mt string, body []byte) providers.Formats {
	switch {
	case mt == "application/x-www-form-urlencoded":
		if onlyPayloadJSON(body) {
			return providers.FormatFormPayload
		}
		return providers.FormatForm
	case mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "" && looksJSON(body):
		return providers.FormatJSON
	case isXMLType(mt):
		return providers.FormatXML
	case mt == "multipart/form-data":
		return providers.FormatMultipart
	case looksJSON(body):
		// Any other type (text/plain, application/octet-stream): decode
		// reads a JSON object or array as JSON, so it is JSON here too, and
		// a JSON-only provider's signed body behind a proxy that rewrites
		// the type to text/plain is still taken.
		return providers.FormatJSON
	}
	return providers.FormatText
}

// onlyPayloadJSON: the form is payload=<JSON object>, once, and nothing else.
func onlyPayloadJSON(body []byte) bool {
	form, err := url.ParseQuery(string(body))
	if err != nil || len(form) != 1 || len(form["payload"]) != 1 {
		return false
	}
	return strings.HasPrefix(strings.TrimSpace(form["payload"][0]), "{")
}

// CheckFormat refuses, with ErrMediaType, a verified body whose
// Content-Type makes decode read it in a format not in allowed (0: the
// provider said nothing, only the second rule applies), and a JSON object
// or array under a form Content-Type whatever the provider (url.ParseQuery
// would split the signed document on every "&" in its strings). A form
// holding only payload=<JSON> is allowed by FormatForm as well.
func CheckFormat(contentType string, body []byte, allowed providers.Formats) error {
	var mt string
	if contentType != "" {
		var err error
		if mt, _, err = mime.ParseMediaType(contentType); err != nil {
			return fmt.Errorf("%w: unreadable Content-Type %q: %v", ErrMediaType, contentType, err)
		}
	}
	got := formatOfType(mt, body)
	if (got == providers.FormatForm || got == providers.FormatFormPayload) && looksJSON(body) {
		return fmt.Errorf("%w: a JSON document posted as a form (Content-Type %q)", ErrMediaType, contentType)
	}
	if allowed == 0 || allowed.Has(got) || got == providers.FormatFormPayload && allowed.Has(providers.FormatForm) {
		return nil
	}
	return fmt.Errorf("%w: a %s body (Content-Type %q), but the provider sends %s", ErrMediaType, got, contentType, allowed)
}

// CheckDepth refuses, with ErrTooDeep, a decoded value nested deeper than
// max. The ingress checks the payload as a provider's Shaper presents it,
// since a Shaper may decode JSON the body carries as a string (Pub/Sub's
// message.data), past the limit the body's own decode applied.
func CheckDepth(v any, max int) error {
	if valueDepth(v, 0, max) > max {
		return fmt.Errorf("%w: the payload as rules see it is nested deeper than %d levels", ErrTooDeep, max)
	}
	return nil
}

// valueDepth is the nesting of v (objects and arrays), counting from d, no
// further than past max.
func valueDepth(v any, d, max int) int {
	var kids []any
	switch x := v.(type) {
	case map[string]any:
		kids = make([]any, 0, len(x))
		for _, e := range x {
			kids = append(kids, e)
		}
	case []any:
		kids = x
	default:
		return d
	}
	d++
	if d > max {
		return d
	}
	deepest := d
	for _, e := range kids {
		if n := valueDepth(e, d, max); n > deepest {
			deepest = n
			if deepest > max {
				break
			}
		}
	}
	return deepest
}
