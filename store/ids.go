package store

import "strings"

// ShortIDLen is the length of a short id.
const ShortIDLen = 8

// ShortID is how an event or run id is shown where space is short
// (console, CLI lists): its last 8 hex digits. An id is a UUIDv7, whose
// leading digits are its creation time (events of one burst share them)
// and whose tail is random: the tail tells ids apart. 32 random bits: two
// ids among a few thousand rarely share it, and a lookup by short id
// (EventFilter.Search) lists every id that ends with it.
func ShortID(id string) string {
	if len(id) <= ShortIDLen {
		return id
	}
	return id[len(id)-ShortIDLen:]
}

// IsIDPart reports whether s can be an id or the tail of one: hex digits
// and dashes only (so it holds no LIKE wildcard), at least 4 characters.
func IsIDPart(s string) bool {
	if len(s) < 4 || len(s) > 36 {
		return false
	}
	return strings.Trim(strings.ToLower(s), "0123456789abcdef-") == ""
}
