package gate

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

// TestFaultErrorShapes checks that the errors the test proxy injects reach
// the SDK as AWS's own would, in each protocol a gate uses: the error code
// errorCode sees, the typed Lambda errors, the eventual-consistency
// classifiers and the SDK's retry classification. Otherwise a fault test
// could pass because the fault was misread, not because the provider copes.
func TestFaultErrorShapes(t *testing.T) {
	t.Parallel()
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTeapot) // never reached: every call is faulted
	}))
	defer backend.Close()
	p, err := acctest.StartProxy(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var fault acctest.Fault
	p.SetFault(func(acctest.Call) *acctest.Fault { f := fault; return &f })

	cfg := aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint:     aws.String(p.URL),
		RetryMaxAttempts: 1,
	}
	ctx := context.Background()
	lc := lambda.NewFromConfig(cfg)
	calls := map[string]func() error{
		"lambda": func() error {
			_, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("f"), Role: aws.String("r"), Code: &lambdatypes.FunctionCode{ZipFile: []byte("z")}})
			return err
		},
		"lambda-update": func() error {
			_, err := lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("f")})
			return err
		},
		"apigatewayv2": func() error {
			_, err := apigatewayv2.NewFromConfig(cfg).GetApis(ctx, &apigatewayv2.GetApisInput{})
			return err
		},
		"iam": func() error {
			_, err := iam.NewFromConfig(cfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")})
			return err
		},
		"sns": func() error {
			_, err := sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("t")})
			return err
		},
		"dynamodb": func() error {
			_, err := dynamodb.NewFromConfig(cfg).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("t")})
			return err
		},
		"ssm": func() error {
			_, err := ssm.NewFromConfig(cfg).GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"p"}})
			return err
		},
		"logs": func() error {
			_, err := cloudwatchlogs.NewFromConfig(cfg).CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("g")})
			return err
		},
	}
	tests := []struct {
		call      string
		fault     acctest.Fault
		retryable bool
		check     func(error) bool
	}{
		{"lambda", acctest.Fault{Status: 400, Code: "InvalidParameterValueException", Msg: "The role defined for the function cannot be assumed by Lambda."}, false, isIAMPropagation},
		// The two other texts terraform-provider-aws retries on (retryFunctionOp).
		{"lambda", acctest.Fault{Status: 400, Code: "InvalidParameterValueException", Msg: "The provided execution role does not have permissions to call CreateNetworkInterface on EC2"}, false, isIAMPropagation},
		{"lambda-update", acctest.Fault{Status: 400, Code: "InvalidParameterValueException", Msg: "Lambda was unable to configure access to your environment variables because the KMS key is invalid for CreateGrant. Please check your KMS key settings. KMS Exception: InvalidArnException KMS Message: ARN does not refer to a valid principal: arn:aws:iam::111122223333:role/manualapproval/g-notifier"}, false, isIAMPropagation},
		{"lambda-update", acctest.Fault{Status: 409, Code: "ResourceConflictException", Msg: "The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:us-east-1:000000000000:function:f"}, false, isUpdateInProgress},
		{"lambda", acctest.Fault{Status: 429, Code: "TooManyRequestsException", Msg: "Rate exceeded"}, true, nil},
		{"lambda", acctest.Fault{Status: 500, Code: "ServiceException", Msg: "internal"}, true, nil},
		{"lambda", acctest.Fault{Status: 403, Code: "AccessDeniedException", Msg: "denied"}, false, nil},
		{"apigatewayv2", acctest.Fault{Status: 429, Code: "TooManyRequestsException", Msg: "Too Many Requests"}, true, nil},
		{"apigatewayv2", acctest.Fault{Status: 404, Code: "NotFoundException", Msg: "Invalid API identifier"}, false, nil},
		{"iam", acctest.Fault{Status: 400, Code: "Throttling", Msg: "Rate exceeded"}, true, nil},
		{"iam", acctest.Fault{Status: 404, Code: "NoSuchEntity", Msg: "no role <r> & co"}, false, nil},
		{"sns", acctest.Fault{Status: 400, Code: "Throttling", Msg: "Rate exceeded"}, true, nil},
		{"sns", acctest.Fault{Status: 403, Code: "AuthorizationError", Msg: "denied"}, false, nil},
		{"dynamodb", acctest.Fault{Status: 400, Code: "ThrottlingException", Msg: "Rate exceeded"}, true, nil},
		{"dynamodb", acctest.Fault{Status: 400, Code: "ResourceNotFoundException", Msg: "Requested resource not found"}, false, nil},
		{"ssm", acctest.Fault{Status: 400, Code: "ThrottlingException", Msg: "Rate exceeded"}, true, nil},
		{"ssm", acctest.Fault{Status: 503, Code: "ServiceUnavailable", Msg: "unavailable"}, true, nil},
		{"logs", acctest.Fault{Status: 400, Code: "ResourceAlreadyExistsException", Msg: "exists"}, false, nil},
	}
	for _, tt := range tests {
		fault = tt.fault
		err := calls[tt.call]()
		if got := errorCode(err); got != tt.fault.Code {
			t.Errorf("%s %s: errorCode = %q (error: %v)", tt.call, tt.fault.Code, got, err)
		}
		var ae interface{ ErrorMessage() string }
		if !errors.As(err, &ae) || ae.ErrorMessage() != tt.fault.Msg {
			t.Errorf("%s %s: message not parsed: %v", tt.call, tt.fault.Code, err)
		}
		if got := retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err); (got == aws.TrueTernary) != tt.retryable {
			t.Errorf("%s %s: SDK retryable = %v, want %v", tt.call, tt.fault.Code, got, tt.retryable)
		}
		if tt.check != nil && !tt.check(err) {
			t.Errorf("%s %s: not recognised by the provider's classifier: %v", tt.call, tt.fault.Code, err)
		}
	}
	// Lambda's typed errors carry the body's Type and message.
	fault = acctest.Fault{Status: 409, Code: "ResourceConflictException", Msg: "An update is in progress"}
	var rc *lambdatypes.ResourceConflictException
	if err := calls["lambda-update"](); !errors.As(err, &rc) || aws.ToString(rc.Type) != "User" || aws.ToString(rc.Message) != "An update is in progress" {
		t.Errorf("ResourceConflictException not typed: %v", err)
	}
}
