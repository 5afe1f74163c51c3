package approval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// EnvParamConfig names the SSM parameter holding the gate's configuration
// document: the lists that can grow (approvers, approver groups, allowed
// state machines, inputs). Lambda limits a function's environment to 4 KB in
// all, so these are not in it: the handlers read the document on cold start
// in the same ssm:GetParameters call as their secrets.
const EnvParamConfig = "MANUALAPPROVAL_PARAM_CONFIG"

// SSM limits a parameter value to 4,096 bytes in the Standard tier and to
// 8,192 bytes in the Advanced tier; the gate writes the document with the
// Intelligent-Tiering tier, which picks Advanced only when needed.
const (
	ConfigDocStandardBytes = 4096
	MaxConfigDocBytes      = 8192
)

// ConfigDoc is the part of Config stored in the configuration parameter.
type ConfigDoc struct {
	Approvers               []string    `json:"approvers,omitempty"`
	ApproverGroups          []string    `json:"approver_groups,omitempty"`
	AllowedStateMachineARNs []string    `json:"allowed_state_machine_arns,omitempty"`
	Inputs                  []InputSpec `json:"inputs,omitempty"`
	// Followup: reminders, escalation, decision follow-ups and events
	// (followup.go).
	Followup
}

// Doc returns the part of c stored in the configuration parameter, sorted
// so that equal configurations render equal documents.
func (c Config) Doc() ConfigDoc {
	sorted := func(v []string) []string {
		if len(v) == 0 {
			return nil
		}
		s := slices.Clone(v)
		slices.Sort(s)
		return s
	}
	return ConfigDoc{
		Approvers:               sorted(c.Approvers),
		ApproverGroups:          sorted(c.ApproverGroups),
		AllowedStateMachineARNs: sorted(c.AllowedStateMachineARNs),
		Inputs:                  c.Inputs,
		Followup:                c.Followup,
	}
}

// Render is the parameter's value: compact JSON.
func (d ConfigDoc) Render() string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(d) // strings and input specs always marshal
	return string(bytes.TrimRight(b.Bytes(), "\n"))
}

// CheckSize refuses a document SSM cannot store.
func (d ConfigDoc) CheckSize() error {
	if n := len(d.Render()); n > MaxConfigDocBytes {
		return fmt.Errorf("the gate's configuration document (approvers, approver_groups, allowed_state_machine_arns and inputs, "+
			"as JSON) is %d bytes, larger than the %d bytes an SSM parameter holds", n, MaxConfigDocBytes)
	}
	return nil
}

// ParseConfigDoc parses and checks what Render wrote.
func ParseConfigDoc(s string) (ConfigDoc, error) {
	var d ConfigDoc
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return d, fmt.Errorf("configuration document is not valid JSON of the gate's configuration: %w", err)
	}
	if _, err := CanonicalIdentities(d.Approvers); err != nil {
		return d, fmt.Errorf("configuration document: approvers: %w", err)
	}
	if err := CheckEscalation(d.Escalation); err != nil {
		return d, fmt.Errorf("configuration document: %w", err)
	}
	if p := ValidateInputSpecs(d.Inputs); len(p) > 0 {
		return d, fmt.Errorf("configuration document: inputs: %s", p[0].Message)
	}
	if err := d.checkReminders(); err != nil {
		return d, fmt.Errorf("configuration document: %w", err)
	}
	return d, nil
}

// Apply sets d's fields on c.
func (d ConfigDoc) Apply(c *Config) {
	c.Approvers = d.Approvers
	c.ApproverGroups = d.ApproverGroups
	c.AllowedStateMachineARNs = d.AllowedStateMachineARNs
	c.Inputs = d.Inputs
	c.Followup = d.Followup
}
