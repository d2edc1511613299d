package config

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"time"
)

// JSONSchema returns the JSON Schema of hooks.yaml, generated from the
// config structs and the registered provider names and action config types
// (providers.Names and actions.ConfigTypes: config imports neither
// registry), for editors (the yaml-language-server comment at the top of
// hooks.yaml).
func JSONSchema(providerNames []string, actionTypes map[string]any) []byte {
	root := schemaOf(reflect.TypeOf(File{}))
	root["$schema"] = "http://json-schema.org/draft-07/schema#"
	root["title"] = "hookrunner hooks.yaml"
	props := root["properties"].(map[string]any)
	src := props["sources"].(map[string]any)["additionalProperties"].(map[string]any)
	src["properties"].(map[string]any)["provider"] = map[string]any{"type": "string", "enum": providerNames}
	src["required"] = []string{"provider"}
	rule := props["rules"].(map[string]any)["items"].(map[string]any)
	var oneOf []any
	types := actionTypes
	names := make([]string, 0, len(types))
	for n := range types {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		oneOf = append(oneOf, map[string]any{
			"type": "object", "additionalProperties": false, "required": []string{n},
			"properties": map[string]any{n: schemaOf(reflect.TypeOf(types[n]))},
		})
	}
	rule["properties"].(map[string]any)["actions"] = map[string]any{"type": "array", "minItems": 1, "items": map[string]any{"oneOf": oneOf}}
	rule["properties"].(map[string]any)["respond"] = map[string]any{"type": "string", "enum": []string{"async", "sync", "stream"}}
	rule["required"] = []string{"name", "source", "actions"}
	alert := props["alerts"].(map[string]any)["items"].(map[string]any)
	alert["properties"].(map[string]any)["actions"] = rule["properties"].(map[string]any)["actions"]
	alert["properties"].(map[string]any)["on"] = map[string]any{"type": "array", "minItems": 1, "items": map[string]any{"type": "string", "enum": AlertKinds}}
	alert["required"] = []string{"name", "on", "actions"}
	b, _ := json.MarshalIndent(root, "", "  ")
	return append(b, '\n')
}

var (
	durationT = reflect.TypeOf(Duration(0))
	stdDurT   = reflect.TypeOf(time.Duration(0))
	sizeT     = reflect.TypeOf(ByteSize(0))
	secretT   = reflect.TypeOf(Secret(""))
	rateT     = reflect.TypeOf(Rate(0))
)

func schemaOf(t reflect.Type) map[string]any {
	switch t {
	case durationT, stdDurT:
		return map[string]any{"type": "string", "pattern": `^([0-9]+d([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))*|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$`, "description": "a duration such as 30s, 5m, 1h30m, 7d"}
	case sizeT:
		return map[string]any{"type": []string{"string", "integer"}, "description": "a size such as 1MiB, 512KiB or a number of bytes"}
	case rateT:
		return map[string]any{"type": []string{"string", "number"}, "pattern": `^[0-9]+(\.[0-9]+)?(/[smh])?$`, "description": "requests per second, or per minute or hour: 10/s, 600/m, 100/h"}
	case secretT:
		return map[string]any{"type": "string", "description": "a secret; use ${ENV_VAR} rather than writing it here"}
	}
	switch t.Kind() {
	case reflect.Pointer: // optional blocks: poll:, decrypt:
		return schemaOf(t.Elem())
	case reflect.Struct:
		props := map[string]any{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("koanf"), ",")
			if name == "" || name == "-" || !f.IsExported() {
				continue
			}
			props[name] = schemaOf(f.Type)
		}
		return map[string]any{"type": "object", "additionalProperties": false, "properties": props}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case reflect.Map:
		if t.Elem().Kind() == reflect.Interface {
			return map[string]any{"type": "object"}
		}
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem())}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32:
		return map[string]any{"type": "integer"}
	case reflect.Float64:
		return map[string]any{"type": "number"}
	}
	return map[string]any{}
}
