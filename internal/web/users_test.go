package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hubsync/hubsync/internal/connection"
	"github.com/hubsync/hubsync/internal/hub/hubtest"
	"github.com/hubsync/hubsync/internal/identity"
	"github.com/hubsync/hubsync/internal/oauth"
	"github.com/hubsync/hubsync/internal/web/webtest"
)

// An admin removes the connector user through the confirmation page,
// which shows what they are responsible for, choosing another admin to take
// over: the user is removed and the connection now runs as that admin,
// still active.
func TestScreenshotsUsers(t *testing.T) {
	p := webtest.NewPair(t, hubtest.SQLite)
	ctx := context.Background()
	conn := p.Connect(t, connection.NewConnection{Name: "Acme CRM", Owner: p.Connector.Email})
	if conn.Status != connection.StatusActive {
		t.Fatalf("the connection is %s before the story, want active", conn.Status)
	}
	if _, _, err := p.Ours.Hub.PrivateApps.Create(ctx, "Nightly export", []string{"crm.objects.contacts.read"}, p.Connector.ID); err != nil {
		t.Fatal(err)
	}
	app, secret := p.Ours.App(t, oauth.AppInput{Name: "Billing", RedirectURIs: []string{"http://127.0.0.1:9/cb"},
		Scopes: []string{"crm.objects.contacts.read"}})
	grantApp(t, p.Ours, app, secret, p.Connector.Email)
	b := webtest.Chrome(t)
	webtest.SignIn(t, b, p.Ours.URL, "admin@example.com", webtest.AdminPassword)

	webtest.Do(t, b, "open the users list", chromedp.Navigate(p.Ours.URL+"/users"), chromedp.WaitVisible(chromedp.CSS(`table.users`)))
	if text := webtest.Text(t, b, "table.users"); !strings.Contains(text, p.Connector.Email) || !strings.Contains(text, p.Member.Email) {
		t.Fatalf("the users list lacks the users:\n%s", text)
	}
	webtest.Shot(t, b, "users")

	webtest.Do(t, b, "open the connector's page", chromedp.Click(chromedp.CSS(`a[href="/users/`+peopleID(p.Connector.ID)+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.impact`)))
	if text := webtest.Text(t, b, ".impact"); !strings.Contains(text, "Acme CRM") || !strings.Contains(text, "connector") || !strings.Contains(text, "Nightly export") || !strings.Contains(text, "Billing") {
		t.Fatalf("the user's page does not show the connection they run, the grant they gave and the private app they made:\n%s", text)
	}
	webtest.Shot(t, b, "user")

	webtest.Do(t, b, "open the deactivate confirmation", chromedp.Click(chromedp.CSS(`a[href$="/deactivate"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#transfer_to`)))
	if text := webtest.Text(t, b, ".confirm"); !strings.Contains(text, "Acme CRM") {
		t.Fatalf("the deactivate confirmation does not show what the user runs:\n%s", text)
	}
	webtest.Shot(t, b, "user-deactivate")
	webtest.Do(t, b, "back to the user's page", chromedp.Navigate(p.Ours.URL+"/users/"+peopleID(p.Connector.ID)),
		chromedp.WaitVisible(chromedp.CSS(`.impact`)))
	webtest.Do(t, b, "open the remove confirmation", chromedp.Click(chromedp.CSS(`a[href$="/remove"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#transfer_to`)))
	webtest.Shot(t, b, "user-remove")
	webtest.Do(t, b, "remove without choosing", chromedp.Click(chromedp.CSS(`form.offboard button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.confirm .error`)))
	if u, _ := p.Ours.Hub.Identity.User(ctx, p.Connector.Email); u.Status != identity.StatusActive {
		t.Fatalf("a removal without a transfer or a typed email went ahead: %s", u.Status)
	}
	webtest.Do(t, b, "remove, transferring to the second admin",
		chromedp.SetValue(chromedp.CSS(`#transfer_to`), peopleID(p.Second.ID)),
		chromedp.Click(chromedp.CSS(`form.offboard button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.notice`)))
	if path := webtest.Path(t, b); path != "/users" {
		t.Fatalf("after the removal the browser is at %s", path)
	}
	if notice := webtest.Text(t, b, ".notice"); !strings.Contains(notice, p.Second.Email) {
		t.Fatalf("the notice does not say who took over: %q", notice)
	}
	u, err := p.Ours.Hub.Identity.User(ctx, peopleID(p.Connector.ID))
	if err != nil || u.Status != identity.StatusRemoved {
		t.Fatalf("the connector is %s after the removal (%v)", u.Status, err)
	}
	after, err := p.Ours.Hub.Connections.Get(ctx, conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.OwnerID != p.Second.ID || after.MaintainerID != p.Second.ID || after.Status != connection.StatusActive {
		t.Fatalf("after the transfer the connection has owner %d, maintainer %d, status %s (%s); want %d, %d, active",
			after.OwnerID, after.MaintainerID, after.Status, after.Reason, p.Second.ID, p.Second.ID)
	}
}

// Changing a connector's permissions shows, before saving, the connections
// the change would degrade; saving then degrades them as shown.
func TestScreenshotsUserPermissionPreview(t *testing.T) {
	p := webtest.NewPair(t, hubtest.SQLite)
	ctx := context.Background()
	conn := p.Connect(t, connection.NewConnection{Name: "Acme CRM", Owner: p.Connector.Email})
	b := webtest.Chrome(t)
	webtest.SignIn(t, b, p.Ours.URL, "admin@example.com", webtest.AdminPassword)
	webtest.Do(t, b, "open the permissions form", chromedp.Navigate(p.Ours.URL+"/users/"+peopleID(p.Connector.ID)+"/edit"),
		chromedp.WaitVisible(chromedp.CSS(`#perm_deals`)))
	webtest.Shot(t, b, "user-edit")
	webtest.Do(t, b, "preview taking deals away",
		chromedp.SetValue(chromedp.CSS(`#perm_deals`), "view"),
		chromedp.Click(chromedp.CSS(`form.user-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.degraded`)))
	text := webtest.Text(t, b, "table.degraded")
	if !strings.Contains(text, "Acme CRM") || !strings.Contains(text, "degraded") || !strings.Contains(text, "deals") {
		t.Fatalf("the preview does not show the degraded connection and why:\n%s", text)
	}
	webtest.Shot(t, b, "user-permissions-preview")
	if c, _ := p.Ours.Hub.Connections.Get(ctx, conn.ID); c.Status != connection.StatusActive {
		t.Fatalf("the preview changed the connection: %s", c.Status)
	}
	if u, _ := p.Ours.Hub.Identity.User(ctx, p.Connector.Email); u.Permissions["deals"] != identity.AccessEdit {
		t.Fatalf("the preview saved the permissions: %v", u.Permissions)
	}
	webtest.Do(t, b, "save the change", chromedp.Click(chromedp.CSS(`form.user-save button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.notice`)))
	if u, _ := p.Ours.Hub.Identity.User(ctx, p.Connector.Email); u.Permissions["deals"] != identity.AccessView {
		t.Fatalf("saving did not change the permissions: %v", u.Permissions)
	}
	if c, _ := p.Ours.Hub.Connections.Get(ctx, conn.ID); c.Status != connection.StatusDegraded || c.Reason != connection.ReasonPermissionsReduced {
		t.Fatalf("after saving the connection is %s (%s), as the preview said it would be degraded", c.Status, c.Reason)
	}
}

// A member sees none of the users area; a POST forged from their own
// signed-in page, with their valid form token, is refused and changes
// nothing.
func TestMemberCannotManageUsers(t *testing.T) {
	env := hubtest.New(t, hubtest.SQLite)
	member := env.User(t, "member@example.com", identity.RoleMember, nil)
	admin := env.User(t, "boss@example.com", identity.RoleAdmin, nil)
	b := webtest.Chrome(t)
	webtest.SignIn(t, b, env.URL, member.Email, hubtest.Password(member.Email))
	if nav := webtest.Text(t, b, "header.top nav"); strings.Contains(nav, "Users") {
		t.Fatalf("a member's menu offers Users: %q", nav)
	}
	for _, path := range []string{"/users", "/users/" + peopleID(admin.ID), "/users/" + peopleID(admin.ID) + "/remove"} {
		status := webtest.Get(t, b, "fetch "+path, chromedp.Evaluate[int](`fetch("`+path+`").then(r => r.status)`, chromedp.EvalAwaitPromise))
		if status != http.StatusForbidden {
			t.Errorf("a member's GET %s: %d, want 403", path, status)
		}
	}
	forge := fmt.Sprintf(`fetch("/users/%d/remove", {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"},
		body: "confirm_email=%s&csrf=" + encodeURIComponent(document.querySelector("input[name=csrf]").value)}).then(r => r.status)`,
		admin.ID, url.QueryEscape(admin.Email))
	if status := webtest.Get(t, b, "forge a removal", chromedp.Evaluate[int](forge, chromedp.EvalAwaitPromise)); status != http.StatusForbidden {
		t.Fatalf("a member's forged removal: %d, want 403", status)
	}
	forge = fmt.Sprintf(`fetch("/users/%d", {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"},
		body: "role=member&perm_deals=none&csrf=" + encodeURIComponent(document.querySelector("input[name=csrf]").value)}).then(r => r.status)`, admin.ID)
	if status := webtest.Get(t, b, "forge a permission change", chromedp.Evaluate[int](forge, chromedp.EvalAwaitPromise)); status != http.StatusForbidden {
		t.Fatalf("a member's forged permission change: %d, want 403", status)
	}
	u, err := env.Hub.Identity.User(context.Background(), admin.Email)
	if err != nil || u.Status != identity.StatusActive || u.Role != identity.RoleAdmin || u.Permissions["deals"] != identity.AccessEdit {
		t.Fatalf("the forged requests changed the admin: %+v (%v)", u, err)
	}
}

// An admin may not remove a super admin: the page does not offer it and the
// server refuses it.
func TestAdminCannotRemoveSuperAdmin(t *testing.T) {
	env := hubtest.New(t, hubtest.SQLite)
	env.User(t, "boss@example.com", identity.RoleAdmin, nil)
	super, err := env.Hub.Identity.User(context.Background(), "admin@example.com")
	if err != nil {
		t.Fatal(err)
	}
	b := env.Browser()
	b.SignIn(t, "boss@example.com")
	status, _, page := b.Page(t, http.MethodGet, "/users/"+peopleID(super.ID), nil)
	if status != http.StatusOK || strings.Contains(page, "/remove") || strings.Contains(page, "/deactivate") {
		t.Fatalf("an admin is offered to remove a super admin: %d\n%s", status, page)
	}
	if status, _, _ := b.Page(t, http.MethodGet, "/users/"+peopleID(super.ID)+"/remove", nil); status != http.StatusForbidden {
		t.Errorf("an admin opening the removal of a super admin: %d", status)
	}
	status, _, page = b.Page(t, http.MethodPost, "/users/"+peopleID(super.ID)+"/remove", url.Values{"csrf": {hubtest.CSRF(t, page)}})
	if status != http.StatusForbidden || !strings.Contains(page, "Only a super admin") {
		t.Fatalf("an admin removing a super admin: %d\n%s", status, page)
	}
	if u, _ := env.Hub.Identity.User(context.Background(), super.Email); u.Status != identity.StatusActive {
		t.Fatalf("the super admin is %s", u.Status)
	}
}

func peopleID(n int64) string { return strconv.FormatInt(n, 10) }

// Deactivating through the confirmation page without a transfer needs the
// user's email typed: a wrong one changes nothing, the right one lets the
// connection break and say why.
func TestDeactivateByTypingTheEmail(t *testing.T) {
	p := webtest.NewPair(t, hubtest.SQLite)
	ctx := context.Background()
	conn := p.Connect(t, connection.NewConnection{Name: "Acme CRM", Owner: p.Connector.Email})
	b := p.Ours.Browser()
	b.SignIn(t, p.Second.Email)
	path := "/users/" + peopleID(p.Connector.ID) + "/deactivate"
	status, _, page := b.Page(t, http.MethodGet, path, nil)
	if status != http.StatusOK || !strings.Contains(page, "Acme CRM") {
		t.Fatalf("the deactivate page: %d\n%s", status, page)
	}
	token := hubtest.CSRF(t, page)
	status, _, page = b.Page(t, http.MethodPost, path, url.Values{"csrf": {token}, "confirm_email": {"someone@else.example"}})
	if status != http.StatusBadRequest || !strings.Contains(page, "type "+p.Connector.Email) {
		t.Fatalf("a wrong email: %d\n%s", status, page)
	}
	if u, _ := p.Ours.Hub.Identity.User(ctx, p.Connector.Email); u.Status != identity.StatusActive {
		t.Fatalf("a wrong email deactivated the user: %s", u.Status)
	}
	status, loc, page := b.Page(t, http.MethodPost, path, url.Values{"csrf": {token}, "confirm_email": {strings.ToUpper(p.Connector.Email)}})
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/users?notice=") {
		t.Fatalf("deactivate with the email typed: %d %s\n%s", status, loc, page)
	}
	u, _ := p.Ours.Hub.Identity.User(ctx, p.Connector.Email)
	c, err := p.Ours.Hub.Connections.Get(ctx, conn.ID)
	if err != nil || u.Status != identity.StatusDeactivated || c.Status != connection.StatusNeedsReconnect || c.Reason != connection.ReasonUserDeactivated {
		t.Fatalf("after deactivating: user %s, connection %s (%s) %v", u.Status, c.Status, c.Reason, err)
	}

	_, _, page = b.Page(t, http.MethodGet, "/users/"+peopleID(p.Connector.ID), nil)
	if !strings.Contains(page, "/reactivate") || strings.Contains(page, "/deactivate\"") {
		t.Fatalf("a deactivated user's page does not offer Reactivate (only):\n%s", page)
	}
	status, _, page = b.Page(t, http.MethodPost, "/users/"+peopleID(p.Connector.ID)+"/reactivate", url.Values{"csrf": {token}})
	if status != http.StatusSeeOther {
		t.Fatalf("reactivate: %d\n%s", status, page)
	}
	u, _ = p.Ours.Hub.Identity.User(ctx, p.Connector.Email)
	c, err = p.Ours.Hub.Connections.Get(ctx, conn.ID)
	if err != nil || u.Status != identity.StatusActive || c.Status != connection.StatusActive {
		t.Fatalf("after reactivating: user %s, connection %s (%s) %v", u.Status, c.Status, c.Reason, err)
	}
}

// An admin adds a user from the users page, with the role's defaults
// unless the form says otherwise; a plain admin may not make a super admin.
func TestAddUserFromTheUsersPage(t *testing.T) {
	env := hubtest.New(t, hubtest.SQLite)
	env.User(t, "boss@example.com", identity.RoleAdmin, nil)
	b := env.Browser()
	b.SignIn(t, "boss@example.com")
	_, _, page := b.Page(t, http.MethodGet, "/users", nil)
	token := hubtest.CSRF(t, page)
	status, loc, page := b.Page(t, http.MethodPost, "/users", url.Values{"csrf": {token}, "email": {"new@example.com"},
		"role": {"admin"}, "perm_deals": {"view"}, "integrations_manage": {""}, "password": {"long enough"}})
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/users/") {
		t.Fatalf("add a user: %d %s\n%s", status, loc, page)
	}
	u, err := env.Hub.Identity.User(context.Background(), "new@example.com")
	if err != nil || u.Role != identity.RoleAdmin || u.Permissions["deals"] != "view" || u.Permissions["contacts"] != "edit" || !u.IntegrationsManage {
		t.Fatalf("the user added: %+v (%v)", u, err)
	}
	status, _, page = b.Page(t, http.MethodPost, "/users", url.Values{"csrf": {token}, "email": {"king@example.com"}, "role": {"super_admin"}})
	if status != http.StatusForbidden || !strings.Contains(page, "Only a super admin") {
		t.Fatalf("a plain admin making a super admin: %d\n%s", status, page)
	}
	if _, err := env.Hub.Identity.User(context.Background(), "king@example.com"); err == nil {
		t.Fatal("the refused super admin was made")
	}
}

// A refused new user (an email already taken) shows the users page again
// with why and the form as typed, but the password.
func TestAddUserRefusedKeepsTheForm(t *testing.T) {
	env := hubtest.New(t, hubtest.SQLite)
	env.User(t, "boss@example.com", identity.RoleAdmin, nil)
	b := env.Browser()
	b.SignIn(t, "boss@example.com")
	_, _, page := b.Page(t, http.MethodGet, "/users", nil)
	token := hubtest.CSRF(t, page)
	status, _, page := b.Page(t, http.MethodPost, "/users", url.Values{"csrf": {token}, "email": {"boss@example.com"},
		"name": {"Second Boss"}, "role": {"member"}, "perm_deals": {"edit"}, "integrations_manage": {"on"}, "password": {"long enough"}})
	if status != http.StatusBadRequest || !strings.Contains(page, "already exists") {
		t.Fatalf("add a user whose email is taken: %d\n%s", status, page)
	}
	for _, want := range []string{`value="boss@example.com"`, `value="Second Boss"`, `<option value="member" selected>`,
		`<option value="edit" selected>`, `<option value="on" selected>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the form shown again lacks %s", want)
		}
	}
	if strings.Contains(page, "long enough") {
		t.Error("the form shown again holds the password")
	}
}
