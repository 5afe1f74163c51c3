package provider

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// fakeManager is an in-memory GateManager: a gate is its last Spec.
type fakeManager struct {
	mu    sync.Mutex
	gates map[string]gate.Spec
	// drift is what the next Reads report, per gate.
	drift map[string][]string
	// calls records the operations, e.g. "create deploy".
	calls []string
	// observed and driftParts are what the next Reads read back, per gate.
	observed   map[string]gate.Observed
	driftParts map[string][]gate.Part
	// priors are the Prior of each Update; failUpdate fails the next one.
	priors     []*gate.Prior
	failUpdate bool
}

var _ GateManager = (*fakeManager)(nil)

// The real Manager satisfies the interface too.
var _ GateManager = (*gate.Manager)(nil)

func newFakeManager() *fakeManager {
	return &fakeManager{gates: map[string]gate.Spec{}, drift: map[string][]string{},
		observed: map[string]gate.Observed{}, driftParts: map[string][]gate.Part{}}
}

func (f *fakeManager) status(spec gate.Spec) gate.Status {
	arn := func(service, resource string) string {
		return fmt.Sprintf("arn:aws:%s:us-east-1:123456789012:%s", service, resource)
	}
	notifier := arn("lambda", "function:"+spec.Name+"-notifier")
	base := spec.CallbackBaseURL
	if base == "" {
		base = "https://api-" + spec.Name + ".execute-api.us-east-1.amazonaws.com"
	}
	return gate.Status{
		TopicARN:               arn("sns", spec.Name+"-approvals"),
		TableName:              spec.Name + "-requests",
		NotifierFunctionARN:    notifier,
		CallbackFunctionARN:    arn("lambda", "function:"+spec.Name+"-callback"),
		NotifierRoleARN:        "arn:aws:iam::123456789012:role/" + spec.Name + "-notifier",
		CallbackRoleARN:        "arn:aws:iam::123456789012:role/" + spec.Name + "-callback",
		APIID:                  "api-" + spec.Name,
		CallbackURL:            base,
		BundleSHA256:           mustTestBundleSHA256(spec.Architecture),
		TaskStateJSON:          gate.TaskState(notifier, spec.TimeoutSeconds, spec.IncludeExecutionContext),
		StateMachinePolicyJSON: gate.StateMachinePolicy(notifier),
		Drift:                  slices.Clone(f.drift[spec.Name]),
		Observed:               f.observed[spec.Name],
		DriftParts:             slices.Clone(f.driftParts[spec.Name]),
		Found:                  true,
	}
}

func mustTestBundleSHA256(arch string) string {
	s, _ := testBundleSHA256(arch)
	return s
}

func (f *fakeManager) Create(_ context.Context, spec gate.Spec) (gate.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "create "+spec.Name)
	if _, ok := f.gates[spec.Name]; ok {
		return gate.Status{}, fmt.Errorf("gate %s already exists", spec.Name)
	}
	f.gates[spec.Name] = spec
	return f.status(spec), nil
}

func (f *fakeManager) Read(_ context.Context, spec gate.Spec) (gate.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "read "+spec.Name)
	stored, ok := f.gates[spec.Name]
	if !ok {
		return gate.Status{}, nil
	}
	return f.status(stored), nil
}

func (f *fakeManager) Update(_ context.Context, spec gate.Spec, prior *gate.Prior) (gate.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "update "+spec.Name)
	f.priors = append(f.priors, prior)
	if f.failUpdate {
		f.failUpdate = false
		return gate.Status{}, fmt.Errorf("updating gate %s: injected failure", spec.Name)
	}
	f.gates[spec.Name] = spec
	delete(f.drift, spec.Name)
	delete(f.observed, spec.Name)
	delete(f.driftParts, spec.Name)
	return f.status(spec), nil
}

// readBack makes the next Reads of name read o back, found in parts.
func (f *fakeManager) readBack(name string, o gate.Observed, parts ...gate.Part) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.observed[name], f.driftParts[name] = o, parts
}

// lastPrior is the Prior of the last Update.
func (f *fakeManager) lastPrior() *gate.Prior {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.priors) == 0 {
		return nil
	}
	return f.priors[len(f.priors)-1]
}

func (f *fakeManager) Delete(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "delete "+name)
	delete(f.gates, name)
	return nil
}

func (f *fakeManager) Import(_ context.Context, name string) (gate.Spec, gate.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "import "+name)
	spec, ok := f.gates[name]
	if !ok {
		return gate.Spec{}, gate.Status{}, fmt.Errorf("finding approval gate (%s): %w", name, gate.ErrNotFound)
	}
	// Secrets are not readable back.
	if spec.Slack != nil {
		s := *spec.Slack
		s.WebhookURL, s.BotToken, s.SigningSecret = "", "", ""
		spec.Slack = &s
	}
	if spec.Webhook != nil {
		w := *spec.Webhook
		w.Secret = ""
		spec.Webhook = &w
	}
	if spec.SSO != nil {
		o := *spec.SSO
		o.ClientSecret = ""
		spec.SSO = &o
	}
	if spec.Teams != nil {
		spec.Teams = &gate.TeamsSpec{}
	}
	return spec, f.status(spec), nil
}

// setDrift makes the next Reads of name report drift.
func (f *fakeManager) setDrift(name string, drift ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.drift[name] = drift
}

// remove deletes a gate behind Terraform's back.
func (f *fakeManager) remove(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.gates, name)
}

// spec returns the stored Spec of name.
func (f *fakeManager) spec(name string) (gate.Spec, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.gates[name]
	return s, ok
}
