package main

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestAWSConfigFromLambdaEnvironment(t *testing.T) {
	cfg, err := awsConfig(env(map[string]string{
		"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_SESSION_TOKEN": "token", "AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "AWS_SDK_UA_APP_ID": "callback",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-west-1" || aws.ToString(cfg.BaseEndpoint) != "http://127.0.0.1:4566" || cfg.Retryer == nil || cfg.HTTPClient == nil {
		t.Errorf("config: region %q endpoint %q retryer %v http %v", cfg.Region, aws.ToString(cfg.BaseEndpoint), cfg.Retryer != nil, cfg.HTTPClient != nil)
	}
	if cfg.AppID != "callback" {
		t.Errorf("app id %q, want AWS_SDK_UA_APP_ID", cfg.AppID)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != "AKID" || creds.SecretAccessKey != "secret" || creds.SessionToken != "token" {
		t.Errorf("credentials: %+v", creds)
	}
}

func TestAWSConfigNeedsRegionAndCredentials(t *testing.T) {
	if _, err := awsConfig(env(map[string]string{"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"})); err == nil {
		t.Error("no region: want an error")
	}
	if _, err := awsConfig(env(map[string]string{"AWS_REGION": "us-east-1"})); err == nil {
		t.Error("no credentials: want an error")
	}
	cfg, err := awsConfig(env(map[string]string{"AWS_DEFAULT_REGION": "us-west-2", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}))
	if err != nil || cfg.Region != "us-west-2" || cfg.BaseEndpoint != nil {
		t.Errorf("AWS_DEFAULT_REGION: %v %q %v", err, cfg.Region, cfg.BaseEndpoint)
	}
}

func TestServiceEndpoint(t *testing.T) {
	def := aws.String("http://default")
	if got := endpoint(env(map[string]string{"AWS_ENDPOINT_URL_SFN": "http://sfn"}), "SFN", def); aws.ToString(got) != "http://sfn" {
		t.Errorf("got %q", aws.ToString(got))
	}
	if got := endpoint(env(nil), "SFN", def); got != def {
		t.Errorf("got %q", aws.ToString(got))
	}
}
