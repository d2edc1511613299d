package redact

import "encoding/json"

// Value redacts a decoded JSON/YAML tree deeply: the scalar values under
// a secret-named key become Mask, every string has known secrets
// replaced. The tree is copied, never changed in place.
func (r *Redactor) Value(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if IsSecretName(k) {
				out[k] = maskScalars(val, r)
			} else {
				out[k] = r.Value(val)
			}
		}
		return out
	case map[string]string:
		out := make(map[string]string, len(x))
		for k, val := range x {
			if IsSecretName(k) && val != "" {
				out[k] = Mask
			} else {
				out[k] = r.String(val)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = r.Value(val)
		}
		return out
	case []string:
		out := make([]string, len(x))
		for i, val := range x {
			out[i] = r.String(val)
		}
		return out
	case string:
		return r.String(x)
	}
	return v
}

// maskScalars hides what sits under a secret-named key: strings and numbers
// become Mask (empty strings, booleans and nulls say nothing and stay), a
// list is masked element by element, a mapping is walked (auth: {user,
// password}).
func maskScalars(v any, r *Redactor) any {
	switch x := v.(type) {
	case nil, bool:
		return v
	case string:
		if x == "" {
			return x
		}
		return Mask
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = maskScalars(val, r)
		}
		return out
	case map[string]any:
		return r.Value(x)
	}
	return Mask
}

// JSON redacts any value as its JSON form: v is encoded, decoded into a
// tree and passed through Value. What encoding/json cannot encode is
// returned as nil.
func (r *Redactor) JSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var t any
	if err := json.Unmarshal(b, &t); err != nil {
		return nil
	}
	return r.Value(t)
}
