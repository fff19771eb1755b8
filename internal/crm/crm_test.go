package crm_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/hubsync/hubsync/internal/crm"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/store"
)

func setup(t testing.TB, backend string) *crm.Service {
	svc := crm.NewService(hubtest.OpenStore(t, hubtest.Backend(backend)))
	if err := svc.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	return svc
}

func forEachBackend(t *testing.T, fn func(t *testing.T, svc *crm.Service)) {
	for _, b := range []string{"sqlite", "postgres"} {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			fn(t, setup(t, b))
		})
	}
}

func TestChangeFeedRecordsWhatChanged(t *testing.T) {
	forEachBackend(t, func(t *testing.T, svc *crm.Service) {
		ctx := context.Background()
		rec, err := svc.Create(ctx, "private-app:1", "contacts", map[string]string{"email": "Ada@Example.com", "firstname": "Ada", "lastname": ""})
		if err != nil {
			t.Fatal(err)
		}
		id := strconv.FormatInt(rec.ID, 10)
		if _, err := svc.Update(ctx, "sync:7", "contacts", id, "", map[string]string{"firstname": "Ada", "lastname": "Lovelace"}); err != nil {
			t.Fatal(err)
		}
		// Same values again: no change, no feed entry.
		if _, err := svc.Update(ctx, "sync:7", "contacts", "ada@example.com", "email", map[string]string{"lastname": "Lovelace"}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Update(ctx, "cli", "contacts", id, "", map[string]string{"firstname": ""}); err != nil {
			t.Fatal(err)
		}
		if err := svc.Archive(ctx, "cli", "contacts", id); err != nil {
			t.Fatal(err)
		}
		changes, err := svc.Changes(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		type entry struct {
			Kind, Source string
			Props        map[string]string
		}
		var got []entry
		for _, c := range changes {
			if c.RecordID != rec.ID || c.ObjectType != "contacts" {
				t.Errorf("change %+v is not about the contact", c)
			}
			got = append(got, entry{c.Kind, c.Source, c.Props})
		}
		want := []entry{
			{crm.ChangeCreated, "private-app:1", map[string]string{"email": "ada@example.com", "firstname": "Ada"}},
			{crm.ChangeUpdated, "sync:7", map[string]string{"lastname": "Lovelace"}},
			{crm.ChangeUpdated, "cli", map[string]string{"firstname": ""}},
			{crm.ChangeArchived, "cli", map[string]string{}},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("feed (-want +got):\n%s", diff)
		}
		for i := 1; i < len(changes); i++ {
			if changes[i].Seq <= changes[i-1].Seq {
				t.Errorf("sequence not increasing: %d then %d", changes[i-1].Seq, changes[i].Seq)
			}
		}
	})
}

func TestUpsertByEmail(t *testing.T) {
	forEachBackend(t, func(t *testing.T, svc *crm.Service) {
		ctx := context.Background()
		old, err := svc.Create(ctx, "cli", "contacts", map[string]string{"email": "old@example.com", "firstname": "Old"})
		if err != nil {
			t.Fatal(err)
		}
		res, err := svc.BatchUpsert(ctx, "cli", "contacts", []crm.Input{
			{ID: "OLD@example.com", IDProperty: "email", Properties: map[string]string{"firstname": "Renamed"}},
			{ID: "new@example.com", IDProperty: "email", Properties: map[string]string{"firstname": "New"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].New || res[0].Record.ID != old.ID || res[0].Record.Props["firstname"] != "Renamed" {
			t.Errorf("existing contact: %+v", res[0])
		}
		if !res[1].New || res[1].Record.Props["email"] != "new@example.com" || res[1].Record.Props["firstname"] != "New" {
			t.Errorf("new contact: %+v", res[1])
		}
		_, err = svc.BatchUpsert(ctx, "cli", "contacts", []crm.Input{{ID: "x", IDProperty: "firstname"}})
		var ce *crm.Error
		if !errors.As(err, &ce) || ce.Code != crm.CodeInvalidValue {
			t.Errorf("upsert by a non-unique property: %v", err)
		}
	})
}

func TestUniqueCustomPropertyOverDuplicatesIsRefused(t *testing.T) {
	forEachBackend(t, func(t *testing.T, svc *crm.Service) {
		ctx := context.Background()
		for range 2 {
			if _, err := svc.Create(ctx, "cli", "companies", map[string]string{"domain": "same.example"}); err != nil {
				t.Fatal(err)
			}
		}
		// Define a unique property, then try to fill it twice with one value.
		p := store.Property{Name: "vat_id", Label: "VAT id", Type: "string", FieldType: "text", GroupName: "companyinformation", HasUniqueValue: true}
		if _, err := svc.CreateProperty(ctx, "companies", p); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Create(ctx, "cli", "companies", map[string]string{"vat_id": "DE1"}); err != nil {
			t.Fatal(err)
		}
		_, err := svc.Create(ctx, "cli", "companies", map[string]string{"vat_id": "de1"})
		var ce *crm.Error
		if !errors.As(err, &ce) || ce.Kind != crm.KindConflict {
			t.Fatalf("second DE1: %v, want a conflict", err)
		}
		// Making an already-duplicated property unique fails and leaves no definition.
		p2 := store.Property{Name: "domain_copy", Label: "x", Type: "string", FieldType: "text", GroupName: "g"}
		if _, err := svc.CreateProperty(ctx, "companies", p2); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := svc.Create(ctx, "cli", "companies", map[string]string{"domain_copy": "dup"}); err != nil {
				t.Fatal(err)
			}
		}
		p3 := store.Property{Name: "code", Label: "x", Type: "string", FieldType: "text", GroupName: "g", HasUniqueValue: true}
		if _, err := svc.CreateProperty(ctx, "companies", p3); err != nil {
			t.Fatalf("unique property with no values yet: %v", err)
		}
	})
}

// TestFeedReplaysToState checks the invariant outbound sync builds on:
// replaying the change feed from the start rebuilds every record exactly.
func TestFeedReplaysToState(t *testing.T) {
	svc := setup(t, "sqlite")
	ctx := context.Background()
	names := []string{"firstname", "lastname", "phone", "company"}
	rapid.Check(t, func(rt *rapid.T) {
		before, err := svc.Changes(ctx, 0, 1<<30)
		if err != nil {
			rt.Fatal(err)
		}
		var start int64
		if len(before) > 0 {
			start = before[len(before)-1].Seq
		}
		var ids []string
		for i := range rapid.IntRange(1, 30).Draw(rt, "steps") {
			props := map[string]string{}
			for _, n := range names {
				if rapid.Bool().Draw(rt, "set "+n) {
					props[n] = rapid.SampledFrom([]string{"", "a", "b", "c"}).Draw(rt, n)
				}
			}
			switch op := rapid.IntRange(0, 2).Draw(rt, "op"); {
			case op == 0 || len(ids) == 0:
				r, err := svc.Create(ctx, "test", "contacts", props)
				if err != nil {
					rt.Fatal(err)
				}
				ids = append(ids, strconv.FormatInt(r.ID, 10))
			case op == 1:
				id := rapid.SampledFrom(ids).Draw(rt, "id")
				if _, err := svc.Update(ctx, "test", "contacts", id, "", props); err != nil && !isNotFound(err) {
					rt.Fatalf("step %d: %v", i, err)
				}
			default:
				if err := svc.Archive(ctx, "test", "contacts", rapid.SampledFrom(ids).Draw(rt, "id")); err != nil {
					rt.Fatal(err)
				}
			}
		}
		replayed := map[int64]map[string]string{}
		archived := map[int64]bool{}
		changes, err := svc.Changes(ctx, start, 1<<30)
		if err != nil {
			rt.Fatal(err)
		}
		for _, c := range changes {
			if replayed[c.RecordID] == nil {
				replayed[c.RecordID] = map[string]string{}
			}
			archived[c.RecordID] = archived[c.RecordID] || c.Kind == crm.ChangeArchived
			for k, v := range c.Props {
				if v == "" {
					delete(replayed[c.RecordID], k)
				} else {
					replayed[c.RecordID][k] = v
				}
			}
		}
		recs, missing, err := svc.BatchRead(ctx, "contacts", ids, "", false)
		if err != nil {
			rt.Fatal(err)
		}
		for _, r := range recs {
			if archived[r.ID] {
				rt.Errorf("record %d is live but the feed archived it", r.ID)
			}
			if diff := cmp.Diff(replayed[r.ID], r.Props); diff != "" {
				rt.Errorf("record %d differs from its replayed feed (-feed +stored):\n%s", r.ID, diff)
			}
		}
		for _, id := range missing {
			n, _ := strconv.ParseInt(id, 10, 64)
			if !archived[n] {
				rt.Errorf("record %s is gone but the feed never archived it", id)
			}
		}
	})
}

func isNotFound(err error) bool {
	var ce *crm.Error
	return errors.As(err, &ce) && ce.Kind == crm.KindNotFound
}
