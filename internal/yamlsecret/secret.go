// Package yamlsecret keeps secrets out of the text of a YAML file by
// position, not by value: the parser says where each scalar is, and a
// scalar whose value holds a secret is rewritten there, however it was
// written (escapes such as "\x41", a double-quoted value wrapped over
// lines, doubled single quotes, a block scalar). Looking for the parsed
// value in the text finds none of those.
//
// Hide replaces each secret with a placeholder naming its hash (a stored
// config revision); Restore puts the values back. The package knows
// nothing of hookrunner.
package yamlsecret

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// MinLen is the shortest secret replaced (as the redactor's MinLen).
const MinLen = 4

// Placeholder is what a secret value becomes in a hidden text.
func Placeholder(v string) string {
	sum := sha256.Sum256([]byte(v))
	return "[REDACTED:" + hex.EncodeToString(sum[:8]) + "]"
}

var placeholderRE = regexp.MustCompile(`\[REDACTED:[0-9a-f]{16}\]`)

// Hide returns text with every secret value of secrets replaced by its
// Placeholder: where it is written as it is (also in comments), and in
// every scalar whose value holds it in any YAML spelling, which is then
// written again double-quoted. It fails when the text does not parse or
// such a scalar cannot be located; the result is checked to parse with no
// secret left in any scalar.
func Hide(text string, secrets []string) (string, error) {
	rep := replacer(secrets)
	if rep == nil {
		return text, nil
	}
	hide := func(s string) string { return outsidePlaceholders(s, rep.Replace) }
	requote := func(s Scalar) (string, bool) {
		if v := hide(s.Value); v != s.Value {
			return Quote(v), true
		}
		return "", false
	}
	// The text as written first, so a secret written as it is leaves the
	// rest of its line as it was; then the scalars that still hold one.
	out, err := Rewrite(hide(text), requote)
	if err == nil {
		err = check(out, hide)
	}
	if err != nil {
		// Replacing the raw text broke a scalar (a secret written right
		// after a backslash escape): the scalars first, then the rest.
		out, err = Rewrite(text, requote)
		if err == nil {
			out = hide(out)
			err = check(out, hide)
		}
		if err != nil {
			return "", err
		}
	}
	return out, nil
}

// check reads out back: it must parse, with no secret in any scalar.
func check(out string, hide func(string) string) error {
	var left error
	_, err := Rewrite(out, func(s Scalar) (string, bool) {
		if left == nil && hide(s.Value) != s.Value {
			left = fmt.Errorf("line %d column %d: a secret is left in this scalar", s.Line, s.Column)
		}
		return "", false
	})
	if err != nil {
		return err
	}
	return left
}

// Restore puts the secret values back into a text Hide made, from known;
// it fails naming the placeholders no known value has. A scalar holding a
// placeholder is written again double-quoted with the value in it.
func Restore(text string, known []string) (string, error) {
	byPlaceholder := map[string]string{}
	for _, v := range known {
		byPlaceholder[Placeholder(v)] = v
	}
	var missing []string
	put := func(s string) string {
		return placeholderRE.ReplaceAllStringFunc(s, func(ph string) string {
			if v, ok := byPlaceholder[ph]; ok {
				return v
			}
			missing = append(missing, ph)
			return ph
		})
	}
	out, err := Rewrite(text, func(s Scalar) (string, bool) {
		if !placeholderRE.MatchString(s.Value) {
			return "", false
		}
		return Quote(put(s.Value)), true
	})
	if err != nil {
		return "", err
	}
	out = put(out) // comments
	if len(missing) > 0 {
		sort.Strings(missing)
		return "", fmt.Errorf("it holds secrets the config in force no longer has (%s): put them back to run its queued runs", strings.Join(dedupe(missing), ", "))
	}
	return out, nil
}

// replacer replaces every secret of at least MinLen bytes by its
// placeholder in one pass (longest first at a position), or nil.
func replacer(secrets []string) *strings.Replacer {
	seen := map[string]bool{}
	var list []string
	for _, v := range secrets {
		if len(v) >= MinLen && !seen[v] {
			seen[v] = true
			list = append(list, v)
		}
	}
	if len(list) == 0 {
		return nil
	}
	sort.Slice(list, func(i, j int) bool {
		if len(list[i]) != len(list[j]) {
			return len(list[i]) > len(list[j])
		}
		return list[i] < list[j]
	})
	pairs := make([]string, 0, 2*len(list))
	for _, v := range list {
		pairs = append(pairs, v, Placeholder(v))
	}
	return strings.NewReplacer(pairs...)
}

// outsidePlaceholders applies f to the parts of s between placeholders
// (a placeholder is never taken apart by a secret that matches in it).
func outsidePlaceholders(s string, f func(string) string) string {
	locs := placeholderRE.FindAllStringIndex(s, -1)
	if len(locs) == 0 {
		return f(s)
	}
	var b strings.Builder
	last := 0
	for _, l := range locs {
		b.WriteString(f(s[last:l[0]]))
		b.WriteString(s[l[0]:l[1]])
		last = l[1]
	}
	b.WriteString(f(s[last:]))
	return b.String()
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
