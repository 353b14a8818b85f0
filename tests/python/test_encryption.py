"""Stream encryption from Python, and an independent decryption of the raw files: with nothing but
docs/FORMAT.md ("Encrypted frames", "Key files", the StreamHeader table) and python3-cryptography, the segment
bytes decrypt to exactly what was put, which proves the format is what the document says.
"""
import glob
import json
import os
import struct
import subprocess
import uuid as uuidlib

import pytest

import shmstream

cryptography = pytest.importorskip("cryptography", reason="python3-cryptography (Debian) is needed")
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from cryptography.hazmat.primitives.kdf.hkdf import HKDF  # noqa: E402

DATA, PAD = 1, 2
CHECKSUM, ENCRYPTED = 0x01, 0x02


@pytest.fixture
def key_dir(tmp_path, monkeypatch):
    directory = str(tmp_path / "keys")
    monkeypatch.setenv("SHMSTREAM_KEY_DIR", directory)
    return directory


def decrypt_segments(stream_directory, key_directory):
    """Every DATA frame of every segment of shard 0, decrypted where ENCRYPTED: [(position, key, data, sealed)]."""
    meta = open(os.path.join(stream_directory, "stream.meta"), "rb").read()
    stream_uuid = meta[80:96]
    segment_size = struct.unpack_from("<Q", meta, 16)[0]
    generations = {}
    for slot in range(32):
        generation, _reserved = struct.unpack_from("<II", meta, 1272 + 24 * slot)
        if generation:
            key_uuid = str(uuidlib.UUID(bytes=meta[1272 + 24 * slot + 8:1272 + 24 * slot + 24]))
            key_file = open(os.path.join(key_directory, key_uuid + ".key"), "rb").read()
            assert key_file[:4] == b"SKEY" and struct.unpack_from("<H", key_file, 4)[0] == 1
            master = key_file[32:64]
            data_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                            info=stream_uuid + struct.pack("<I", generation)).derive(master)
            generations[slot] = AESGCM(data_key)
    out = []
    for path in sorted(glob.glob(os.path.join(stream_directory, "shards", "0", "*.seg"))):
        raw = open(path, "rb").read()
        base = struct.unpack_from("<Q", raw, 8)[0]
        offset = 64
        while offset < segment_size:
            state, arrival = struct.unpack_from("<Qq", raw, offset)
            length = state & 0xffffffff
            if length == 0 or length >= 1 << 31:
                break  # free or claimed: the end of what was written
            kind, flags, key_length = (state >> 32) & 0xff, (state >> 40) & 0xff, state >> 48
            footprint = (length + 15) & ~15
            if kind == DATA:
                trailers = (8 if flags & CHECKSUM else 0) + (16 if flags & ENCRYPTED else 0)
                payload = raw[offset + 16:offset + length - trailers]
                position = base + offset
                if flags & ENCRYPTED:
                    tag = raw[offset + length - 16:offset + length]
                    nonce = struct.pack("<IQ", 0, position)
                    aad = struct.pack("<QQq", position, state, arrival)
                    payload = generations[(flags >> 2) & 0x1f].decrypt(nonce, payload + tag, aad)
                out.append((position, payload[:key_length], payload[key_length:], bool(flags & ENCRYPTED)))
            offset += footprint
    return out


@pytest.mark.parametrize("checksums", [False, True])
def test_raw_segments_decrypt_independently_as_documented(make_stream, key_dir, checksums):
    stream = make_stream(segment_size=1 << 14, checksums=checksums)
    expected = [(b"plain-0", b"first plain record", False)]
    stream.put("plain-0", b"first plain record")
    stream.start_encryption("alias/aws/kinesis")
    for i in range(200):  # rolls segments
        key, data = f"sealed-{i % 7}".encode(), f"TOP-SECRET-{i:04}".encode() * (1 + i % 5)
        stream.put(key, data)
        expected.append((key, data, True))
    assert any(name.endswith(".key") for name in os.listdir(key_dir))
    # A second key (made with the CLI's kms create-key): a new generation.
    cli = os.environ.get("SHMSTREAM_CLI")
    if cli:
        made = subprocess.run([cli, "kms", "create-key"], capture_output=True, text=True, check=True).stdout
        stream.start_encryption(json.loads(made)["KeyMetadata"]["KeyId"])
        stream.put("second-generation", b"TOP-SECRET-second")
        expected.append((b"second-generation", b"TOP-SECRET-second", True))
    stream.stop_encryption()
    stream.put("plain-1", b"last plain record")
    expected.append((b"plain-1", b"last plain record", False))

    decrypted = decrypt_segments(os.path.join(stream.root, stream.name), key_dir)
    assert [(k, d, sealed) for _, k, d, sealed in decrypted] == expected
    # The library reads the same, transparently.
    reopened = shmstream.Stream.open(stream.name, root=stream.root)
    assert [(r.partition_key.encode(), bytes(r.data)) for r in reopened.records()] == [(k, d) for k, d, _ in expected]
    for path in glob.glob(os.path.join(stream.root, stream.name, "shards", "*", "*.seg")):
        content = open(path, "rb").read()
        assert b"TOP-SECRET" not in content and b"sealed-" not in content


def test_describe_and_errors(make_stream, key_dir):
    stream = make_stream()
    assert stream.describe()["EncryptionType"] == "NONE" and "KeyId" not in stream.describe()
    with pytest.raises(shmstream.KMSNotFoundException):
        stream.start_encryption("alias/nothing")
    with pytest.raises(shmstream.InvalidArgumentException):
        stream.start_encryption("alias/aws/kinesis", encryption_type="NONE")
    stream.start_encryption("alias/aws/kinesis")
    description = stream.describe()
    assert description["EncryptionType"] == "KMS" and description["KeyId"] == "alias/aws/kinesis"
    stream.put("k", b"v")
    assert [bytes(r.data) for r in stream.records()] == [b"v"]
    assert issubclass(shmstream.KMSAccessDeniedException, PermissionError)
