package acctest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/chromedp"
)

// Teams is a local Microsoft Teams Workflows endpoint for tests and the
// demo: the trigger "When a Teams webhook request is received" of a
// "Post to a channel when a webhook request is received" flow. It accepts
// what that trigger accepts ({"type":"message","attachments":[{"contentType":
// "application/vnd.microsoft.card.adaptive","content":{AdaptiveCard}}]}),
// answers 202 Accepted as the trigger does, and refuses with 400 what the
// flow's "Post card" step would refuse (no type "message", another content
// type, a card that is not an object, an element without a type, a button
// without an absolute URL). FailNext makes it answer 429 with Retry-After,
// as Power Automate does when a flow is throttled. GET URL+"/" is an inbox
// page that renders the cards received.
type Teams struct {
	URL string // http://127.0.0.1:<port>

	srv  *http.Server
	path string // the flow's path, with its random id
	sig  string // the URL's signature: what makes the URL a secret

	mu       sync.Mutex
	posts    []TeamsPost
	refused  []string // why each refused post was refused
	attempts int
	failN    int
	failWith int
	after    string
	changed  chan struct{}
}

// TeamsPost is one card posted to the local Teams.
type TeamsPost struct {
	At   time.Time
	Body map[string]any // the whole posted message
	Card map[string]any // attachments[0].content
	// Texts are the card's TextBlock texts, Facts its FactSets' facts
	// ([title, value]) and Actions its Action.OpenUrl buttons, in order.
	Texts   []string
	Facts   [][2]string
	Actions []TeamsAction
}

// TeamsAction is an Action.OpenUrl button of a card.
type TeamsAction struct {
	Title, URL, Style string
}

// Action returns the card's button titled title, if any.
func (p TeamsPost) Action(title string) (TeamsAction, bool) {
	for _, a := range p.Actions {
		if a.Title == title {
			return a, true
		}
	}
	return TeamsAction{}, false
}

// maxTeamsBody is Teams's limit on one message, card included (28 KB).
const maxTeamsBody = 28 << 10

// NewTeams starts a local Teams endpoint on a free loopback port.
func NewTeams() (*Teams, error) { return NewTeamsOn("127.0.0.1:0") }

// NewTeamsOn starts a local Teams endpoint on addr (host:port).
func NewTeamsOn(addr string) (*Teams, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("starting the local Teams: %w", err)
	}
	id := make([]byte, 32)
	_, _ = rand.Read(id)
	t := &Teams{URL: "http://" + ln.Addr().String(), path: "/workflows/" + hex.EncodeToString(id[:16]) + "/triggers/manual/paths/invoke",
		sig: hex.EncodeToString(id[16:]), changed: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", t.serveInbox)
	mux.HandleFunc("POST /workflows/", t.serveTrigger)
	t.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = t.srv.Serve(ln) }()
	return t, nil
}

// Close stops the local Teams.
func (t *Teams) Close() { _ = t.srv.Close() }

// WebhookURL is the flow's URL, shaped like a Power Automate trigger URL
// (a random flow id and a sig query parameter). The gate's teams.webhook_url.
func (t *Teams) WebhookURL() string {
	return t.URL + t.path + "?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=" + t.sig
}

// FailNext makes the next n posts fail with status (429 or a 5xx) and, when
// retryAfter is not empty, a Retry-After header (seconds).
func (t *Teams) FailNext(n, status int, retryAfter string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failN, t.failWith, t.after = n, status, retryAfter
}

// Attempts is how many posts arrived, accepted, refused or failed on purpose.
func (t *Teams) Attempts() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.attempts
}

// Posts returns the cards accepted so far.
func (t *Teams) Posts() []TeamsPost {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]TeamsPost(nil), t.posts...)
}

// Refused returns why each refused post was refused.
func (t *Teams) Refused() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.refused...)
}

// WaitPosts waits until at least n cards were accepted and returns them all.
func (t *Teams) WaitPosts(ctx context.Context, n int) ([]TeamsPost, error) {
	for {
		t.mu.Lock()
		ok, ch := len(t.posts) >= n, t.changed
		t.mu.Unlock()
		if ok {
			return t.Posts(), nil
		}
		select {
		case <-ctx.Done():
			return t.Posts(), fmt.Errorf("waiting for %d Teams card(s), %d arrived (refused: %v): %w", n, len(t.Posts()), t.Refused(), ctx.Err())
		case <-ch:
		}
	}
}

func (t *Teams) notifyLocked() {
	close(t.changed)
	t.changed = make(chan struct{})
}

// teamsError answers like a Logic Apps / Power Automate trigger does.
func teamsError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func (t *Teams) serveTrigger(w http.ResponseWriter, r *http.Request) {
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxTeamsBody))
	t.mu.Lock()
	defer t.mu.Unlock()
	t.attempts++
	defer t.notifyLocked()
	if r.URL.Path != t.path || r.URL.Query().Get("sig") != t.sig {
		t.refused = append(t.refused, "unknown flow "+r.URL.Path)
		teamsError(w, http.StatusNotFound, "WorkflowNotFound", "The workflow was not found.")
		return
	}
	if t.failN > 0 {
		t.failN--
		if t.after != "" {
			w.Header().Set("Retry-After", t.after)
		}
		teamsError(w, t.failWith, "WorkflowTriggerIsThrottled", "The workflow is throttled; retry later.")
		return
	}
	refuse := func(msg string) {
		t.refused = append(t.refused, msg)
		teamsError(w, http.StatusBadRequest, "InvalidRequestContent", msg)
	}
	if readErr != nil {
		t.refused = append(t.refused, "body over 28 KB")
		teamsError(w, http.StatusRequestEntityTooLarge, "MessageTooLarge", "The message is larger than 28 KB.")
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		refuse("content type " + ct + " is not application/json")
		return
	}
	p, err := parseTeamsPost(body)
	if err != nil {
		refuse(err.Error())
		return
	}
	p.At = time.Now()
	t.posts = append(t.posts, p)
	w.WriteHeader(http.StatusAccepted)
}

// parseTeamsPost checks a post like the flow does and extracts its card.
func parseTeamsPost(body []byte) (TeamsPost, error) {
	var p TeamsPost
	if err := json.Unmarshal(body, &p.Body); err != nil {
		return p, fmt.Errorf("the body is not a JSON object: %w", err)
	}
	if typ, _ := p.Body["type"].(string); typ != "message" {
		return p, fmt.Errorf(`"type" must be "message", got %v`, p.Body["type"])
	}
	atts, _ := p.Body["attachments"].([]any)
	if len(atts) == 0 {
		return p, errors.New(`"attachments" must be a non-empty array`)
	}
	att, _ := atts[0].(map[string]any)
	if ct, _ := att["contentType"].(string); ct != "application/vnd.microsoft.card.adaptive" {
		return p, fmt.Errorf(`attachments[0].contentType must be "application/vnd.microsoft.card.adaptive", got %v`, att["contentType"])
	}
	card, ok := att["content"].(map[string]any)
	if !ok {
		return p, errors.New("attachments[0].content must be an Adaptive Card object")
	}
	if typ, _ := card["type"].(string); typ != "AdaptiveCard" {
		return p, fmt.Errorf(`the card's "type" must be "AdaptiveCard", got %v`, card["type"])
	}
	if v, _ := card["version"].(string); v == "" {
		return p, errors.New(`the card has no "version"`)
	}
	p.Card = card
	elems, ok := card["body"].([]any)
	if !ok {
		return p, errors.New(`the card's "body" must be an array`)
	}
	for i, e := range elems {
		el, _ := e.(map[string]any)
		switch typ, _ := el["type"].(string); typ {
		case "TextBlock":
			s, ok := el["text"].(string)
			if !ok {
				return p, fmt.Errorf("body[%d]: a TextBlock needs a text", i)
			}
			p.Texts = append(p.Texts, s)
		case "FactSet":
			facts, _ := el["facts"].([]any)
			if len(facts) == 0 {
				return p, fmt.Errorf("body[%d]: a FactSet needs facts", i)
			}
			for _, f := range facts {
				fm, _ := f.(map[string]any)
				title, ok1 := fm["title"].(string)
				value, ok2 := fm["value"].(string)
				if !ok1 || !ok2 {
					return p, fmt.Errorf("body[%d]: a fact needs a title and a value", i)
				}
				p.Facts = append(p.Facts, [2]string{title, value})
			}
		case "":
			return p, fmt.Errorf("body[%d] has no type", i)
		}
	}
	acts, _ := card["actions"].([]any)
	for i, a := range acts {
		am, _ := a.(map[string]any)
		typ, _ := am["type"].(string)
		if typ == "" {
			return p, fmt.Errorf("actions[%d] has no type", i)
		}
		if typ != "Action.OpenUrl" {
			continue
		}
		raw, _ := am["url"].(string)
		if u, err := url.Parse(raw); err != nil || !u.IsAbs() || (u.Scheme != "https" && u.Scheme != "http") {
			return p, fmt.Errorf("actions[%d]: Action.OpenUrl needs an absolute http(s) url, got %q", i, raw)
		}
		title, _ := am["title"].(string)
		style, _ := am["style"].(string)
		p.Actions = append(p.Actions, TeamsAction{Title: title, URL: raw, Style: style})
	}
	return p, nil
}

// TeamsMarkdown renders the Markdown subset an Adaptive Card TextBlock or
// Fact shows (https://learn.microsoft.com/adaptive-cards/authoring-cards/text-features):
// backslash escapes, **bold**, _italic_ and [links](url); everything else
// is text. The inbox uses it, so an escaping bug shows as a live link there.
func TeamsMarkdown(s string) template.HTML {
	var b strings.Builder
	bold, italic := false, false
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == '\\' && i+1 < len(rs) && rs[i+1] < 128 && strings.ContainsRune("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", rs[i+1]):
			i++
			b.WriteString(template.HTMLEscapeString(string(rs[i])))
		case c == '*' && i+1 < len(rs) && rs[i+1] == '*':
			i++
			if bold {
				b.WriteString("</strong>")
			} else {
				b.WriteString("<strong>")
			}
			bold = !bold
		case c == '_':
			if italic {
				b.WriteString("</em>")
			} else {
				b.WriteString("<em>")
			}
			italic = !italic
		case c == '[':
			end := strings.Index(string(rs[i:]), "](")
			if end > 0 {
				rest := string(rs[i:])
				if rp := strings.IndexByte(rest[end:], ')'); rp > 0 {
					text, href := rest[1:end], rest[end+2:end+rp]
					b.WriteString(`<a class="md-link" href="` + template.HTMLEscapeString(href) + `">` + template.HTMLEscapeString(text) + "</a>")
					i += len([]rune(rest[:end+rp]))
					continue
				}
			}
			b.WriteString("[")
		case c == '\n':
			b.WriteString("<br>")
		default:
			b.WriteString(template.HTMLEscapeString(string(c)))
		}
	}
	if italic {
		b.WriteString("</em>")
	}
	if bold {
		b.WriteString("</strong>")
	}
	return template.HTML(b.String()) //nolint:gosec // every piece of text is escaped above
}

// inboxCard is a card as the inbox page shows it.
type inboxCard struct {
	At       string
	Elements []inboxElement
	Actions  []TeamsAction
}

type inboxElement struct {
	Text  template.HTML
	Class string
	Facts [][2]template.HTML
}

var teamsInbox = template.Must(template.New("inbox").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Local Teams: {{len .}} card(s)</title>
<style>
body{font-family:"Segoe UI",system-ui,sans-serif;background:#f5f5f5;margin:0;padding:24px;color:#242424}
h1{font-size:18px;font-weight:600;margin:0 0 16px}
.card{background:#fff;border-radius:6px;box-shadow:0 1px 3px rgba(0,0,0,.15);padding:16px 20px;margin:0 0 16px;max-width:760px}
.meta{font-size:12px;color:#616161;margin-bottom:8px}
.tb{margin:6px 0;line-height:1.4;overflow-wrap:anywhere}
.tb.title{font-size:17px;font-weight:600}
.tb.subtle{font-size:12px;color:#616161}
table.facts{border-collapse:collapse;margin:8px 0}
table.facts td{padding:2px 16px 2px 0;vertical-align:top;overflow-wrap:anywhere}
table.facts td.k{font-weight:600}
.actions{margin-top:12px;display:flex;gap:8px}
.actions a{display:inline-block;padding:6px 14px;border-radius:4px;border:1px solid #d1d1d1;text-decoration:none;color:#242424;font-weight:600;font-size:14px}
.actions a.positive{background:#5b5fc7;border-color:#5b5fc7;color:#fff}
.actions a.destructive{color:#c4314b;border-color:#c4314b}
a.md-link{color:#c4314b;outline:2px dashed #c4314b}
</style></head><body>
<h1>Local Teams channel: {{len .}} card(s)</h1>
{{range .}}<div class="card"><div class="meta">Workflows post · {{.At}}</div>
{{range .Elements}}{{if .Facts}}<table class="facts">{{range .Facts}}<tr><td class="k">{{index . 0}}</td><td>{{index . 1}}</td></tr>{{end}}</table>
{{else}}<div class="tb {{.Class}}">{{.Text}}</div>
{{end}}{{end}}{{if .Actions}}<div class="actions">{{range .Actions}}<a class="{{.Style}}" href="{{.URL}}">{{.Title}}</a>{{end}}</div>{{end}}
</div>
{{else}}<p>No card yet.</p>{{end}}
</body></html>`))

func (t *Teams) serveInbox(w http.ResponseWriter, _ *http.Request) {
	posts := t.Posts()
	cards := make([]inboxCard, 0, len(posts))
	for i := len(posts) - 1; i >= 0; i-- { // newest first
		p := posts[i]
		c := inboxCard{At: p.At.UTC().Format(time.TimeOnly) + " UTC", Actions: p.Actions}
		body, _ := p.Card["body"].([]any)
		for _, e := range body {
			el, _ := e.(map[string]any)
			switch el["type"] {
			case "TextBlock":
				s, _ := el["text"].(string)
				class := ""
				if el["weight"] == "Bolder" {
					class = "title"
				} else if el["isSubtle"] == true {
					class = "subtle"
				}
				c.Elements = append(c.Elements, inboxElement{Text: TeamsMarkdown(s), Class: class})
			case "FactSet":
				var facts [][2]template.HTML
				fs, _ := el["facts"].([]any)
				for _, f := range fs {
					fm, _ := f.(map[string]any)
					k, _ := fm["title"].(string)
					v, _ := fm["value"].(string)
					facts = append(facts, [2]template.HTML{TeamsMarkdown(k), TeamsMarkdown(v)})
				}
				c.Elements = append(c.Elements, inboxElement{Facts: facts})
			}
		}
		cards = append(cards, c)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	_ = teamsInbox.Execute(w, cards)
}

// ScreenshotPage opens url in headless Chromium and returns a PNG of the
// whole page (the inbox pages, for a person to look at).
func ScreenshotPage(ctx context.Context, url string) ([]byte, error) {
	path, err := ChromiumPath()
	if err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, browserTimeout)
		defer cancel()
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path), chromedp.Flag("headless", "new"), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("no-proxy-server", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true), chromedp.WindowSize(900, 700),
		chromedp.NoInheritEnv, chromedp.Env(withoutProxyEnv(os.Environ())...),
	)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(alloc)
	defer cancelTab()
	if _, err := chromedp.Run(tab, chromedp.NavigateResponse(url)); err != nil {
		return nil, fmt.Errorf("browser: opening %s: %w", url, err)
	}
	return chromedp.Run(tab, chromedp.FullScreenshot(100))
}
