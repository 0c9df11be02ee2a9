"""The read layer: each wrapper names its API call, answers None where "not there" is the answer, and raises
amazon.aws's AnsibleAWSError (with the botocore exception) for any other failure."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.nova.infra.plugins.module_utils import aws_reads
from ansible_collections.nova.infra.plugins.module_utils import troubleshoot


def client(service):
    return boto3.client(service, region_name="us-west-2", aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.mark.parametrize("read, service, operation, code, args", [
    (aws_reads.get_bucket_replication, "s3", "get_bucket_replication", "ReplicationConfigurationNotFoundError", ["b"]),
    (aws_reads.get_bucket_replication, "s3", "get_bucket_replication", "NoSuchBucket", ["b"]),
    (aws_reads.get_bucket_tagging, "s3", "get_bucket_tagging", "NoSuchTagSet", ["b"]),
    (aws_reads.get_public_access_block, "s3", "get_public_access_block", "NoSuchPublicAccessBlockConfiguration", ["b"]),
    (aws_reads.describe_key_pair, "ec2", "describe_key_pairs", "InvalidKeyPair.NotFound", ["k"]),
    (aws_reads.get_role, "iam", "get_role", "NoSuchEntity", ["r"]),
    (aws_reads.get_topic_attributes, "sns", "get_topic_attributes", "NotFound", ["arn:aws:sns:us-west-2:1:t"]),
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
            aws_reads.get_bucket_encryption(aws, "b")
    assert raised.value.message == "Failed to read the bucket's encryption"
    assert troubleshoot.exception_code(raised.value.exception) == "AccessDenied"


def test_a_read_answers_what_it_names():
    aws = client("ec2")
    with Stubber(aws) as stub:
        stub.add_response("describe_key_pairs", {"KeyPairs": [{"KeyName": "k", "KeyPairId": "key-1"}]})
        assert aws_reads.describe_key_pair(aws, "k")["KeyPairId"] == "key-1"


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
            aws_reads.get_bucket_versioning(aws, "b")
    with pytest.raises(SystemExit) as failed:
        troubleshoot.fail_aws_error(Module(), raised.value, "Failed to read the stack")
    result = failed.value.args[0]
    assert result["msg"] == "Failed to read the stack (Failed to read the bucket's versioning)"
    assert result["troubleshooting"]["code"] == "AccessDenied"
