package acctest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// DefaultChromium is where Debian's chromium package installs the browser.
const DefaultChromium = "/usr/bin/chromium"

// ChromiumPath returns the headless browser DecideInBrowser drives:
// $CHROMIUM if set, else /usr/bin/chromium.
func ChromiumPath() (string, error) {
	p, fromEnv := os.Getenv("CHROMIUM"), true
	if p == "" {
		p, fromEnv = DefaultChromium, false
	}
	st, err := os.Stat(p)
	if err == nil && (st.IsDir() || st.Mode().Perm()&0o111 == 0) {
		err = errors.New("not an executable file")
	}
	if err != nil {
		if fromEnv {
			return "", fmt.Errorf("$CHROMIUM (%s) is not a usable browser: %w", p, err)
		}
		return "", fmt.Errorf("chromium not found at %s: install the Debian package chromium (apt-get update && apt-get install -y chromium), or set CHROMIUM to a Chromium or Chrome binary: %w", p, err)
	}
	return p, nil
}

// BrowserResult is what DecideInBrowser saw.
type BrowserResult struct {
	ConfirmTitle   string // the confirm page's <title>
	ConfirmHeading string // its <h1>
	ConfirmText    string // its visible text
	ConfirmStatus  int    // HTTP status of the confirm page
	ResultTitle    string
	ResultHeading  string
	ResultText     string // the result page's visible text
	ResultStatus   int    // HTTP status of the result page
	ResultURL      string
	Screenshot     []byte // PNG of the result page
	// ConfirmURL and ConfirmScreenshot are the confirm page's final URL
	// (after any sign-in redirects) and a PNG of it.
	ConfirmURL        string
	ConfirmScreenshot []byte
}

// browserTimeout bounds DecideInBrowser when ctx has no deadline.
const browserTimeout = 90 * time.Second

// DecideInBrowser decides like a person with a browser: it opens the
// signed link in headless Chromium (GET: the confirm page), records that
// page, fills the textarea "comment" with comment and, when the page has
// it and name is not empty, the field "name" with name, clicks the form's
// single submit button and records the result page and a screenshot of it.
// It fails when the confirm page has no such form (an expired or invalid
// link), returning what it saw.
func DecideInBrowser(ctx context.Context, link, comment, name string) (BrowserResult, error) {
	var res BrowserResult
	path, err := ChromiumPath()
	if err != nil {
		return res, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, browserTimeout)
		defer cancel()
	}
	var output bytes.Buffer
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path),
		chromedp.Flag("headless", "new"),
		chromedp.NoSandbox, // tests run as root
		chromedp.Flag("disable-gpu", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.WindowSize(1000, 900),
		// Chromium reads proxies from the environment too.
		chromedp.NoInheritEnv,
		chromedp.Env(withoutProxyEnv(os.Environ())...),
		chromedp.CombinedOutput(&output),
	)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(alloc)
	defer cancelTab()

	fail := func(step string, err error) (BrowserResult, error) {
		msg := fmt.Sprintf("browser: %s: %v", step, err)
		if out := strings.TrimSpace(output.String()); out != "" && ctx.Err() == nil && res.ConfirmStatus == 0 {
			msg += "\nchromium output:\n" + lastLines(out, 20)
		}
		return res, errors.New(msg)
	}

	resp, err := chromedp.Run(tab, chromedp.NavigateResponse(link))
	if err != nil {
		return fail("opening the link", err)
	}
	res.ConfirmStatus, res.ConfirmURL = int(resp.Status), resp.URL
	if res.ConfirmTitle, res.ConfirmHeading, res.ConfirmText, err = pageText(tab); err != nil {
		return fail("reading the confirm page", err)
	}
	if res.ConfirmScreenshot, err = chromedp.Run(tab, chromedp.FullScreenshot(100)); err != nil {
		return fail("taking a screenshot of the confirm page", err)
	}
	form, err := chromedp.Run(tab, chromedp.Evaluate[formInfo](`(() => {
		const f = document.querySelector('form');
		if (!f) return {comment: false, name: false, submits: 0};
		return {
			comment: !!f.querySelector('textarea[name="comment"]'),
			name: !!f.querySelector('input[name="name"]'),
			submits: f.querySelectorAll('button[type="submit"], button:not([type]), input[type="submit"]').length,
		};
	})()`))
	switch {
	case err != nil:
		return fail("inspecting the confirm page", err)
	case !form.Comment || form.Submits != 1:
		return res, fmt.Errorf("browser: the page at the link (HTTP %d, %q) has no decision form with a comment field and one submit button: %s",
			res.ConfirmStatus, res.ConfirmHeading, truncateText(res.ConfirmText, 300))
	}
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.SetValue(chromedp.CSS(`form textarea[name="comment"]`), comment),
	}
	if form.Name && name != "" {
		steps = append(steps, chromedp.SetValue(chromedp.CSS(`form input[name="name"]`), name))
	}
	if err := chromedp.Do(tab, steps...); err != nil {
		return fail("filling the form", err)
	}
	resp, err = chromedp.RunResponse(tab, chromedp.Click(
		chromedp.CSS(`form button[type="submit"], form button:not([type]), form input[type="submit"]`), chromedp.NodeVisible))
	if err != nil {
		return fail("submitting the form", err)
	}
	res.ResultStatus, res.ResultURL = int(resp.Status), resp.URL
	if res.ResultTitle, res.ResultHeading, res.ResultText, err = pageText(tab); err != nil {
		return fail("reading the result page", err)
	}
	if res.Screenshot, err = chromedp.Run(tab, chromedp.FullScreenshot(100)); err != nil {
		return fail("taking a screenshot", err)
	}
	return res, nil
}

// formInfo describes the confirm page's form.
type formInfo struct {
	Comment bool `json:"comment"`
	Name    bool `json:"name"`
	Submits int  `json:"submits"`
}

type pageInfo struct {
	Title   string `json:"title"`
	Heading string `json:"heading"`
	Text    string `json:"text"`
}

// pageText returns the page's title, first heading and visible text.
func pageText(tab context.Context) (title, heading, text string, err error) {
	p, err := chromedp.Run(tab, chromedp.Evaluate[pageInfo](`({
		title: document.title,
		heading: (document.querySelector('h1') || {innerText: ''}).innerText,
		text: document.body ? document.body.innerText : '',
	})`))
	return p.Title, strings.TrimSpace(p.Heading), strings.TrimSpace(p.Text), err
}

// withoutProxyEnv drops the proxy variables from env.
func withoutProxyEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch strings.ToLower(k) {
		case "http_proxy", "https_proxy", "all_proxy", "no_proxy":
			continue
		}
		out = append(out, kv)
	}
	return out
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func truncateText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
