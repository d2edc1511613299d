package ruleset

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/expression"
	"github.com/hookrunner/hookrunner/internal/redact"
	"github.com/hookrunner/hookrunner/payload"
	"github.com/hookrunner/hookrunner/providers"
)

// Decision says whether a rule matches an event and why.
type Decision struct {
	Rule    string            `json:"rule"`
	Matched bool              `json:"matched"`
	Reason  string            `json:"reason"`
	Terms   []expression.Term `json:"terms,omitempty"`
	// Actions are the actions that would run, fully rendered.
	Actions []string `json:"actions,omitempty"`
	// Plans are the same actions field by field (argv, env, URL, body…),
	// what rule tests compare.
	Plans []actions.Plan `json:"plans,omitempty"`
}

// Explain decides every rule of the source for env, with reasons. It runs
// nothing. The rules Match would evaluate are evaluated as Match does, in
// the same order and sharing one budget of steps, so a rule Match stopped
// with "evaluation budget exceeded" is explained so here too (the steps
// do not depend on time or load). Rules the index rules out are evaluated
// alone, on a budget of their own, to show their terms.
func (src *Source) Explain(env *expression.Env) []Decision {
	type result struct {
		ok     bool
		err    error
		before bool // the budget was spent before this rule's turn
	}
	budget := expression.NewBudget(src.MatchBudget)
	results := map[*Rule]result{}
	menv := expression.WithBudget(env, budget)
	for _, r := range src.candidates(menv, budget) {
		before := budget.Exceeded()
		ok, err := r.Cond.EvalBudget(menv, budget)
		results[r] = result{ok, err, before}
	}
	var out []Decision
	for _, r := range src.rules {
		d := Decision{Rule: r.Name}
		if !r.MatchesEvent(env.Event) {
			d.Reason = fmt.Sprintf("event type %q is not in events %q", env.Event, r.Events)
			out = append(out, d)
			continue
		}
		res, evaluated := results[r]
		if !evaluated {
			res.ok, res.err = r.Cond.EvalBudget(env, expression.NewBudget(src.MatchBudget))
		}
		switch {
		case errors.Is(res.err, expression.ErrBudgetExceeded):
			d.Reason = fmt.Sprintf("%v: the if conditions of one event may use %d steps together (server.match_budget)",
				expression.ErrBudgetExceeded, expression.NewBudget(src.MatchBudget).Left())
			if res.before {
				d.Reason += "; the conditions of the rules before this one used them all"
			}
			d.Terms = r.Cond.Explain(env, expression.NewBudget(src.MatchBudget))
		case res.err != nil:
			d.Reason = "the if expression failed: " + res.err.Error()
			d.Terms = r.Cond.Explain(env, expression.NewBudget(src.MatchBudget))
		case !res.ok:
			d.Reason = "the if expression is false"
			d.Terms = r.Cond.Explain(env, expression.NewBudget(src.MatchBudget))
		default:
			d.Matched = true
			d.Reason = "matched"
			if r.Cond.Source == "" {
				d.Reason = "matched (no if condition)"
			}
		}
		if d.Matched {
			renv := *env
			renv.Rule = r.Name
			for i, s := range r.Steps {
				desc, err := s.Action.Describe(&renv)
				if err != nil {
					desc = fmt.Sprintf("%s: cannot render: %v", s.Kind, err)
				}
				d.Actions = append(d.Actions, fmt.Sprintf("[%d] %s", i, desc))
				d.Plans = append(d.Plans, actions.PlanOf(s.Action, &renv))
			}
		}
		out = append(out, d)
	}
	return out
}

// Redacted returns the decisions with every secret r knows (and every
// credential its rules recognise) replaced: reasons, compared values,
// rendered actions and their plans may all quote one.
func Redacted(r *redact.Redactor, ds []Decision) []Decision {
	out := make([]Decision, len(ds))
	for i, d := range ds {
		d.Reason = r.String(d.Reason)
		if d.Terms != nil {
			terms := make([]expression.Term, len(d.Terms))
			for j, t := range d.Terms {
				t.Expr, t.Result = r.String(t.Expr), r.String(t.Result)
				if t.Operands != nil {
					ops := make([]string, len(t.Operands))
					for k, o := range t.Operands {
						ops[k] = r.String(o)
					}
					t.Operands = ops
				}
				terms[j] = t
			}
			d.Terms = terms
		}
		if d.Actions != nil {
			acts := make([]string, len(d.Actions))
			for j, a := range d.Actions {
				acts[j] = r.String(a)
			}
			d.Actions = acts
		}
		if d.Plans != nil {
			plans := make([]actions.Plan, len(d.Plans))
			for j, p := range d.Plans {
				plans[j] = p.Redacted(r)
			}
			d.Plans = plans
		}
		out[i] = d
	}
	return out
}

// ExplainInput is an event to explain: a stored one or one from files.
type ExplainInput struct {
	Source     string
	Event      string
	DeliveryID string
	EventID    string
	Headers    map[string]string
	Query      string
	Body       []byte
	RemoteIP   string
	ReceivedAt time.Time
}

// ExplainResult is every rule's decision for an event.
type ExplainResult struct {
	Source     string
	Provider   string
	Event      string
	DeliveryID string
	Decisions  []Decision
}

// ExplainRequest decides every rule of the input's source, without
// verifying or running anything.
func ExplainRequest(snap *Snapshot, in *ExplainInput) (*ExplainResult, error) {
	src := snap.Sources[in.Source]
	if src == nil {
		return nil, fmt.Errorf("unknown source %q", in.Source)
	}
	doc, form, err := payload.Decode(in.Headers["content-type"], in.Body)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	for k, v := range in.Headers {
		h.Set(k, v)
	}
	id := src.P.Identify(&providers.Request{Header: h, Body: in.Body, Form: form}, doc)
	if in.Event != "" {
		id.Event = in.Event
	}
	if in.DeliveryID != "" {
		id.DeliveryID = in.DeliveryID
	}
	evID := in.EventID
	if evID == "" {
		evID = "explain"
	}
	// Rules see headers and query as they would be stored (credentials
	// redacted), and what explain prints is redacted.
	red := snap.Redactor
	env := NewEnv(src.Name, src.Provider, id, evID, red.HeaderMap(in.Headers), red.Query(in.Query), doc, in.RemoteIP, in.ReceivedAt)
	env.Body = in.Body
	return &ExplainResult{Source: src.Name, Provider: src.Provider, Event: id.Event, DeliveryID: red.String(id.DeliveryID), Decisions: Redacted(red, src.Explain(env))}, nil
}
