package connection

import "github.com/hubsync/hubsync/internal/connector"

// IntegrationSettings lists the settings an integration of provider may
// give, as its connector documents them, with their defaults: the fields
// of an integration's form.
func (s *Service) IntegrationSettings(provider string) []connector.Setting {
	d, ok := s.connectors[provider].(connector.Documented)
	if !ok {
		return nil
	}
	var out []connector.Setting
	for _, st := range d.Settings() {
		if st.Of&connector.OfIntegration != 0 {
			out = append(out, st)
		}
	}
	return out
}
