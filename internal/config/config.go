// Package config holds hubsync's settings, their defaults and their checks.
package config

import (
	"errors"
	"net"
	"net/url"
	"path/filepath"
	"strings"
)

// Defaults.
const (
	DefaultDataDir = "./hubsync-data"
	DefaultListen  = "127.0.0.1:8080"
)

// Config says where the hub keeps its data and where it listens.
type Config struct {
	// DataDir holds the SQLite database (unless DatabaseURL is set) and the
	// token key.
	DataDir string
	// DatabaseURL, when set, is a postgres:// URL used instead of SQLite.
	DatabaseURL string
	// TokenKeyFile holds the key tokens are hashed with; by default in DataDir.
	TokenKeyFile string
	Listen       string
}

// SQLitePath is the embedded database's file.
func (c Config) SQLitePath() string { return filepath.Join(c.DataDir, "hubsync.db") }

// KeyFile is the token key's file.
func (c Config) KeyFile() string {
	if c.TokenKeyFile != "" {
		return c.TokenKeyFile
	}
	return filepath.Join(c.DataDir, "token.key")
}

// UsesPostgres reports whether the hub runs on PostgreSQL.
func (c Config) UsesPostgres() bool { return c.DatabaseURL != "" }

// Validate checks the settings, naming every problem.
func (c Config) Validate() error {
	checks := []struct {
		bad     bool
		message string
	}{
		{c.DataDir == "", "--data-dir must not be empty"},
		{c.DatabaseURL != "" && !isPostgresURL(c.DatabaseURL), "--database-url must be a postgres:// or postgresql:// URL"},
		{c.Listen != "" && !isHostPort(c.Listen), "--listen must be host:port, e.g. 127.0.0.1:8080"},
	}
	var errs []error
	for _, ch := range checks {
		if ch.bad {
			errs = append(errs, errors.New(ch.message))
		}
	}
	return errors.Join(errs...)
}

func isPostgresURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql")
}

func isHostPort(s string) bool {
	_, port, err := net.SplitHostPort(s)
	return err == nil && port != "" && !strings.ContainsAny(port, " /")
}
