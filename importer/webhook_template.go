package importer

import (
	"fmt"
	"regexp"
	"strings"
)

// adnanh/webhook's -template flag runs the hooks file through Go's
// text/template before reading it, and its documented examples write a
// secret as "{{ getenv "NAME" | js }}": quotes inside quotes, so the file is
// not JSON or YAML until the template has run. The importer reads such a
// file by putting a marker in place of each `{{ getenv "NAME" }}` action
// (with or without `| js`) before parsing; a marker that stands for a whole
// secret becomes ${NAME}, read from the environment when hooks.yaml loads,
// as adnanh reads it when it starts. A marker anywhere else is refused.

var getenvAction = regexp.MustCompile(`\{\{-?\s*getenv\s+"([A-Za-z_][A-Za-z0-9_]*)"\s*(?:\|\s*js\s*)?-?\}\}`)

const envMarkerOpen, envMarkerClose = "__hookrunner_getenv(", ")__"

var envMarker = regexp.MustCompile(`__hookrunner_getenv\(([A-Za-z_][A-Za-z0-9_]*)\)__`)

// envRefs recognises the markers of one import.
type envRefs struct{ used bool }

// substituteEnv replaces the getenv actions of data by markers.
func substituteEnv(data []byte) ([]byte, envRefs, error) {
	if strings.Contains(string(data), envMarkerOpen) {
		return nil, envRefs{}, fmt.Errorf("read adnanh/webhook hooks: the file holds the text %q, which the importer uses itself", envMarkerOpen)
	}
	out := getenvAction.ReplaceAll(data, []byte(envMarkerOpen+"${1}"+envMarkerClose))
	return out, envRefs{used: len(out) != len(data) || string(out) != string(data)}, nil
}

// whole reports the variable when s is exactly one marker.
func (e envRefs) whole(s string) (string, bool) {
	if !e.used {
		return "", false
	}
	m := envMarker.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil || m[0] != strings.TrimSpace(s) {
		return "", false
	}
	return m[1], true
}

// within reports whether s holds a marker.
func (e envRefs) within(s string) bool {
	return e.used && strings.Contains(s, envMarkerOpen)
}

// show writes s with its markers back as the template actions they were.
func (e envRefs) show(s string) string {
	if !e.used {
		return s
	}
	return envMarker.ReplaceAllString(s, `{{ getenv "${1}" }}`)
}
