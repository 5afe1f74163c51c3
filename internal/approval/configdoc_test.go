package approval

import (
	"fmt"
	"strings"
	"testing"
)

func TestConfigDocRoundTrip(t *testing.T) {
	t.Parallel()
	c := Config{
		Approvers:               []string{"b@example.com", "U024BE7LH", "a@example.com"},
		ApproverGroups:          []string{"ops", "dev"},
		AllowedStateMachineARNs: []string{"arn:aws:states:us-east-1:000000000000:stateMachine:b", "arn:aws:states:us-east-1:000000000000:stateMachine:a"},
		Inputs:                  []InputSpec{{Name: "ticket", Type: InputString, Label: "Ticket <&>"}},
	}
	s := c.Doc().Render()
	if strings.Contains(s, "\n") || strings.Contains(s, `\u003c`) {
		t.Fatalf("document is not compact, unescaped JSON: %s", s)
	}
	if again := (Config{Approvers: []string{"a@example.com", "b@example.com", "U024BE7LH"}, ApproverGroups: []string{"dev", "ops"},
		AllowedStateMachineARNs: c.AllowedStateMachineARNs, Inputs: c.Inputs}).Doc().Render(); again != s {
		t.Fatalf("equal configurations render differently:\n%s\n%s", s, again)
	}
	d, err := ParseConfigDoc(s)
	if err != nil {
		t.Fatalf("ParseConfigDoc: %v", err)
	}
	var got Config
	d.Apply(&got)
	if strings.Join(got.Approvers, ",") != "U024BE7LH,a@example.com,b@example.com" || strings.Join(got.ApproverGroups, ",") != "dev,ops" ||
		len(got.AllowedStateMachineARNs) != 2 || !strings.HasSuffix(got.AllowedStateMachineARNs[0], ":a") ||
		len(got.Inputs) != 1 || got.Inputs[0].Label != "Ticket <&>" {
		t.Fatalf("round trip: got %+v", got)
	}
	if empty := (Config{}).Doc().Render(); empty != "{}" {
		t.Fatalf("empty document = %q, want {}", empty)
	}
}

func TestParseConfigDocRefuses(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string]string{
		"not json":         `approvers=a`,
		"unknown field":    `{"approverz":["a@example.com"]}`,
		"bad approver":     `{"approvers":["not an identity"]}`,
		"bad input":        `{"inputs":[{"name":"","type":"string"}]}`,
		"list of the type": `{"approvers":"a@example.com"}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := ParseConfigDoc(doc); err == nil || !strings.Contains(err.Error(), "configuration document") {
				t.Fatalf("ParseConfigDoc(%s) = %v, want a configuration document error", doc, err)
			}
		})
	}
}

// The limits: 200 e-mail approvers and 60 state machines fit; what SSM
// cannot store is refused with the sizes.
func TestConfigDocSize(t *testing.T) {
	t.Parallel()
	var c Config
	for i := range 200 {
		c.Approvers = append(c.Approvers, fmt.Sprintf("approver%03d@example.com", i))
	}
	for i := range 60 {
		c.AllowedStateMachineARNs = append(c.AllowedStateMachineARNs, fmt.Sprintf("arn:aws:states:us-east-1:000000000000:stateMachine:sm-%02d", i))
	}
	if err := c.Doc().CheckSize(); err == nil {
		// 200 × 26 + 60 × 57 bytes and quoting: above 8 KB.
		t.Fatalf("a %d-byte document passed the size check", len(c.Doc().Render()))
	} else if !strings.Contains(err.Error(), fmt.Sprint(MaxConfigDocBytes)) {
		t.Fatalf("error does not say the limit: %v", err)
	}
	c.Approvers = c.Approvers[:150]
	if n := len(c.Doc().Render()); n <= ConfigDocStandardBytes || n > MaxConfigDocBytes {
		t.Fatalf("document of %d bytes: want one that needs the Advanced tier", n)
	}
	if err := c.Doc().CheckSize(); err != nil {
		t.Fatalf("CheckSize: %v", err)
	}
	// Env keeps the lists out when the parameter is named, and the
	// environment stays small.
	c.Role, c.TableName, c.ParamSigningKey, c.ParamConfig, c.MinApprovals = RoleNotifier, "t", "/k", "/manualapproval/g/config", 1
	c.TimeoutSeconds = 3600
	env := c.Env()
	total := 0
	for k, v := range env {
		total += len(k) + len(v)
	}
	if env[EnvApprovers] != "" || env[EnvAllowedStateMachine] != "" || total > 1024 || env[EnvParamConfig] != c.ParamConfig {
		t.Fatalf("environment of %d bytes carries the lists or misses the parameter: %v", total, env)
	}
	back, err := ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil || back.ParamConfig != c.ParamConfig || len(back.Approvers) != 0 {
		t.Fatalf("ConfigFromEnv = %+v, %v", back, err)
	}
}
