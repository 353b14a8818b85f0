"""Checks a JSON document against an operation's output shape in the Kinesis service model that Debian ships
(awscli's newer copy, else python3-botocore's): member names, required members, types, enums, string
bounds and list maxima. Timestamps are the AWS CLI's ISO 8601 text or aware datetimes (boto3's)."""
import datetime
import json
import pathlib
import re

MODEL_PATHS = [
    pathlib.Path("/usr/lib/python3/dist-packages/awscli/botocore/data/kinesis/2013-12-02/service-2.json"),
    pathlib.Path("/usr/lib/python3/dist-packages/botocore/data/kinesis/2013-12-02/service-2.json"),
]
ISO_8601 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)")


def model():
    for path in MODEL_PATHS:
        if path.exists():
            return json.loads(path.read_text())
    raise FileNotFoundError("no Kinesis service model (install awscli or python3-botocore)")


MODEL = model()


def problems(value, shape_name, where="$"):
    shape = MODEL["shapes"][shape_name]
    kind = shape["type"]
    found = []
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{where}: expected an object for {shape_name}"]
        members = shape.get("members", {})
        for name in shape.get("required", []):
            if name not in value:
                found.append(f"{where}: required member {name} missing")
        for name, item in value.items():
            if name not in members:
                found.append(f"{where}: member {name} is not in {shape_name}")
            else:
                found += problems(item, members[name]["shape"], f"{where}.{name}")
    elif kind == "list":
        if not isinstance(value, list):
            return [f"{where}: expected a list for {shape_name}"]
        # No length check: the model's list bounds are input constraints the service itself does not keep on
        # output (DescribeStream says "ShardLevelMetrics": [] although MetricsNameList has min 1).
        if len(value) > shape.get("max", len(value)):
            found.append(f"{where}: {len(value)} items, more than {shape['max']}")
        for index, item in enumerate(value):
            found += problems(item, shape["member"]["shape"], f"{where}[{index}]")
    elif kind == "string":
        if not isinstance(value, str):
            return [f"{where}: expected a string for {shape_name}"]
        if "enum" in shape and value not in shape["enum"]:
            found.append(f"{where}: {value!r} not in {shape['enum']}")
        if not shape.get("min", 0) <= len(value) <= shape.get("max", len(value)):
            found.append(f"{where}: length {len(value)} outside bounds of {shape_name}")
    elif kind == "integer" or kind == "long":
        if not isinstance(value, int) or isinstance(value, bool):
            return [f"{where}: expected an integer for {shape_name}"]
        if not shape.get("min", value) <= value <= shape.get("max", value):
            found.append(f"{where}: {value} outside bounds of {shape_name}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            found.append(f"{where}: expected a boolean for {shape_name}")
    elif kind == "timestamp":
        # The AWS CLI prints ISO 8601 text; boto3 (and the Python API) hand out aware datetimes.
        aware = isinstance(value, datetime.datetime) and value.tzinfo is not None
        if not aware and not (isinstance(value, str) and ISO_8601.fullmatch(value)):
            found.append(f"{where}: expected an ISO 8601 timestamp or an aware datetime for {shape_name}")
    return found


def assert_output_shape(document, operation):
    output = MODEL["operations"][operation].get("output")
    assert output is not None, f"{operation} has no output shape"
    found = problems(document, output["shape"])
    assert not found, f"{operation} output does not match the model:\n" + "\n".join(found)
