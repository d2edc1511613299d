package crm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/expression"
)

// salesforce upserts by external id:
// PATCH {base_url}/services/data/v{api_version}/sobjects/{object}/{field}/{value}
// with the other fields as JSON; 201 Created means inserted, 200/204 updated.
type salesforce struct {
	cfg    Config
	client *retryablehttp.Client
}

func newSalesforce(cfg Config) (driver, error) {
	if cfg.BaseURL == "" {
		return nil, errors.New("base_url: required (your instance URL, e.g. https://acme.my.salesforce.com)")
	}
	if err := httpDefaults(&cfg, ""); err != nil {
		return nil, err
	}
	if cfg.APIVersion == "" {
		cfg.APIVersion = "62.0"
	}
	cfg.APIVersion = strings.TrimPrefix(cfg.APIVersion, "v")
	return &salesforce{cfg: cfg, client: actions.NewHTTPClient(cfg.Retries, cfg.Timeout, cfg.MaxRetryAfter)}, nil
}

func (s *salesforce) close() error {
	s.client.HTTPClient.CloseIdleConnections()
	return nil
}

func (s *salesforce) describe() string {
	return fmt.Sprintf("salesforce %s by %s (%s)", s.cfg.Object, s.cfg.Key[0], s.cfg.BaseURL)
}

func (s *salesforce) upsert(ctx context.Context, rec *Record, inv *actions.Invocation) (Outcome, actions.Result, error) {
	key := s.cfg.Key[0]
	fields := map[string]any{}
	for k, v := range rec.Values {
		if k != key {
			fields[k] = v
		}
	}
	body, _ := json.Marshal(fields)
	// Object, external id field and id (a payload value) are one path
	// segment each, escaped like a {{ }} in a URL path: "../../admin" stays
	// one segment, and an id of "." or ".." is refused rather than sent.
	var segs [3]string
	for i, v := range []any{s.cfg.Object, key, rec.Values[key]} {
		seg, err := expression.PathSegment(v)
		if err != nil {
			return "", actions.Result{}, actions.Permanent(fmt.Errorf("salesforce path: %w", err))
		}
		segs[i] = seg
	}
	u := fmt.Sprintf("%s/services/data/v%s/sobjects/%s/%s/%s", s.cfg.BaseURL, url.PathEscape(s.cfg.APIVersion), segs[0], segs[1], segs[2])
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPatch, u, bytes.NewReader(body))
	if err != nil {
		return "", actions.Result{}, actions.Permanent(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.cfg.Token)
	req.Header.Set("Content-Type", "application/json")
	res, err := actions.DoHTTP(s.client, req, inv.OutputLimit, func(c int) bool { return c == 200 || c == 201 || c == 204 }, s.cfg.MaxRetryAfter)
	if err != nil {
		// Salesforce errors are a JSON list: keep its message on the run.
		var errs []struct {
			Message   string `json:"message"`
			ErrorCode string `json:"errorCode"`
		}
		if json.Unmarshal([]byte(res.Output), &errs) == nil && len(errs) > 0 {
			msg := fmt.Errorf("salesforce %s: %s (HTTP %d)", errs[0].ErrorCode, errs[0].Message, res.HTTPStatus)
			if actions.IsPermanent(err) {
				return "", res, actions.Permanent(msg)
			}
			return "", res, msg
		}
		return "", res, err
	}
	if res.HTTPStatus == 201 {
		return Inserted, res, nil
	}
	return Updated, res, nil
}
