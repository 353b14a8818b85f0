"""Readers behind the trim horizon: ExpiredIteratorException, or skip ahead with skip_expired=True."""

import pytest

import shmstream


def test_reader_behind_the_trim_horizon(make_stream):
    # A two-segment byte cap: producers trim the oldest segments themselves as they roll.
    stream = make_stream(segment_size=4096, retention_bytes=2 * 4096)
    stream.put("k", b"first")
    behind = stream.iterator(0, "TRIM_HORIZON")
    skipping = stream.iterator(0, "TRIM_HORIZON", skip_expired=True)
    for i in range(400):
        stream.put("k", b"record-%d" % i)
    with pytest.raises(shmstream.ExpiredIteratorException) as raised:
        behind.get_records()
    assert isinstance(raised.value, shmstream.Error)
    records = skipping.get_records().records
    assert records, "skip_expired continues at the trim horizon"
    assert records[-1].data == b"record-399"
    assert records[0].data != b"first"
