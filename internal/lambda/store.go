package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// store maps approval.Request to the gate's table (the item schema is
// documented on approval.Request).
type store struct {
	db    DynamoDB
	table string
}

var (
	errNotFound = errors.New("request not found")
	errConflict = errors.New("request changed concurrently")
	errExists   = errors.New("request id already taken")
)

func (s store) key(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"id": str(id)}
}

// create writes a new request; it never overwrites one.
func (s store) create(ctx context.Context, r approval.Request) error {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(s.table),
		Item:                toItem(r),
		ConditionExpression: aws.String("attribute_not_exists(id)"),
	})
	if isConditionFailed(err) {
		return errExists
	}
	if err != nil {
		return fmt.Errorf("writing request %s: %w", r.ID, err)
	}
	return nil
}

// get reads a request (strongly consistent).
func (s store) get(ctx context.Context, id string) (approval.Request, error) {
	if strings.HasPrefix(id, "#") { // the table's marker items (reschedule.go), never a request
		return approval.Request{}, errNotFound
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: s.key(id), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return approval.Request{}, fmt.Errorf("reading request %s: %w", id, err)
	}
	if len(out.Item) == 0 {
		return approval.Request{}, errNotFound
	}
	return fromItem(out.Item)
}

// statusQuery reads the status-due index: the requests in status, those
// due by dueBy when it is not zero, limit at a time from start.
func (s store) statusQuery(status string, dueBy time.Time, limit int32, start map[string]types.AttributeValue) *dynamodb.QueryInput {
	in := &dynamodb.QueryInput{
		TableName: aws.String(s.table), IndexName: aws.String(approval.DueIndexName),
		KeyConditionExpression:    aws.String("#st = :st"),
		ExpressionAttributeNames:  map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":st": str(status)},
		Limit:                     aws.Int32(limit), ExclusiveStartKey: start,
	}
	if !dueBy.IsZero() {
		in.KeyConditionExpression = aws.String("#st = :st AND #due <= :now")
		in.ExpressionAttributeNames["#due"] = approval.DueAttribute
		in.ExpressionAttributeValues[":now"] = num(dueBy.Unix())
	}
	return in
}

// update writes r's status, votes and outcome if the item still has
// r.Version, and bumps the version. It returns errConflict when another
// writer got there first.
func (s store) update(ctx context.Context, r approval.Request) error {
	// No placeholder is a prefix of another (#v and #votes): AWS does not
	// mind, but kumo substitutes them with a plain string replace.
	names := map[string]string{"#status": "status", "#version": "version", "#votes": "votes"}
	values := map[string]types.AttributeValue{
		":status": str(r.Status), ":oldversion": num(r.Version), ":newversion": num(r.Version + 1), ":votes": votesAV(r.Votes),
	}
	expr := "SET #status = :status, #version = :newversion, #votes = :votes"
	// due_at follows the status: set while the request is open, removed
	// once it is final so it leaves the status-due index.
	names["#due"] = approval.DueAttribute
	remove := ""
	if due, ok := approval.NextDue(r, resendAfter); ok {
		values[":due"] = num(due.Unix())
		expr += ", #due = :due"
	} else {
		remove = " REMOVE #due"
	}
	if r.WriteID != "" {
		names["#writeid"], values[":writeid"] = "write_id", str(r.WriteID)
		expr += ", #writeid = :writeid"
	}
	if r.Outcome != nil {
		b, err := json.Marshal(r.Outcome)
		if err != nil {
			return err
		}
		names["#outcome"], values[":outcome"] = "outcome", str(string(b))
		expr += ", #outcome = :outcome"
	}
	if !r.Followup.IsZero() {
		b, err := json.Marshal(r.Followup)
		if err != nil {
			return err
		}
		names["#followup"], values[":followup"] = approval.FollowupAttribute, str(string(b))
		expr += ", #followup = :followup"
	}
	expr += remove
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       s.key(r.ID),
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String("attribute_exists(id) AND #version = :oldversion"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	if isConditionFailed(err) {
		return errConflict
	}
	if err != nil {
		return fmt.Errorf("updating request %s: %w", r.ID, err)
	}
	return nil
}

// claim takes the re-send lease of a deciding request: due_at moves to
// until and the version is bumped, if the item is still deciding at
// r.Version (errConflict otherwise). Whoever claims re-sends; the others see
// "being delivered" until the lease runs out.
func (s store) claim(ctx context.Context, r approval.Request, until time.Time) (approval.Request, error) {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 s.key(r.ID),
		UpdateExpression:    aws.String("SET #due = :due, #version = :newversion"),
		ConditionExpression: aws.String("#status = :deciding AND #version = :oldversion"),
		ExpressionAttributeNames: map[string]string{
			"#due": approval.DueAttribute, "#version": "version", "#status": "status",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":due": num(until.Unix()), ":newversion": num(r.Version + 1), ":oldversion": num(r.Version),
			":deciding": str(approval.StatusDeciding),
		},
	})
	if isConditionFailed(err) {
		return r, errConflict
	}
	if err != nil {
		return r, fmt.Errorf("claiming the re-send of request %s: %w", r.ID, err)
	}
	r.Version++
	r.DueAt = until.UTC().Truncate(time.Second)
	return r, nil
}

// setSlackMessage remembers where the Slack app message of a request is.
func (s store) setSlackMessage(ctx context.Context, id, channel, ts string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 s.key(id),
		UpdateExpression:    aws.String("SET #c = :c, #t = :t"),
		ConditionExpression: aws.String("attribute_exists(id)"),
		ExpressionAttributeNames: map[string]string{
			"#c": "slack_channel", "#t": "slack_ts",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": str(channel), ":t": str(ts)},
	})
	if err != nil {
		return fmt.Errorf("saving Slack message of request %s: %w", id, err)
	}
	return nil
}

func isConditionFailed(err error) bool {
	var cf *types.ConditionalCheckFailedException
	return errors.As(err, &cf)
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func toItem(r approval.Request) map[string]types.AttributeValue {
	ctx, _ := json.Marshal(r.Context) // []Field of strings always marshals
	item := map[string]types.AttributeValue{
		"id":            str(r.ID),
		"token":         str(r.Token),
		"title":         str(r.Title),
		"context":       str(string(ctx)),
		"created_at":    num(r.CreatedAt.Unix()),
		"expires_at":    num(r.ExpiresAt.Unix()),
		"min_approvals": num(int64(r.MinApprovals)),
		"status":        str(r.Status),
		"version":       num(r.Version),
		"votes":         votesAV(r.Votes),
	}
	for k, v := range map[string]string{
		"execution_id": r.ExecutionID, "state_machine_id": r.StateMachineID, "state_name": r.StateName,
		"text": r.Text, "requested_by": r.RequestedBy, "slack_channel": r.SlackChannel, "slack_ts": r.SlackTS,
	} {
		if v != "" {
			item[k] = str(v)
		}
	}
	if r.Outcome != nil {
		b, _ := json.Marshal(r.Outcome)
		item["outcome"] = str(string(b))
	}
	if due, ok := approval.NextDue(r, resendAfter); ok {
		item[approval.DueAttribute] = num(due.Unix())
	}
	if !r.Followup.IsZero() {
		b, _ := json.Marshal(r.Followup)
		item[approval.FollowupAttribute] = str(string(b))
	}
	return item
}

func votesAV(votes map[string]approval.Vote) types.AttributeValue {
	m := make(map[string]types.AttributeValue, len(votes))
	for k, v := range votes {
		vm := map[string]types.AttributeValue{
			"id": str(v.Approver.ID), "name": str(v.Approver.Name), "via": str(v.Approver.Via),
			"decision": str(v.Decision), "comment": str(v.Comment), "at": num(v.At.Unix()),
		}
		if len(v.Inputs) > 0 {
			b, _ := json.Marshal(v.Inputs) // normalized values: strings, float64s, bools
			vm["inputs"] = str(string(b))
		}
		if len(v.IDs) > 0 {
			// A list, not a string set: the order keeps IDs[0], the
			// approver's id, first.
			ids := make([]types.AttributeValue, len(v.IDs))
			for i, id := range v.IDs {
				ids[i] = str(id)
			}
			vm["ids"] = &types.AttributeValueMemberL{Value: ids}
		}
		m[k] = &types.AttributeValueMemberM{Value: vm}
	}
	return &types.AttributeValueMemberM{Value: m}
}

// itemReader reads typed attributes and remembers the first error.
type itemReader struct {
	item map[string]types.AttributeValue
	err  error
}

func (r *itemReader) str(name string) string {
	switch v := r.item[name].(type) {
	case nil:
		return ""
	case *types.AttributeValueMemberS:
		return v.Value
	default:
		r.fail(name, "S")
		return ""
	}
}

func (r *itemReader) num(name string) int64 {
	switch v := r.item[name].(type) {
	case nil:
		return 0
	case *types.AttributeValueMemberN:
		n, err := strconv.ParseInt(v.Value, 10, 64)
		if err != nil {
			r.fail(name, "N")
		}
		return n
	default:
		r.fail(name, "N")
		return 0
	}
}

func (r *itemReader) strList(name string) []string {
	switch v := r.item[name].(type) {
	case nil:
		return nil
	case *types.AttributeValueMemberL:
		out := make([]string, 0, len(v.Value))
		for _, e := range v.Value {
			s, ok := e.(*types.AttributeValueMemberS)
			if !ok {
				r.fail(name, "L of S")
				return nil
			}
			out = append(out, s.Value)
		}
		return out
	default:
		r.fail(name, "L")
		return nil
	}
}

func (r *itemReader) time(name string) time.Time { return time.Unix(r.num(name), 0).UTC() }

func (r *itemReader) fail(name, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("attribute %s is not of type %s", name, want)
	}
}

func fromItem(item map[string]types.AttributeValue) (approval.Request, error) {
	rd := &itemReader{item: item}
	r := approval.Request{
		ID: rd.str("id"), Token: rd.str("token"),
		ExecutionID: rd.str("execution_id"), StateMachineID: rd.str("state_machine_id"), StateName: rd.str("state_name"),
		Title: rd.str("title"), Text: rd.str("text"), RequestedBy: rd.str("requested_by"),
		CreatedAt: rd.time("created_at"), ExpiresAt: rd.time("expires_at"),
		MinApprovals: int(rd.num("min_approvals")), Status: rd.str("status"), Version: rd.num("version"),
		SlackChannel: rd.str("slack_channel"), SlackTS: rd.str("slack_ts"), WriteID: rd.str("write_id"),
	}
	if _, ok := item[approval.DueAttribute]; ok {
		r.DueAt = rd.time(approval.DueAttribute)
	}
	if c := rd.str("context"); c != "" && rd.err == nil {
		if err := json.Unmarshal([]byte(c), &r.Context); err != nil {
			rd.err = fmt.Errorf("attribute context: %w", err)
		}
	}
	if f := rd.str(approval.FollowupAttribute); f != "" && rd.err == nil {
		if err := json.Unmarshal([]byte(f), &r.Followup); err != nil {
			rd.err = fmt.Errorf("attribute %s: %w", approval.FollowupAttribute, err)
		}
	}
	if o := rd.str("outcome"); o != "" && rd.err == nil {
		r.Outcome = new(approval.Outcome)
		if err := json.Unmarshal([]byte(o), r.Outcome); err != nil {
			rd.err = fmt.Errorf("attribute outcome: %w", err)
		}
	}
	if m, ok := item["votes"].(*types.AttributeValueMemberM); ok {
		r.Votes = make(map[string]approval.Vote, len(m.Value))
		for k, av := range m.Value {
			vm, ok := av.(*types.AttributeValueMemberM)
			if !ok {
				rd.fail("votes."+k, "M")
				continue
			}
			vr := &itemReader{item: vm.Value}
			v := approval.Vote{
				Approver: approval.Approver{ID: vr.str("id"), Name: vr.str("name"), Via: vr.str("via")},
				Decision: vr.str("decision"), Comment: vr.str("comment"), At: vr.time("at"), IDs: vr.strList("ids"),
			}
			if in := vr.str("inputs"); in != "" && vr.err == nil {
				if err := json.Unmarshal([]byte(in), &v.Inputs); err != nil {
					vr.err = fmt.Errorf("attribute inputs: %w", err)
				}
			}
			r.Votes[k] = v
			if vr.err != nil && rd.err == nil {
				rd.err = fmt.Errorf("votes.%s: %w", k, vr.err)
			}
		}
	}
	if rd.err != nil {
		return approval.Request{}, fmt.Errorf("decoding request %s: %w", r.ID, rd.err)
	}
	return r, nil
}
