package gate

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
	"sync"

	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/bundle"
)

// run is one create, update or read of a gate. Its steps run in parallel
// where AWS allows and record what they learn under mu.
type run struct {
	m    *Manager
	spec Spec
	n    names
	a    arns
	// fresh is true on create: no part is expected to exist, so steps create
	// without looking first, and every part created is recorded in undo.
	fresh bool
	undo  undoLog

	// sel is the update's selection of parts (nil: converge every part).
	sel *selective

	mu            sync.Mutex
	st            Status
	drift         []string
	dirty         map[Part]bool // the parts a read found differing
	observed      []observation
	found         bool
	logGroupsOnce sync.Once
	logGroups     map[string]*logtypes.LogGroup
	logGroupsErr  error
	// The callback's resource policy as the reads found it: the API's and
	// each rule's permission are checked against one GetPolicy.
	policyOnce sync.Once
	policy     string
	policyErr  error

	// checks compare what one read learned with what others learned; they
	// run after all reads are done.
	checks []func()
}

func (m *Manager) newRun(spec Spec, fresh bool) *run {
	n := names{spec.Name}
	return &run{m: m, spec: spec, n: n, a: arns{env: m.env, n: n}, fresh: fresh, dirty: map[Part]bool{}}
}

func (r *run) set(f func(st *Status)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(&r.st)
}

// drifted records a difference between AWS and the Spec in part p that no
// argument shows (a missing part, a policy, a route, a permission): the
// refresh reports it in drift.
func (r *run) drifted(p Part, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drift = append(r.drift, fmt.Sprintf(format, args...))
	r.dirty[p] = true
}

// DriftRecreatesAPI reports whether repairing drift creates the callback
// API anew (it is missing), which gives it a new id and URL. Every other
// part is re-created under the same name, so its identifiers stay.
func DriftRecreatesAPI(drift []string) bool {
	for _, d := range drift {
		if strings.HasPrefix(d, apiDriftPrefix) && strings.HasSuffix(d, driftMissing) {
			return true
		}
	}
	return false
}

const (
	apiDriftPrefix = "API Gateway v2 API "
	driftMissing   = ": missing"
)

// deferCheck queues a check to run once every part has been read.
func (r *run) deferCheck(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checks = append(r.checks, f)
}

func (r *run) exists() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.found = true
}

// parallel runs steps concurrently and returns all their errors joined. It
// does not cancel the others when one fails: a create that is cut short
// could leave a part whose undo was never recorded.
func parallel(ctx context.Context, steps ...func(context.Context) error) error {
	errs := make([]error, len(steps))
	var wg sync.WaitGroup
	for i, step := range steps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = step(ctx)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// undoLog records how to remove each part a create made, to roll back.
type undoLog struct {
	mu    sync.Mutex
	steps []undoStep
}

type undoStep struct {
	what string
	f    func(context.Context) error
}

func (u *undoLog) add(what string, f func(context.Context) error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.steps = append(u.steps, undoStep{what, f})
}

// run removes the recorded parts, last created first. It returns how many
// parts there were, the parts it could not remove and why.
func (u *undoLog) run(ctx context.Context) (parts int, left []string, err error) {
	u.mu.Lock()
	steps := append([]undoStep(nil), u.steps...)
	u.mu.Unlock()
	var errs []error
	for i := len(steps) - 1; i >= 0; i-- {
		if err := steps[i].f(ctx); err != nil {
			left = append(left, steps[i].what)
			errs = append(errs, fmt.Errorf("removing %s: %w", steps[i].what, err))
		}
	}
	return len(steps), left, errors.Join(errs...)
}

// rollback removes what a failed create made and says, after err, whether
// that succeeded: every part removed, or which parts are left in AWS.
func (u *undoLog) rollback(ctx context.Context, err error) error {
	parts, left, rbErr := u.run(ctx)
	switch {
	case rbErr != nil:
		return fmt.Errorf("%w\n\nRolling back the parts already created also failed; left in AWS: %s. "+
			"Remove them by hand, or import the gate (terraform import ADDRESS NAME) and destroy it: %w",
			err, strings.Join(left, ", "), rbErr)
	case parts == 0:
		return fmt.Errorf("%w\n\nNothing had been created yet, so nothing is left in AWS", err)
	default:
		return fmt.Errorf("%w\n\nThe rollback succeeded: the %d parts already created were removed, so nothing of the gate is left in AWS", err, parts)
	}
}

// converge makes every part match the Spec: in dependency order, independent
// parts in parallel.
func (r *run) converge(ctx context.Context) error {
	if r.m.env.AccountID == "" {
		return errors.New("the AWS account id is not known, so the gate's IAM policies cannot name its own resources: " +
			"set account_id in the provider configuration, or let the provider ask STS (remove skip_credentials_validation)")
	}
	zip, err := bundle.Zip(r.spec.Architecture)
	if err != nil {
		return err
	}
	sha, _ := bundle.SHA256(r.spec.Architecture)
	r.set(func(st *Status) { st.BundleSHA256 = sha; st.TableName = r.n.table() })

	// Phase 1: everything that depends on nothing else of the gate.
	if err := parallel(ctx,
		r.step(partNotifierRole, func(ctx context.Context) error { return r.ensureRole(ctx, kindNotifier) }),
		r.step(partCallbackRole, func(ctx context.Context) error { return r.ensureRole(ctx, kindCallback) }),
		r.step(partTable, r.ensureTable),
		r.step(partTopic, r.ensureTopic),
		r.step(partEscalationTopic, r.ensureEscalationTopic),
		r.step(partParams, r.ensureParams),
		r.step(partNotifierLogGroup, func(ctx context.Context) error { return r.ensureLogGroup(ctx, kindNotifier) }),
		r.step(partCallbackLogGroup, func(ctx context.Context) error { return r.ensureLogGroup(ctx, kindCallback) }),
		r.step(partAPI, r.ensureAPI),
	); err != nil {
		return err
	}
	// Phase 2: the functions need their roles, the topic and the API's URL.
	if err := parallel(ctx,
		r.step(partNotifierFunction, func(ctx context.Context) error { return r.ensureFunction(ctx, kindNotifier, zip) }),
		r.step(partCallbackFunction, func(ctx context.Context) error { return r.ensureFunction(ctx, kindCallback, zip) }),
	); err != nil {
		return err
	}
	// Phase 3: wire the API, the sweep's schedule and the stopped-executions
	// rule to the callback function. The two rules one after the other: each
	// edits the callback's resource policy.
	schedule, stopped := r.step(partSchedule, r.ensureSchedule), r.step(partStoppedRule, r.ensureStoppedRule)
	if err := parallel(ctx, r.step(partAPIWiring, r.ensureAPIWiring), func(ctx context.Context) error {
		if err := schedule(ctx); err != nil {
			return err
		}
		return stopped(ctx)
	}); err != nil {
		return err
	}
	r.finish()
	return nil
}

// finish derives the computed documents from what the run learned.
func (r *run) finish() {
	r.set(func(st *Status) {
		if st.NotifierFunctionARN != "" {
			st.TaskStateJSON = TaskState(st.NotifierFunctionARN, r.spec.TimeoutSeconds, r.spec.IncludeExecutionContext)
			st.StateMachinePolicyJSON = StateMachinePolicy(st.NotifierFunctionARN)
		}
	})
}

func (r *run) status() Status {
	obs := r.observations()
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.st
	st.Drift = append([]string(nil), r.drift...)
	sort.Strings(st.Drift)
	for _, p := range allParts {
		if r.dirty[p] {
			st.DriftParts = append(st.DriftParts, p)
		}
	}
	st.Observed = obs
	st.Found = r.found
	return st
}

// Create creates every part of the gate. If any step fails, it removes what
// it created and returns one error naming what failed (and what could not
// be removed, if anything).
func (m *Manager) Create(ctx context.Context, spec Spec) (Status, error) {
	if err := ConfigDoc(spec).CheckSize(); err != nil {
		return Status{}, fmt.Errorf("creating approval gate %q: %w", spec.Name, err)
	}
	r := m.newRun(spec, true)
	if err := r.converge(ctx); err != nil {
		return Status{}, r.undo.rollback(context.WithoutCancel(ctx), err)
	}
	st := r.status()
	st.Found = true
	return st, nil
}

// Update converges the gate to the Spec: missing parts are re-created,
// drifted ones repaired, changed arguments applied in place. With prior
// (what Terraform's state knows, parts.go), it converges only the parts
// whose inputs changed or that the refresh found differing, and changes
// the tags of the others in place without reading them; without it, every
// part.
func (m *Manager) Update(ctx context.Context, spec Spec, prior *Prior) (Status, error) {
	if err := ConfigDoc(spec).CheckSize(); err != nil {
		return Status{}, fmt.Errorf("updating approval gate %q: %w", spec.Name, err)
	}
	r := m.newRun(spec, false)
	if prior != nil {
		pr := m.newRun(prior.Spec, false)
		pr.st = prior.Status
		r.st = prior.Status
		r.st.Drift, r.st.DriftParts, r.st.Observed = nil, nil, Observed{}
		r.sel = &selective{prior: pr, drift: map[Part]bool{}, tags: pr.tagsWithGate()}
		if prior.Tags != nil {
			r.sel.tags = withGateTag(spec.Name, prior.Tags)
		}
		for _, p := range prior.DriftParts {
			r.sel.drift[p] = true
		}
	}
	if err := r.converge(ctx); err != nil {
		return Status{}, err
	}
	st := r.status()
	st.Drift, st.DriftParts, st.Observed = nil, nil, Observed{}
	st.Found = true
	return st, nil
}

// Read refreshes every part and reports what differs from the Spec.
func (m *Manager) Read(ctx context.Context, spec Spec) (Status, error) {
	r := m.newRun(spec, false)
	r.set(func(st *Status) { st.TableName = r.n.table() })
	if err := parallel(ctx,
		func(ctx context.Context) error { return r.readRole(ctx, kindNotifier) },
		func(ctx context.Context) error { return r.readRole(ctx, kindCallback) },
		r.readTable,
		r.readTopic,
		r.readEscalationTopic,
		r.readParams,
		r.readLogGroups,
		r.readAPI,
		r.readSchedule,
		r.readStoppedRule,
		func(ctx context.Context) error { return r.readFunction(ctx, kindNotifier) },
		func(ctx context.Context) error { return r.readFunction(ctx, kindCallback) },
	); err != nil {
		return Status{}, err
	}
	for _, check := range r.checks {
		check()
	}
	r.finish()
	return r.status(), nil
}

// Delete removes every part of the gate named name, tolerating parts that
// are already gone.
func (m *Manager) Delete(ctx context.Context, name string) error {
	r := m.newRun(Spec{Name: name}, false)
	// The API, the schedule and the functions first, so nothing runs while
	// the rest goes.
	if err := parallel(ctx,
		r.deleteAPI,
		r.deleteSchedule,
		r.deleteStoppedRule,
		func(ctx context.Context) error { return r.deleteFunction(ctx, kindNotifier) },
		func(ctx context.Context) error { return r.deleteFunction(ctx, kindCallback) },
	); err != nil {
		return err
	}
	return parallel(ctx,
		func(ctx context.Context) error { return r.deleteRole(ctx, kindNotifier) },
		func(ctx context.Context) error { return r.deleteRole(ctx, kindCallback) },
		r.deleteTable,
		r.deleteTopic,
		r.deleteEscalationTopic,
		r.deleteParams,
		func(ctx context.Context) error { return r.deleteLogGroup(ctx, kindNotifier) },
		func(ctx context.Context) error { return r.deleteLogGroup(ctx, kindCallback) },
	)
}

// handlerConfig is the configuration both functions get in their
// environment (only the role differs).
func (r *run) handlerConfig(kind, topicARN, callbackURL string) approval.Config {
	s := r.spec
	c := approval.Config{
		Role:                    approval.Role(kind),
		GateName:                s.Name,
		TableName:               r.n.table(),
		TopicARN:                topicARN,
		CallbackBaseURL:         callbackURL,
		ParamSigningKey:         r.n.param(paramSigningKey),
		ParamConfig:             r.n.param(paramConfig),
		Approvers:               s.Approvers,
		ApproverGroups:          s.ApproverGroups,
		LinkDecisions:           s.LinkDecisions,
		MinApprovals:            s.MinApprovals,
		AllowSelfApproval:       s.AllowSelfApproval,
		RequesterPath:           s.RequesterPath,
		AllowedStateMachineARNs: s.AllowedStateMachineARNs,
		TimeoutSeconds:          s.TimeoutSeconds,
	}
	c.RequireReason, c.Inputs = s.RequireReason, s.Inputs
	if sl := s.Slack; sl != nil {
		c.SlackFormat = sl.Format
		c.SlackChannel = sl.Channel
		c.SlackTeamID, c.SlackEnterpriseID, c.SlackAppID = sl.TeamID, sl.EnterpriseID, sl.AppID
		if sl.Format == approval.SlackFormatApp {
			c.SlackAPIBaseURL = sl.APIBaseURL
			c.ParamSlackBotToken = r.n.param(paramSlackBotToken)
			c.ParamSlackSigning = r.n.param(paramSlackSigning)
		} else {
			c.ParamSlackWebhook = r.n.param(paramSlackWebhook)
		}
	}
	if w := s.Webhook; w != nil {
		c.ParamWebhookSecret = r.n.param(paramWebhookSecret)
		c.ParamWebhookURL = r.n.param(paramWebhookURL)
	}
	if o := s.SSO; o != nil {
		// Both functions know the settings (the notifier's environment is
		// what an import reads back); only the callback, the one that signs
		// people in, gets the client secret's parameter (scopeSecrets).
		c.SSO = approval.SSO{IssuerURL: o.IssuerURL, ClientID: o.ClientID, Scopes: o.Scopes, IdentityClaim: o.IdentityClaim, GroupsClaim: o.GroupsClaim}
		c.ParamSSOClientSecret = r.n.param(paramSSOClientSecret)
	}
	if s.Teams != nil {
		c.ParamTeamsWebhookURL = r.n.param(paramTeamsWebhookURL)
	}
	if hasEscalationTopic(s) {
		c.EscalationTopicARN = r.a.escalationTopic()
	}
	if hasEscalationWebhooks(s) {
		c.ParamEscalationWebhooks = r.n.param(paramEscalationWebhooks)
	}
	scopeSecrets(s, kind, &c)
	c.API = s.API.handlerConfig()
	if kind == kindCallback { // its sweep moves pending requests to a new schedule
		c.FollowupRev = approval.FollowupRev(followupDoc(s))
	}
	return c
}

// callbackURL is where people reach the callback API: the custom base URL
// if set; on a loopback endpoint (a local AWS), the execute-api virtual host
// on it; else the API's own endpoint as AWS reports it. Only a local AWS
// serves the API under the control endpoint's host: a custom apigatewayv2
// endpoint on AWS (an interface VPC endpoint, a FIPS endpoint, a proxy) is
// where the provider manages APIs, not where people call them, and the API
// is invoked at its ApiEndpoint (API Gateway Developer Guide, "Invoking an
// HTTP API": https://{api-id}.execute-api.{region}.amazonaws.com).
func (r *run) callbackURL(apiID, apiEndpoint string) string {
	if r.spec.CallbackBaseURL != "" {
		return strings.TrimRight(r.spec.CallbackBaseURL, "/")
	}
	if u := loopbackEndpoint(r.m.env.APIGatewayEndpoint); u != nil {
		h := apiID + ".execute-api.localhost"
		if p := u.Port(); p != "" {
			h += ":" + p
		}
		return u.Scheme + "://" + h
	}
	return strings.TrimRight(apiEndpoint, "/")
}

// loopbackEndpoint parses ep when it is a URL on this machine (localhost or
// a loopback address), else returns nil.
func loopbackEndpoint(ep string) *url.URL {
	if ep == "" {
		return nil
	}
	u, err := url.Parse(ep)
	if err != nil || u.Host == "" {
		return nil
	}
	host := strings.ToLower(u.Hostname())
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return u
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return u
	}
	return nil
}

// tagsWithGate is the Spec's tags plus the tag that marks the gate's parts.
func (r *run) tagsWithGate() map[string]string { return withGateTag(r.spec.Name, r.spec.Tags) }

// withGateTag is tags plus the tag that marks gate's parts.
func withGateTag(gate string, tags map[string]string) map[string]string {
	t := map[string]string{tagGate: gate}
	for k, v := range tags {
		t[k] = v
	}
	return t
}

// tagDiff says which tags to set and which to remove to turn have into
// want. Tags AWS manages ("aws:" prefix) are left alone.
func tagDiff(have, want map[string]string) (set map[string]string, remove []string) {
	set = map[string]string{}
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			set[k] = v
		}
	}
	for k := range have {
		if _, ok := want[k]; !ok && !strings.HasPrefix(k, "aws:") {
			remove = append(remove, k)
		}
	}
	sort.Strings(remove)
	return set, remove
}

// retag brings a part's tags from have to want with the service's own tag
// and untag calls, each made only when there is something to do.
// Ignored tags (the provider's ignore_tags) are left out of both sides.
func (r *run) retag(what string, have, want map[string]string, tag func(set map[string]string) error, untag func(remove []string) error) error {
	ig := r.m.env.IgnoreTags
	set, remove := tagDiff(ig.without(have), ig.without(want))
	if len(set) > 0 {
		if err := tag(set); err != nil {
			return fmt.Errorf("tagging %s: %w", what, err)
		}
	}
	if len(remove) > 0 {
		if err := untag(remove); err != nil {
			return fmt.Errorf("untagging %s: %w", what, err)
		}
	}
	return nil
}

func (r *run) sameTags(have, want map[string]string) bool {
	ig := r.m.env.IgnoreTags
	set, remove := tagDiff(ig.without(have), ig.without(want))
	return len(set) == 0 && len(remove) == 0
}
