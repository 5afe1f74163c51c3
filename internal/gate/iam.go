package gate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func iamTags(m map[string]string) []iamtypes.Tag {
	out := make([]iamtypes.Tag, 0, len(m))
	for k, v := range m {
		out = append(out, iamtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return out
}

func fromIAMTags(t []iamtypes.Tag) map[string]string {
	m := make(map[string]string, len(t))
	for _, x := range t {
		m[aws.ToString(x.Key)] = aws.ToString(x.Value)
	}
	return m
}

func (r *run) setRoleARN(kind, arn string) {
	r.set(func(st *Status) {
		if kind == kindNotifier {
			st.NotifierRoleARN = arn
		} else {
			st.CallbackRoleARN = arn
		}
	})
}

func (r *run) roleARN(kind string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if kind == kindNotifier {
		return r.st.NotifierRoleARN
	}
	return r.st.CallbackRoleARN
}

// ensureRole creates or converges the role of a function and its inline policy.
func (r *run) ensureRole(ctx context.Context, kind string) error {
	c := r.m.c.IAM
	name := r.n.role(kind)
	trust := trustPolicy(r.m.env).String()
	var role *iamtypes.Role
	if !r.fresh {
		out, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
		switch {
		case err == nil:
			role = out.Role
		case !hasCode(err, "NoSuchEntity"):
			return fmt.Errorf("reading IAM Role (%s): %w", name, err)
		}
	}
	if role == nil {
		in := &iam.CreateRoleInput{
			RoleName:                 aws.String(name),
			Path:                     aws.String(iamPath),
			AssumeRolePolicyDocument: aws.String(trust),
			Description:              aws.String(fmt.Sprintf("Approval gate %s: %s function", r.spec.Name, kind)),
			Tags:                     iamTags(r.tagsWithGate()),
		}
		if r.spec.PermissionsBoundaryARN != "" {
			in.PermissionsBoundary = aws.String(r.spec.PermissionsBoundaryARN)
		}
		var tries attempts
		out, err := c.CreateRole(ctx, in, tries.iam)
		adopt := hasCode(err, "EntityAlreadyExists") && tries.mayHaveApplied()
		if err != nil && !adopt {
			if hasCode(err, "EntityAlreadyExists") {
				return fmt.Errorf("creating IAM Role (%s): a role with this name already exists; another gate may use the name %q (import it, or choose another name): %w", name, r.spec.Name, err)
			}
			return fmt.Errorf("creating IAM Role (%s): %w", name, err)
		}
		r.undo.add("IAM Role "+name, func(ctx context.Context) error { return r.deleteRole(ctx, kind) })
		if adopt {
			// The first attempt created the role; its answer was lost.
			got, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
			if err != nil {
				return fmt.Errorf("reading IAM Role (%s) created by an attempt whose answer was lost: %w", name, err)
			}
			out = &iam.CreateRoleOutput{Role: got.Role}
		}
		r.setRoleARN(kind, aws.ToString(out.Role.Arn))
	} else {
		r.setRoleARN(kind, aws.ToString(role.Arn))
		if !samePolicy(aws.ToString(role.AssumeRolePolicyDocument), trust) {
			if _, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(name), PolicyDocument: aws.String(trust)}); err != nil {
				return fmt.Errorf("updating IAM Role (%s) trust policy: %w", name, err)
			}
		}
		if err := r.convergeRoleBoundary(ctx, name, role); err != nil {
			return err
		}
		if err := r.retagPart(ctx, rolePart(kind), "", fromIAMTags(role.Tags), r.tagsWithGate()); err != nil {
			return err
		}
	}
	// PutRolePolicy replaces the document: one call creates or repairs it.
	doc := rolePolicy(r.m.env, r.spec, kind).String()
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{
		RoleName: aws.String(name), PolicyName: aws.String(r.n.policy()), PolicyDocument: aws.String(doc),
	}); err != nil {
		return fmt.Errorf("putting IAM Role Policy (%s/%s): %w", name, r.n.policy(), err)
	}
	return nil
}

func (r *run) convergeRoleBoundary(ctx context.Context, name string, role *iamtypes.Role) error {
	have := ""
	if role.PermissionsBoundary != nil {
		have = aws.ToString(role.PermissionsBoundary.PermissionsBoundaryArn)
	}
	want := r.spec.PermissionsBoundaryARN
	switch {
	case have == want:
		return nil
	case want == "":
		if _, err := r.m.c.IAM.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String(name)}); err != nil {
			return fmt.Errorf("removing IAM Role (%s) permissions boundary: %w", name, err)
		}
	default:
		if _, err := r.m.c.IAM.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String(name), PermissionsBoundary: aws.String(want)}); err != nil {
			return fmt.Errorf("setting IAM Role (%s) permissions boundary: %w", name, err)
		}
	}
	return nil
}

// readRole refreshes a role and its inline policy (2 calls).
func (r *run) readRole(ctx context.Context, kind string) error {
	c := r.m.c.IAM
	name := r.n.role(kind)
	out, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if hasCode(err, "NoSuchEntity") {
		r.drifted(rolePart(kind), "IAM role %s: missing", name)
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading IAM Role (%s): %w", name, err)
	}
	r.exists()
	r.setRoleARN(kind, aws.ToString(out.Role.Arn))
	boundary := ""
	if out.Role.PermissionsBoundary != nil {
		boundary = aws.ToString(out.Role.PermissionsBoundary.PermissionsBoundaryArn)
	}
	if boundary != r.spec.PermissionsBoundaryARN {
		r.differs(rolePart(kind), Observed{PermissionsBoundaryARN: &boundary})
	}
	if !samePolicy(aws.ToString(out.Role.AssumeRolePolicyDocument), trustPolicy(r.m.env).String()) {
		r.drifted(rolePart(kind), "IAM role %s: trust policy differs", name)
	}
	r.checkTags(rolePart(kind), fromIAMTags(out.Role.Tags))
	pol, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(r.n.policy())})
	switch {
	case hasCode(err, "NoSuchEntity"):
		r.drifted(rolePart(kind), "IAM role policy %s/%s: missing", name, r.n.policy())
	case err != nil:
		return fmt.Errorf("reading IAM Role Policy (%s/%s): %w", name, r.n.policy(), err)
	case !samePolicy(aws.ToString(pol.PolicyDocument), rolePolicy(r.m.env, r.spec, kind).String()):
		r.drifted(rolePart(kind), "IAM role policy %s/%s: document differs", name, r.n.policy())
	}
	return nil
}

func (r *run) deleteRole(ctx context.Context, kind string) error {
	c := r.m.c.IAM
	name := r.n.role(kind)
	pols, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
	if hasCode(err, "NoSuchEntity") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("listing IAM Role Policies (%s): %w", name, err)
	}
	for _, p := range pols.PolicyNames {
		if _, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(p)}); err != nil && !hasCode(err, "NoSuchEntity") {
			return fmt.Errorf("deleting IAM Role Policy (%s/%s): %w", name, p, err)
		}
	}
	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)}); err != nil && !hasCode(err, "NoSuchEntity") {
		return fmt.Errorf("deleting IAM Role (%s): %w", name, err)
	}
	return nil
}

// samePolicy compares two policy documents as JSON values. IAM returns
// documents URL-encoded (RFC 3986); both forms are accepted.
func samePolicy(have, want string) bool {
	if u, err := url.PathUnescape(have); err == nil {
		have = u
	}
	var a, b any
	if json.Unmarshal([]byte(have), &a) != nil || json.Unmarshal([]byte(want), &b) != nil {
		return false
	}
	return reflect.DeepEqual(normalizePolicy(a), normalizePolicy(b))
}

// normalizePolicy turns single strings into one-element lists where IAM
// accepts both (Action, Resource, principal values), so equal policies
// compare equal whichever form AWS returns.
func normalizePolicy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			switch k {
			case "Action", "NotAction", "Resource", "NotResource", "Service", "AWS":
				if s, ok := e.(string); ok {
					e = []any{s}
				}
			}
			out[k] = normalizePolicy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizePolicy(e)
		}
		return out
	}
	return v
}
