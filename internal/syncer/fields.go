package syncer

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/crm"
	"github.com/hubsync/hubsync/internal/store"
)

// An object sync names fields on both sides: its mappings, its filters and
// its match keys. They are checked when the sync is added or changed, the
// hub's against its property definitions and the external ones against
// the external object, so that a wrong name is refused with the names that
// exist. Before each run the external ones are checked again (from what the
// connector learned recently, looking again at a name it lacks), since the
// external side changes on its own: a field gone makes that object sync
// fail as mapping_invalid, which degrades the connection while its other
// object syncs go on.

// readFields are the external fields a sync reads: the mapped ones, the
// match key's and those its external filters test.
func readFields(os store.ObjectSync) []string {
	return sideFields(os.Mappings, func(m store.FieldMapping) string { return m.App }, os.AppMatchKey, os.AppFilters)
}

// hubFields are the hub properties a sync names.
func hubFields(os store.ObjectSync) []string {
	return sideFields(os.Mappings, func(m store.FieldMapping) string { return m.Hub }, os.HubMatchKey, os.HubFilters)
}

// sideFields are the names one side of a sync uses, each once: in its
// mappings (side picks that side's name), as its match key, in its filters.
func sideFields(ms []store.FieldMapping, side func(store.FieldMapping) string, matchKey string, filters []store.Filter) []string {
	out := make([]string, 0, len(ms)+len(filters)+1)
	for _, m := range ms {
		out = append(out, side(m))
	}
	if matchKey != "" {
		out = append(out, matchKey)
	}
	for _, f := range filters {
		out = append(out, f.Property)
	}
	return uniq(out)
}

func uniq(names []string) []string {
	out := names[:0]
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// checkHubFields refuses hub properties the sync names that the hub does
// not have, listing those it has.
func (e *Engine) checkHubFields(ctx context.Context, os store.ObjectSync) error {
	props, err := e.crm.Properties(ctx, os.HubObject, false)
	if err != nil {
		return err
	}
	have := make([]string, len(props))
	for i, p := range props {
		have[i] = p.Name
	}
	var missing []string
	for _, f := range hubFields(os) {
		if slices.Contains(have, f) {
			continue
		}
		// Property also knows the names every object answers to.
		_, err := e.crm.Property(ctx, os.HubObject, f, false)
		var ce *crm.Error
		switch {
		case errors.As(err, &ce) && ce.Kind == crm.KindNotFound:
			missing = append(missing, f)
		case err != nil:
			return err
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", connection.ErrInvalid, connector.MappingInvalid("the hub's "+os.HubObject, missing, have).Message)
}

// checkAppFields refuses external fields the sync names that the external
// object lacks, asking the external app now. The connection must be usable
// or paused: the credential of one held for a break is not used.
func (e *Engine) checkAppFields(ctx context.Context, os store.ObjectSync) error {
	sess, err := e.conns.Look(ctx, os.ConnectionID)
	if errors.Is(err, connection.ErrHeld) {
		return fmt.Errorf("%w (an object sync's fields are checked against the external app before they are saved: repair the connection first, or disable the object sync)", err)
	}
	if err != nil {
		return err
	}
	limit, err := e.limiter(sess)
	if err != nil {
		return fmt.Errorf("%w: %v", connection.ErrInvalid, err)
	}
	if limit != nil {
		ctx = connector.WithPacer(ctx, limit)
	}
	return connector.CheckFields(ctx, sess.Connector, sess.Target, sess.Credential, os.ExternalObject, readFields(os), true)
}

// checkRunFields is the check before a run syncs os.
func (e *Engine) checkRunFields(ctx context.Context, r *run, os store.ObjectSync) error {
	return e.external(ctx, r, func(ctx context.Context) error {
		return connector.CheckFields(ctx, r.sess.Connector, r.sess.Target, r.sess.Credential, os.ExternalObject, readFields(os), false)
	})
}

// ofSync adds the object sync to the detail of a mapping_invalid error,
// found before the run or by a write, for the connection's reason.
func ofSync(err error, os store.ObjectSync) error {
	var ce *connector.Error
	if !errors.As(err, &ce) || ce.Reason != connector.ReasonMappingInvalid {
		return err
	}
	named := *ce
	named.Detail = fmt.Sprintf("%s (object sync %d, %s)", ce.Detail, os.ID, os.HubObject)
	return &named
}

func mappingInvalid(err error) bool {
	var ce *connector.Error
	return errors.As(err, &ce) && ce.Reason == connector.ReasonMappingInvalid
}
