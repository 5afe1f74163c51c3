package approval

import (
	"testing"
	"time"
)

// awsStatusChangeEvent is the example of AWS's documentation
// (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html,
// "Step Functions Execution Status Change"), with status ABORTED.
const awsStatusChangeEvent = `{
  "version": "0",
  "id": "315c1398-40ff-a850-213b-158f73e60175",
  "detail-type": "Step Functions Execution Status Change",
  "source": "aws.states",
  "account": "123456789012",
  "time": "2019-02-26T19:42:21Z",
  "region": "us-east-1",
  "resources": ["arn:aws:states:us-east-1:123456789012:execution:state-machine-name:execution-name"],
  "detail": {
    "executionArn": "arn:aws:states:us-east-1:123456789012:execution:state-machine-name:execution-name",
    "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:state-machine",
    "name": "execution-name",
    "status": "ABORTED",
    "startDate": 1551225014968,
    "stopDate": 1551225017576,
    "input": "{}",
    "inputDetails": {"included": true},
    "output": null,
    "outputDetails": null
  }
}`

func TestParseStatusChange(t *testing.T) {
	t.Parallel()
	c, ok, err := ParseStatusChange([]byte(awsStatusChangeEvent))
	if err != nil || !ok {
		t.Fatalf("ParseStatusChange = %v, %v", ok, err)
	}
	want := StatusChange{
		ExecutionARN:    "arn:aws:states:us-east-1:123456789012:execution:state-machine-name:execution-name",
		StateMachineARN: "arn:aws:states:us-east-1:123456789012:stateMachine:state-machine",
		Status:          "ABORTED",
		StopDate:        time.Date(2019, 2, 26, 23, 50, 17, 576e6, time.UTC),
	}
	if c != want {
		t.Errorf("ParseStatusChange = %+v, want %+v", c, want)
	}
	if !c.Stopped() {
		t.Error("ABORTED is not Stopped")
	}
	for _, s := range []string{"RUNNING", "SUCCEEDED", "PENDING_REDRIVE", ""} {
		if (StatusChange{Status: s}).Stopped() {
			t.Errorf("%q is Stopped", s)
		}
	}
	for _, raw := range []string{`{"manualapproval":"sweep"}`, `{"source":"aws.events","detail-type":"Scheduled Event"}`, `not json`, `{"routeKey":"GET /"}`} {
		if _, ok, err := ParseStatusChange([]byte(raw)); ok || err != nil {
			t.Errorf("ParseStatusChange(%s) = %v, %v; want not an event", raw, ok, err)
		}
	}
	if _, ok, err := ParseStatusChange([]byte(`{"source":"aws.states","detail-type":"Step Functions Execution Status Change","detail":{"status":"ABORTED"}}`)); !ok || err == nil {
		t.Errorf("an event without executionArn: %v, %v", ok, err)
	}
}

func TestStoppedPattern(t *testing.T) {
	t.Parallel()
	if got, want := StoppedPattern(nil), `{"detail":{"status":["ABORTED","FAILED","TIMED_OUT"]},"detail-type":["Step Functions Execution Status Change"],"source":["aws.states"]}`; got != want {
		t.Errorf("StoppedPattern(nil) = %s, want %s", got, want)
	}
	sm := "arn:aws:states:us-east-1:123456789012:stateMachine:deploy"
	if got, want := StoppedPattern([]string{sm}), `{"detail":{"stateMachineArn":["`+sm+`"],"status":["ABORTED","FAILED","TIMED_OUT"]},"detail-type":["Step Functions Execution Status Change"],"source":["aws.states"]}`; got != want {
		t.Errorf("StoppedPattern = %s, want %s", got, want)
	}
}
