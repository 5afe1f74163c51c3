package approval

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	testCookieKey = CookieKey(bytes.Repeat([]byte("k"), 32))
	testNow       = time.Unix(1_800_000_000, 0).UTC()
	testReqID     = "AAAAAAAAAAAAAAAAAAAAAA"
	otherReqID    = "BBBBBBBBBBBBBBBBBBBBBB"
)

func TestCookieKey(t *testing.T) {
	t.Parallel()
	a, b := CookieKey([]byte(strings.Repeat("a", 32))), CookieKey([]byte(strings.Repeat("b", 32)))
	if len(a) != 32 || bytes.Equal(a, b) {
		t.Fatalf("keys of different signing keys must differ and be 32 bytes: %x %x", a, b)
	}
	if bytes.Equal(a, []byte(strings.Repeat("a", 32))) {
		t.Fatal("the cookie key must not be the signing key itself")
	}
}

func TestSSOLoginRoundTrip(t *testing.T) {
	t.Parallel()
	l, err := NewSSOLogin(rand.Reader, testReqID, "/r/"+testReqID+"?d=approve&exp=1&sig=x", testNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{l.State, l.Nonce, l.Verifier} {
		if !ValidState(v) {
			t.Fatalf("random value %q has the wrong shape", v)
		}
	}
	if l.State == l.Nonce || l.Nonce == l.Verifier {
		t.Fatal("state, nonce and verifier must be independent")
	}
	v, err := SealLogin(testCookieKey, l)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(v, l.Verifier) || strings.Contains(v, l.Nonce) {
		t.Fatal("the login cookie must not show the PKCE verifier or the nonce")
	}
	got, err := OpenLogin(testCookieKey, v, l.State, testNow.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(l, got); diff != "" {
		t.Fatalf("login round trip (-want +got):\n%s", diff)
	}
}

func TestOpenLoginRefuses(t *testing.T) {
	t.Parallel()
	l, err := NewSSOLogin(rand.Reader, testReqID, "/r/"+testReqID+"?d=approve", testNow)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := SealLogin(testCookieKey, l)
	other, _ := NewSSOLogin(rand.Reader, testReqID, "/r/"+testReqID+"?d=approve", testNow)
	otherValue, _ := SealLogin(testCookieKey, other)
	session, _ := SealSession(testCookieKey, NewSSOSession(testReqID, "email:a@example.com", "A", nil, testNow))
	badReturn := l
	badReturn.Return = "https://evil.example/"
	badReturnValue, _ := SealLogin(testCookieKey, badReturn)
	tampered := []byte(good)
	tampered[len(tampered)/2] ^= 1

	tests := []struct {
		name, value, state string
		now                time.Time
		want               error
	}{
		{"state of another login", otherValue, l.State, testNow, ErrStateMismatch},
		{"state changed in the redirect", good, other.State, testNow, ErrStateMismatch},
		{"malformed state", good, "x", testNow, ErrStateMismatch},
		{"empty state", good, "", testNow, ErrStateMismatch},
		{"expired", good, l.State, testNow.Add(LoginTTL + time.Second), ErrCookieExpired},
		{"sealed with another key", mustSealLogin(t, CookieKey([]byte(strings.Repeat("z", 32))), l), l.State, testNow, ErrCookieInvalid},
		{"tampered", string(tampered), l.State, testNow, ErrCookieInvalid},
		{"a session cookie", session, l.State, testNow, ErrCookieInvalid},
		{"return outside the request's link", badReturnValue, l.State, testNow, ErrCookieInvalid},
		{"empty", "", l.State, testNow, ErrCookieInvalid},
		{"garbage", "!!!", l.State, testNow, ErrCookieInvalid},
		{"too long", strings.Repeat("A", MaxCookieValueBytes+1), l.State, testNow, ErrCookieInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := OpenLogin(testCookieKey, tt.value, tt.state, tt.now); !errors.Is(err, tt.want) {
				t.Fatalf("OpenLogin = %v, want %v", err, tt.want)
			}
		})
	}
}

func mustSealLogin(t *testing.T, key []byte, l SSOLogin) string {
	t.Helper()
	v, err := SealLogin(key, l)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSSOSessionRoundTripAndBinding(t *testing.T) {
	t.Parallel()
	s := NewSSOSession(testReqID, "email:alice@example.com", "  Alice   Liddell ", []string{"ops", "", "dev"}, testNow)
	if s.Name != "Alice Liddell" || len(s.Groups) != 2 || s.Expires != testNow.Add(SessionTTL).Unix() {
		t.Fatalf("session = %+v", s)
	}
	v, err := SealSession(testCookieKey, s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := OpenSession(testCookieKey, v, testReqID, testNow.Add(SessionTTL))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s, got); diff != "" {
		t.Fatalf("session round trip (-want +got):\n%s", diff)
	}
	login, _ := SealLogin(testCookieKey, SSOLogin{State: strings.Repeat("A", 43), RequestID: testReqID})
	for name, tc := range map[string]struct {
		value, id string
		now       time.Time
		want      error
	}{
		"another request":       {v, otherReqID, testNow, ErrCookieInvalid},
		"expired":               {v, testReqID, testNow.Add(SessionTTL + time.Second), ErrCookieExpired},
		"a login cookie":        {login, testReqID, testNow, ErrCookieInvalid},
		"malformed request id":  {v, "x", testNow, ErrCookieInvalid},
		"truncated":             {v[:len(v)-2], testReqID, testNow, ErrCookieInvalid},
		"another gate's cookie": {mustSealSession(t, CookieKey([]byte(strings.Repeat("q", 32))), s), testReqID, testNow, ErrCookieInvalid},
	} {
		if _, err := OpenSession(testCookieKey, tc.value, tc.id, tc.now); !errors.Is(err, tc.want) {
			t.Errorf("%s: OpenSession = %v, want %v", name, err, tc.want)
		}
	}
}

func mustSealSession(t *testing.T, key []byte, s SSOSession) string {
	t.Helper()
	v, err := SealSession(key, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestNewSSOSessionCapsGroups(t *testing.T) {
	t.Parallel()
	var groups []string
	for i := range 500 {
		groups = append(groups, strings.Repeat("g", 40)+string(rune('a'+i%26)))
	}
	s := NewSSOSession(testReqID, "sso:x", strings.Repeat("n", 500), groups, testNow)
	if len(s.Groups) > MaxSessionGroups {
		t.Fatalf("%d groups kept, want ≤ %d", len(s.Groups), MaxSessionGroups)
	}
	v, err := SealSession(testCookieKey, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(v) > MaxCookieValueBytes {
		t.Fatalf("cookie of %d bytes", len(v))
	}
}

// FuzzOpenLogin feeds arbitrary cookie values and OAuth state parameters to
// the login cookie parser: it must never panic, and whatever it accepts
// must carry exactly the state given and a return link of its own request.
func FuzzOpenLogin(f *testing.F) {
	l := SSOLogin{State: strings.Repeat("s", 43), Nonce: "n", Verifier: "v", RequestID: testReqID, Return: "/r/" + testReqID + "?d=approve", Expires: testNow.Add(time.Minute).Unix()}
	good, _ := SealLogin(testCookieKey, l)
	f.Add(good, l.State)
	f.Add(good, strings.Repeat("t", 43))
	f.Add("", "")
	f.Add("AAAA", strings.Repeat("s", 43))
	f.Fuzz(func(t *testing.T, value, state string) {
		got, err := OpenLogin(testCookieKey, value, state, testNow)
		if err != nil {
			return
		}
		if got.State != state || !strings.HasPrefix(got.Return, "/r/"+got.RequestID+"?") || !ValidRequestID(got.RequestID) {
			t.Fatalf("accepted a login that does not hold: %+v for state %q", got, state)
		}
	})
}

// FuzzOpenSession feeds arbitrary cookie values to the session parser: it
// must never panic and never accept a session for another request.
func FuzzOpenSession(f *testing.F) {
	good, _ := SealSession(testCookieKey, NewSSOSession(testReqID, "email:alice@example.com", "Alice", []string{"ops"}, testNow))
	f.Add(good, testReqID)
	f.Add(good, otherReqID)
	f.Add("", testReqID)
	f.Add(strings.Repeat("A", 60), testReqID)
	f.Fuzz(func(t *testing.T, value, id string) {
		got, err := OpenSession(testCookieKey, value, id, testNow)
		if err != nil {
			return
		}
		if got.RequestID != id || got.Identity == "" {
			t.Fatalf("accepted a session that does not hold: %+v for request %q", got, id)
		}
	})
}
