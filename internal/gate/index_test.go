package gate_test

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

// TestGate_dueIndex checks the requests table's status-due index on the
// local AWS: created with the table, sparse (only items with due_at are in
// it), queried by status and due time, and repaired when a table lacks it.
//
// kumo accepts UpdateTable's GlobalSecondaryIndexUpdates but does not apply
// them, so a table without the index cannot be made there: the proxy hides
// the index from DescribeTable until the gate has asked to create it, and
// the test checks that request.
func TestGate_dueIndex(t *testing.T) {
	m, cfg := newManager(t)
	ctx := t.Context()
	name := acctest.RandomName()
	spec := testSpec(name)
	if _, err := m.Create(ctx, spec); err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { _ = m.Delete(context.Background(), name) })
	db := dynamodb.NewFromConfig(cfg)
	table := name + "-requests"

	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(out.Table.GlobalSecondaryIndexes); n != 2 {
		t.Fatalf("table has %d global secondary indexes, want 2", n)
	}
	byName := map[string]ddbtypes.GlobalSecondaryIndexDescription{}
	for _, ix := range out.Table.GlobalSecondaryIndexes {
		byName[aws.ToString(ix.IndexName)] = ix
	}
	if ex := byName["execution"]; len(ex.KeySchema) != 1 || aws.ToString(ex.KeySchema[0].AttributeName) != "execution_id" ||
		ex.KeySchema[0].KeyType != ddbtypes.KeyTypeHash || ex.Projection == nil || ex.Projection.ProjectionType != ddbtypes.ProjectionTypeKeysOnly {
		t.Errorf("execution index = %+v, want hash execution_id, KEYS_ONLY", ex)
	}
	ix := byName["status-due"]
	keys := []string{}
	for _, k := range ix.KeySchema {
		keys = append(keys, aws.ToString(k.AttributeName)+" "+string(k.KeyType))
	}
	if aws.ToString(ix.IndexName) != "status-due" || strings.Join(keys, ",") != "status HASH,due_at RANGE" ||
		ix.Projection == nil || ix.Projection.ProjectionType != ddbtypes.ProjectionTypeAll {
		t.Errorf("index = %s keys %v projection %+v, want status-due keys [status HASH, due_at RANGE] projection ALL", aws.ToString(ix.IndexName), keys, ix.Projection)
	}

	// Sparse: a final request (no due_at) is not in the index; a query
	// reads only what is due.
	now := time.Now().Unix()
	put := func(id, status string, due int64) {
		item := map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: id}, "status": &ddbtypes.AttributeValueMemberS{Value: status}}
		if due != 0 {
			item["due_at"] = &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(due, 10)}
		}
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	put("due-pending", "pending", now-10)
	put("later-pending", "pending", now+3600)
	put("due-deciding", "deciding", now-1)
	put("final", "decided", 0)
	query := func(status string) []string {
		q, err := db.Query(ctx, &dynamodb.QueryInput{
			TableName: aws.String(table), IndexName: aws.String("status-due"),
			KeyConditionExpression:    aws.String("#st = :st AND #due <= :now"),
			ExpressionAttributeNames:  map[string]string{"#st": "status", "#due": "due_at"},
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":st": &ddbtypes.AttributeValueMemberS{Value: status}, ":now": &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(now, 10)}},
		})
		if err != nil {
			t.Fatalf("query %s: %v", status, err)
		}
		var ids []string
		for _, it := range q.Items {
			ids = append(ids, it["id"].(*ddbtypes.AttributeValueMemberS).Value) //nolint:forcetypeassert // the test wrote them
		}
		return ids
	}
	for status, want := range map[string]string{"pending": "due-pending", "deciding": "due-deciding", "decided": ""} {
		if got := strings.Join(query(status), ","); got != want {
			t.Errorf("due %s requests = %q, want %q", status, got, want)
		}
	}

	// Repair: a table without the index (as an earlier version made it).
	var asked atomic.Bool
	var (
		mu           sync.Mutex
		createBodies []string
	)
	hide := func(b []byte) []byte {
		var o map[string]map[string]any
		if json.Unmarshal(b, &o) != nil || o["Table"] == nil {
			return b
		}
		delete(o["Table"], "GlobalSecondaryIndexes")
		nb, _ := json.Marshal(o)
		return nb
	}
	fault := func(c acctest.Call) *acctest.Fault {
		switch {
		case c.Op == "dynamodb:UpdateTable" && strings.Contains(string(c.Body), `"GlobalSecondaryIndexUpdates"`):
			mu.Lock()
			createBodies = append(createBodies, string(c.Body))
			mu.Unlock()
			asked.Store(true)
		case c.Op == "dynamodb:DescribeTable" && !asked.Load() && strings.Contains(string(c.Body), table):
			return &acctest.Fault{Rewrite: hide}
		}
		return nil
	}
	local.Proxy.SetFault(fault)
	defer local.Proxy.SetFault(nil)
	st, err := m.Read(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if want := "DynamoDB table " + table + ": index execution is missing|DynamoDB table " + table + ": index status-due is missing"; strings.Join(st.Drift, "|") != want {
		t.Errorf("drift = %q, want %q", st.Drift, want)
	}
	if _, err := m.Update(ctx, spec, nil); err != nil {
		t.Fatalf("update: %v", err)
	}
	mu.Lock()
	bodies := slices.Clone(createBodies)
	mu.Unlock()
	// One index per UpdateTable (AWS allows one creation per call), each
	// with its own key attributes only.
	if len(bodies) != 2 {
		t.Fatalf("UpdateTable calls %q, want one per index", bodies)
	}
	for i, wants := range [][]string{
		{`"Create"`, `"IndexName":"status-due"`, `"ProjectionType":"ALL"`, `"AttributeName":"due_at","AttributeType":"N"`},
		{`"Create"`, `"IndexName":"execution"`, `"ProjectionType":"KEYS_ONLY"`, `"AttributeDefinitions":[{"AttributeName":"execution_id","AttributeType":"S"}]`},
	} {
		for _, want := range wants {
			if !strings.Contains(bodies[i], want) {
				t.Errorf("UpdateTable %d did not ask %s: %s", i, want, bodies[i])
			}
		}
	}
	checkNoDrift(t, m, spec, "after repair")
}
