package demo_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubsync/hubsync/internal/audit"
	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/demo"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
)

// TestWalkNamesTheStepThatFailed: a walk whose stage is not what the
// story needs stops at that step and says which one and why.
func TestWalkNamesTheStepThatFailed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	out := &hubtest.SyncBuffer{}
	d, err := demo.Start(ctx, demo.Options{Dir: filepath.Join(t.TempDir(), "demo"), Records: 3, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	})
	admin, err := d.Ours.Hub.Identity.User(ctx, "admin@our.example")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Ours.Hub.Connections.Pause(ctx, audit.Actor{ID: admin.ID, Label: admin.Email}, d.ConnectionID); err != nil {
		t.Fatal(err)
	}
	err = d.Walk(ctx)
	var step *demo.StepError
	if !errors.As(err, &step) || step.Step != 1 || !strings.Contains(err.Error(), "check the stage") ||
		!strings.Contains(err.Error(), connection.StatusPaused) {
		t.Fatalf("walk on a paused connection: %v, want step 1 (check the stage) failing on the paused status", err)
	}
	if strings.Contains(out.String(), "removed connector") {
		t.Errorf("the walk went on after the failed step:\n%s", out.String())
	}
}
