"""The read layer: each wrapper names its API call, answers None where "not there" is the answer, and raises
amazon.aws's AnsibleAWSError (with the botocore exception) for any other failure."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.nova.infra.plugins.module_utils import aws_calls
from ansible_collections.nova.infra.plugins.module_utils import troubleshoot


def client(service):
    return boto3.client(service, region_name="us-west-2", aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.mark.parametrize("read, service, operation, code, args", [
    (aws_calls.get_bucket_replication, "s3", "get_bucket_replication", "ReplicationConfigurationNotFoundError", ["b"]),
    (aws_calls.get_bucket_replication, "s3", "get_bucket_replication", "NoSuchBucket", ["b"]),
    (aws_calls.get_bucket_tagging, "s3", "get_bucket_tagging", "NoSuchTagSet", ["b"]),
    (aws_calls.get_public_access_block, "s3", "get_public_access_block", "NoSuchPublicAccessBlockConfiguration", ["b"]),
    (aws_calls.describe_key_pair, "ec2", "describe_key_pairs", "InvalidKeyPair.NotFound", ["k"]),
    (aws_calls.get_role, "iam", "get_role", "NoSuchEntity", ["r"]),
    (aws_calls.get_topic_attributes, "sns", "get_topic_attributes", "NotFound", ["arn:aws:sns:us-west-2:1:t"]),
])
def test_not_there_is_none(read, service, operation, code, args):
    aws = client(service)
    with Stubber(aws) as stub:
        stub.add_client_error(operation, service_error_code=code)
        assert read(aws, *args) is None


def test_another_error_raises_the_collections_error_with_the_aws_one_inside():
    aws = client("s3")
    with Stubber(aws) as stub:
        stub.add_client_error("get_bucket_encryption", service_error_code="AccessDenied", http_status_code=403)
        with pytest.raises(AnsibleAWSError) as raised:
            aws_calls.get_bucket_encryption(aws, "b")
    assert raised.value.message == "Failed to read the encryption of bucket b"
    assert troubleshoot.exception_code(raised.value.exception) == "AccessDenied"


def test_a_read_answers_what_it_names():
    aws = client("ec2")
    with Stubber(aws) as stub:
        stub.add_response("describe_key_pairs", {"KeyPairs": [{"KeyName": "k", "KeyPairId": "key-1"}]})
        assert aws_calls.describe_key_pair(aws, "k")["KeyPairId"] == "key-1"


def test_fail_aws_error_adds_the_guidance():
    class Module:
        def fail_json_aws(self, exception, msg=None, **kwargs):
            raise SystemExit({"msg": msg, **kwargs})

        def fail_json(self, **kwargs):
            raise SystemExit(kwargs)

    aws = client("s3")
    with Stubber(aws) as stub:
        stub.add_client_error("get_bucket_versioning", service_error_code="AccessDenied", http_status_code=403)
        with pytest.raises(AnsibleAWSError) as raised:
            aws_calls.get_bucket_versioning(aws, "b")
    with pytest.raises(SystemExit) as failed:
        troubleshoot.fail_aws_error(Module(), raised.value, "Failed to read the stack")
    result = failed.value.args[0]
    assert result["msg"] == "Failed to read the stack (Failed to read the versioning of bucket b)"
    assert result["troubleshooting"]["code"] == "AccessDenied"


def test_the_message_names_the_calls_arguments():
    aws = client("s3")
    with Stubber(aws) as stub:
        stub.add_client_error("put_bucket_replication", service_error_code="InvalidRequest", http_status_code=400)
        with pytest.raises(AnsibleAWSError) as raised:
            aws_calls.put_bucket_replication(aws, "nova-backup", {"Role": "r", "Rules": []})
    assert raised.value.message == "Failed to put the replication configuration of bucket nova-backup"


def test_a_delete_of_something_gone_is_false():
    aws = client("s3")
    with Stubber(aws) as stub:
        stub.add_client_error("delete_bucket_replication", service_error_code="NoSuchBucket", http_status_code=404)
        assert aws_calls.delete_bucket_replication(aws, "b") is False


def test_operation_aborted_is_retried_on_object_calls_and_throttling_is_left_to_botocore(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    aws = client("s3")
    with Stubber(aws) as stub:
        stub.add_client_error("get_object_tagging", service_error_code="OperationAborted", http_status_code=409)
        stub.add_response("get_object_tagging", {"TagSet": [{"Key": "k", "Value": "v"}]})
        assert aws_calls.get_object_tagging(aws, "b", "key") == [{"Key": "k", "Value": "v"}]
        # The stubber skips botocore's retry handler: one SlowDown answer is one failure here, not AWSRetry's ten.
        stub.add_client_error("get_object_tagging", service_error_code="SlowDown", http_status_code=503)
        with pytest.raises(AnsibleAWSError):
            aws_calls.get_object_tagging(aws, "b", "key")
        stub.assert_no_pending_responses()


def test_every_call_of_the_layer_carries_its_error_handler():
    """A wrapper without the handler would leak botocore's exceptions past the modules' one place for them."""
    import inspect

    wrappers = [
        function
        for name, function in vars(aws_calls).items()
        if inspect.isfunction(function) and not name.startswith("_") and function.__module__ == aws_calls.__name__
        and name not in ("retried", "client_config", "connect", "unresolved_account_host")  # the layer's non-calls
    ]
    assert len(wrappers) > 40
    for function in wrappers:
        assert hasattr(function, "__wrapped__"), function.__name__


def test_connect_gives_the_default_retries_and_config_over_them():
    seen = {}

    class Module:
        region = "us-west-2"

        def client(self, service, config=None, **extra):
            seen.update(service=service, config=config, **extra)

    aws_calls.connect(Module(), "s3", region="us-east-1", max_pool_connections=68)
    assert seen["config"].retries == aws_calls.DEFAULT_RETRIES and seen["config"].max_pool_connections == 68
    assert seen["region"] == "us-east-1"
    seen.clear()
    aws_calls.connect(Module(), "s3control", config={"proxies": {"http": "http://proxy:3128"}})
    assert seen["config"].proxies == {"http": "http://proxy:3128"} and "region" not in seen


def s3control_client(**config):
    from botocore.config import Config

    return boto3.client("s3control", region_name="us-west-2", endpoint_url="http://127.0.0.1:9",
                        aws_access_key_id="testing", aws_secret_access_key="testing", config=Config(**config))


@pytest.fixture
def no_proxy_env(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


def test_an_ip_endpoints_account_host_is_unresolved_without_a_proxy(no_proxy_env):
    assert aws_calls.unresolved_account_host(s3control_client(), "123456789012", "http://127.0.0.1:9") == (
        "123456789012.127.0.0.1"
    )


def test_a_proxy_in_the_config_or_the_environment_is_trusted_to_reach_it(no_proxy_env, monkeypatch):
    proxied = s3control_client(proxies={"http": "http://127.0.0.1:8"})
    assert aws_calls.unresolved_account_host(proxied, "123456789012", "http://127.0.0.1:9") is None
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:8")
    assert aws_calls.unresolved_account_host(s3control_client(), "123456789012", "http://127.0.0.1:9") is None


def test_a_resolvable_account_host_or_awss_own_endpoint_is_left_to_botocore(no_proxy_env, monkeypatch):
    # AWS's own endpoints (no endpoint_url of the task's): no lookup at all; botocore (or a test's mock) decides.
    monkeypatch.setattr(aws_calls.socket, "getaddrinfo", lambda *args: pytest.fail("looked up"))
    assert aws_calls.unresolved_account_host(s3control_client(), "123456789012", None) is None
    monkeypatch.setattr(aws_calls.socket, "getaddrinfo", lambda host, port: [("resolved", host, port)])
    assert aws_calls.unresolved_account_host(s3control_client(), "123456789012", "http://127.0.0.1:9") is None
