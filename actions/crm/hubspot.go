package crm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/expression"
)

// hubspot upserts through the CRM objects API batch upsert:
// POST {base_url}/crm/v3/objects/{object}/batch/upsert
// {"inputs":[{"idProperty":"email","id":"a@b","properties":{…}}]}.
type hubspot struct {
	cfg    Config
	client *retryablehttp.Client
}

func httpDefaults(cfg *Config, defaultBase string) error {
	if cfg.BaseURL == "" {
		cfg.BaseURL = defaultBase
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if !strings.HasPrefix(cfg.BaseURL, "http://") && !strings.HasPrefix(cfg.BaseURL, "https://") {
		return fmt.Errorf("base_url: %q is not an http(s) URL", cfg.BaseURL)
	}
	if cfg.Token == "" {
		return errors.New("token: required (a private app / OAuth access token; use ${ENV_VAR})")
	}
	if cfg.Object == "" {
		return errors.New("object: required (e.g. contacts, Contact)")
	}
	if _, err := expression.PathSegment(cfg.Object); err != nil || strings.ContainsAny(cfg.Object, "/?#%") {
		return fmt.Errorf("object: %q is not one path segment", cfg.Object)
	}
	if len(cfg.Key) != 1 {
		return errors.New("key: exactly one field (the id property / external id field)")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxRetryAfter == 0 {
		cfg.MaxRetryAfter = 5 * time.Minute
	}
	return nil
}

func newHubSpot(cfg Config) (driver, error) {
	if err := httpDefaults(&cfg, "https://api.hubapi.com"); err != nil {
		return nil, err
	}
	return &hubspot{cfg: cfg, client: actions.NewHTTPClient(cfg.Retries, cfg.Timeout, cfg.MaxRetryAfter)}, nil
}

func (h *hubspot) close() error {
	h.client.HTTPClient.CloseIdleConnections()
	return nil
}

func (h *hubspot) describe() string {
	return fmt.Sprintf("hubspot %s (%s)", h.cfg.Object, h.cfg.BaseURL)
}

func (h *hubspot) upsert(ctx context.Context, rec *Record, inv *actions.Invocation) (Outcome, actions.Result, error) {
	key := h.cfg.Key[0]
	props := map[string]string{}
	for k, v := range rec.Values {
		if v != nil {
			props[k] = expression.Stringify(v)
		}
	}
	body, _ := json.Marshal(map[string]any{"inputs": []any{map[string]any{
		"idProperty": key, "id": expression.Stringify(rec.Values[key]), "properties": props,
	}}})
	// The id travels in the JSON body (json.Marshal); the path holds only
	// config values, escaped as one segment each all the same.
	object, err := expression.PathSegment(h.cfg.Object)
	if err != nil {
		return "", actions.Result{}, actions.Permanent(fmt.Errorf("object: %w", err))
	}
	url := fmt.Sprintf("%s/crm/v3/objects/%s/batch/upsert", h.cfg.BaseURL, object)
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return "", actions.Result{}, actions.Permanent(err)
	}
	req.Header.Set("Authorization", "Bearer "+h.cfg.Token)
	req.Header.Set("Content-Type", "application/json")
	res, err := actions.DoHTTP(h.client, req, inv.OutputLimit, func(c int) bool { return c == 200 || c == 201 || c == 207 }, h.cfg.MaxRetryAfter)
	if err != nil {
		return "", res, err
	}
	var ans struct {
		Status  string `json:"status"`
		Results []struct {
			ID  string `json:"id"`
			New bool   `json:"new"`
		} `json:"results"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal([]byte(res.Output), &ans); err != nil {
		return "", res, fmt.Errorf("hubspot: unreadable answer: %w", err)
	}
	if len(ans.Errors) > 0 {
		return "", res, actions.Permanent(fmt.Errorf("hubspot: %s", ans.Errors[0].Message))
	}
	if len(ans.Results) == 0 {
		return "", res, errors.New("hubspot: answer has no result")
	}
	if ans.Results[0].New {
		return Inserted, res, nil
	}
	return Updated, res, nil
}
