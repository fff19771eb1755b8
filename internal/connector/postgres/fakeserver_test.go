package postgres_test

import (
	"context"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/connector/postgres"
)

// fakeServer speaks just enough of the PostgreSQL wire protocol (startup,
// cleartext password request, ErrorResponse; see "Message Flow" in the
// PostgreSQL manual) to refuse a password. The local server trusts
// 127.0.0.1 and never asks for one, so this is the only way to see 28P01.
// It returns its address and a channel with the password it received.
func fakeServer(t *testing.T, refuse func(password string) *pgproto3.ErrorResponse) (string, <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got := make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		be := pgproto3.NewBackend(conn, conn)
		msg, err := be.ReceiveStartupMessage()
		if err != nil {
			return
		}
		if _, ok := msg.(*pgproto3.SSLRequest); ok {
			conn.Write([]byte("N"))
			if _, err := be.ReceiveStartupMessage(); err != nil {
				return
			}
		}
		be.Send(&pgproto3.AuthenticationCleartextPassword{})
		if err := be.Flush(); err != nil {
			return
		}
		if err := be.SetAuthType(pgproto3.AuthTypeCleartextPassword); err != nil {
			return
		}
		msg, err = be.Receive()
		if err != nil {
			return
		}
		pm, ok := msg.(*pgproto3.PasswordMessage)
		if !ok {
			return
		}
		got <- pm.Password
		be.Send(refuse(pm.Password))
		be.Flush()
	}()
	return ln.Addr().String(), got
}

func TestCheckPasswordRejected(t *testing.T) {
	t.Parallel()
	pw := password()
	tests := []struct {
		name     string
		refuse   func(password string) *pgproto3.ErrorResponse
		reason   string
		definite bool
	}{
		{"wrong password", func(string) *pgproto3.ErrorResponse {
			return &pgproto3.ErrorResponse{Severity: "FATAL", Code: "28P01", Message: `password authentication failed for user "sync"`}
		}, connector.ReasonAPIKeyInvalid, true},
		// A server (or proxy) that echoes what it was sent must not make
		// the password appear in the hub's messages.
		{"server echoes the password", func(got string) *pgproto3.ErrorResponse {
			return &pgproto3.ErrorResponse{Severity: "FATAL", Code: "28000", Message: "login refused for password " + got + " (" + url.QueryEscape(got) + ")"}
		}, connector.ReasonAPIKeyInvalid, true},
		{"unknown SQLSTATE echoing the password", func(got string) *pgproto3.ErrorResponse {
			return &pgproto3.ErrorResponse{Severity: "FATAL", Code: "XX000", Message: "internal error near " + got}
		}, connector.ReasonUnreachable, false},
		{"shutting down", func(string) *pgproto3.ErrorResponse {
			return &pgproto3.ErrorResponse{Severity: "FATAL", Code: "57P01", Message: "terminating connection due to administrator command"}
		}, connector.ReasonUnreachable, false},
	}
	// check connects as user to a fake server that refuses as refuse does,
	// and returns the password the server received and Check's error.
	check := func(t *testing.T, user *url.Userinfo, refuse func(string) *pgproto3.ErrorResponse) (<-chan string, error) {
		addr, got := fakeServer(t, refuse)
		u := url.URL{Scheme: "postgres", User: user, Host: addr, Path: "/crm", RawQuery: "sslmode=disable"}
		_, err := postgres.New().Check(context.Background(), target("people", "id", "updated_at"), connector.Credential{URL: u.String()})
		return got, err
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := check(t, url.UserPassword("sync", pw), tt.refuse)
			if sent := <-got; sent != pw {
				t.Fatalf("server received password %q, want the credential's", sent)
			}
			e := checkErr(t, err, pw, tt.reason, tt.definite)
			if tt.reason == connector.ReasonAPIKeyInvalid && !strings.Contains(e.Message, `user "sync"`) {
				t.Errorf("message %q should name the user", e.Message)
			}
		})
	}
	// A URL without a password, to a server that asks for one, is told
	// what is missing rather than that a password was wrong.
	t.Run("no password given", func(t *testing.T) {
		t.Parallel()
		got, err := check(t, url.User("sync"), tests[0].refuse)
		select { // the server hands over what it received before it refuses
		case sent := <-got:
			if sent != "" {
				t.Fatalf("server received password %q, want none", sent)
			}
		default:
			t.Fatalf("the URL was not tried: %v", err)
		}
		e := checkErr(t, err, pw, connector.ReasonAPIKeyInvalid, true)
		if want := `the database asks for a password for user "sync" and the connection URL has none; give the URL with its password`; e.Message != want {
			t.Errorf("message %q, want %q", e.Message, want)
		}
	})
	t.Run("message", func(t *testing.T) {
		t.Parallel()
		got, err := check(t, url.UserPassword("sync", pw), tests[0].refuse)
		<-got
		e := checkErr(t, err, pw, connector.ReasonAPIKeyInvalid, true)
		if want := `the database rejected the password for user "sync"; enter the new password`; e.Message != want {
			t.Errorf("message %q, want %q", e.Message, want)
		}
	})
}
