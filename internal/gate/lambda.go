package gate

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/bundle"
)

// Function timeouts. The notifier retries Slack within its own limit; the
// callback must answer Slack within three seconds and people at once.
var functionTimeout = map[string]int32{kindNotifier: 60, kindCallback: 15}

const functionRuntime = lambdatypes.RuntimeProvidedal2023

func (r *run) setFunctionARN(kind, arn string) {
	r.set(func(st *Status) {
		if kind == kindNotifier {
			st.NotifierFunctionARN = arn
		} else {
			st.CallbackFunctionARN = arn
		}
	})
}

// functionEnv is the environment the function of kind must have, from what
// phase 1 learned (topic ARN, callback URL).
func (r *run) functionEnv(kind string) map[string]string {
	r.mu.Lock()
	topic, cb := r.st.TopicARN, r.st.CallbackURL
	r.mu.Unlock()
	return r.handlerConfig(kind, topic, cb).Env()
}

func (r *run) functionDescription(kind string) string {
	d := functionDescriptionPrefix(r.spec.Name, kind)
	if r.spec.Description != "" {
		d += ". " + r.spec.Description
	}
	return truncateRunes(d, functionDescriptionMax)
}

func functionDescriptionPrefix(gate, kind string) string {
	return fmt.Sprintf("Approval gate %s: %s", gate, kind)
}

// gateDescription is the gate's description in a function's description d
// (functionDescription's inverse), and whether d has the gate's form.
func gateDescription(gate, kind, d string) (string, bool) {
	prefix := functionDescriptionPrefix(gate, kind)
	if d == prefix {
		return "", true
	}
	return strings.CutPrefix(d, prefix+". ")
}

// functionDescriptionMax is Lambda's limit on a function's description: 256
// characters ("Length Constraints: Minimum length of 0. Maximum length of
// 256." in the Lambda API Reference, CreateFunction, Description). It counts
// characters, not bytes: a description cut inside a UTF-8 sequence is
// stored with the broken character replaced and never equals the one
// computed here, so every plan would show a change.
const functionDescriptionMax = 256

// truncateRunes cuts s to at most n characters, never inside one.
func truncateRunes(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// ensureFunction creates or converges one function: configuration, code and
// tags, retrying IAM propagation and update conflicts, waiting for Active.
func (r *run) ensureFunction(ctx context.Context, kind string, zip []byte) error {
	c := r.m.c.Lambda
	name := r.n.function(kind)
	env := r.functionEnv(kind)
	arch := lambdatypes.Architecture(r.spec.Architecture)
	var cur *lambda.GetFunctionOutput
	if !r.fresh {
		out, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
		switch {
		case err == nil:
			cur = out
		case !hasCode(err, "ResourceNotFoundException"):
			return fmt.Errorf("reading Lambda Function (%s): %w", name, err)
		}
	}
	if cur == nil {
		in := &lambda.CreateFunctionInput{
			FunctionName:  aws.String(name),
			Role:          aws.String(r.roleARN(kind)),
			Runtime:       functionRuntime,
			Handler:       aws.String("bootstrap"),
			Code:          &lambdatypes.FunctionCode{ZipFile: zip},
			Architectures: []lambdatypes.Architecture{arch},
			MemorySize:    aws.Int32(r.spec.MemoryMB),
			Timeout:       aws.Int32(functionTimeout[kind]),
			Description:   aws.String(r.functionDescription(kind)),
			Environment:   &lambdatypes.Environment{Variables: env},
			Tags:          r.tagsWithGate(),
		}
		var out *lambda.CreateFunctionOutput
		var tries attempts
		err := retryOn(ctx, iamPropagationTimeout, func(err error) bool { return isIAMPropagation(err) || isUpdateInProgress(err) }, func() error {
			var err error
			out, err = c.CreateFunction(ctx, in, tries.lambda)
			return err
		})
		if err != nil && isFunctionExists(err) && tries.mayHaveApplied() {
			// An attempt whose answer was lost created the function.
			err, out = nil, &lambda.CreateFunctionOutput{FunctionArn: aws.String(r.a.function(kind))}
		}
		if err != nil {
			if isFunctionExists(err) {
				return fmt.Errorf("creating Lambda Function (%s): a function with this name already exists; another gate may use the name %q: %w", name, r.spec.Name, err)
			}
			return fmt.Errorf("creating Lambda Function (%s): %w", name, err)
		}
		r.undo.add("Lambda Function "+name, func(ctx context.Context) error { return r.deleteFunction(ctx, kind) })
		r.setFunctionARN(kind, aws.ToString(out.FunctionArn))
		return r.waitFunctionActive(ctx, name)
	}
	cfg := cur.Configuration
	r.setFunctionARN(kind, aws.ToString(cfg.FunctionArn))
	if r.functionConfigDiffers(kind, cfg) {
		in := &lambda.UpdateFunctionConfigurationInput{
			FunctionName: aws.String(name),
			Role:         aws.String(r.roleARN(kind)),
			Runtime:      functionRuntime,
			Handler:      aws.String("bootstrap"),
			MemorySize:   aws.Int32(r.spec.MemoryMB),
			Timeout:      aws.Int32(functionTimeout[kind]),
			Description:  aws.String(r.functionDescription(kind)),
			Environment:  &lambdatypes.Environment{Variables: env},
		}
		if err := r.retryFunctionUpdate(ctx, func() error {
			_, err := c.UpdateFunctionConfiguration(ctx, in)
			return err
		}); err != nil {
			return fmt.Errorf("updating Lambda Function (%s) configuration: %w", name, err)
		}
		if err := r.waitFunctionUpdated(ctx, name); err != nil {
			return err
		}
	}
	wantSHA, _ := bundle.SHA256(r.spec.Architecture)
	if haveSHA, _ := bundle.LambdaSHAToHex(aws.ToString(cfg.CodeSha256)); haveSHA != wantSHA || !slices.Equal(cfg.Architectures, []lambdatypes.Architecture{arch}) {
		if err := r.retryFunctionUpdate(ctx, func() error {
			_, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{
				FunctionName: aws.String(name), ZipFile: zip, Architectures: []lambdatypes.Architecture{arch},
			})
			return err
		}); err != nil {
			return fmt.Errorf("updating Lambda Function (%s) code: %w", name, err)
		}
		if err := r.waitFunctionUpdated(ctx, name); err != nil {
			return err
		}
	}
	return r.retagPart(ctx, functionPart(kind), aws.ToString(cfg.FunctionArn), cur.Tags, r.tagsWithGate())
}

// functionConfigDiffers reports whether the configuration UpdateFunctionConfiguration sets differs.
func (r *run) functionConfigDiffers(kind string, cfg *lambdatypes.FunctionConfiguration) bool {
	var env map[string]string
	if cfg.Environment != nil {
		env = cfg.Environment.Variables
	}
	return aws.ToString(cfg.Role) != r.roleARN(kind) ||
		aws.ToInt32(cfg.MemorySize) != r.spec.MemoryMB ||
		aws.ToInt32(cfg.Timeout) != functionTimeout[kind] ||
		cfg.Runtime != functionRuntime ||
		aws.ToString(cfg.Handler) != "bootstrap" ||
		aws.ToString(cfg.Description) != r.functionDescription(kind) ||
		!maps.Equal(env, r.functionEnv(kind))
}

// isFunctionExists reports CreateFunction's answer when the name is taken
// (a ResourceConflictException, as is an update in progress).
func isFunctionExists(err error) bool {
	return hasCode(err, "ResourceConflictException") && strings.Contains(strings.ToLower(err.Error()), "already exist")
}

func (r *run) retryFunctionUpdate(ctx context.Context, f func() error) error {
	return retryOn(ctx, functionUpdateTimeout, func(err error) bool { return isUpdateInProgress(err) || isIAMPropagation(err) }, f)
}

func (r *run) waitFunctionActive(ctx context.Context, name string) error {
	w := lambda.NewFunctionActiveV2Waiter(r.m.c.Lambda)
	if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, waitBudget(ctx, functionUpdateTimeout)); err != nil {
		return fmt.Errorf("waiting for Lambda Function (%s) to become Active: %w", name, err)
	}
	return nil
}

func (r *run) waitFunctionUpdated(ctx context.Context, name string) error {
	w := lambda.NewFunctionUpdatedV2Waiter(r.m.c.Lambda)
	if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, waitBudget(ctx, functionUpdateTimeout)); err != nil {
		return fmt.Errorf("waiting for Lambda Function (%s) update: %w", name, err)
	}
	return nil
}

// readFunction refreshes one function (1 call; the callback's resource
// policy is read with the API).
func (r *run) readFunction(ctx context.Context, kind string) error {
	name := r.n.function(kind)
	out, err := r.m.c.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
	if hasCode(err, "ResourceNotFoundException") {
		r.drifted(functionPart(kind), "Lambda function %s: missing", name)
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading Lambda Function (%s): %w", name, err)
	}
	r.exists()
	cfg := out.Configuration
	r.setFunctionARN(kind, aws.ToString(cfg.FunctionArn))
	sha, _ := bundle.LambdaSHAToHex(aws.ToString(cfg.CodeSha256))
	r.set(func(st *Status) {
		if kind == kindNotifier || st.BundleSHA256 == "" {
			st.BundleSHA256 = sha
		}
	})
	var env map[string]string
	if cfg.Environment != nil {
		env = cfg.Environment.Variables
	}
	r.deferCheck(func() {
		want := r.functionEnv(kind)
		if !maps.Equal(env, want) {
			r.drifted(functionPart(kind), "Lambda function %s: environment differs (%s)", name, strings.Join(diffKeys(env, want), ", "))
		}
		if role := r.roleARN(kind); role != "" && aws.ToString(cfg.Role) != role {
			r.drifted(functionPart(kind), "Lambda function %s: role is %s", name, aws.ToString(cfg.Role))
		}
	})
	if aws.ToInt32(cfg.MemorySize) != r.spec.MemoryMB {
		r.differs(functionPart(kind), Observed{MemoryMB: aws.Int32(aws.ToInt32(cfg.MemorySize))})
	}
	if aws.ToInt32(cfg.Timeout) != functionTimeout[kind] {
		r.drifted(functionPart(kind), "Lambda function %s: timeout is %d s", name, aws.ToInt32(cfg.Timeout))
	}
	if !slices.Equal(cfg.Architectures, []lambdatypes.Architecture{lambdatypes.Architecture(r.spec.Architecture)}) {
		arch := ""
		if len(cfg.Architectures) > 0 {
			arch = string(cfg.Architectures[0])
		}
		r.differs(functionPart(kind), Observed{Architecture: &arch})
	}
	if aws.ToString(cfg.Description) != r.functionDescription(kind) {
		d := aws.ToString(cfg.Description)
		if own, ok := gateDescription(r.spec.Name, kind, d); ok {
			d = own
		}
		r.differs(functionPart(kind), Observed{Description: &d})
	}
	r.checkTags(functionPart(kind), out.Tags)
	return nil
}

// diffKeys names the keys whose values differ between a and b.
func diffKeys(a, b map[string]string) []string {
	var keys []string
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			keys = append(keys, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

func (r *run) deleteFunction(ctx context.Context, kind string) error {
	name := r.n.function(kind)
	_, err := r.m.c.Lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name)})
	if err != nil && !hasCode(err, "ResourceNotFoundException") {
		return fmt.Errorf("deleting Lambda Function (%s): %w", name, err)
	}
	return nil
}

// hasPermission reports whether the function's resource policy has the
// statement that lets the API invoke it, for the given source ARN.
func hasPermission(policy, sourceARN string) bool {
	var doc struct {
		Statement []struct {
			Sid       string
			Condition map[string]map[string]string
		}
	}
	if json.Unmarshal([]byte(policy), &doc) != nil {
		return false
	}
	for _, s := range doc.Statement {
		if s.Sid == permissionID {
			return s.Condition["ArnLike"]["AWS:SourceArn"] == sourceARN
		}
	}
	return false
}
