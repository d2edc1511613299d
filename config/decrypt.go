package config

import (
	"errors"

	"github.com/hookrunner/hookrunner/providers/decrypt"
)

// Spec is the source's decrypt: block with its keys resolved.
func (d *Decrypt) Spec() decrypt.Spec {
	return decrypt.Spec{Algorithm: d.Algorithm, Key: d.Key.Reveal(), PrivateKey: d.PrivateKey.Reveal()}
}

// validateDecrypt checks a decrypt: block at load: algorithm known, key
// 32 bytes of standard base64, PEM key parsed. Messages never quote a key.
func validateDecrypt(path string, src Source, errs *Errors) {
	d := src.Decrypt
	if src.Provider == "poll" {
		errs.Add(path, "not for provider: poll (a polled API is read over TLS, not sent encrypted)")
		return
	}
	if d.KeyFile != "" && d.Key == "" || d.PrivateKeyFile != "" && d.PrivateKey == "" {
		return // the unreadable file is already reported
	}
	if _, err := decrypt.New(d.Spec()); err != nil {
		var fe *decrypt.FieldError
		if errors.As(err, &fe) {
			if fe.Field == "algorithm" && d.Algorithm != "" {
				errs.Add(path+".algorithm", "unknown algorithm %q%s", d.Algorithm, Suggest(d.Algorithm, append([]string(nil), decrypt.Algorithms...)))
				return
			}
			errs.Add(path+"."+fe.Field, "%s", fe.Msg)
			return
		}
		errs.Add(path, "%v", err)
	}
}
