"""Raw requests to `shmstream serve` (no SDK in between) and the model walk of tests/cli/service_model.py over
what comes back on the wire."""
import datetime
import http.client
import json

import service_model


def post(server, operation, body, content_type="application/x-amz-json-1.1", target=None, headers=None,
         connection=None):
    """Returns (status, headers, body bytes)."""
    own = connection is None
    connection = connection or http.client.HTTPConnection(server.host, server.port, timeout=30)
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    all_headers = {"Content-Type": content_type,
                   "X-Amz-Target": target if target is not None else f"Kinesis_20131202.{operation}"}
    all_headers.update(headers or {})
    connection.request("POST", "/", body=body, headers=all_headers)
    response = connection.getresponse()
    data = response.read()
    if own:
        connection.close()
    return response.status, dict(response.getheaders()), data


def as_cli_form(shape_name, value):
    """The wire document with timestamps (epoch seconds) as the ISO text the model walk expects of the CLI."""
    definition = service_model.shape(shape_name)
    kind = definition["type"]
    if kind == "timestamp":
        assert isinstance(value, (int, float)) and not isinstance(value, bool), f"timestamp on the wire: {value!r}"
        return datetime.datetime.fromtimestamp(value, datetime.timezone.utc).isoformat()
    if kind == "structure" and isinstance(value, dict):
        members = definition.get("members", {})
        return {k: as_cli_form(members[k]["shape"], v) if k in members else v for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [as_cli_form(definition["member"]["shape"], item) for item in value]
    return value


def validate_wire_output(operation, document):
    shape_name = service_model.output_shape_name(operation)
    if shape_name is None:
        assert document in ({}, None), document
        return
    service_model.validate_output(operation, as_cli_form(shape_name, document))
