package providers

import "strings"

// Formats is the set of body formats a provider's senders post, as the
// sender documents them. A signature covers the body's bytes, not the
// Content-Type header that says how to read them, so the media type a
// verified body is decoded as must be one the provider sends: the same
// signed JSON read as a form (split on "&") or as text would give rules
// fields, an event type and a delivery id nobody signed. The ingress refuses
// a verified body posted under any other media type (payload.DecodeVerified).
type Formats uint8

const (
	// FormatJSON: application/json, any */*+json, or no Content-Type with
	// a body that is a JSON object or array.
	FormatJSON Formats = 1 << iota
	// FormatForm: application/x-www-form-urlencoded with any fields. Never
	// a body that is a JSON object or array (that is JSON resent as a form).
	FormatForm
	// FormatFormPayload: application/x-www-form-urlencoded holding only
	// payload=<JSON object>, once (GitHub's and Gitea's "form" deliveries):
	// decoded as that JSON.
	FormatFormPayload
	// FormatXML: application/xml, text/xml, */*+xml.
	FormatXML
	// FormatMultipart: multipart/form-data.
	FormatMultipart
	// FormatText: any other media type (text/plain), or none with a body
	// that is not JSON: the body as a string (SNS posts its JSON as
	// text/plain; its Shaper reads it).
	FormatText

	// AnyFormat is every format: a provider whose sender is the operator's
	// own (generic) or that sends whatever it is given.
	AnyFormat = FormatJSON | FormatForm | FormatFormPayload | FormatXML | FormatMultipart | FormatText
)

var formatNames = []struct {
	f    Formats
	name string
}{
	{FormatJSON, "JSON"},
	{FormatForm, "form"},
	{FormatFormPayload, "form with only payload=<JSON>"},
	{FormatXML, "XML"},
	{FormatMultipart, "multipart/form-data"},
	{FormatText, "text"},
}

// Has reports whether every format of g is in f.
func (f Formats) Has(g Formats) bool { return g != 0 && f&g == g }

func (f Formats) String() string {
	if f == 0 {
		return "unsaid"
	}
	var out []string
	for _, n := range formatNames {
		if f&n.f != 0 {
			out = append(out, n.name)
		}
	}
	return strings.Join(out, ", ")
}
