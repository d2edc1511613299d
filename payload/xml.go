package payload

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxXMLElements bounds the elements of one XML payload (max_body bounds its
// bytes; this bounds the values built from them).
const MaxXMLElements = 100_000

// ErrXMLRefused is wrapped by the errors of XML documents hookrunner will
// not read: a DTD (<!DOCTYPE ...>, and with it every entity definition), an
// entity other than the five XML predefines, too many elements.
var ErrXMLRefused = errors.New("XML refused")

// xsiNS is the XML Schema instance namespace (xsi:type, xsi:nil).
const xsiNS = "http://www.w3.org/2001/XMLSchema-instance"

// isXMLType reports whether a media type is read as XML.
func isXMLType(mt string) bool {
	return mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml")
}

// xmlNode is an element being read.
type xmlNode struct {
	name     string
	attrs    map[string]any
	children map[string]any
	text     strings.Builder
	nil      bool // xsi:nil="true"
}

// value is what the element becomes: a string for a leaf without
// attributes, nil for an empty xsi:nil="true" element, else an object of
// its @attributes, its children and its #text.
func (n *xmlNode) value() any {
	text := strings.TrimSpace(n.text.String())
	if len(n.children) == 0 {
		if n.nil && text == "" {
			return nil
		}
		if len(n.attrs) == 0 {
			return text
		}
	}
	m := make(map[string]any, len(n.attrs)+len(n.children)+1)
	for k, v := range n.attrs {
		m[k] = v
	}
	for k, v := range n.children {
		m[k] = v
	}
	if text != "" {
		m["#text"] = text
	}
	return m
}

// add puts a child's value under its local name; a name seen again turns
// into a list in document order.
func (n *xmlNode) add(name string, v any) {
	if n.children == nil {
		n.children = map[string]any{}
	}
	prev, seen := n.children[name]
	switch {
	case !seen:
		n.children[name] = v
	default:
		if l, ok := prev.(xmlList); ok {
			n.children[name] = append(l, v)
		} else {
			n.children[name] = xmlList{prev, v}
		}
	}
}

// xmlList marks a list made from repeated elements while the document is
// read (a child value may itself be a []any from nowhere else, but keeping
// the type apart makes "already repeated" unambiguous).
type xmlList []any

// decodeXML reads an XML document into the values rules and templates use:
// {root: value} with the root element's local name as the key, child
// elements as keys (namespace prefixes dropped), a repeated element as a
// list, attributes as "@name", text beside attributes or children as
// "#text", a leaf without attributes as its text (surrounding whitespace
// trimmed). Everything stays a string: numbers are not guessed.
//
// A DTD is refused, and with it every custom or external entity (the
// billion laughs and XXE need one); only the five predefined entities and
// character references are read. Nesting is bounded by maxDepth and the
// element count by MaxXMLElements.
func decodeXML(body []byte, maxDepth int) (any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	d.Entity = nil // the five predefined entities only; anything else is an error in strict mode
	var (
		stack    []*xmlNode
		root     any
		rootName string
		elements int
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("invalid XML body: %w", err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, fmt.Errorf("%w: the body holds a DTD or declaration (<!%s...>); DTDs and entities are not read", ErrXMLRefused, firstWord(t))
		case xml.StartElement:
			if rootName != "" && len(stack) == 0 {
				return nil, fmt.Errorf("invalid XML body: a second root element <%s>", t.Name.Local)
			}
			elements++
			if elements > MaxXMLElements {
				return nil, fmt.Errorf("%w: more than %d elements", ErrXMLRefused, MaxXMLElements)
			}
			if len(stack) >= maxDepth {
				return nil, fmt.Errorf("XML: %w (more than %d levels)", ErrTooDeep, maxDepth)
			}
			n := &xmlNode{name: t.Name.Local}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
					continue // namespace declarations are not data
				}
				if a.Name.Space == xsiNS && a.Name.Local == "nil" && (a.Value == "true" || a.Value == "1") {
					n.nil = true
				}
				if n.attrs == nil {
					n.attrs = map[string]any{}
				}
				n.attrs["@"+a.Name.Local] = a.Value
			}
			stack = append(stack, n)
		case xml.EndElement:
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			v := finish(n.value())
			if len(stack) == 0 {
				root, rootName = v, n.name
				continue
			}
			stack[len(stack)-1].add(n.name, v)
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, errors.New("invalid XML body: text outside the root element")
				}
				continue
			}
			stack[len(stack)-1].text.Write(t)
		}
	}
	if rootName == "" {
		return nil, errors.New("invalid XML body: no root element")
	}
	return map[string]any{rootName: root}, nil
}

// finish turns the repeated-element lists of an object into plain []any.
func finish(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	for k, c := range m {
		if l, ok := c.(xmlList); ok {
			m[k] = []any(l)
		}
	}
	return m
}

func firstWord(d xml.Directive) string {
	s := strings.TrimSpace(string(d))
	if i := strings.IndexAny(s, " \t\r\n["); i >= 0 {
		s = s[:i]
	}
	if len(s) > 16 {
		s = s[:16]
	}
	return s
}
