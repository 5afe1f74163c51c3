package acctest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// PostDecision submits the confirm page of a signed link, as its button
// does (a form with a comment and a name), and fails unless the callback
// answers 200.
func PostDecision(ctx context.Context, c *http.Client, link, comment, name string) error {
	form := url.Values{"comment": {comment}, "name": {name}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, link, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the decision answered %d: %.300s", resp.StatusCode, body)
	}
	return nil
}
