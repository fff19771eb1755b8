package hubspot_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/store"
)

// TestFieldsAndUnknownProperties: the connector lists an object's
// properties, a mapping of one that does not exist is refused with what
// exists, a property made since the listing was learned is found, and a
// write of an unknown property fails the whole call as mapping_invalid
// instead of refusing record after record.
func TestFieldsAndUnknownProperties(t *testing.T) {
	t.Parallel()
	c, b := setupRecords(t)
	ctx := context.Background()
	s, err := c.Fields(ctx, b.target, b.cred, "contacts", false)
	if err != nil || s.Object != "contacts" || !slices.Contains(s.Fields, "firstname") || !slices.IsSorted(s.Fields) {
		t.Fatalf("Fields: %+v %v", s, err)
	}
	err = connector.CheckFields(ctx, c, b.target, b.cred, "contacts", []string{"email", "first_name"}, true)
	e := wantError(t, err, connector.ReasonMappingInvalid, true, []string{b.cred.APIKey}, `contacts has no field "first_name"; did you mean firstname?`, "It has: ")
	if e.Detail != "first_name on contacts" || !strings.Contains(e.Message, " lastname, ") {
		t.Errorf("detail %q, message %q", e.Detail, e.Message)
	}

	if _, err := b.a.Hub.CRM.CreateProperty(ctx, "contacts", store.Property{Name: "favourite_colour", Label: "Favourite colour",
		Type: "string", FieldType: "text", GroupName: "contactinformation"}); err != nil {
		t.Fatal(err)
	}
	if err := connector.CheckFields(ctx, c, b.target, b.cred, "contacts", []string{"favourite_colour"}, false); err != nil {
		t.Errorf("a property made after the listing was learned: %v", err)
	}

	_, err = c.Apply(ctx, b.target, b.cred, "contacts", []connector.Write{
		{Ref: "a", IdempotencyKey: "k-a", Props: map[string]string{"email": "a@example.com", "nosuchfield": "x"}},
		{Ref: "b", IdempotencyKey: "k-b", Props: map[string]string{"email": "b@example.com"}},
	})
	e = wantError(t, err, connector.ReasonMappingInvalid, true, []string{b.cred.APIKey}, `"nosuchfield"`)
	if e.Detail != "nosuchfield on contacts" {
		t.Errorf("Apply of an unknown property: detail %q", e.Detail)
	}
	if recs, _, err := b.a.Hub.CRM.List(ctx, "contacts", false, "", 10); err != nil || len(recs) != 0 {
		t.Errorf("a refused batch left %d contacts (%v)", len(recs), err)
	}

	// A token that may not read property definitions cannot have its
	// mappings checked ahead: they pass, and writes tell.
	noSchema := connector.Credential{APIKey: b.a.Token(t, "crm.objects.contacts.read", "crm.objects.contacts.write")}
	if _, err := c.Fields(ctx, b.target, noSchema, "contacts", true); !errors.Is(err, connector.ErrNoFieldList) {
		t.Errorf("Fields without the schema scope: %v", err)
	}
	if err := connector.CheckFields(ctx, c, b.target, noSchema, "contacts", []string{"nosuchfield"}, true); err != nil {
		t.Errorf("CheckFields without the schema scope: %v", err)
	}
}
