package gate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/bundle"
)

// Part is one unit the gate converges on its own: a refresh attributes
// every difference it finds to a part, and an update converges only the
// parts whose inputs changed or that the refresh found differing.
type Part string

// The gate's parts, in the order their observations are preferred (the
// notifier's function first, as an import reads it).
const (
	partNotifierFunction Part = "function:notifier"
	partCallbackFunction Part = "function:callback"
	partNotifierRole     Part = "role:notifier"
	partCallbackRole     Part = "role:callback"
	partTable            Part = "table"
	partTopic            Part = "topic"
	partEscalationTopic  Part = "topic:escalation"
	partParams           Part = "parameters"
	partNotifierLogGroup Part = "log-group:notifier"
	partCallbackLogGroup Part = "log-group:callback"
	partAPI              Part = "api"
	partAPIWiring        Part = "api:wiring"
	partSchedule         Part = "rule:sweep"
	partStoppedRule      Part = "rule:stopped"
)

// allParts is every part, in the order of preference above.
var allParts = []Part{
	partNotifierFunction, partCallbackFunction, partNotifierRole, partCallbackRole, partTable, partTopic,
	partEscalationTopic, partParams, partNotifierLogGroup, partCallbackLogGroup, partAPI, partAPIWiring,
	partSchedule, partStoppedRule,
}

// AllParts is every part of a gate.
func AllParts() []Part { return slices.Clone(allParts) }

func functionPart(kind string) Part {
	if kind == kindNotifier {
		return partNotifierFunction
	}
	return partCallbackFunction
}

func rolePart(kind string) Part {
	if kind == kindNotifier {
		return partNotifierRole
	}
	return partCallbackRole
}

func logGroupPart(kind string) Part {
	if kind == kindNotifier {
		return partNotifierLogGroup
	}
	return partCallbackLogGroup
}

func rulePart(er eventRule) Part {
	if er.permissionID == sweepPermissionID {
		return partSchedule
	}
	return partStoppedRule
}

// Observed are the values AWS holds for the arguments that map one to one
// to an AWS setting, where a refresh found them differing from the Spec
// (nil: as configured). The provider writes them into the state, so a plan
// shows the difference on the argument (memory: 512 → 128) and
// lifecycle.ignore_changes applies to it. Where two parts disagree, the
// first in allParts' order is reported; the update converges every part
// the refresh found differing anyway.
type Observed struct {
	Description            *string
	MemoryMB               *int32
	Architecture           *string
	LogRetentionDays       *int32
	PermissionsBoundaryARN *string
	KMSKeyARN              *string
	// Tags are a part's tags without the gate's own tag, the ones AWS
	// manages and the ignored ones (tags_all as observed).
	Tags           map[string]string
	EmailAddresses *[]string
	SMSNumbers     *[]string
}

// Empty reports whether nothing differs.
func (o Observed) Empty() bool {
	return o.Description == nil && o.MemoryMB == nil && o.Architecture == nil && o.LogRetentionDays == nil &&
		o.PermissionsBoundaryARN == nil && o.KMSKeyARN == nil && o.Tags == nil && o.EmailAddresses == nil && o.SMSNumbers == nil
}

// merge fills what o lacks from p.
func (o *Observed) merge(p Observed) {
	if o.Description == nil {
		o.Description = p.Description
	}
	if o.MemoryMB == nil {
		o.MemoryMB = p.MemoryMB
	}
	if o.Architecture == nil {
		o.Architecture = p.Architecture
	}
	if o.LogRetentionDays == nil {
		o.LogRetentionDays = p.LogRetentionDays
	}
	if o.PermissionsBoundaryARN == nil {
		o.PermissionsBoundaryARN = p.PermissionsBoundaryARN
	}
	if o.KMSKeyARN == nil {
		o.KMSKeyARN = p.KMSKeyARN
	}
	if o.Tags == nil {
		o.Tags = p.Tags
	}
	if o.EmailAddresses == nil {
		o.EmailAddresses = p.EmailAddresses
	}
	if o.SMSNumbers == nil {
		o.SMSNumbers = p.SMSNumbers
	}
}

// observation is one part's observed values.
type observation struct {
	part Part
	o    Observed
}

// differs records a difference on an argument the provider reads back: the
// part is converged by the next update, and o says what AWS holds.
func (r *run) differs(p Part, o Observed) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dirty[p] = true
	r.observed = append(r.observed, observation{p, o})
}

// observedTags is a part's tags as the state shows them: without the gate's
// tag, AWS's own and the ignored ones.
func (r *run) observedTags(have map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range r.m.env.IgnoreTags.without(have) {
		if k != tagGate && !strings.HasPrefix(k, "aws:") {
			out[k] = v
		}
	}
	return out
}

// checkTags records a part's tags when they differ from the Spec's.
func (r *run) checkTags(p Part, have map[string]string) {
	if !r.sameTags(have, r.tagsWithGate()) {
		r.differs(p, Observed{Tags: r.observedTags(have)})
	}
}

// observations merges the parts' observations in allParts' order.
func (r *run) observations() Observed {
	r.mu.Lock()
	obs := slices.Clone(r.observed)
	r.mu.Unlock()
	sort.SliceStable(obs, func(i, j int) bool {
		return slices.Index(allParts, obs[i].part) < slices.Index(allParts, obs[j].part)
	})
	var o Observed
	for _, x := range obs {
		o.merge(x.o)
	}
	return o
}

// Prior is what Terraform knows of a gate before an update: the Spec its
// state describes (after the refresh, with the observed values read back),
// the identifiers it stores, and the parts the refresh found differing.
// An update converges only the parts whose inputs differ between Prior.Spec
// and the new Spec, and the parts in DriftParts; the tags of the others
// are changed in place when only they changed.
type Prior struct {
	Spec       Spec
	Status     Status
	DriftParts []Part
	// Tags are the tags (tags_all) of the parts not in DriftParts: those the
	// refresh compared them with. nil: Spec.Tags. They differ from
	// Spec.Tags when the refresh read back one part's other tags.
	Tags map[string]string
}

// selective is the update's plan: which parts to converge in full and
// which only to retag.
type selective struct {
	prior *run
	drift map[Part]bool
	tags  map[string]string // the tags the parts not in drift hold, with the gate's
}

// wanted reports whether the update converges p in full: p differed at the
// refresh, or its inputs changed. Phase 2 and 3 parts are asked after
// phase 1, so their inputs include what phase 1 learned (the API's URL).
func (r *run) wanted(p Part) bool {
	if r.sel == nil {
		return true
	}
	return r.sel.drift[p] || r.inputs(p) != r.sel.prior.inputs(p)
}

// step is f when the update converges p; otherwise, when only the tags
// changed, it retags p in place from the prior state's tags, and else
// does nothing.
func (r *run) step(p Part, f func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		if r.wanted(p) {
			return f(ctx)
		}
		have, want := r.sel.tags, r.tagsWithGate()
		if r.sameTags(have, want) {
			return nil
		}
		return r.retagPart(ctx, p, "", have, want)
	}
}

// inputs is everything of the Spec (and of what the run learned) that
// part p's converge writes, tags excepted: two runs whose inputs for p are
// equal write the same to p. TestPartInputs_everyField checks that a change
// of every Spec field reaches some part's inputs; TestUpdate_selective, for
// each change the local AWS can apply, that a refresh after a selective
// update finds nothing to repair.
func (r *run) inputs(p Part) string {
	r.mu.Lock()
	st := r.st
	r.mu.Unlock()
	var v any
	switch p {
	case partNotifierRole, partCallbackRole:
		kind := strings.TrimPrefix(string(p), "role:")
		v = []any{trustPolicy(r.m.env).String(), rolePolicy(r.m.env, r.spec, kind).String(), r.spec.PermissionsBoundaryARN}
	case partTable:
		v = r.spec.KMSKeyARN
	case partTopic:
		var subs []string
		for _, s := range r.wantSubscriptions() {
			subs = append(subs, s.protocol+":"+s.endpoint)
		}
		v = []any{r.topicAttributes(), subs}
	case partEscalationTopic:
		v = []any{r.topicAttributes(), escalationFilters(r.spec)}
	case partParams:
		v = []any{r.configDoc(), r.secrets(), r.spec.KMSKeyARN, r.spec.Name}
	case partNotifierLogGroup, partCallbackLogGroup:
		v = []any{r.spec.LogRetentionDays, r.spec.KMSKeyARN}
	case partAPI:
		v = r.spec.CallbackBaseURL // the callback URL the run learns from it
	case partNotifierFunction, partCallbackFunction:
		kind := strings.TrimPrefix(string(p), "function:")
		sha := st.BundleSHA256 // the prior run's: as deployed; this run's: the one it deploys
		if sha == "" {
			sha, _ = bundle.SHA256(r.spec.Architecture)
		}
		v = []any{r.functionEnv(kind), r.functionDescription(kind), r.spec.MemoryMB, r.spec.Architecture, r.roleARN(kind), sha}
	case partAPIWiring:
		v = []any{r.wantedRouteKeys(), st.APIID, st.CallbackFunctionARN}
	case partSchedule:
		v = []any{r.ruleDescription(), st.CallbackFunctionARN}
	case partStoppedRule:
		v = []any{r.stoppedRuleDescription(), r.stoppedPattern(), st.CallbackFunctionARN}
	default:
		panic("gate: no inputs for part " + string(p))
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// retagPart brings part p's tags from have to want with the service's own
// tag and untag calls: have is what a read found, or in a selective update
// the tags the prior state knows (then only the keys that change are
// written, so a tag another tool added to one part stays unless it was in
// have). arn is the part's ARN when the caller knows it, else "" (derived
// from the names and what the run knows).
func (r *run) retagPart(ctx context.Context, p Part, arn string, have, want map[string]string) error {
	or := func(derived string) *string {
		if arn != "" {
			return aws.String(arn)
		}
		return aws.String(derived)
	}
	r.mu.Lock()
	apiID := r.st.APIID
	r.mu.Unlock()
	switch p {
	case partNotifierRole, partCallbackRole:
		name := r.n.role(strings.TrimPrefix(string(p), "role:"))
		c := r.m.c.IAM
		return r.retag(fmt.Sprintf("IAM Role (%s)", name), have, want,
			func(set map[string]string) error {
				_, err := c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(name), Tags: iamTags(set)})
				return err
			},
			func(remove []string) error {
				_, err := c.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String(name), TagKeys: remove})
				return err
			})
	case partTable:
		c, arn := r.m.c.DynamoDB, or(r.a.table())
		return r.retag(fmt.Sprintf("DynamoDB Table (%s)", r.n.table()), have, want,
			func(set map[string]string) error {
				_, err := c.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: arn, Tags: ddbTags(set)})
				return err
			},
			func(remove []string) error {
				_, err := c.UntagResource(ctx, &dynamodb.UntagResourceInput{ResourceArn: arn, TagKeys: remove})
				return err
			})
	case partTopic, partEscalationTopic:
		name, arn := r.n.topic(), or(r.a.topic())
		if p == partEscalationTopic {
			if !hasEscalationTopic(r.spec) {
				return nil // there is none (its inputs would differ otherwise)
			}
			name, arn = r.n.escalationTopic(), or(r.a.escalationTopic())
		}
		c := r.m.c.SNS
		return r.retag(fmt.Sprintf("SNS Topic (%s)", name), have, want,
			func(set map[string]string) error {
				_, err := c.TagResource(ctx, &sns.TagResourceInput{ResourceArn: arn, Tags: snsTags(set)})
				return err
			},
			func(remove []string) error {
				_, err := c.UntagResource(ctx, &sns.UntagResourceInput{ResourceArn: arn, TagKeys: remove})
				return err
			})
	case partParams:
		suffixes := []string{paramConfig, paramSigningKey}
		for s := range r.secrets() {
			suffixes = append(suffixes, s)
		}
		sort.Strings(suffixes)
		steps := make([]func(context.Context) error, 0, len(suffixes))
		for _, s := range suffixes {
			name := r.n.param(s)
			steps = append(steps, func(ctx context.Context) error {
				return r.retag(fmt.Sprintf("SSM Parameter (%s)", name), have, want,
					func(set map[string]string) error {
						_, err := r.m.c.SSM.AddTagsToResource(ctx, &ssm.AddTagsToResourceInput{
							ResourceType: ssmtypes.ResourceTypeForTaggingParameter, ResourceId: aws.String(name), Tags: ssmTags(set),
						})
						return err
					},
					func(remove []string) error {
						_, err := r.m.c.SSM.RemoveTagsFromResource(ctx, &ssm.RemoveTagsFromResourceInput{
							ResourceType: ssmtypes.ResourceTypeForTaggingParameter, ResourceId: aws.String(name), TagKeys: remove,
						})
						return err
					})
			})
		}
		return parallel(ctx, steps...)
	case partNotifierLogGroup, partCallbackLogGroup:
		kind := strings.TrimPrefix(string(p), "log-group:")
		c, arn := r.m.c.Logs, or(r.logGroupARN(kind))
		return r.retag(fmt.Sprintf("CloudWatch Logs Log Group (%s)", r.n.logGroup(kind)), have, want,
			func(set map[string]string) error {
				_, err := c.TagResource(ctx, &cloudwatchlogs.TagResourceInput{ResourceArn: arn, Tags: set})
				return err
			},
			func(remove []string) error {
				_, err := c.UntagResource(ctx, &cloudwatchlogs.UntagResourceInput{ResourceArn: arn, TagKeys: remove})
				return err
			})
	case partAPI:
		if apiID == "" && arn == "" {
			return fmt.Errorf("retagging API Gateway v2 API (%s): its id is not in the state; apply again to converge every part", r.n.api())
		}
		c, arn := r.m.c.APIGW, or(r.apiARN(apiID))
		return r.retag(fmt.Sprintf("API Gateway v2 API (%s)", apiID), have, want,
			func(set map[string]string) error {
				_, err := c.TagResource(ctx, &apigatewayv2.TagResourceInput{ResourceArn: arn, Tags: set})
				return err
			},
			func(remove []string) error {
				_, err := c.UntagResource(ctx, &apigatewayv2.UntagResourceInput{ResourceArn: arn, TagKeys: remove})
				return err
			})
	case partNotifierFunction, partCallbackFunction:
		kind := strings.TrimPrefix(string(p), "function:")
		c, arn := r.m.c.Lambda, or(r.a.function(kind))
		return r.retag(fmt.Sprintf("Lambda Function (%s)", r.n.function(kind)), have, want,
			func(set map[string]string) error {
				_, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: arn, Tags: set})
				return err
			},
			func(remove []string) error {
				_, err := c.UntagResource(ctx, &lambda.UntagResourceInput{Resource: arn, TagKeys: remove})
				return err
			})
	case partSchedule, partStoppedRule:
		er := sweepRule
		if p == partStoppedRule {
			er = stoppedRule
		}
		name := er.name(r.n)
		ruleARN := arn
		if ruleARN == "" {
			r.mu.Lock()
			ruleARN = r.st.RuleARNs[p]
			r.mu.Unlock()
		}
		if ruleARN == "" { // not in the state: ask
			rule, err := r.findRule(ctx, er)
			if err != nil || rule == nil {
				return errors.Join(err, fmt.Errorf("retagging EventBridge Rule (%s): it does not exist; apply again to converge every part", name))
			}
			ruleARN = aws.ToString(rule.Arn)
		}
		c, arn := r.m.c.Events, aws.String(ruleARN)
		return r.retag(fmt.Sprintf("EventBridge Rule (%s)", name), have, want,
			func(set map[string]string) error {
				_, err := c.TagResource(ctx, &eventbridge.TagResourceInput{ResourceARN: arn, Tags: ebTags(set)})
				return err
			},
			func(remove []string) error {
				_, err := c.UntagResource(ctx, &eventbridge.UntagResourceInput{ResourceARN: arn, TagKeys: remove})
				return err
			})
	case partAPIWiring:
		return nil // routes, integration, stage and permission carry no tags
	}
	return fmt.Errorf("gate: no tags for part %s", p)
}

// sortedSet is the sorted, de-duplicated copy of s.
func sortedSet(s []string) []string {
	m := map[string]bool{}
	for _, x := range s {
		m[x] = true
	}
	return slices.Sorted(maps.Keys(m))
}
