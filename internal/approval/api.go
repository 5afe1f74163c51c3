package approval

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// The machine-decision API (the gate's api block): scripts and CI jobs decide
// with an OpenID Connect bearer token of one issuer, for one of the gate's
// audiences. The callback verifies the token (signature against the issuer's
// keys, issuer, audience, expiry); the functions here only turn its claims
// into an identity and keep the configuration.

// Environment variables of the api block (callback only).
const (
	EnvAPIIssuerURL     = "MANUALAPPROVAL_API_ISSUER_URL"
	EnvAPIAudiences     = "MANUALAPPROVAL_API_AUDIENCES" // a JSON array of strings
	EnvAPIIdentityClaim = "MANUALAPPROVAL_API_IDENTITY_CLAIM"
	EnvAPIGroupsClaim   = "MANUALAPPROVAL_API_GROUPS_CLAIM"
)

// DefaultAPIIdentityClaim is the claim that names the caller by default.
const DefaultAPIIdentityClaim = "sub"

// APIPathPrefix is where the API is served under the callback URL.
const APIPathPrefix = "/api/v1"

// Limits of what the API takes from a token.
const (
	// MaxTokenGroups caps the groups read from a token.
	MaxTokenGroups = 200
)

// APIConfig is the api block of a gate.
type APIConfig struct {
	IssuerURL     string   `json:"issuer_url"`
	Audiences     []string `json:"audiences"`
	IdentityClaim string   `json:"identity_claim,omitempty"` // DefaultAPIIdentityClaim when empty
	GroupsClaim   string   `json:"groups_claim,omitempty"`   // "" = no groups
}

// Claim is IdentityClaim or its default.
func (a APIConfig) Claim() string {
	if a.IdentityClaim == "" {
		return DefaultAPIIdentityClaim
	}
	return a.IdentityClaim
}

// putEnv renders a (nil: nothing) into the environment.
func (a *APIConfig) putEnv(put func(k, v string)) {
	if a == nil {
		return
	}
	auds := slices.Clone(a.Audiences)
	slices.Sort(auds)
	b, _ := json.Marshal(auds) // strings always marshal
	put(EnvAPIIssuerURL, a.IssuerURL)
	put(EnvAPIAudiences, string(b))
	if a.Claim() != DefaultAPIIdentityClaim {
		put(EnvAPIIdentityClaim, a.IdentityClaim)
	}
	put(EnvAPIGroupsClaim, a.GroupsClaim)
}

// apiConfigFromEnv parses what putEnv wrote: nil when the API is off.
func apiConfigFromEnv(getenv func(string) string) (*APIConfig, error) {
	iss := getenv(EnvAPIIssuerURL)
	if iss == "" {
		return nil, nil
	}
	a := &APIConfig{IssuerURL: iss, IdentityClaim: getenv(EnvAPIIdentityClaim), GroupsClaim: getenv(EnvAPIGroupsClaim)}
	if err := json.Unmarshal([]byte(getenv(EnvAPIAudiences)), &a.Audiences); err != nil || len(a.Audiences) == 0 {
		return nil, fmt.Errorf("%s must be a non-empty JSON array of strings, got %q", EnvAPIAudiences, getenv(EnvAPIAudiences))
	}
	if a.IdentityClaim == "" {
		a.IdentityClaim = DefaultAPIIdentityClaim
	}
	return a, nil
}

// Errors of APIIdentity.
var (
	ErrInvalidGroupClaim = errors.New("the token's groups claim is not a string or a list of strings")
)

// APIIdentity is the canonical identity of a verified token's claims: with
// claim "email", "email:<lower-cased address>", and only when the token says
// email_verified = true; with any other claim, "api:<value>". The value must
// be a string that ParseIdentity accepts as it is (printable, not too long).
func APIIdentity(claim string, claims map[string]any) (string, error) {
	v, ok := claims[claim].(string)
	if !ok || v == "" {
		return "", fmt.Errorf("%w: %q must be a non-empty string", ErrNoIdentityClaim, claim)
	}
	if claim != "email" {
		id, err := ParseIdentity(IdentityAPI + ":" + v)
		if err != nil || id != IdentityAPI+":"+v {
			return "", fmt.Errorf("%w: %q must be printable, at most %d bytes", ErrNoIdentityClaim, claim, maxIdentityValue)
		}
		return id, nil
	}
	if !verifiedEmail(claims["email_verified"]) {
		return "", ErrEmailNotVerified
	}
	id := EmailIdentity(v)
	if id == "" {
		return "", fmt.Errorf("%w: %q is not an e-mail address", ErrNoIdentityClaim, claim)
	}
	return id, nil
}

// Allows reports whether a caller with ids and groups may see the gate's
// requests through the API: anyone the allowlist lets vote, or anyone when
// the gate has no allowlist.
func (p Policy) Allows(ids, groups []string) bool {
	if len(p.Approvers) == 0 && len(p.ApproverGroups) == 0 {
		return true
	}
	return allowed(p, canonicalIDs(ids), groups)
}

// verifiedEmail reads email_verified: true, or the string "true" that some
// providers send.
func verifiedEmail(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return x == "true"
	}
	return false
}

// TokenGroups reads the groups claim: a list of strings or one string.
// Empty claim names and absent claims give no groups.
func TokenGroups(claim string, claims map[string]any) ([]string, error) {
	if claim == "" {
		return nil, nil
	}
	var out []string
	switch x := claims[claim].(type) {
	case nil:
		return nil, nil
	case string:
		out = []string{x}
	case []any:
		for _, g := range x {
			s, ok := g.(string)
			if !ok {
				return nil, ErrInvalidGroupClaim
			}
			out = append(out, s)
		}
	default:
		return nil, ErrInvalidGroupClaim
	}
	out = slices.DeleteFunc(out, func(s string) bool { return s == "" })
	if len(out) > MaxTokenGroups {
		out = out[:MaxTokenGroups]
	}
	return out, nil
}

// TokenName is the display name of a token's holder: its "name" claim, else
// the identity.
func TokenName(claims map[string]any, identity string) string {
	if n, ok := claims["name"].(string); ok {
		if n = NormalizeName(n); n != "" {
			return n
		}
	}
	return NormalizeName(identity)
}

// APIDecision is the body of POST /api/v1/requests/{id}/decision.
type APIDecision struct {
	Decision string         `json:"decision"`
	Comment  string         `json:"comment"`
	Inputs   map[string]any `json:"inputs"`
}

// Errors of ParseAPIDecision; each message is shown to the caller.
var ErrBadDecisionBody = errors.New("bad decision body")

// ParseAPIDecision reads a decision body: one JSON object with only the
// fields decision ("approve" or "reject"), comment (a string of at most
// MaxCommentRunes characters) and inputs (an object).
func ParseAPIDecision(b []byte) (APIDecision, error) {
	var d APIDecision
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return APIDecision{}, fmt.Errorf("%w: the body must be a JSON object with \"decision\" (\"approve\" or \"reject\"), "+
			"an optional \"comment\" and optional \"inputs\": %s", ErrBadDecisionBody, jsonProblem(err))
	}
	if dec.More() {
		return APIDecision{}, fmt.Errorf("%w: the body must hold one JSON object, and nothing after it", ErrBadDecisionBody)
	}
	switch d.Decision {
	case DecisionApprove, DecisionReject:
	case "":
		return APIDecision{}, fmt.Errorf("%w: \"decision\" is missing: it must be \"approve\" or \"reject\"", ErrBadDecisionBody)
	default:
		return APIDecision{}, fmt.Errorf("%w: \"decision\" must be \"approve\" or \"reject\", got %q", ErrBadDecisionBody, Truncate(d.Decision, 40))
	}
	if !utf8.ValidString(d.Comment) {
		return APIDecision{}, fmt.Errorf("%w: \"comment\" is not valid UTF-8", ErrBadDecisionBody)
	}
	if n := utf8.RuneCountInString(d.Comment); n > MaxCommentRunes {
		return APIDecision{}, fmt.Errorf("%w: \"comment\" has %d characters, at most %d are kept: shorten it", ErrBadDecisionBody, n, MaxCommentRunes)
	}
	return d, nil
}

// jsonProblem says what is wrong with a JSON body without echoing much of it.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("%q must be a %s", te.Field, jsonKind(te.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + Truncate(strings.TrimPrefix(err.Error(), "json: unknown field "), 60)
	case err.Error() == "EOF":
		return "the body is empty"
	}
	return "invalid JSON"
}

func jsonKind(k string) string {
	switch k {
	case "map":
		return "JSON object"
	case "string":
		return "string"
	}
	return k
}

// Cursors of GET /api/v1/requests: the last key a page read, signed with the
// gate's key so a caller can neither forge nor edit one.

const cursorDomain = "manualapproval/cursor/v1\n"

// CursorAttr is one key attribute: a string (S) or a number (N).
type CursorAttr struct {
	S *string `json:"S,omitempty"`
	N *string `json:"N,omitempty"`
}

// ErrCursorInvalid: a next token that this gate did not issue.
var ErrCursorInvalid = errors.New("the next token is invalid: pass the one the previous page returned, unchanged")

// EncodeCursor signs a page's last key under key, bound to scope (what was
// listed, e.g. the status).
func EncodeCursor(key []byte, scope string, last map[string]CursorAttr) (string, error) {
	b, err := json.Marshal(last)
	if err != nil {
		return "", err
	}
	return sigEncoding.EncodeToString(b) + "." + sigEncoding.EncodeToString(cursorMAC(key, scope, b)), nil
}

// DecodeCursor verifies and reads a cursor from EncodeCursor.
func DecodeCursor(key []byte, scope, s string) (map[string]CursorAttr, error) {
	p, sig, ok := strings.Cut(s, ".")
	if !ok || len(s) > 4096 {
		return nil, ErrCursorInvalid
	}
	b, err1 := sigEncoding.DecodeString(p)
	mac, err2 := sigEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, cursorMAC(key, scope, b)) {
		return nil, ErrCursorInvalid
	}
	var last map[string]CursorAttr
	if err := json.Unmarshal(b, &last); err != nil || len(last) == 0 {
		return nil, ErrCursorInvalid
	}
	for _, a := range last {
		if (a.S == nil) == (a.N == nil) {
			return nil, ErrCursorInvalid
		}
	}
	return last, nil
}

func cursorMAC(key []byte, scope string, payload []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(cursorDomain + scope + "\n"))
	m.Write(payload)
	return m.Sum(nil)
}
