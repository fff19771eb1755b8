package connection

import (
	"strings"
	"testing"
	"time"
)

// Every concern the home page can show has a sentence, a next step and an
// action a page knows, and every review flag but failing (which the
// status says) has its entry.
func TestConcernCatalogIsWhole(t *testing.T) {
	actions := map[string]bool{ActionReconnect: true, ActionResume: true, ActionTransfer: true, ActionReview: true, ActionOpen: true}
	for code, k := range concerns {
		if !strings.HasSuffix(k.sentence, ".") || !strings.HasSuffix(k.next, ".") || !actions[k.action] {
			t.Errorf("%s: sentence %q, next %q, action %q", code, k.sentence, k.next, k.action)
		}
	}
	for _, flag := range []string{FlagStale, FlagNonAdminOwner, FlagOwnerDeparted, FlagNoOwner, FlagMaintainerDeparted, FlagReviewOverdue} {
		if _, ok := concerns[flag]; !ok {
			t.Errorf("review flag %s has no entry in the concern catalog", flag)
		}
	}
	if c := concern("some_new_flag", time.Time{}); c.Sentence == "" || c.Action != ActionReview {
		t.Errorf("a flag without an entry shows as %+v", c)
	}
}
