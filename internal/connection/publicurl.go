package connection

import "strings"

// callbackPath is where external apps send a connection's consent back to,
// under the hub's public URL.
const callbackPath = "/connections/callback"

// CallbackURL is the URL external apps must list as a redirect URI for the
// hub's OAuth connections; "" when the hub's public URL is not known.
func (s *Service) CallbackURL() string { return s.callbackURL }

// PublicURL is the hub's base URL as apps and browsers reach it, the one
// its callback is under; "" when it is not known.
func (s *Service) PublicURL() string { return strings.TrimSuffix(s.callbackURL, callbackPath) }
