package gate_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// escalationSpec is testSpec with two escalation steps: boss@ at step 1,
// boss@ and ceo@ at step 2 (one subscription each, filtered on their
// steps), and a Slack incoming webhook at step 2.
func escalationSpec(name string) gate.Spec {
	s := testSpec(name)
	s.Escalation = []gate.EscalationSpec{
		{AfterSeconds: 600, EmailAddresses: []string{"boss@example.com"}, Approvers: []string{"UBOSS"}},
		{AfterSeconds: 1200, EmailAddresses: []string{"boss@example.com", "ceo@example.com"}, WebhookURL: "https://hooks.slack.com/services/T0/B0/escalate"},
	}
	return s
}

// TestGate_escalation: the escalation topic is a part of the gate: created
// with one e-mail subscription per address and its filter policy, the
// steps in the configuration document, the webhook URLs in their
// SecureString; a deleted subscription, a changed filter and a deleted
// topic show as drift and are repaired; without e-mail steps the topic
// goes; delete leaves nothing.
func TestGate_escalation(t *testing.T) {
	m, cfg := newManager(t)
	ctx := t.Context()
	name := acctest.RandomName()
	spec := escalationSpec(name)
	if _, err := m.Create(ctx, spec); err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { _ = m.Delete(context.Background(), name) })
	client := sns.NewFromConfig(cfg)
	topicARN := "arn:aws:sns:" + acctest.Region + ":000000000000:" + name + "-escalation"

	subs := func() map[string]string {
		t.Helper()
		out, err := client.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topicARN)})
		if err != nil {
			t.Fatalf("listing the escalation topic's subscriptions: %v", err)
		}
		got := map[string]string{}
		for _, s := range out.Subscriptions {
			a, err := client.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: s.SubscriptionArn})
			if err != nil {
				t.Fatal(err)
			}
			got[aws.ToString(s.Protocol)+":"+aws.ToString(s.Endpoint)] = a.Attributes["FilterPolicy"]
		}
		return got
	}
	wantSubs := map[string][]string{"email:boss@example.com": {"1", "2"}, "email:ceo@example.com": {"2"}}
	checkSubs := func(when string) {
		t.Helper()
		got := subs()
		if len(got) != len(wantSubs) {
			t.Fatalf("%s: subscriptions %v, want %v", when, got, wantSubs)
		}
		for k, steps := range wantSubs {
			var fp map[string][]string
			if err := json.Unmarshal([]byte(got[k]), &fp); err != nil || !slices.Equal(fp[approval.EscalationStepAttribute], steps) {
				t.Errorf("%s: %s filter policy %q, want steps %v", when, k, got[k], steps)
			}
		}
	}
	checkSubs("after create")
	if st, err := m.Read(ctx, spec); err != nil || len(st.Drift) != 0 {
		t.Fatalf("read after create: drift %v, err %v", st.Drift, err)
	}

	// The steps are in the configuration document, the URL in its secret.
	ps := ssm.NewFromConfig(cfg)
	doc, err := ps.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/manualapproval/" + name + "/config")})
	if err != nil {
		t.Fatal(err)
	}
	d, err := approval.ParseConfigDoc(aws.ToString(doc.Parameter.Value))
	if err != nil || len(d.Escalation) != 2 || !d.Escalation[1].HasWebhookURL || strings.Contains(aws.ToString(doc.Parameter.Value), "hooks.slack.com") {
		t.Errorf("configuration document %s (%v)", aws.ToString(doc.Parameter.Value), err)
	}
	hooks, err := ps.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/manualapproval/" + name + "/escalation-webhooks"), WithDecryption: aws.Bool(true)})
	if err != nil || hooks.Parameter.Type != "SecureString" || aws.ToString(hooks.Parameter.Value) != `["","https://hooks.slack.com/services/T0/B0/escalate"]` {
		t.Errorf("escalation webhooks parameter: %v %+v", err, hooks)
	}
	// The callback knows the topic and the parameter, may publish to the
	// topic and read the parameter; the notifier reads no escalation secret.
	fn, err := lambda.NewFromConfig(cfg).GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name + "-callback")})
	if err != nil {
		t.Fatal(err)
	}
	if env := fn.Environment.Variables; env[approval.EnvEscalationTopicARN] != topicARN || env[approval.EnvParamEscalationWebhooks] != "/manualapproval/"+name+"/escalation-webhooks" {
		t.Errorf("callback environment %v", env)
	}
	pol := func(kind string) string {
		t.Helper()
		out, err := iam.NewFromConfig(cfg).GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name + "-" + kind), PolicyName: aws.String("manualapproval-gate")})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.PolicyDocument)
	}
	if cb := pol("callback"); !strings.Contains(cb, name+"-escalation") || !strings.Contains(cb, "escalation-webhooks") {
		t.Errorf("callback policy does not allow the escalation topic and parameter: %s", cb)
	}
	if nt := pol("notifier"); strings.Contains(nt, "escalation") {
		t.Errorf("notifier policy names escalation parts: %s", nt)
	}

	// Drift: a subscription deleted and a filter changed out of band.
	out, err := client.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topicARN)})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range out.Subscriptions {
		switch aws.ToString(s.Endpoint) {
		case "ceo@example.com":
			if _, err := client.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: s.SubscriptionArn}); err != nil {
				t.Fatal(err)
			}
		case "boss@example.com":
			if _, err := client.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{SubscriptionArn: s.SubscriptionArn,
				AttributeName: aws.String("FilterPolicy"), AttributeValue: aws.String(`{"escalation_step":["2"]}`)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	st, err := m.Read(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(st.Drift, "\n")
	if !strings.Contains(joined, "ceo@example.com on "+name+"-escalation: missing") || !strings.Contains(joined, "boss@example.com on "+name+"-escalation: filter policy") {
		t.Errorf("drift after out-of-band changes:\n%s", joined)
	}
	if _, err := m.Update(ctx, spec, nil); err != nil {
		t.Fatalf("repair: %v", err)
	}
	checkSubs("after repair")
	if st, err := m.Read(ctx, spec); err != nil || len(st.Drift) != 0 {
		t.Fatalf("read after repair: drift %v, err %v", st.Drift, err)
	}

	// Drift: the topic deleted.
	if _, err := client.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(topicARN)}); err != nil {
		t.Fatal(err)
	}
	if st, err := m.Read(ctx, spec); err != nil || !slices.Contains(st.Drift, "SNS topic "+name+"-escalation: missing") {
		t.Fatalf("read after the topic was deleted: drift %v, err %v", st.Drift, err)
	}
	if _, err := m.Update(ctx, spec, nil); err != nil {
		t.Fatalf("repair: %v", err)
	}
	checkSubs("after the topic was re-created")

	// Without e-mail steps (and webhooks) the topic and the parameter go.
	plain := escalationSpec(name)
	plain.Escalation = []gate.EscalationSpec{{AfterSeconds: 600, SlackChannel: "C0BOSS"}}
	if _, err := m.Update(ctx, plain, nil); err != nil {
		t.Fatalf("update without e-mail steps: %v", err)
	}
	for _, p := range mustParts(t, cfg, name) {
		if strings.Contains(p, "escalation") {
			t.Errorf("part left after the e-mail steps went: %s", p)
		}
	}
	if st, err := m.Read(ctx, plain); err != nil || len(st.Drift) != 0 {
		t.Fatalf("read without e-mail steps: drift %v, err %v", st.Drift, err)
	}

	// Back, then destroy: nothing left.
	if _, err := m.Update(ctx, spec, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete(ctx, name); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if parts := mustParts(t, cfg, name); len(parts) != 0 {
		t.Errorf("parts left after delete:\n%s", strings.Join(parts, "\n"))
	}
}

// TestGate_escalationRollback: a create that fails at its last call rolls
// the escalation topic back with every other part.
func TestGate_escalationRollback(t *testing.T) {
	m, cfg := newManager(t)
	ctx := t.Context()
	last := point{"lambda:AddPermission", 1}
	name := acctest.RandomName()
	fault, _ := failOnce(last)
	local.Proxy.SetFault(fault)
	local.Proxy.Reset()
	_, err := m.Create(ctx, escalationSpec(name))
	local.Proxy.SetFault(nil)
	checkNamesFailure(t, last, err)
	checkNoParts(t, cfg, name, "after the failed create")
}

// TestGate_escalationImport: an imported gate has its escalation steps
// back, their webhook URLs kept (not read back), and no drift.
func TestGate_escalationImport(t *testing.T) {
	m, _ := newManager(t)
	ctx := t.Context()
	name := acctest.RandomName()
	spec := escalationSpec(name)
	if _, err := m.Create(ctx, spec); err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { _ = m.Delete(context.Background(), name) })
	got, st, err := m.Import(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Escalation) != 2 || got.Escalation[0].KeepWebhookURL || !got.Escalation[1].KeepWebhookURL || got.Escalation[1].WebhookURL != "" ||
		!slices.Equal(got.Escalation[1].EmailAddresses, spec.Escalation[1].EmailAddresses) {
		t.Errorf("imported escalation %+v", got.Escalation)
	}
	if len(st.Drift) != 0 {
		t.Errorf("drift after import: %v", st.Drift)
	}
	if st, err := m.Read(ctx, got); err != nil || len(st.Drift) != 0 {
		t.Errorf("read of the imported spec: drift %v, err %v", st.Drift, err)
	}
	// An update of the imported spec keeps the stored URL.
	if _, err := m.Update(ctx, got, nil); err != nil {
		t.Fatalf("update of the imported spec: %v", err)
	}
	hooks, err := ssm.NewFromConfig(mustConfig(t)).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/manualapproval/" + name + "/escalation-webhooks"), WithDecryption: aws.Bool(true)})
	if err != nil || !strings.Contains(aws.ToString(hooks.Parameter.Value), "hooks.slack.com") {
		t.Errorf("escalation webhooks after the update of an imported gate: %v %v", err, hooks)
	}
}

func mustConfig(t *testing.T) aws.Config {
	t.Helper()
	_, cfg := newManager(t)
	return cfg
}
