"""The wire protocol below the SDKs: CBOR 1.1 as the Java SDKs and the KCL speak it, bad requests of every kind
(each answered with an AWS error while the server keeps serving), limits and timeouts, SigV4, SIGTERM."""
import base64
import datetime
import json
import socket
import time

import botocore.exceptions
import pytest

import cbor
from wire import post

CBOR = "application/x-amz-cbor-1.1"


def aws_error(data, content_type="json"):
    document = cbor.loads(data) if content_type == "cbor" else json.loads(data)
    return document["__type"], document["message"]


def assert_serving(server):
    status, _, data = post(server, "ListStreams", {})
    assert status == 200, data


def test_cbor_put_and_get_with_bytes_and_tagged_timestamps(server, kinesis):
    kinesis.create_stream(StreamName="s", ShardCount=1)
    status, headers, data = post(server, "PutRecord",
                                 cbor.dumps({"StreamName": "s", "Data": b"\x00\x01raw", "PartitionKey": "k"}),
                                 content_type=CBOR)
    assert status == 200 and headers["Content-Type"] == CBOR
    put = cbor.loads(data)
    assert put["ShardId"] == "shardId-000000000000"
    millis_before = int(time.time() * 1000) - 60_000
    status, _, data = post(server, "GetShardIterator",
                           cbor.dumps({"StreamName": "s", "ShardId": "shardId-000000000000",
                                       "ShardIteratorType": "AT_TIMESTAMP",
                                       "Timestamp": cbor.Tagged(1, millis_before)}), content_type=CBOR)
    assert status == 200, data
    iterator = cbor.loads(data)["ShardIterator"]
    status, _, data = post(server, "GetRecords", cbor.dumps({"ShardIterator": iterator}), content_type=CBOR)
    record = cbor.loads(data)["Records"][0]
    assert record["Data"] == b"\x00\x01raw"  # a byte string, not base64
    stamp = record["ApproximateArrivalTimestamp"]
    assert isinstance(stamp, cbor.Tagged) and stamp.tag == 1 and isinstance(stamp.value, int)
    assert abs(stamp.value - time.time() * 1000) < 60_000  # epoch milliseconds, as the Java SDKs read them
    # The record boto3 reads over JSON is the same record.
    iterator = kinesis.get_shard_iterator(StreamName="s", ShardId="shardId-000000000000",
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert kinesis.get_records(ShardIterator=iterator)["Records"][0]["Data"] == b"\x00\x01raw"


def test_arrival_timestamps_are_the_stored_millisecond(server):
    """The wire carries the stored arrival time truncated to the millisecond, in JSON (epoch seconds, 3 decimals)
    and CBOR (tag 1 milliseconds) alike; a decimal millisecond has no exact double, so a careless conversion
    would report about one record in three a millisecond early."""
    server.cli("create-stream", "--stream-name", "s")
    records = [{"Data": base64.b64encode(b"r%d" % i).decode(), "PartitionKey": "k"} for i in range(10)]
    for _ in range(5):  # arrival times spread over several milliseconds
        server.cli("put-records", "--stream-name", "s", "--records", json.dumps(records))
        time.sleep(0.003)
    iterator = json.loads(server.cli("get-shard-iterator", "--stream-name", "s", "--shard-id",
                                     "shardId-000000000000", "--shard-iterator-type", "TRIM_HORIZON").stdout)
    stored = json.loads(server.cli("get-records", "--shard-iterator", iterator["ShardIterator"]).stdout)["Records"]
    # The CLI prints the stored microseconds: 2026-01-01T00:00:00.123456+00:00.
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    stored_millis = [(datetime.datetime.fromisoformat(r["ApproximateArrivalTimestamp"]) - epoch) //
                     datetime.timedelta(milliseconds=1) for r in stored]
    status, _, data = post(server, "GetRecords", {"ShardIterator": iterator["ShardIterator"]})
    assert status == 200, data
    json_stamps = [r["ApproximateArrivalTimestamp"] for r in json.loads(data)["Records"]]
    assert [round(stamp * 1000) for stamp in json_stamps] == stored_millis
    assert all(len(repr(stamp).partition(".")[2]) <= 3 for stamp in json_stamps)
    status, _, data = post(server, "GetRecords", cbor.dumps({"ShardIterator": iterator["ShardIterator"]}),
                           content_type=CBOR)
    assert status == 200, data
    assert [r["ApproximateArrivalTimestamp"].value for r in cbor.loads(data)["Records"]] == stored_millis


def test_cbor_errors_are_cbor(server):
    status, headers, data = post(server, "DescribeStream", cbor.dumps({"StreamName": "missing"}), content_type=CBOR)
    assert status == 400 and headers["Content-Type"] == CBOR
    assert aws_error(data, "cbor")[0] == "ResourceNotFoundException"


@pytest.mark.parametrize("body, content_type, exception", [
    (b"{not json", "application/x-amz-json-1.1", "SerializationException"),
    (b"[1, 2]", "application/x-amz-json-1.1", "SerializationException"),
    (b'{"StreamName": 5}', "application/x-amz-json-1.1", "SerializationException"),
    (b'{"StreamName": "s", "Data": "***", "PartitionKey": "k"}', "application/x-amz-json-1.1",
     "SerializationException"),
    (b"\xbf\xff\xff\x00", CBOR, "SerializationException"),
    (b"\x9f" * 100000, CBOR, "SerializationException"),  # nesting that would exhaust a recursive reader's stack
    (b"[" * 100000, "application/x-amz-json-1.1", "SerializationException"),
    (b'{"PartitionKey": "k"}', "application/x-amz-json-1.1", "ValidationException"),
    (b'{"StreamName": "s", "Data": "eA==", "PartitionKey": ""}', "application/x-amz-json-1.1",
     "ValidationException"),
    (b"{}", "text/plain", "SerializationException"),
], ids=["bad-json", "json-list", "json-number-for-string", "bad-base64", "bad-cbor", "deep-cbor", "deep-json",
        "missing-member", "empty-partition-key", "unknown-content-type"])
def test_malformed_bodies(server, body, content_type, exception):
    status, _, data = post(server, "PutRecord", body, content_type=content_type)
    assert status == 400
    assert aws_error(data, "cbor" if content_type == CBOR else "json")[0] == exception
    assert_serving(server)


def test_missing_members_are_named(server):
    status, _, data = post(server, "PutRecord", {"StreamName": "s"})
    assert status == 400
    exception, message = aws_error(data)
    assert exception == "ValidationException"
    assert "Value null at 'data'" in message and "Value null at 'partitionKey'" in message


@pytest.mark.parametrize("target", ["", "Kinesis_20131202.NoSuchOperation", "DynamoDB_20120810.ListTables",
                                    "Kinesis_20131202.SubscribeToShard"])
def test_unknown_targets(server, target):
    status, _, data = post(server, None, {}, target=target)
    assert status == 400
    assert aws_error(data)[0] == "UnknownOperationException"
    assert_serving(server)


def test_oversize_request_gets_413_and_the_server_keeps_serving(start_server):
    server = start_server("--max-request-bytes", "64KiB")
    status, _, data = post(server, "PutRecord", {"StreamName": "s", "PartitionKey": "k",
                                                 "Data": base64.b64encode(b"x" * 100_000).decode()})
    assert status == 413
    assert aws_error(data)[0] == "RequestEntityTooLargeException"
    assert_serving(server)


def test_slow_client_gets_408_and_others_are_served_meanwhile(start_server):
    server = start_server("--read-timeout", "500ms")
    slow = socket.create_connection((server.host, server.port))
    slow.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\n"
                 b"X-Amz-Target: Kinesis_20131202.ListStreams\r\nContent-Length: 100\r\n\r\n{")
    assert_serving(server)  # while the slow one waits
    slow.settimeout(10)
    started = time.monotonic()
    answer = b""
    while chunk := slow.recv(65536):
        answer += chunk
    assert time.monotonic() - started < 5
    assert answer.startswith(b"HTTP/1.1 408")
    assert b"RequestTimeoutException" in answer
    assert_serving(server)


def test_idle_keep_alive_connection_is_closed(start_server):
    server = start_server("--idle-timeout", "300ms")
    import http.client
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    assert post(server, "ListStreams", {}, connection=connection)[0] == 200
    assert post(server, "ListStreams", {}, connection=connection)[0] == 200  # kept alive
    time.sleep(1)
    assert connection.sock is None or connection.sock.recv(1) == b""  # closed by the server


def test_malformed_http_is_refused(server):
    raw = socket.create_connection((server.host, server.port))
    raw.sendall(b"POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n")
    raw.settimeout(10)
    assert raw.recv(65536).startswith(b"HTTP/1.1 400")
    assert_serving(server)


def test_concurrent_clients(server, kinesis):
    import concurrent.futures
    kinesis.create_stream(StreamName="s", ShardCount=4)

    def produce(worker):
        client = server.client()
        for i in range(20):
            client.put_records(StreamName="s", Records=[{"Data": f"{worker}-{i}-{j}".encode(), "PartitionKey": str(j)}
                                                        for j in range(25)])
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(produce, range(8)))
    total = 0
    for shard in kinesis.list_shards(StreamName="s")["Shards"]:
        iterator = kinesis.get_shard_iterator(StreamName="s", ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        total += len(kinesis.get_records(ShardIterator=iterator)["Records"])
    assert total == 8 * 20 * 25


def test_sigv4_verification(start_server, root, tmp_path):
    credentials = tmp_path / "credentials"
    credentials.write_text("[default]\naws_access_key_id = AKIDRIGHT\naws_secret_access_key = right-secret\n")
    server = start_server("--credentials", str(credentials))
    assert server.client(key_id="AKIDRIGHT", secret="right-secret").list_streams()["StreamNames"] == []
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        server.client(key_id="AKIDRIGHT", secret="wrong-secret").list_streams()
    assert excinfo.value.response["Error"]["Code"] == "InvalidSignatureException"
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        server.client(key_id="AKIDOTHER", secret="right-secret").list_streams()
    assert excinfo.value.response["Error"]["Code"] == "UnrecognizedClientException"
    status, _, data = post(server, "ListStreams", {})  # unsigned
    assert status == 403 and aws_error(data)[0] == "MissingAuthenticationTokenException"
    # A signed request whose body was changed on the way.
    client = server.client(key_id="AKIDRIGHT", secret="right-secret")

    def tamper(request, **_):
        request.body = request.body.replace(b'"s"', b'"t"')
    client.meta.events.register_last("before-send.kinesis.CreateStream", tamper)
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        client.create_stream(StreamName="s", ShardCount=1)
    assert excinfo.value.response["Error"]["Code"] == "InvalidSignatureException"


def test_default_accepts_any_signature(server):
    assert server.client(key_id="anything", secret="whatever").list_streams()["StreamNames"] == []


def test_sigterm_stops_cleanly(server):
    assert_serving(server)
    assert server.stop() == 0
