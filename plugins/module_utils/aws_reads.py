# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWS reads of the collection's read-only modules, in amazon.aws's style (its module_utils/ec2.py): one named
wrapper per API call, so every call can be found by its name.

Each wrapper is retried by READ_RETRY (AWSRetry's jittered backoff, which also retries S3's SlowDown). A read whose
"not there" error is itself the answer (no replication configuration, no such key pair) returns None for it through
an ``AWSErrorHandler.list_error_handler``, so callers never compare error codes; any other failure raises amazon.aws's
``AnsibleAWSError`` carrying the botocore exception, which the module turns into ``fail_json`` with the
troubleshooting guidance (``troubleshoot.fail_aws_error``).
"""

from typing import Any
from typing import Dict
from typing import List
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

READ_RETRY = AWSRetry.jittered_backoff(catch_extra_error_codes=["SlowDown"])


def _absent_when(description: str, *codes: str):
    """The error handler of a read that answers one of ``codes`` when the thing read does not exist: None then."""

    class Absent(AWSErrorHandler):
        @classmethod
        def _is_missing(cls):
            return is_boto3_error_code(list(codes))

    return Absent.list_error_handler(description)


def _all_pages(client, operation: str, key: str, **params) -> List[Dict[str, Any]]:
    return client.get_paginator(operation).paginate(**params).build_full_result()[key]


# ---------------------------------------------------------------- STS, IAM


@AWSErrorHandler.common_error_handler("read the caller's identity")
@READ_RETRY
def get_caller_identity(client) -> Dict[str, Any]:
    return client.get_caller_identity()


@_absent_when("read the IAM role", "NoSuchEntity")
@READ_RETRY
def get_role(client, name: str) -> Optional[Dict[str, Any]]:
    return client.get_role(RoleName=name)["Role"]


# ---------------------------------------------------------------- EC2


@AWSErrorHandler.common_error_handler("describe VPCs")
@READ_RETRY
def describe_vpcs(client, **params) -> List[Dict[str, Any]]:
    return _all_pages(client, "describe_vpcs", "Vpcs", **params)


@AWSErrorHandler.common_error_handler("describe a VPC attribute")
@READ_RETRY
def describe_vpc_attribute(client, vpc_id: str, attribute: str) -> Any:
    """The value of ``attribute`` (enableDnsSupport, enableDnsHostnames, ...) of the VPC."""
    answer = client.describe_vpc_attribute(VpcId=vpc_id, Attribute=attribute)
    return answer[attribute[0].upper() + attribute[1:]]["Value"]


@AWSErrorHandler.common_error_handler("describe subnets")
@READ_RETRY
def describe_subnets(client, **params) -> List[Dict[str, Any]]:
    return _all_pages(client, "describe_subnets", "Subnets", **params)


@AWSErrorHandler.common_error_handler("describe internet gateways")
@READ_RETRY
def describe_internet_gateways(client, **params) -> List[Dict[str, Any]]:
    return _all_pages(client, "describe_internet_gateways", "InternetGateways", **params)


@AWSErrorHandler.common_error_handler("describe NAT gateways")
@READ_RETRY
def describe_nat_gateways(client, **params) -> List[Dict[str, Any]]:
    return _all_pages(client, "describe_nat_gateways", "NatGateways", **params)


@AWSErrorHandler.common_error_handler("describe Elastic IP addresses")
@READ_RETRY
def describe_addresses(client, **params) -> List[Dict[str, Any]]:
    # DescribeAddresses has no paginator: it answers with every address the filters match.
    return client.describe_addresses(**params)["Addresses"]


@AWSErrorHandler.common_error_handler("describe route tables")
@READ_RETRY
def describe_route_tables(client, **params) -> List[Dict[str, Any]]:
    return _all_pages(client, "describe_route_tables", "RouteTables", **params)


@AWSErrorHandler.common_error_handler("describe security groups")
@READ_RETRY
def describe_security_groups(client, **params) -> List[Dict[str, Any]]:
    return _all_pages(client, "describe_security_groups", "SecurityGroups", **params)


@AWSErrorHandler.common_error_handler("describe flow logs")
@READ_RETRY
def describe_flow_logs(client, **params) -> List[Dict[str, Any]]:
    return _all_pages(client, "describe_flow_logs", "FlowLogs", **params)


@AWSErrorHandler.common_error_handler("describe instances")
@READ_RETRY
def describe_instances(client, **params) -> List[Dict[str, Any]]:
    """The instances of every reservation the filters match."""
    reservations = _all_pages(client, "describe_instances", "Reservations", **params)
    return [instance for reservation in reservations for instance in reservation["Instances"]]


@_absent_when("describe the key pair", "InvalidKeyPair.NotFound")
@READ_RETRY
def describe_key_pair(client, name: str) -> Optional[Dict[str, Any]]:
    pairs = client.describe_key_pairs(KeyNames=[name])["KeyPairs"]
    return pairs[0] if pairs else None


@_absent_when("describe the launch template", "InvalidLaunchTemplateName.NotFoundException")
@READ_RETRY
def describe_launch_template(client, name: str) -> Optional[Dict[str, Any]]:
    templates = client.describe_launch_templates(LaunchTemplateNames=[name])["LaunchTemplates"]
    return templates[0] if templates else None


@AWSErrorHandler.common_error_handler("describe the launch template's versions")
@READ_RETRY
def describe_launch_template_versions(client, template_id: str, versions: List[str]) -> List[Dict[str, Any]]:
    return client.describe_launch_template_versions(LaunchTemplateId=template_id, Versions=versions)[
        "LaunchTemplateVersions"
    ]


# ---------------------------------------------------------------- Auto Scaling, CloudWatch, SNS


@AWSErrorHandler.common_error_handler("describe Auto Scaling groups")
@READ_RETRY
def describe_auto_scaling_groups(client, **params) -> List[Dict[str, Any]]:
    return _all_pages(client, "describe_auto_scaling_groups", "AutoScalingGroups", **params)


@AWSErrorHandler.common_error_handler("describe CloudWatch alarms")
@READ_RETRY
def describe_metric_alarms(client, **params) -> List[Dict[str, Any]]:
    return _all_pages(client, "describe_alarms", "MetricAlarms", **params)


@AWSErrorHandler.common_error_handler("list the SNS topics")
@READ_RETRY
def list_topics(client) -> List[Dict[str, str]]:
    return _all_pages(client, "list_topics", "Topics")


@_absent_when("read the SNS topic's attributes", "NotFound")
@READ_RETRY
def get_topic_attributes(client, arn: str) -> Optional[Dict[str, Any]]:
    return client.get_topic_attributes(TopicArn=arn)["Attributes"]


@AWSErrorHandler.common_error_handler("list the SNS topic's tags")
@READ_RETRY
def list_topic_tags(client, arn: str) -> List[Dict[str, str]]:
    return client.list_tags_for_resource(ResourceArn=arn).get("Tags", [])


@AWSErrorHandler.common_error_handler("list the SNS topic's subscriptions")
@READ_RETRY
def list_subscriptions_by_topic(client, arn: str) -> List[Dict[str, Any]]:
    return _all_pages(client, "list_subscriptions_by_topic", "Subscriptions", TopicArn=arn)


# ---------------------------------------------------------------- S3, S3 Control


@_absent_when("read the bucket's location", "NoSuchBucket")
@READ_RETRY
def get_bucket_location(client, bucket: str) -> Optional[Dict[str, Any]]:
    return client.get_bucket_location(Bucket=bucket)


@_absent_when("read the bucket's Block Public Access", "NoSuchPublicAccessBlockConfiguration")
@READ_RETRY
def get_public_access_block(client, bucket: str) -> Optional[Dict[str, Any]]:
    return client.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]


@_absent_when("read the bucket's encryption", "ServerSideEncryptionConfigurationNotFoundError")
@READ_RETRY
def get_bucket_encryption(client, bucket: str) -> Optional[Dict[str, Any]]:
    return client.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]


@_absent_when("read the bucket's tags", "NoSuchTagSet")
@READ_RETRY
def get_bucket_tagging(client, bucket: str) -> Optional[List[Dict[str, str]]]:
    return client.get_bucket_tagging(Bucket=bucket)["TagSet"]


@_absent_when("read the bucket's versioning", "NoSuchBucket", "404")
@READ_RETRY
def get_bucket_versioning(client, bucket: str) -> Optional[Dict[str, Any]]:
    return client.get_bucket_versioning(Bucket=bucket)


@_absent_when("read the bucket's ownership controls", "OwnershipControlsNotFoundError")
@READ_RETRY
def get_bucket_ownership_controls(client, bucket: str) -> Optional[Dict[str, Any]]:
    return client.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]


@_absent_when("read the bucket's policy", "NoSuchBucketPolicy")
@READ_RETRY
def get_bucket_policy(client, bucket: str) -> Optional[str]:
    """The bucket policy as the JSON text S3 keeps, or None."""
    return client.get_bucket_policy(Bucket=bucket)["Policy"]


@_absent_when("read the bucket's replication", "ReplicationConfigurationNotFoundError", "NoSuchBucket")
@READ_RETRY
def get_bucket_replication(client, bucket: str) -> Optional[Dict[str, Any]]:
    return client.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]


@_absent_when("read the account's Block Public Access", "NoSuchPublicAccessBlockConfiguration")
@READ_RETRY
def get_account_public_access_block(client, account_id: str) -> Optional[Dict[str, Any]]:
    return client.get_public_access_block(AccountId=account_id)["PublicAccessBlockConfiguration"]
