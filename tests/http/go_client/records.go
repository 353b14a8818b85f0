package main

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

const (
	shard0 = "shardId-000000000000"
	shard1 = "shardId-000000000001"
	// The server's arrival clock and this process's are the same host clock; the slack covers the
	// millisecond rounding of the wire format.
	arrivalSlack = 2 * time.Millisecond
)

// sentRecord is a record as put, with the interval its arrival must fall in.
type sentRecord struct {
	data           []byte
	partitionKey   string
	sequenceNumber string
	shardId        string
	before, after  time.Time
}

// everyByte is data that survives only an exact blob encoding: every byte value, NUL and 0xFF included.
func everyByte() []byte {
	data := make([]byte, 256)
	for i := range data {
		data[i] = byte(i)
	}
	return data
}

func checkRecords(ctx context.Context, client *kinesis.Client, c *checker, result map[string]interface{}) {
	sent := []sentRecord{}
	for _, put := range []struct{ explicitHashKey, shard string }{{"0", shard0}, {hashKey(1, 2, 0), shard1}} {
		record := sentRecord{data: everyByte(), partitionKey: "single", before: time.Now()}
		out, err := client.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String(scenarioStream),
			Data: record.data, PartitionKey: aws.String(record.partitionKey),
			ExplicitHashKey: aws.String(put.explicitHashKey)})
		record.after = time.Now()
		if !c.succeeded("PutRecord", err) {
			return
		}
		c.check("PutRecord ExplicitHashKey "+put.explicitHashKey, aws.ToString(out.ShardId) == put.shard &&
			aws.ToString(out.SequenceNumber) != "" && (out.EncryptionType == "" ||
			out.EncryptionType == types.EncryptionTypeNone), "%s %s %q", aws.ToString(out.ShardId),
			aws.ToString(out.SequenceNumber), out.EncryptionType)
		record.sequenceNumber, record.shardId = aws.ToString(out.SequenceNumber), aws.ToString(out.ShardId)
		sent = append(sent, record)
	}

	entries := make([]types.PutRecordsRequestEntry, 100)
	for i := range entries {
		entries[i] = types.PutRecordsRequestEntry{Data: append([]byte{byte(i), 0, 0xff}, fmt.Sprint(i)...),
			PartitionKey: aws.String(fmt.Sprintf("pk-%d", i))}
	}
	before := time.Now()
	batch, err := client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(scenarioStream),
		Records: entries})
	after := time.Now()
	if !c.succeeded("PutRecords", err) {
		return
	}
	if !c.check("PutRecords result", aws.ToInt32(batch.FailedRecordCount) == 0 && len(batch.Records) == 100,
		"FailedRecordCount %d, %d entries", aws.ToInt32(batch.FailedRecordCount), len(batch.Records)) {
		return
	}
	for i, entry := range batch.Records {
		sent = append(sent, sentRecord{data: entries[i].Data, partitionKey: *entries[i].PartitionKey,
			sequenceNumber: aws.ToString(entry.SequenceNumber), shardId: aws.ToString(entry.ShardId),
			before: before, after: after})
	}

	// Read each shard from TRIM_HORIZON: the same bytes, keys, sequence numbers, in put order per shard.
	shardsUsed := map[string]int{}
	for _, shard := range []string{shard0, shard1} {
		read, err := readShard(ctx, client, scenarioStream, shard)
		if !c.succeeded("GetRecords "+shard, err) {
			return
		}
		expected := []sentRecord{}
		for _, record := range sent {
			if record.shardId == shard {
				expected = append(expected, record)
			}
		}
		shardsUsed[shard] = len(expected)
		if !c.check("GetRecords count "+shard, len(read) == len(expected), "read %d, put %d", len(read),
			len(expected)) {
			continue
		}
		previous := new(big.Int)
		for i, got := range read {
			want := expected[i]
			c.check("GetRecords record", bytes.Equal(got.Data, want.data) && got.PartitionKey == want.partitionKey &&
				got.SequenceNumber == want.sequenceNumber, "%s #%d: read %q %q %s, put %q %q %s", shard, i,
				got.Data, got.PartitionKey, got.SequenceNumber, want.data, want.partitionKey, want.sequenceNumber)
			arrival := time.UnixMilli(got.ApproximateArrivalTimestamp)
			c.check("GetRecords ApproximateArrivalTimestamp", !arrival.Before(want.before.Add(-arrivalSlack)) &&
				!arrival.After(want.after.Add(arrivalSlack)), "%s #%d: %s not within the put's %s .. %s", shard,
				i, arrival.Format(time.RFC3339Nano), want.before.Format(time.RFC3339Nano),
				want.after.Format(time.RFC3339Nano))
			number, ok := new(big.Int).SetString(got.SequenceNumber, 10)
			c.check("sequence numbers increase", ok && number.Cmp(previous) > 0, "%s #%d: %s", shard, i,
				got.SequenceNumber)
			if ok {
				previous = number
			}
		}
	}
	c.check("PutRecords spreads partition keys", shardsUsed[shard0] > 10 && shardsUsed[shard1] > 10,
		"%v", shardsUsed)
	result["RecordsPerShard"] = shardsUsed
}

// readFrom reads from an iterator of the given type until a page comes back empty.
func readFrom(ctx context.Context, client *kinesis.Client, input *kinesis.GetShardIteratorInput) ([][]byte, error) {
	iterator, err := client.GetShardIterator(ctx, input)
	if err != nil {
		return nil, err
	}
	data := [][]byte{}
	for next := iterator.ShardIterator; next != nil; {
		page, err := client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: next})
		if err != nil {
			return nil, err
		}
		for _, record := range page.Records {
			data = append(data, record.Data)
		}
		if len(page.Records) == 0 {
			break
		}
		next = page.NextShardIterator
	}
	return data, nil
}

func iteratorInput(kind types.ShardIteratorType) *kinesis.GetShardIteratorInput {
	return &kinesis.GetShardIteratorInput{StreamName: aws.String(scenarioStream), ShardId: aws.String(shard0),
		ShardIteratorType: kind}
}

func putToShard0(ctx context.Context, client *kinesis.Client, c *checker, data string) string {
	out, err := client.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String(scenarioStream),
		Data: []byte(data), PartitionKey: aws.String("k"), ExplicitHashKey: aws.String("0")})
	c.succeeded("PutRecord "+data, err)
	if err != nil {
		return ""
	}
	return aws.ToString(out.SequenceNumber)
}

func checkIteratorTypes(ctx context.Context, client *kinesis.Client, c *checker) {
	all, err := readFrom(ctx, client, iteratorInput(types.ShardIteratorTypeTrimHorizon))
	if !c.succeeded("TRIM_HORIZON", err) || !c.check("TRIM_HORIZON records", len(all) > 1, "%d", len(all)) {
		return
	}
	first, err := readShard(ctx, client, scenarioStream, shard0)
	if !c.succeeded("GetRecords", err) {
		return
	}
	at := iteratorInput(types.ShardIteratorTypeAtSequenceNumber)
	at.StartingSequenceNumber = aws.String(first[0].SequenceNumber)
	got, err := readFrom(ctx, client, at)
	if c.succeeded("AT_SEQUENCE_NUMBER", err) {
		c.check("AT_SEQUENCE_NUMBER records", len(got) == len(all) && bytes.Equal(got[0], all[0]), "%d of %d",
			len(got), len(all))
	}
	after := iteratorInput(types.ShardIteratorTypeAfterSequenceNumber)
	after.StartingSequenceNumber = aws.String(first[0].SequenceNumber)
	got, err = readFrom(ctx, client, after)
	if c.succeeded("AFTER_SEQUENCE_NUMBER", err) {
		c.check("AFTER_SEQUENCE_NUMBER records", len(got) == len(all)-1 && bytes.Equal(got[0], all[1]),
			"%d of %d", len(got), len(all))
	}

	// AT_TIMESTAMP between two puts 40 ms apart: the SDK sends milliseconds, so the mark must split them.
	putToShard0(ctx, client, c, "before-mark")
	time.Sleep(20 * time.Millisecond)
	mark := time.Now()
	time.Sleep(20 * time.Millisecond)
	putToShard0(ctx, client, c, "after-mark")
	atTime := iteratorInput(types.ShardIteratorTypeAtTimestamp)
	atTime.Timestamp = aws.Time(mark)
	got, err = readFrom(ctx, client, atTime)
	if c.succeeded("AT_TIMESTAMP", err) {
		c.check("AT_TIMESTAMP records", len(got) == 1 && string(got[0]) == "after-mark", "%q", got)
	}

	latest, err := client.GetShardIterator(ctx, iteratorInput(types.ShardIteratorTypeLatest))
	if !c.succeeded("LATEST", err) {
		return
	}
	empty, err := client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: latest.ShardIterator})
	if !c.succeeded("GetRecords LATEST", err) {
		return
	}
	c.check("LATEST starts empty", len(empty.Records) == 0 && empty.NextShardIterator != nil &&
		empty.MillisBehindLatest != nil && *empty.MillisBehindLatest == 0, "%+v", empty)
	putToShard0(ctx, client, c, "latest")
	page, err := client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: empty.NextShardIterator})
	if c.succeeded("GetRecords after LATEST", err) {
		c.check("LATEST sees the next record", len(page.Records) == 1 && string(page.Records[0].Data) == "latest",
			"%d records", len(page.Records))
	}

	trim, err := client.GetShardIterator(ctx, iteratorInput(types.ShardIteratorTypeTrimHorizon))
	if c.succeeded("TRIM_HORIZON", err) {
		limited, err := client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: trim.ShardIterator,
			Limit: aws.Int32(1)})
		if c.succeeded("GetRecords Limit", err) {
			c.check("GetRecords Limit 1", len(limited.Records) == 1 && limited.NextShardIterator != nil &&
				limited.MillisBehindLatest != nil && len(limited.ChildShards) == 0, "%+v", limited)
		}
	}
}

// openShards lists a stream's shards: the open ones (no ending sequence number) and all of them.
func listShards(ctx context.Context, client *kinesis.Client, c *checker, stream string) (open, all []types.Shard) {
	listed, err := client.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if !c.succeeded("ListShards "+stream, err) {
		return nil, nil
	}
	for _, shard := range listed.Shards {
		if shard.SequenceNumberRange == nil || shard.SequenceNumberRange.EndingSequenceNumber == nil {
			open = append(open, shard)
		}
	}
	return open, listed.Shards
}

func checkResharding(ctx context.Context, client *kinesis.Client, c *checker, result map[string]interface{}) {
	update, err := client.UpdateShardCount(ctx, &kinesis.UpdateShardCountInput{StreamName: aws.String(scenarioStream),
		TargetShardCount: aws.Int32(4), ScalingType: types.ScalingTypeUniformScaling})
	if !c.succeeded("UpdateShardCount", err) {
		return
	}
	c.check("UpdateShardCount output", aws.ToInt32(update.CurrentShardCount) == 2 &&
		aws.ToInt32(update.TargetShardCount) == 4 && aws.ToString(update.StreamName) == scenarioStream, "%+v", update)
	c.succeeded("StreamExists waiter after UpdateShardCount", waitActive(ctx, client, scenarioStream))
	open, all := listShards(ctx, client, c, scenarioStream)
	openIds := []string{}
	for _, shard := range open {
		openIds = append(openIds, aws.ToString(shard.ShardId))
		parent := aws.ToString(shard.ParentShardId)
		c.check("UpdateShardCount child parent", parent == shard0 || parent == shard1, "%s has parent %q",
			aws.ToString(shard.ShardId), parent)
	}
	c.check("UpdateShardCount shards", len(open) == 4 && len(all) >= 6, "%d open of %d", len(open), len(all))
	result["OpenShardsAfterUpdateShardCount"] = openIds

	// A closed shard read to its end: no next iterator, and the child shards to go on with.
	iterator, err := client.GetShardIterator(ctx, iteratorInput(types.ShardIteratorTypeTrimHorizon))
	if c.succeeded("GetShardIterator closed shard", err) {
		next, children := iterator.ShardIterator, []types.ChildShard(nil)
		for pages := 0; next != nil && pages < 100; pages++ {
			page, err := client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: next})
			if !c.succeeded("GetRecords closed shard", err) {
				break
			}
			next, children = page.NextShardIterator, page.ChildShards
		}
		c.check("closed shard ends with ChildShards", next == nil && len(children) > 0 &&
			len(children[0].ParentShards) > 0 && children[0].ParentShards[0] == shard0 &&
			children[0].HashKeyRange != nil, "next %v, children %+v", next, children)
	}
	out, err := client.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String(scenarioStream),
		Data: []byte("after-reshard"), PartitionKey: aws.String("k"), ExplicitHashKey: aws.String("0")})
	if c.succeeded("PutRecord after UpdateShardCount", err) {
		c.check("PutRecord goes to an open shard", aws.ToString(out.ShardId) != shard0 &&
			len(openIds) > 0 && aws.ToString(out.ShardId) == openIds[0], "%s, open %v", aws.ToString(out.ShardId),
			openIds)
	}

	// SplitShard then MergeShards on the second stream.
	second := scenarioStream + "-b"
	_, err = client.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String(second),
		ShardToSplit: aws.String(shard0), NewStartingHashKey: aws.String(hashKey(1, 2, 0))})
	if !c.succeeded("SplitShard", err) {
		return
	}
	c.succeeded("StreamExists waiter after SplitShard", waitActive(ctx, client, second))
	open, _ = listShards(ctx, client, c, second)
	if !c.check("SplitShard children", len(open) == 2, "%d open", len(open)) {
		return
	}
	c.check("SplitShard ranges", aws.ToString(open[0].ParentShardId) == shard0 &&
		aws.ToString(open[0].HashKeyRange.EndingHashKey) == hashKey(1, 2, -1) &&
		aws.ToString(open[1].HashKeyRange.StartingHashKey) == hashKey(1, 2, 0), "%+v %+v", open[0].HashKeyRange,
		open[1].HashKeyRange)
	_, err = client.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: aws.String(second),
		ShardToMerge: open[0].ShardId, AdjacentShardToMerge: open[1].ShardId})
	if !c.succeeded("MergeShards", err) {
		return
	}
	c.succeeded("StreamExists waiter after MergeShards", waitActive(ctx, client, second))
	merged, _ := listShards(ctx, client, c, second)
	c.check("MergeShards child", len(merged) == 1 && aws.ToString(merged[0].ParentShardId) ==
		aws.ToString(open[0].ShardId) && aws.ToString(merged[0].AdjacentParentShardId) ==
		aws.ToString(open[1].ShardId) && aws.ToString(merged[0].HashKeyRange.StartingHashKey) == "0" &&
		aws.ToString(merged[0].HashKeyRange.EndingHashKey) == hashKey(1, 1, -1), "%+v", merged)
}
