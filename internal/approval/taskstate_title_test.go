package approval

import (
	"encoding/json"
	"testing"
)

// TestTaskStateJSON_titleAndTextVerbatim: title and text reach the payload
// exactly as written, in both query languages (the task_state docs say
// so): with JSONata, Step Functions evaluates a value that is one
// {% %} expression and passes any other as a literal; with JSONPath their
// keys have no ".$", so they are never evaluated.
func TestTaskStateJSON_titleAndTextVerbatim(t *testing.T) {
	t.Parallel()
	cases := []struct{ lang, key, title, text string }{
		{QueryLanguageJSONata, "Arguments", "{% 'Deploy ' & $states.input.version %}", "Release {% $states.input.version %} notes"},
		{QueryLanguageJSONata, "Arguments", "Deploy $.version", " spaced {% $x %} "},
		{QueryLanguageJSONPath, "Parameters", "Deploy $.version", "{% $states.input.version %}"},
	}
	for _, c := range cases {
		s, err := TaskStateJSON("arn:aws:lambda:eu-west-1:111122223333:function:g-notifier", 60,
			TaskStateOptions{QueryLanguage: c.lang, Title: c.title, Text: c.text})
		if err != nil {
			t.Fatal(err)
		}
		var state map[string]any
		if err := json.Unmarshal([]byte(s), &state); err != nil {
			t.Fatal(err)
		}
		args, _ := state[c.key].(map[string]any)
		payload, _ := args["Payload"].(map[string]any)
		if payload == nil {
			payload = args
		}
		if payload["title"] != c.title || payload["text"] != c.text {
			t.Errorf("%s: title %q text %q, want them verbatim: %q %q", c.lang, payload["title"], payload["text"], c.title, c.text)
		}
		if _, ok := payload["title.$"]; ok {
			t.Errorf("%s: title is evaluated as a JSONPath", c.lang)
		}
	}
}
