package postgres

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hubsync/hubsync/internal/connector"
)

// ErrInvalidSettings is wrapped by every error about a connection URL or a
// table setting that cannot work. It is the admin's input that is wrong, not
// an answer from the database, so it is never a *connector.Error.
var ErrInvalidSettings = errors.New("invalid postgres connection settings")

// Keys of Target.Config.
const (
	ConfigTable         = "table"
	ConfigKeyColumn     = "key_column"
	ConfigUpdatedColumn = "updated_column"
)

// queryParams are the URL query parameters a connection may set. The URL is
// typed by an admin, so everything that makes the driver read local files
// (sslrootcert, passfile, servicefile, …) or change what is reached (host=)
// is refused rather than passed on.
var queryParams = []string{"sslmode", "application_name", "search_path"}

var sslModes = []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}

// ident is the name of a table, schema or column. Names are matched exactly,
// as if quoted, so the sync later addresses the same object Check looked at.
var ident = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*$`)

// maxIdentLen is PostgreSQL's NAMEDATALEN-1; longer names are truncated by
// the server, which would make Check and the sync disagree.
const maxIdentLen = 63

// settings is a connection's URL and table settings, checked and parsed.
type settings struct {
	cfg      *pgx.ConnConfig
	account  string // host:port/database
	user     string
	password string // only to scrub it from error texts
	table    tableName
	key      string
	updated  string
}

type tableName struct {
	schema string // empty: resolved through the search path
	name   string
}

// String is the name as the admin wrote it, e.g. public.people.
func (n tableName) String() string {
	if n.schema == "" {
		return n.name
	}
	return n.schema + "." + n.name
}

// sql is the name quoted for a statement or for to_regclass.
func (n tableName) sql() string {
	if n.schema == "" {
		return pgx.Identifier{n.name}.Sanitize()
	}
	return pgx.Identifier{n.schema, n.name}.Sanitize()
}

// Validate reports, without touching the network, whether t and cred can be
// used by Check: the connection URL, the table, key_column and
// updated_column settings, and those of record sync (deleted_column,
// origin_column, …). Every problem is listed; the error wraps
// ErrInvalidSettings and never contains the password.
func (c *Connector) Validate(t connector.Target, cred connector.Credential) error {
	s, err := parseSettings(t, cred)
	if err != nil {
		return err
	}
	_, err = parseSyncConfig(s, t.Config)
	return err
}

func parseSettings(t connector.Target, cred connector.Credential) (*settings, error) {
	s := &settings{}
	var problems []string
	problems = append(problems, s.parseURL(cred.URL)...)
	problems = append(problems, s.parseTable(t.Config)...)
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrInvalidSettings, scrub(strings.Join(problems, "; "), s.password))
	}
	return s, nil
}

const urlShape = "postgres://user:password@host:5432/database?sslmode=require"

// parseURL fills s from the connection URL. Problems never quote the URL:
// it holds the password.
func (s *settings) parseURL(raw string) []string {
	if raw == "" {
		return []string{"the connection URL is missing; expected " + urlShape}
	}
	u, err := url.Parse(raw)
	if err != nil {
		// *url.Error quotes the whole input, password included.
		return []string{"the connection URL cannot be parsed (percent-encode special characters in the user name and password); expected " + urlShape}
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.password, _ = u.User.Password()
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return []string{"the connection URL must start with postgres:// or postgresql://"}
	}

	var problems []string
	host, port := u.Hostname(), u.Port()
	dbname := strings.TrimPrefix(u.Path, "/")
	if port == "" {
		port = "5432"
	}
	n, portErr := strconv.Atoi(port)
	rows := []struct {
		bad     bool
		message string
	}{
		{u.Opaque != "" || host == "", "the connection URL has no host; expected " + urlShape},
		{strings.Contains(u.Host, ","), "the connection URL lists several hosts; give exactly one"},
		{portErr != nil || n < 1 || n > 65535, "the connection URL has an invalid port; use a number from 1 to 65535"},
		{s.user == "", "the connection URL has no user name; expected " + urlShape},
		{dbname == "", "the connection URL names no database; expected " + urlShape},
		{strings.Contains(dbname, "/"), "the connection URL path must be just the database name"},
		{u.Fragment != "", "the connection URL must not have a #fragment"},
	}
	for _, r := range rows {
		if r.bad {
			problems = append(problems, r.message)
		}
	}
	q := u.Query()
	for key := range q {
		if !slices.Contains(queryParams, key) {
			problems = append(problems, fmt.Sprintf("the connection URL parameter %q is not supported; allowed: %s", key, strings.Join(queryParams, ", ")))
		}
	}
	if m := q.Get("sslmode"); q.Has("sslmode") && !slices.Contains(sslModes, m) {
		problems = append(problems, fmt.Sprintf("sslmode must be one of %s", strings.Join(sslModes, ", ")))
	}
	if len(problems) > 0 {
		return problems
	}

	// Pin what the driver would otherwise take from the hub's own PG*
	// environment variables: they describe the hub's database, not this one.
	u.Host = net.JoinHostPort(host, port)
	if !q.Has("sslmode") {
		q.Set("sslmode", "prefer") // libpq's default
	}
	if !q.Has("application_name") {
		q.Set("application_name", "hubsync")
	}
	u.RawQuery = q.Encode()
	cfg, err := pgx.ParseConfigWithOptions(u.String(), pgx.ParseConfigOptions{
		ParseConfigOptions: pgconn.ParseConfigOptions{
			ConnStringAllowedKeys: append([]string{"host", "port", "user", "password", "dbname"}, queryParams...),
		},
	})
	if err != nil {
		return []string{"the connection URL is not accepted by the PostgreSQL driver: " + scrub(err.Error(), s.password)}
	}
	// No named prepared statements, so a pooler in transaction mode
	// (PgBouncer) in front of the database works.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	s.cfg = cfg
	s.account = u.Host + "/" + dbname
	return nil
}

func (s *settings) parseTable(config map[string]string) []string {
	var problems []string
	problem := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	table := config[ConfigTable]
	parts := strings.Split(table, ".")
	switch {
	case table == "":
		problem("the %q setting is required, e.g. people or public.people", ConfigTable)
	case len(parts) > 2:
		problem("the %q setting must be table or schema.table, not %q", ConfigTable, table)
	default:
		for _, p := range parts {
			if msg := checkIdent(p); msg != "" {
				problem("the %q setting %q: %s", ConfigTable, table, msg)
			}
		}
		s.table = tableName{name: parts[len(parts)-1]}
		if len(parts) == 2 {
			s.table.schema = parts[0]
		}
	}

	for _, key := range []string{ConfigKeyColumn, ConfigUpdatedColumn} {
		v := config[key]
		if v == "" {
			problem("the %q setting is required", key)
		} else if msg := checkIdent(v); msg != "" {
			problem("the %q setting %q: %s", key, v, msg)
		}
	}
	s.key, s.updated = config[ConfigKeyColumn], config[ConfigUpdatedColumn]
	if s.key != "" && s.key == s.updated {
		problem("%q and %q must name different columns", ConfigKeyColumn, ConfigUpdatedColumn)
	}
	return problems
}

func checkIdent(name string) string {
	switch {
	case name == "":
		return "a name is empty"
	case len(name) > maxIdentLen:
		return fmt.Sprintf("names are at most %d bytes", maxIdentLen)
	case !ident.MatchString(name):
		return "names are letters, digits, _ and $, and start with a letter or _"
	}
	return ""
}
