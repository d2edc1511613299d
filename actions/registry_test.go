package actions_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/expression"
)

type fakeConfig struct {
	Greeting string
}

type fake struct{ cfg fakeConfig }

func (f *fake) Run(context.Context, *actions.Invocation) (actions.Result, error) {
	return actions.Result{Output: f.cfg.Greeting}, nil
}
func (f *fake) Describe(*expression.Env) (string, error) { return "fake", nil }
func (f *fake) Close() error                             { return nil }

func newFake(bc actions.BuildContext) (actions.Action, error) {
	return &fake{cfg: bc.Config.(fakeConfig)}, nil
}

func panics(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg, _ = r.(string)
			if msg == "" {
				msg = "panic"
			}
		}
	}()
	f()
	return ""
}

func TestRegister(t *testing.T) {
	actions.Register(actions.Info{Name: "fake-register", Config: fakeConfig{}, New: newFake})
	for _, tc := range []struct {
		name string
		info actions.Info
		want string
	}{
		{"duplicate name", actions.Info{Name: "fake-register", Config: fakeConfig{}, New: newFake}, "duplicate registration of fake-register"},
		{"config is a pointer", actions.Info{Name: "fake-ptr", Config: &fakeConfig{}, New: newFake}, "Config must be the zero value"},
		{"no config", actions.Info{Name: "fake-nil", New: newFake}, "Config must be the zero value"},
		{"no New", actions.Info{Name: "fake-nonew", Config: fakeConfig{}}, "needs a Name and New"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := panics(func() { actions.Register(tc.info) }); !strings.Contains(got, tc.want) {
				t.Fatalf("panic %q, want %q", got, tc.want)
			}
		})
	}
}

// Build decodes into a new value of Info.Config's type and hands it to New;
// a decoding error is returned as is.
func TestBuildDecodesIntoConfigType(t *testing.T) {
	actions.Register(actions.Info{Name: "fake-build", Config: fakeConfig{}, New: newFake})
	a, err := actions.Build("fake-build", actions.BuildContext{Decode: func(v any) error {
		v.(*fakeConfig).Greeting = "hello"
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := a.Run(context.Background(), nil); res.Output != "hello" {
		t.Fatalf("config not passed: %q", res.Output)
	}
	bad := errors.New("unknown key timeuot")
	if _, err := actions.Build("fake-build", actions.BuildContext{Decode: func(any) error { return bad }}); !errors.Is(err, bad) {
		t.Fatalf("decode error: %v", err)
	}
	if _, err := actions.Build("no-such-action", actions.BuildContext{}); err == nil || !strings.Contains(err.Error(), "unknown action type") {
		t.Fatalf("unknown type: %v", err)
	}
	if _, ok := actions.ConfigTypes()["fake-build"].(fakeConfig); !ok {
		t.Fatal("ConfigTypes does not list the registered config")
	}
}

// Each ConfigError keeps its own path, so the loader can prefix it.
func TestConfigErrors(t *testing.T) {
	var errs actions.ConfigErrors
	if errs.Err() != nil {
		t.Fatal("empty ConfigErrors is an error")
	}
	errs.Add("command[1]", "bad %s", "one")
	errs.Add("env.X", "bad two")
	err := errs.Err()
	var ce *actions.ConfigError
	if !errors.As(err, &ce) || ce.FieldPath() != "command[1]" || ce.FieldMsg() != "bad one" {
		t.Fatalf("errors.As: %#v", ce)
	}
	if err.Error() != "command[1]: bad one\nenv.X: bad two" {
		t.Fatalf("message: %q", err.Error())
	}
}
