package connection

import "github.com/hubsync/hubsync/internal/connector"

// CredentialName is what a person gives to connect through an integration
// of authKind that does not use OAuth; "" for OAuth.
func CredentialName(authKind string) string {
	switch authKind {
	case AuthOAuth2:
		return ""
	case AuthPrivateApp:
		return "private app token"
	case AuthPassword:
		return "database URL"
	}
	return "credential"
}

// CredentialOf is the credential given for an integration of authKind: a
// database URL for password integrations, else an app key.
func CredentialOf(authKind, secret string) connector.Credential {
	if authKind == AuthPassword {
		return connector.Credential{URL: secret}
	}
	return connector.Credential{APIKey: secret}
}
