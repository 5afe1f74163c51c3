package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// The IdP endpoints, as acctest.OIDC.Requests names them.
const (
	idpDiscovery = "/.well-known/openid-configuration"
	idpJWKS      = "/.well-known/jwks.json"
	idpToken     = "/token"
	idpUserinfo  = "/userinfo"
	idpAuthorize = "/authorize"
)

// ssoResult is single sign-on in front of links, measured one decision at a
// time: every decision is a new request, so a new session (the session is
// bound to its request) and one sign-in.
type ssoResult struct {
	Decisions int
	SignIn    latency // link GET without a session → IdP → /auth/callback → confirm page
	Page      latency // link GET with the session → confirm page
	Resume    latency // POST with the session → execution resumed
	// IdP requests by endpoint: of the first sign-in (the callback process
	// cold) and of all the others (warm).
	First, Warm map[string]int
}

// ssoBrowser is a minimal browser: it follows redirects and keeps cookies
// by host, name and path, sending Secure ones over http to the local hosts
// as browsers do for localhost (Go's cookie jar does not).
type ssoBrowser struct {
	http    *http.Client
	cookies map[string]*http.Cookie
}

func newSSOBrowser(c *http.Client) *ssoBrowser {
	return &ssoBrowser{http: c, cookies: map[string]*http.Cookie{}}
}

func (b *ssoBrowser) do(req *http.Request) (int, http.Header, string, error) {
	host := req.URL.Host
	for _, c := range b.cookies {
		if c.Domain == host && (req.URL.Path == c.Path || strings.HasPrefix(req.URL.Path, strings.TrimRight(c.Path, "/")+"/")) {
			req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, "", err
	}
	for _, c := range resp.Cookies() {
		c.Domain = host // host-only, as the gate sets them
		if c.MaxAge < 0 {
			delete(b.cookies, host+" "+c.Name+" "+c.Path)
		} else {
			b.cookies[host+" "+c.Name+" "+c.Path] = c
		}
	}
	return resp.StatusCode, resp.Header, string(body), nil
}

// open GETs link and follows redirects; it returns the last answer.
func (b *ssoBrowser) open(ctx context.Context, link string) (int, string, error) {
	for range 10 {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
		if err != nil {
			return 0, "", err
		}
		code, h, body, err := b.do(req)
		if err != nil {
			return 0, "", err
		}
		loc := h.Get("Location")
		if code != http.StatusFound || loc == "" {
			return code, body, nil
		}
		next, err := req.URL.Parse(loc)
		if err != nil {
			return 0, "", err
		}
		link = next.String()
	}
	return 0, "", fmt.Errorf("more than 10 redirects from %s", link)
}

func (b *ssoBrowser) post(ctx context.Context, link string, form url.Values) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, link, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	code, _, body, err := b.do(req)
	return code, body, err
}

// ssoUser is the person who signs in for every decision; the requester is
// someone else, so the self-approval ban (on) lets the decision through.
var ssoUser = acctest.OIDCUser{Subject: "u-alice", Email: "alice@example.com", EmailVerified: true, Name: "Alice"}

const ssoRequester = "carol@example.com"

// runSSO measures a gate with an sso block against the harness's local
// OpenID Connect provider: n decisions, one at a time, each a sign-in in a
// fresh browser then a POST with the session.
func runSSO(ctx context.Context, o options, cfgSDK aws.Config, mgr *gate.Manager, local *acctest.Local, slack *acctest.Slack, nonce string) (*ssoResult, error) {
	idp, err := acctest.StartOIDC()
	if err != nil {
		return nil, err
	}
	defer func() { _ = idp.Stop() }()
	name := "bs" + nonce
	step("single sign-on: creating gate %s (sso against the local OpenID Connect provider at %s, self-approval ban on)", name, idp.Issuer())
	spec := benchSpec(name, slack.WebhookURL())
	spec.AllowSelfApproval = false
	spec.SSO = &gate.SSOSpec{IssuerURL: idp.Issuer(), ClientID: idp.ClientID(), ClientSecret: idp.ClientSecret(),
		Scopes: []string{"openid", "email", "profile"}, IdentityClaim: "email"}
	g, stop, err := startBenchGate(ctx, cfgSDK, mgr, local, spec, "the sso gate")
	if err != nil {
		return nil, err
	}
	defer stop()
	h, sm, client := g.h, g.sm, g.sfn
	hc := acctest.HTTPClient()
	hc.Timeout = time.Minute

	step("single sign-on: %d decisions, one at a time, each signing in anew (poll every %s)", o.ssoDecisions, o.poll)
	res := &ssoResult{Decisions: o.ssoDecisions, First: map[string]int{}, Warm: map[string]int{}}
	var signIn, page, resume []time.Duration
	seen := len(slack.Messages())
	idp.ResetRequests()
	fail := func(i int, err error) (*ssoResult, error) {
		return nil, fmt.Errorf("sso decision %d: %w\ncallback output (tail):\n%s", i, err, tail(h.Output(name+"-callback"), 2000))
	}
	for i := 0; i < o.ssoDecisions; i++ {
		marker := fmt.Sprintf("%s-sso-%06d", nonce, i)
		out, err := client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm),
			Input: aws.String(fmt.Sprintf(`{"requested_by":%q,"change":%q}`, ssoRequester, marker))})
		if err != nil {
			return nil, fmt.Errorf("starting sso execution %d: %w", i, err)
		}
		arn := aws.ToString(out.ExecutionArn)
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		msgs, err := slack.WaitMessages(wctx, seen+1)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("sso execution %d: %w\nnotifier output (tail):\n%s", i, err, tail(h.Output(name+"-notifier"), 2000))
		}
		msg := msgs[seen]
		seen++
		if !strings.Contains(mustJSON(msg.Body), marker) {
			return nil, fmt.Errorf("sso execution %d: the Slack message is not this execution's (no %q in it)", i, marker)
		}
		link := msg.ApproveURL

		// The sign-in: link → 302 to the IdP → 302 back to /auth/callback
		// (the code exchanged, the ID token verified) → 302 to the link →
		// the confirm page.
		b := newSSOBrowser(hc)
		idp.SignInNext(ssoUser)
		before := idp.Requests()
		t0 := time.Now()
		code, body, err := b.open(ctx, link)
		d := time.Since(t0)
		if err != nil {
			return fail(i, err)
		}
		if code != http.StatusOK || !strings.Contains(body, "Signed in as") {
			return fail(i, fmt.Errorf("the sign-in ended %d without the confirm page:\n%.500s", code, body))
		}
		signIn = append(signIn, d)
		add := res.Warm
		if i == 0 {
			add = res.First
		}
		for k, v := range idp.Requests() {
			if n := v - before[k]; n != 0 {
				add[k] += n
			}
		}

		// The confirm page again, with the session: what a link costs once
		// signed in.
		t1 := time.Now()
		code, body, err = b.open(ctx, link)
		d = time.Since(t1)
		if err != nil {
			return fail(i, err)
		}
		if code != http.StatusOK || !strings.Contains(body, "Signed in as") {
			return fail(i, fmt.Errorf("the confirm page with the session answered %d:\n%.500s", code, body))
		}
		page = append(page, d)

		// The decision with the session: POST → execution resumed.
		t2 := time.Now()
		code, body, err = b.post(ctx, link, url.Values{"comment": {"bench"}})
		if err != nil {
			return fail(i, err)
		}
		if code != http.StatusOK {
			return fail(i, fmt.Errorf("the decision with the session answered %d:\n%.500s", code, body))
		}
		for {
			dx, err := client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
			if err != nil {
				return nil, err
			}
			if dx.Status != sfntypes.ExecutionStatusRunning {
				if dx.Status != sfntypes.ExecutionStatusSucceeded {
					return fail(i, fmt.Errorf("execution ended %s", dx.Status))
				}
				resume = append(resume, time.Since(t2))
				break
			}
			if time.Since(t2) > 30*time.Second {
				return fail(i, fmt.Errorf("execution still RUNNING 30 s after the decision"))
			}
			time.Sleep(o.poll)
		}
		if (i+1)%25 == 0 {
			step("  %d/%d sso decisions", i+1, o.ssoDecisions)
		}
	}
	res.SignIn, res.Page, res.Resume = summarize(signIn), summarize(page), summarize(resume)
	return res, nil
}

// idpCalls is the number of requests the callback made to the IdP (every
// endpoint but authorize, which the browser calls).
func idpCalls(m map[string]int) int {
	n := 0
	for k, v := range m {
		if k != idpAuthorize {
			n += v
		}
	}
	return n
}

// idpBreakdown names the callback's IdP requests by endpoint.
func idpBreakdown(m map[string]int) string {
	return fmt.Sprintf("discovery %d, JWKS %d, token %d, userinfo %d", m[idpDiscovery], m[idpJWKS], m[idpToken], m[idpUserinfo])
}

func (r *results) ssoRows(add func(section, figure, measured, target, verdict, how string)) {
	s := r.SSO
	if s == nil {
		return
	}
	how := fmt.Sprintf("gate with an sso block against the harness's local OpenID Connect provider; %d decisions one at a time, each a new request, so a new session and a sign-in in a fresh browser (plain HTTP, cookies kept per host and path)", s.Decisions)
	warm := s.Decisions - 1
	if warm > 0 {
		per := float64(s.Warm[idpToken]) / float64(warm)
		other := idpCalls(s.Warm) - s.Warm[idpToken]
		add("single sign-on", "IdP round trips per session (callback warm)", trimFloat(per, 2), fmt.Sprint(targetIdPRoundTrips), verdict(s.Warm[idpToken] == targetIdPRoundTrips*warm && other == 0),
			fmt.Sprintf("counted at the IdP over %d sign-ins after the first: %s (the code exchange is the one round trip; discovery and JWKS are kept by the warm process); authorize %d (the browser's)", warm, idpBreakdown(s.Warm), s.Warm[idpAuthorize]))
	}
	first := idpCalls(s.First)
	add("single sign-on", "IdP round trips of the first sign-in (callback cold)", fmt.Sprint(first), fmt.Sprintf("≤ %d", targetIdPFirst), verdict(first <= targetIdPFirst),
		"counted at the IdP: "+idpBreakdown(s.First)+" (discovery and JWKS once per process, then the code exchange)")
	add("single sign-on", "sign-in (link GET → IdP → /auth/callback → confirm page), p50", ms(s.SignIn.P50), "≤ "+ms(targetSignInP50), verdict(s.SignIn.P50 <= targetSignInP50), how)
	add("single sign-on", "sign-in (link GET → IdP → /auth/callback → confirm page), p95", ms(s.SignIn.P95), "", "", how)
	add("single sign-on", "sign-in (link GET → IdP → /auth/callback → confirm page), p99", ms(s.SignIn.P99), "≤ "+ms(targetSignInP99), verdict(s.SignIn.P99 <= targetSignInP99), how)
	add("single sign-on", "confirm page with the session (link GET), p50", ms(s.Page.P50), "", "", how)
	add("single sign-on", "latency the sign-in adds to a link, p50", ms(s.SignIn.P50-s.Page.P50), "", "", "sign-in p50 minus the confirm page with the session p50: two more callback invocations, the browser's authorize request and the callback's code exchange")
	add("single sign-on", "POST decision with the session → execution resumed, p50", ms(s.Resume.P50), "≤ "+ms(targetLatencyP50), verdict(s.Resume.P50 <= targetLatencyP50), how+"; polled like the approval path")
	add("single sign-on", "POST decision with the session → execution resumed, p95", ms(s.Resume.P95), "", "", how+"; polled like the approval path")
	add("single sign-on", "POST decision with the session → execution resumed, p99", ms(s.Resume.P99), "≤ "+ms(targetLatencyP99), verdict(s.Resume.P99 <= targetLatencyP99), how+"; polled like the approval path")
}
