package approval

import (
	"strings"
	"testing"
)

func TestParseIdentity(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want, err string
	}{
		{in: "U024BE7LH", want: "slack:U024BE7LH"},
		{in: " W012ABCDE ", want: "slack:W012ABCDE"},
		{in: "slack:U024BE7LH", want: "slack:U024BE7LH"},
		{in: "Alice@Example.com", want: "email:alice@example.com"},
		{in: "email:Alice@Example.COM", want: "email:alice@example.com"},
		{in: "sso:00u1AbCd", want: "sso:00u1AbCd"},
		{in: "api:repo:org/app:ref:refs/heads/main", want: "api:repo:org/app:ref:refs/heads/main"},
		{in: "", err: "must not be empty"},
		{in: "alice", err: "is not an identity"},
		{in: "Alice Smith", err: "is not an identity"},
		{in: "@alice", err: "is not an identity"},
		{in: "<@U024BE7LH>", err: "is not an e-mail address"},
		{in: "u024be7lh", err: "is not an identity"},
		{in: "slack:alice", err: "is not a Slack user id"},
		{in: "slack:", err: "is not a Slack user id"},
		{in: "email:alice", err: "is not an e-mail address"},
		{in: "Alice <alice@example.com>", err: "is not an e-mail address"},
		{in: "a@b@c", err: "is not an e-mail address"},
		{in: "a,b@example.com", err: "is not an e-mail address"},
		{in: "sso:", err: "must not be empty"},
		{in: "api:a b", err: "white space"},
		{in: "sso:a,b", err: "commas"},
		{in: "sso:" + strings.Repeat("x", 300), err: "longer than"},
		{in: "github:alice", err: "is not an identity"},
	} {
		got, err := ParseIdentity(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseIdentity(%q) = %q, %v; want error containing %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseIdentity(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParseIdentity(f *testing.F) {
	for _, s := range []string{"U024BE7LH", "a@b.c", "sso:x", "api:y", "slack:W1A", "email:A@B.C", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseIdentity(s)
		if err != nil {
			return
		}
		again, err := ParseIdentity(id)
		if err != nil || again != id {
			t.Fatalf("canonical %q of %q does not parse to itself: %q, %v", id, s, again, err)
		}
	})
}
