package hub

import (
	"github.com/hubsync/hubsync/internal/connector"
	"github.com/hubsync/hubsync/internal/syncer"
)

// ProviderSettings lists the settings of provider's integrations and
// connections with their defaults: the provider's own, then those the hub
// reads for every provider.
func ProviderSettings(provider string) []connector.Setting {
	var out []connector.Setting
	if d, ok := Connectors()[provider].(connector.Documented); ok {
		out = append(out, d.Settings()...)
	}
	rate, poll := "none", DefaultPollInterval.String()
	if provider == "hubspot" {
		rate += "; " + syncer.HubSpotRateLimit + " for real HubSpot"
		poll += "; " + HubSpotPollInterval.String() + " for real HubSpot"
	}
	return append(out,
		connector.Setting{Name: syncer.SettingRateLimit, Default: rate, Of: connector.OfEither,
			Help: "the most calls to the external app in a window, as <calls>/<window>; off for none"},
		connector.Setting{Name: SettingPollInterval, Default: poll, Of: connector.OfEither,
			Help: "how often the external app is asked for its changes; off never asks"})
}
