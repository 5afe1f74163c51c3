package gate

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// The requests table's one global secondary index, "status-due": hash key
// status (S), range key due_at (N, unix seconds). An item carries due_at only
// while something is due for it (a pending request: its expiry, later its
// reminders; a deciding request: the end of its re-send lease), so the
// index is sparse: final requests (decided, expired) leave it. The sweep
// reads only what is due ("status = deciding AND due_at <= now"), and the
// machine API lists the open requests ("status = pending") without a scan.
//
// Projection ALL, not KEYS_ONLY or INCLUDE:
//   - the listing shows nearly every attribute (title, context, requester,
//     times, votes), so a narrower projection would turn one Query into one
//     Query plus a GetItem per request;
//   - the index holds only open requests, so the copy costs little storage,
//     and each write of an open request costs one more write unit either way;
//   - kumo ignores projections (a Query on an index returns whole items), so
//     code that read an attribute outside an INCLUDE list would pass every
//     test and fail on AWS: with ALL the two behave the same.
//
// The sweep never acts on what the index returns (GSI reads are eventually
// consistent, on AWS only): it re-reads each item with a consistent GetItem.
const (
	dueIndexName = approval.DueIndexName
	dueAttribute = approval.DueAttribute
	// statusAttribute is the hash key of the index.
	statusAttribute = "status"
	// indexTimeout bounds the wait for the index to be built (AWS backfills
	// a new index on an existing table) or removed.
	indexTimeout = 10 * time.Minute
	// indexPoll is how often the table is read while waiting.
	indexPoll = 2 * time.Second
)

// tableAttributes are the table's key attributes: its own and the index's.
func tableAttributes() []ddbtypes.AttributeDefinition {
	return []ddbtypes.AttributeDefinition{
		{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS},
		{AttributeName: aws.String(statusAttribute), AttributeType: ddbtypes.ScalarAttributeTypeS},
		{AttributeName: aws.String(dueAttribute), AttributeType: ddbtypes.ScalarAttributeTypeN},
	}
}

func dueIndexKeys() []ddbtypes.KeySchemaElement {
	return []ddbtypes.KeySchemaElement{
		{AttributeName: aws.String(statusAttribute), KeyType: ddbtypes.KeyTypeHash},
		{AttributeName: aws.String(dueAttribute), KeyType: ddbtypes.KeyTypeRange},
	}
}

func dueIndex() ddbtypes.GlobalSecondaryIndex {
	return ddbtypes.GlobalSecondaryIndex{
		IndexName:  aws.String(dueIndexName),
		KeySchema:  dueIndexKeys(),
		Projection: &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionTypeAll},
	}
}

// findDueIndex returns the table's status-due index, or nil.
func findDueIndex(t *ddbtypes.TableDescription) *ddbtypes.GlobalSecondaryIndexDescription {
	for i := range t.GlobalSecondaryIndexes {
		if aws.ToString(t.GlobalSecondaryIndexes[i].IndexName) == dueIndexName {
			return &t.GlobalSecondaryIndexes[i]
		}
	}
	return nil
}

// dueIndexDrift says how the table's index differs from dueIndex ("" when it
// does not).
func dueIndexDrift(t *ddbtypes.TableDescription) string {
	ix := findDueIndex(t)
	if ix == nil {
		return "index " + dueIndexName + " is missing"
	}
	want := dueIndexKeys()
	same := len(ix.KeySchema) == len(want)
	for i := 0; same && i < len(want); i++ {
		same = aws.ToString(ix.KeySchema[i].AttributeName) == aws.ToString(want[i].AttributeName) && ix.KeySchema[i].KeyType == want[i].KeyType
	}
	if !same {
		return "index " + dueIndexName + " has other keys"
	}
	if ix.Projection == nil || ix.Projection.ProjectionType != ddbtypes.ProjectionTypeAll {
		return "index " + dueIndexName + " does not project all attributes"
	}
	return ""
}

// convergeDueIndex adds the index to a table that lacks it (a table made by
// an earlier version of the provider, or whose index was deleted), or
// replaces an index of that name whose keys or projection differ (an index
// cannot be changed in place: AWS allows one index creation or deletion per
// UpdateTable, so it is deleted, then created).
func (r *run) convergeDueIndex(ctx context.Context, t *ddbtypes.TableDescription) error {
	d := dueIndexDrift(t)
	if d == "" {
		return nil
	}
	c := r.m.c.DynamoDB
	name := r.n.table()
	if findDueIndex(t) != nil {
		if _, err := c.UpdateTable(ctx, &dynamodb.UpdateTableInput{
			TableName:                   aws.String(name),
			GlobalSecondaryIndexUpdates: []ddbtypes.GlobalSecondaryIndexUpdate{{Delete: &ddbtypes.DeleteGlobalSecondaryIndexAction{IndexName: aws.String(dueIndexName)}}},
		}); err != nil {
			return fmt.Errorf("updating DynamoDB Table (%s): deleting index %s (%s): %w", name, dueIndexName, d, err)
		}
		if err := r.waitDueIndex(ctx, false); err != nil {
			return err
		}
	}
	ix := dueIndex()
	if _, err := c.UpdateTable(ctx, &dynamodb.UpdateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: tableAttributes(),
		GlobalSecondaryIndexUpdates: []ddbtypes.GlobalSecondaryIndexUpdate{{Create: &ddbtypes.CreateGlobalSecondaryIndexAction{
			IndexName: ix.IndexName, KeySchema: ix.KeySchema, Projection: ix.Projection,
		}}},
	}); err != nil {
		return fmt.Errorf("updating DynamoDB Table (%s): creating index %s: %w", name, dueIndexName, err)
	}
	return r.waitDueIndex(ctx, true)
}

// waitDueIndex polls the table until its index is ACTIVE (present) or gone
// (!present), and the table itself ACTIVE, so the next table update is
// accepted.
func (r *run) waitDueIndex(ctx context.Context, present bool) error {
	name := r.n.table()
	ctx, cancel := context.WithTimeout(ctx, waitBudget(ctx, indexTimeout))
	defer cancel()
	for {
		out, err := r.m.c.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("waiting for DynamoDB Table (%s) index %s: %w", name, dueIndexName, err)
		}
		ix := findDueIndex(out.Table)
		done := out.Table.TableStatus == ddbtypes.TableStatusActive &&
			((!present && ix == nil) || (present && ix != nil && ix.IndexStatus == ddbtypes.IndexStatusActive))
		if done {
			return nil
		}
		t := time.NewTimer(indexPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("waiting for DynamoDB Table (%s) index %s: %w", name, dueIndexName, ctx.Err())
		case <-t.C:
		}
	}
}
