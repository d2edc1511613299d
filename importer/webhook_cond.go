package importer

import (
	"errors"
	"fmt"
	"strings"
)

// A trigger rule's and/or/not/value/regex tree becomes an exact condition.
// adnanh/webhook evaluates each node to a value and, when a parameter is
// missing, an error that travels up (internal/hook/hook.go Evaluate): a
// match on a missing parameter is false with the error; not flips the
// value and keeps the error; and stops at the first error, false; or
// ignores a missing parameter's error and uses the value; at the top the
// value decides. So `not` over a missing parameter is true on its own or
// inside an or, and false inside an and. Each node is converted to its
// value and, where it can have one, its error, and combined the same way.

// cond is a converted rule node.
type cond struct {
	val string // the node's value
	err string // true when adnanh would carry a missing-parameter error; "" when it never does
	// errTrue: the node can be true while carrying the error (a not).
	errTrue bool
}

// okTerm is the node as an element of an and: true only without error.
func (c cond) okTerm() string {
	if c.errTrue {
		return "(!" + c.err + " && " + c.val + ")"
	}
	return c.val
}

// andOf combines nodes as adnanh's and does.
func andOf(cs []cond) cond {
	if len(cs) == 1 && !cs[0].errTrue {
		return cs[0]
	}
	terms := make([]string, len(cs))
	var errs []string
	for i, c := range cs {
		terms[i] = c.okTerm()
		if c.err != "" {
			e := c.err
			if i > 0 {
				e = "(" + strings.Join(terms[:i], " && ") + " && " + c.err + ")"
			}
			errs = append(errs, e)
		}
	}
	out := cond{val: "(" + strings.Join(terms, " && ") + ")"}
	if len(errs) > 0 {
		out.err = "(" + strings.Join(errs, " || ") + ")"
	}
	return out
}

// orOf combines nodes as adnanh's or does: a missing parameter's error is
// dropped, its value used.
func orOf(cs []cond) cond {
	vals := make([]string, len(cs))
	for i, c := range cs {
		vals[i] = c.val
	}
	return cond{val: "(" + strings.Join(vals, " || ") + ")"}
}

// matchCond converts a value or regex match.
func (c *conv) matchCond(m *whMatch, path string) (cond, error) {
	if credential(m.Parameter) {
		return cond{val: "false"}, fmt.Errorf("%s.parameter: %s %q carries a credential, which hookrunner redacts before rules see it ([REDACTED]), so this check could never hold; a token check converts only at the top level of the trigger-rule (alone, in an and, or as an or of values on that one %s: several accepted tokens), where it becomes the source's verification", path, m.Parameter.Source, m.Parameter.Name, m.Parameter.Source)
	}
	e, ok := c.param(m.Parameter)
	if !ok {
		return cond{val: "false"}, fmt.Errorf("%s.parameter: source %q (name %q) has no hookrunner equivalent in a condition", path, m.Parameter.Source, m.Parameter.Name)
	}
	var missing string
	switch m.Parameter.Source {
	case sourcePayload, sourceHeader, "url", "query":
		missing = "(" + e + " == nil)"
	}
	// adnanh compares the parameter's text (a number as sent, true or
	// false); a missing parameter never matches.
	var lit, op string
	var err error
	switch m.Type {
	case matchValue:
		lit, err = c.literal(string(m.Value), path+".value")
		op = "=="
		if t := strings.TrimSpace(string(m.Value)); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
			c.warn("%s.value: adnanh compares an object or list parameter as its JSON text; hookrunner's string() prints it otherwise, so this match fails on objects and lists", path)
		}
	case matchRegex:
		lit, err = c.literal(string(m.Regex), path+".regex")
		op = "matches"
	default:
		return cond{val: "false"}, fmt.Errorf("%s: match type %q cannot be a condition", path, m.Type)
	}
	if missing == "" {
		return cond{val: "(string(" + e + ") " + op + " " + lit + ")"}, err
	}
	return cond{val: "(let v = " + e + "; v != nil && string(v) " + op + " " + lit + ")", err: missing}, err
}

// cond converts an and/or/not tree. Signature, IP and Scalr checks cannot
// stand inside or/not: hookrunner verifies on the source, for every
// request, so such a check is refused, never dropped.
func (c *conv) cond(r whRule, path string) (cond, error) {
	join := func(rs []whRule, key string) ([]cond, error) {
		out := make([]cond, len(rs))
		var errs []error
		for i, x := range rs {
			e, err := c.cond(x, fmt.Sprintf("%s.%s[%d]", path, key, i))
			out[i] = e
			if err != nil {
				errs = append(errs, err)
			}
		}
		return out, errors.Join(errs...)
	}
	switch {
	case len(r.And) > 0:
		cs, err := join(r.And, "and")
		return andOf(cs), err
	case len(r.Or) > 0:
		cs, err := join(r.Or, "or")
		return orOf(cs), err
	case r.Not != nil:
		e, err := c.cond(*r.Not, path+".not")
		return cond{val: "!" + e.val, err: e.err, errTrue: e.err != ""}, err
	case r.Match != nil:
		m, mpath := r.Match, path+".match"
		switch matchKind(m) {
		case kindSignature, kindScalr:
			return cond{val: "false"}, fmt.Errorf("%s: %s inside or/not cannot be converted: hookrunner verifies the signature on the source for every request, so it cannot be optional or negated; move it to the top level of the trigger-rule (an and), or make it an or of signatures only (secret rotation)", mpath, m.Type)
		case kindIP:
			return cond{val: "false"}, fmt.Errorf("%s: ip-whitelist inside or/not cannot be converted: use allow_ips on the source (a top-level ip-whitelist becomes one)", mpath)
		}
		if matchKind(m) == kindToken {
			c.tokenConds = append(c.tokenConds, fmt.Sprintf("%s %q", m.Parameter.Source, m.Parameter.Name))
		}
		return c.matchCond(m, mpath)
	}
	// Refused by the shape check (a rule needs exactly one key).
	return cond{val: "false"}, fmt.Errorf("%s: empty rule", path)
}

// condition is the rule's if: the top-level checks left after the source
// took verification, combined as adnanh combines them: as an and when the
// trigger rule is one, else the single rule's value.
func (c *conv) condition(conds []cond) string {
	if len(conds) == 0 {
		return ""
	}
	if c.hook.TriggerRule != nil && len(c.hook.TriggerRule.And) > 0 {
		return andOf(conds).val
	}
	return conds[0].val
}
