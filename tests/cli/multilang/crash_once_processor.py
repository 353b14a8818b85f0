#!/usr/bin/env python3
"""A MultiLangDaemon processor that dies on its first processRecords (while $CRASH_MARKER does not exist),
then behaves as journal_processor.py: consume must restart the shard from its last checkpoint."""
import os
import sys

marker = os.environ["CRASH_MARKER"]
if not os.path.exists(marker):
    line = sys.stdin.readline()  # initialize
    sys.stdout.write('{"action": "status", "responseFor": "initialize"}\n')
    sys.stdout.flush()
    sys.stdin.readline()  # processRecords
    open(marker, "w").close()
    os._exit(1)
os.execv(sys.executable, [sys.executable, os.path.join(os.path.dirname(__file__), "journal_processor.py")])
