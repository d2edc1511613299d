package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/hookrunner/hookrunner/expression"
	"github.com/hookrunner/hookrunner/payload"
	"github.com/hookrunner/hookrunner/providers"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/store"
)

// RunPollers polls every poll source of the config in force until ctx
// ends, starting and stopping pollers as reloads add, change or remove
// them. With several replicas a lease in the store makes one poll at a time.
func (e *Engine) RunPollers(ctx context.Context) {
	type running struct {
		cancel context.CancelFunc
		hash   string
		done   chan struct{}
	}
	select {
	case <-e.recovered:
	case <-ctx.Done():
		return
	}
	active := map[string]*running{}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		snap := e.Snapshot()
		for name, r := range active {
			if src := snap.Sources[name]; src == nil || src.Poll == nil || src.Poll.Hash != r.hash {
				r.cancel()
				<-r.done
				delete(active, name)
			}
		}
		for name, src := range snap.Sources {
			if src.Poll == nil || active[name] != nil {
				continue
			}
			pctx, cancel := context.WithCancel(ctx)
			r := &running{cancel: cancel, hash: src.Poll.Hash, done: make(chan struct{})}
			active[name] = r
			go func(name string) {
				defer close(r.done)
				e.pollLoop(pctx, name)
			}(name)
		}
		select {
		case <-ctx.Done():
			for _, r := range active {
				r.cancel()
				<-r.done
			}
			return
		case <-t.C:
		}
	}
}

func (e *Engine) pollLoop(ctx context.Context, name string) {
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = e.st.ReleasePoll(rctx, name, e.owner)
	}()
	backoff := time.Duration(0)
	pages := 0
	for ctx.Err() == nil {
		src := e.Snapshot().Sources[name]
		if src == nil || src.Poll == nil {
			return
		}
		spec := src.Poll
		every := spec.Config.Every.D()
		wait := every
		if j := spec.Config.Jitter.D(); j > 0 {
			wait += time.Duration(rand.Int64N(int64(2*j))) - j
		}
		now := e.now()
		got, err := e.st.AcquirePoll(ctx, name, e.owner, now, now.Add(every*3+30*time.Second))
		switch {
		case err != nil:
			e.log.Error("poll lease", "source", name, "error", err)
		case !got:
			// Another replica polls this source.
		default:
			n, err := e.PollOnce(ctx, src)
			if err != nil {
				e.metrics.Polls.WithLabelValues(name, "error").Inc()
				if ctx.Err() != nil {
					return
				}
				e.log.Warn("poll failed; nothing emitted, will retry", "source", name, "error", err)
				_ = e.st.PollFailed(context.WithoutCancel(ctx), name, e.Redactor().String(err.Error()), e.now())
				backoff = min(max(backoff*2, every), every*10)
				wait = backoff
				pages = 0
			} else {
				e.metrics.Polls.WithLabelValues(name, "ok").Inc()
				backoff = 0
				if n > 0 && pages+1 < spec.Config.MaxPages {
					pages++
					wait = 0 // more may be waiting on the next page
				} else {
					pages = 0
				}
			}
		}
		if wait <= 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// PollOnce polls a source once and stores its new items as events (with
// the cursor, in one transaction). It returns the number of events stored.
// A failed request or an unusable answer stores nothing.
func (e *Engine) PollOnce(ctx context.Context, src *ruleset.Source) (int, error) {
	spec := src.Poll
	state, err := e.st.GetPoll(ctx, src.Name)
	if err != nil {
		return 0, fmt.Errorf("poll state: %w", err)
	}
	env := &expression.Env{Source: src.Name, Provider: "poll", Cursor: state.Cursor, ReceivedAt: e.now()}
	u, err := spec.URL.Render(env)
	if err != nil {
		return 0, fmt.Errorf("url: %w", err)
	}
	var body io.Reader
	if spec.Body != nil {
		b, err := spec.Body.Render(env)
		if err != nil {
			return 0, fmt.Errorf("body: %w", err)
		}
		body = strings.NewReader(b)
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, spec.Config.Method, u, body)
	if err != nil {
		return 0, fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "hookrunner-poll")
	for k, t := range spec.Headers {
		v, err := t.Render(env)
		if err != nil {
			return 0, fmt.Errorf("headers.%s: %w", k, err)
		}
		req.Header.Set(k, v)
	}
	resp, err := spec.Client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("GET %s: %w", req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return 0, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return 0, fmt.Errorf("HTTP %d from %s", resp.StatusCode, req.URL.Redacted())
	}
	doc, err := payload.DecodeJSON(raw, 256) // numbers exact, like a received payload's
	if errors.Is(err, payload.ErrTooDeep) {
		return 0, err
	}
	if err != nil {
		return 0, fmt.Errorf("malformed JSON answer: %w", err)
	}
	env.Payload = doc
	listV, err := spec.Items.Eval(env)
	if err != nil {
		return 0, fmt.Errorf("items: %w", err)
	}
	list, ok := listV.([]any)
	if !ok && listV != nil {
		return 0, fmt.Errorf("items: %s is %T, not a list", spec.Config.Items, listV)
	}
	now := e.now()
	snap := e.Snapshot()
	batch := store.PollBatch{Source: src.Name, Owner: e.owner, Now: now, Initialize: !state.Initialized,
		DedupeSince: now.Add(-snap.Config.Store.DedupeWindow.D())}
	var ids []string
	for i, item := range list {
		ienv := &expression.Env{Source: src.Name, Provider: "poll", Payload: item, Cursor: state.Cursor, ReceivedAt: now}
		idv, err := spec.ID.Eval(ienv)
		if err != nil {
			return 0, fmt.Errorf("id of item %d: %w", i, err)
		}
		id := expression.Stringify(idv)
		if id == "" {
			return 0, fmt.Errorf("id of item %d is empty", i)
		}
		ids = append(ids, id)
		event := src.Name
		if spec.Event != nil {
			if event, err = spec.Event.Render(ienv); err != nil {
				return 0, fmt.Errorf("event of item %d: %w", i, err)
			}
		}
		body, _ := json.Marshal(item)
		at := now.Add(time.Duration(i)) // keeps the list's order
		ev, runs, _, _ := e.prepare(&Received{Snapshot: snap, Source: src, Identity: providers.Identity{Event: event, DeliveryID: id},
			Header: http.Header{"Content-Type": {"application/json"}}, Body: body, Payload: item, ReceivedAt: at}, false)
		batch.Items = append(batch.Items, store.PollItem{Event: ev, Runs: runs})
	}
	if spec.Cursor != nil && len(list) > 0 {
		cv, err := spec.Cursor.Eval(&expression.Env{Source: src.Name, Payload: list[len(list)-1], Cursor: state.Cursor})
		if err != nil {
			return 0, fmt.Errorf("cursor: %w", err)
		}
		c := expression.Stringify(cv)
		batch.Cursor = &c
	}
	if !state.Initialized && spec.Config.Initial == "skip" {
		batch.SeenOnly, batch.Items = ids, nil
	}
	stored, err := e.st.IngestPoll(ctx, batch)
	if err != nil {
		if errors.Is(err, store.ErrLeaseLost) {
			return 0, errors.New("another replica took over this poll source")
		}
		return 0, fmt.Errorf("store: %w", err)
	}
	if len(stored) > 0 {
		e.stored.Fire()
	}
	runsN := 0
	for _, it := range batch.Items {
		for _, s := range stored {
			if s == it.Event {
				runsN += len(it.Runs)
				for _, m := range it.Event.Matched {
					e.metrics.RuleMatches.WithLabelValues(m).Inc()
				}
			}
		}
	}
	if runsN > 0 {
		e.outstanding.Add(int64(runsN))
		e.poke()
	}
	if len(stored) > 0 {
		e.log.Info("poll: new items", "source", src.Name, "events", len(stored))
	}
	return len(stored), nil
}
