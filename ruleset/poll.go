package ruleset

import (
	"encoding/json"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/expression"
)

// Poll is a compiled poll source (config.Poll with its templates and
// expressions compiled); the engine's pollers run it.
type Poll struct {
	Config config.Poll
	// Hash identifies the poll's settings: a poller whose source's Hash
	// changed on reload is restarted.
	Hash    string
	URL     *expression.Template
	Headers map[string]*expression.Template
	Body    *expression.Template
	Items   *expression.Value
	ID      *expression.Value
	Cursor  *expression.Value
	Event   *expression.Template
	Client  *retryablehttp.Client
}

func compilePoll(pc *config.Poll) (*Poll, error) {
	var errs config.Errors
	p := &Poll{Config: *pc, Headers: map[string]*expression.Template{}}
	b, _ := json.Marshal(pc)
	p.Hash = string(b)
	var err error
	// The cursor comes from the polled API's answer: escaped for where it
	// stands in the URL, headers and body like an http action's templates.
	if p.URL, err = expression.CompileTemplateFor(expression.URL, pc.URL); err != nil {
		errs.Add("url", "%v", err)
	}
	if hs, err := actions.CompileHeaders(pc.Headers); err != nil {
		errs.Add("headers", "%v", err)
	} else {
		p.Headers = hs
	}
	if pc.Body != "" {
		ct, _ := actions.ContentType(pc.Headers)
		bodyCtx, err := expression.BodyContext(ct, pc.Body)
		if err != nil {
			errs.Add("headers.Content-Type", "%v", err)
		} else if p.Body, err = expression.CompileTemplateFor(bodyCtx, pc.Body); err != nil {
			errs.Add("body", "%v", err)
		}
	}
	if p.Items, err = expression.CompileValue(pc.Items); err != nil {
		errs.Add("items", "%v", err)
	}
	if p.ID, err = expression.CompileValue(pc.ID); err != nil {
		errs.Add("id", "%v", err)
	}
	if pc.Cursor != "" {
		if p.Cursor, err = expression.CompileValue(pc.Cursor); err != nil {
			errs.Add("cursor", "%v", err)
		}
	}
	if pc.Event != "" {
		if p.Event, err = expression.CompileTemplate(pc.Event); err != nil {
			errs.Add("event", "%v", err)
		}
	}
	p.Client = actions.NewHTTPClient(0, pc.Timeout.D(), time.Minute)
	if len(errs) > 0 {
		return nil, errs
	}
	return p, nil
}
