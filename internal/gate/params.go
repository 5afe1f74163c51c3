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
	return s
}

func ssmTags(m map[string]string) []ssmtypes.Tag {
	out := make([]ssmtypes.Tag, 0, len(m))
	for k, v := range m {
		out = append(out, ssmtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return out
}

// existingParams returns which of the gate's parameters exist (1 call).
func (r *run) existingParams(ctx context.Context) (map[string]bool, error) {
	names := make([]string, len(allParams))
	for i, p := range allParams {
		names[i] = r.n.param(p)
	}
	out, err := r.m.c.SSM.GetParameters(ctx, &ssm.GetParametersInput{Names: names})
	if err != nil {
		return nil, fmt.Errorf("reading SSM Parameters (%s*): %w", r.n.paramPrefix(), err)
	}
	have := map[string]bool{}
	for _, p := range out.Parameters {
		have[aws.ToString(p.Name)] = true
	}
	return have, nil
}

// ensureParams writes the configured secrets, generates the signing key if
// there is none, and removes secrets no longer configured.
func (r *run) ensureParams(ctx context.Context) error {
	have := map[string]bool{}
	if !r.fresh {
		var err error
		if have, err = r.existingParams(ctx); err != nil {
			return err
		}
	}
	want := r.secrets()
	var steps []func(context.Context) error
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
		if _, ok := want[suffix]; !ok && suffix != paramSigningKey && have[r.n.param(suffix)] {
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
	have, err := r.existingParams(ctx)
	if err != nil {
		return err
	}
	if len(have) > 0 {
		r.exists()
	}
	want := r.secrets()
	want[paramSigningKey] = ""
	for _, suffix := range allParams {
		_, w := want[suffix]
		switch h := have[r.n.param(suffix)]; {
		case w && !h:
			r.drifted("SSM parameter %s: missing", r.n.param(suffix))
		case !w && h:
			r.drifted("SSM parameter %s: not configured", r.n.param(suffix))
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
