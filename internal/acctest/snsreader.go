package acctest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// SNSMessage is one message a topic delivered.
type SNSMessage struct {
	Subject string
	Message string
}

// SNSReader reads what an SNS topic publishes. The local AWS drops e-mail,
// so the reader subscribes a Lambda function to the topic and serves that
// function's Runtime API itself, in this process.
type SNSReader struct {
	fn     string
	cfg    aws.Config
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	msgs []SNSMessage
	cond chan struct{}
}

// StartSNSReader subscribes a new function named name to topicARN and
// starts reading.
func StartSNSReader(ctx context.Context, cfg aws.Config, topicARN, name string) (*SNSReader, error) {
	lc := lambda.NewFromConfig(cfg)
	fn, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Role:         aws.String("arn:aws:iam::000000000000:role/" + name),
		Runtime:      lambdatypes.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Code:         &lambdatypes.FunctionCode{ZipFile: []byte("PK\x05\x06" + string(make([]byte, 18)))},
	})
	if err != nil {
		return nil, fmt.Errorf("creating the SNS reader function: %w", err)
	}
	if _, err := sns.NewFromConfig(cfg).Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: aws.String(topicARN), Protocol: aws.String("lambda"), Endpoint: fn.FunctionArn,
	}); err != nil {
		return nil, fmt.Errorf("subscribing the SNS reader: %w", err)
	}
	rctx, cancel := context.WithCancel(context.Background())
	r := &SNSReader{fn: name, cfg: cfg, cancel: cancel, done: make(chan struct{}), cond: make(chan struct{})}
	go r.poll(rctx)
	return r, nil
}

func (r *SNSReader) poll(ctx context.Context) {
	defer close(r.done)
	base := "http://" + Addr + "/_runtime/" + r.fn + "/2018-06-01/runtime/invocation/"
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"next", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		if resp.StatusCode != http.StatusOK || id == "" {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		var ev struct {
			Records []struct {
				Sns struct {
					Subject string
					Message string
				}
			}
		}
		if json.Unmarshal(body, &ev) == nil {
			r.mu.Lock()
			for _, rec := range ev.Records {
				r.msgs = append(r.msgs, SNSMessage{Subject: rec.Sns.Subject, Message: rec.Sns.Message})
			}
			close(r.cond)
			r.cond = make(chan struct{})
			r.mu.Unlock()
		}
		post, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+id+"/response", bytes.NewReader([]byte(`{}`)))
		if resp, err := http.DefaultClient.Do(post); err == nil {
			resp.Body.Close()
		}
	}
}

// Wait returns the messages once at least n arrived.
func (r *SNSReader) Wait(ctx context.Context, n int) ([]SNSMessage, error) {
	for {
		r.mu.Lock()
		msgs, cond := append([]SNSMessage(nil), r.msgs...), r.cond
		r.mu.Unlock()
		if len(msgs) >= n {
			return msgs, nil
		}
		select {
		case <-ctx.Done():
			return msgs, fmt.Errorf("%d SNS messages arrived, want %d: %w", len(msgs), n, ctx.Err())
		case <-cond:
		}
	}
}

// Close stops reading and deletes the reader's function.
func (r *SNSReader) Close() {
	r.cancel()
	<-r.done
	_, _ = lambda.NewFromConfig(r.cfg).DeleteFunction(context.Background(), &lambda.DeleteFunctionInput{FunctionName: aws.String(r.fn)})
}
