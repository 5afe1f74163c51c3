package acctest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

func newTestTeams(t *testing.T) *Teams {
	t.Helper()
	tm, err := NewTeams()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tm.Close)
	return tm
}

func postTeams(t *testing.T, url, body string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func teamsTestMessage() approval.Message {
	return approval.Message{
		RequestID: "AAAAAAAAAAAAAAAAAAAAAA", Gate: "deploy-prod", Title: "Deploy web to prod",
		Text:        "Release 42: **hotfix** for [login](https://evil.example) <at>all</at>",
		Context:     []approval.Field{{Key: "amount", Value: "42"}, {Key: "env", Value: "prod _eu_"}},
		RequestedBy: "alice@example.com", ExecutionID: "arn:aws:states:eu-west-1:123456789012:execution:deploy:run-7",
		ExpiresAt:  time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC),
		ApproveURL: "https://cb.example/r/AAAAAAAAAAAAAAAAAAAAAA?d=approve&exp=1&sig=x",
		RejectURL:  "https://cb.example/r/AAAAAAAAAAAAAAAAAAAAAA?d=reject&exp=1&sig=y",
	}
}

// TestTeams_acceptsCards: every card the gate renders is accepted (202)
// and parsed into texts, facts and buttons.
func TestTeams_acceptsCards(t *testing.T) {
	t.Parallel()
	tm := newTestTeams(t)
	m := teamsTestMessage()
	card, _ := approval.TeamsCard(m)
	reminder, _ := approval.TeamsReminderCard(m, false)
	decided, _ := approval.TeamsDecisionCard(m, &approval.Outcome{Decision: approval.OutcomeApproved,
		Approvers: []approval.Approver{{ID: "email:bob@example.com", Name: "Bob", Via: approval.ViaSSO}}, Comment: "ship it"})
	for _, b := range [][]byte{card, reminder, decided} {
		if code, _, body := postTeams(t, tm.WebhookURL(), string(b)); code != http.StatusAccepted {
			t.Fatalf("HTTP %d: %s", code, body)
		}
	}
	posts := tm.Posts()
	if len(posts) != 3 {
		t.Fatalf("%d posts", len(posts))
	}
	a, ok := posts[0].Action("Approve")
	if !ok || a.URL != m.ApproveURL || len(posts[0].Facts) != 2 || posts[0].Facts[0] != [2]string{"amount", "42"} {
		t.Errorf("first card: %+v", posts[0])
	}
	if len(posts[2].Actions) != 0 || !strings.Contains(strings.Join(posts[2].Texts, "\n"), "Approved by **Bob**") {
		t.Errorf("decision card: %+v", posts[2])
	}
}

// TestTeams_refusesWhatTeamsRefuses: bodies the Workflows trigger or its
// Post card step refuse get 400 (or 404 for another URL), and nothing is
// posted.
func TestTeams_refusesWhatTeamsRefuses(t *testing.T) {
	t.Parallel()
	tm := newTestTeams(t)
	card := `{"type":"AdaptiveCard","version":"1.4","body":[{"type":"TextBlock","text":"hi"}]}`
	tests := map[string]string{
		"not JSON":                 `{"type":`,
		"no type":                  `{"attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":` + card + `}]}`,
		"type not message":         `{"type":"card","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":` + card + `}]}`,
		"no attachments":           `{"type":"message","attachments":[]}`,
		"wrong content type":       `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.hero","content":` + card + `}]}`,
		"card is a string":         `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":"{}"}]}`,
		"card not an AdaptiveCard": `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{"type":"Card","version":"1.4","body":[]}}]}`,
		"element without type":     `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{"type":"AdaptiveCard","version":"1.4","body":[{"text":"x"}]}}]}`,
		"relative button URL":      `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{"type":"AdaptiveCard","version":"1.4","body":[],"actions":[{"type":"Action.OpenUrl","title":"Go","url":"/r/x"}]}}]}`,
	}
	for name, body := range tests {
		if code, _, answer := postTeams(t, tm.WebhookURL(), body); code != http.StatusBadRequest {
			t.Errorf("%s: HTTP %d %s, want 400", name, code, answer)
		}
	}
	if code, _, _ := postTeams(t, tm.URL+"/workflows/other/triggers/manual/paths/invoke?sig=x", `{}`); code != http.StatusNotFound {
		t.Errorf("another flow: HTTP %d, want 404", code)
	}
	if n := len(tm.Posts()); n != 0 {
		t.Errorf("%d refused bodies were posted", n)
	}
	if got := len(tm.Refused()); got != len(tests)+1 {
		t.Errorf("%d refusals recorded, want %d", got, len(tests)+1)
	}
}

// TestTeams_failNext: FailNext answers 429 with Retry-After n times, then
// accepts.
func TestTeams_failNext(t *testing.T) {
	t.Parallel()
	tm := newTestTeams(t)
	tm.FailNext(2, http.StatusTooManyRequests, "3")
	card, _ := approval.TeamsCard(teamsTestMessage())
	for i := range 2 {
		code, h, _ := postTeams(t, tm.WebhookURL(), string(card))
		if code != http.StatusTooManyRequests || h.Get("Retry-After") != "3" {
			t.Fatalf("attempt %d: HTTP %d, Retry-After %q", i, code, h.Get("Retry-After"))
		}
	}
	if code, _, _ := postTeams(t, tm.WebhookURL(), string(card)); code != http.StatusAccepted {
		t.Fatalf("third attempt: HTTP %d", code)
	}
	if tm.Attempts() != 3 || len(tm.Posts()) != 1 {
		t.Errorf("%d attempts, %d posts", tm.Attempts(), len(tm.Posts()))
	}
}

// TestTeams_inbox: the inbox page renders the cards: escaped Markdown as
// text (no link from a request field), bold, facts, and the two buttons as
// links to the signed URLs. With TEAMS_SCREENSHOT=1 (and Chromium) it also
// writes .tmp/screenshots/teams-inbox.png.
func TestTeams_inbox(t *testing.T) {
	t.Parallel()
	tm := newTestTeams(t)
	m := teamsTestMessage()
	card, _ := approval.TeamsCard(m)
	decided, _ := approval.TeamsDecisionCard(m, nil)
	for _, b := range [][]byte{card, decided} {
		postTeams(t, tm.WebhookURL(), string(b))
	}
	resp, err := http.Get(tm.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`<a class="positive" href="` + strings.ReplaceAll(m.ApproveURL, "&", "&amp;") + `">Approve</a>`,
		`<a class="destructive" href="` + strings.ReplaceAll(m.RejectURL, "&", "&amp;") + `">Reject</a>`,
		"[login](https://evil.example)", "&lt;at&gt;all&lt;/at&gt;", "Release 42: **hotfix** for",
		`<td class="k">amount</td><td>42</td>`, "prod _eu_", "<strong>Expired:</strong>",
	} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("inbox lacks %s", want)
		}
	}
	if bytes.Contains(page, []byte("md-link\" href")) {
		t.Error("a request field became a link")
	}
	if os.Getenv("TEAMS_SCREENSHOT") == "" {
		return
	}
	png, err := ScreenshotPage(context.Background(), tm.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "..", ".tmp", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "teams-inbox.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTeamsMarkdown: the inbox renders Markdown as Teams does, so an
// unescaped link would show as one there.
func TestTeamsMarkdown(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		`**b** _i_ x`:              `<strong>b</strong> <em>i</em> x`,
		`[t](https://e.example) é`: `<a class="md-link" href="https://e.example">t</a> é`,
		`\[t\]\(u\) \*\*b\*\* \<`:  `[t](u) **b** &lt;`,
		"<script>&\nz":             "&lt;script&gt;&amp;<br>z",
	}
	for in, want := range tests {
		if got := string(TeamsMarkdown(in)); got != want {
			t.Errorf("TeamsMarkdown(%q) = %q, want %q", in, got, want)
		}
	}
}
