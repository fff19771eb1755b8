package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/hubsync/hubsync/internal/formclient"
)

// crmAPI calls a hub's HubSpot-compatible CRM API with a private app's
// token, as any integration script would.
type crmAPI struct {
	base, token string
	client      *http.Client
}

func newCRMAPI(base, token string) *crmAPI {
	return &crmAPI{base: base, token: token, client: &http.Client{Timeout: 30 * time.Second}}
}

// record is what the API answers for one record.
type record struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
}

// update changes properties of the record whose idProperty is id.
func (c *crmAPI) update(ctx context.Context, object, id, idProperty string, props map[string]string) (record, error) {
	body, err := json.Marshal(map[string]any{"properties": props})
	if err != nil {
		return record{}, err
	}
	var rec record
	return rec, c.call(ctx, http.MethodPatch, c.recordURL(object, id, idProperty), body, &rec)
}

// find searches for the one record whose property equals value and reads
// the given properties of it.
func (c *crmAPI) find(ctx context.Context, object, property, value string, props ...string) (record, error) {
	body, err := json.Marshal(map[string]any{
		"filterGroups": []any{map[string]any{"filters": []any{map[string]string{
			"propertyName": property, "operator": "EQ", "value": value}}}},
		"properties": append([]string{property}, props...), "limit": 2})
	if err != nil {
		return record{}, err
	}
	u := c.base + "/crm/v3/objects/" + object + "/search"
	var found struct {
		Total   int      `json:"total"`
		Results []record `json:"results"`
	}
	if err := c.call(ctx, http.MethodPost, u, body, &found); err != nil {
		return record{}, err
	}
	if len(found.Results) != 1 {
		return record{}, fmt.Errorf("%d %s have %s %s, want one", found.Total, object, property, value)
	}
	return found.Results[0], nil
}

func (c *crmAPI) recordURL(object, id, idProperty string) string {
	q := url.Values{}
	if idProperty != "" {
		q.Set("idProperty", idProperty)
	}
	return c.base + "/crm/v3/objects/" + object + "/" + url.PathEscape(id) + "?" + q.Encode()
}

func (c *crmAPI) call(ctx context.Context, method, u string, body []byte, answer any) error {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %d %s", method, u, resp.StatusCode, formclient.Brief(string(data)))
	}
	if err := json.Unmarshal(data, answer); err != nil {
		return fmt.Errorf("%s %s: %w", method, u, err)
	}
	return nil
}
