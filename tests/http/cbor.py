"""Just enough CBOR (RFC 8949) for the tests, written from the RFC: Debian's python3 has no CBOR module in the
test set-up. Tagged values decode to Tagged(tag, value)."""
import struct


class Tagged:
    def __init__(self, tag, value):
        self.tag, self.value = tag, value

    def __repr__(self):
        return f"Tagged({self.tag}, {self.value!r})"


def _head(major, argument):
    if argument < 24:
        return bytes([major << 5 | argument])
    for code, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if argument < 1 << (8 * size):
            return bytes([major << 5 | code]) + argument.to_bytes(size, "big")
    raise ValueError(argument)


def dumps(value):
    if isinstance(value, Tagged):
        return _head(6, value.tag) + dumps(value.value)
    if value is None:
        return b"\xf6"
    if value is True or value is False:
        return b"\xf5" if value else b"\xf4"
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, (bytes, bytearray)):
        return _head(2, len(value)) + bytes(value)
    if isinstance(value, str):
        data = value.encode()
        return _head(3, len(data)) + data
    if isinstance(value, list):
        return _head(4, len(value)) + b"".join(dumps(item) for item in value)
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(dumps(k) + dumps(v) for k, v in value.items())
    raise TypeError(type(value))


def loads(data):
    value, offset = _item(data, 0)
    if offset != len(data):
        raise ValueError(f"{len(data) - offset} bytes after the CBOR value")
    return value


def _item(data, offset):
    initial = data[offset]
    major, info = initial >> 5, initial & 31
    offset += 1
    if major == 7:
        if info == 20:
            return False, offset
        if info == 21:
            return True, offset
        if info == 22:
            return None, offset
        if info == 26:
            return struct.unpack(">f", data[offset:offset + 4])[0], offset + 4
        if info == 27:
            return struct.unpack(">d", data[offset:offset + 8])[0], offset + 8
        raise ValueError(f"simple value {info}")
    if info < 24:
        argument = info
    else:
        size = {24: 1, 25: 2, 26: 4, 27: 8}[info]
        argument = int.from_bytes(data[offset:offset + size], "big")
        offset += size
    if major == 0:
        return argument, offset
    if major == 1:
        return -1 - argument, offset
    if major == 2:
        return bytes(data[offset:offset + argument]), offset + argument
    if major == 3:
        return data[offset:offset + argument].decode(), offset + argument
    if major == 4:
        items = []
        for _ in range(argument):
            item, offset = _item(data, offset)
            items.append(item)
        return items, offset
    if major == 5:
        result = {}
        for _ in range(argument):
            key, offset = _item(data, offset)
            result[key], offset = _item(data, offset)
        return result, offset
    value, offset = _item(data, offset)
    return Tagged(argument, value), offset
