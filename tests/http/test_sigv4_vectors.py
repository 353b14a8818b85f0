"""The expected signature of tests/http/test_sigv4_vectors.cpp (the AWS SigV4 test suite's "get-vanilla"
example) is what botocore's own signer computes for that request: the constant is checked independently of
shmstream's signer."""
import datetime
from unittest import mock

import botocore.auth
import botocore.awsrequest
import botocore.credentials

GET_VANILLA_SIGNATURE = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"


def test_botocore_signs_get_vanilla_with_the_published_signature():
    credentials = botocore.credentials.Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    request = botocore.awsrequest.AWSRequest(method="GET", url="https://example.amazonaws.com/")
    signed_at = datetime.datetime(2015, 8, 30, 12, 36, 0)
    with mock.patch("botocore.auth.datetime") as clock:
        clock.datetime.utcnow.return_value = signed_at
        clock.datetime.now.return_value = signed_at
        botocore.auth.SigV4Auth(credentials, "service", "us-east-1").add_auth(request)
    assert request.headers["X-Amz-Date"] == "20150830T123600Z"
    authorization = request.headers["Authorization"]
    assert "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request" in authorization
    assert "SignedHeaders=host;x-amz-date" in authorization
    assert authorization.endswith("Signature=" + GET_VANILLA_SIGNATURE)
    # The C++ test holds the same constant.
    with open(__file__.replace(".py", ".cpp")) as source:
        assert GET_VANILLA_SIGNATURE in source.read()
