"""PutRecords and GetRecords on the direct path of `shmstream serve` (tools/shmstream/record_wire.hpp): the
bytes on the wire are those of the document path every other operation takes, and bad PutRecords bodies get
the document path's errors."""
import json
import re
import time

import pytest

import cbor
from wire import post

CBOR = "application/x-amz-cbor-1.1"
JSON = "application/x-amz-json-1.1"

# Keys that need JSON escapes, and text beyond ASCII.
KEYS = ["plain", 'quote"back\\slash/', "ctl\x01\x1f\x7f\n\t\r\b\f", "caf\u00e9 \u2713 \U0001F600"]


def encode(document, content_type):
    return cbor.dumps(document) if content_type == CBOR else json.dumps(document).encode()


def decode(data, content_type):
    return cbor.loads(data) if content_type == CBOR else json.loads(data)


def canonical(data, content_type):
    """The body as a compact writer puts the parsed document back: the same bytes if the server wrote it so."""
    if content_type == CBOR:
        return cbor.dumps(cbor.loads(data))
    return json.dumps(json.loads(data), separators=(",", ":"), ensure_ascii=False).encode()


def put_records_body(content_type, extra=None):
    records = [{"Data": bytes([i]) * i, "PartitionKey": key} for i, key in enumerate(KEYS)]
    records.append({"Data": b"hashed", "PartitionKey": "k", "ExplicitHashKey": str(2**128 - 1)})
    if content_type == JSON:
        import base64
        records = [dict(r, Data=base64.b64encode(r["Data"]).decode()) for r in records]
    document = {"StreamName": "s", "Records": records}
    document.update(extra or {})
    return encode(document, content_type)


def shape_of(document):
    """Keys in order and value types, recursively: what the two paths must agree on."""
    if isinstance(document, dict):
        return [(key, shape_of(value)) for key, value in document.items()]
    if isinstance(document, list):
        return [shape_of(item) for item in document]
    if isinstance(document, cbor.Tagged):
        return ("tag", document.tag, type(document.value).__name__)
    return type(document).__name__


@pytest.mark.parametrize("content_type", [JSON, CBOR], ids=["json", "cbor"])
def test_put_records_direct_path_answers_as_the_document_path(server, kinesis, content_type):
    kinesis.create_stream(StreamName="s", ShardCount=2)
    # An unknown member is dropped by the request document decoder but not taken by the direct one.
    status, headers, direct = post(server, "PutRecords", put_records_body(content_type), content_type=content_type)
    assert status == 200 and headers["Content-Type"] == content_type, direct
    status, _, generic = post(server, "PutRecords", put_records_body(content_type, {"NewerSdkMember": "x"}),
                              content_type=content_type)
    assert status == 200, generic
    direct_document, generic_document = decode(direct, content_type), decode(generic, content_type)
    assert shape_of(direct_document) == shape_of(generic_document)
    assert direct_document["FailedRecordCount"] == 0
    assert [r["ShardId"] for r in direct_document["Records"]] == [r["ShardId"] for r in generic_document["Records"]]
    assert direct_document["Records"][-1]["ShardId"] == "shardId-000000000001"  # the explicit hash key routed it
    assert canonical(direct, content_type) == direct

    # The records read back are the records put, keys and bytes exact.
    iterators = [kinesis.get_shard_iterator(StreamName="s", ShardId=f"shardId-00000000000{i}",
                                            ShardIteratorType="TRIM_HORIZON")["ShardIterator"] for i in (0, 1)]
    read = [r for it in iterators for r in kinesis.get_records(ShardIterator=it)["Records"]]
    put = [(bytes([i]) * i, key) for i, key in enumerate(KEYS)] + [(b"hashed", "k")]
    assert sorted((r["Data"], r["PartitionKey"]) for r in read) == sorted(put * 2)


@pytest.mark.parametrize("records, message", [
    ([], "Value '[]' at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1"),
    ([{"Data": "eA==", "PartitionKey": "k"}] * 501,
     "at 'records' failed to satisfy constraint: Member must have length less than or equal to 500"),
    ([{"Data": "eA==", "PartitionKey": ""}],
     "Value '' at 'records.1.member.partitionKey' failed to satisfy constraint: Member must have length greater "
     "than or equal to 1"),
    ([{"Data": "eA==", "PartitionKey": "k" * 257}],
     "at 'records.1.member.partitionKey' failed to satisfy constraint: Member must have length less than or equal "
     "to 256"),
    ([{"Data": "eA==", "PartitionKey": "k", "ExplicitHashKey": "01"}],
     "Value '01' at 'records.1.member.explicitHashKey' failed to satisfy constraint: Member must satisfy regular "
     "expression pattern"),
    ([{"Data": "eA==", "PartitionKey": "k"}, {"PartitionKey": "k"}],
     "Value null at 'records.2.member.data' failed to satisfy constraint: Member must not be null"),
    ([{"Data": None, "PartitionKey": "k"}],
     "Value null at 'records.1.member.data' failed to satisfy constraint: Member must not be null"),
], ids=["no-records", "501-records", "empty-key", "long-key", "hash-key-pattern", "missing-data", "null-data"])
def test_put_records_constraints_get_the_services_messages(server, kinesis, records, message):
    kinesis.create_stream(StreamName="s", ShardCount=1)
    status, _, data = post(server, "PutRecords", {"StreamName": "s", "Records": records})
    assert status == 400, data
    document = json.loads(data)
    assert document["__type"] == "ValidationException"
    assert message in document["message"]


@pytest.mark.parametrize("body, exception", [
    ({"StreamName": "s", "Records": [{"Data": "***", "PartitionKey": "k"}]}, "SerializationException"),
    ({"StreamName": "s", "Records": [{"Data": "eA==", "PartitionKey": 5}]}, "SerializationException"),
    ({"StreamName": "s", "Records": {"Data": "eA=="}}, "SerializationException"),
    ({"StreamName": "no such stream!", "Records": [{"Data": "eA==", "PartitionKey": "k"}]}, "ValidationException"),
    ({"StreamName": "missing", "Records": [{"Data": "eA==", "PartitionKey": "k"}]}, "ResourceNotFoundException"),
    ({"StreamName": "s", "Records": [{"Data": "eA==", "PartitionKey": "k", "ExplicitHashKey": str(2**128)}]},
     "InvalidArgumentException"),
], ids=["bad-base64", "number-key", "records-not-a-list", "bad-stream-name", "unknown-stream", "hash-key-range"])
def test_bad_put_records_bodies(server, kinesis, body, exception):
    kinesis.create_stream(StreamName="s", ShardCount=1)
    status, _, data = post(server, "PutRecords", body)
    assert status == 400, data
    assert json.loads(data)["__type"] == exception


@pytest.mark.parametrize("content_type", [JSON, CBOR], ids=["json", "cbor"])
def test_get_records_wire_form(server, kinesis, content_type):
    kinesis.create_stream(StreamName="s", ShardCount=1)
    before = time.time()
    kinesis.put_records(StreamName="s", Records=[{"Data": key.encode() * 3, "PartitionKey": key} for key in KEYS])
    iterator = kinesis.get_shard_iterator(StreamName="s", ShardId="shardId-000000000000",
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    status, headers, data = post(server, "GetRecords", encode({"ShardIterator": iterator}, content_type),
                                 content_type=content_type)
    assert status == 200 and headers["Content-Type"] == content_type, data
    assert canonical(data, content_type) == data  # compact, shortest heads, nlohmann's escapes
    document = decode(data, content_type)
    assert list(document) == ["Records", "NextShardIterator", "MillisBehindLatest"]
    for record, key in zip(document["Records"], KEYS, strict=True):
        assert list(record) == ["SequenceNumber", "ApproximateArrivalTimestamp", "Data", "PartitionKey"]
        assert record["PartitionKey"] == key
        stamp = record["ApproximateArrivalTimestamp"]
        if content_type == CBOR:
            assert record["Data"] == key.encode() * 3
            assert isinstance(stamp, cbor.Tagged) and stamp.tag == 1 and isinstance(stamp.value, int)
            seconds = stamp.value / 1000
        else:
            import base64
            assert base64.b64decode(record["Data"]) == key.encode() * 3
            # Epoch seconds with at most 3 decimals ("1700000000.12"), as the service writes them.
            assert re.fullmatch(rb"\d+(\.\d{1,3})?", str(stamp).encode()), stamp
            seconds = stamp
        assert before - 1 <= seconds <= time.time() + 1


def test_get_records_at_the_end_of_a_closed_shard_names_the_children(server, kinesis):
    kinesis.create_stream(StreamName="s", ShardCount=1)
    kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="k")
    iterator = kinesis.get_shard_iterator(StreamName="s", ShardId="shardId-000000000000",
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    kinesis.split_shard(StreamName="s", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127))
    for content_type in (JSON, CBOR):
        page_iterator = iterator
        for _ in range(10):  # the record, then the end of the shard
            status, _, data = post(server, "GetRecords", encode({"ShardIterator": page_iterator}, content_type),
                                   content_type=content_type)
            assert status == 200, data
            assert canonical(data, content_type) == data
            document = decode(data, content_type)
            if "NextShardIterator" not in document:
                break
            page_iterator = document["NextShardIterator"]
        assert list(document) == ["Records", "MillisBehindLatest", "ChildShards"]
        assert [child["ShardId"] for child in document["ChildShards"]] == ["shardId-000000000001",
                                                                           "shardId-000000000002"]
        assert document["ChildShards"][0]["ParentShards"] == ["shardId-000000000000"]


@pytest.mark.parametrize("body", [
    b' \n\t{ "StreamName" : "s" ,\r\n "Records" : [ { "Data" : "eA==" , "PartitionKey" : "k" } ] } \n',
    b'{"StreamName":"s","Records":[{"Data":"eA==","PartitionKey":"k\\u00e9\\"\\n"}]}',  # escapes
    b'{"\\u0053treamName":"s","Records":[{"Data":"eA==","PartitionKey":"k"}]}',  # an escaped member name
    b'{"StreamName":"s","Records":[{"Data":"eA\\u003d\\u003d","PartitionKey":"k"}]}',
    '{"StreamName":"s","Records":[{"Data":"eA==","PartitionKey":"caf\u00e9 \u2713"}]}'.encode(),
], ids=["whitespace", "escaped-key", "escaped-member-name", "escaped-base64", "utf8-key"])
def test_put_records_bodies_beyond_the_plain_form_are_read_alike(server, kinesis, body):
    kinesis.create_stream(StreamName="s", ShardCount=1)
    status, _, data = post(server, "PutRecords", body)
    assert status == 200, data
    assert json.loads(data)["FailedRecordCount"] == 0
    iterator = kinesis.get_shard_iterator(StreamName="s", ShardId="shardId-000000000000",
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    record = kinesis.get_records(ShardIterator=iterator)["Records"][0]
    assert record["Data"] == b"x"
    assert record["PartitionKey"] == json.loads(body)["Records"][0]["PartitionKey"]


@pytest.mark.parametrize("body", [
    b'{"StreamName":"s","Records":[{"Data":"eA==","PartitionKey":"k"},]}',
    b'{"StreamName":"s","Records":[{"Data":"eA==","PartitionKey":"k"}],}',
    b'{"StreamName" "s","Records":[{"Data":"eA==","PartitionKey":"k"}]}',
    b'{"StreamName":"s","Records":[{"Data":"eA==","PartitionKey":"k"}]}{}',
    b'{"StreamName":"s","Records":[{"Data":"eA==","PartitionKey":"k"}]',
    b'{"StreamName":"s","Records":[{"Data":"eA==","PartitionKey":"k\x01"}]}',
    b'{"StreamName":"s","Records":[{"Data":"eA==","PartitionKey":"k\xff"}]}',
], ids=["comma-before-bracket", "comma-before-brace", "no-colon", "two-values", "truncated", "control-character",
        "not-utf8"])
def test_malformed_put_records_json_is_a_serialization_error(server, kinesis, body):
    kinesis.create_stream(StreamName="s", ShardCount=1)
    status, _, data = post(server, "PutRecords", body)
    assert status == 400, data
    assert json.loads(data)["__type"] == "SerializationException"


@pytest.mark.parametrize("content_type", [JSON, CBOR], ids=["json", "cbor"])
def test_get_records_of_an_encrypted_stream(server, kinesis, content_type):
    # Records decrypted by the read: the response is written while the reader that holds them lives.
    kinesis.create_stream(StreamName="s", ShardCount=1)
    kinesis.start_stream_encryption(StreamName="s", EncryptionType="KMS", KeyId="alias/aws/kinesis")
    data = [bytes([i]) * (1 + i * 37) for i in range(50)]
    status, _, body = post(server, "PutRecords", put_records_body_of(data, content_type), content_type=content_type)
    assert status == 200 and decode(body, content_type)["FailedRecordCount"] == 0, body
    iterator = kinesis.get_shard_iterator(StreamName="s", ShardId="shardId-000000000000",
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    status, _, body = post(server, "GetRecords", encode({"ShardIterator": iterator}, content_type),
                           content_type=content_type)
    assert status == 200, body
    records = decode(body, content_type)["Records"]
    import base64
    read = [r["Data"] if content_type == CBOR else base64.b64decode(r["Data"]) for r in records]
    assert read == data
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=iterator)["Records"]] == data


def put_records_body_of(data, content_type):
    import base64
    records = [{"Data": d if content_type == CBOR else base64.b64encode(d).decode(), "PartitionKey": f"k{i}"}
               for i, d in enumerate(data)]
    return encode({"StreamName": "s", "Records": records}, content_type)


@pytest.mark.parametrize("content_type", [JSON, CBOR], ids=["json", "cbor"])
def test_put_records_partial_failure_on_both_paths(server, kinesis, content_type):
    kinesis.create_stream(StreamName="s", ShardCount=1)
    server.cli("update-throttling", "--stream-name", "s", "--put-throttle-probability", "0.5")
    data = [b"d"] * 200
    for extra in (None, {"NewerSdkMember": "x"}):  # the direct path, then the document path
        body = put_records_body_of(data, content_type)
        if extra:
            document = decode(body, content_type)
            document.update(extra)
            body = encode(document, content_type)
        status, _, response = post(server, "PutRecords", body, content_type=content_type)
        assert status == 200, response
        assert canonical(response, content_type) == response
        document = decode(response, content_type)
        assert list(document) == ["FailedRecordCount", "Records"]
        failed = [r for r in document["Records"] if list(r) == ["ErrorCode", "ErrorMessage"]]
        assert 0 < document["FailedRecordCount"] == len(failed) < 200
        assert all(list(r) == ["SequenceNumber", "ShardId"] for r in document["Records"] if r not in failed)
        assert {r["ErrorCode"] for r in failed} == {"ProvisionedThroughputExceededException"}
        assert all(r["ErrorMessage"].startswith("Rate exceeded for shard shardId-000000000000 in stream s")
                   for r in failed), failed[0]
