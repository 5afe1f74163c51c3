package acctest

import (
	"fmt"
	"os"
)

// Local is the local AWS as tests see it: kumo, and the proxy in front of
// it that every SDK client in the test process goes through.
type Local struct {
	Kumo  *Kumo
	Proxy *Proxy
}

// Start starts kumo and the proxy, and points AWS_ENDPOINT_URL at the
// proxy. Call Stop when done (TestMain).
func Start() (*Local, error) {
	k, err := StartKumo()
	if err != nil {
		return nil, err
	}
	p, err := StartProxy(Endpoint)
	if err != nil {
		k.Stop()
		return nil, fmt.Errorf("starting the AWS proxy: %w", err)
	}
	os.Setenv("AWS_ENDPOINT_URL", p.URL)
	return &Local{Kumo: k, Proxy: p}, nil
}

// Stop stops the proxy, then kumo.
func (l *Local) Stop() {
	l.Proxy.Close()
	l.Kumo.Stop()
}

// Endpoint is the URL SDK clients use (the proxy's).
func (l *Local) Endpoint() string { return l.Proxy.URL }
