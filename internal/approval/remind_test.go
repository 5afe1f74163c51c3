package approval

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var remindT0 = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

// remindReq is a pending request created at remindT0 that expires after
// timeout seconds, with st recorded.
func remindReq(timeout int64, st FollowupState) Request {
	return Request{ID: "r1", Status: StatusPending, CreatedAt: remindT0,
		ExpiresAt: remindT0.Add(time.Duration(timeout) * time.Second), Followup: st}
}

func rat(sec int64) time.Time { return remindT0.Add(time.Duration(sec) * time.Second) }

func TestNextFollowup(t *testing.T) {
	t.Parallel()
	rem := func(after, every int64, most int) *Reminders {
		return &Reminders{AfterSeconds: after, EverySeconds: every, Max: most}
	}
	for _, tc := range []struct {
		name    string
		f       Followup
		timeout int64
		st      FollowupState
		want    time.Time
	}{
		{"nothing configured: the expiry", Followup{}, 3600, FollowupState{}, rat(3600)},
		{"first reminder", Followup{Reminders: rem(600, 300, 3)}, 3600, FollowupState{}, rat(600)},
		{"second reminder", Followup{Reminders: rem(600, 300, 3)}, 3600, FollowupState{RemindersSent: 1}, rat(900)},
		{"max reached: the expiry", Followup{Reminders: rem(600, 300, 3)}, 3600, FollowupState{RemindersSent: 3}, rat(3600)},
		{"reminder at the expiry is none", Followup{Reminders: rem(3600, 300, 3)}, 3600, FollowupState{}, rat(3600)},
		{"reminders stop at the expiry", Followup{Reminders: rem(600, 1500, 5)}, 3600, FollowupState{RemindersSent: 2}, rat(3600)},
		{"last call alone", Followup{WarnBeforeExpirySeconds: 600}, 3600, FollowupState{}, rat(3000)},
		{"last call sent: the expiry", Followup{WarnBeforeExpirySeconds: 600}, 3600, FollowupState{LastCallSent: true}, rat(3600)},
		{"reminder before the last call", Followup{Reminders: rem(600, 600, 10), WarnBeforeExpirySeconds: 600}, 3600, FollowupState{RemindersSent: 2}, rat(1800)},
		{"reminder slot at the last call: the last call", Followup{Reminders: rem(600, 600, 10), WarnBeforeExpirySeconds: 600}, 3600, FollowupState{RemindersSent: 4}, rat(3000)},
		{"no reminder after the last call", Followup{Reminders: rem(60, 60, 100), WarnBeforeExpirySeconds: 600}, 3600, FollowupState{RemindersSent: 3, LastCallSent: true}, rat(3600)},
		{"warning longer than the request: none", Followup{WarnBeforeExpirySeconds: 7200}, 3600, FollowupState{}, rat(3600)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := NextFollowup(tc.f, remindReq(tc.timeout, tc.st)); !got.Equal(tc.want) {
				t.Errorf("NextFollowup = +%v, want +%v", got.Sub(remindT0), tc.want.Sub(remindT0))
			}
		})
	}
}

func TestDueFollowup(t *testing.T) {
	t.Parallel()
	f := Followup{Reminders: &Reminders{AfterSeconds: 600, EverySeconds: 300, Max: 3}, WarnBeforeExpirySeconds: 600}
	for _, tc := range []struct {
		name     string
		f        Followup
		st       FollowupState
		now      int64
		wantKind string
		wantSt   FollowupState
	}{
		{"nothing yet", f, FollowupState{}, 599, "", FollowupState{}},
		{"first reminder on time", f, FollowupState{}, 600, FollowupReminder, FollowupState{RemindersSent: 1}},
		{"first reminder late", f, FollowupState{}, 700, FollowupReminder, FollowupState{RemindersSent: 1}},
		{"already sent", f, FollowupState{RemindersSent: 1}, 899, "", FollowupState{RemindersSent: 1}},
		{"two missed: one sent, both used", f, FollowupState{}, 950, FollowupReminder, FollowupState{RemindersSent: 2}},
		{"all missed: one sent, max used", f, FollowupState{}, 2000, FollowupReminder, FollowupState{RemindersSent: 3}},
		{"max reached", f, FollowupState{RemindersSent: 3}, 2000, "", FollowupState{RemindersSent: 3}},
		{"last call", f, FollowupState{RemindersSent: 3}, 3000, FollowupLastCall, FollowupState{RemindersSent: 3, LastCallSent: true}},
		{"last call takes a due reminder's place", f, FollowupState{RemindersSent: 1}, 3100, FollowupLastCall, FollowupState{RemindersSent: 3, LastCallSent: true}},
		{"last call once", f, FollowupState{RemindersSent: 3, LastCallSent: true}, 3300, "", FollowupState{RemindersSent: 3, LastCallSent: true}},
		{"expired: nothing", f, FollowupState{}, 3600, "", FollowupState{}},
		{"off", Followup{}, FollowupState{}, 3000, "", FollowupState{}},
		{"other state kept", f, FollowupState{Escalated: 1}, 600, FollowupReminder, FollowupState{RemindersSent: 1, Escalated: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			kind, st := DueFollowup(tc.f, remindReq(3600, tc.st), rat(tc.now))
			if kind != tc.wantKind {
				t.Errorf("kind = %q, want %q", kind, tc.wantKind)
			}
			if d := cmp.Diff(tc.wantSt, st); d != "" {
				t.Errorf("state (-want +got):\n%s", d)
			}
		})
	}
}

// TestDueFollowup_schedule walks a sweep every minute over a request's life:
// every reminder is sent once, at its slot, then the last call, and due_at
// always points at the next one.
func TestDueFollowup_schedule(t *testing.T) {
	t.Parallel()
	f := Followup{Reminders: &Reminders{AfterSeconds: 120, EverySeconds: 180, Max: 5}, WarnBeforeExpirySeconds: 300}
	r := remindReq(1200, FollowupState{})
	var sent []string
	for now := int64(0); now < 1200; now += 60 {
		due := NextFollowup(f, r)
		kind, st := DueFollowup(f, r, rat(now))
		if (kind != "") != !due.After(rat(now)) {
			t.Fatalf("at +%d: due_at +%v but due %q", now, due.Sub(remindT0), kind)
		}
		if kind != "" {
			sent = append(sent, kind+"@"+rat(now).Sub(remindT0).String())
			r.Followup = st
		}
	}
	want := []string{"reminder@2m0s", "reminder@5m0s", "reminder@8m0s", "reminder@11m0s", "reminder@14m0s", "last_call@15m0s"}
	if d := cmp.Diff(want, sent); d != "" {
		t.Errorf("sent (-want +got):\n%s", d)
	}
}

func TestExpiresIn(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		20 * time.Second: "less than a minute", time.Minute: "1 minute", 10*time.Minute + 20*time.Second: "10 minutes",
		time.Hour: "1 hour", 2*time.Hour + time.Minute: "2 hours 1 minute", -time.Minute: "less than a minute",
	} {
		if got := ExpiresIn(remindT0, remindT0.Add(d)); got != want {
			t.Errorf("ExpiresIn(%v) = %q, want %q", d, got, want)
		}
	}
}

func testReminder(kind string) Reminder {
	return Reminder{
		Message: Message{RequestID: "r1", Gate: "deploy", Title: "Deploy <!channel> v2", ExpiresAt: rat(3600),
			ApproveURL: "https://cb.example/r/r1?d=approve", RejectURL: "https://cb.example/r/r1?d=reject"},
		Kind: kind, Number: 2, Now: rat(3000),
		Mentions: []string{"U024BE7LH", "alice@example.com", "slack:<!here>", "slack:W0BOB0001"},
	}
}

func TestSlackReminderReply(t *testing.T) {
	t.Parallel()
	b, err := SlackReminderReply(testReminder(FollowupLastCall), "C1", "1700000000.000100")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got["channel"] != "C1" || got["thread_ts"] != "1700000000.000100" || got["reply_broadcast"] != true {
		t.Errorf("not a broadcast thread reply: %s", b)
	}
	text, _ := got["text"].(string)
	for _, want := range []string{"Last call: expires in 10 minutes, at 2026-12-02 13:00 UTC", "<@U024BE7LH>", "<@W0BOB0001>", "alice@example.com", "&lt;!channel&gt;", "&lt;!here&gt;"} {
		if !strings.Contains(text, want) {
			t.Errorf("text %q lacks %q", text, want)
		}
	}
	b, _ = SlackReminderReply(testReminder(FollowupReminder), "C1", "1")
	if strings.Contains(string(b), "reply_broadcast") || !strings.Contains(string(b), "Reminder: still waiting") {
		t.Errorf("a reminder stays in the thread: %s", b)
	}
}

func TestReminderChannels(t *testing.T) {
	t.Parallel()
	rm := testReminder(FollowupReminder)
	hook, err := SlackWebhookReminder(rm)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{rm.ApproveURL, rm.RejectURL, "Reminder: still waiting", "<@U024BE7LH>"} {
		if !strings.Contains(string(hook), want) {
			t.Errorf("incoming webhook reminder lacks %q: %s", want, hook)
		}
	}
	wf, err := SlackWorkflowReminder(rm)
	if err != nil {
		t.Fatal(err)
	}
	var vars map[string]string
	if err := json.Unmarshal(wf, &vars); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(vars["title"], "Reminder: Deploy") || vars["approve_url"] != rm.ApproveURL || !strings.Contains(vars["text"], "expires in 10 minutes") {
		t.Errorf("workflow variables: %v", vars)
	}
	full, err := SNSReminderJSON(testReminder(FollowupLastCall))
	if err != nil {
		t.Fatal(err)
	}
	var sns map[string]string
	if err := json.Unmarshal([]byte(full), &sns); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sns["email"], "Last call: expires in 10 minutes") || !strings.Contains(sns["email"], rm.RejectURL) ||
		!strings.HasSuffix(sns["sms"], rm.ApproveURL) || sns["default"] != sns["email"] {
		t.Errorf("SNS reminder: %v", sns)
	}
	if s := SNSReminderSubject(rm); s != "Approval needed: reminder, Deploy <!channel> v2" {
		t.Errorf("subject %q", s)
	}
	wh, err := WebhookReminderBody(rm)
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(wh, &ev); err != nil {
		t.Fatal(err)
	}
	if ev["event"] != WebhookEventReminded || ev["kind"] != FollowupReminder || ev["reminder"] != float64(2) ||
		ev["request_id"] != "r1" || ev["approve_url"] != rm.ApproveURL || ev["sent_at"] != "2026-12-02T12:50:00Z" {
		t.Errorf("webhook event: %s", wh)
	}
}

// TestParseConfigDoc_reminders: a document with reminders the sweep cannot
// keep (edited by hand) is refused.
func TestParseConfigDoc_reminders(t *testing.T) {
	t.Parallel()
	for doc, want := range map[string]string{
		`{"reminders":{"after_seconds":600,"every_seconds":600,"max":3},"warn_before_expiry_seconds":300}`: "",
		`{"reminders":{"after_seconds":600,"every_seconds":10,"max":3}}`:                                   "every_seconds is 10",
		`{"reminders":{"after_seconds":0,"every_seconds":600,"max":3}}`:                                    "after_seconds is 0",
		`{"reminders":{"after_seconds":600,"every_seconds":600,"max":0}}`:                                  "max is 0",
		`{"warn_before_expiry_seconds":5}`:                                                                 "warn_before_expiry_seconds is 5",
	} {
		_, err := ParseConfigDoc(doc)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("ParseConfigDoc(%s) = %v, want %q", doc, err, want)
		}
	}
}
