package approval

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Request is one approval request: one item of the gate's DynamoDB table.
//
// The item (hash key "id", type S; the table is on-demand with TTL on
// "expires_at") has these attributes:
//
//	id                S   request id: 16 random bytes, base64url without padding (22 chars)
//	token             S   the Step Functions task token (never logged, never in a link or message)
//	execution_id      S   $$.Execution.Id (absent without execution context)
//	state_machine_id  S   $$.StateMachine.Id (absent without execution context)
//	state_name        S   $$.State.Name (absent without execution context)
//	title             S   the title shown everywhere (capped at MaxTitleRunes)
//	text              S   free text (capped at MaxTextRunes; absent when empty)
//	context           S   JSON array of {"key","value"} pairs: the capped context (see BuildContext)
//	requested_by      S   the requester: its canonical identity (ParseIdentity), or with
//	                      allow_self_approval a display note when it is none; absent when unknown
//	created_at        N   unix seconds
//	expires_at        N   unix seconds, created_at + TimeoutSeconds; the TTL attribute
//	min_approvals     N   MinApprovals when the request was made (a later gate update does not change it)
//	status            S   pending | deciding | decided | expired (see the Status* constants)
//	version           N   bumped by every vote and status change; every such update is
//	                      conditional on the version read (compare-and-swap)
//	votes             M   keyed by VoteKey ("<via>:<approver id>"), each a map
//	                      {id S, name S, via S, decision S, comment S, at N, ids L of S, inputs S}
//	                      (ids: the voter's verified identities; absent for a bare link;
//	                      inputs: compact JSON of Vote.Inputs, absent when empty)
//	outcome           S   the Outcome JSON sent to Step Functions (from status deciding on)
//	write_id          S   random id of the last vote written: a writer whose answer was lost
//	                      (the write committed, the SDK's retry then failed its condition)
//	                      recognises its own write by it
//	slack_channel     S   channel of the Slack app message (app format only)
//	slack_ts          S   ts of that message, for chat.update
//	due_at            N   unix seconds: when something is next due for an open request (see
//	                      NextDue); absent once the request is final. Range key of the sparse
//	                      index DueIndexName (hash key status), which the sweep queries
//	followup          S   compact JSON of FollowupState: reminders sent, last call, escalation
//	                      steps notified, later messages to update; absent while empty
//	told_at           N   unix seconds: when the notifier began telling the final request's
//	                      follow-ups (events, webhook, notify_on_decision); set once, with
//	                      attribute_not_exists, so they are sent once (internal/lambda/finalize.go)
//
// A request is written once with attribute_not_exists(id) and never
// overwritten. Votes are recorded by rewriting the votes map with a condition
// on status = pending and on the version read, so concurrent votes serialise:
// the first decision wins, each distinct approver counts once, the N-th
// approval decides and one rejection rejects. The update that decides sets
// status deciding and the outcome; only then is Step Functions called, and a
// successful call (or, on a retry, a "token already closed" answer) moves the
// status to decided. An item left in deciding by a failed call is re-sent by
// the next attempt, so a decision is never lost and never sent twice with
// different content.
type Request struct {
	ID             string
	Token          string
	ExecutionID    string
	StateMachineID string
	StateName      string
	Title          string
	Text           string
	Context        []Field
	RequestedBy    string
	CreatedAt      time.Time
	ExpiresAt      time.Time
	MinApprovals   int
	Status         string
	Version        int64
	Votes          map[string]Vote
	Outcome        *Outcome
	SlackChannel   string
	SlackTS        string
	WriteID        string
	// DueAt is when something is next due (due_at; zero when final or
	// unknown). See NextDue.
	DueAt time.Time
	// Followup is what was sent after the first notification (reminders,
	// last call, escalation) and why it ended (followup.go).
	Followup FollowupState
}

// Request statuses.
const (
	StatusPending  = "pending"  // waiting for votes
	StatusDeciding = "deciding" // decided in the table; Step Functions not yet told
	StatusDecided  = "decided"  // Step Functions told (or the token was already closed on a retry)
	StatusExpired  = "expired"  // Step Functions no longer waited when the decision was sent
)

// Limits applied to what a request stores and shows.
const (
	// MaxTitleRunes is the longest title (Slack's header block allows 150).
	MaxTitleRunes = 150
	// MaxTextRunes is the longest free text.
	MaxTextRunes = 2000
	// MaxContextFields is the most context fields shown; the rest are
	// summarised in one last field.
	MaxContextFields = 20
	// MaxFieldKeyRunes and MaxFieldValueRunes cap one context field.
	MaxFieldKeyRunes   = 100
	MaxFieldValueRunes = 300
	// MaxContextBytes caps the sum of the context's keys and values; fields
	// past it are summarised in one last field.
	MaxContextBytes = 4000
	// MaxCommentRunes is the longest comment kept.
	MaxCommentRunes = 1000
	// MaxNameRunes is the longest approver name kept.
	MaxNameRunes = 80
)

// SummaryKey is the key of the field that summarises context left out.
const SummaryKey = "…"

// Field is one context entry shown to approvers.
type Field struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Vote is one approver's decision on a request.
type Vote struct {
	Approver Approver
	Decision string // DecisionApprove or DecisionReject
	Comment  string
	At       time.Time
	// IDs are every verified canonical identity of the voter (see
	// ParseIdentity), e.g. ["slack:U1", "email:a@example.com"]; empty for a
	// bare bearer link, which proves no identity. Stored with the vote.
	IDs []string
	// Groups are the voter's IdP groups, matched against approver_groups.
	// Not stored.
	Groups []string
	// Inputs are the values the approver filled in, as CheckDecisionInputs
	// normalized them (nil when the gate asks for none).
	Inputs map[string]any
}

// VoteKey is the key of a vote in Request.Votes: one per approver and channel.
func VoteKey(a Approver) string { return a.Via + ":" + a.ID }

// requestIDBytes is the entropy of a request id (128 bits).
const requestIDBytes = 16

// NewRequestID returns a random URL-safe request id read from rand (usually
// crypto/rand.Reader).
func NewRequestID(rand io.Reader) (string, error) {
	b := make([]byte, requestIDBytes)
	if _, err := io.ReadFull(rand, b); err != nil {
		return "", fmt.Errorf("generating request id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// ValidRequestID reports whether s has the shape of an id from NewRequestID.
func ValidRequestID(s string) bool {
	if len(s) != base64.RawURLEncoding.EncodedLen(requestIDBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil
}

// Truncate cuts s to at most n runes, ending it with "…" when cut, and
// replaces invalid UTF-8.
func Truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// NormalizeName trims a typed name, collapses inner white space and caps it.
func NormalizeName(s string) string {
	return Truncate(strings.Join(strings.Fields(s), " "), MaxNameRunes)
}

// BuildContext returns the context shown to approvers: the payload's Fields
// (sorted by key) when set, else the top-level keys of an object input
// (sorted), else the whole input as one "input" field. String values are
// shown as they are, others as compact JSON. Each key is capped at
// MaxFieldKeyRunes runes and each value at MaxFieldValueRunes; at most
// MaxContextFields fields and MaxContextBytes bytes are kept, and the rest is
// summarised in one last field keyed SummaryKey.
func BuildContext(p Payload) []Field {
	var all []Field
	switch {
	case len(p.Fields) > 0:
		for k, v := range p.Fields {
			all = append(all, Field{Key: k, Value: renderValue(v)})
		}
	default:
		in := bytes.TrimSpace(p.Input)
		if len(in) == 0 || bytes.Equal(in, []byte("null")) {
			return nil
		}
		var obj map[string]json.RawMessage
		if in[0] == '{' && json.Unmarshal(in, &obj) == nil {
			for k, v := range obj {
				all = append(all, Field{Key: k, Value: rawValue(v)})
			}
		} else {
			all = []Field{{Key: "input", Value: rawValue(in)}}
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Key < all[j].Key })
	return capFields(all)
}

func capFields(all []Field) []Field {
	var out []Field
	size := 0
	for i, f := range all {
		f = Field{Key: Truncate(f.Key, MaxFieldKeyRunes), Value: Truncate(f.Value, MaxFieldValueRunes)}
		if len(out) == MaxContextFields || size+len(f.Key)+len(f.Value) > MaxContextBytes {
			n := len(all) - i
			return append(out, Field{Key: SummaryKey, Value: fmt.Sprintf("%d more field%s not shown; see the execution input", n, plural(n))})
		}
		size += len(f.Key) + len(f.Value)
		out = append(out, f)
	}
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func renderValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func rawValue(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var buf bytes.Buffer
	if json.Compact(&buf, v) == nil {
		return buf.String()
	}
	return string(v)
}

// LookupPath evaluates a simple JSONPath ("$", ".name" and "[index]" steps)
// on doc and returns the string or number it points at.
func LookupPath(doc json.RawMessage, path string) (string, bool) {
	steps, ok := parsePath(path)
	if !ok || len(doc) == 0 {
		return "", false
	}
	cur := doc
	for _, st := range steps {
		if st.index >= 0 {
			var arr []json.RawMessage
			if json.Unmarshal(cur, &arr) != nil || st.index >= len(arr) {
				return "", false
			}
			cur = arr[st.index]
			continue
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(cur, &obj) != nil {
			return "", false
		}
		if cur, ok = obj[st.name]; !ok {
			return "", false
		}
	}
	var s string
	if json.Unmarshal(cur, &s) == nil {
		return s, true
	}
	var n json.Number
	if json.Unmarshal(cur, &n) == nil {
		return n.String(), true
	}
	return "", false
}

type pathStep struct {
	name  string
	index int // -1 for a name step
}

func parsePath(path string) ([]pathStep, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(path), "$")
	if !ok {
		return nil, false
	}
	var steps []pathStep
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			if end == 0 {
				return nil, false
			}
			steps = append(steps, pathStep{name: rest[:end], index: -1})
			rest = rest[end:]
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, false
			}
			i, err := strconv.Atoi(rest[1:end])
			if err != nil || i < 0 {
				return nil, false
			}
			steps = append(steps, pathStep{index: i})
			rest = rest[end+1:]
		default:
			return nil, false
		}
	}
	return steps, true
}
