package hubspot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/hubsync/hubsync/internal/connector"
)

// maxBody bounds how much of an answer is read: token information and a
// one-record page are small, and a proxy's error page need not be read whole.
const maxBody = 1 << 20

// answer is an HTTP answer of the external side, read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
	// isJSON says whether body is a JSON object; fields holds its error
	// fields, HubSpot's and RFC 6749's.
	isJSON bool
	fields errorFields
}

// errorFields are what HubSpot-compatible error bodies carry: RFC 6749's
// error and error_description on the token endpoint, HubSpot's status,
// message and category everywhere.
type errorFields struct {
	Error            string              `json:"error"`
	ErrorDescription string              `json:"error_description"`
	Status           string              `json:"status"`
	Message          string              `json:"message"`
	Category         string              `json:"category"`
	SubCategory      string              `json:"subCategory"`
	CorrelationID    string              `json:"correlationId"`
	Context          map[string][]string `json:"context"`
}

func newAnswer(status int, header http.Header, body []byte) answer {
	a := answer{status: status, header: header, body: body}
	if status == http.StatusOK {
		// A success carries no error fields, and its body (a page of
		// records, often) is decoded by the caller, which checks it; parsing
		// it here as well would double the cost of every read.
		trimmed := bytes.TrimLeft(body, " \t\r\n")
		a.isJSON = len(trimmed) > 0 && trimmed[0] == '{'
		return a
	}
	var raw map[string]json.RawMessage
	if json.Unmarshal(body, &raw) == nil && raw != nil {
		a.isJSON = true
		// Field by field, so one field of an unexpected type (HubSpot's
		// context values are not always lists) does not hide the others.
		for k, dst := range map[string]any{"error": &a.fields.Error, "error_description": &a.fields.ErrorDescription,
			"status": &a.fields.Status, "message": &a.fields.Message, "category": &a.fields.Category,
			"subCategory": &a.fields.SubCategory, "correlationId": &a.fields.CorrelationID, "context": &a.fields.Context} {
			if v, ok := raw[k]; ok {
				_ = json.Unmarshal(v, dst)
			}
		}
	}
	return a
}

// said is what the external side said in words, shortened: the RFC
// description, else HubSpot's message. It holds no secret: servers describe
// a token, they do not repeat it.
func (a answer) said() string {
	s := a.fields.ErrorDescription
	if s == "" {
		s = a.fields.Message
	}
	s = strings.Join(strings.Fields(s), " ")
	if rest, ok := strings.CutPrefix(s, genericGrant); ok && strings.TrimSpace(rest) != "" {
		s = strings.TrimSpace(rest)
	}
	return shorten(s)
}

// shorten cuts what the external side said to 400 characters.
func shorten(s string) string {
	if r := []rune(s); len(r) > 400 {
		s = string(r[:400]) + "…"
	}
	return s
}

// genericGrant is how fosite, hubsync's OAuth library, opens every
// invalid_grant description before the sentence that says what happened.
const genericGrant = "The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, " +
	"expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."

// cause is the structured side of an answer, kept as the Err of a
// connector error for logs and callers that want the HTTP facts.
func (a answer) cause() error {
	code := a.fields.Error
	if code == "" && a.fields.Status != "error" {
		code = a.fields.Status
	}
	if code == "" {
		code = a.fields.Category
	}
	return &ResponseError{StatusCode: a.status, Code: code, CorrelationID: a.fields.CorrelationID, RateLimit: parseRateLimit(a.header)}
}

// ResponseError is an HTTP answer the connector did not take as success.
type ResponseError struct {
	StatusCode int
	// Code is the RFC 6749 error, HubSpot's status or its category.
	Code string
	// CorrelationID is the external side's id of the request, for its support.
	CorrelationID string
	// RateLimit is what the answer's X-HubSpot-RateLimit headers said, if
	// it had any.
	RateLimit *RateLimit
}

func (e *ResponseError) Error() string {
	s := fmt.Sprintf("HTTP %d", e.StatusCode)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.CorrelationID != "" {
		s += " (correlationId " + e.CorrelationID + ")"
	}
	return s
}

// maxRecordBody bounds answers that carry records: a page of 200 records
// with long text values is far above maxBody.
const maxRecordBody = 64 << 20

// send makes one API call. shown is the URL as error text may show it:
// for a URL with a token in its path, the same URL with the token replaced,
// since *url.Error carries the URL into every transport error.
func (c *Connector) send(ctx context.Context, method, rawURL, shown, bearer string) (answer, error) {
	return c.sendJSON(ctx, method, rawURL, shown, bearer, nil, maxBody)
}

// sendJSON is send with a JSON body (nil sends none) and an answer bound.
// Every answer's rate-limit headers go to the observer in ctx, if any.
func (c *Connector) sendJSON(ctx context.Context, method, rawURL, shown, bearer string, body any, limit int64) (answer, error) {
	var r io.Reader
	contentType := ""
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return answer{}, fmt.Errorf("hubspot: encode request body: %w", err)
		}
		r, contentType = bytes.NewReader(data), "application/json"
	}
	return c.do(ctx, method, rawURL, shown, bearer, r, contentType, limit)
}

// sendForm posts a form, as the OAuth endpoints take their parameters.
// Nothing in the URL is secret; the form may be.
func (c *Connector) sendForm(ctx context.Context, rawURL string, form url.Values) (answer, error) {
	return c.do(ctx, http.MethodPost, rawURL, rawURL, "", strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", maxBody)
}

// do makes one call and reads its answer, at most limit bytes of it.
func (c *Connector) do(ctx context.Context, method, rawURL, shown, bearer string, body io.Reader, contentType string, limit int64) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, method, rawURL, body)
	if err != nil {
		// The parse error quotes the URL, which may hold a token.
		return answer{}, &connector.Error{Reason: connector.ReasonAppConfig, Definite: true,
			Message: "the api_url setting of the hubspot integration is not a valid URL"}
	}
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if err := connector.Pace(ctx); err != nil {
		return answer{}, err
	}
	client := c.client
	if ctx.Value(waitingCall{}) != nil {
		client = c.waitClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return answer{}, unreachable(err, shown)
	}
	defer resp.Body.Close()
	observeRateLimit(ctx, resp.Header)
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return answer{}, unreachable(err, shown)
	}
	return newAnswer(resp.StatusCode, resp.Header, data), nil
}

// unreachable is a transport failure: no answer came. It is transient.
func unreachable(err error, shown string) *connector.Error {
	var ue *url.Error
	if errors.As(err, &ue) {
		scrubbed := *ue
		scrubbed.URL = shown
		err = &scrubbed
	}
	var dns *net.DNSError
	var ne net.Error
	msg := "the external app could not be reached"
	switch {
	case errors.Is(err, context.Canceled):
		msg = "the call to the external app was cancelled"
	case errors.As(err, &dns):
		msg = "the external app's host name could not be resolved"
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		msg = "the external app did not answer in time"
	}
	return connector.Transient(connector.ReasonUnreachable, msg, err)
}

// redact is the last guard before an error leaves the package: should any
// secret of the call appear in its text, it is replaced. The connector keeps
// secrets out of its errors on its own; this catches what an external
// answer or a library might echo.
func redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	text := err.Error()
	var found []string
	for _, s := range secrets {
		// Short values are no credential, and replacing them would mangle
		// the text.
		if len(s) >= 8 && strings.Contains(text, s) {
			found = append(found, s)
		}
	}
	if len(found) == 0 {
		return err
	}
	clean := func(s string) string {
		for _, f := range found {
			s = strings.ReplaceAll(s, f, "[redacted]")
		}
		return s
	}
	e := *connector.AsError(err)
	e.Message, e.Detail, e.Said = clean(e.Message), clean(e.Detail), clean(e.Said)
	if e.Err != nil {
		// The chain is lost here, which is the point: any error in it
		// could print the secret again.
		e.Err = errors.New(clean(e.Err.Error()))
	}
	return &e
}
