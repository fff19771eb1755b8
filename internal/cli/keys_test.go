package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/config"
	"github.com/hubsync/hubsync/internal/hub"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/vault"
)

type keyRow struct {
	ID      uint32
	Primary bool
	Status  string
	InUse   int `json:"in_use"`
}

func listKeys(t *testing.T, args ...string) map[uint32]keyRow {
	t.Helper()
	var rows []keyRow
	out := mustRun(t, append(args, "keys", "list", "--json")...)
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	m := map[uint32]keyRow{}
	for _, r := range rows {
		m[r.ID] = r
	}
	return m
}

// seedSecrets stores an integration secret and a webhook secret sealed with
// the hub's vault and returns the plaintexts.
func seedSecrets(t *testing.T, cfg config.Config) []string {
	t.Helper()
	ctx := context.Background()
	h, err := hub.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	plain := []string{"integration-secret-b1e7c0de", "webhook-secret-f00dcafe"}
	now := time.Now()
	err = h.Store.Update(ctx, func(tx store.Tx) error {
		in, err := tx.CreateIntegration(ctx, store.Integration{Name: "hubspot", Provider: "hubspot",
			AuthKind: "oauth2", Config: map[string]string{}, CreatedAt: now, UpdatedAt: now})
		if err != nil {
			return err
		}
		if in.Secret, err = h.Vault.Seal([]byte(plain[0]), vault.IntegrationAAD(in.ID)); err != nil {
			return err
		}
		if err := tx.UpdateIntegration(ctx, in); err != nil {
			return err
		}
		w, err := tx.CreateWebhook(ctx, store.Webhook{URL: "https://example.com/hook", CreatedAt: now})
		if err != nil {
			return err
		}
		if w.Secret, err = h.Vault.Seal([]byte(plain[1]), vault.WebhookAAD(w.ID)); err != nil {
			return err
		}
		return tx.UpdateWebhook(ctx, w)
	})
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

func TestKeysRotateAndRetire(t *testing.T) {
	cfg := config.Config{DataDir: t.TempDir()}
	args := []string{"--data-dir", cfg.DataDir}
	plain := seedSecrets(t, cfg)

	keys := listKeys(t, args...)
	if len(keys) != 1 {
		t.Fatalf("a new keyset has keys %+v", keys)
	}
	var first keyRow
	for _, k := range keys {
		first = k
	}
	if !first.Primary || first.Status != "enabled" || first.InUse != 2 {
		t.Errorf("first key %+v", first)
	}
	if code, _, errOut := run(t, "", append(args, "keys", "retire", fmt.Sprint(first.ID))...); code == 0 || !strings.Contains(errOut, "primary") {
		t.Errorf("retiring the primary: exit %d, %q", code, errOut)
	}

	code, out, errOut := run(t, "", append(args, "keys", "rotate")...)
	if code != 0 {
		t.Fatalf("rotate: %s", errOut)
	}
	for _, want := range []string{"new primary key", "re-sealed 2 values", fmt.Sprintf("hubsync keys retire %d", first.ID)} {
		if !strings.Contains(out, want) {
			t.Errorf("rotate printed %q, want %q in it", out, want)
		}
	}
	if !strings.Contains(errOut, "re-sealing") || !strings.Contains(errOut, "2/2") {
		t.Errorf("rotate drew no progress bar on stderr: %q", errOut)
	}
	for _, pt := range plain {
		if strings.Contains(out+errOut, pt) {
			t.Error("rotate printed a secret")
		}
	}
	keys = listKeys(t, args...)
	if len(keys) != 2 || keys[first.ID].Primary || keys[first.ID].InUse != 0 {
		t.Fatalf("after rotate: %+v", keys)
	}
	var second keyRow
	for _, k := range keys {
		if k.Primary {
			second = k
		}
	}
	if second.InUse != 2 {
		t.Errorf("new primary %+v", second)
	}

	// A rotation without a reseal (as another process might leave it)
	// keeps the second key in use, and retiring it is refused.
	v, err := vault.Open(cfg.VaultFile())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Rotate(); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = run(t, "", append(args, "keys", "retire", fmt.Sprint(second.ID))...)
	if code == 0 || !strings.Contains(errOut, "still seals 2") || !strings.Contains(errOut, "hubsync keys reseal") {
		t.Errorf("retiring a key in use: exit %d, %q", code, errOut)
	}
	out = mustRun(t, append(args, "keys", "reseal")...)
	if !strings.Contains(out, "re-sealed 2 values") {
		t.Errorf("reseal printed %q", out)
	}
	mustRun(t, append(args, "keys", "retire", fmt.Sprint(second.ID))...)
	mustRun(t, append(args, "keys", "retire", fmt.Sprint(first.ID))...)
	keys = listKeys(t, args...)
	if len(keys) != 1 || keys[v.Primary()].InUse != 2 {
		t.Errorf("after retiring both old keys: %+v", keys)
	}

	list := mustRun(t, append(args, "keys", "list")...)
	if !strings.Contains(list, "CIPHERTEXTS") || !strings.Contains(list, fmt.Sprint(v.Primary())) {
		t.Errorf("keys list printed %q", list)
	}
	for _, bad := range [][]string{
		{"keys", "retire", "abc"},
		{"keys", "retire", "12345"},
		{"keys", "retire", fmt.Sprint(first.ID)},
	} {
		if code, _, errOut := run(t, "", append(args, bad...)...); code == 0 || errOut == "" {
			t.Errorf("hubsync %s succeeded", strings.Join(bad, " "))
		}
	}
}
