# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's one AWS call layer, in amazon.aws's style (its module_utils/ec2.py): one named wrapper per API
call, so every call the modules make can be found by its name.

Errors. Each wrapper carries an ``AWSErrorHandler`` handler (``_Handler``: amazon.aws's, with the call's arguments
filled into its description, e.g. "read the replication configuration of bucket {bucket}"). A read whose "not
there" error is itself the answer (no replication configuration, no such key pair) returns None for it, so callers
never compare error codes for that; any other failure raises amazon.aws's ``AnsibleAWSError`` carrying the botocore
exception. A module's ``main()`` turns it into ``fail_json`` with the troubleshooting guidance in one place:
``troubleshoot.fail_aws_error``.

Retries: one rule for every call of the collection.
- Transient failures (throttling such as SlowDown and RequestLimitExceeded, HTTP 500/502/503/504, RequestTimeout,
  connection errors) are botocore's to retry, within one budget per call: the client's ``retries`` setting,
  standard mode with 10 attempts (``DEFAULT_RETRIES``; the playbooks' ``aws_config``/``nova_aws_config`` wins).
  amazon.aws's AWSRetry decorators retry those classes again on top (ServiceUnavailable, InternalError,
  Throttling, ...), so a region answering 503 to everything would cost botocore's attempts times AWSRetry's
  (10 x 10 with sleeps of up to 60 s): minutes per call instead of seconds.
- A wrapper adds ``retried(code, ...)`` (AWSRetry's jittered backoff for exactly those codes, none of AWSRetry's
  defaults) only for codes that are not transient to botocore but that AWS answers for a while after a change
  (eventual consistency, a conflicting operation still in progress).
Clients come from ``connect()``, which gives every client the default retry setting.
"""

import functools
import inspect
import socket
import urllib.parse
import urllib.request
from typing import Any
from typing import Dict
from typing import List
from typing import Optional

try:
    import botocore
    import botocore.config
    import botocore.parsers
    from botocore import xform_name
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# Used unless the task's aws_config sets retries: botocore's default (legacy mode, 5 attempts) gives up on
# sustained throttling too early; standard mode also stops retrying when most calls fail (retry quota).
DEFAULT_RETRIES = {"mode": "standard", "max_attempts": 10}


class NonTransientRetry(AWSRetry):
    """AWSRetry for exactly the codes given in catch_extra_error_codes, none of AWSRetry's defaults."""

    @staticmethod
    def found(response_code, catch_extra_error_codes=None):
        return response_code in (catch_extra_error_codes or ())


def retried(*codes: str, retries: int = 5):
    """The per-call retry of the rule above: AWSRetry's jittered backoff for ``codes`` only."""
    return NonTransientRetry.jittered_backoff(retries=retries, catch_extra_error_codes=list(codes))


def client_config(**settings) -> Dict[str, Any]:
    """botocore Config arguments with DEFAULT_RETRIES; amazon.aws merges the task's aws_config over them."""
    return dict(settings, retries=dict(DEFAULT_RETRIES))


def connect(module, service: str, region: Optional[str] = None, config=None, **settings):
    """The module's client for ``service`` (in ``region``, else the module's) with the rule's retry setting, and
    ``config`` (a botocore Config or its settings) and ``settings`` over it; the task's aws_config still wins."""
    merged = botocore.config.Config(**client_config(**settings))
    if config:
        merged = merged.merge(config if isinstance(config, botocore.config.Config) else botocore.config.Config(**config))
    extra = {"region": region} if region else {}
    return module.client(service, config=merged, **extra)


class _Handler(AWSErrorHandler):
    """amazon.aws's AWSErrorHandler, whose description may name the call's arguments: "{bucket}" is the wrapper's
    ``bucket`` argument."""

    @classmethod
    def common_error_handler(cls, description):
        def wrapper(func):
            signature = inspect.signature(func)

            def described(args, kwargs):
                try:
                    return description.format_map(signature.bind(*args, **kwargs).arguments)
                except (KeyError, IndexError, TypeError):
                    return description

            @functools.wraps(func)
            def handler(*args, **kwargs):
                try:
                    return func(*args, **kwargs)
                except botocore.exceptions.WaiterError as e:
                    message = f"Timeout trying to {described(args, kwargs)}"
                    raise cls._CUSTOM_EXCEPTION(message=message, exception=e) from e
                # ResponseParserError: the endpoint answered with something other than AWS's format (an HTML error
                # page of a proxy, or of an emulator that lacks the API); botocore does not count it a BotoCoreError.
                except (
                    botocore.exceptions.ClientError,
                    botocore.exceptions.BotoCoreError,
                    botocore.parsers.ResponseParserError,
                ) as e:
                    raise cls._CUSTOM_EXCEPTION(message=f"Failed to {described(args, kwargs)}", exception=e) from e

            return handler

        return wrapper

    @classmethod
    def _missing_handler(cls, description, value):
        # amazon.aws's list/deletion handlers, with the call's own signature visible to common_error_handler.
        def wrapper(func):
            @cls.common_error_handler(description)
            @functools.wraps(func)
            def handler(*args, **kwargs):
                try:
                    return func(*args, **kwargs)
                except cls._is_missing():
                    return value

            return handler

        return wrapper

    @classmethod
    def list_error_handler(cls, description, default_value=None):
        return cls._missing_handler(description, default_value)

    @classmethod
    def deletion_error_handler(cls, description):
        return cls._missing_handler(description, False)


def _absent_when(description: str, *codes: str):
    """The error handler of a read that answers one of ``codes`` when the thing read does not exist: None then."""

    class Absent(_Handler):
        @classmethod
        def _is_missing(cls):
            return is_boto3_error_code(list(codes))

    return Absent.list_error_handler(description)


def _gone_when(description: str, *codes: str):
    """The error handler of a delete that answers one of ``codes`` when there is nothing to delete: False then."""

    class Gone(_Handler):
        @classmethod
        def _is_missing(cls):
            return is_boto3_error_code(list(codes))

    return Gone.deletion_error_handler(description)


def _all_pages(client, operation: str, key: str, **params) -> List[Dict[str, Any]]:
    return client.get_paginator(operation).paginate(**params).build_full_result()[key]


# ---------------------------------------------------------------- STS, IAM


@_Handler.common_error_handler("read the caller's identity")
def get_caller_identity(client) -> Dict[str, Any]:
    return client.get_caller_identity()


@_absent_when("read IAM role {name}", "NoSuchEntity")
def get_role(client, name: str) -> Optional[Dict[str, Any]]:
    return client.get_role(RoleName=name)["Role"]


@_absent_when("read IAM instance profile {name}", "NoSuchEntity")
def get_instance_profile(client, name: str) -> Optional[Dict[str, Any]]:
    return client.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]


@_absent_when("list the managed policies attached to IAM role {name}", "NoSuchEntity")
def list_attached_role_policies(client, name: str) -> Optional[List[Dict[str, Any]]]:
    return _all_pages(client, "list_attached_role_policies", "AttachedPolicies", RoleName=name)


@_Handler.common_error_handler("simulate the IAM policy of {principal}")
def simulate_principal_policy(client, principal: str, **request) -> List[Dict[str, Any]]:
    return _all_pages(client, "simulate_principal_policy", "EvaluationResults", PolicySourceArn=principal, **request)


# ---------------------------------------------------------------- Service Quotas


@_Handler.common_error_handler("read quota {quota_code} of {service_code} (GetServiceQuota)")
def get_service_quota(client, service_code: str, quota_code: str) -> Dict[str, Any]:
    return client.get_service_quota(ServiceCode=service_code, QuotaCode=quota_code)["Quota"]


@_Handler.common_error_handler("read the default of quota {quota_code} of {service_code} (GetAWSDefaultServiceQuota)")
def get_aws_default_service_quota(client, service_code: str, quota_code: str) -> Dict[str, Any]:
    return client.get_aws_default_service_quota(ServiceCode=service_code, QuotaCode=quota_code)["Quota"]


# ---------------------------------------------------------------- EC2


@_Handler.common_error_handler("list the availability zones")
def describe_availability_zones(client, **params) -> List[Dict[str, Any]]:
    return client.describe_availability_zones(**params)["AvailabilityZones"]


@_Handler.common_error_handler("list the availability zones that offer instance type {instance_type}")
def describe_instance_type_offerings(client, instance_type: str) -> List[str]:
    """The zones (location type availability-zone) of the client's region that offer ``instance_type``."""
    offerings = _all_pages(
        client,
        "describe_instance_type_offerings",
        "InstanceTypeOfferings",
        LocationType="availability-zone",
        Filters=[{"Name": "instance-type", "Values": [instance_type]}],
    )
    return [offering["Location"] for offering in offerings]


@_Handler.common_error_handler("describe instance types {instance_types}")
def describe_instance_types(client, instance_types: List[str]) -> List[Dict[str, Any]]:
    return _all_pages(client, "describe_instance_types", "InstanceTypes", InstanceTypes=instance_types)


@_Handler.common_error_handler("probe {action} (DryRun)")
def dry_run(client, action: str, **params) -> Dict[str, Any]:
    """``action`` (CreateVpc, ...) with DryRun: AWS answers DryRunOperation when the caller may, else an error.
    The one call made by API name: the actions to probe are the pre-flight's data (its permission_checks)."""
    return getattr(client, xform_name(action))(DryRun=True, **params)


@_Handler.common_error_handler("describe VPCs")
def describe_vpcs(client, **params) -> List[Dict[str, Any]]:
    return _all_pages(client, "describe_vpcs", "Vpcs", **params)


@_Handler.common_error_handler("describe attribute {attribute} of VPC {vpc_id}")
def describe_vpc_attribute(client, vpc_id: str, attribute: str) -> Any:
    """The value of ``attribute`` (enableDnsSupport, enableDnsHostnames, ...) of the VPC."""
    answer = client.describe_vpc_attribute(VpcId=vpc_id, Attribute=attribute)
    return answer[attribute[0].upper() + attribute[1:]]["Value"]


@_Handler.common_error_handler("describe subnets")
def describe_subnets(client, **params) -> List[Dict[str, Any]]:
    return _all_pages(client, "describe_subnets", "Subnets", **params)


@_Handler.common_error_handler("describe internet gateways")
def describe_internet_gateways(client, **params) -> List[Dict[str, Any]]:
    return _all_pages(client, "describe_internet_gateways", "InternetGateways", **params)


@_Handler.common_error_handler("describe NAT gateways")
def describe_nat_gateways(client, **params) -> List[Dict[str, Any]]:
    return _all_pages(client, "describe_nat_gateways", "NatGateways", **params)


@_Handler.common_error_handler("describe Elastic IP addresses")
def describe_addresses(client, **params) -> List[Dict[str, Any]]:
    # DescribeAddresses has no paginator: it answers with every address the filters match.
    return client.describe_addresses(**params)["Addresses"]


@_Handler.common_error_handler("describe route tables")
def describe_route_tables(client, **params) -> List[Dict[str, Any]]:
    return _all_pages(client, "describe_route_tables", "RouteTables", **params)


@_Handler.common_error_handler("describe VPC endpoints")
def describe_vpc_endpoints(client, **params) -> List[Dict[str, Any]]:
    return _all_pages(client, "describe_vpc_endpoints", "VpcEndpoints", **params)


@_Handler.common_error_handler("describe security groups")
def describe_security_groups(client, **params) -> List[Dict[str, Any]]:
    return _all_pages(client, "describe_security_groups", "SecurityGroups", **params)


@_Handler.common_error_handler("describe flow logs")
def describe_flow_logs(client, **params) -> List[Dict[str, Any]]:
    return _all_pages(client, "describe_flow_logs", "FlowLogs", **params)


@_Handler.common_error_handler("create a flow log")
def create_flow_logs(client, **params) -> Dict[str, Any]:
    return client.create_flow_logs(**params)


@_gone_when("delete flow logs {flow_log_ids}", "InvalidFlowLogId.NotFound")
def delete_flow_logs(client, flow_log_ids: List[str]) -> Any:
    """DeleteFlowLogs' answer (its Unsuccessful list holds per-log failures), or False when none of them exists."""
    return client.delete_flow_logs(FlowLogIds=flow_log_ids)


@_Handler.common_error_handler("describe instances")
def describe_instances(client, **params) -> List[Dict[str, Any]]:
    """The instances of every reservation the filters match."""
    reservations = _all_pages(client, "describe_instances", "Reservations", **params)
    return [instance for reservation in reservations for instance in reservation["Instances"]]


@_absent_when("describe key pair {name}", "InvalidKeyPair.NotFound")
def describe_key_pair(client, name: str, include_public_key: bool = False) -> Optional[Dict[str, Any]]:
    """The key pair ``name`` (with its ``PublicKey`` when ``include_public_key``), or None when it does not exist."""
    params = {"IncludePublicKey": True} if include_public_key else {}
    pairs = client.describe_key_pairs(KeyNames=[name], **params)["KeyPairs"]
    return pairs[0] if pairs else None


@_absent_when("describe launch template {name}", "InvalidLaunchTemplateName.NotFoundException")
def describe_launch_template(client, name: str) -> Optional[Dict[str, Any]]:
    templates = client.describe_launch_templates(LaunchTemplateNames=[name])["LaunchTemplates"]
    return templates[0] if templates else None


@_Handler.common_error_handler("describe the launch template's versions")
def describe_launch_template_versions(client, template_id: str, versions: List[str]) -> List[Dict[str, Any]]:
    return client.describe_launch_template_versions(LaunchTemplateId=template_id, Versions=versions)[
        "LaunchTemplateVersions"
    ]


# ---------------------------------------------------------------- Auto Scaling, CloudWatch, SNS


@_Handler.common_error_handler("describe Auto Scaling groups")
def describe_auto_scaling_groups(client, **params) -> List[Dict[str, Any]]:
    return _all_pages(client, "describe_auto_scaling_groups", "AutoScalingGroups", **params)


@_Handler.common_error_handler("read the scaling activities of Auto Scaling group {name}")
def describe_scaling_activities(client, name: str, max_records: int) -> List[Dict[str, Any]]:
    return client.describe_scaling_activities(AutoScalingGroupName=name, MaxRecords=max_records).get("Activities", [])


@_Handler.common_error_handler("describe CloudWatch alarms")
def describe_metric_alarms(client, **params) -> List[Dict[str, Any]]:
    return _all_pages(client, "describe_alarms", "MetricAlarms", **params)


@_Handler.common_error_handler("list the tags of CloudWatch alarm {arn}")
def list_alarm_tags(client, arn: str) -> List[Dict[str, str]]:
    return client.list_tags_for_resource(ResourceARN=arn).get("Tags", [])


@_Handler.common_error_handler("tag CloudWatch alarm {arn}")
def tag_alarm(client, arn: str, tags: List[Dict[str, str]]) -> None:
    client.tag_resource(ResourceARN=arn, Tags=tags)


@_Handler.common_error_handler("untag CloudWatch alarm {arn}")
def untag_alarm(client, arn: str, keys: List[str]) -> None:
    client.untag_resource(ResourceARN=arn, TagKeys=keys)


@_Handler.common_error_handler("list the SNS topics")
def list_topics(client) -> List[Dict[str, str]]:
    return _all_pages(client, "list_topics", "Topics")


@_absent_when("read the attributes of SNS topic {arn}", "NotFound")
def get_topic_attributes(client, arn: str) -> Optional[Dict[str, Any]]:
    return client.get_topic_attributes(TopicArn=arn)["Attributes"]


@_Handler.common_error_handler("list the tags of SNS topic {arn}")
def list_topic_tags(client, arn: str) -> List[Dict[str, str]]:
    return client.list_tags_for_resource(ResourceArn=arn).get("Tags", [])


@_Handler.common_error_handler("list the subscriptions of SNS topic {arn}")
def list_subscriptions_by_topic(client, arn: str) -> List[Dict[str, Any]]:
    return _all_pages(client, "list_subscriptions_by_topic", "Subscriptions", TopicArn=arn)


# ---------------------------------------------------------------- S3, S3 Control


@_absent_when("read the location of bucket {bucket}", "NoSuchBucket")
def get_bucket_location(client, bucket: str) -> Optional[Dict[str, Any]]:
    return client.get_bucket_location(Bucket=bucket)


@_absent_when("read the Block Public Access settings of bucket {bucket}", "NoSuchPublicAccessBlockConfiguration")
def get_public_access_block(client, bucket: str) -> Optional[Dict[str, Any]]:
    return client.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]


@_absent_when("read the encryption of bucket {bucket}", "ServerSideEncryptionConfigurationNotFoundError")
def get_bucket_encryption(client, bucket: str) -> Optional[Dict[str, Any]]:
    return client.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]


@_absent_when("read the tags of bucket {bucket}", "NoSuchTagSet")
def get_bucket_tagging(client, bucket: str) -> Optional[List[Dict[str, str]]]:
    return client.get_bucket_tagging(Bucket=bucket)["TagSet"]


@_absent_when("read the versioning of bucket {bucket}", "NoSuchBucket", "404")
def get_bucket_versioning(client, bucket: str) -> Optional[Dict[str, Any]]:
    return client.get_bucket_versioning(Bucket=bucket)


@_absent_when("read the ownership controls of bucket {bucket}", "OwnershipControlsNotFoundError")
def get_bucket_ownership_controls(client, bucket: str) -> Optional[Dict[str, Any]]:
    return client.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]


@_absent_when("read the policy of bucket {bucket}", "NoSuchBucketPolicy")
def get_bucket_policy(client, bucket: str) -> Optional[str]:
    """The bucket policy as the JSON text S3 keeps, or None."""
    return client.get_bucket_policy(Bucket=bucket)["Policy"]


@_absent_when("read the replication configuration of bucket {bucket}", "ReplicationConfigurationNotFoundError", "NoSuchBucket")
def get_bucket_replication(client, bucket: str) -> Optional[Dict[str, Any]]:
    return client.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]


@_absent_when("read the Block Public Access settings of account {account_id}", "NoSuchPublicAccessBlockConfiguration")
def get_account_public_access_block(client, account_id: str) -> Optional[Dict[str, Any]]:
    return client.get_public_access_block(AccountId=account_id)["PublicAccessBlockConfiguration"]


def unresolved_account_host(client, account_id: str, endpoint_url: Optional[str]) -> Optional[str]:
    """With an ``endpoint_url`` of the task's own (an emulator such as the sandbox, a private endpoint), the host an
    S3 Control client calls for ``account_id`` (``<account>.<endpoint host>``) when no proxy is set for it (in the
    client's config or the environment) and the name does not resolve, else None. A call to it can only fail, and
    botocore retries the connection (a DNS failure may be brief) for ~30 s before it does; where the endpoint is an
    IP address, the name never resolves and only a proxy reaches it. AWS's own endpoints are left to botocore."""
    if not endpoint_url:
        return None
    url = urllib.parse.urlsplit(client.meta.endpoint_url)
    if (client.meta.config.proxies or {}).get(url.scheme) or urllib.request.getproxies().get(url.scheme):
        return None
    host = f"{account_id}.{url.hostname}"
    try:
        socket.getaddrinfo(host, url.port or (443 if url.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError):
        return host
    return None


@_Handler.common_error_handler("set the Block Public Access settings of account {account_id}")
def put_account_public_access_block(client, account_id: str, configuration: Dict[str, bool]) -> None:
    client.put_public_access_block(AccountId=account_id, PublicAccessBlockConfiguration=configuration)


@_gone_when("remove the Block Public Access settings of account {account_id}", "NoSuchPublicAccessBlockConfiguration")
def delete_account_public_access_block(client, account_id: str) -> bool:
    """True when removed, False when there was nothing to remove."""
    client.delete_public_access_block(AccountId=account_id)
    return True


@_Handler.common_error_handler("put the replication configuration of bucket {bucket}")
def put_bucket_replication(client, bucket: str, configuration: Dict[str, Any]) -> None:
    client.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=configuration)


@_gone_when("delete the replication configuration of bucket {bucket}", "NoSuchBucket")
def delete_bucket_replication(client, bucket: str) -> bool:
    """True when deleted, False when the bucket is gone."""
    client.delete_bucket_replication(Bucket=bucket)
    return True


# ---------------------------------------------------------------- S3 objects (s3_sync)

# OperationAborted (409: a conflicting operation on the key is in progress) is retryable by S3's own word, not by
# botocore's retry handler.
_OBJECT_RETRY = retried("OperationAborted")


@_Handler.common_error_handler("list the objects of bucket {bucket}")
@_OBJECT_RETRY
def list_objects_v2(client, bucket: str, **params) -> Dict[str, Any]:
    """One page of ListObjectsV2 (the caller follows NextContinuationToken)."""
    return client.list_objects_v2(Bucket=bucket, **params)


@_Handler.common_error_handler("read the metadata of s3://{bucket}/{key}")
@_OBJECT_RETRY
def head_object(client, bucket: str, key: str, **params) -> Dict[str, Any]:
    return client.head_object(Bucket=bucket, Key=key, **params)


@_absent_when("read the metadata of s3://{bucket}/{key}", "404", "NoSuchKey")
@_OBJECT_RETRY
def head_object_if_present(client, bucket: str, key: str) -> Optional[Dict[str, Any]]:
    """HeadObject, or None when the object is gone."""
    return client.head_object(Bucket=bucket, Key=key)


@_Handler.common_error_handler("read the tags of s3://{bucket}/{key}")
@_OBJECT_RETRY
def get_object_tagging(client, bucket: str, key: str) -> List[Dict[str, str]]:
    return client.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]


@_Handler.common_error_handler("copy an object to s3://{bucket}/{key}")
@_OBJECT_RETRY
def copy_object(client, bucket: str, key: str, **params) -> Dict[str, Any]:
    return client.copy_object(Bucket=bucket, Key=key, **params)


@_Handler.common_error_handler("start a multipart upload to s3://{bucket}/{key}")
@_OBJECT_RETRY
def create_multipart_upload(client, bucket: str, key: str, **params) -> str:
    """The upload's ID."""
    return client.create_multipart_upload(Bucket=bucket, Key=key, **params)["UploadId"]


@_Handler.common_error_handler("copy part {part_number} to s3://{bucket}/{key}")
@_OBJECT_RETRY
def upload_part_copy(client, bucket: str, key: str, upload_id: str, part_number: int, **params) -> Dict[str, Any]:
    return client.upload_part_copy(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=part_number, **params)


@_Handler.common_error_handler("complete the multipart upload to s3://{bucket}/{key}")
@_OBJECT_RETRY
def complete_multipart_upload(client, bucket: str, key: str, upload_id: str, parts: List[Dict[str, Any]]) -> None:
    client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})


@_gone_when("abort the multipart upload to s3://{bucket}/{key}", "NoSuchUpload")
@_OBJECT_RETRY
def abort_multipart_upload(client, bucket: str, key: str, upload_id: str) -> bool:
    client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    return True


@_Handler.common_error_handler("delete objects of bucket {bucket}")
@_OBJECT_RETRY
def delete_objects(client, bucket: str, keys: List[str]) -> List[Dict[str, Any]]:
    """DeleteObjects (quiet) of up to 1,000 keys: the per-key errors."""
    answer = client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True})
    return answer.get("Errors", [])


# ---------------------------------------------------------------- DynamoDB (the run lock: modules/run_lock.py)

# A condition that fails is an answer here, not an error: the wrappers return the item in the way, which DynamoDB
# sends with the refusal (ReturnValuesOnConditionCheckFailure=ALL_OLD), so no second request reads it.


def _conditional(condition: str, names: Dict[str, str], values: Dict[str, Any]) -> Dict[str, Any]:
    params = {"ConditionExpression": condition, "ExpressionAttributeNames": names}
    if values:
        params["ExpressionAttributeValues"] = values
    return dict(params, ReturnValues="ALL_OLD", ReturnValuesOnConditionCheckFailure="ALL_OLD")


@_absent_when("read item {key} of DynamoDB table {table}", "ResourceNotFoundException")
def get_item(client, table: str, key: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The item (strongly consistent read), or None when it or the table does not exist."""
    return client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")


@_absent_when("conditionally write an item to DynamoDB table {table}", "ResourceNotFoundException")
def put_item_if(
    client, table: str, item: Dict[str, Any], condition: str, names: Dict[str, str], values: Dict[str, Any]
) -> Optional[Dict[str, Any]]:
    """PutItem when ``condition`` holds, atomically: {"written": True, "old": the item replaced, or None}; when it
    does not: {"written": False, "old": the item that failed it}. None when the table does not exist."""
    try:
        answer = client.put_item(TableName=table, Item=item, **_conditional(condition, names, values))
    except is_boto3_error_code("ConditionalCheckFailedException") as e:
        return {"written": False, "old": e.response.get("Item")}
    return {"written": True, "old": answer.get("Attributes")}


@_absent_when("conditionally delete item {key} of DynamoDB table {table}", "ResourceNotFoundException")
def delete_item_if(
    client,
    table: str,
    key: Dict[str, Any],
    condition: str,
    names: Dict[str, str],
    values: Optional[Dict[str, Any]] = None,
) -> Optional[Dict[str, Any]]:
    """DeleteItem when ``condition`` holds, atomically: {"deleted": True, "old": the item deleted}; when it does not
    (also when there is no item): {"deleted": False, "old": the item that failed it, or None}. None when the table
    does not exist."""
    try:
        answer = client.delete_item(TableName=table, Key=key, **_conditional(condition, names, values or {}))
    except is_boto3_error_code("ConditionalCheckFailedException") as e:
        return {"deleted": False, "old": e.response.get("Item")}
    return {"deleted": True, "old": answer.get("Attributes")}


@_Handler.common_error_handler("create DynamoDB table {table}")
def create_table(client, table: str, hash_key: str) -> bool:
    """An on-demand table keyed by the string attribute ``hash_key``: True when created, False when it exists
    already (ResourceInUseException: another run created it first)."""
    try:
        client.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": hash_key, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": hash_key, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    except is_boto3_error_code("ResourceInUseException"):
        return False
    return True


@_Handler.common_error_handler("wait for DynamoDB table {table} to be active")
def wait_table_exists(client, table: str, delay: int = 2, max_attempts: int = 60) -> None:
    """DescribeTable until the table is ACTIVE (a new table takes some seconds)."""
    client.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": delay, "MaxAttempts": max_attempts})


# ---------------------------------------------------------------- Fault Injection Service


@_Handler.common_error_handler("list the FIS experiment templates")
def list_experiment_templates(client) -> List[Dict[str, Any]]:
    return _all_pages(client, "list_experiment_templates", "experimentTemplates")


@_Handler.common_error_handler("read FIS experiment template {template_id}")
def get_experiment_template(client, template_id: str) -> Dict[str, Any]:
    return client.get_experiment_template(id=template_id)["experimentTemplate"]


@_Handler.common_error_handler("create a FIS experiment template")
def create_experiment_template(client, token: str, **params) -> Dict[str, Any]:
    return client.create_experiment_template(clientToken=token, **params)["experimentTemplate"]


@_Handler.common_error_handler("update FIS experiment template {template_id}")
def update_experiment_template(client, template_id: str, **params) -> Dict[str, Any]:
    return client.update_experiment_template(id=template_id, **params)["experimentTemplate"]


@_gone_when("delete FIS experiment template {template_id}", "ResourceNotFoundException")
def delete_experiment_template(client, template_id: str) -> bool:
    client.delete_experiment_template(id=template_id)
    return True


@_Handler.common_error_handler("tag FIS resource {arn}")
def tag_fis_resource(client, arn: str, tags: Dict[str, str]) -> None:
    client.tag_resource(resourceArn=arn, tags=tags)


@_Handler.common_error_handler("start an experiment from FIS experiment template {template_id}")
def start_experiment(client, template_id: str, token: str, tags: Dict[str, str]) -> Dict[str, Any]:
    return client.start_experiment(clientToken=token, experimentTemplateId=template_id, tags=tags)["experiment"]


@_Handler.common_error_handler("stop FIS experiment {experiment_id}")
def stop_experiment(client, experiment_id: str) -> Dict[str, Any]:
    return client.stop_experiment(id=experiment_id)["experiment"]
