// Package config holds hubsync's settings, their defaults and their checks.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"time"
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
	// VaultKeysetFile holds the keyset outbound credentials are sealed
	// with; by default in DataDir.
	VaultKeysetFile string
	Listen          string
	// PublicURL is the hub's base URL as apps and browsers reach it (OAuth
	// metadata and redirects); empty means whatever host a request names.
	PublicURL string
	// AccessTokenTTL is how long an OAuth access token lives.
	AccessTokenTTL time.Duration
	// TokenRate limits token-endpoint requests per OAuth client, per
	// second; zero takes the default, negative means no limit.
	TokenRate float64
	// BodyTimeout is how long a request body may take to arrive; zero
	// takes the default.
	BodyTimeout time.Duration
	// TrustedProxies are the addresses or CIDR blocks of the load balancers
	// in front of the hub: only from them is X-Forwarded-For believed, to
	// find the client address sign-ins are throttled by.
	TrustedProxies []string
}

// Proxies parses TrustedProxies.
func (c Config) Proxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range c.TrustedProxies {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("--trusted-proxy %q must be an IP address or a CIDR block", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// SQLitePath is the embedded database's file.
func (c Config) SQLitePath() string { return filepath.Join(c.DataDir, "hubsync.db") }

// BaseURL is the hub's URL as browsers reach it: PublicURL, else the
// listen address on localhost.
func (c Config) BaseURL() string {
	if c.PublicURL != "" {
		return strings.TrimSuffix(c.PublicURL, "/")
	}
	listen := c.Listen
	if listen == "" {
		listen = DefaultListen
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// VaultFile is the vault keyset's file.
func (c Config) VaultFile() string {
	if c.VaultKeysetFile != "" {
		return c.VaultKeysetFile
	}
	return filepath.Join(c.DataDir, "vault.keyset")
}

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
		{c.PublicURL != "" && !isHTTPURL(c.PublicURL), "--public-url must be an http:// or https:// URL"},
		{c.AccessTokenTTL < 0 || (c.AccessTokenTTL > 0 && c.AccessTokenTTL < time.Minute), "--access-token-ttl must be at least a minute"},
		{c.BodyTimeout < 0, "--body-timeout must not be negative"},
	}
	var errs []error
	for _, ch := range checks {
		if ch.bad {
			errs = append(errs, errors.New(ch.message))
		}
	}
	if _, err := c.Proxies(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func isPostgresURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql")
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func isHostPort(s string) bool {
	_, port, err := net.SplitHostPort(s)
	return err == nil && port != "" && !strings.ContainsAny(port, " /")
}
