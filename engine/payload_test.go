package engine_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/engine"
)

func TestDecodePayload(t *testing.T) {
	tests := []struct {
		ct, body, want string
		err            bool
	}{
		{"application/json", `{"a":1}`, "map[a:1]", false},
		{"application/json; charset=utf-8", `[1,2]`, "[1 2]", false},
		{"", `{"a":"b"}`, "map[a:b]", false},
		{"application/json", `{"a":`, "", true},
		{"application/x-www-form-urlencoded", "command=%2Fdeploy&text=api+prod&tag=a&tag=b", "map[command:/deploy tag:[a b] text:api prod]", false},
		{"application/x-www-form-urlencoded", "payload=%7B%22type%22%3A%22block_actions%22%7D", "map[type:block_actions]", false},
		{"text/plain", "hello", "hello", false},
		{"application/json", strings.Repeat("[", 10001) + strings.Repeat("]", 10001), "", true},
		{"application/json", `{"s":"[[[[[[ not nesting"}`, "map[s:[[[[[[ not nesting]", false},
	}
	for _, tt := range tests {
		got, _, err := engine.DecodePayload(tt.ct, []byte(tt.body))
		if (err != nil) != tt.err {
			t.Errorf("%s %q: err = %v", tt.ct, tt.body, err)
			continue
		}
		if err == nil && fmt.Sprint(got) != tt.want {
			t.Errorf("%s %q = %v, want %s", tt.ct, tt.body, got, tt.want)
		}
	}
}
