package approval

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strconv"
	"time"
)

// A link is a bearer token for one decision on one request:
//
//	<CallbackBaseURL>/r/<id>?d=approve|reject&exp=<unix seconds>&sig=<signature>
//
// where signature is base64url (no padding, canonical) of
// HMAC-SHA256(key, "manualapproval/link/v1\n" + id + "\n" + d + "\n" + exp)
// and key is the bytes of the gate's signing key parameter value. The link is
// valid up to and including second exp. It carries no identity: whoever holds
// it may decide, so the confirm page asks for a name (see Vote).

// Link query parameter names.
const (
	QueryDecision  = "d"
	QueryExpires   = "exp"
	QuerySignature = "sig"
)

// MinSigningKeyBytes is the shortest signing key accepted.
const MinSigningKeyBytes = 32

const linkDomain = "manualapproval/link/v1"

// Link is the signed part of a decision link.
type Link struct {
	ID       string
	Decision string // DecisionApprove or DecisionReject
	Expires  time.Time
}

// Link verification errors.
var (
	ErrLinkInvalid = errors.New("the link is invalid or has been tampered with")
	ErrLinkExpired = errors.New("the link has expired")
)

var sigEncoding = base64.RawURLEncoding.Strict()

func (l Link) mac(key []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(linkDomain + "\n" + l.ID + "\n" + l.Decision + "\n" + strconv.FormatInt(l.Expires.Unix(), 10)))
	return m.Sum(nil)
}

// Query returns the link's signed query string.
func (l Link) Query(key []byte) string {
	return url.Values{
		QueryDecision:  {l.Decision},
		QueryExpires:   {strconv.FormatInt(l.Expires.Unix(), 10)},
		QuerySignature: {sigEncoding.EncodeToString(l.mac(key))},
	}.Encode()
}

// URL returns the full link under base (CallbackBaseURL, no trailing slash).
func (l Link) URL(base string, key []byte) string {
	return base + "/r/" + l.ID + "?" + l.Query(key)
}

// VerifyLink checks the link for request id with query q: a known decision,
// a canonical expiry, a signature made with key (compared in constant time)
// and, last, that now is not after the expiry. It returns ErrLinkInvalid or
// ErrLinkExpired.
func VerifyLink(key []byte, id string, q url.Values, now time.Time) (Link, error) {
	one := func(name string) string {
		if v := q[name]; len(v) == 1 {
			return v[0]
		}
		return ""
	}
	d, expStr, sigStr := one(QueryDecision), one(QueryExpires), one(QuerySignature)
	if !ValidRequestID(id) || (d != DecisionApprove && d != DecisionReject) {
		return Link{}, ErrLinkInvalid
	}
	exp, err := strconv.ParseInt(expStr, 10, 64)
	if err != nil || strconv.FormatInt(exp, 10) != expStr || exp <= 0 {
		return Link{}, ErrLinkInvalid
	}
	sig, err := sigEncoding.DecodeString(sigStr)
	if err != nil || len(sig) != sha256.Size {
		return Link{}, ErrLinkInvalid
	}
	l := Link{ID: id, Decision: d, Expires: time.Unix(exp, 0).UTC()}
	if !hmac.Equal(sig, l.mac(key)) {
		return Link{}, ErrLinkInvalid
	}
	if now.Unix() > exp {
		return l, ErrLinkExpired
	}
	return l, nil
}
