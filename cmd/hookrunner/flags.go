package main

import (
	"fmt"
	"time"

	"github.com/hookrunner/hookrunner/ops"
	"github.com/hookrunner/hookrunner/sender"
	"github.com/hookrunner/hookrunner/server"
)

// Flags shared by several verbs.

type configFlag struct {
	Config string `short:"c" default:"hooks.yaml" complete:"file" help:"Path to hooks.yaml."`
}

// clientFlags choose where events, runs and replay read: the store of
// --config, or a running server's admin API.
type clientFlags struct {
	configFlag
	Server string `placeholder:"URL" help:"Admin URL of a running hookrunner (e.g. http://127.0.0.1:8081) instead of the store of --config."`
	Token  string `env:"HOOKRUNNER_ADMIN_TOKEN" placeholder:"TOKEN" help:"Admin token for --server."`
}

func (f *clientFlags) open(e *env) (*ops.Client, error) {
	c, err := ops.Open(e.ctx, f.Config, f.Server, f.Token)
	if err != nil {
		return nil, err
	}
	e.out.use(c.Redactor)
	return c, nil
}

// header is a repeatable "Name: value" flag, checked as it is parsed.
type header string

func (h *header) UnmarshalText(b []byte) error {
	if _, _, err := sender.ParseHeader(string(b)); err != nil {
		return err
	}
	*h = header(b)
	return nil
}

func headers(hs []header) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = string(h)
	}
	return out
}

// since is a --since flag: a duration (1h, 7d) or an RFC 3339 time, checked as
// it is parsed.
type since string

func (s *since) UnmarshalText(b []byte) error {
	if _, err := server.ParseSince(string(b), time.Now()); err != nil {
		return fmt.Errorf("%q: use a duration (1h, 7d) or an RFC 3339 time", b)
	}
	*s = since(b)
	return nil
}
