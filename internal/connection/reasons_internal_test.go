package connection

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/hubsync/hubsync/internal/connector"
)

// TestReasonSentencesQuoteTheExternalAppOnce builds the sentence of every
// reason from a refusal in which the external app said something: its
// words appear once, in quotation marks, with no second "the external app
// says … said" and no doubled full stop.
func TestReasonSentencesQuoteTheExternalAppOnce(t *testing.T) {
	const said = "The refresh token was revoked by admin@a.example."
	const quoted = `"The refresh token was revoked by admin@a.example"`
	refusals := map[string]connector.Error{
		"said only": {Message: "the grant was revoked on the external side", Said: said},
		"said with what it affects": {Message: "the external app refused access to deals", Said: said,
			Detail: "deals: crm.objects.deals.read"},
		"said, message ending in a full stop": {Message: "the external app says the grant was revoked.", Said: said + ".."},
	}
	codes := append(slices.Sorted(maps.Keys(reasons)), "some_future_reason")
	for _, code := range codes {
		if r, ok := reasons[code]; ok && !strings.Contains(r.sentence, "%s") {
			continue // a reason that takes no detail, such as awaiting_consent
		}
		for name, e := range refusals {
			e.Reason = code
			_, sentence, _ := explain(code, errorDetail(&e))
			lower := strings.ToLower(sentence)
			switch {
			case strings.Count(sentence, quoted) != 1:
				t.Errorf("%s, %s: %q does not quote the external app exactly once", code, name, sentence)
			case strings.Count(lower, "external app") > 1:
				t.Errorf("%s, %s: %q names the external app twice", code, name, sentence)
			case strings.Contains(sentence, ".."), !strings.HasSuffix(sentence, "."):
				t.Errorf("%s, %s: %q does not end with one full stop", code, name, sentence)
			case e.Detail != "" && !strings.Contains(sentence, e.Detail):
				t.Errorf("%s, %s: %q does not say what is affected (%s)", code, name, sentence, e.Detail)
			}
		}
	}
}

// TestReasonSentenceWithoutQuote keeps the connector's words when the
// external app said nothing, still with one full stop.
func TestReasonSentenceWithoutQuote(t *testing.T) {
	e := connector.Error{Reason: connector.ReasonAPIKeyInvalid, Message: `the database rejected the password for user "sync".`}
	_, sentence, _ := explain(e.Reason, errorDetail(&e))
	if want := `The external app rejected the connection's key or password: the database rejected the password for user "sync".`; sentence != want {
		t.Errorf("sentence %q, want %q", sentence, want)
	}
}
