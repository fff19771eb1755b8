package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hubsync/hubsync/internal/oauth"
)

// crmScopes are what the bench's private apps and OAuth app may do.
var crmScopes = []string{oauth.ObjectScope("contacts", false), oauth.ObjectScope("contacts", true)}

// transport keeps enough idle connections for every client of a scenario,
// as a real integration's HTTP client would.
var transport = &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 16, IdleConnTimeout: time.Minute}

// client calls one hub's HTTP API with a bearer token (or HTTP Basic).
type client struct {
	base, token string
	user, pass  string
	http        *http.Client
}

func newClient(base, token string) *client {
	return &client{base: base, token: token, http: &http.Client{Transport: transport, Timeout: 2 * time.Minute}}
}

// withToken is the same hub called with another bearer token.
func (c *client) withToken(token string) *client {
	cp := *c
	cp.token = token
	return &cp
}

// statusError is an answer outside 2xx.
type statusError struct {
	status int
	body   string
}

func (e *statusError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.status, e.body) }

// call sends in (JSON, or a form when it is url.Values) and returns the
// status and body of a 2xx answer, or a statusError.
func (c *client) call(ctx context.Context, method, path string, in any) (int, []byte, error) {
	var body io.Reader
	ctype := ""
	switch v := in.(type) {
	case nil:
	case url.Values:
		body, ctype = strings.NewReader(v.Encode()), "application/x-www-form-urlencoded"
	default:
		data, err := json.Marshal(v)
		if err != nil {
			return 0, nil, err
		}
		body, ctype = bytes.NewReader(data), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return 0, nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	switch {
	case c.token != "":
		req.Header.Set("Authorization", "Bearer "+c.token)
	case c.user != "":
		req.SetBasicAuth(c.user, c.pass)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, err
	}
	if resp.StatusCode/100 != 2 {
		if len(data) > 400 {
			data = data[:400]
		}
		return resp.StatusCode, nil, &statusError{status: resp.StatusCode, body: string(data)}
	}
	return resp.StatusCode, data, nil
}

// json calls and decodes a 2xx answer into out (when out is not nil).
func (c *client) json(ctx context.Context, method, path string, in, out any) error {
	_, data, err := c.call(ctx, method, path, in)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if out == nil || len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	return nil
}

// record is a CRM record as the API answers it.
type record struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
}

// getByEmail reads a contact by email; found is false on 404 (absent or
// archived).
func (c *client) getByEmail(ctx context.Context, email string, props ...string) (rec record, found bool, err error) {
	q := url.Values{"idProperty": {"email"}}
	if len(props) > 0 {
		q.Set("properties", strings.Join(props, ","))
	}
	_, data, err := c.call(ctx, "GET", "/crm/v3/objects/contacts/"+url.PathEscape(email)+"?"+q.Encode(), nil)
	if se, ok := err.(*statusError); ok && se.status == http.StatusNotFound {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, err
	}
	return rec, true, json.Unmarshal(data, &rec)
}

// batchCreate creates contacts with one call.
func (c *client) batchCreate(ctx context.Context, rows []map[string]string) error {
	inputs := make([]map[string]any, len(rows))
	for i, props := range rows {
		inputs[i] = map[string]any{"properties": props, "associations": []any{}}
	}
	return c.json(ctx, "POST", "/crm/v3/objects/contacts/batch/create", map[string]any{"inputs": inputs}, nil)
}
