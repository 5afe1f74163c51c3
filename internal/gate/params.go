package gate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// signingKeyBytes is the size of the link-signing key (HMAC-SHA256).
const signingKeyBytes = 32

// secrets are the SecureString parameters the Spec's wiring needs, by
// suffix, with their values, except the signing key, which the gate
// generates once and keeps. Which parameters exist follows from the wiring
// (Slack format, webhook), not from the values: an imported gate, whose
// secrets cannot be read back, still expects them.
func (r *run) secrets() map[string]string {
	s := map[string]string{}
	if sl := r.spec.Slack; sl != nil {
		if sl.Format == approval.SlackFormatApp {
			s[paramSlackBotToken] = sl.BotToken
			s[paramSlackSigning] = sl.SigningSecret
		} else {
			s[paramSlackWebhook] = sl.WebhookURL
		}
	}
	if w := r.spec.Webhook; w != nil {
		s[paramWebhookSecret] = w.Secret
		s[paramWebhookURL] = w.URL // it can carry a token
	}
	if o := r.spec.SSO; o != nil {
		s[paramSSOClientSecret] = o.ClientSecret
	}
	if t := r.spec.Teams; t != nil {
		s[paramTeamsWebhookURL] = t.WebhookURL
	}
	if hasEscalationWebhooks(r.spec) {
		s[paramEscalationWebhooks] = escalationWebhooksValue(r.spec)
	}
	return s
}

func ssmTags(m map[string]string) []ssmtypes.Tag {
	out := make([]ssmtypes.Tag, 0, len(m))
	for k, v := range m {
		out = append(out, ssmtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return out
}

// existingParams returns which of the gate's parameters exist, by name, with
// their values as stored (1 call, without decryption: only the configuration
// document's value, a String, is used).
func (r *run) existingParams(ctx context.Context) (map[string]string, error) {
	names := make([]string, len(allParams))
	for i, p := range allParams {
		names[i] = r.n.param(p)
	}
	out, err := r.m.c.SSM.GetParameters(ctx, &ssm.GetParametersInput{Names: names})
	if err != nil {
		return nil, fmt.Errorf("reading SSM Parameters (%s*): %w", r.n.paramPrefix(), err)
	}
	have := map[string]string{}
	for _, p := range out.Parameters {
		have[aws.ToString(p.Name)] = aws.ToString(p.Value)
	}
	return have, nil
}

// ensureParams writes the configured secrets, generates the signing key if
// there is none, and removes secrets no longer configured.
func (r *run) ensureParams(ctx context.Context) error {
	stored := map[string]string{}
	if !r.fresh {
		var err error
		if stored, err = r.existingParams(ctx); err != nil {
			return err
		}
	}
	have := map[string]bool{}
	for k := range stored {
		have[k] = true
	}
	want := r.secrets()
	var steps []func(context.Context) error
	doc := r.configDoc()
	if err := ConfigDoc(r.spec).CheckSize(); err != nil {
		return err
	}
	if v, ok := stored[r.n.param(paramConfig)]; ok && v == doc {
		steps = append(steps, func(ctx context.Context) error { return r.tagParam(ctx, paramConfig) })
	} else {
		steps = append(steps, func(ctx context.Context) error { return r.putConfigParam(ctx, doc, ok) })
	}
	if !have[r.n.param(paramSigningKey)] {
		key := make([]byte, signingKeyBytes)
		if _, err := rand.Read(key); err != nil {
			return fmt.Errorf("generating the link-signing key: %w", err)
		}
		steps = append(steps, func(ctx context.Context) error {
			return r.putParam(ctx, paramSigningKey, hex.EncodeToString(key), false)
		})
	}
	for suffix, value := range want {
		if value == "" && have[r.n.param(suffix)] {
			// Not given (an imported gate, or a write-only secret whose
			// version did not change): the stored value stays, only its
			// tags converge.
			steps = append(steps, func(ctx context.Context) error { return r.tagParam(ctx, suffix) })
			continue
		}
		if value == "" {
			return fmt.Errorf("the secret for SSM Parameter (%s) is not stored yet: set it in the configuration "+
				"(the write-only form with a new version, or the sensitive form)", r.n.param(suffix))
		}
		steps = append(steps, func(ctx context.Context) error {
			return r.putParam(ctx, suffix, value, have[r.n.param(suffix)])
		})
	}
	var stale []string
	for _, suffix := range allParams {
		if _, ok := want[suffix]; !ok && suffix != paramSigningKey && suffix != paramConfig && have[r.n.param(suffix)] {
			stale = append(stale, r.n.param(suffix))
		}
	}
	if len(stale) > 0 {
		steps = append(steps, func(ctx context.Context) error {
			_, err := r.m.c.SSM.DeleteParameters(ctx, &ssm.DeleteParametersInput{Names: stale})
			return wrapf(err, "deleting SSM Parameters %v", stale)
		})
	}
	return parallel(ctx, steps...)
}

// putParam writes one SecureString. AWS refuses Tags with Overwrite, so an
// existing parameter is overwritten and tagged in two calls.
func (r *run) putParam(ctx context.Context, suffix, value string, exists bool) error {
	name := r.n.param(suffix)
	in := &ssm.PutParameterInput{
		Name:        aws.String(name),
		Value:       aws.String(value),
		Type:        ssmtypes.ParameterTypeSecureString,
		Description: aws.String("Approval gate " + r.spec.Name + ": " + suffix),
	}
	if r.spec.KMSKeyARN != "" {
		in.KeyId = aws.String(r.spec.KMSKeyARN)
	}
	return r.writeParam(ctx, suffix, in, exists)
}

// writeParam puts one of the gate's parameters: a new one with the gate's
// tags (undone if the create rolls back), an existing one overwritten and
// then tagged, since AWS refuses Tags with Overwrite.
func (r *run) writeParam(ctx context.Context, suffix string, in *ssm.PutParameterInput, exists bool) error {
	name := aws.ToString(in.Name)
	if exists {
		in.Overwrite = aws.Bool(true)
	} else {
		in.Tags = ssmTags(r.tagsWithGate())
	}
	var tries attempts
	_, err := r.m.c.SSM.PutParameter(ctx, in, tries.ssm)
	// Already there after an attempt whose answer was lost: that attempt wrote it.
	ours := !exists && hasCode(err, "ParameterAlreadyExists") && tries.mayHaveApplied()
	if err != nil && !ours {
		return fmt.Errorf("putting SSM Parameter (%s): %w", name, err)
	}
	if !exists {
		r.undo.add("SSM Parameter "+name, func(ctx context.Context) error { return r.deleteParamNames(ctx, []string{name}) })
		return nil
	}
	return r.tagParam(ctx, suffix)
}

// tagParam sets the gate's tags on an existing parameter.
func (r *run) tagParam(ctx context.Context, suffix string) error {
	name := r.n.param(suffix)
	_, err := r.m.c.SSM.AddTagsToResource(ctx, &ssm.AddTagsToResourceInput{
		ResourceType: ssmtypes.ResourceTypeForTaggingParameter, ResourceId: aws.String(name), Tags: ssmTags(r.tagsWithGate()),
	})
	return wrapf(err, "tagging SSM Parameter (%s)", name)
}

// readParams checks that the signing key and the configured secrets exist
// (1 call). Their values cannot be compared without decrypting them; every
// apply writes them again.
func (r *run) readParams(ctx context.Context) error {
	stored, err := r.existingParams(ctx)
	if err != nil {
		return err
	}
	if len(stored) > 0 {
		r.exists()
	}
	want := r.secrets()
	want[paramSigningKey] = ""
	want[paramConfig] = ""
	if v, ok := stored[r.n.param(paramConfig)]; ok && v != r.configDoc() {
		r.drifted(partParams, "SSM parameter %s: the configuration document differs from the configuration", r.n.param(paramConfig))
	}
	for _, suffix := range allParams {
		_, w := want[suffix]
		switch _, h := stored[r.n.param(suffix)]; {
		case w && !h:
			r.drifted(partParams, "SSM parameter %s: missing", r.n.param(suffix))
		case !w && h:
			r.drifted(partParams, "SSM parameter %s: not configured", r.n.param(suffix))
		}
	}
	return nil
}

func (r *run) deleteParams(ctx context.Context) error {
	names := make([]string, len(allParams))
	for i, p := range allParams {
		names[i] = r.n.param(p)
	}
	return r.deleteParamNames(ctx, names)
}

// deleteParamNames deletes parameters; names that do not exist are fine.
func (r *run) deleteParamNames(ctx context.Context, names []string) error {
	_, err := r.m.c.SSM.DeleteParameters(ctx, &ssm.DeleteParametersInput{Names: names})
	return wrapf(err, "deleting SSM Parameters (%s*)", r.n.paramPrefix())
}

// configDoc is the value of the configuration parameter the Spec wants.
func (r *run) configDoc() string { return ConfigDoc(r.spec).Render() }

// ConfigDoc is the configuration document (the gate's SSM parameter
// "config") of spec: the lists that can grow, kept out of the functions'
// environment, which Lambda limits to 4 KB.
func ConfigDoc(spec Spec) approval.ConfigDoc {
	return approval.Config{
		Approvers: spec.Approvers, ApproverGroups: spec.ApproverGroups,
		AllowedStateMachineARNs: spec.AllowedStateMachineARNs, Inputs: spec.Inputs,
		Followup: followupDoc(spec),
	}.Doc()
}

// putConfigParam writes the configuration document: a String (it holds no
// secret) with the Intelligent-Tiering tier, which stores up to 4 KB in the
// Standard tier and up to 8 KB in the Advanced one. AWS refuses Tags with
// Overwrite, so an existing parameter is overwritten and tagged in two calls.
func (r *run) putConfigParam(ctx context.Context, doc string, exists bool) error {
	name := r.n.param(paramConfig)
	in := &ssm.PutParameterInput{
		Name:        aws.String(name),
		Value:       aws.String(doc),
		Type:        ssmtypes.ParameterTypeString,
		Tier:        ssmtypes.ParameterTierIntelligentTiering,
		Description: aws.String("Approval gate " + r.spec.Name + ": configuration (approvers, allowed state machines, inputs)"),
	}
	return r.writeParam(ctx, paramConfig, in, exists)
}

// importConfigDoc reads the configuration document back into hc (1 call).
func (r *run) importConfigDoc(ctx context.Context, hc *approval.Config) error {
	out, err := r.m.c.SSM.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{hc.ParamConfig}})
	if err != nil {
		return fmt.Errorf("reading SSM Parameter (%s): %w", hc.ParamConfig, err)
	}
	if len(out.Parameters) != 1 {
		return fmt.Errorf("SSM Parameter (%s), the gate's configuration document, does not exist: run an apply to repair the gate", hc.ParamConfig)
	}
	doc, err := approval.ParseConfigDoc(aws.ToString(out.Parameters[0].Value))
	if err != nil {
		return fmt.Errorf("SSM Parameter (%s): %w", hc.ParamConfig, err)
	}
	doc.Apply(hc)
	return nil
}
