package ruleset

import (
	"github.com/hookrunner/hookrunner/providers"
	"github.com/hookrunner/hookrunner/providers/decrypt"
)

// DecryptedHeader marks a stored event whose body hookrunner decrypted; its
// value is the algorithm (decrypt: on the source).
const DecryptedHeader = "X-Hookrunner-Decrypted"

// Open returns the bytes the rules see and the store keeps, and the
// content type they are decoded with, for a verified request whose body
// and Content-Type are body and ct.
//
// For a source without decrypt: that is body and ct as they are. For one
// with it, the verified (encrypted) body is decrypted; the plaintext is
// read as XML when it starts with '<' and as JSON otherwise, whatever the
// outer Content-Type said. r's body, form and headers are set to match, so
// the stored event (body = plaintext, content-type adjusted, DecryptedHeader
// added) decodes at run time and on replay exactly as it did here. An
// error means the body does not decrypt: answer 400 and keep nothing.
func (src *Source) Open(r *providers.Request, body []byte, ct string) ([]byte, string, error) {
	if src.Decrypt == nil {
		return body, ct, nil
	}
	plain, err := src.Decrypt.Open(body)
	if err != nil {
		return nil, "", err
	}
	ct = decrypt.ContentType(plain)
	r.Body, r.Form = plain, nil
	r.Header.Set("Content-Type", ct)
	r.Header.Del("Content-Length")
	r.Header.Set(DecryptedHeader, src.Decrypt.Algorithm())
	return plain, ct, nil
}
