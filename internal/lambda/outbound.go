package lambda

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// EnvTestAllowLoopback is the test-only switch that lets the handlers post
// to loopback addresses: the test harness (internal/acctest) sets it to "1"
// for its local Slack and webhook receivers. A gate never sets it (the
// functions' environment is the gate's, and a variable added by hand shows
// as drift and is removed by the next apply).
//
// Why loopback is refused otherwise: inside Lambda, 127.0.0.1:9001 is the
// Runtime API, so a webhook or Slack URL pointing at loopback could post to
// it, e.g. answer another invocation or report errors in the function's
// name, and nothing legitimate listens on loopback in a function.
const EnvTestAllowLoopback = "MANUALAPPROVAL_TEST_ALLOW_LOOPBACK"

// errLoopback refuses an outgoing request to a loopback address.
var errLoopback = errors.New("refused to post to a loopback address: inside AWS Lambda, loopback is the Lambda Runtime API")

// isLoopback reports whether host (a name or an IP, no port) is localhost
// or a loopback address.
func isLoopback(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(h, "[]"))
	return err == nil && ip.Unmap().IsLoopback()
}

// checkOutboundURL refuses a URL the handlers must not post to: a loopback
// host unless allowLoopback.
func checkOutboundURL(raw string, allowLoopback bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return errors.New("invalid URL")
	}
	if !allowLoopback && isLoopback(u.Hostname()) {
		return errLoopback
	}
	return nil
}

// noRedirects keeps the handlers from following redirects: a 3xx answer is
// returned as it is (and is not a success). A webhook or Slack URL that
// redirects would otherwise re-post the approval links to wherever the
// Location header points.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// newHTTPClient is the handlers' HTTP client: a 10-second timeout, no
// redirects, and, unless allowLoopback, a dialer that refuses loopback
// addresses, so a name that resolves to 127.0.0.1 is refused too.
func newHTTPClient(allowLoopback bool) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if !allowLoopback {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if isLoopback(host) {
				return fmt.Errorf("dialing %s: %w", address, errLoopback)
			}
			return nil
		}
	}
	t := &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true, MaxIdleConns: 100,
		IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second, ExpectContinueTimeout: time.Second}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: t, CheckRedirect: noRedirects}
}
