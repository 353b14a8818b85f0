"""The Kinesis service model (botocore's service-2.json) as a test oracle.

Everything here reads the model file: output shapes to validate a response against, and the constraints of an
operation's input members (patterns, lengths, ranges, enums) to derive requests that break exactly one of them.
Nothing restates the model by hand, so a newer model tightens the tests by itself. Used by the CLI tests and
meant for the HTTP endpoint tests as well.
"""
import base64
import datetime
import functools
import json
import os
import re

# Debian's awscli vendors a newer botocore data directory (ListStreams' NextToken and StreamSummaries, StreamARN
# members); python3-botocore's may be older. The copy with more shapes is the newer one.
MODEL_CANDIDATES = (
    "/usr/lib/python3/dist-packages/awscli/botocore/data/kinesis/2013-12-02/service-2.json",
    "/usr/lib/python3/dist-packages/botocore/data/kinesis/2013-12-02/service-2.json",
)


@functools.lru_cache(maxsize=None)
def load_model():
    models = []
    for path in MODEL_CANDIDATES:
        if os.path.exists(path):
            with open(path, encoding="utf-8") as file:
                models.append(json.load(file))
    if not models:
        raise FileNotFoundError("no Kinesis service-2.json: install python3-botocore or awscli")
    return max(models, key=lambda model: (len(model["shapes"]), len(model["operations"])))


def shape(name):
    return load_model()["shapes"][name]


def operations():
    return load_model()["operations"]


def operation_for_command(command):
    """'describe-stream-summary' -> 'DescribeStreamSummary', or None when the model has no such operation."""
    for name in operations():
        if command_for_operation(name) == command:
            return name
    return None


def command_for_operation(operation):
    return _kebab(operation)


def flag_for_member(member):
    """The aws CLI's flag for an input member: 'ExclusiveStartShardId' -> '--exclusive-start-shard-id'."""
    return "--" + _kebab(member)


def _kebab(name):
    # botocore's xform_name rule: split before a capital that starts a word, keep acronyms (ARN) together.
    from botocore import xform_name
    return xform_name(name).replace("_", "-")


def output_shape_name(operation):
    output = operations()[operation].get("output")
    return output["shape"] if output else None


def input_shape_name(operation):
    request = operations()[operation].get("input")
    return request["shape"] if request else None


def error_shapes(operation):
    return {error["shape"] for error in operations()[operation].get("errors", [])}


# --- Output validation ----------------------------------------------------------------------------------------

class ShapeError(AssertionError):
    pass


def validate_output(operation, document):
    """Asserts that `document` (the parsed JSON the CLI printed) has exactly the operation's output shape."""
    shape_name = output_shape_name(operation)
    if shape_name is None:
        if document not in (None, {}):
            raise ShapeError(f"{operation} has no output, got {document!r}")
        return
    validate_value(shape_name, document, operation)


def validate_value(shape_name, value, path):
    definition = shape(shape_name)
    kind = definition["type"]
    check = _CHECKS.get(kind)
    if check is None:
        raise ShapeError(f"{path}: the validator does not know shape type {kind} ({shape_name})")
    check(shape_name, definition, value, path)


def _fail(path, message):
    raise ShapeError(f"{path}: {message}")


def _check_structure(shape_name, definition, value, path):
    if not isinstance(value, dict):
        _fail(path, f"expected a {shape_name} object, got {type(value).__name__}")
    members = definition.get("members", {})
    unknown = sorted(set(value) - set(members))
    if unknown:
        _fail(path, f"members {unknown} are not in {shape_name} (members: {sorted(members)})")
    for required in definition.get("required", []):
        if required not in value:
            _fail(path, f"required member {required} of {shape_name} is missing")
    for member, member_value in value.items():
        validate_value(members[member]["shape"], member_value, f"{path}.{member}")


# Output checks: member names, types, required members, enums, string lengths and patterns. Not numeric ranges or
# list lengths: output shapes share them with inputs, and the service itself answers FailedRecordCount 0 and
# "EnhancedMonitoring": [{"ShardLevelMetrics": []}] where those shapes say min 1.

def _check_list(shape_name, definition, value, path):
    if not isinstance(value, list):
        _fail(path, f"expected a list ({shape_name}), got {type(value).__name__}")
    for index, item in enumerate(value):
        validate_value(definition["member"]["shape"], item, f"{path}[{index}]")


def _check_map(shape_name, definition, value, path):
    if not isinstance(value, dict):
        _fail(path, f"expected a map ({shape_name}), got {type(value).__name__}")
    for key, item in value.items():
        validate_value(definition["key"]["shape"], key, f"{path} key {key!r}")
        validate_value(definition["value"]["shape"], item, f"{path}[{key!r}]")


def _check_string(shape_name, definition, value, path):
    if not isinstance(value, str):
        _fail(path, f"expected a string ({shape_name}), got {value!r}")
    _check_bounds(definition, len(value), path, "length")
    if "enum" in definition and value not in definition["enum"]:
        _fail(path, f"{value!r} is not one of {definition['enum']}")
    pattern = definition.get("pattern")
    if pattern is not None and not re.fullmatch(pattern, value):
        _fail(path, f"{value!r} does not match {pattern}")


def _check_integer(shape_name, definition, value, path):
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(path, f"expected an integer ({shape_name}), got {value!r}")
    if definition["type"] == "integer" and not -2**31 <= value < 2**31:
        _fail(path, f"{value} does not fit a 32-bit integer")


def _check_boolean(shape_name, definition, value, path):
    if not isinstance(value, bool):
        _fail(path, f"expected a boolean ({shape_name}), got {value!r}")


def _check_timestamp(shape_name, definition, value, path):
    # The aws CLI prints timestamps as ISO 8601 text (its default cli_timestamp_format).
    if not isinstance(value, str):
        _fail(path, f"expected an ISO 8601 timestamp, got {value!r}")
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        _fail(path, f"{value!r} is not an ISO 8601 timestamp")
    if parsed.tzinfo is None:
        _fail(path, f"{value!r} has no time zone")


def _check_blob(shape_name, definition, value, path):
    if not isinstance(value, str):
        _fail(path, f"expected base64 text for blob {shape_name}, got {value!r}")
    try:
        data = base64.b64decode(value, validate=True)
    except ValueError:
        _fail(path, f"{value[:40]!r} is not base64")
    _check_bounds(definition, len(data), path, "length")


def _check_bounds(definition, measured, path, what):
    if "min" in definition and measured < definition["min"]:
        _fail(path, f"{what} {measured} is below the minimum {definition['min']}")
    if "max" in definition and measured > definition["max"]:
        _fail(path, f"{what} {measured} is above the maximum {definition['max']}")


_CHECKS = {
    "structure": _check_structure,
    "list": _check_list,
    "map": _check_map,
    "string": _check_string,
    "integer": _check_integer,
    "long": _check_integer,
    "boolean": _check_boolean,
    "timestamp": _check_timestamp,
    "blob": _check_blob,
}


# --- Input constraints ----------------------------------------------------------------------------------------

class MapEntries:
    """A map value derived from the request's first entry: `count` entries with that value under numbered copies of
    its key (for a map's max entries), or that one entry with its key or value replaced."""

    def __init__(self, count=1, key=None, value=None):
        self.count, self.key, self.value = count, key, value

    def __repr__(self):
        if self.key is not None:
            return f"<key {self.key!r}>"
        return f"<value {self.value!r}>" if self.value is not None else f"<{self.count} entries>"

    def build(self, first):
        key, value = next(iter(first.items()))
        if self.key is not None or self.value is not None:
            return {self.key if self.key is not None else key: self.value if self.value is not None else value}
        return {f"{key}{i}": value for i in range(self.count)}


class RepeatFirst:
    """A list value made of `count` copies of the request's first element (for a list's max items)."""

    def __init__(self, count):
        self.count = count

    def __repr__(self):
        return f"<{self.count} items>"


class Violation:
    """One input that breaks one model constraint: `member_path` is a list of member names / list indexes."""

    def __init__(self, member_path, value, constraint):
        self.member_path = member_path
        self.value = value
        self.constraint = constraint

    def __repr__(self):
        where = ".".join(str(step) for step in self.member_path)
        shown = self.value if not isinstance(self.value, str) or len(self.value) < 40 else \
            f"<{len(self.value)} characters>"
        return f"{where}={shown!r} ({self.constraint})"


# Text to try against a pattern: a value that fails to match it violates the pattern (and nothing else, when its
# length is within the shape's bounds).
_PATTERN_PROBES = ("a b", "bad/name", "é", "01", "-1", "1.5", "x" * 3, "shardId-1 ", "arn:aws:kinesis:x:1:stream/s",
                   "!", "\t", "0x10")


def violations(shape_name, path=()):
    """Every single-constraint violation the model defines for a value of `shape_name` (recursively)."""
    definition = shape(shape_name)
    kind = definition["type"]
    found = []
    if kind == "string":
        pattern = definition.get("pattern")
        low, high = definition.get("min", 0), definition.get("max")
        filler = _matching_character(pattern)
        if low >= 1:
            found.append(Violation(list(path), "", f"min length {low}"))
        if high is not None and filler is not None:
            found.append(Violation(list(path), filler * (high + 1), f"max length {high}"))
        if "enum" in definition:
            found.append(Violation(list(path), "NOT_A_MEMBER", f"enum {definition['enum']}"))
        if pattern is not None:
            for probe in _PATTERN_PROBES:
                if low <= len(probe) <= (high or len(probe)) and not re.fullmatch(pattern, probe):
                    found.append(Violation(list(path), probe, f"pattern {pattern}"))
    elif kind in ("integer", "long"):
        if "min" in definition:
            found.append(Violation(list(path), definition["min"] - 1, f"min {definition['min']}"))
        if "max" in definition:
            found.append(Violation(list(path), definition["max"] + 1, f"max {definition['max']}"))
    elif kind == "blob":
        if "max" in definition:
            found.append(Violation(list(path), b"x" * (definition["max"] + 1), f"max length {definition['max']}"))
    elif kind == "list":
        if definition.get("min", 0) >= 1:
            found.append(Violation(list(path), [], f"min items {definition['min']}"))
        if "max" in definition:
            found.append(Violation(list(path), RepeatFirst(definition["max"] + 1), f"max items {definition['max']}"))
        found += violations(definition["member"]["shape"], (*path, 0))
    elif kind == "map":
        if definition.get("min", 0) >= 1:
            found.append(Violation(list(path), {}, f"min entries {definition['min']}"))
        if "max" in definition:
            found.append(Violation(list(path), MapEntries(count=definition["max"] + 1),
                                   f"max entries {definition['max']}"))
        for key in violations(definition["key"]["shape"]):
            found.append(Violation(list(path), MapEntries(key=key.value), f"key: {key.constraint}"))
        for value in violations(definition["value"]["shape"]):
            found.append(Violation(list(path), MapEntries(value=value.value), f"value: {value.constraint}"))
    elif kind == "structure":
        for member, reference in definition.get("members", {}).items():
            found += violations(reference["shape"], (*path, member))
    return found


def _matching_character(pattern):
    """A character that repeated any number of times matches `pattern` (None when none of a few does)."""
    for character in ("a", "1", "x"):
        if pattern is None or (re.fullmatch(pattern, character) and re.fullmatch(pattern, character * 3)):
            return character
    return None


def input_violations(operation):
    """(top-level member, Violation) for every constraint of the operation's input members."""
    input_name = input_shape_name(operation)
    if input_name is None:
        return []
    found = []
    for member, reference in shape(input_name).get("members", {}).items():
        found += [(member, violation) for violation in violations(reference["shape"], (member,))]
    return found


def input_members(operation):
    input_name = input_shape_name(operation)
    return dict(shape(input_name).get("members", {})) if input_name else {}


def member_shape(operation, member):
    return shape(input_members(operation)[member]["shape"])


def with_violation(document, violation):
    """A copy of the JSON request `document` with the violating value placed at the violation's path."""
    document = json.loads(json.dumps(document))
    target = document
    steps = violation.member_path
    for step in steps[:-1]:
        target = target[step]
    value = violation.value
    if isinstance(value, MapEntries):
        value = value.build(target[steps[-1]])
    if isinstance(value, RepeatFirst):
        value = [target[steps[-1]][0]] * value.count
    if isinstance(value, bytes):
        value = base64.b64encode(value).decode()
    target[steps[-1]] = value
    return document
