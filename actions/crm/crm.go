// Package crm is the `crm` action: upsert a contact (or any record) keyed by
// email or an external id into a SQL table (SQLite or PostgreSQL), HubSpot
// or Salesforce, so that retried, re-delivered and replayed events never
// create duplicates.
package crm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/expression"
)

// Config is the YAML of a crm action.
type Config struct {
	Driver string `koanf:"driver" json:"driver"` // sql | hubspot | salesforce
	// Key names the field(s) that identify the record; they must be in
	// fields. hubspot and salesforce take exactly one.
	Key []string `koanf:"key" json:"key"`
	// Fields maps a column / property name to an expression over the event.
	Fields map[string]string `koanf:"fields" json:"fields"`
	// OnlyIfNewer is an expression (a number, or an RFC 3339 time) stored
	// with the record; an event whose value is older than the stored one
	// changes nothing (sql driver).
	OnlyIfNewer string `koanf:"only_if_newer" json:"only_if_newer,omitempty"`

	// sql
	DSN         string `koanf:"dsn" json:"dsn,omitempty" path:"dsn"`
	Table       string `koanf:"table" json:"table,omitempty"`
	CreateTable bool   `koanf:"create_table" json:"create_table,omitempty"`

	// hubspot, salesforce
	BaseURL         string        `koanf:"base_url" json:"base_url,omitempty"`
	Token           string        `koanf:"token" json:"-"`
	Object          string        `koanf:"object" json:"object,omitempty"`
	APIVersion      string        `koanf:"api_version" json:"api_version,omitempty"`
	Timeout         time.Duration `koanf:"timeout" json:"timeout,omitempty"`
	Retries         int           `koanf:"retries" json:"retries,omitempty"`
	MaxRetryAfter   time.Duration `koanf:"max_retry_after" json:"max_retry_after,omitempty"`
	ExternalIDField string        `koanf:"external_id_field" json:"external_id_field,omitempty"`
}

// Outcome is what an upsert did.
type Outcome string

// Outcomes recorded on the run.
const (
	Inserted     Outcome = "inserted"
	Updated      Outcome = "updated"
	Unchanged    Outcome = "unchanged"
	SkippedOlder Outcome = "skipped-older"
)

// Record is the rendered upsert: the key values and every field.
type Record struct {
	Key     []string
	Values  map[string]any
	Version *float64
}

// KeyString renders the key for the run's detail ("email=a@b").
func (r *Record) KeyString() string {
	parts := make([]string, len(r.Key))
	for i, k := range r.Key {
		parts[i] = k + "=" + expression.Stringify(r.Values[k])
	}
	return strings.Join(parts, ",")
}

// driver performs the upsert.
type driver interface {
	upsert(ctx context.Context, rec *Record, inv *actions.Invocation) (Outcome, actions.Result, error)
	describe() string
	close() error
}

// Action is the crm action.
type Action struct {
	cfg    Config
	fields map[string]*expression.Value
	newer  *expression.Value
	names  []string
	d      driver
}

var (
	_ actions.Action  = (*Action)(nil)
	_ actions.Planner = (*Action)(nil)
)

func init() {
	actions.Register(actions.Info{Name: "crm", Config: Config{}, New: build})
}

var ident = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func build(bc actions.BuildContext) (actions.Action, error) {
	cfg := bc.Config.(Config)
	if len(cfg.Fields) == 0 {
		return nil, errors.New("fields: at least one field is required")
	}
	if len(cfg.Key) == 0 {
		return nil, errors.New("key: required (the field or fields that identify the record, e.g. [email])")
	}
	a := &Action{cfg: cfg, fields: map[string]*expression.Value{}}
	for name, src := range cfg.Fields {
		v, err := expression.CompileValue(src)
		if err != nil {
			return nil, fmt.Errorf("fields.%s: %w", name, err)
		}
		a.fields[name] = v
		a.names = append(a.names, name)
	}
	sort.Strings(a.names)
	for i, k := range cfg.Key {
		if _, ok := cfg.Fields[k]; !ok {
			return nil, fmt.Errorf("key[%d]: %q is not one of fields (%s)", i, k, strings.Join(a.names, ", "))
		}
	}
	if cfg.OnlyIfNewer != "" {
		v, err := expression.CompileValue(cfg.OnlyIfNewer)
		if err != nil {
			return nil, fmt.Errorf("only_if_newer: %w", err)
		}
		a.newer = v
	}
	var err error
	switch cfg.Driver {
	case "sql":
		a.d, err = newSQL(cfg, a.names)
	case "hubspot":
		a.d, err = newHubSpot(cfg)
	case "salesforce":
		a.d, err = newSalesforce(cfg)
	case "":
		return nil, errors.New("driver: required (sql, hubspot or salesforce)")
	default:
		return nil, fmt.Errorf("driver: unknown driver %q (use sql, hubspot or salesforce)", cfg.Driver)
	}
	if err != nil {
		return nil, err
	}
	return a, nil
}

func (a *Action) render(env *expression.Env) (*Record, error) {
	rec := &Record{Key: a.cfg.Key, Values: map[string]any{}}
	for _, name := range a.names {
		v, err := a.fields[name].Eval(env)
		if err != nil {
			return nil, fmt.Errorf("fields.%s: %w", name, err)
		}
		rec.Values[name] = v
	}
	for _, k := range a.cfg.Key {
		if expression.Stringify(rec.Values[k]) == "" {
			return nil, fmt.Errorf("key %s is empty for this event", k)
		}
	}
	if a.newer != nil {
		v, err := a.newer.Eval(env)
		if err != nil {
			return nil, fmt.Errorf("only_if_newer: %w", err)
		}
		f, err := versionOf(v)
		if err != nil {
			return nil, fmt.Errorf("only_if_newer: %w", err)
		}
		rec.Version = &f
	}
	return rec, nil
}

func versionOf(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case json.Number: // a payload's decimal, as sent
		f, err := x.Float64()
		if err != nil {
			return 0, fmt.Errorf("%q is not a number: %w", x, err)
		}
		return f, nil
	case string:
		t, err := time.Parse(time.RFC3339Nano, x)
		if err != nil {
			return 0, fmt.Errorf("%q is neither a number nor an RFC 3339 time", x)
		}
		return float64(t.UnixNano()) / 1e9, nil
	case time.Time:
		return float64(x.UnixNano()) / 1e9, nil
	}
	return 0, fmt.Errorf("value %v (%T) is not a number or a time", v, v)
}

// Run implements actions.Action.
func (a *Action) Run(ctx context.Context, inv *actions.Invocation) (actions.Result, error) {
	rec, err := a.render(inv.Env)
	if err != nil {
		return actions.Result{}, actions.Permanent(err)
	}
	out, res, err := a.d.upsert(ctx, rec, inv)
	if err != nil {
		return res, err
	}
	res.Detail = fmt.Sprintf("%s %s", out, rec.KeyString())
	return res, nil
}

// Close implements actions.Action: it closes the action's database pool
// (sql) or idle connections (hubspot, salesforce).
func (a *Action) Close() error { return a.d.close() }

// Describe implements actions.Action.
func (a *Action) Describe(env *expression.Env) (string, error) {
	rec, err := a.render(env)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "crm upsert into %s by %s", a.d.describe(), rec.KeyString())
	for _, n := range a.names {
		fmt.Fprintf(&b, "\n    %s = %s", n, expression.Stringify(rec.Values[n]))
	}
	return b.String(), nil
}

// Plan implements actions.Planner: the driver, the table (sql) or object
// (hubspot, salesforce), the key and every field's value as text.
func (a *Action) Plan(env *expression.Env) (actions.Plan, error) {
	rec, err := a.render(env)
	if err != nil {
		return actions.Plan{}, err
	}
	p := &actions.CRMPlan{Driver: a.cfg.Driver, Key: append([]string(nil), rec.Key...), Fields: make(map[string]string, len(a.names))}
	if a.cfg.Driver == "sql" {
		p.Table = a.cfg.Table
	} else {
		p.Object = a.cfg.Object
	}
	for _, n := range a.names {
		p.Fields[n] = expression.Stringify(rec.Values[n])
	}
	if rec.Version != nil {
		p.OnlyIfNewer = strconv.FormatFloat(*rec.Version, 'f', -1, 64)
	}
	return actions.Plan{CRM: p}, nil
}
