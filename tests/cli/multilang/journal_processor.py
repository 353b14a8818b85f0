#!/usr/bin/env python3
"""A KCL MultiLangDaemon record processor written against the protocol only (no shmstream import): it
appends "<shard> <sequence number> <data>" per record to $JOURNAL and checkpoints after every batch, at
SHARD_END and when asked to shut down."""
import base64
import json
import os
import sys


def send(message):
    # Surrounded by newlines, as the KCL libraries write: the reader must skip the blank lines.
    sys.stdout.write("\n" + json.dumps(message) + "\n")
    sys.stdout.flush()


def checkpoint(sequence_number=None):
    send({"action": "checkpoint", "sequenceNumber": sequence_number, "subSequenceNumber": None})
    while True:
        line = sys.stdin.readline()
        if not line:
            sys.exit(1)
        answer = json.loads(line)
        if answer["action"] == "checkpoint":
            return answer.get("error")


def main():
    journal = open(os.environ["JOURNAL"], "a")
    shard = None
    for line in sys.stdin:
        message = json.loads(line)
        action = message["action"]
        if action == "initialize":
            shard = message["shardId"]
            journal.write(f"initialize {shard} {message['sequenceNumber']}\n")
        elif action == "processRecords":
            for record in message["records"]:
                assert record["action"] == "record" and record["subSequenceNumber"] == 0
                assert isinstance(record["approximateArrivalTimestamp"], int)
                data = base64.b64decode(record["data"]).decode()
                journal.write(f"record {shard} {record['sequenceNumber']} {record['partitionKey']} {data}\n")
            journal.flush()
            error = checkpoint()
            if error:
                journal.write(f"checkpoint-error {shard} {error}\n")
        elif action in ("shardEnded", "shutdownRequested"):
            error = checkpoint()
            journal.write(f"{action} {shard} {error}\n")
        elif action == "leaseLost":
            journal.write(f"leaseLost {shard}\n")
        journal.flush()
        send({"action": "status", "responseFor": action})


if __name__ == "__main__":
    main()
