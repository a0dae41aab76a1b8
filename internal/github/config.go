package github

import "github.com/sextant-dev/sextant/internal/config"

// ConfigOptions returns the client options the github.* configuration asks
// for. With github.app_id set the client authenticates as the App and the
// token is not used. The caller adds Validators, Logger and the rest.
func ConfigOptions(cfg config.GitHub) Options {
	o := Options{BaseURL: cfg.BaseURL, Concurrency: cfg.Concurrency}
	if cfg.AppID != 0 {
		o.App = &AppCredentials{AppID: cfg.AppID, InstallationID: cfg.InstallationID, PrivateKeyPEM: []byte(cfg.AppPrivateKey.Reveal())}
		return o
	}
	o.Token = cfg.Token.Reveal()
	return o
}
