package acctest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/coreos/go-oidc/v3/oidc/oidctest"
	jose "github.com/go-jose/go-jose/v4"
)

// TokenIssuer is an OpenID Connect issuer on loopback that mints bearer
// tokens for the machine-decision API: a discovery document and a JWKS
// (go-oidc's own test server), and an ES256 key that signs what Token
// returns. Tokens of the wrong kinds (another key, no signature, a
// symmetric algorithm) are made by the other methods, to try to break the
// verifier.
type TokenIssuer struct {
	URL string

	key      *ecdsa.PrivateKey
	srv      *httptest.Server
	requests atomic.Int64
}

const tokenIssuerKeyID = "acctest-1"

// StartTokenIssuer starts an issuer on 127.0.0.1; Close stops it.
func StartTokenIssuer() (*TokenIssuer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	i := &TokenIssuer{key: key}
	s := &oidctest.Server{
		PublicKeys: []oidctest.PublicKey{{PublicKey: key.Public(), KeyID: tokenIssuerKeyID, Algorithm: oidc.ES256}},
		Algorithms: []string{oidc.ES256},
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the token issuer: %w", err)
	}
	i.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i.requests.Add(1)
		s.ServeHTTP(w, r)
	}))
	_ = i.srv.Listener.Close()
	i.srv.Listener = l
	i.srv.Start()
	i.URL = i.srv.URL
	s.SetIssuer(i.URL)
	return i, nil
}

// Close stops the issuer.
func (i *TokenIssuer) Close() { i.srv.Close() }

// Requests is how many HTTP requests the issuer has answered (discovery and
// key fetches).
func (i *TokenIssuer) Requests() int64 { return i.requests.Load() }

// Claims returns the claims of a token of this issuer for audience and
// subject, valid for an hour from now: extra claims are added or replace
// these.
func (i *TokenIssuer) Claims(audience, subject string, extra map[string]any) map[string]any {
	now := time.Now()
	c := map[string]any{
		"iss": i.URL, "aud": audience, "sub": subject,
		"iat": now.Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

// Token signs claims with the issuer's key.
func (i *TokenIssuer) Token(claims map[string]any) string {
	return oidctest.SignIDToken(i.key, tokenIssuerKeyID, oidc.ES256, mustJSON(claims))
}

// ForeignToken signs claims with a fresh key under the issuer's key id: a
// token that names the issuer but was not signed by it.
func (i *TokenIssuer) ForeignToken(claims map[string]any) string {
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return oidctest.SignIDToken(other, tokenIssuerKeyID, oidc.ES256, mustJSON(claims))
}

// UnsignedToken is claims with "alg": "none" and an empty signature.
func UnsignedToken(claims map[string]any) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(mustJSON(claims))) + "."
}

// HMACToken signs claims with HS256 under key: an algorithm the issuer does
// not advertise (a verifier that took the public key as an HMAC secret
// would accept it).
func HMACToken(key []byte, claims map[string]any) string {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", tokenIssuerKeyID))
	if err != nil {
		panic(err)
	}
	sig, err := s.Sign([]byte(mustJSON(claims)))
	if err != nil {
		panic(err)
	}
	out, err := sig.CompactSerialize()
	if err != nil {
		panic(err)
	}
	return out
}

// PublicKeyJSON is the issuer's public key as a JWK (for HMACToken's
// confusion attack: the bytes an attacker can read).
func (i *TokenIssuer) PublicKeyJSON() []byte {
	b, err := jose.JSONWebKey{Key: i.key.Public(), KeyID: tokenIssuerKeyID, Algorithm: oidc.ES256, Use: "sig"}.MarshalJSON()
	if err != nil {
		panic(err)
	}
	return b
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
