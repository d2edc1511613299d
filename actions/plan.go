package actions

import (
	"github.com/hookrunner/hookrunner/expression"
	"github.com/hookrunner/hookrunner/internal/redact"
)

// Plan is what one action would do for one event, rendered field by field
// and not run: what `hookrunner test` compares with a rule test's
// expectations (and explain shows as text through Describe). One of Shell,
// HTTP or CRM is set; an action without a Planner has only Describe. Error
// is set instead when the action would refuse to run for this event (a
// template that does not render, a payload value that would become an
// option): the run would fail permanently.
type Plan struct {
	Shell    *ShellPlan `yaml:"shell,omitempty" json:"shell,omitempty"`
	HTTP     *HTTPPlan  `yaml:"http,omitempty" json:"http,omitempty"`
	CRM      *CRMPlan   `yaml:"crm,omitempty" json:"crm,omitempty"`
	Describe string     `yaml:"describe,omitempty" json:"describe,omitempty"`
	Error    string     `yaml:"error,omitempty" json:"error,omitempty"`
}

// ShellPlan is a rendered shell action.
type ShellPlan struct {
	Argv []string `yaml:"argv" json:"argv"`
	// Dir is the working directory.
	Dir string `yaml:"dir,omitempty" json:"dir,omitempty"`
	// Env is what the action's env: sets (the child also gets PATH, HOME
	// and the HOOKRUNNER_* variables of every run).
	Env map[string]string `yaml:"env,omitempty" json:"env,omitempty"`
	// Stdin is the rendered stdin: template; StdinBody says the event's raw
	// body is written to standard input (stdin: body).
	Stdin     string `yaml:"stdin,omitempty" json:"stdin,omitempty"`
	StdinBody bool   `yaml:"stdin_body,omitempty" json:"stdin_body,omitempty"`
}

// HTTPPlan is a rendered http action. Headers named like a credential
// are masked.
type HTTPPlan struct {
	Method  string            `yaml:"method" json:"method"`
	URL     string            `yaml:"url" json:"url"`
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	Body    string            `yaml:"body,omitempty" json:"body,omitempty"`
	// RawBody says the event's raw body is forwarded (no body: template).
	RawBody bool `yaml:"raw_body,omitempty" json:"raw_body,omitempty"`
}

// CRMPlan is a rendered crm upsert: where, by which key, with what values
// (each as text).
type CRMPlan struct {
	Driver      string            `yaml:"driver" json:"driver"`
	Table       string            `yaml:"table,omitempty" json:"table,omitempty"`
	Object      string            `yaml:"object,omitempty" json:"object,omitempty"`
	Key         []string          `yaml:"key" json:"key"`
	Fields      map[string]string `yaml:"fields" json:"fields"`
	OnlyIfNewer string            `yaml:"only_if_newer,omitempty" json:"only_if_newer,omitempty"`
}

// Planner is implemented by actions that can say field by field what they
// would do for env (shell, http and crm do).
type Planner interface {
	Plan(env *expression.Env) (Plan, error)
}

// PlanOf renders what a would do for env, running nothing: its Plan when it
// is a Planner, else its Describe text; a rendering failure is the plan's
// Error.
func PlanOf(a Action, env *expression.Env) Plan {
	if p, ok := a.(Planner); ok {
		plan, err := p.Plan(env)
		if err != nil {
			return Plan{Error: err.Error()}
		}
		return plan
	}
	d, err := a.Describe(env)
	if err != nil {
		return Plan{Error: err.Error()}
	}
	return Plan{Describe: d}
}

// Redacted returns the plan with every secret r knows replaced in every
// value (and every credential its structural rules recognise), and the
// values of credential-named headers and environment variables masked.
func (p Plan) Redacted(r *redact.Redactor) Plan {
	s := r.String
	out := Plan{Describe: s(p.Describe), Error: s(p.Error)}
	if sp := p.Shell; sp != nil {
		c := *sp
		c.Argv = redactList(r, sp.Argv)
		c.Dir, c.Stdin = s(sp.Dir), s(sp.Stdin)
		c.Env = redactMap(r, sp.Env, redact.IsSecretName)
		out.Shell = &c
	}
	if hp := p.HTTP; hp != nil {
		c := *hp
		c.URL, c.Body = r.URL(hp.URL), s(hp.Body)
		c.Headers = redactMap(r, hp.Headers, redact.IsSecretHeader)
		out.HTTP = &c
	}
	if cp := p.CRM; cp != nil {
		c := *cp
		c.Table, c.Object, c.OnlyIfNewer = s(cp.Table), s(cp.Object), s(cp.OnlyIfNewer)
		c.Key = redactList(r, cp.Key)
		c.Fields = redactMap(r, cp.Fields, redact.IsSecretName)
		out.CRM = &c
	}
	return out
}

func redactList(r *redact.Redactor, l []string) []string {
	if l == nil {
		return nil
	}
	out := make([]string, len(l))
	for i, v := range l {
		out[i] = r.String(v)
	}
	return out
}

// redactMap replaces secrets in every value and masks the values of keys
// secret names.
func redactMap(r *redact.Redactor, m map[string]string, secret func(string) bool) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if secret(k) && v != "" {
			v = redact.Mask
		} else {
			v = r.String(v)
		}
		out[k] = v
	}
	return out
}
