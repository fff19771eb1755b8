package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hubsync/hubsync/internal/store"
)

// hash is a token hash as the oauth package would store it: 32 arbitrary
// bytes, zeros included.
func hash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	h[0] = 0
	return h[:]
}

func storedApp(p store.PrivateApp) store.PrivateApp {
	p.PreviousExpiresAt, p.CreatedAt, p.UpdatedAt = stored(p.PreviousExpiresAt), stored(p.CreatedAt), stored(p.UpdatedAt)
	p.RotatedAt, p.LastUsedAt = stored(p.RotatedAt), stored(p.LastUsedAt)
	return p
}

func testPrivateApps(t *testing.T, s store.Store) {
	in := []store.PrivateApp{
		{
			Name:      "importer",
			Scopes:    []string{"crm.objects.contacts.read", "crm.objects.contacts.write"},
			TokenHash: hash("one"),
			CreatedBy: 4,
			CreatedAt: when(0),
			UpdatedAt: when(0),
		},
		{
			Name:              "rotated",
			Scopes:            []string{"crm.schemas.contacts.read"},
			TokenHash:         hash("two"),
			PreviousTokenHash: hash("two-old"),
			PreviousExpiresAt: when(24 * time.Hour),
			CreatedAt:         when(time.Minute),
			UpdatedAt:         when(time.Hour),
			RotatedAt:         when(time.Hour),
			LastUsedAt:        when(2 * time.Hour),
		},
	}
	var want []store.PrivateApp
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, p := range in {
			got, err := tx.CreatePrivateApp(ctx, p)
			if err != nil {
				return err
			}
			p.ID = got.ID
			if diff := cmp.Diff(storedApp(p), got, opts); diff != "" {
				t.Errorf("CreatePrivateApp does not return the stored value (-stored +returned):\n%s", diff)
			}
			want = append(want, storedApp(p))
		}
		return nil
	})
	if want[0].ID <= 0 || want[1].ID <= want[0].ID {
		t.Fatalf("private app ids %d, %d: want positive and increasing", want[0].ID, want[1].ID)
	}

	for _, w := range want {
		got := get(t, s, func(ctx context.Context, tx store.Tx) (store.PrivateApp, error) { return tx.PrivateApp(ctx, w.ID) })
		if diff := cmp.Diff(w, got, opts); diff != "" {
			t.Errorf("PrivateApp(%d) (-want +got):\n%s", w.ID, diff)
		}
	}
	all := get(t, s, func(ctx context.Context, tx store.Tx) ([]store.PrivateApp, error) { return tx.PrivateApps(ctx) })
	if diff := cmp.Diff(want, all, opts); diff != "" {
		t.Errorf("PrivateApps (-want +got):\n%s", diff)
	}

	byHash := func(h []byte) (store.PrivateApp, error) {
		var p store.PrivateApp
		err := s.View(t.Context(), func(tx store.Tx) (err error) {
			p, err = tx.PrivateAppByTokenHash(t.Context(), h)
			return err
		})
		return p, err
	}
	for _, tc := range []struct {
		token string
		want  int64
	}{
		{"one", want[0].ID},
		{"two", want[1].ID},
		{"two-old", want[1].ID},
	} {
		got, err := byHash(hash(tc.token))
		if err != nil || got.ID != tc.want {
			t.Errorf("PrivateAppByTokenHash(%s) = app %d, %v; want app %d", tc.token, got.ID, err, tc.want)
		}
	}
	if _, err := byHash(hash("unknown")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PrivateAppByTokenHash(unknown) error = %v, want ErrNotFound", err)
	}

	// Token hashes are unique: no new app and no update may take one in use.
	wantErr(t, s, store.ErrAlreadyExists, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.CreatePrivateApp(ctx, store.PrivateApp{Name: "dup", TokenHash: hash("one"), CreatedAt: when(0), UpdatedAt: when(0)})
		return err
	})
	wantErr(t, s, store.ErrAlreadyExists, func(ctx context.Context, tx store.Tx) error {
		p := want[1]
		p.TokenHash = hash("one")
		return tx.UpdatePrivateApp(ctx, p)
	})

	// Rotate the first app: the old hash stays findable as the previous one.
	rotated := want[0]
	rotated.Name = "importer v2"
	rotated.Scopes = []string{"crm.objects.deals.read"}
	rotated.PreviousTokenHash, rotated.TokenHash = rotated.TokenHash, hash("three")
	rotated.PreviousExpiresAt = when(72 * time.Hour)
	rotated.UpdatedAt, rotated.RotatedAt, rotated.LastUsedAt = when(48*time.Hour), when(48*time.Hour), when(49*time.Hour)
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdatePrivateApp(ctx, rotated) })
	got := get(t, s, func(ctx context.Context, tx store.Tx) (store.PrivateApp, error) {
		return tx.PrivateApp(ctx, rotated.ID)
	})
	if diff := cmp.Diff(storedApp(rotated), got, opts); diff != "" {
		t.Errorf("after UpdatePrivateApp (-want +got):\n%s", diff)
	}
	for _, token := range []string{"one", "three"} {
		if got, err := byHash(hash(token)); err != nil || got.ID != rotated.ID {
			t.Errorf("after rotation, PrivateAppByTokenHash(%s) = app %d, %v; want app %d", token, got.ID, err, rotated.ID)
		}
	}

	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeletePrivateApp(ctx, rotated.ID) })
	wantViewErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.PrivateApp(ctx, rotated.ID)
		return err
	})
	for _, token := range []string{"one", "three"} {
		if _, err := byHash(hash(token)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after delete, PrivateAppByTokenHash(%s) error = %v, want ErrNotFound", token, err)
		}
	}
	wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error { return tx.DeletePrivateApp(ctx, rotated.ID) })
	wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error { return tx.UpdatePrivateApp(ctx, rotated) })
	all = get(t, s, func(ctx context.Context, tx store.Tx) ([]store.PrivateApp, error) { return tx.PrivateApps(ctx) })
	if diff := cmp.Diff(want[1:], all, opts); diff != "" {
		t.Errorf("PrivateApps after delete (-want +got):\n%s", diff)
	}
	// The deleted app's hash is free again.
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.CreatePrivateApp(ctx, store.PrivateApp{Name: "reuse", TokenHash: hash("three"), CreatedAt: when(0), UpdatedAt: when(0)})
		return err
	})
}

func testProperties(t *testing.T, s store.Store) {
	props := []store.Property{
		{ObjectType: "contacts", Name: "zeta", Label: "Zeta", Type: "string", FieldType: "text", GroupName: "contactinformation"},
		{
			ObjectType: "contacts", Name: "tier", Label: "Tier", Type: "enumeration", FieldType: "select",
			GroupName: "sales", Description: "Customer \"tier\"", HasUniqueValue: false, DisplayOrder: -1,
			Options: []store.Option{
				{Label: "Gold", Value: "gold", DisplayOrder: 0},
				{Label: "Legacy", Value: "legacy", Hidden: true, DisplayOrder: 2},
			},
			CreatedAt: when(0), UpdatedAt: when(time.Hour),
		},
		// Byte order puts "a1" before "a_1"; a linguistic collation would not.
		{ObjectType: "contacts", Name: "a_1", Label: "A_1", Type: "number", FieldType: "number", GroupName: "g"},
		{ObjectType: "contacts", Name: "a1", Label: "A1", Type: "string", FieldType: "text", GroupName: "g", HasUniqueValue: true, DisplayOrder: 7},
		{ObjectType: "companies", Name: "tier", Label: "Company tier", Type: "string", FieldType: "text", GroupName: "g"},
		{ObjectType: "companies", Name: "old", Label: "Old", Type: "string", FieldType: "text", GroupName: "g",
			Archived: true, ArchivedAt: when(2 * time.Hour), CreatedAt: when(0), UpdatedAt: when(2 * time.Hour)},
	}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, p := range props {
			if err := tx.CreateProperty(ctx, p); err != nil {
				return err
			}
		}
		return nil
	})
	wantErr(t, s, store.ErrAlreadyExists, func(ctx context.Context, tx store.Tx) error {
		return tx.CreateProperty(ctx, store.Property{ObjectType: "contacts", Name: "tier", Label: "Again", Type: "string", FieldType: "text", GroupName: "g"})
	})

	storedProp := func(p store.Property) store.Property {
		p.CreatedAt, p.UpdatedAt, p.ArchivedAt = stored(p.CreatedAt), stored(p.UpdatedAt), stored(p.ArchivedAt)
		return p
	}
	wantProperties := func(what string, cases map[string][]store.Property) {
		t.Helper()
		for objectType, want := range cases {
			got := get(t, s, func(ctx context.Context, tx store.Tx) ([]store.Property, error) {
				return tx.Properties(ctx, objectType)
			})
			if diff := cmp.Diff(want, got, opts); diff != "" {
				t.Errorf("Properties(%s) %s (-want +got):\n%s", objectType, what, diff)
			}
		}
	}
	wantProperties("after create", map[string][]store.Property{
		"contacts":  {storedProp(props[3]), storedProp(props[2]), storedProp(props[1]), storedProp(props[0])},
		"companies": {storedProp(props[5]), storedProp(props[4])},
		"deals":     nil,
	})

	// UpdateProperty replaces every field but the key; the same name on
	// another object type stays as it was.
	archived := props[1]
	archived.Label, archived.Type, archived.FieldType, archived.GroupName = "Tier (old)", "string", "text", "other"
	archived.Description, archived.Options, archived.HasUniqueValue, archived.DisplayOrder = "", nil, true, 3
	archived.UpdatedAt, archived.Archived, archived.ArchivedAt = when(3*time.Hour), true, when(3*time.Hour)
	restored := props[5]
	restored.Archived, restored.ArchivedAt, restored.UpdatedAt = false, time.Time{}, when(4*time.Hour)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.UpdateProperty(ctx, archived); err != nil {
			return err
		}
		return tx.UpdateProperty(ctx, restored)
	})
	wantProperties("after update", map[string][]store.Property{
		"contacts":  {storedProp(props[3]), storedProp(props[2]), storedProp(archived), storedProp(props[0])},
		"companies": {storedProp(restored), storedProp(props[4])},
	})
	wantErr(t, s, store.ErrNotFound, func(ctx context.Context, tx store.Tx) error {
		missing := props[4]
		missing.ObjectType = "deals"
		return tx.UpdateProperty(ctx, missing)
	})
}
