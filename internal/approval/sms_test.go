package approval

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestSMSSegments follows the GSM 03.38 / UCS-2 segment sizes AWS End User
// Messaging SMS documents ("SMS character limits": 160 GSM-7 characters or
// 70 UCS-2 characters in one part, 153 and 67 per part of a longer message).
func TestSMSSegments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    string
		want int
	}{
		{"", 1},
		{strings.Repeat("a", 160), 1},
		{strings.Repeat("a", 161), 2},
		{strings.Repeat("a", 306), 2},
		{strings.Repeat("a", 307), 3},
		{strings.Repeat("{", 80), 1}, // extension characters take two septets
		{strings.Repeat("{", 81), 2},
		{strings.Repeat("é", 160), 1}, // é is GSM-7
		{strings.Repeat("ł", 70), 1},  // ł is not: UCS-2
		{strings.Repeat("ł", 71), 2},
		{strings.Repeat("\U0001F600", 35), 1}, // a surrogate pair each
		{strings.Repeat("\U0001F600", 36), 2},
	}
	for _, tt := range tests {
		if got := SMSSegments(tt.s); got != tt.want {
			t.Errorf("SMSSegments(%d × %q) = %d, want %d", utf8.RuneCountInString(tt.s), firstRune(tt.s), got, tt.want)
		}
	}
}

func firstRune(s string) string {
	for _, r := range s {
		return string(r)
	}
	return ""
}

func TestSMSMessage(t *testing.T) {
	t.Parallel()
	link := "https://abc123.execute-api.eu-west-1.amazonaws.com/r/AAAAAAAAAAAAAAAAAAAAAA?d=approve&exp=1764662400&sig=" + strings.Repeat("s", 43)
	m := Message{Title: "Deploy  web\nv42", ApproveURL: link, RejectURL: "https://x/reject", Text: "long text", Context: []Field{{"k", "v"}}}
	got := SMSMessage(m)
	if want := "Approval needed: Deploy web v42\nReview: " + link; got != want {
		t.Errorf("SMS = %q, want %q", got, want)
	}
	if n := SMSSegments(got); n != 2 {
		t.Errorf("a short title and a link: %d segments, want 2", n)
	}
	m.Title = strings.Repeat("ł", MaxTitleRunes) // the longest title, not GSM-7
	long := SMSMessage(m)
	if utf8.RuneCountInString(long) > MaxSMSChars || !strings.HasSuffix(long, link) {
		t.Errorf("longest title: %d characters", utf8.RuneCountInString(long))
	}
	t.Logf("figure SMS: a typical request is %d characters, %d segments; the longest title (UCS-2) %d characters, %d segments",
		utf8.RuneCountInString(got), SMSSegments(got), utf8.RuneCountInString(long), SMSSegments(long))
	m.Title = strings.Repeat("x", 3000)
	if n := utf8.RuneCountInString(SMSMessage(m)); n > MaxSMSChars {
		t.Errorf("a title past the limit: %d characters", n)
	}
}

// TestSNSMessageJSON: the publish body for MessageStructure=json has the
// keys SNS requires ("default") and uses ("email", "sms"), each a string
// (Publish API reference, MessageStructure).
func TestSNSMessageJSON(t *testing.T) {
	t.Parallel()
	m := Message{Title: "Deploy", ApproveURL: "https://x/a", RejectURL: "https://x/r", ExpiresAt: time.Unix(0, 0)}
	body, err := SNSMessageJSON(m)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got["default"] != SNSMessage(m) || got["email"] != SNSMessage(m) || got["sms"] != SMSMessage(m) || len(got) != 3 {
		t.Errorf("body %s", body)
	}
	if strings.Contains(got["sms"], "https://x/r") {
		t.Error("the SMS carries more than one link")
	}
}
