# -*- coding: utf-8 -*-

# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure logic of the vpc_flow_log module: input validation, natural-key matching, drift, client token.

No AWS calls here. Existing flow logs come in as DescribeFlowLogs entries (boto3 shape) and are turned
into a *view*: a flat, snake_cased dict with AWS defaults filled in, the same shape as the desired state
built from the module options, so matching, drift and diffs are plain dict comparisons.

Validation appends problem records ``{"field", "value", "problem", "fix"}`` instead of raising, so the
caller sees all of its mistakes in one run, before anything is written to AWS.
"""

import hashlib
import json
import re
from typing import Any
from typing import Dict
from typing import List
from typing import Optional
from typing import Sequence

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.nova.infra.plugins.module_utils import problems as _problems
from ansible_collections.nova.infra.plugins.module_utils.s3_replication import bucket_name_problem

RESOURCE_PREFIXES = {"VPC": "vpc", "Subnet": "subnet", "NetworkInterface": "eni"}

# What AWS applies when CreateFlowLogs omits the setting; DescribeFlowLogs reports these values.
DEFAULT_LOG_FORMAT = (
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
    "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
)
DEFAULT_MAX_AGGREGATION_INTERVAL = 600
DEFAULT_DESTINATION_OPTIONS = {
    "file_format": "plain-text",
    "hive_compatible_partitions": False,
    "per_hour_partition": False,
}

# Settings AWS cannot change on an existing flow log (only tags can be): a difference means replacement.
IMMUTABLE_FIELDS = ("deliver_logs_permission_arn", "log_format", "max_aggregation_interval", "destination_options")

# EC2 ClientToken is at most 64 ASCII characters.
CLIENT_TOKEN_PREFIX = "nova-fl-"

# DeleteFlowLogs reports an id that is already gone with this code; the goal (no flow log) is met.
NOT_FOUND_CODE = "InvalidFlowLogId.NotFound"

_ID_HEX = r"[0-9a-f]{8}(?:[0-9a-f]{9})?"
_RESOURCE_ID = re.compile(rf"^(vpc|subnet|eni)-{_ID_HEX}$")
_FLOW_LOG_ID = re.compile(rf"^fl-{_ID_HEX}$")
_S3_ARN = re.compile(r"^arn:aws(?:-[a-z]+)*:s3:::(?P<bucket>[^/]*)(?:/(?P<prefix>.*))?$")
_LOG_GROUP_NAME = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")
_LOG_GROUP_ARN = re.compile(
    r"^arn:aws(?:-[a-z]+)*:logs:[a-z0-9-]+:\d{12}:log-group:(?P<name>[.\-_/#A-Za-z0-9]{1,512})(?::\*)?$"
)
_ROLE_ARN = re.compile(r"^arn:aws(?:-[a-z]+)*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_LOG_FORMAT_FIELD = re.compile(r"^\$\{[a-z0-9-]+\}$")
_ANY_ARN_SERVICE = re.compile(r"^arn:[^:]*:(?P<service>[^:]*):")

# The flow log record fields of versions 2 to 8 (VPC User Guide, "Flow log records", available fields): AWS
# refuses any other ${field} in CreateFlowLogs.
LOG_FORMAT_FIELDS = (
    # version 2 (the default format)
    "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets",
    "bytes", "start", "end", "action", "log-status",
    # version 3
    "vpc-id", "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr",
    # version 4
    "region", "az-id", "sublocation-type", "sublocation-id",
    # version 5
    "pkt-src-aws-service", "pkt-dst-aws-service", "flow-direction", "traffic-path",
    # version 7
    "ecs-cluster-arn", "ecs-cluster-name", "ecs-container-instance-arn", "ecs-container-instance-id",
    "ecs-container-id", "ecs-second-container-id", "ecs-service-name", "ecs-task-definition-arn", "ecs-task-arn",
    "ecs-task-id",
    # version 8
    "reject-reason",
)

S3_ARN_FIX = (
    "use the bucket ARN, optionally with a key prefix, e.g. arn:aws:s3:::my-flow-logs or arn:aws:s3:::my-flow-logs/vpc/"
)


_problem = _problems.problem
format_problem = _problems.format_problem


def format_problems(records: Sequence[Dict[str, Any]]) -> str:
    return _problems.format_problems(records, "flow log", "changed")


def resource_type_for(resource_id: str) -> Optional[str]:
    """VPC, Subnet or NetworkInterface from the ID prefix; None for anything else."""
    prefix = resource_id.split("-", 1)[0]
    return next((rtype for rtype, rprefix in RESOURCE_PREFIXES.items() if rprefix == prefix), None)


def log_group_from_arn(arn: Optional[str]) -> Optional[str]:
    match = _LOG_GROUP_ARN.match(arn or "")
    return match.group("name") if match else None


def _validate_s3(params: Dict[str, Any]) -> List[Dict[str, Any]]:
    problems = []
    destination = params.get("log_destination")
    if not destination:
        problems.append(
            _problem(
                "log_destination",
                destination,
                "is required with log_destination_type: s3",
                S3_ARN_FIX,
            )
        )
    else:
        match = _S3_ARN.match(destination)
        if not match:
            service = _ANY_ARN_SERVICE.match(destination)
            hint = f" (it is a {service.group('service')} ARN)" if service else ""
            problems.append(
                _problem("log_destination", destination, f"is not an S3 bucket ARN{hint}", S3_ARN_FIX)
            )
        else:
            reason = bucket_name_problem(match.group("bucket"))
            if reason:
                problems.append(_problem("log_destination", destination, reason, S3_ARN_FIX))
            prefix = match.group("prefix")
            if prefix is not None and prefix.split("/", 1)[0] == "AWSLogs":
                problems.append(
                    _problem(
                        "log_destination",
                        destination,
                        "uses AWSLogs as the key prefix, which AWS reserves (it writes under <prefix>/AWSLogs/ itself)",
                        "choose another prefix, e.g. arn:aws:s3:::my-flow-logs/vpc/, or none",
                    )
                )
    if params.get("log_group_name"):
        problems.append(
            _problem(
                "log_group_name",
                params["log_group_name"],
                "only applies to log_destination_type: cloud-watch-logs",
                "remove log_group_name, or set log_destination_type: cloud-watch-logs",
            )
        )
    if params.get("deliver_logs_permission_arn"):
        problems.append(
            _problem(
                "deliver_logs_permission_arn",
                params["deliver_logs_permission_arn"],
                "is not applicable to S3 delivery (AWS rejects it; "
                "the bucket policy grants delivery.logs.amazonaws.com)",
                "remove deliver_logs_permission_arn",
            )
        )
    return problems


def _validate_cloudwatch(params: Dict[str, Any]) -> List[Dict[str, Any]]:
    problems = []
    group_name, destination = params.get("log_group_name"), params.get("log_destination")
    if group_name and destination:
        problems.append(
            _problem(
                "log_group_name",
                group_name,
                "is given together with log_destination; a CloudWatch Logs flow log has one log group",
                "give either log_group_name or the log group ARN in log_destination",
            )
        )
    elif not group_name and not destination:
        problems.append(
            _problem(
                "log_group_name",
                group_name,
                "is required with log_destination_type: cloud-watch-logs (or log_destination with the log group ARN)",
                "set log_group_name to the log group, e.g. /nova/vpc-flow-logs",
            )
        )
    if group_name and not _LOG_GROUP_NAME.match(group_name):
        problems.append(
            _problem(
                "log_group_name",
                group_name,
                "is not a valid CloudWatch Logs log group name",
                "use 1 to 512 characters from a-z, A-Z, 0-9, '.', '-', '_', '/' and '#'",
            )
        )
    if destination and not _LOG_GROUP_ARN.match(destination):
        hint = ""
        if _S3_ARN.match(destination):
            hint = "; it is an S3 bucket ARN, so log_destination_type: s3 was probably meant"
        problems.append(
            _problem(
                "log_destination",
                destination,
                f"is not a CloudWatch Logs log group ARN{hint}",
                "use arn:aws:logs:<region>:<account-id>:log-group:<name>, or log_destination_type: s3 for a bucket",
            )
        )
    role = params.get("deliver_logs_permission_arn")
    # Deleting by natural key needs only the log group, not the role that writes to it.
    if not role and params.get("state", "present") == "present":
        problems.append(
            _problem(
                "deliver_logs_permission_arn",
                role,
                "is required for CloudWatch Logs delivery (AWS would refuse the flow log)",
                "set it to the ARN of an IAM role that vpc-flow-logs.amazonaws.com can assume and that may "
                "logs:CreateLogStream and logs:PutLogEvents, e.g. arn:aws:iam::123456789012:role/nova-flow-logs",
            )
        )
    elif role and not _ROLE_ARN.match(role):
        problems.append(
            _problem(
                "deliver_logs_permission_arn",
                role,
                "is not an IAM role ARN",
                "use arn:aws:iam::<account-id>:role/<role-name>",
            )
        )
    if params.get("destination_options"):
        problems.append(
            _problem(
                "destination_options",
                params["destination_options"],
                "only applies to log_destination_type: s3",
                "remove destination_options",
            )
        )
    return problems


def _validate_resource(params: Dict[str, Any]) -> List[Dict[str, Any]]:
    resource_id, resource_type = params.get("resource_id"), params.get("resource_type")
    if not _RESOURCE_ID.match(resource_id):
        return [
            _problem(
                "resource_id",
                resource_id,
                "is not a VPC, subnet or network interface ID",
                "use the ID of the resource to log, e.g. vpc-0123456789abcdef0, subnet-... or eni-...",
            )
        ]
    actual = resource_type_for(resource_id)
    if resource_type and actual != resource_type:
        expected = RESOURCE_PREFIXES[resource_type]
        return [
            _problem(
                "resource_id",
                resource_id,
                f"is a {actual} ID but resource_type is {resource_type} (IDs start with {expected}-)",
                f"set resource_type: {actual}, or give a {expected}- ID",
            )
        ]
    return []


def _validate_log_format(log_format: Optional[str]) -> List[Dict[str, Any]]:
    if log_format is None:
        return []
    fields = log_format.split(" ")
    bad = [f for f in fields if not _LOG_FORMAT_FIELD.match(f)]
    if bad:
        return [
            _problem(
                "log_format",
                log_format,
                f"has {', '.join(repr(f) for f in bad)}, "
                "but a log format is flow log fields as ${field} separated by single spaces",
                "write it like '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${action}', "
                "or omit it for the AWS default",
            )
        ]
    unknown = [f[2:-1] for f in fields if f[2:-1] not in LOG_FORMAT_FIELDS]
    if not unknown:
        return []
    return [
        _problem(
            "log_format",
            log_format,
            f"has {', '.join(unknown)}, which {'is' if len(unknown) == 1 else 'are'} not a flow log record field "
            "(AWS refuses the flow log)",
            f"use only the fields of the VPC User Guide's flow log records: {', '.join(LOG_FORMAT_FIELDS)}",
        )
    ]


def _validate_tags(tags: Optional[Dict[str, Any]]) -> List[Dict[str, Any]]:
    reserved = [k for k in (tags or {}) if str(k).lower().startswith("aws:")]
    if not reserved:
        return []
    return [
        _problem(
            "tags",
            ", ".join(reserved),
            "tag keys starting with aws: are reserved for AWS, which refuses them",
            "rename the key without the aws: prefix (e.g. nova:stack), or remove it",
        )
    ]


def validate(params: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Every problem in the module options; empty when the flow log can be looked up and created as given."""
    flow_log_id = params.get("flow_log_id")
    if flow_log_id is not None:
        if _FLOW_LOG_ID.match(flow_log_id):
            return []
        return [
            _problem(
                "flow_log_id",
                flow_log_id,
                "is not a flow log ID",
                "use the ID returned as flow_log.flow_log_id, e.g. fl-0123456789abcdef0",
            )
        ]
    problems = _validate_resource(params)
    if params["log_destination_type"] == "s3":
        problems += _validate_s3(params)
    else:
        problems += _validate_cloudwatch(params)
    if params.get("state", "present") == "present":
        problems += _validate_log_format(params.get("log_format"))
        problems += _validate_tags(params.get("tags"))
    return problems


def _destination_options_view(options: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    return {**DEFAULT_DESTINATION_OPTIONS, **{k: v for k, v in (options or {}).items() if v is not None}}


def desired(params: Dict[str, Any]) -> Dict[str, Any]:
    """The flow log the options describe, as a view (see view()); options must have passed validate()."""
    s3 = params["log_destination_type"] == "s3"
    return {
        "resource_type": params.get("resource_type") or resource_type_for(params["resource_id"]),
        "resource_id": params["resource_id"],
        "traffic_type": params["traffic_type"],
        "log_destination_type": params["log_destination_type"],
        "log_destination": params.get("log_destination"),
        "log_group_name": (
            None if s3 else params.get("log_group_name") or log_group_from_arn(params.get("log_destination"))
        ),
        "deliver_logs_permission_arn": None if s3 else params.get("deliver_logs_permission_arn"),
        "log_format": params.get("log_format") or DEFAULT_LOG_FORMAT,
        "max_aggregation_interval": params.get("max_aggregation_interval") or DEFAULT_MAX_AGGREGATION_INTERVAL,
        "destination_options": _destination_options_view(params.get("destination_options")) if s3 else None,
    }


def view(entry: Dict[str, Any]) -> Dict[str, Any]:
    """A DescribeFlowLogs entry in the shape of desired(), plus its ID, status and tags."""
    s3 = entry.get("LogDestinationType") == "s3"
    options = entry.get("DestinationOptions") or {}
    return {
        "flow_log_id": entry.get("FlowLogId"),
        "resource_type": resource_type_for(entry.get("ResourceId", "")),
        "resource_id": entry.get("ResourceId"),
        "traffic_type": entry.get("TrafficType"),
        "log_destination_type": entry.get("LogDestinationType"),
        "log_destination": entry.get("LogDestination"),
        "log_group_name": None if s3 else entry.get("LogGroupName") or log_group_from_arn(entry.get("LogDestination")),
        "deliver_logs_permission_arn": entry.get("DeliverLogsPermissionArn"),
        "log_format": entry.get("LogFormat") or DEFAULT_LOG_FORMAT,
        "max_aggregation_interval": entry.get("MaxAggregationInterval") or DEFAULT_MAX_AGGREGATION_INTERVAL,
        # AWS reports DestinationOptions for S3 flow logs; missing means the defaults were used.
        "destination_options": _destination_options_view(
            {
                "file_format": options.get("FileFormat"),
                "hive_compatible_partitions": options.get("HiveCompatiblePartitions"),
                "per_hour_partition": options.get("PerHourPartition"),
            }
        )
        if s3
        else None,
        "tags": {t["Key"]: t["Value"] for t in entry.get("Tags") or []},
    }


def _cloudwatch_arn(arn: Optional[str]) -> Optional[str]:
    return arn[: -len(":*")] if arn and arn.endswith(":*") else arn


def same_key(current: Dict[str, Any], want: Dict[str, Any]) -> bool:
    """Whether two views share the natural key: resource, traffic type and destination."""
    if (current["resource_id"], current["traffic_type"], current["log_destination_type"]) != (
        want["resource_id"],
        want["traffic_type"],
        want["log_destination_type"],
    ):
        return False
    if want["log_destination_type"] == "s3":
        return current["log_destination"] == want["log_destination"]
    if current["log_group_name"] != want["log_group_name"]:
        return False
    # A group name is only unique per account and region: when both sides name the full ARN, it decides.
    current_arn, want_arn = _cloudwatch_arn(current["log_destination"]), _cloudwatch_arn(want["log_destination"])
    return not (current_arn and want_arn) or current_arn == want_arn


def find(entries: Sequence[Dict[str, Any]], want: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The DescribeFlowLogs entries with the natural key of want."""
    return [e for e in entries if same_key(view(e), want)]


def tags_after(current: Dict[str, str], wanted: Optional[Dict[str, str]], purge: bool) -> Dict[str, str]:
    """The tags a flow log ends up with: unchanged when wanted is None (the amazon.aws tags contract)."""
    if wanted is None:
        return dict(current)
    to_set, to_unset = compare_aws_tags(current, wanted, purge_tags=purge)
    # AWS stores tag values as strings; YAML may hand over numbers or booleans.
    return {**{k: v for k, v in current.items() if k not in to_unset}, **{k: to_text(v) for k, v in to_set.items()}}


def user_tags(tags: Dict[str, str]) -> Dict[str, str]:
    """Tags a caller may set: AWS owns the aws: prefix and refuses it in TagSpecifications."""
    return {k: v for k, v in tags.items() if not k.startswith("aws:")}


def drift(current: Dict[str, Any], want: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The immutable settings in which current differs from want: [{field, current, desired}]."""
    return [
        {"field": field, "current": current[field], "desired": want[field]}
        for field in IMMUTABLE_FIELDS
        if current[field] != want[field]
    ]


def format_drift(flow_log_id: str, changes: Sequence[Dict[str, Any]]) -> str:
    details = "; ".join(f"{c['field']}: {c['current']!r} -> {c['desired']!r}" for c in changes)
    return (
        f"Flow log {flow_log_id} has other settings than requested ({details}), and AWS cannot change them on an "
        "existing flow log. Fix: set replace: true to delete and re-create it (no records are captured for the "
        "seconds in between), or change the options to match the existing flow log."
    )


def create_request(want: Dict[str, Any], tags: Optional[Dict[str, str]]) -> Dict[str, Any]:
    """CreateFlowLogs parameters, ClientToken aside, for a desired() view."""
    request = {
        "ResourceType": want["resource_type"],
        "ResourceIds": [want["resource_id"]],
        "TrafficType": want["traffic_type"],
        "LogDestinationType": want["log_destination_type"],
        "LogFormat": want["log_format"],
        "MaxAggregationInterval": want["max_aggregation_interval"],
    }
    if want["log_destination_type"] == "s3":
        options = want["destination_options"]
        request["LogDestination"] = want["log_destination"]
        request["DestinationOptions"] = {
            "FileFormat": options["file_format"],
            "HiveCompatiblePartitions": options["hive_compatible_partitions"],
            "PerHourPartition": options["per_hour_partition"],
        }
    else:
        request["DeliverLogsPermissionArn"] = want["deliver_logs_permission_arn"]
        if want["log_destination"]:
            request["LogDestination"] = want["log_destination"]
        else:
            request["LogGroupName"] = want["log_group_name"]
    if tags:
        request["TagSpecifications"] = [
            {"ResourceType": "vpc-flow-log", "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}
        ]
    return request


def client_token(request: Dict[str, Any], salt: str = "") -> str:
    """Deterministic ClientToken for a CreateFlowLogs request.

    The same request (natural key and every setting) gives the same token, so a create retried after a
    timeout, a 5xx or a crash returns the flow log already made instead of a second one; any other
    setting gives another token, so AWS never answers IdempotentParameterMismatch. ``salt`` separates
    creates of an identical request that must be distinct: a replacement (salt = the replaced ID), or a
    create whose token AWS still maps to a flow log deleted since (salt = that stale ID).
    """
    digest = hashlib.sha256(json.dumps([request, salt], sort_keys=True).encode()).hexdigest()
    return CLIENT_TOKEN_PREFIX + digest[: 64 - len(CLIENT_TOKEN_PREFIX)]


def failed_entries(unsuccessful: Sequence[Dict[str, Any]], ignore_codes: Sequence[str] = ()) -> List[Dict[str, Any]]:
    """The Unsuccessful items of a Create/DeleteFlowLogs response as {resource_id, code, message}."""
    failures = []
    for item in unsuccessful or []:
        error = item.get("Error") or {}
        if error.get("Code") in ignore_codes:
            continue
        failures.append(
            {"resource_id": item.get("ResourceId"), "code": error.get("Code"), "message": error.get("Message")}
        )
    return failures


def format_failures(action: str, failures: Sequence[Dict[str, Any]]) -> str:
    details = "; ".join(f"{f['resource_id']}: {f['code']} {f['message']}" for f in failures)
    return f"{action} returned HTTP 200 but failed for {details}"
