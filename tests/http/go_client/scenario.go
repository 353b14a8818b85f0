package main

import (
	"context"
	"errors"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
)

const scenarioStream = "go-sdk"

// hashKey is 2^128 * n / d + offset, in decimal as Kinesis writes hash keys: hashKey(1, 2, -1) ends the lower
// half of the key space.
func hashKey(n, d, offset int64) string {
	point := new(big.Int).Lsh(big.NewInt(n), 128)
	point.Div(point, big.NewInt(d))
	return point.Add(point, big.NewInt(offset)).String()
}

// waitActive is the SDK's own waiter, with delays short enough for a test (the defaults are 10 s..120 s).
func waitActive(ctx context.Context, client *kinesis.Client, stream string) error {
	waiter := kinesis.NewStreamExistsWaiter(client, func(o *kinesis.StreamExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Second, 2*time.Second
	})
	return waiter.Wait(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(stream)}, 30*time.Second)
}

func runScenario(ctx context.Context, client *kinesis.Client, c *checker, result map[string]interface{}) {
	created := time.Now()
	_, err := client.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(scenarioStream),
		ShardCount: aws.Int32(2)})
	if !c.succeeded("CreateStream", err) {
		return
	}
	if !c.succeeded("StreamExists waiter", waitActive(ctx, client, scenarioStream)) {
		return
	}
	checkDescribe(ctx, client, c, result, created)
	checkListings(ctx, client, c)
	checkRecords(ctx, client, c, result)
	checkIteratorTypes(ctx, client, c)
	checkStreamSettings(ctx, client, c)
	checkResharding(ctx, client, c, result)
	checkErrors(ctx, client, c)
	checkDelete(ctx, client, c)
}

func checkDescribe(ctx context.Context, client *kinesis.Client, c *checker, result map[string]interface{},
	created time.Time) {
	described, err := client.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(scenarioStream)})
	if !c.succeeded("DescribeStream", err) {
		return
	}
	d := described.StreamDescription
	c.check("DescribeStream status", d.StreamStatus == types.StreamStatusActive, "%q", d.StreamStatus)
	c.check("DescribeStream name and ARN", aws.ToString(d.StreamName) == scenarioStream &&
		strings.HasPrefix(aws.ToString(d.StreamARN), "arn:aws:kinesis:") &&
		strings.HasSuffix(aws.ToString(d.StreamARN), ":stream/"+scenarioStream), "%q %q",
		aws.ToString(d.StreamName), aws.ToString(d.StreamARN))
	result["StreamARN"] = aws.ToString(d.StreamARN)
	c.check("DescribeStream HasMoreShards", d.HasMoreShards != nil && !*d.HasMoreShards, "%v", d.HasMoreShards)
	c.check("DescribeStream RetentionPeriodHours", aws.ToInt32(d.RetentionPeriodHours) == 24, "%d",
		aws.ToInt32(d.RetentionPeriodHours))
	c.check("DescribeStream EncryptionType", d.EncryptionType == types.EncryptionTypeNone, "%q", d.EncryptionType)
	c.check("DescribeStream StreamModeDetails", d.StreamModeDetails != nil &&
		d.StreamModeDetails.StreamMode == types.StreamModeProvisioned, "%+v", d.StreamModeDetails)
	stamp := aws.ToTime(d.StreamCreationTimestamp)
	c.check("DescribeStream StreamCreationTimestamp", stamp.After(created.Add(-2*time.Second)) &&
		stamp.Before(time.Now().Add(2*time.Second)), "%v, created at %v", stamp, created)
	wantRanges := [][2]string{{"0", hashKey(1, 2, -1)}, {hashKey(1, 2, 0), hashKey(1, 1, -1)}}
	if c.check("DescribeStream shard count", len(d.Shards) == 2, "%d shards", len(d.Shards)) {
		for i, shard := range d.Shards {
			r := shard.HashKeyRange
			c.check("DescribeStream shard "+aws.ToString(shard.ShardId), shard.ShardId != nil && r != nil &&
				aws.ToString(r.StartingHashKey) == wantRanges[i][0] && aws.ToString(r.EndingHashKey) ==
				wantRanges[i][1] && shard.SequenceNumberRange != nil &&
				shard.SequenceNumberRange.StartingSequenceNumber != nil &&
				shard.SequenceNumberRange.EndingSequenceNumber == nil && shard.ParentShardId == nil,
				"%+v %+v %+v", shard, r, shard.SequenceNumberRange)
		}
	}
	summary, err := client.DescribeStreamSummary(ctx,
		&kinesis.DescribeStreamSummaryInput{StreamName: aws.String(scenarioStream)})
	if c.succeeded("DescribeStreamSummary", err) {
		s := summary.StreamDescriptionSummary
		c.check("DescribeStreamSummary fields", aws.ToInt32(s.OpenShardCount) == 2 &&
			aws.ToInt32(s.ConsumerCount) == 0 && s.StreamStatus == types.StreamStatusActive &&
			aws.ToString(s.StreamARN) == aws.ToString(d.StreamARN) &&
			aws.ToTime(s.StreamCreationTimestamp).Equal(stamp), "%+v", s)
	}
	// DescribeStream one shard a page.
	first, err := client.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(scenarioStream),
		Limit: aws.Int32(1)})
	if c.succeeded("DescribeStream Limit", err) {
		c.check("DescribeStream Limit 1", len(first.StreamDescription.Shards) == 1 &&
			aws.ToBool(first.StreamDescription.HasMoreShards), "%d shards, more %v",
			len(first.StreamDescription.Shards), first.StreamDescription.HasMoreShards)
		rest, err := client.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(scenarioStream),
			ExclusiveStartShardId: aws.String(shard0)})
		if c.succeeded("DescribeStream ExclusiveStartShardId", err) {
			shards := rest.StreamDescription.Shards
			c.check("DescribeStream next page", len(shards) == 1 && aws.ToString(shards[0].ShardId) == shard1 &&
				!aws.ToBool(rest.StreamDescription.HasMoreShards), "%+v", shards)
		}
	}
	// The creation time as the SDK parsed it names the stream (it tells apart streams of one name).
	listed, err := client.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(scenarioStream),
		StreamCreationTimestamp: aws.Time(stamp)})
	if c.succeeded("ListShards with StreamCreationTimestamp", err) {
		c.check("ListShards with StreamCreationTimestamp shards", len(listed.Shards) == 2, "%d", len(listed.Shards))
	}
	_, err = client.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(scenarioStream),
		StreamCreationTimestamp: aws.Time(stamp.Add(-time.Hour))})
	expectError[*types.ResourceNotFoundException](c, "ListShards with another StreamCreationTimestamp", err)
}

func checkListings(ctx context.Context, client *kinesis.Client, c *checker) {
	for _, name := range []string{scenarioStream + "-b", scenarioStream + "-c"} {
		_, err := client.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name),
			ShardCount: aws.Int32(1)})
		c.succeeded("CreateStream "+name, err)
	}
	// ListStreams one name a page, as an application pages through many streams.
	names := []string{}
	input := &kinesis.ListStreamsInput{Limit: aws.Int32(1)}
	for page := 0; page < 10; page++ {
		listed, err := client.ListStreams(ctx, input)
		if !c.succeeded("ListStreams", err) {
			break
		}
		names = append(names, listed.StreamNames...)
		if !aws.ToBool(listed.HasMoreStreams) || len(listed.StreamNames) == 0 {
			break
		}
		input.ExclusiveStartStreamName = aws.String(listed.StreamNames[len(listed.StreamNames)-1])
	}
	c.check("ListStreams pages", strings.Join(names, ",") == "go-sdk,go-sdk-b,go-sdk-c", "%v", names)

	// ListShards by NextToken: the later calls name no stream, as Kinesis requires.
	shards := []string{}
	shardsInput := &kinesis.ListShardsInput{StreamName: aws.String(scenarioStream), MaxResults: aws.Int32(1)}
	for page := 0; page < 10; page++ {
		listed, err := client.ListShards(ctx, shardsInput)
		if !c.succeeded("ListShards", err) {
			break
		}
		for _, shard := range listed.Shards {
			shards = append(shards, aws.ToString(shard.ShardId))
		}
		if listed.NextToken == nil {
			break
		}
		shardsInput = &kinesis.ListShardsInput{NextToken: listed.NextToken, MaxResults: aws.Int32(1)}
	}
	c.check("ListShards pages", strings.Join(shards, ",") == "shardId-000000000000,shardId-000000000001",
		"%v", shards)
}

func checkStreamSettings(ctx context.Context, client *kinesis.Client, c *checker) {
	stream := aws.String(scenarioStream)
	_, err := client.AddTagsToStream(ctx, &kinesis.AddTagsToStreamInput{StreamName: stream,
		Tags: map[string]string{"team": "a", "env": "dev"}})
	c.succeeded("AddTagsToStream", err)
	c.check("ListTagsForStream after add", tagsOf(ctx, client, c) == "env=dev,team=a", "%s",
		tagsOf(ctx, client, c))
	_, err = client.RemoveTagsFromStream(ctx, &kinesis.RemoveTagsFromStreamInput{StreamName: stream,
		TagKeys: []string{"env"}})
	c.succeeded("RemoveTagsFromStream", err)
	c.check("ListTagsForStream after remove", tagsOf(ctx, client, c) == "team=a", "%s", tagsOf(ctx, client, c))

	_, err = client.IncreaseStreamRetentionPeriod(ctx, &kinesis.IncreaseStreamRetentionPeriodInput{
		StreamName: stream, RetentionPeriodHours: aws.Int32(48)})
	c.succeeded("IncreaseStreamRetentionPeriod", err)
	summary, err := client.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: stream})
	if c.succeeded("DescribeStreamSummary", err) {
		c.check("RetentionPeriodHours after increase",
			aws.ToInt32(summary.StreamDescriptionSummary.RetentionPeriodHours) == 48, "%d",
			aws.ToInt32(summary.StreamDescriptionSummary.RetentionPeriodHours))
	}
	_, err = client.DecreaseStreamRetentionPeriod(ctx, &kinesis.DecreaseStreamRetentionPeriodInput{
		StreamName: stream, RetentionPeriodHours: aws.Int32(24)})
	c.succeeded("DecreaseStreamRetentionPeriod", err)

	monitoring, err := client.EnableEnhancedMonitoring(ctx, &kinesis.EnableEnhancedMonitoringInput{
		StreamName: stream, ShardLevelMetrics: []types.MetricsName{types.MetricsNameIncomingBytes}})
	if c.succeeded("EnableEnhancedMonitoring", err) {
		c.check("EnableEnhancedMonitoring output", len(monitoring.DesiredShardLevelMetrics) == 1 &&
			monitoring.DesiredShardLevelMetrics[0] == types.MetricsNameIncomingBytes &&
			len(monitoring.CurrentShardLevelMetrics) == 0, "%+v", monitoring)
	}
	checkConsumers(ctx, client, c)
	limits, err := client.DescribeLimits(ctx, &kinesis.DescribeLimitsInput{})
	if c.succeeded("DescribeLimits", err) {
		c.check("DescribeLimits OpenShardCount", aws.ToInt32(limits.OpenShardCount) >= 4 &&
			aws.ToInt32(limits.ShardLimit) > 0, "%d of %d", aws.ToInt32(limits.OpenShardCount),
			aws.ToInt32(limits.ShardLimit))
	}
}

// checkConsumers registers, describes, lists (with the SDK's paginator) and deregisters a stream consumer.
func checkConsumers(ctx context.Context, client *kinesis.Client, c *checker) {
	summary, err := client.DescribeStreamSummary(ctx,
		&kinesis.DescribeStreamSummaryInput{StreamName: aws.String(scenarioStream)})
	if !c.succeeded("DescribeStreamSummary", err) {
		return
	}
	arn := summary.StreamDescriptionSummary.StreamARN
	registered := time.Now()
	out, err := client.RegisterStreamConsumer(ctx, &kinesis.RegisterStreamConsumerInput{StreamARN: arn,
		ConsumerName: aws.String("go-app")})
	if !c.succeeded("RegisterStreamConsumer", err) {
		return
	}
	consumer := out.Consumer
	stamp := aws.ToTime(consumer.ConsumerCreationTimestamp)
	c.check("RegisterStreamConsumer output", aws.ToString(consumer.ConsumerName) == "go-app" &&
		strings.HasPrefix(aws.ToString(consumer.ConsumerARN), aws.ToString(arn)+"/consumer/go-app:") &&
		consumer.ConsumerStatus != "" && stamp.After(registered.Add(-2*time.Second)) &&
		stamp.Before(time.Now().Add(2*time.Second)), "%+v", consumer)
	described, err := client.DescribeStreamConsumer(ctx,
		&kinesis.DescribeStreamConsumerInput{ConsumerARN: consumer.ConsumerARN})
	if c.succeeded("DescribeStreamConsumer", err) {
		d := described.ConsumerDescription
		c.check("DescribeStreamConsumer output", aws.ToString(d.ConsumerName) == "go-app" &&
			aws.ToString(d.StreamARN) == aws.ToString(arn) && aws.ToTime(d.ConsumerCreationTimestamp).Equal(stamp),
			"%+v", d)
	}
	names := []string{}
	pages := kinesis.NewListStreamConsumersPaginator(client, &kinesis.ListStreamConsumersInput{StreamARN: arn})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if !c.succeeded("ListStreamConsumers", err) {
			break
		}
		for _, listed := range page.Consumers {
			names = append(names, aws.ToString(listed.ConsumerName))
		}
	}
	c.check("ListStreamConsumers paginator", strings.Join(names, ",") == "go-app", "%v", names)
	_, err = client.DeregisterStreamConsumer(ctx, &kinesis.DeregisterStreamConsumerInput{StreamARN: arn,
		ConsumerName: aws.String("go-app")})
	c.succeeded("DeregisterStreamConsumer", err)
}

// tagsOf is the scenario stream's tags as "key=value" sorted by key.
func tagsOf(ctx context.Context, client *kinesis.Client, c *checker) string {
	listed, err := client.ListTagsForStream(ctx, &kinesis.ListTagsForStreamInput{
		StreamName: aws.String(scenarioStream)})
	if !c.succeeded("ListTagsForStream", err) {
		return ""
	}
	pairs := []string{}
	for _, tag := range listed.Tags {
		pairs = append(pairs, aws.ToString(tag.Key)+"="+aws.ToString(tag.Value))
	}
	sort.Strings(pairs)
	c.check("ListTagsForStream HasMoreTags", listed.HasMoreTags != nil && !*listed.HasMoreTags, "%v",
		listed.HasMoreTags)
	return strings.Join(pairs, ",")
}

// expectError checks that err is the SDK's typed error T, with a message and an HTTP 400 status, as it is
// against AWS: the application's errors.As branches are what must work unchanged.
func expectError[T interface {
	*types.ResourceNotFoundException | *types.ResourceInUseException | *types.InvalidArgumentException
	error
}](c *checker, name string, err error) {
	var typed T
	if !c.check(name+" typed error", errors.As(err, &typed), "got %T: %v", err, err) {
		return
	}
	var api smithy.APIError
	c.check(name+" APIError", errors.As(err, &api) && api.ErrorMessage() != "" &&
		api.ErrorFault() == smithy.FaultClient, "%v", err)
	var response *awshttp.ResponseError
	c.check(name+" HTTP status", errors.As(err, &response) && response.HTTPStatusCode() == 400, "%v", err)
}

func checkErrors(ctx context.Context, client *kinesis.Client, c *checker) {
	_, err := client.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String("no-such-stream")})
	expectError[*types.ResourceNotFoundException](c, "DescribeStream missing stream", err)
	var notFound *types.ResourceNotFoundException
	if errors.As(err, &notFound) {
		c.check("ResourceNotFoundException code", notFound.ErrorCode() == "ResourceNotFoundException" &&
			strings.Contains(notFound.ErrorMessage(), "no-such-stream"), "%q %q", notFound.ErrorCode(),
			notFound.ErrorMessage())
	}
	_, err = client.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("no-such-stream"),
		Data: []byte("x"), PartitionKey: aws.String("k")})
	expectError[*types.ResourceNotFoundException](c, "PutRecord missing stream", err)
	_, err = client.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(scenarioStream),
		ShardCount: aws.Int32(1)})
	expectError[*types.ResourceInUseException](c, "CreateStream existing stream", err)
	_, err = client.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(scenarioStream),
		ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber})
	expectError[*types.InvalidArgumentException](c, "GetShardIterator without a sequence number", err)
	_, err = client.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(scenarioStream),
		ShardId: aws.String("shardId-000000000099"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	expectError[*types.ResourceNotFoundException](c, "GetShardIterator missing shard", err)
	_, err = client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String("not-an-iterator")})
	expectError[*types.InvalidArgumentException](c, "GetRecords malformed iterator", err)
}

func checkDelete(ctx context.Context, client *kinesis.Client, c *checker) {
	for _, name := range []string{scenarioStream, scenarioStream + "-b", scenarioStream + "-c"} {
		_, err := client.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String(name)})
		c.succeeded("DeleteStream "+name, err)
	}
	waiter := kinesis.NewStreamNotExistsWaiter(client, func(o *kinesis.StreamNotExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Second, 2*time.Second
	})
	c.succeeded("StreamNotExists waiter", waiter.Wait(ctx,
		&kinesis.DescribeStreamInput{StreamName: aws.String(scenarioStream)}, 30*time.Second))
	_, err := client.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(scenarioStream)})
	expectError[*types.ResourceNotFoundException](c, "DescribeStream deleted stream", err)
	listed, err := client.ListStreams(ctx, &kinesis.ListStreamsInput{})
	if c.succeeded("ListStreams after delete", err) {
		c.check("ListStreams after delete empty", len(listed.StreamNames) == 0, "%v", listed.StreamNames)
	}
}
