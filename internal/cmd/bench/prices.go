package main

// The AWS list prices the cost model multiplies by: US East (N. Virginia),
// us-east-1, on-demand, first pricing tier, free tiers not subtracted (a
// gate shares them with everything else in the account).
//
// Transcribed from the AWS pricing pages in sourcesOfPrices on pricesDate;
// prices change: check the pages before relying on a figure, and update the
// table and its date together. Every figure of BENCHMARKS.md's cost section
// is recomputed from this table by `make bench`.
const pricesDate = "2025-06-01"

// sourcesOfPrices are the pages every price below comes from.
var sourcesOfPrices = []string{
	"https://aws.amazon.com/lambda/pricing/",
	"https://aws.amazon.com/dynamodb/pricing/on-demand/",
	"https://aws.amazon.com/api-gateway/pricing/",
	"https://aws.amazon.com/sns/pricing/",
	"https://aws.amazon.com/step-functions/pricing/",
	"https://aws.amazon.com/eventbridge/pricing/",
	"https://aws.amazon.com/systems-manager/pricing/",
	"https://aws.amazon.com/kms/pricing/",
	"https://aws.amazon.com/cloudwatch/pricing/",
}

// prices are in US dollars per unit.
type prices struct {
	LambdaRequest     float64 // per invocation
	LambdaGBSecondARM float64 // per GB-second, arm64
	LambdaGBSecondX86 float64 // per GB-second, x86_64
	DynamoDBWRU       float64 // per write request unit, on-demand, Standard table class
	DynamoDBRRU       float64 // per read request unit
	HTTPAPIRequest    float64 // per API Gateway HTTP API request (each 512 KB)
	SNSRequest        float64 // per SNS API request (a publish: each 64 KB)
	SNSEmail          float64 // per e-mail delivery
	SFNTransition     float64 // per state transition, Standard workflow
	EventBridgeEvent  float64 // per custom event published (PutEvents, each 64 KB); scheduled rules are free
	SSMStandardCall   float64 // per API call on standard parameters at standard throughput: free
	SSMAdvancedMonth  float64 // per Advanced-tier parameter per month
	KMSRequest        float64 // per KMS request (SSM's Decrypt of a SecureString on our behalf)
	LogsIngestedGB    float64 // per GB of CloudWatch Logs ingested (standard class)
}

// awsPrices is the table (us-east-1, pricesDate).
var awsPrices = prices{
	LambdaRequest:     0.20 / 1e6,
	LambdaGBSecondARM: 0.0000133334,
	LambdaGBSecondX86: 0.0000166667,
	DynamoDBWRU:       0.625 / 1e6, // since the on-demand price cut of 2024-11-01
	DynamoDBRRU:       0.125 / 1e6,
	HTTPAPIRequest:    1.00 / 1e6,
	SNSRequest:        0.50 / 1e6,
	SNSEmail:          2.00 / 1e5,
	SFNTransition:     0.025 / 1e3,
	EventBridgeEvent:  1.00 / 1e6,
	SSMStandardCall:   0,
	SSMAdvancedMonth:  0.05,
	KMSRequest:        0.03 / 1e4,
	LogsIngestedGB:    0.50,
}
