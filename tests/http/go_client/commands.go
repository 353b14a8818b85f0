package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
)

// runPutRecord puts one record and reports its sequence number, or the error as the SDK typed it after its own
// retries: the Go type, the error code, the HTTP status.
func runPutRecord(ctx context.Context, client *kinesis.Client, c *checker, result map[string]interface{},
	args []string) {
	flags := flag.NewFlagSet("put-record", flag.ExitOnError)
	stream := flags.String("stream", "", "stream name")
	data := flags.String("data", "go", "record data")
	flags.Parse(args)
	out, err := client.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: stream, Data: []byte(*data),
		PartitionKey: aws.String("k")})
	if err == nil {
		result["SequenceNumber"], result["ShardId"] = aws.ToString(out.SequenceNumber), aws.ToString(out.ShardId)
		return
	}
	var api smithy.APIError
	if !c.check("PutRecord error is an APIError", errors.As(err, &api), "%T: %v", err, err) {
		return
	}
	report := map[string]interface{}{"Type": fmt.Sprintf("%T", api), "Code": api.ErrorCode(),
		"Message": api.ErrorMessage()}
	var throttled *types.ProvisionedThroughputExceededException
	report["IsProvisionedThroughputExceeded"] = errors.As(err, &throttled)
	var response *awshttp.ResponseError
	if errors.As(err, &response) {
		report["HTTPStatus"] = response.HTTPStatusCode()
	}
	result["Error"] = report
}

// runPutRecords puts one PutRecords batch (data "<prefix>-<i>", partition key "k<i>") and reports every entry, so
// the caller can compare the entries with what another client reads, or count the throttled ones.
func runPutRecords(ctx context.Context, client *kinesis.Client, c *checker, result map[string]interface{},
	args []string) {
	flags := flag.NewFlagSet("put-records", flag.ExitOnError)
	stream := flags.String("stream", "", "stream name")
	prefix := flags.String("prefix", "go", "data prefix")
	count := flags.Int("count", 10, "records in the batch (1..500)")
	flags.Parse(args)
	entries := make([]types.PutRecordsRequestEntry, *count)
	for i := range entries {
		entries[i] = types.PutRecordsRequestEntry{Data: []byte(fmt.Sprintf("%s-%d", *prefix, i)),
			PartitionKey: aws.String(fmt.Sprintf("k%d", i))}
	}
	out, err := client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: stream, Records: entries})
	if !c.succeeded("PutRecords", err) {
		return
	}
	failed := 0
	reported := make([]map[string]string, 0, len(out.Records))
	for i, entry := range out.Records {
		if entry.ErrorCode != nil {
			failed++
			c.check("PutRecords failed entry shape", entry.ErrorMessage != nil && entry.SequenceNumber == nil &&
				entry.ShardId == nil, "entry %d: %+v", i, entry)
			reported = append(reported, map[string]string{"ErrorCode": *entry.ErrorCode,
				"ErrorMessage": aws.ToString(entry.ErrorMessage)})
		} else {
			c.check("PutRecords entry shape", entry.SequenceNumber != nil && entry.ShardId != nil &&
				entry.ErrorMessage == nil, "entry %d: %+v", i, entry)
			reported = append(reported, map[string]string{"SequenceNumber": aws.ToString(entry.SequenceNumber),
				"ShardId": aws.ToString(entry.ShardId)})
		}
	}
	c.check("PutRecords entry count", len(out.Records) == *count, "%d entries for %d records",
		len(out.Records), *count)
	c.check("PutRecords FailedRecordCount", aws.ToInt32(out.FailedRecordCount) == int32(failed),
		"FailedRecordCount %d, %d entries with an ErrorCode", aws.ToInt32(out.FailedRecordCount), failed)
	result["FailedRecordCount"] = aws.ToInt32(out.FailedRecordCount)
	result["Records"] = reported
}

// readRecord is a record as read, for the caller to compare with what it put through another client.
type readRecord struct {
	ShardId                     string
	SequenceNumber              string
	PartitionKey                string
	Data                        []byte // base64 in the JSON output
	ApproximateArrivalTimestamp int64  // milliseconds since the epoch
}

// readShard reads a shard from TRIM_HORIZON up to its end as it is now.
func readShard(ctx context.Context, client *kinesis.Client, stream, shard string) ([]readRecord, error) {
	iterator, err := client.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(stream),
		ShardId: aws.String(shard), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if err != nil {
		return nil, err
	}
	records := []readRecord{}
	next := iterator.ShardIterator
	for next != nil {
		page, err := client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: next})
		if err != nil {
			return nil, err
		}
		for _, r := range page.Records {
			records = append(records, readRecord{ShardId: shard, SequenceNumber: aws.ToString(r.SequenceNumber),
				PartitionKey: aws.ToString(r.PartitionKey), Data: r.Data,
				ApproximateArrivalTimestamp: aws.ToTime(r.ApproximateArrivalTimestamp).UnixMilli()})
		}
		if len(page.Records) == 0 {
			break
		}
		next = page.NextShardIterator
	}
	return records, nil
}

// runRead reads every shard of a stream (or one) from TRIM_HORIZON.
func runRead(ctx context.Context, client *kinesis.Client, c *checker, result map[string]interface{},
	args []string) {
	flags := flag.NewFlagSet("read", flag.ExitOnError)
	stream := flags.String("stream", "", "stream name")
	shard := flags.String("shard", "", "one shard id (default: every shard)")
	flags.Parse(args)
	shards := []string{*shard}
	if *shard == "" {
		listed, err := client.ListShards(ctx, &kinesis.ListShardsInput{StreamName: stream})
		if !c.succeeded("ListShards", err) {
			return
		}
		shards = shards[:0]
		for _, s := range listed.Shards {
			shards = append(shards, aws.ToString(s.ShardId))
		}
	}
	records := []readRecord{}
	for _, id := range shards {
		read, err := readShard(ctx, client, *stream, id)
		if !c.succeeded("GetRecords "+id, err) {
			fmt.Fprintln(os.Stderr, "stopping at shard", id)
			return
		}
		records = append(records, read...)
	}
	result["Records"] = records
}
