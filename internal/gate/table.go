package gate

import (
	"context"
	"fmt"
	"maps"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ttlAttribute is the request item's expiry (unix seconds): DynamoDB
// removes expired requests by itself.
const ttlAttribute = "expires_at"

func ddbTags(m map[string]string) []ddbtypes.Tag {
	out := make([]ddbtypes.Tag, 0, len(m))
	for k, v := range m {
		out = append(out, ddbtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return out
}

func (r *run) sse() *ddbtypes.SSESpecification {
	if r.spec.KMSKeyARN == "" {
		return nil // AWS-owned key
	}
	return &ddbtypes.SSESpecification{Enabled: aws.Bool(true), SSEType: ddbtypes.SSETypeKms, KMSMasterKeyId: aws.String(r.spec.KMSKeyARN)}
}

func tableKMSKey(t *ddbtypes.TableDescription) string {
	if t.SSEDescription != nil && t.SSEDescription.SSEType == ddbtypes.SSETypeKms {
		return aws.ToString(t.SSEDescription.KMSMasterKeyArn)
	}
	return ""
}

// ensureTable creates or converges the requests table and its TTL.
func (r *run) ensureTable(ctx context.Context) error {
	c := r.m.c.DynamoDB
	name := r.n.table()
	var table *ddbtypes.TableDescription
	if !r.fresh {
		out, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		switch {
		case err == nil:
			table = out.Table
		case !hasCode(err, "ResourceNotFoundException"):
			return fmt.Errorf("reading DynamoDB Table (%s): %w", name, err)
		}
	}
	if table == nil {
		var tries attempts
		_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName:              aws.String(name),
			AttributeDefinitions:   tableAttributes(),
			KeySchema:              []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
			GlobalSecondaryIndexes: tableIndexDefinitions(),
			BillingMode:            ddbtypes.BillingModePayPerRequest,
			SSESpecification:       r.sse(),
			Tags:                   ddbTags(r.tagsWithGate()),
		}, tries.dynamodb)
		// ResourceInUse after an attempt whose answer was lost: that attempt made the table.
		ours := hasCode(err, "ResourceInUseException") && tries.mayHaveApplied()
		if err != nil && !ours {
			if hasCode(err, "ResourceInUseException") {
				return fmt.Errorf("creating DynamoDB Table (%s): a table with this name already exists; another gate may use the name %q: %w", name, r.spec.Name, err)
			}
			return fmt.Errorf("creating DynamoDB Table (%s): %w", name, err)
		}
		r.undo.add("DynamoDB Table "+name, r.deleteTable)
		if err := dynamodb.NewTableExistsWaiter(c).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, waitBudget(ctx, functionUpdateTimeout)); err != nil {
			return fmt.Errorf("waiting for DynamoDB Table (%s) to become ACTIVE: %w", name, err)
		}
		return r.enableTTL(ctx)
	}
	if err := r.convergeIndexes(ctx, table); err != nil {
		return err
	}
	if tableKMSKey(table) != r.spec.KMSKeyARN {
		sse := r.sse()
		if sse == nil {
			sse = &ddbtypes.SSESpecification{Enabled: aws.Bool(false)}
		}
		if _, err := c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(name), SSESpecification: sse}); err != nil {
			return fmt.Errorf("updating DynamoDB Table (%s) encryption: %w", name, err)
		}
	}
	ttl, err := c.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("reading DynamoDB Table (%s) TTL: %w", name, err)
	}
	if !ttlEnabled(ttl) {
		if err := r.enableTTL(ctx); err != nil {
			return err
		}
	}
	tags, err := r.tableTags(ctx, table.TableArn)
	if err != nil {
		return err
	}
	return r.retagPart(ctx, partTable, aws.ToString(table.TableArn), tags, r.tagsWithGate())
}

// tableTags reads every tag of the table. ListTagsOfResource answers at
// most 10 tags a call and a NextToken while there are more (DynamoDB API
// Reference, ListTagsOfResource): a gate with default_tags has more than 10.
func (r *run) tableTags(ctx context.Context, arn *string) (map[string]string, error) {
	tags := map[string]string{}
	in := &dynamodb.ListTagsOfResourceInput{ResourceArn: arn}
	for {
		out, err := r.m.c.DynamoDB.ListTagsOfResource(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("reading DynamoDB Table (%s) tags: %w", r.n.table(), err)
		}
		maps.Copy(tags, fromDDBTags(out.Tags))
		if aws.ToString(out.NextToken) == "" {
			return tags, nil
		}
		in.NextToken = out.NextToken
	}
}

func fromDDBTags(t []ddbtypes.Tag) map[string]string {
	m := make(map[string]string, len(t))
	for _, x := range t {
		m[aws.ToString(x.Key)] = aws.ToString(x.Value)
	}
	return m
}

func ttlEnabled(out *dynamodb.DescribeTimeToLiveOutput) bool {
	d := out.TimeToLiveDescription
	return d != nil && aws.ToString(d.AttributeName) == ttlAttribute &&
		(d.TimeToLiveStatus == ddbtypes.TimeToLiveStatusEnabled || d.TimeToLiveStatus == ddbtypes.TimeToLiveStatusEnabling)
}

func (r *run) enableTTL(ctx context.Context) error {
	name := r.n.table()
	_, err := r.m.c.DynamoDB.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(name),
		TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String(ttlAttribute), Enabled: aws.Bool(true)},
	})
	return wrapf(err, "enabling DynamoDB Table (%s) TTL", name)
}

// readTable refreshes the table, its TTL and its tags (3 calls).
func (r *run) readTable(ctx context.Context) error {
	c := r.m.c.DynamoDB
	name := r.n.table()
	out, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if hasCode(err, "ResourceNotFoundException") {
		r.drifted(partTable, "DynamoDB table %s: missing", name)
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading DynamoDB Table (%s): %w", name, err)
	}
	r.exists()
	if k := tableKMSKey(out.Table); k != r.spec.KMSKeyARN {
		r.differs(partTable, Observed{KMSKeyARN: &k})
	}
	for _, d := range indexDrifts(out.Table) {
		r.drifted(partTable, "DynamoDB table %s: %s", name, d)
	}
	return parallel(ctx,
		func(ctx context.Context) error {
			ttl, err := c.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
			if err != nil {
				return fmt.Errorf("reading DynamoDB Table (%s) TTL: %w", name, err)
			}
			if !ttlEnabled(ttl) {
				r.drifted(partTable, "DynamoDB table %s: TTL on %s is not enabled", name, ttlAttribute)
			}
			return nil
		},
		func(ctx context.Context) error {
			tags, err := r.tableTags(ctx, out.Table.TableArn)
			if err != nil {
				return err
			}
			r.checkTags(partTable, tags)
			return nil
		},
	)
}

func (r *run) deleteTable(ctx context.Context) error {
	name := r.n.table()
	_, err := r.m.c.DynamoDB.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	if err != nil && !hasCode(err, "ResourceNotFoundException") {
		return fmt.Errorf("deleting DynamoDB Table (%s): %w", name, err)
	}
	return nil
}
