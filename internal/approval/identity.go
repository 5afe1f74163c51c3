package approval

import (
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Channels a decision came through (Approver.Via). Each is one verifier that
// builds a Vote; none decides by itself (see Apply).
const (
	// ViaLink is a bare signed link: a bearer token that proves possession
	// only, never who holds it. Its votes carry no IDs.
	ViaLink = "link"
	// ViaSlack is a signed Slack app click from the gate's own workspace.
	ViaSlack = "slack"
	// ViaSSO is a link decided inside a single sign-on session.
	ViaSSO = "sso"
	// ViaAPI is a decision by an OIDC bearer token on the machine API.
	ViaAPI = "api"
)

// Identity kinds: a canonical identity is "<kind>:<value>".
const (
	// IdentitySlack is a Slack user id (U…/W…) from a signed click of the
	// gate's own workspace: "slack:U024BE7LH".
	IdentitySlack = "slack"
	// IdentityEmail is a verified e-mail address, lower-cased:
	// "email:alice@example.com".
	IdentityEmail = "email"
	// IdentitySSO is the SSO identity_claim value when the claim is not
	// "email": "sso:00u1abcd".
	IdentitySSO = "sso"
	// IdentityAPI is the API token's identity_claim value when the claim is
	// not "email": "api:repo:org/app:ref:refs/heads/main".
	IdentityAPI = "api"
)

// Link decision modes (link_decisions): what a link (bare or behind SSO) may
// decide.
const (
	// LinkDecisionsAny: a link may approve and reject.
	LinkDecisionsAny = "any"
	// LinkDecisionsRejectOnly: a link may only reject.
	LinkDecisionsRejectOnly = "reject_only"
	// LinkDecisionsNone: links only inform; decisions are taken elsewhere
	// (the Slack app, the API).
	LinkDecisionsNone = "none"
)

// LinkDecisionsValues lists the valid link_decisions values, in the order
// documentation shows them.
var LinkDecisionsValues = []string{LinkDecisionsAny, LinkDecisionsRejectOnly, LinkDecisionsNone}

// ErrIdentityRequired: the vote carries no verified identity (a bearer link)
// and the gate has an identity control (approvers, approver_groups,
// min_approvals > 1 or the self-approval ban), which only a verified
// identity can satisfy.
var ErrIdentityRequired = errors.New("a link proves only that you hold it, not who you are: this gate needs a verified identity to approve (sign in, or use the Slack app)")

// slackUserIDPattern matches Slack user ids (U… for a workspace user, W… for
// an Enterprise Grid user).
var slackUserIDPattern = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)

// maxIdentityValue caps the value part of an identity.
const maxIdentityValue = 256

// ParseIdentity returns the canonical form ("<kind>:<value>") of s: a bare
// Slack user id ("U024BE7LH" → "slack:U024BE7LH"), a bare e-mail address
// ("Alice@Example.com" → "email:alice@example.com"), or an already prefixed
// identity (slack:, email:, sso:, api:) whose value is checked. Anything else
// (a display name, "@alice", an empty string) is an error: identities are
// compared exactly, never guessed from names.
func ParseIdentity(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("an identity must not be empty")
	}
	if kind, value, ok := strings.Cut(s, ":"); ok {
		switch strings.ToLower(kind) {
		case IdentitySlack:
			if !slackUserIDPattern.MatchString(value) {
				return "", fmt.Errorf("%q is not a Slack user id (U… or W…, upper-case letters and digits)", value)
			}
			return IdentitySlack + ":" + value, nil
		case IdentityEmail:
			addr, err := parseEmail(value)
			if err != nil {
				return "", err
			}
			return IdentityEmail + ":" + addr, nil
		case IdentitySSO, IdentityAPI:
			if err := checkOpaqueValue(value); err != nil {
				return "", fmt.Errorf("%q: %w", s, err)
			}
			return strings.ToLower(kind) + ":" + value, nil
		}
	}
	if slackUserIDPattern.MatchString(s) {
		return IdentitySlack + ":" + s, nil
	}
	if strings.Contains(s, "@") && !strings.HasPrefix(s, "@") {
		addr, err := parseEmail(s)
		if err != nil {
			return "", err
		}
		return IdentityEmail + ":" + addr, nil
	}
	return "", fmt.Errorf("%q is not an identity: use a Slack user id (U… or W…), an e-mail address, \"sso:<value>\" or \"api:<value>\" (a display name identifies nobody)", s)
}

// EmailIdentity returns the canonical identity of a verified e-mail address,
// or "" if addr is not one.
func EmailIdentity(addr string) string {
	a, err := parseEmail(addr)
	if err != nil {
		return ""
	}
	return IdentityEmail + ":" + a
}

// parseEmail checks that s is a bare addr-spec (no display name, no angle
// brackets) and returns it lower-cased.
func parseEmail(s string) (string, error) {
	bad := fmt.Errorf("%q is not an e-mail address (write it bare: alice@example.com)", s)
	if s == "" || len(s) > maxIdentityValue || strings.ContainsAny(s, "<>, \t\r\n\"") {
		return "", bad
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || !strings.EqualFold(a.Address, s) {
		return "", bad
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
		return "", bad
	}
	return strings.ToLower(s), nil
}

// checkOpaqueValue checks the value of an sso: or api: identity: non-empty,
// at most maxIdentityValue bytes of valid UTF-8, without white space, control
// characters or commas (lists of identities are comma-separated).
func checkOpaqueValue(v string) error {
	switch {
	case v == "":
		return errors.New("the value after the prefix must not be empty")
	case len(v) > maxIdentityValue:
		return fmt.Errorf("the value is longer than %d bytes", maxIdentityValue)
	case !utf8.ValidString(v):
		return errors.New("the value is not valid UTF-8")
	}
	for _, r := range v {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == ',' {
			return errors.New("the value must not contain white space, control characters or commas")
		}
	}
	return nil
}

// CanonicalIdentities parses each entry with ParseIdentity and returns the
// canonical forms, or the first error.
func CanonicalIdentities(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, s := range in {
		id, err := ParseIdentity(s)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}

// ResolveRequester returns who asked for the approval, as stored on the
// request: p.RequestedBy when set, else the value at path in p.Input. A
// value that parses as an identity is returned in canonical form. With the
// self-approval ban on (allowSelf false) the requester must be a verifiable
// identity: a missing or malformed one is an error (the notifier refuses
// the payload), since a ban that cannot compare ids would let anyone,
// including the requester, approve. With allowSelf, a value that is not an
// identity is kept as a display note (capped like a name).
func ResolveRequester(p Payload, path string, allowSelf bool) (string, error) {
	raw := strings.TrimSpace(p.RequestedBy)
	source := "requested_by"
	if raw == "" {
		source = path
		if v, ok := LookupPath(p.Input, path); ok {
			raw = strings.TrimSpace(v)
		}
	}
	id, err := ParseIdentity(raw)
	switch {
	case err == nil:
		return id, nil
	case allowSelf:
		return NormalizeName(raw), nil
	case raw == "":
		return "", fmt.Errorf("the request names no requester (requested_by, or %s in the state input): the gate bans self-approval (allow_self_approval = false), so it must know who asked: a Slack user id, an e-mail address, sso:<value> or api:<value>, set by a trusted starter", path)
	default:
		return "", fmt.Errorf("the requester at %s is not a verifiable identity: %w; the gate bans self-approval (allow_self_approval = false), so it compares identities, never names", source, err)
	}
}
