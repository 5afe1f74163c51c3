package lambda

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// The code exchange authenticates the client as the issuer's discovery
// document says, so it is one round trip (oauth2's auto-detection retries a
// refused first style: two).
func TestTokenAuthStyle(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		methods any
		want    oauth2.AuthStyle
	}{
		{"post and basic", []string{"client_secret_basic", "client_secret_post"}, oauth2.AuthStyleInParams},
		{"post only", []string{"client_secret_post"}, oauth2.AuthStyleInParams},
		{"basic only", []string{"client_secret_basic"}, oauth2.AuthStyleInHeader},
		{"private_key_jwt only", []string{"private_key_jwt"}, oauth2.AuthStyleAutoDetect},
		{"not advertised", nil, oauth2.AuthStyleAutoDetect},
		{"malformed", "client_secret_post", oauth2.AuthStyleAutoDetect},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var srv *httptest.Server
			srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				doc := map[string]any{"issuer": srv.URL, "authorization_endpoint": srv.URL + "/authorize", "token_endpoint": srv.URL + "/token",
					"jwks_uri": srv.URL + "/jwks", "id_token_signing_alg_values_supported": []string{"RS256"}}
				if c.methods != nil {
					doc["token_endpoint_auth_methods_supported"] = c.methods
				}
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(doc)
			}))
			defer srv.Close()
			p, err := oidc.NewProvider(oidc.ClientContext(context.Background(), srv.Client()), srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			if got := tokenAuthStyle(p); got != c.want {
				t.Errorf("tokenAuthStyle = %v, want %v", got, c.want)
			}
		})
	}
}
