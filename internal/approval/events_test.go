package approval

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var eventNow = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

// eventRequest is a decided request whose every field is set, the task token
// included: the token and the links must never reach an event.
func eventRequest() Request {
	return Request{
		ID: "req-1", Token: "AAAAKgAAAAIAAAAAAAAAAQSECRET-TASK-TOKEN", ExecutionID: "arn:aws:states:eu-west-1:111122223333:execution:deploy:run-1",
		StateMachineID: "arn:aws:states:eu-west-1:111122223333:stateMachine:deploy", StateName: "Approve",
		Title: "Deploy v2", Text: "see https://api.example.com/r/req-1?d=approve&exp=1&sig=abc", RequestedBy: "slack:U0CAROL",
		Context:   []Field{{"version", "v2"}},
		CreatedAt: eventNow.Add(-time.Hour), ExpiresAt: eventNow.Add(time.Hour), Status: StatusDecided,
		SlackChannel: "C1", SlackTS: "1.2",
		Outcome: &Outcome{Decision: OutcomeApproved, Comment: "ship it", DecidedAt: "2026-12-02T09:59:00Z", RequestID: "req-1",
			Approvers: []Approver{{ID: "email:bob@example.com", Name: "Bob", Via: ViaSSO}, {ID: "slack:U0ALICE", Name: "alice", Via: ViaSlack}},
			Inputs:    map[string]any{"ticket": "CHG-1"}},
		Votes: map[string]Vote{"slack:slack:U0ALICE": {Approver: Approver{ID: "slack:U0ALICE"}, Decision: DecisionApprove, Comment: "ship it"}},
	}
}

func TestNewEventDetail_decided(t *testing.T) {
	t.Parallel()
	got := NewEventDetail(EventDecided, "deploy-prod", eventRequest(), EventExtra{}, eventNow)
	want := EventDetail{
		SchemaVersion: "1", Gate: "deploy-prod", RequestID: "req-1",
		ExecutionID: "arn:aws:states:eu-west-1:111122223333:execution:deploy:run-1", StateMachineID: "arn:aws:states:eu-west-1:111122223333:stateMachine:deploy",
		StateName: "Approve", Title: "Deploy v2", RequestedBy: "slack:U0CAROL", Status: StatusDecided,
		CreatedAt: "2026-12-02T09:00:00Z", ExpiresAt: "2026-12-02T11:00:00Z", Time: "2026-12-02T10:00:00Z",
		Decision: OutcomeApproved, DecidedBy: []EventApprover{{"email:bob@example.com", "Bob", ViaSSO}, {"slack:U0ALICE", "alice", ViaSlack}},
		Via: ViaSlack, DecidedAt: "2026-12-02T09:59:00Z", Comment: "ship it", Inputs: map[string]any{"ticket": "CHG-1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("detail (-want +got):\n%s", diff)
	}
}

func TestNewEventDetail_expiredAndExtras(t *testing.T) {
	t.Parallel()
	base := eventRequest()
	base.Status = StatusExpired
	for _, tc := range []struct {
		name  string
		edit  func(*Request)
		ended string
	}{
		{"timeout", func(r *Request) { r.Outcome = nil }, EndedTimeout},
		{"decided too late", func(*Request) {}, EndedClosed},
		{"stopped", func(r *Request) { r.Followup.Ended = EndedStopped }, EndedStopped},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := base
			tc.edit(&r)
			d := NewEventDetail(EventExpired, "g", r, EventExtra{}, eventNow)
			if d.Ended != tc.ended || d.Decision != "" || d.DecidedBy != nil || d.Status != StatusExpired {
				t.Errorf("expired detail %+v, want ended %s and no decision", d, tc.ended)
			}
		})
	}
	r := eventRequest()
	r.Status, r.Outcome = StatusPending, nil
	d := NewEventDetail(EventReminded, "g", r, EventExtra{Reminder: 2}, eventNow)
	if d.Reminder != 2 || d.EscalationStep != 0 || d.Ended != "" {
		t.Errorf("reminded %+v", d)
	}
	d = NewEventDetail(EventEscalated, "g", r, EventExtra{EscalationStep: 1}, eventNow)
	if d.EscalationStep != 1 {
		t.Errorf("escalated %+v", d)
	}
}

// TestEventDetail_neverCarriesSecrets tries to leak the task token and a
// link through every kind of event and the webhook's event body.
func TestEventDetail_neverCarriesSecrets(t *testing.T) {
	t.Parallel()
	r := eventRequest()
	for _, dt := range []string{EventRequested, EventReminded, EventEscalated, EventDecided, EventExpired} {
		b, err := NewEventDetail(dt, "g", r, EventExtra{Reminder: 1, EscalationStep: 1}, eventNow).JSON()
		if err != nil {
			t.Fatal(err)
		}
		w, err := WebhookEventBody(WebhookEventDecided, NewEventDetail(dt, "g", r, EventExtra{}, eventNow))
		if err != nil {
			t.Fatal(err)
		}
		for _, body := range []string{string(b), string(w)} {
			for _, secret := range []string{r.Token, "SECRET", "sig=", "/r/req-1", "approve_url", "reject_url"} {
				if strings.Contains(body, secret) {
					t.Errorf("%s: the event carries %q: %s", dt, secret, body)
				}
			}
		}
	}
}

// TestEventDetail_matchesSchema: every field the detail renders is in the
// documented schema (docs/events/v1.schema.json), and the schema names no
// field the detail lacks: the document cannot drift from the code.
func TestEventDetail_matchesSchema(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../docs/events/v1.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Required   []string                   `json:"required"`
		Defs       map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	d := NewEventDetail(EventDecided, "g", eventRequest(), EventExtra{Reminder: 1, LastCall: true, EscalationStep: 1}, eventNow)
	d.Ended = EndedTimeout
	b, _ := d.JSON()
	var fields map[string]any
	_ = json.Unmarshal(b, &fields)
	for k := range fields {
		if _, ok := schema.Properties[k]; !ok {
			t.Errorf("field %q is not documented in the schema", k)
		}
	}
	for k := range schema.Properties {
		if _, ok := fields[k]; !ok && k != "event" {
			t.Errorf("the schema documents %q, which the detail never has", k)
		}
	}
	for _, k := range schema.Required {
		var empty EventDetail
		mb, _ := empty.JSON()
		if !strings.Contains(string(mb), `"`+k+`"`) {
			t.Errorf("required %q is omitted when empty", k)
		}
	}
	if _, ok := schema.Defs["approver"].Properties["id"]; !ok {
		t.Error("schema lacks $defs.approver.id")
	}
}

func TestCheckEventBus(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"default", "approvals", "my.bus-1_x", "arn:aws:events:eu-west-1:111122223333:event-bus/approvals",
		"arn:aws-us-gov:events:us-gov-west-1:111122223333:event-bus/default", "arn:aws-cn:events:cn-north-1:111122223333:event-bus/b"} {
		if err := CheckEventBus(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "my bus", "bus!", strings.Repeat("a", 257), "arn:aws:events:eu-west-1:111122223333:rule/x",
		"arn:aws:sns:eu-west-1:111122223333:event-bus/x", "arn:aws:events:eu-west-1:1111:event-bus/x"} {
		if err := CheckEventBus(bad); !errors.Is(err, ErrEventBus) {
			t.Errorf("%q: %v, want ErrEventBus", bad, err)
		}
	}
}

func TestEventBusARN(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":         "arn:aws:events:eu-west-1:111122223333:event-bus/default",
		"default":  "arn:aws:events:eu-west-1:111122223333:event-bus/default",
		"approval": "arn:aws:events:eu-west-1:111122223333:event-bus/approval",
		"arn:aws:events:us-east-1:444455556666:event-bus/central": "arn:aws:events:us-east-1:444455556666:event-bus/central",
	} {
		if got := EventBusARN(in, "aws", "eu-west-1", "111122223333"); got != want {
			t.Errorf("%q: %s, want %s", in, got, want)
		}
	}
}

func TestFinalTexts(t *testing.T) {
	t.Parallel()
	r := eventRequest()
	m := NewMessage(r, "g", "https://x/r/1?sig=A", "https://x/r/1?sig=B")
	rej := r
	rej.Outcome = &Outcome{Decision: OutcomeRejected, Approvers: []Approver{{ID: "anonymous", Name: "carl", Via: ViaLink}}}
	exp := r
	exp.Status = StatusExpired
	stop := exp
	stop.Followup.Ended = EndedStopped
	for _, tc := range []struct {
		r                    Request
		slack, plain, suffix string
	}{
		{r, "✅ Approved by", "Approved by Bob (sso), alice (slack) — ship it", "Approved: Deploy v2"},
		{rej, "❌ Rejected by", "Rejected by carl (link)", "Rejected: Deploy v2"},
		{exp, "⌛ Expired", "Expired: the workflow no longer waits for this request.", "Expired: Deploy v2"},
		{stop, "⏹ Execution stopped", "Execution stopped: the workflow no longer waits for this request.", "Stopped: Deploy v2"},
	} {
		if got := SlackFinalText(tc.r); !strings.HasPrefix(got, tc.slack) {
			t.Errorf("slack %q, want %q…", got, tc.slack)
		}
		if got := FinalText(tc.r); got != tc.plain {
			t.Errorf("plain %q, want %q", got, tc.plain)
		}
		if got := SNSFinalSubject(m, tc.r); got != tc.suffix {
			t.Errorf("subject %q, want %q", got, tc.suffix)
		}
		for _, render := range []func(Message, Request) ([]byte, error){SlackFollowupMessage, SlackWorkflowFollowup} {
			b, err := render(m, tc.r)
			if err != nil || strings.Contains(string(b), "sig=") || strings.Contains(string(b), r.Token) {
				t.Errorf("follow-up %s %v: carries a link or the token", b, err)
			}
		}
		if s := SNSFinalMessage(m, tc.r); strings.Contains(s, "sig=") {
			t.Errorf("SNS notice carries a link: %s", s)
		}
		b, _ := SlackFinalUpdate(m, "C1", "1.2", tc.r)
		if strings.Contains(string(b), `"actions"`) || !strings.Contains(string(b), `"ts":"1.2"`) {
			t.Errorf("update keeps buttons or misses the ts: %s", b)
		}
	}
}
