package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hubsync/hubsync/internal/connector"
)

// classify turns a failure to connect or query into a *connector.Error.
// Only an answer the server gave about this login or this database is
// definite; anything else (network, timeouts, a server that is busy,
// starting or stopping, an SQLSTATE this code does not know) is transient,
// because a transient error never breaks a connection.
func (s *settings) classify(err error) *connector.Error {
	cause := scrubbed(err, s.password)
	definite := func(reason, detail, message string) *connector.Error {
		return &connector.Error{Reason: reason, Definite: true, Detail: detail, Message: scrub(message, s.password), Err: cause}
	}
	transient := func(message string) *connector.Error {
		return &connector.Error{Reason: connector.ReasonUnreachable, Message: scrub(message, s.password), Err: cause}
	}

	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch code := pgErr.Code; {
		case code == "28P01" && s.password == "": // a password was asked for, and the URL has none
			return definite(connector.ReasonAPIKeyInvalid, "",
				fmt.Sprintf("the database asks for a password for user %q and the connection URL has none; give the URL with its password", s.user))
		case code == "28P01": // invalid_password
			return definite(connector.ReasonAPIKeyInvalid, "",
				fmt.Sprintf("the database rejected the password for user %q; enter the new password", s.user))
		case code == "28000": // invalid_authorization_specification: no such role, NOLOGIN, pg_hba.conf
			return definite(connector.ReasonAPIKeyInvalid, "",
				fmt.Sprintf("the database refused the login of user %q (%s); check the user name and password in the connection URL, or ask the database administrator to allow this login",
					s.user, pgErr.Message))
		case code == "3D000": // invalid_catalog_name
			return definite(connector.ReasonAPIKeyInvalid, "",
				fmt.Sprintf("database %q does not exist on %s; correct the database name in the connection URL",
					s.cfg.Database, s.hostPort()))
		case code == "42501" && errors.As(err, new(*pgconn.ConnectError)): // no CONNECT privilege
			return definite(connector.ReasonScopesMissing, "CONNECT on database "+s.cfg.Database,
				fmt.Sprintf("user %q may not connect to database %q; a database owner can fix it with: GRANT CONNECT ON DATABASE %s TO %s",
					s.user, s.cfg.Database, pgx.Identifier{s.cfg.Database}.Sanitize(), pgx.Identifier{s.user}.Sanitize()))
		case code == "53300": // too_many_connections
			return transient(fmt.Sprintf("PostgreSQL at %s has no free connection slot for user %q; it will be retried", s.hostPort(), s.user))
		case strings.HasPrefix(code, "57P"): // admin_shutdown, crash_shutdown, cannot_connect_now
			return transient(fmt.Sprintf("PostgreSQL at %s is shutting down, restarting or recovering; it will be retried", s.hostPort()))
		default:
			return transient(fmt.Sprintf("PostgreSQL at %s answered: %s", s.hostPort(), pgErr.Message))
		}
	}

	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err):
		return transient(fmt.Sprintf("PostgreSQL at %s did not answer in time", s.hostPort()))
	case errors.Is(err, context.Canceled):
		return transient("the check was cancelled")
	case errors.As(err, &dnsErr):
		return transient(fmt.Sprintf("the host name %q could not be resolved", s.cfg.Host))
	case errors.Is(err, syscall.ECONNREFUSED):
		return transient(fmt.Sprintf("PostgreSQL at %s refused the connection; is it running and accepting TCP connections?", s.hostPort()))
	}
	return transient(fmt.Sprintf("PostgreSQL at %s could not be reached", s.hostPort()))
}

func (s *settings) hostPort() string {
	return net.JoinHostPort(s.cfg.Host, fmt.Sprint(s.cfg.Port))
}

// scrubbedError keeps an error's chain (errors.As still finds the
// *pgconn.PgError) but shows a text from which the password is removed.
// pgconn quotes its connection settings in some errors.
type scrubbedError struct {
	text string
	err  error
}

func (e *scrubbedError) Error() string { return e.text }
func (e *scrubbedError) Unwrap() error { return e.err }

func scrubbed(err error, password string) error {
	return &scrubbedError{text: scrub(err.Error(), password), err: err}
}

// scrub removes the password from text, raw and in the encodings a
// connection string would carry it.
func scrub(text, password string) string {
	if password == "" {
		return text
	}
	forms := []string{
		password,
		url.QueryEscape(password),
		url.PathEscape(password),
		strings.TrimPrefix(url.UserPassword("", password).String(), ":"),
	}
	for _, f := range forms {
		text = strings.ReplaceAll(text, f, "[redacted]")
	}
	return text
}
