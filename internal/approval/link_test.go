package approval

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	testKey = []byte(strings.Repeat("k", 64))
	testID  = "AAECAwQFBgcICQoLDA0ODw" // base64url of bytes 0..15
	testExp = time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)
)

const sigAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

func testLink(d string) Link { return Link{ID: testID, Decision: d, Expires: testExp} }

func mustQuery(t testing.TB, l Link, key []byte) url.Values {
	t.Helper()
	q, err := url.ParseQuery(l.Query(key))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestLinkURL(t *testing.T) {
	t.Parallel()
	got := testLink(DecisionApprove).URL("https://api.example", testKey)
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if u.Path != "/r/"+testID {
		t.Errorf("path = %q", u.Path)
	}
	q := u.Query()
	if diff := cmp.Diff([]string{"approve", strconv.FormatInt(testExp.Unix(), 10)}, []string{q.Get("d"), q.Get("exp")}); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
	if n := len(q.Get("sig")); n != 43 {
		t.Errorf("sig has %d chars, want 43", n)
	}
}

func TestVerifyLink_roundTrip(t *testing.T) {
	t.Parallel()
	for _, d := range []string{DecisionApprove, DecisionReject} {
		l, err := VerifyLink(testKey, testID, mustQuery(t, testLink(d), testKey), testExp.Add(-time.Hour))
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		if diff := cmp.Diff(testLink(d), l); diff != "" {
			t.Errorf("%s (-want +got):\n%s", d, diff)
		}
	}
}

func TestVerifyLink_expiry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		now  time.Time
		want error
	}{
		{"long before", testExp.Add(-24 * time.Hour), nil},
		{"one second before", testExp.Add(-time.Second), nil},
		{"at expiry", testExp, nil},
		{"just under a second after", testExp.Add(999 * time.Millisecond), nil},
		{"one second after", testExp.Add(time.Second), ErrLinkExpired},
		{"long after", testExp.Add(30 * 24 * time.Hour), ErrLinkExpired},
	}
	q := mustQuery(t, testLink(DecisionApprove), testKey)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := VerifyLink(testKey, testID, q, tt.now); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestVerifyLink_tamperSignature changes every character of the signature
// to every other character of its alphabet.
func TestVerifyLink_tamperSignature(t *testing.T) {
	t.Parallel()
	q := mustQuery(t, testLink(DecisionApprove), testKey)
	sig := q.Get(QuerySignature)
	now := testExp.Add(-time.Minute)
	for i := range sig {
		for _, c := range sigAlphabet + "=+/." {
			if byte(c) == sig[i] {
				continue
			}
			bad := url.Values{QueryDecision: q[QueryDecision], QueryExpires: q[QueryExpires], QuerySignature: {sig[:i] + string(c) + sig[i+1:]}}
			if _, err := VerifyLink(testKey, testID, bad, now); !errors.Is(err, ErrLinkInvalid) {
				t.Fatalf("sig[%d]=%q accepted (err %v)", i, c, err)
			}
		}
	}
}

// TestVerifyLink_tamperFields changes each signed field, keeping the
// signature.
func TestVerifyLink_tamperFields(t *testing.T) {
	t.Parallel()
	now := testExp.Add(-time.Hour)
	good := mustQuery(t, testLink(DecisionApprove), testKey)
	exp := good.Get(QueryExpires)
	with := func(k, v string) url.Values {
		q := url.Values{}
		for kk, vv := range good {
			q[kk] = vv
		}
		if v == "\x00delete" {
			delete(q, k)
		} else {
			q.Set(k, v)
		}
		return q
	}
	type tc struct {
		name string
		id   string
		q    url.Values
	}
	var tests []tc
	for i := range testID {
		for _, c := range "AQgw_-9z" {
			if byte(c) != testID[i] {
				tests = append(tests, tc{"id[" + strconv.Itoa(i) + "]=" + string(c), testID[:i] + string(c) + testID[i+1:], good})
			}
		}
	}
	for i := range exp {
		for c := '0'; c <= '9'; c++ {
			if byte(c) != exp[i] {
				tests = append(tests, tc{"exp[" + strconv.Itoa(i) + "]=" + string(c), testID, with(QueryExpires, exp[:i]+string(c)+exp[i+1:])})
			}
		}
	}
	n, _ := strconv.ParseInt(exp, 10, 64)
	tests = append(tests,
		tc{"decision swapped", testID, with(QueryDecision, DecisionReject)},
		tc{"decision upper case", testID, with(QueryDecision, "APPROVE")},
		tc{"decision missing", testID, with(QueryDecision, "\x00delete")},
		tc{"exp plus one", testID, with(QueryExpires, strconv.FormatInt(n+1, 10))},
		tc{"exp minus one", testID, with(QueryExpires, strconv.FormatInt(n-1, 10))},
		tc{"exp leading zero", testID, with(QueryExpires, "0"+exp)},
		tc{"exp plus sign", testID, with(QueryExpires, "+"+exp)},
		tc{"exp missing", testID, with(QueryExpires, "\x00delete")},
		tc{"sig missing", testID, with(QuerySignature, "\x00delete")},
		tc{"sig padded", testID, with(QuerySignature, good.Get(QuerySignature)+"=")},
		tc{"sig twice", testID, func() url.Values { q := with(QueryDecision, DecisionApprove); q.Add(QuerySignature, "x"); return q }()},
		tc{"id empty", "", good},
		tc{"id longer", testID + "A", good},
	)
	for _, tt := range tests {
		if _, err := VerifyLink(testKey, tt.id, tt.q, now); !errors.Is(err, ErrLinkInvalid) {
			t.Errorf("%s: err = %v, want ErrLinkInvalid", tt.name, err)
		}
	}
	if _, err := VerifyLink([]byte(strings.Repeat("K", 64)), testID, good, now); !errors.Is(err, ErrLinkInvalid) {
		t.Errorf("other key: err = %v, want ErrLinkInvalid", err)
	}
	// An expired and tampered link is reported as invalid, not expired.
	if _, err := VerifyLink(testKey, testID, with(QueryDecision, DecisionReject), testExp.Add(time.Hour)); !errors.Is(err, ErrLinkInvalid) {
		t.Errorf("tampered and expired: err = %v, want ErrLinkInvalid", err)
	}
}

// FuzzVerifyLink checks that parsing never panics and that whatever verifies
// is exactly what Link.Query produces (no second spelling of a link; other
// query parameters, such as tracking ones added by mail clients, are ignored).
func FuzzVerifyLink(f *testing.F) {
	f.Add(testID, testLink(DecisionApprove).Query(testKey))
	f.Add(testID, testLink(DecisionReject).Query(testKey))
	f.Add(testID, "d=approve&exp=1&sig=")
	f.Add("", "")
	f.Add(testID, "d=approve&d=reject&exp=99999999999&sig=%%%")
	f.Fuzz(func(t *testing.T, id, rawQuery string) {
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return
		}
		l, err := VerifyLink(testKey, id, q, time.Unix(0, 0))
		if err != nil {
			return
		}
		signed := url.Values{}
		for _, k := range []string{QueryDecision, QueryExpires, QuerySignature} {
			signed[k] = q[k]
		}
		if diff := cmp.Diff(signed, mustQuery(t, l, testKey)); diff != "" || l.ID != id {
			t.Errorf("verified a non-canonical link %q %q (-got +canonical):\n%s", id, rawQuery, diff)
		}
	})
}
