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

// The requests table's first global secondary index, "status-due": hash key
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

// The second index, "execution": hash key execution_id (S), projection
// KEYS_ONLY. When an execution stops (ABORTED, FAILED, TIMED_OUT), the
// callback is told by the gate's stopped-executions rule (stopped.go) and
// finds the execution's requests with one Query on this index, never a scan.
// It is sparse too: a request carries execution_id only when its Task state
// passes the execution context (include_execution_context, the default).
//
// KEYS_ONLY: the callback re-reads each request with a consistent GetItem
// before acting (it must: the index is eventually consistent), so the index
// needs only the request id. An execution has one request per gate Task it
// ran, so the Query returns a handful of keys; final requests stay in the
// index until the table's TTL removes them, which costs one key each.
// Keeping only pending requests in it would mean removing execution_id when
// a request ends, and losing it for the late-click page.
const (
	executionIndexName = approval.ExecutionIndexName
	executionAttribute = approval.ExecutionAttribute
)

// tableIndex is one global secondary index of the requests table.
type tableIndex struct {
	name       string
	keys       []ddbtypes.KeySchemaElement
	attributes []ddbtypes.AttributeDefinition // of its keys
	projection ddbtypes.ProjectionType
}

// tableIndexes are the requests table's indexes, in the order they are
// created on a table that lacks them.
var tableIndexes = []tableIndex{
	{
		name: dueIndexName,
		keys: []ddbtypes.KeySchemaElement{
			{AttributeName: aws.String(statusAttribute), KeyType: ddbtypes.KeyTypeHash},
			{AttributeName: aws.String(dueAttribute), KeyType: ddbtypes.KeyTypeRange},
		},
		attributes: []ddbtypes.AttributeDefinition{
			{AttributeName: aws.String(statusAttribute), AttributeType: ddbtypes.ScalarAttributeTypeS},
			{AttributeName: aws.String(dueAttribute), AttributeType: ddbtypes.ScalarAttributeTypeN},
		},
		projection: ddbtypes.ProjectionTypeAll,
	},
	{
		name:       executionIndexName,
		keys:       []ddbtypes.KeySchemaElement{{AttributeName: aws.String(executionAttribute), KeyType: ddbtypes.KeyTypeHash}},
		attributes: []ddbtypes.AttributeDefinition{{AttributeName: aws.String(executionAttribute), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		projection: ddbtypes.ProjectionTypeKeysOnly,
	},
}

// tableAttributes are the table's key attributes: its own and the indexes'.
func tableAttributes() []ddbtypes.AttributeDefinition {
	out := []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}}
	for _, ix := range tableIndexes {
		out = append(out, ix.attributes...)
	}
	return out
}

func (ix tableIndex) definition() ddbtypes.GlobalSecondaryIndex {
	return ddbtypes.GlobalSecondaryIndex{
		IndexName:  aws.String(ix.name),
		KeySchema:  ix.keys,
		Projection: &ddbtypes.Projection{ProjectionType: ix.projection},
	}
}

// tableIndexDefinitions are the indexes of a new table.
func tableIndexDefinitions() []ddbtypes.GlobalSecondaryIndex {
	out := make([]ddbtypes.GlobalSecondaryIndex, len(tableIndexes))
	for i, ix := range tableIndexes {
		out[i] = ix.definition()
	}
	return out
}

// dueIndex is the status-due index's definition.
func dueIndex() ddbtypes.GlobalSecondaryIndex { return tableIndexes[0].definition() }

// findIndex returns the table's index of that name, or nil.
func findIndex(t *ddbtypes.TableDescription, name string) *ddbtypes.GlobalSecondaryIndexDescription {
	for i := range t.GlobalSecondaryIndexes {
		if aws.ToString(t.GlobalSecondaryIndexes[i].IndexName) == name {
			return &t.GlobalSecondaryIndexes[i]
		}
	}
	return nil
}

// drift says how the table's index of this name differs from ix ("" when
// it does not).
func (ix tableIndex) drift(t *ddbtypes.TableDescription) string {
	got := findIndex(t, ix.name)
	if got == nil {
		return "index " + ix.name + " is missing"
	}
	same := len(got.KeySchema) == len(ix.keys)
	for i := 0; same && i < len(ix.keys); i++ {
		same = aws.ToString(got.KeySchema[i].AttributeName) == aws.ToString(ix.keys[i].AttributeName) && got.KeySchema[i].KeyType == ix.keys[i].KeyType
	}
	if !same {
		return "index " + ix.name + " has other keys"
	}
	if got.Projection == nil || got.Projection.ProjectionType != ix.projection {
		if ix.projection == ddbtypes.ProjectionTypeAll {
			return "index " + ix.name + " does not project all attributes"
		}
		return "index " + ix.name + " does not project " + string(ix.projection)
	}
	return ""
}

// dueIndexDrift says how the table's status-due index differs.
func dueIndexDrift(t *ddbtypes.TableDescription) string { return tableIndexes[0].drift(t) }

// indexDrifts are the differences of every index of the table.
func indexDrifts(t *ddbtypes.TableDescription) []string {
	var out []string
	for _, ix := range tableIndexes {
		if d := ix.drift(t); d != "" {
			out = append(out, d)
		}
	}
	return out
}

// convergeIndexes adds each index a table lacks (a table made by an earlier
// version of the provider, or whose index was deleted), or replaces an index
// whose keys or projection differ (an index cannot be changed in place: AWS
// allows one index creation or deletion per UpdateTable, so it is deleted,
// then created), one index at a time.
func (r *run) convergeIndexes(ctx context.Context, t *ddbtypes.TableDescription) error {
	for _, ix := range tableIndexes {
		if err := r.convergeIndex(ctx, t, ix); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) convergeIndex(ctx context.Context, t *ddbtypes.TableDescription, ix tableIndex) error {
	d := ix.drift(t)
	if d == "" {
		return nil
	}
	c := r.m.c.DynamoDB
	name := r.n.table()
	if findIndex(t, ix.name) != nil {
		if _, err := c.UpdateTable(ctx, &dynamodb.UpdateTableInput{
			TableName:                   aws.String(name),
			GlobalSecondaryIndexUpdates: []ddbtypes.GlobalSecondaryIndexUpdate{{Delete: &ddbtypes.DeleteGlobalSecondaryIndexAction{IndexName: aws.String(ix.name)}}},
		}); err != nil {
			return fmt.Errorf("updating DynamoDB Table (%s): deleting index %s (%s): %w", name, ix.name, d, err)
		}
		if err := r.waitIndex(ctx, ix.name, false); err != nil {
			return err
		}
	}
	def := ix.definition()
	if _, err := c.UpdateTable(ctx, &dynamodb.UpdateTableInput{
		TableName: aws.String(name),
		// The new index's key attributes: AWS refuses definitions that no
		// key of the table or its indexes uses.
		AttributeDefinitions: ix.attributes,
		GlobalSecondaryIndexUpdates: []ddbtypes.GlobalSecondaryIndexUpdate{{Create: &ddbtypes.CreateGlobalSecondaryIndexAction{
			IndexName: def.IndexName, KeySchema: def.KeySchema, Projection: def.Projection,
		}}},
	}); err != nil {
		return fmt.Errorf("updating DynamoDB Table (%s): creating index %s: %w", name, ix.name, err)
	}
	return r.waitIndex(ctx, ix.name, true)
}

// waitIndex polls the table until its index is ACTIVE (present) or gone
// (!present), and the table itself ACTIVE, so the next table update is
// accepted.
func (r *run) waitIndex(ctx context.Context, index string, present bool) error {
	name := r.n.table()
	ctx, cancel := context.WithTimeout(ctx, waitBudget(ctx, indexTimeout))
	defer cancel()
	for {
		out, err := r.m.c.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("waiting for DynamoDB Table (%s) index %s: %w", name, index, err)
		}
		ix := findIndex(out.Table, index)
		done := out.Table.TableStatus == ddbtypes.TableStatusActive &&
			((!present && ix == nil) || (present && ix != nil && ix.IndexStatus == ddbtypes.IndexStatusActive))
		if done {
			return nil
		}
		t := time.NewTimer(indexPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("waiting for DynamoDB Table (%s) index %s: %w", name, index, ctx.Err())
		case <-t.C:
		}
	}
}
