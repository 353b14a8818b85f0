// A Kinesis client written against the AWS SDK for Go v2, exactly as code bound for AWS would be, except for
// where it connects: the endpoint resolver points at `shmstream serve`, the credentials are static dummies.
//
//	go_client -endpoint http://127.0.0.1:PORT scenario
//	go_client -endpoint URL put-record -stream S -data D
//	go_client -endpoint URL put-records -stream S -prefix P -count N
//	go_client -endpoint URL read -stream S [-shard ID]
//
// -resolver client sets the endpoint on the Kinesis client instead of the shared configuration.
//
// Every command prints one JSON object on stdout; a failed check is one line on stderr and exit status 1.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/smithy-go/middleware"
)

// newClient is the only part that differs from code talking to AWS: either the shared configuration's endpoint
// resolver (resolver "config") or the Kinesis client's own (resolver "client").
func newClient(ctx context.Context, endpoint, resolver string) (*kinesis.Client, error) {
	options := []func(*config.LoadOptions) error{
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDSHMSTREAM", "dummy", "")),
	}
	if resolver == "config" {
		options = append(options, config.WithEndpointResolverWithOptions(aws.EndpointResolverWithOptionsFunc(
			func(service, region string, options ...interface{}) (aws.Endpoint, error) {
				return aws.Endpoint{URL: endpoint, HostnameImmutable: true}, nil
			})))
	}
	cfg, err := config.LoadDefaultConfig(ctx, options...)
	if err != nil {
		return nil, err
	}
	if resolver == "client" {
		return kinesis.NewFromConfig(cfg, withoutGetRecordsReadTimeout,
			kinesis.WithEndpointResolver(kinesis.EndpointResolverFromURL(endpoint))), nil
	}
	return kinesis.NewFromConfig(cfg, withoutGetRecordsReadTimeout), nil
}

// withoutGetRecordsReadTimeout drops the SDK's GetRecords-only response read timeout, as the SDK itself
// does from aws-sdk-go-v2 PR 3221 on (the version Debian ships still has it). Its reader runs each body
// read in a goroutine against a 5 s timer; on a loaded 2-CPU machine about 1 run in 20 failed a GetRecords
// with "use of closed network connection" while decoding a complete 200 response, with this server and
// with the builds before it alike.
func withoutGetRecordsReadTimeout(o *kinesis.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		_, _ = stack.Deserialize.Remove("ReadResponseTimeout") // absent from every other operation
		return nil
	})
}

// checker collects failed checks, so one run names every incompatibility instead of the first.
type checker struct {
	passed   map[string]int // check name -> times it passed
	failures []string
}

func (c *checker) check(name string, ok bool, format string, args ...interface{}) bool {
	if ok {
		c.passed[name]++
		return true
	}
	message := name + ": " + fmt.Sprintf(format, args...)
	c.failures = append(c.failures, message)
	fmt.Fprintln(os.Stderr, "FAILED", message)
	return false
}

// succeeded records an operation's error as a failed check.
func (c *checker) succeeded(name string, err error) bool {
	return c.check(name, err == nil, "%v", err)
}

func (c *checker) finish(result map[string]interface{}) {
	result["passed"] = c.passed
	result["failures"] = c.failures
	encoded, err := json.Marshal(result)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot encode the result:", err)
		os.Exit(2)
	}
	fmt.Println(string(encoded))
	if len(c.failures) > 0 {
		os.Exit(1)
	}
}

func main() {
	endpoint := flag.String("endpoint", "", "the shmstream serve URL, http://127.0.0.1:PORT")
	resolver := flag.String("resolver", "config", "where the endpoint is set: config (shared) or client")
	flag.Parse()
	if *endpoint == "" || flag.NArg() < 1 {
		fmt.Fprintln(os.Stderr, "usage: go_client -endpoint URL {scenario|put-record|put-records|read} [flags]")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	if *resolver != "config" && *resolver != "client" {
		fmt.Fprintln(os.Stderr, "-resolver is config or client, not", *resolver)
		os.Exit(2)
	}
	client, err := newClient(ctx, *endpoint, *resolver)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot configure the SDK:", err)
		os.Exit(2)
	}
	command, args := flag.Arg(0), flag.Args()[1:]
	c := &checker{passed: map[string]int{}, failures: []string{}}
	result := map[string]interface{}{}
	switch command {
	case "scenario":
		runScenario(ctx, client, c, result)
	case "put-record":
		runPutRecord(ctx, client, c, result, args)
	case "put-records":
		runPutRecords(ctx, client, c, result, args)
	case "read":
		runRead(ctx, client, c, result, args)
	default:
		fmt.Fprintln(os.Stderr, "unknown command:", command)
		os.Exit(2)
	}
	c.finish(result)
}
