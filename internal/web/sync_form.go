package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/store"
	"github.com/hubsync/hubsync/internal/syncer"
)

// syncForm is the object sync form as posted: every setting at once, so a
// save sets them all. Rows left blank are dropped; rows ticked "Remove"
// too.
type syncForm struct {
	HubObject, ExternalObject string
	Direction                 string
	Mappings                  []store.FieldMapping
	HubFilters, AppFilters    []store.Filter
	HubMatchKey, AppMatchKey  string
	ConflictRule              string
	PropagateDeletes          bool
}

// blankRows are the empty rows a form offers for adding a mapping or a
// filter without JavaScript.
const (
	blankMappings = 2
	blankFilters  = 1
)

// formOf is the form showing an object sync's settings.
func formOf(os store.ObjectSync) syncForm {
	return syncForm{HubObject: os.HubObject, ExternalObject: os.ExternalObject, Direction: os.Direction,
		Mappings: slices.Clone(os.Mappings), HubFilters: slices.Clone(os.HubFilters), AppFilters: slices.Clone(os.AppFilters),
		HubMatchKey: os.HubMatchKey, AppMatchKey: os.AppMatchKey, ConflictRule: os.ConflictRule, PropagateDeletes: os.PropagateDeletes}
}

// newSyncForm is the form of a new object sync of object: the engine's
// defaults.
func newSyncForm(object string) syncForm {
	key := syncer.DefaultMatchKey(object)
	return syncForm{HubObject: object, ExternalObject: object, Direction: store.DirectionTwoWay,
		Mappings: syncer.DefaultMappings(object), HubMatchKey: key, AppMatchKey: key, ConflictRule: syncer.RuleMostRecent}
}

// parseSyncForm reads the posted form. The engine checks the values.
func parseSyncForm(r *http.Request) syncForm {
	f := syncForm{HubObject: r.PostFormValue("hub_object"), ExternalObject: strings.TrimSpace(r.PostFormValue("external_object")),
		Direction: r.PostFormValue("direction"), HubMatchKey: strings.TrimSpace(r.PostFormValue("hub_match_key")),
		AppMatchKey: strings.TrimSpace(r.PostFormValue("app_match_key")), ConflictRule: r.PostFormValue("conflict_rule"),
		PropagateDeletes: r.PostFormValue("propagate_deletes") == "on"}
	hub, app, typ, dir := r.PostForm["map_hub"], r.PostForm["map_app"], r.PostForm["map_type"], r.PostForm["map_dir"]
	drop := r.PostForm["map_drop"]
	for i := range hub {
		m := store.FieldMapping{Hub: strings.TrimSpace(hub[i]), App: strings.TrimSpace(nth(app, i)), Type: nth(typ, i), Direction: nth(dir, i)}
		if slices.Contains(drop, strconv.Itoa(i)) || m.Hub == "" && m.App == "" {
			continue
		}
		f.Mappings = append(f.Mappings, m)
	}
	f.HubFilters = parseFilters(r, "hf")
	f.AppFilters = parseFilters(r, "af")
	return f
}

func parseFilters(r *http.Request, prefix string) []store.Filter {
	prop, op, val, drop := r.PostForm[prefix+"_prop"], r.PostForm[prefix+"_op"], r.PostForm[prefix+"_val"], r.PostForm[prefix+"_drop"]
	var out []store.Filter
	for i := range prop {
		f := store.Filter{Property: strings.TrimSpace(prop[i]), Operator: nth(op, i), Value: nth(val, i)}
		if slices.Contains(drop, strconv.Itoa(i)) || f.Property == "" {
			continue
		}
		out = append(out, f)
	}
	return out
}

func nth(vs []string, i int) string {
	if i < len(vs) {
		return vs[i]
	}
	return ""
}

// matchKeys are the form's match keys as the engine takes them: none at
// all when both are empty, the external one named after the mapping when
// only the hub's is given.
func (f syncForm) matchKeys() (hub, app *string) {
	h, a := f.HubMatchKey, f.AppMatchKey
	if a == "" && h != "" {
		return &h, nil
	}
	return &h, &a
}

// input is the form as an add.
func (f syncForm) input() syncer.ObjectSyncInput {
	hub, app := f.matchKeys()
	return syncer.ObjectSyncInput{HubObject: f.HubObject, ExternalObject: f.ExternalObject, Direction: f.Direction,
		Mappings: f.Mappings, HubFilters: f.HubFilters, AppFilters: f.AppFilters, HubMatchKey: hub, AppMatchKey: app,
		ConflictRule: f.ConflictRule, PropagateDeletes: f.PropagateDeletes}
}

// change is the form as an update that sets every setting.
func (f syncForm) change() syncer.ObjectSyncChange {
	hub, app := f.matchKeys()
	mappings := f.Mappings
	if mappings == nil {
		mappings = []store.FieldMapping{}
	}
	return syncer.ObjectSyncChange{Direction: &f.Direction, Mappings: mappings, HubFilters: &f.HubFilters,
		AppFilters: &f.AppFilters, HubMatchKey: hub, AppMatchKey: app, ConflictRule: &f.ConflictRule,
		PropagateDeletes: &f.PropagateDeletes}
}

// syncFormPage is what the add and edit pages show.
type syncFormPage struct {
	Conn store.Connection
	// Sync is the object sync being edited; zero for a new one.
	Sync store.ObjectSync
	Form syncForm
	// Objects are the hub objects a new sync may pair (the connection's,
	// not synced yet).
	Objects []string
	// HubProperties are the hub object's property names, offered as the
	// mapping's hub side.
	HubProperties []string
	Directions    []string
	Rules         []string
	Types         []string
	Operators     []string
	// Preview is the dry run of the form, when asked.
	Preview *syncer.Preview
	// Problem is why the engine refused the form.
	Problem string
	Action  string
	// Wizard: the connection has no object sync yet, so this is the last
	// step of the new-connection wizard.
	Wizard bool
}

// MappingRows are the mappings and the blank rows after them.
func (p syncFormPage) MappingRows() []store.FieldMapping {
	return append(slices.Clone(p.Form.Mappings), make([]store.FieldMapping, blankMappings)...)
}

// HubFilterRows and AppFilterRows are a side's filters and a blank row.
func (p syncFormPage) HubFilterRows() []store.Filter {
	return append(slices.Clone(p.Form.HubFilters), make([]store.Filter, blankFilters)...)
}

func (p syncFormPage) AppFilterRows() []store.Filter {
	return append(slices.Clone(p.Form.AppFilters), make([]store.Filter, blankFilters)...)
}

// syncFormPage is the add (os zero) or edit page of f.
func (c *Console) syncFormPage(ctx context.Context, conn store.Connection, os store.ObjectSync, f syncForm) syncFormPage {
	p := syncFormPage{Conn: conn, Sync: os, Form: f, Wizard: os.ID == 0 && c.syncsNone(ctx, conn.ID),
		Directions: syncer.Directions(), Rules: syncer.ConflictRules(), Types: syncer.FieldTypes(),
		Operators: syncer.FilterOperators(), Action: syncsURL(conn.ID) + "/new"}
	if os.ID != 0 {
		p.Action = syncsURL(conn.ID) + "/" + strconv.FormatInt(os.ID, 10) + "/edit"
	}
	if f.HubObject != "" {
		// The names only help typing; without them the form still works.
		if props, err := c.CRM.Properties(ctx, f.HubObject, false); err == nil {
			for _, pr := range props {
				p.HubProperties = append(p.HubProperties, pr.Name)
			}
		}
	}
	return p
}

// syncProblem is the sentence of an error the person can fix in the form (a
// setting the engine refused, a field a side lacks), or false for others.
func syncProblem(err error) (string, bool) {
	var ce *connector.Error
	switch {
	case errors.As(err, &ce):
		return ce.Text(), true
	case errors.Is(err, connection.ErrInvalid), errors.Is(err, store.ErrAlreadyExists), errors.Is(err, connection.ErrHeld):
		return asSentence(err), true
	}
	return "", false
}

// syncOfPath reads the connection and object sync of the path.
func (c *Console) syncOfPath(v *visit) (store.Connection, store.ObjectSync, error) {
	conn, err := c.syncPathConnection(v)
	if err != nil {
		return conn, store.ObjectSync{}, err
	}
	syncID, err := v.pathID("sync")
	if err != nil {
		return conn, store.ObjectSync{}, err
	}
	syncs, err := c.Syncer.ObjectSyncs(v.r.Context(), conn.ID)
	if err != nil {
		return conn, store.ObjectSync{}, err
	}
	for _, os := range syncs {
		if os.ID == syncID {
			return conn, os, nil
		}
	}
	return conn, store.ObjectSync{}, store.ErrNotFound
}

// syncPathConnection reads the connection of the path.
func (c *Console) syncPathConnection(v *visit) (store.Connection, error) {
	id, err := v.pathID("id")
	if err != nil {
		return store.Connection{}, err
	}
	return c.Connections.Get(v.r.Context(), id)
}

func syncsURL(connID int64) string { return "/connections/" + strconv.FormatInt(connID, 10) + "/sync" }

// syncFormResult shows the form again with a dry run's counts, or with
// why the engine refused it (then the answer is 422, so the form's answer
// is not taken for a success).
func (c *Console) syncFormResult(v *visit, p syncFormPage, preview *syncer.Preview, err error, title string) error {
	status := http.StatusOK
	if err != nil {
		msg, ok := syncProblem(err)
		if !ok {
			return err
		}
		p.Problem, preview, status = msg, nil, http.StatusUnprocessableEntity
	}
	p.Preview = preview
	return c.show(v, status, "sync_form", title+p.Conn.Name, "connections", p)
}

// syncSaved ends a change of the sync settings: back to the list with
// what was done, after asking for a run when the person chose "Save and
// sync".
func (c *Console) syncSaved(v *visit, conn store.Connection, done string) error {
	q := url.Values{}
	if v.r.PostFormValue("action") == "save_sync" {
		runs, err := c.Syncer.Runs(v.r.Context(), conn.ID, 1)
		if err != nil {
			return err
		}
		q.Set("after", "0")
		if len(runs) > 0 {
			q.Set("after", strconv.FormatInt(runs[0].ID, 10))
		}
		if err := c.Enqueue(v.r.Context(), conn.ID, "manual"); err != nil {
			return err
		}
		done += "; a run is on its way"
	}
	q.Set("notice", done+".")
	return v.redirect(syncsURL(conn.ID) + "?" + q.Encode())
}

// syncFilterTable is one side's filter rows, for the "filters" block.
type syncFilterTable struct {
	Prefix, Side string
	Rows         []store.Filter
	Operators    []string
}

func init() {
	funcs["syncDirection"] = syncDirection
	funcs["syncRule"] = syncRule
	funcs["syncFilter"] = func(f store.Filter) string { return strings.TrimSpace(f.Property + " " + f.Operator + " " + f.Value) }
	funcs["syncFilterRows"] = func(prefix, side string, rows []store.Filter, ops []string) syncFilterTable {
		return syncFilterTable{Prefix: prefix, Side: side, Rows: rows, Operators: ops}
	}
	funcs["syncMaxPreviewed"] = func() int { return syncer.MaxPreviewed }
	funcs["syncNth"] = func(i int) int { return i + 1 }
}

// syncDirection says a direction in words.
func syncDirection(d string) string {
	switch d {
	case store.DirectionTwoWay:
		return "both ways"
	case store.DirectionToHub:
		return "into the hub only"
	case store.DirectionToApp:
		return "to the external app only"
	}
	return d
}

// syncRule says a conflict rule in words.
func syncRule(r string) string {
	switch r {
	case syncer.RuleMostRecent:
		return "the most recent change wins"
	case syncer.RuleHubWins:
		return "the hub wins"
	case syncer.RuleAppWins:
		return "the external app wins"
	}
	return r
}

// syncsNone reports whether a connection has no object sync yet.
func (c *Console) syncsNone(ctx context.Context, connID int64) bool {
	syncs, err := c.Syncer.ObjectSyncs(ctx, connID)
	return err == nil && len(syncs) == 0
}
