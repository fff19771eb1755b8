package hubspot

import "github.com/hubsync/hubsync/internal/connector"

var _ connector.Documented = (*Connector)(nil)

// Settings lists the settings the connector reads, with their defaults:
// the URLs and the client registration are the integration's; the read
// settings may be given per connection too.
func (c *Connector) Settings() []connector.Setting {
	return []connector.Setting{
		{Name: SettingAPIURL, Default: "https://api.hubapi.com, or the --base-url of another hub",
			Of: connector.OfIntegration, Help: "the API's base URL"},
		{Name: SettingAuthorizeURL, Default: "HubSpot's, or <base-url>/oauth/authorize",
			Of: connector.OfIntegration, Help: "oauth2: the consent page"},
		{Name: SettingTokenURL, Default: "HubSpot's, or <base-url>/oauth/v1/token",
			Of: connector.OfIntegration, Help: "oauth2: the token endpoint"},
		{Name: SettingIntrospectURL, Default: "<api_url>/oauth/v3/token/introspect",
			Of: connector.OfIntegration, Help: "oauth2: RFC 7662 token introspection, which diagnose uses to prove the client registration"},
		{Name: SettingClientID, Default: "required for oauth2",
			Of: connector.OfIntegration, Help: "oauth2: the client id of the hub's app registration"},
		{Name: SettingScopes, Default: "required for oauth2",
			Of: connector.OfIntegration, Help: "oauth2: the scopes to ask for, space-separated"},
		{Name: SettingOptionalScopes, Default: "none",
			Of: connector.OfIntegration, Help: "oauth2: scopes the approving user may leave out"},
		{Name: SettingReadOverlap, Default: DefaultReadOverlap.String(),
			Of: connector.OfEither, Help: "how far behind the external clock changes are read, for writes that appear late"},
		{Name: SettingArchiveInterval, Default: DefaultArchiveInterval.String(),
			Of: connector.OfEither, Help: "the least time between two looks for archived records; off never looks"},
		{Name: SettingChangeListing, Default: "auto",
			Of: connector.OfEither, Help: "auto reads another hubsync's change listing (creates, updates and archives in order, no overlap, watched instead of polled) and searches where there is none; off always searches"},
	}
}
