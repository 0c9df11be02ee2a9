"""REST-JSON requests carry no operation name on the wire: the sandbox names them from botocore's service model, so
the request log (and the IAM policies recorded from it, docs/iam) names FIS calls as IAM does."""

from __future__ import annotations

import pytest

from sandbox.traffic import rest_json_action


@pytest.mark.parametrize(
    "method, path, operation",
    [
        ("GET", "/experimentTemplates", "ListExperimentTemplates"),
        ("POST", "/experimentTemplates", "CreateExperimentTemplate"),
        ("GET", "/experimentTemplates/EXT1", "GetExperimentTemplate"),
        ("PATCH", "/experimentTemplates/EXT1", "UpdateExperimentTemplate"),
        ("DELETE", "/experimentTemplates/EXT1", "DeleteExperimentTemplate"),
        ("POST", "/experiments", "StartExperiment"),
        ("GET", "/experiments/EXP1", "GetExperiment"),
        ("DELETE", "/experiments/EXP1", "StopExperiment"),
        ("POST", "/tags/arn:aws:fis:us-west-2:123456789012:experiment-template/EXT1", "TagResource"),
        ("GET", "/no/such/route", None),
    ],
)
def test_fis_requests_are_named_after_their_operation(method, path, operation):
    assert rest_json_action("fis", method, path) == operation


def test_an_unknown_service_has_no_names():
    assert rest_json_action("no-such-service", "GET", "/") is None
