package approval

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// The sign-in in front of links keeps its state in two cookies, both sealed
// with AES-256-GCM under a key derived from the gate's link-signing key
// (HMAC-SHA256 of the signing key with a fixed label, see CookieKey):
//
//   - the pending login (SSOLogin): the OAuth state, the OpenID Connect
//     nonce, the PKCE verifier and the link to return to, for the few minutes
//     between the redirect to the identity provider and its redirect back;
//   - the session (SSOSession): who signed in, bound to one request, for
//     SessionTTL.
//
// GCM authenticates the cookie like an HMAC signature would, and also keeps
// its content (the PKCE verifier above all) unreadable in the browser. The
// additional data names the cookie's purpose, so a login cookie never opens
// as a session and the other way round. Nothing else is kept server-side.

// Lifetimes of the SSO cookies.
const (
	// LoginTTL bounds the round trip to the identity provider.
	LoginTTL = 10 * time.Minute
	// SessionTTL is how long a sign-in lets its holder decide on the request
	// it is bound to.
	SessionTTL = 15 * time.Minute
)

// Limits of what a session carries, so the cookie stays well below the 4 KiB
// browsers keep per cookie.
const (
	MaxSessionGroups     = 50
	MaxSessionGroupBytes = 1500
	maxIdentityBytes     = 320
	// MaxCookieValueBytes is the longest cookie value opened at all.
	MaxCookieValueBytes = 3800
)

// SSO cookie errors.
var (
	ErrCookieInvalid = errors.New("the sign-in cookie is invalid or has been tampered with")
	ErrCookieExpired = errors.New("the sign-in has expired")
	ErrStateMismatch = errors.New("the sign-in response does not belong to this browser's login")
)

const (
	cookieKeyLabel = "manualapproval/sso-cookie-key/v1"
	cookieAAD      = "manualapproval/cookie/v1\n"
	purposeLogin   = "login"
	purposeSession = "session"
	// randomBytes is the entropy of the state, the nonce and the PKCE
	// verifier (256 bits each).
	randomBytes = 32
)

var cookieEncoding = base64.RawURLEncoding.Strict()

// CookieKey derives the cookie key from the gate's link-signing key.
func CookieKey(signingKey []byte) []byte {
	m := hmac.New(sha256.New, signingKey)
	m.Write([]byte(cookieKeyLabel))
	return m.Sum(nil)
}

// SSOLogin is a login in progress.
type SSOLogin struct {
	State     string `json:"s"`
	Nonce     string `json:"n"`
	Verifier  string `json:"v"`
	RequestID string `json:"r"`
	// Return is the link to come back to, relative to the callback base
	// URL: "/r/<id>?<signed query>".
	Return  string `json:"u"`
	Expires int64  `json:"e"`
}

// SSOSession is a signed-in approver, for one request.
type SSOSession struct {
	RequestID string   `json:"r"`
	Identity  string   `json:"i"` // canonical: "email:<addr>" or "sso:<value>"
	Name      string   `json:"n,omitempty"`
	Groups    []string `json:"g,omitempty"`
	Expires   int64    `json:"e"`
}

// NewSSOLogin starts a login for request id that returns to ret, with fresh
// random state, nonce and PKCE verifier read from rand.
func NewSSOLogin(rand io.Reader, id, ret string, now time.Time) (SSOLogin, error) {
	l := SSOLogin{RequestID: id, Return: ret, Expires: now.Add(LoginTTL).Unix()}
	for _, dst := range []*string{&l.State, &l.Nonce, &l.Verifier} {
		b := make([]byte, randomBytes)
		if _, err := io.ReadFull(rand, b); err != nil {
			return SSOLogin{}, fmt.Errorf("generating the sign-in state: %w", err)
		}
		*dst = cookieEncoding.EncodeToString(b)
	}
	return l, nil
}

// ValidState reports whether s has the shape of a state made by NewSSOLogin.
func ValidState(s string) bool {
	if len(s) != cookieEncoding.EncodedLen(randomBytes) {
		return false
	}
	_, err := cookieEncoding.DecodeString(s)
	return err == nil
}

// LoginCookieName is the name of the cookie of the login with state: one
// cookie per login, so two links opened at once each complete.
func LoginCookieName(state string) string {
	n := min(len(state), 16)
	return "ma_login_" + state[:n]
}

// SessionCookieName is the name of the session cookie (its path binds it
// to one request's link).
const SessionCookieName = "ma_session"

// SealLogin returns l as a cookie value.
func SealLogin(key []byte, l SSOLogin) (string, error) { return seal(key, purposeLogin, l) }

// OpenLogin opens the login cookie value and checks that it is unexpired and
// that its state is state (the state parameter the identity provider sent
// back), compared in constant time.
func OpenLogin(key []byte, value, state string, now time.Time) (SSOLogin, error) {
	var l SSOLogin
	if !ValidState(state) {
		return l, ErrStateMismatch
	}
	if err := open(key, purposeLogin, value, &l); err != nil {
		return SSOLogin{}, err
	}
	switch {
	case !ValidState(l.State) || !ValidRequestID(l.RequestID) || !strings.HasPrefix(l.Return, "/r/"+l.RequestID+"?") ||
		l.Nonce == "" || l.Verifier == "":
		return SSOLogin{}, ErrCookieInvalid
	case subtle.ConstantTimeCompare([]byte(l.State), []byte(state)) != 1:
		return SSOLogin{}, ErrStateMismatch
	case now.Unix() > l.Expires:
		return SSOLogin{}, ErrCookieExpired
	}
	return l, nil
}

// NewSSOSession returns the session of identity (canonical) with name and
// groups, for request id: the name is capped, the groups are kept up to
// MaxSessionGroups and MaxSessionGroupBytes in all.
func NewSSOSession(id, identity, name string, groups []string, now time.Time) SSOSession {
	s := SSOSession{RequestID: id, Identity: identity, Name: NormalizeName(name), Expires: now.Add(SessionTTL).Unix()}
	size := 0
	for _, g := range groups {
		if g == "" || len(s.Groups) == MaxSessionGroups || size+len(g) > MaxSessionGroupBytes {
			continue
		}
		size += len(g)
		s.Groups = append(s.Groups, g)
	}
	return s
}

// SealSession returns s as a cookie value.
func SealSession(key []byte, s SSOSession) (string, error) { return seal(key, purposeSession, s) }

// OpenSession opens a session cookie value and checks that it is unexpired
// and bound to request id.
func OpenSession(key []byte, value, id string, now time.Time) (SSOSession, error) {
	var s SSOSession
	if err := open(key, purposeSession, value, &s); err != nil {
		return SSOSession{}, err
	}
	switch {
	case s.Identity == "" || len(s.Identity) > maxIdentityBytes || !strings.Contains(s.Identity, ":"):
		return SSOSession{}, ErrCookieInvalid
	case !ValidRequestID(id) || subtle.ConstantTimeCompare([]byte(s.RequestID), []byte(id)) != 1:
		return SSOSession{}, ErrCookieInvalid
	case now.Unix() > s.Expires:
		return SSOSession{}, ErrCookieExpired
	}
	return s, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != sha256.Size {
		return nil, fmt.Errorf("cookie key must be %d bytes", sha256.Size)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func seal(key []byte, purpose string, v any) (string, error) {
	aead, err := newGCM(key)
	if err != nil {
		return "", err
	}
	plain, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("sealing the %s cookie: %w", purpose, err)
	}
	out := cookieEncoding.EncodeToString(aead.Seal(nonce, nonce, plain, []byte(cookieAAD+purpose)))
	if len(out) > MaxCookieValueBytes {
		return "", fmt.Errorf("the %s cookie would be %d bytes, more than %d", purpose, len(out), MaxCookieValueBytes)
	}
	return out, nil
}

func open(key []byte, purpose, value string, v any) error {
	if value == "" || len(value) > MaxCookieValueBytes {
		return ErrCookieInvalid
	}
	aead, err := newGCM(key)
	if err != nil {
		return err
	}
	raw, err := cookieEncoding.DecodeString(value)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return ErrCookieInvalid
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(cookieAAD+purpose))
	if err != nil {
		return ErrCookieInvalid
	}
	if err := json.Unmarshal(plain, v); err != nil {
		return ErrCookieInvalid
	}
	return nil
}
