"""The nova.infra AWS sandbox: moto in server mode behind a small WSGI middleware.

Why a middleware instead of plain ``moto_server``:

* request accounting -- every AWS call is named ``service:Action`` (IAM/API
  operation names) so that a run's request log can later be turned into a
  least-privilege IAM policy;
* fault injection and latency -- real AWS throttles and has bad moments; the
  collection's retry behaviour is only tested if the emulator does too;
* AWS alignment -- moto 5.2.5 differs from AWS in a few places the collection
  depends on; those are patched here, at start-up, and nowhere else;
* strict mode -- moto lets through deletions AWS refuses (a security group, subnet or
  Elastic IP still in use, an internet gateway with public IPs mapped) and has NAT
  gateways available/deleted at once; with ``strict`` on it refuses them with AWS's
  errors and gives NAT gateways their pending/deleting phases, so teardown order and
  waiting are tested.

Run: ``python sandbox/server.py --port N [--host 127.0.0.1] [--request-log FILE]``.
Fault/latency/strict settings come from ``NOVA_SANDBOX_*`` environment variables and can
be changed at run time through ``POST /_nova/config``.
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import os
import random
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from urllib.parse import parse_qs

import moto
from werkzeug.serving import make_server

FAULT_KINDS = ("throttle", "5xx")
CONTROL_PREFIX = "/_nova/"
MOTO_API_PREFIX = "/moto-api"

# --------------------------------------------------------------------------
# AWS-alignment patches
# --------------------------------------------------------------------------


def patch_tag_resource_types() -> None:
    """DescribeTags: report/filter NAT gateways as ``natgateway`` and EIPs as ``elastic-ip``.

    AWS names these resource types ``natgateway`` and ``elastic-ip`` in
    DescribeTags (both in the ``resource-type`` filter and in ``ResourceType``).
    moto derives the type from its internal ID-prefix table, where they are
    ``nat-gateway`` / ``vpc-elastic-ip``; amazon.aws (``describe_ec2_tags``)
    filters by the AWS names, finds no tags and re-tags on every run.

    Only the prefix->type table used by DescribeTags is changed; the
    type->prefix table that generates IDs (``nat-…``, ``eipalloc-…``) is untouched.
    """
    from moto.ec2 import utils as ec2_utils

    prefix_to_type = ec2_utils.EC2_PREFIX_TO_RESOURCE  # same dict object tags.py imported
    prefix_to_type[ec2_utils.EC2_RESOURCE_TO_PREFIX["nat-gateway"]] = "natgateway"
    prefix_to_type[ec2_utils.EC2_RESOURCE_TO_PREFIX["vpc-elastic-ip"]] = "elastic-ip"


def patch_flow_log_s3_prefix() -> None:
    """CreateFlowLogs: accept an S3 destination ARN with a key prefix.

    AWS accepts ``arn:aws:s3:::bucket/prefix/`` (logs are written under the
    prefix). moto takes everything after the ARN's fifth colon as the bucket
    name, so ``bucket/prefix/`` is "not found" and the flow log lands in
    ``Unsuccessful``. We check/resolve the bucket with the plain bucket ARN and
    then store the destination exactly as requested, as AWS reports it.
    """
    from moto.ec2.exceptions import FlowLogAlreadyExists
    from moto.ec2.models.flow_logs import FlowLogsBackend

    original = FlowLogsBackend.create_flow_logs

    def create_flow_logs(self: Any, *args: Any, **kwargs: Any) -> Any:
        destination = kwargs.get("log_destination")
        if kwargs.get("log_destination_type") != "s3" or not destination:
            return original(self, *args, **kwargs)
        prefix_arn, _unused, resource = destination.partition(":::")
        bucket, slash, _unused = resource.partition("/")
        if not slash:
            return original(self, *args, **kwargs)
        # moto's own duplicate check would compare the bare bucket ARN; do it
        # for the real destination instead.
        for resource_id in kwargs.get("resource_ids") or []:
            if any(
                (fl.resource_id, fl.log_destination) == (resource_id, destination)
                for fl in self.flow_logs.values()
            ):
                raise FlowLogAlreadyExists()
        created, unsuccessful = original(
            self, *args, **{**kwargs, "log_destination": f"{prefix_arn}:::{bucket}"}
        )
        for flow_log in created:
            flow_log.log_destination = destination
        return created, unsuccessful

    FlowLogsBackend.create_flow_logs = create_flow_logs


def patch_launch_template_metadata_options() -> None:
    """RunInstances from a launch template: apply the template's MetadataOptions.

    AWS launches an instance with the template's instance metadata settings (so a template
    with ``HttpTokens: required`` gives IMDSv2-only instances, including those an Auto Scaling
    group launches). moto applies only a few template fields and leaves IMDS at ``optional``.
    Explicit RunInstances parameters still win, as on AWS.
    """
    from moto.ec2.models.instances import InstanceBackend

    original = InstanceBackend.run_instances

    def run_instances(self: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("launch_template") and not kwargs.get("metadata_options"):
            template = self._get_template_from_args(kwargs["launch_template"]).data
            if template.get("MetadataOptions"):
                kwargs["metadata_options"] = dict(template["MetadataOptions"])
        return original(self, *args, **kwargs)

    InstanceBackend.run_instances = run_instances


def patch_launch_template_tags() -> None:
    """DescribeLaunchTemplates: report the template's current tags.

    AWS shows tags added later with CreateTags; moto copies the tags once, at creation, so a
    template tagged afterwards (as the bastion role does) looked untagged.
    """
    from moto.ec2.models.launch_templates import LaunchTemplate

    LaunchTemplate.tags = property(lambda self: self.get_tags(), lambda self, _value: None)


# The EC2 quotas the stack's pre-flight reads, with AWS's default values.
EC2_DEFAULT_QUOTAS = [
    {
        "Adjustable": True,
        "GlobalQuota": False,
        "QuotaArn": "arn:aws:servicequotas:{region}::ec2/L-0263D0A3",
        "QuotaCode": "L-0263D0A3",
        "QuotaName": "EC2-VPC Elastic IPs",
        "ServiceCode": "ec2",
        "ServiceName": "Amazon Elastic Compute Cloud (Amazon EC2)",
        "Unit": "None",
        "Value": 5.0,
    },
]


def patch_service_quotas() -> None:
    """Service Quotas: answer the EC2 Elastic IP quota and GetAWSDefaultServiceQuota as AWS does.

    moto knows only the ``vpc`` service's quotas and has no GetAWSDefaultServiceQuota at all (it
    answers HTTP 500, which botocore retries for ~20 s before giving up). Applied quotas are the
    AWS defaults here: the sandbox account never asked for an increase.
    """
    import json as json_module

    from moto.servicequotas.exceptions import NoSuchResource
    from moto.servicequotas.models import ServiceQuotasBackend
    from moto.servicequotas.responses import ServiceQuotasResponse

    def ec2_quotas(backend: Any) -> list[dict[str, Any]]:
        return [{**q, "QuotaArn": q["QuotaArn"].format(region=backend.region_name)} for q in EC2_DEFAULT_QUOTAS]

    list_defaults = ServiceQuotasBackend.list_aws_default_service_quotas
    get_quota = ServiceQuotasBackend.get_service_quota

    def list_aws_default_service_quotas(self: Any, service_code: str) -> list[dict[str, Any]]:
        return ec2_quotas(self) if service_code == "ec2" else list_defaults(self, service_code)

    def get_service_quota(self: Any, service_code: str, quota_code: str) -> dict[str, Any]:
        if service_code == "ec2":
            for quota in ec2_quotas(self):
                if quota["QuotaCode"] == quota_code:
                    return quota
            raise NoSuchResource()
        return get_quota(self, service_code, quota_code)

    def get_aws_default_service_quota(self: Any) -> str:
        params = json_module.loads(self.body)
        quota = self.backend.get_service_quota(str(params.get("ServiceCode")), str(params.get("QuotaCode")))
        return json_module.dumps({"Quota": quota})

    ServiceQuotasBackend.list_aws_default_service_quotas = list_aws_default_service_quotas
    ServiceQuotasBackend.get_service_quota = get_service_quota
    ServiceQuotasResponse.get_aws_default_service_quota = get_aws_default_service_quota


def patch_bucket_policy_secure_transport() -> None:
    """Bucket policies: evaluate ``aws:SecureTransport`` as true.

    Every request to AWS from botocore travels over TLS, so a policy that denies non-TLS access
    (as the storage role sets, CIS 2.1.1) never blocks it. The sandbox listens on plain HTTP on
    loopback and moto, which knows no request context for conditions, treated the deny as matching
    and refused every object request (403) to such a bucket.
    """
    from moto.iam import policy_conditions
    from moto.iam.access_control import IAMPolicy
    from moto.iam.access_control import IAMPolicyStatement
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    def bool_operation(expected: Any, actual: str) -> bool:
        values = expected if isinstance(expected, list) else [expected]
        return str(actual).lower() in [str(v).lower() for v in values]

    # moto skips condition operators it does not know, which made every Bool condition match.
    policy_conditions.CONDITION_OPERATIONS.setdefault("Bool", bool_operation)

    # A statement whose condition does not match does not apply (AWS); moto answered DENIED for it.
    original_statement_check = IAMPolicyStatement.is_action_permitted

    def statement_is_action_permitted(self: Any, action: str, resource: str = "*", principal: Any = None,
                                      incoming_condition_values: Any = None) -> Any:
        if self._statement.get("Condition") and not self._check_conditions(incoming_condition_values):
            return PermissionResult.NEUTRAL
        return original_statement_check(self, action, resource, principal, incoming_condition_values)

    IAMPolicyStatement.is_action_permitted = statement_is_action_permitted

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        return IAMPolicy(self.policy.decode()).is_action_permitted(
            action, resource, incoming_condition_values={"aws:SecureTransport": "true"}
        )

    FakeBucket.get_permission = get_permission


def patch_instance_network_interfaces_on_termination() -> None:
    """TerminateInstances: delete the network interfaces created at launch; disassociate Elastic IPs.

    On AWS an interface that RunInstances creates is deleted with the instance (DeleteOnTermination
    defaults to true unless the request sets it false), and an Elastic IP of the instance is
    disassociated. moto keeps those interfaces (and their addresses) forever, so the subnet and
    security groups of a terminated instance would stay "in use" for strict mode.
    """
    from moto.ec2.models.instances import Instance

    original_prep_nics = Instance.prep_nics
    original_terminate = Instance.terminate

    def prep_nics(self: Any, nic_spec: list[dict[str, Any]], *args: Any, **kwargs: Any) -> Any:
        existing = set(self.ec2_backend.enis)
        result = original_prep_nics(self, nic_spec, *args, **kwargs)
        kept = {int(spec.get("DeviceIndex", 0)) for spec in nic_spec
                if str(spec.get("DeleteOnTermination")).lower() == "false"}
        for index, nic in self.nics.items():
            if nic.id not in existing and index not in kept:
                nic.delete_on_termination = True
        return result

    def terminate(self: Any) -> Any:
        if self._state.name == "terminated":
            # AWS accepts terminating a terminated instance; moto would delete its interfaces twice.
            return copy.copy(self._state)
        nic_ids = {nic.id for nic in self.nics.values()}
        for eip in list(self.ec2_backend.addresses):
            if eip.eni is not None and eip.eni.id in nic_ids:
                self.ec2_backend.disassociate_address(address=eip.public_ip)
        return original_terminate(self)

    Instance.prep_nics = prep_nics
    Instance.terminate = terminate


def _activity_time(moment: Any) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def patch_auto_scaling_launch_activities() -> None:
    """Auto Scaling: record launches as scaling activities, and refuse an instance type the zone does not offer.

    AWS launches a group's instances after the call that created or resized the group has returned, and records
    every attempt as a scaling activity (DescribeScalingActivities, newest first): ``Successful`` with the instance
    ID, or ``Failed`` with the EC2 error in ``StatusMessage``. A launch into a zone that does not offer the
    instance type fails that way ("Could not launch On-Demand Instances. Unsupported - Your requested instance
    type (...) is not supported in your requested Availability Zone (...). ... Launching EC2 instance failed.")
    while the API call succeeds; the group then tries its other zones.

    moto answers DescribeScalingActivities with an empty list and launches every instance in the group's first
    subnet, whatever the instance type. Here a launch goes to the first of the group's subnets whose zone offers
    the type (moto's offerings data, the same DescribeInstanceTypeOfferings answers), after a ``Failed`` activity
    for each zone tried before it; with no such zone nothing is launched. Types moto does not know in the region
    at all, and mixed-instances groups, launch as before.
    """
    import json as json_module

    from moto.autoscaling.models import Activity
    from moto.autoscaling.models import FakeAutoScalingGroup
    from moto.autoscaling.responses import AutoScalingResponse
    from moto.core.responses import ActionResult
    from moto.core.utils import utcnow
    from moto.ec2.models.instance_types import INSTANCE_TYPE_OFFERINGS

    original_replace = FakeAutoScalingGroup.replace_autoscaling_group_instances

    def record(group: Any, description: str, status: str, zone: tuple[str | None, str],
               capacity: tuple[int, int], message: str | None = None) -> None:
        now = utcnow()
        cause = (f"At {_activity_time(now)} an instance was started in response to a difference between desired and"
                 f" actual capacity, increasing the capacity from {capacity[0]} to {capacity[1]}.")
        activity = Activity(description, cause, group, start_time=now, end_time=now, status_code=status)
        activity.progress = 100
        activity.status_message = message
        details = {"Subnet ID": zone[0], "Availability Zone": zone[1]} if zone[0] else {"Availability Zone": zone[1]}
        activity.details = json_module.dumps(details, separators=(",", ":"))
        activity.auto_scaling_group_arn = group.arn
        if not hasattr(group, "_nova_activities"):
            group._nova_activities = []
        group._nova_activities.append(activity)

    def zones_of(group: Any) -> list[tuple[str | None, str]]:
        if group.vpc_zone_identifier:
            subnet_ids = group.vpc_zone_identifier.split(",")
            subnets = {s.id: s for s in group.autoscaling_backend.ec2_backend.describe_subnets(subnet_ids=subnet_ids)}
            return [(subnet_id, subnets[subnet_id].availability_zone) for subnet_id in subnet_ids]
        return [(None, zone) for zone in group.availability_zones]

    def replace_autoscaling_group_instances(self: Any, count_needed: int, propagated_tags: dict[str, str]) -> None:
        zones = zones_of(self)
        current = len(self.active_instances())
        capacity = (current, current + count_needed)
        instance_type = None if self.mixed_instances_policy else self.instance_type
        offered = {
            offering["Location"]
            for offering in INSTANCE_TYPE_OFFERINGS["availability-zone"].get(self.region, [])
            if offering["InstanceType"] == instance_type
        }
        if offered:
            for zone in zones:
                if zone[1] in offered:
                    break
                message = (
                    f"Could not launch On-Demand Instances. Unsupported - Your requested instance type"
                    f" ({instance_type}) is not supported in your requested Availability Zone ({zone[1]}). Please"
                    " retry your request by not specifying an Availability Zone or choosing"
                    f" {', '.join(sorted(offered))}. Launching EC2 instance failed."
                )
                record(self, f"Launching a new EC2 instance.  Status Reason: {message}", "Failed", zone, capacity,
                       message)
            else:
                return
            zones = [zone] + [z for z in zones if z != zone]
        before = {state.instance.id for state in self.instance_states}
        saved = self.vpc_zone_identifier
        if saved:
            # moto launches into the group's first subnet.
            self.vpc_zone_identifier = ",".join(subnet_id for subnet_id, _unused in zones)
        try:
            original_replace(self, count_needed, propagated_tags)
        finally:
            self.vpc_zone_identifier = saved
        for state in self.instance_states:
            if state.instance.id not in before:
                record(self, f"Launching a new EC2 instance: {state.instance.id}", "Successful",
                       (state.instance.subnet_id, state.instance.availability_zone), capacity)

    def describe_scaling_activities(self: Any) -> ActionResult:
        name = self._get_param("AutoScalingGroupName")
        wanted_ids = set(self._get_param("ActivityIds", []) or [])
        limit = int(self._get_param("MaxRecords") or 100)
        groups = self.autoscaling_backend.autoscaling_groups
        activities = [
            activity
            for group in ([groups[name]] if name in groups else [] if name else list(groups.values()))
            for activity in getattr(group, "_nova_activities", [])
            if not wanted_ids or activity.activity_id in wanted_ids
        ]
        # Newest first, as AWS answers; activities recorded in the same instant keep their order.
        activities = sorted(reversed(activities), key=lambda activity: activity.start_time, reverse=True)
        return ActionResult({"Activities": activities[:limit]})

    FakeAutoScalingGroup.replace_autoscaling_group_instances = replace_autoscaling_group_instances
    AutoScalingResponse.describe_scaling_activities = describe_scaling_activities


def enable_aws_validations() -> None:
    """Refuse unknown AMIs and key pairs (InvalidAMIID.NotFound, InvalidKeyPair.NotFound) as AWS does.

    moto accepts any ImageId and KeyName unless told to validate them.
    """
    from moto import settings as moto_settings

    moto_settings.ENABLE_AMI_VALIDATION = True
    moto_settings.ENABLE_KEYPAIR_VALIDATION = True


def apply_aws_alignment_patches() -> None:
    """Apply every moto-vs-AWS patch; must run before the first request is served."""
    enable_aws_validations()
    patch_tag_resource_types()
    patch_flow_log_s3_prefix()
    patch_launch_template_metadata_options()
    patch_launch_template_tags()
    patch_service_quotas()
    patch_bucket_policy_secure_transport()
    patch_instance_network_interfaces_on_termination()
    patch_auto_scaling_launch_activities()


# --------------------------------------------------------------------------
# Strict mode: refuse what AWS refuses, and give NAT gateways a life cycle
# --------------------------------------------------------------------------

# Serialises the NAT gateway phase changes (the server is threaded; a phase must end exactly once).
_NAT_LOCK = threading.RLock()


def _ec2_error(code: str, message: str) -> Exception:
    from moto.ec2.exceptions import EC2ClientError

    return EC2ClientError(code, message)


def _live_nat_gateways(backend: Any) -> list[Any]:
    return [nat for nat in list(backend.nat_gateways.values()) if nat.state != "deleted"]


def _is_terminated(instance: Any) -> bool:
    return instance._state.name == "terminated"


def _finish_nat_deletion(nat: Any) -> None:
    """What AWS does once a NAT gateway is ``deleted``: its Elastic IP is free and its interface gone."""
    backend = nat.ec2_backend
    eni = nat._eni
    for eip in list(backend.addresses):
        if eip.eni is eni:
            backend.disassociate_address(address=eip.public_ip)
    if eni.id in backend.enis:
        eni.delete()


def _nat_state(nat: Any) -> str:
    """The NAT gateway's state now; ends its phase (with the effects of deletion) once its time is up.

    Derived whenever the state is read, so DescribeNatGateways (and every check) sees
    pending -> available and deleting -> deleted at the right moment without a background thread.
    """
    with _NAT_LOCK:
        phase = nat.__dict__.get("_nova_phase")
        if phase and time.monotonic() < phase[1]:
            return phase[0]
        if phase:
            nat._nova_phase = None
            if phase[0] == "deleting":
                _finish_nat_deletion(nat)
                nat._nova_state = "deleted"
            else:
                nat._nova_state = "available"
        return nat._nova_state


def install_strict_mode(settings: Settings) -> None:
    """Patch moto so that, while ``settings.strict`` is on, EC2 answers as AWS does for resources in use.

    Each refusal carries AWS's error code and message. Off (the default), moto behaves as before.
    """
    from moto.ec2.models import EC2Backend
    from moto.ec2.models.nat_gateways import NatGateway

    def set_state(self: Any, value: str) -> None:
        self._nova_state = value

    NatGateway.state = property(_nat_state, set_state)

    original_create_nat = EC2Backend.create_nat_gateway
    original_delete_nat = EC2Backend.delete_nat_gateway

    def create_nat_gateway(self: Any, *args: Any, **kwargs: Any) -> Any:
        nat = original_create_nat(self, *args, **kwargs)
        if settings.strict and settings.nat_pending_seconds > 0:
            nat._nova_phase = ("pending", time.monotonic() + settings.nat_pending_seconds)
        return nat

    def delete_nat_gateway(self: Any, nat_gateway_id: str) -> Any:
        nat = self.nat_gateways.get(nat_gateway_id)
        if not settings.strict or nat is None:
            return original_delete_nat(self, nat_gateway_id)
        with _NAT_LOCK:
            if nat.state not in ("deleting", "deleted"):
                nat._nova_phase = ("deleting", time.monotonic() + settings.nat_deleting_seconds)
                _nat_state(nat)  # a zero-second phase ends here
        return nat

    # DeleteSecurityGroup: AWS refuses while an interface or a live instance uses the group, or
    # another group's rule references it (a group's rules referencing itself do not count).
    original_delete_sg = EC2Backend.delete_security_group

    def delete_security_group(self: Any, name: str | None = None, group_id: str | None = None) -> Any:
        group = self.get_security_group_from_id(group_id) if group_id else (
            self.get_security_group_by_name_or_id(name) if name else None)
        if settings.strict and group is not None:
            settle(self)
            in_use = any(group.id in {getattr(g, "id", g) for g in eni.group_set}
                         for eni in list(self.enis.values()))
            in_use = in_use or any(
                group.id in {getattr(g, "id", g) for g in instance.security_groups} and not _is_terminated(instance)
                for instance in self.all_instances())
            for other in [g for groups in list(self.groups.values()) for g in list(groups.values())]:
                if other.id == group.id:
                    continue
                for rule in [*other.ingress_rules, *other.egress_rules]:
                    ref = rule.source_group or {}
                    if ref.get("GroupId") == group.id or (ref.get("GroupName") == group.name
                                                          and other.vpc_id == group.vpc_id):
                        in_use = True
            if in_use:
                raise _ec2_error("DependencyViolation", f"resource {group.id} has a dependent object")
        return original_delete_sg(self, name=name, group_id=group_id)

    # DeleteSubnet: refused while a NAT gateway (not yet deleted), a live instance or any network
    # interface is in the subnet.
    original_delete_subnet = EC2Backend.delete_subnet

    def delete_subnet(self: Any, subnet_id: str) -> Any:
        if settings.strict:
            settle(self)
            in_use = (
                any(nat.subnet_id == subnet_id for nat in _live_nat_gateways(self))
                or any(instance.subnet_id == subnet_id and not _is_terminated(instance)
                       for instance in self.all_instances())
                or any(eni.subnet.id == subnet_id for eni in list(self.enis.values()))
            )
            if in_use:
                raise _ec2_error("DependencyViolation",
                                 f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
        return original_delete_subnet(self, subnet_id)

    # ReleaseAddress of an associated Elastic IP: AWS answers AuthFailure when a NAT gateway holds
    # it (also while the gateway is pending or deleting), InvalidIPAddress.InUse otherwise.
    original_release = EC2Backend.release_address

    def release_address(self: Any, address: str | None = None, allocation_id: str | None = None) -> Any:
        if settings.strict:
            settle(self)
            eips = [e for e in list(self.addresses)
                    if (address and e.public_ip == address) or (allocation_id and e.allocation_id == allocation_id)]
            for eip in eips:
                if any(nat._eni is eip.eni and eip.eni is not None for nat in self.nat_gateways.values()):
                    raise _ec2_error("AuthFailure", "You do not have permission to access the specified resource.")
                if eip.eni is not None or eip.instance is not None:
                    raise _ec2_error("InvalidIPAddress.InUse", f"Address {eip.public_ip} is in use.")
        return original_release(self, address=address, allocation_id=allocation_id)

    # DetachInternetGateway: refused while any interface in the VPC has a public address (Elastic
    # IPs of NAT gateways and instances, auto-assigned public IPs of live instances).
    original_detach = EC2Backend.detach_internet_gateway

    def detach_internet_gateway(self: Any, internet_gateway_id: str, vpc_id: str) -> Any:
        if settings.strict:
            settle(self)
            mapped = any(
                eni.subnet.vpc_id == vpc_id and eni.public_ip
                and not (eni.instance is not None and _is_terminated(eni.instance))
                for eni in list(self.enis.values())
            )
            if mapped:
                raise _ec2_error(
                    "DependencyViolation",
                    f"Network {vpc_id} has some mapped public address(es). "
                    "Please unmap those public address(es) before detaching the gateway.",
                )
        return original_detach(self, internet_gateway_id, vpc_id)

    # DeleteVpc: moto checks subnets, VPN gateways and route tables; AWS also refuses while an
    # internet gateway is attached or a non-default security group or an interface remains.
    original_delete_vpc = EC2Backend.delete_vpc

    def delete_vpc(self: Any, vpc_id: str) -> Any:
        if settings.strict:
            settle(self)
            in_use = (
                any(igw.vpc is not None and igw.vpc.id == vpc_id for igw in list(self.internet_gateways.values()))
                or any(not sg.is_default and sg.name != "default" for sg in self.groups.get(vpc_id, {}).values())
                or any(eni.subnet.vpc_id == vpc_id for eni in list(self.enis.values()))
            )
            if in_use:
                raise _ec2_error("DependencyViolation", f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")
        return original_delete_vpc(self, vpc_id)

    EC2Backend.create_nat_gateway = create_nat_gateway
    EC2Backend.delete_nat_gateway = delete_nat_gateway
    EC2Backend.delete_security_group = delete_security_group
    EC2Backend.delete_subnet = delete_subnet
    EC2Backend.release_address = release_address
    EC2Backend.detach_internet_gateway = detach_internet_gateway
    EC2Backend.delete_vpc = delete_vpc


def settle(backend: Any) -> None:
    """End every NAT gateway phase whose time is up, with its effects (Elastic IP freed, interface gone)."""
    for nat in list(backend.nat_gateways.values()):
        _nat_state(nat)


def settle_all() -> None:
    """``settle`` every EC2 backend in use, so any EC2 request (DescribeAddresses too) sees the effects."""
    from moto.ec2.models import ec2_backends

    for account in list(ec2_backends.values()):
        for backend in list(account.values()):
            settle(backend)


# --------------------------------------------------------------------------
# Request identification: service, action, region
# --------------------------------------------------------------------------

# S3 bucket sub-resources (query keys) -> API operation name per HTTP method.
S3_BUCKET_SUBRESOURCES: dict[str, dict[str, str]] = {
    "accelerate": {"GET": "GetBucketAccelerateConfiguration", "PUT": "PutBucketAccelerateConfiguration"},
    "acl": {"GET": "GetBucketAcl", "PUT": "PutBucketAcl"},
    "cors": {"GET": "GetBucketCors", "PUT": "PutBucketCors", "DELETE": "DeleteBucketCors"},
    "delete": {"POST": "DeleteObjects"},
    "encryption": {"GET": "GetBucketEncryption", "PUT": "PutBucketEncryption", "DELETE": "DeleteBucketEncryption"},
    "lifecycle": {
        "GET": "GetBucketLifecycleConfiguration",
        "PUT": "PutBucketLifecycleConfiguration",
        "DELETE": "DeleteBucketLifecycle",
    },
    "location": {"GET": "GetBucketLocation"},
    "logging": {"GET": "GetBucketLogging", "PUT": "PutBucketLogging"},
    "notification": {"GET": "GetBucketNotificationConfiguration", "PUT": "PutBucketNotificationConfiguration"},
    "object-lock": {"GET": "GetObjectLockConfiguration", "PUT": "PutObjectLockConfiguration"},
    "ownershipControls": {
        "GET": "GetBucketOwnershipControls",
        "PUT": "PutBucketOwnershipControls",
        "DELETE": "DeleteBucketOwnershipControls",
    },
    "policy": {"GET": "GetBucketPolicy", "PUT": "PutBucketPolicy", "DELETE": "DeleteBucketPolicy"},
    "policyStatus": {"GET": "GetBucketPolicyStatus"},
    "publicAccessBlock": {
        "GET": "GetPublicAccessBlock",
        "PUT": "PutPublicAccessBlock",
        "DELETE": "DeletePublicAccessBlock",
    },
    "replication": {"GET": "GetBucketReplication", "PUT": "PutBucketReplication", "DELETE": "DeleteBucketReplication"},
    "requestPayment": {"GET": "GetBucketRequestPayment", "PUT": "PutBucketRequestPayment"},
    "tagging": {"GET": "GetBucketTagging", "PUT": "PutBucketTagging", "DELETE": "DeleteBucketTagging"},
    "uploads": {"GET": "ListMultipartUploads"},
    "versioning": {"GET": "GetBucketVersioning", "PUT": "PutBucketVersioning"},
    "versions": {"GET": "ListObjectVersions"},
    "website": {"GET": "GetBucketWebsite", "PUT": "PutBucketWebsite", "DELETE": "DeleteBucketWebsite"},
}
S3_BUCKET_METHODS = {"GET": "ListObjects", "PUT": "CreateBucket", "HEAD": "HeadBucket", "DELETE": "DeleteBucket"}

# S3 object sub-resources (query keys) -> API operation name per HTTP method.
S3_OBJECT_SUBRESOURCES: dict[str, dict[str, str]] = {
    "acl": {"GET": "GetObjectAcl", "PUT": "PutObjectAcl"},
    "attributes": {"GET": "GetObjectAttributes"},
    "legal-hold": {"GET": "GetObjectLegalHold", "PUT": "PutObjectLegalHold"},
    "restore": {"POST": "RestoreObject"},
    "retention": {"GET": "GetObjectRetention", "PUT": "PutObjectRetention"},
    "tagging": {"GET": "GetObjectTagging", "PUT": "PutObjectTagging", "DELETE": "DeleteObjectTagging"},
    "uploads": {"POST": "CreateMultipartUpload"},
    "uploadId": {"GET": "ListParts", "POST": "CompleteMultipartUpload", "DELETE": "AbortMultipartUpload"},
}
S3_OBJECT_METHODS = {"GET": "GetObject", "PUT": "PutObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}


@dataclass(frozen=True)
class AwsCall:
    """What one AWS request is, as IAM and the request log name it."""

    service: str
    action: str
    region: str
    protocol: str  # "ec2", "query", "json", "rest-json" or "s3": selects the error shape


def _credential_scope(environ: dict[str, Any], query: dict[str, list[str]]) -> tuple[str, str]:
    """(service, region) from the SigV4 credential scope (header, or query for presigned URLs)."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    credential = auth.partition("Credential=")[2].split(",")[0] or query.get("X-Amz-Credential", [""])[0]
    parts = credential.strip().split("/")
    if len(parts) == 5:
        return parts[3].lower(), parts[2]
    return "unknown", "unknown"


def _s3_bucket_and_key(environ: dict[str, Any]) -> tuple[str, str]:
    """Split an S3 request into (bucket, key) for path-style and virtual-hosted addressing."""
    path = environ.get("PATH_INFO", "")
    host = environ.get("HTTP_HOST", "").rsplit(":", 1)[0]
    first_label, dot, rest = host.partition(".")
    virtual_hosted = dot and (rest == "localhost" or rest.startswith("s3.") or rest.startswith("s3-"))
    if virtual_hosted:
        return first_label, path.lstrip("/")
    bucket, _unused, key = path.lstrip("/").partition("/")
    return bucket, key


def s3_action(method: str, environ: dict[str, Any], query: dict[str, list[str]]) -> str:
    """Name an S3 REST request after its API operation (method + path + query + copy header)."""
    bucket, key = _s3_bucket_and_key(environ)
    copy = "HTTP_X_AMZ_COPY_SOURCE" in environ
    if not bucket:
        return "ListBuckets"
    if not key:
        for subresource, by_method in S3_BUCKET_SUBRESOURCES.items():
            if subresource in query and method in by_method:
                return by_method[method]
        if method == "GET" and query.get("list-type") == ["2"]:
            return "ListObjectsV2"
        return S3_BUCKET_METHODS.get(method, f"{method}Bucket")
    if method == "PUT" and "partNumber" in query and "uploadId" in query:
        return "UploadPartCopy" if copy else "UploadPart"
    for subresource, by_method in S3_OBJECT_SUBRESOURCES.items():
        if subresource in query and method in by_method:
            return by_method[method]
    if method == "PUT" and copy:
        return "CopyObject"
    return S3_OBJECT_METHODS.get(method, f"{method}Object")


def s3control_action(method: str, path: str) -> str:
    """Name an S3 Control request: ``/v20180820/configuration/publicAccessBlock`` + GET -> GetPublicAccessBlock."""
    verb = {"GET": "Get", "PUT": "Put", "DELETE": "Delete", "POST": "Create"}.get(method, method)
    resource = path.rstrip("/").rsplit("/", 1)[-1]
    return verb + resource[:1].upper() + resource[1:]


def _form_body(environ: dict[str, Any]) -> dict[str, list[str]]:
    """Parse a form-encoded body (query protocols) and put it back for moto to read."""
    if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return {}
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return {}
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)


def identify(environ: dict[str, Any]) -> AwsCall:
    """Determine service, IAM/API action and region of an AWS request."""
    method = environ.get("REQUEST_METHOD", "GET").upper()
    path = environ.get("PATH_INFO", "")
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    service, region = _credential_scope(environ, query)
    if service == "s3":
        if path.startswith("/v20180820/"):
            return AwsCall("s3control", s3control_action(method, path), region, "s3")
        return AwsCall("s3", s3_action(method, environ, query), region, "s3")
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return AwsCall(service, target.rpartition(".")[2], region, "json")
    action = query.get("Action") or _form_body(environ).get("Action")
    if action:
        return AwsCall(service, action[0], region, "ec2" if service == "ec2" else "query")
    # REST-JSON services (lambda, ...): no operation name on the wire; keep it recognisable.
    return AwsCall(service, f"{method} {path}", region, "rest-json")


# --------------------------------------------------------------------------
# Fault responses (AWS-shaped, retryable by botocore)
# --------------------------------------------------------------------------

THROTTLE = {
    "ec2": (503, "RequestLimitExceeded", "Request limit exceeded."),
    "query": (400, "Throttling", "Rate exceeded"),
    "json": (400, "ThrottlingException", "Rate exceeded"),
    "rest-json": (400, "ThrottlingException", "Rate exceeded"),
    "s3": (503, "SlowDown", "Please reduce your request rate."),
}
SERVER_ERRORS = (
    (500, "InternalError", "We encountered an internal error. Please try again."),
    (503, "ServiceUnavailable", "Service is unavailable. Please try again."),
)
REASONS = {400: "Bad Request", 412: "Precondition Failed", 500: "Internal Server Error", 503: "Service Unavailable"}


def is_ec2_dry_run(environ: dict[str, Any]) -> bool:
    """An EC2 request with DryRun=true (query string or form body)."""
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    values = query.get("DryRun") or _form_body(environ).get("DryRun") or []
    return any(value.lower() == "true" for value in values)


def error_response(protocol: str, status: int, code: str, message: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """Build (status line, headers, body) of an AWS error in the shape the protocol's parser expects."""
    request_id = str(uuid.uuid4())
    if protocol == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        )
        content_type = "text/xml"
    elif protocol == "query":
        body = (
            f"<ErrorResponse><Error><Type>{'Sender' if status < 500 else 'Receiver'}</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        content_type = "text/xml"
    elif protocol == "s3":
        body = f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{request_id}</RequestId></Error>"
        content_type = "application/xml"
    else:
        body = json.dumps({"__type": code, "message": message})
        content_type = "application/x-amz-json-1.1" if protocol == "json" else "application/json"
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body.encode()))),
        ("x-amzn-RequestId", request_id),
        ("x-amz-request-id", request_id),
    ]
    if protocol == "rest-json":
        headers.append(("x-amzn-ErrorType", code))
    return f"{status} {REASONS[status]}", headers, body.encode()


# --------------------------------------------------------------------------
# Settings and accounting
# --------------------------------------------------------------------------


@dataclass
class Settings:
    """Run-time fault/latency settings; the seeded RNG makes a fault sequence reproducible."""

    latency_ms: int = 0
    fault_rate: float = 0.0
    fault_kinds: list[str] = field(default_factory=lambda: list(FAULT_KINDS))
    seed: int | None = None
    # Regions in outage: every request scoped to them is answered 503 ServiceUnavailable (DR drills).
    down_regions: list[str] = field(default_factory=list)
    # Strict mode (see install_strict_mode): AWS's refusals for resources in use, NAT gateway phases.
    strict: bool = False
    nat_pending_seconds: float = 2.0
    nat_deleting_seconds: float = 2.0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    @classmethod
    def from_env(cls, env: dict[str, str]) -> Settings:
        settings = cls()
        settings.update(
            {
                "latency_ms": env.get("NOVA_SANDBOX_LATENCY_MS", "0"),
                "fault_rate": env.get("NOVA_SANDBOX_FAULT_RATE", "0"),
                "fault_kinds": env.get("NOVA_SANDBOX_FAULT_KINDS", ",".join(FAULT_KINDS)),
                "seed": env.get("NOVA_SANDBOX_SEED") or None,
                "down_regions": env.get("NOVA_SANDBOX_DOWN_REGIONS", ""),
                "strict": env.get("NOVA_SANDBOX_STRICT", "0"),
                "nat_pending_seconds": env.get("NOVA_SANDBOX_NAT_PENDING_SECONDS", "2"),
                "nat_deleting_seconds": env.get("NOVA_SANDBOX_NAT_DELETING_SECONDS", "2"),
            }
        )
        return settings

    def update(self, changes: dict[str, Any]) -> None:
        """Validate and apply changes; raises ValueError without applying anything on bad input."""
        unknown = set(changes) - {"latency_ms", "fault_rate", "fault_kinds", "seed", "down_regions", "strict",
                                  "nat_pending_seconds", "nat_deleting_seconds"}
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        latency = int(changes.get("latency_ms", self.latency_ms))
        rate = float(changes.get("fault_rate", self.fault_rate))
        kinds = changes.get("fault_kinds", self.fault_kinds)
        if isinstance(kinds, str):
            kinds = [k.strip() for k in kinds.split(",") if k.strip()]
        seed = changes.get("seed")
        seed = None if seed is None else int(seed)
        down = changes.get("down_regions", self.down_regions)
        if isinstance(down, str):
            down = [r.strip() for r in down.split(",") if r.strip()]
        strict = changes.get("strict", self.strict)
        if isinstance(strict, str):
            if strict.strip().lower() not in ("0", "1", "true", "false", ""):
                raise ValueError("strict must be true/false (or 1/0)")
            strict = strict.strip().lower() in ("1", "true")
        elif isinstance(strict, int) and strict in (0, 1):
            strict = bool(strict)
        if not isinstance(strict, bool):
            raise ValueError("strict must be true/false (or 1/0)")
        pending = float(changes.get("nat_pending_seconds", self.nat_pending_seconds))
        deleting = float(changes.get("nat_deleting_seconds", self.nat_deleting_seconds))
        if pending < 0 or deleting < 0:
            raise ValueError("nat_pending_seconds and nat_deleting_seconds must be >= 0")
        if latency < 0:
            raise ValueError("latency_ms must be >= 0")
        if not 0.0 <= rate <= 1.0:
            raise ValueError("fault_rate must be between 0 and 1")
        if not kinds or any(k not in FAULT_KINDS for k in kinds):
            raise ValueError(f"fault_kinds must be a non-empty subset of {', '.join(FAULT_KINDS)}")
        self.latency_ms, self.fault_rate, self.fault_kinds = latency, rate, list(kinds)
        self.down_regions = list(down)
        self.strict, self.nat_pending_seconds, self.nat_deleting_seconds = strict, pending, deleting
        if "seed" in changes:
            self.seed = seed
            self.rng.seed(seed)

    def public(self) -> dict[str, Any]:
        return {
            "latency_ms": self.latency_ms,
            "fault_rate": self.fault_rate,
            "fault_kinds": self.fault_kinds,
            "seed": self.seed,
            "down_regions": self.down_regions,
            "strict": self.strict,
            "nat_pending_seconds": self.nat_pending_seconds,
            "nat_deleting_seconds": self.nat_deleting_seconds,
        }

    def draw_fault(self, protocol: str) -> tuple[str, int, str, str] | None:
        """Decide whether to fail this request: (kind, status, code, message) or None.

        Always consumes the same number of random draws per request, so the
        fault sequence for a seed does not depend on which kinds are enabled.
        """
        roll, kind_roll, error_roll = self.rng.random(), self.rng.random(), self.rng.random()
        if roll >= self.fault_rate:
            return None
        kind = self.fault_kinds[int(kind_roll * len(self.fault_kinds))]
        if kind == "throttle":
            return (kind, *THROTTLE[protocol])
        return (kind, *SERVER_ERRORS[int(error_roll * len(SERVER_ERRORS))])


class SandboxApp:
    """WSGI middleware: control endpoints, accounting, latency and faults in front of moto."""

    def __init__(self, moto_app: Callable, settings: Settings, request_log: str | None = None):
        self.moto_app = moto_app
        self.settings = settings
        self.lock = threading.Lock()
        self.log_file = open(request_log, "a", encoding="utf-8", buffering=1) if request_log else None
        self.requests = 0
        self.faults_injected = 0
        self.by_action: dict[str, int] = {}
        self.dry_runs: dict[str, int] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return self.control(environ, start_response)
        if path.startswith(MOTO_API_PREFIX):
            return self.moto_app(environ, start_response)

        call = identify(environ)
        with self.lock:
            latency_ms = self.settings.latency_ms
            fault = self.settings.draw_fault(call.protocol)
            if call.region in self.settings.down_regions:
                fault = ("outage", 503, "ServiceUnavailable", f"{call.region} is unavailable (simulated outage)")
        if latency_ms:
            time.sleep(latency_ms / 1000)  # the point of the latency feature
        if fault:
            kind, status, code, message = fault
            status_line, headers, body = error_response(call.protocol, status, code, message)
            self.record(call, status, kind)
            start_response(status_line, headers)
            return [body]

        if call.protocol == "ec2" and is_ec2_dry_run(environ):
            # AWS answers a dry run with DryRunOperation (412) when the identity may make the call; the
            # sandbox evaluates no IAM, so every dry run is allowed. moto ignores DryRun on several
            # actions and would perform them (a DryRun CreateVpc really created a VPC).
            status_line, headers, body = error_response(
                "ec2", 412, "DryRunOperation", "Request would have succeeded, but DryRun flag is set."
            )
            self.record(call, 412, None, dry_run=True)
            start_response(status_line, headers)
            return [body]

        if call.protocol == "ec2" and self.settings.strict:
            # Phases that ended since the last request take effect now (e.g. a deleted NAT gateway's
            # Elastic IP shows as unassociated in DescribeAddresses).
            settle_all()

        seen: dict[str, int] = {}

        def capture_status(status: str, headers: list, exc_info: Any = None) -> Callable:
            seen["status"] = int(status.split()[0])
            return start_response(status, headers, exc_info)

        result = self.moto_app(environ, capture_status)
        self.record(call, seen.get("status"), None)
        return result

    def record(self, call: AwsCall, status: int | None, fault: str | None, dry_run: bool = False) -> None:
        name = f"{call.service}:{call.action}"
        with self.lock:
            self.requests += 1
            self.faults_injected += fault is not None
            self.by_action[name] = self.by_action.get(name, 0) + 1
            if dry_run:
                # A permission probe (pre-flight): counted as a request, not as a write.
                self.dry_runs[name] = self.dry_runs.get(name, 0) + 1
            if self.log_file:
                entry = {
                    "ts": time.time(),
                    "service": call.service,
                    "action": call.action,
                    "region": call.region,
                    "status": status,
                    "fault": fault,
                }
                self.log_file.write(json.dumps(entry) + "\n")

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": self.requests,
                "faults_injected": self.faults_injected,
                "by_action": dict(sorted(self.by_action.items())),
                "dry_runs": dict(sorted(self.dry_runs.items())),
            }

    def reset_stats(self) -> None:
        with self.lock:
            self.requests = self.faults_injected = 0
            self.by_action = {}
            self.dry_runs = {}

    def control(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        """Serve ``/_nova/*``: health, config, stats. Never faulted, never counted."""
        method = environ.get("REQUEST_METHOD", "GET").upper()
        route = environ.get("PATH_INFO", "")[len(CONTROL_PREFIX):].rstrip("/")
        status, payload = 200, None
        if route == "health" and method == "GET":
            with self.lock:
                payload = {"status": "ok", "service": "nova-sandbox", "moto": moto.__version__,
                           "pid": os.getpid(), **self.settings.public()}
        elif route == "config" and method in ("GET", "POST"):
            if method == "POST":
                try:
                    length = int(environ.get("CONTENT_LENGTH") or 0)
                    changes = json.loads(environ["wsgi.input"].read(length) or b"{}")
                    with self.lock:
                        self.settings.update(changes)
                except (ValueError, TypeError, AttributeError) as exc:
                    status, payload = 400, {"error": str(exc)}
            if payload is None:
                with self.lock:
                    payload = self.settings.public()
        elif route == "stats" and method == "GET":
            payload = self.stats()
        elif route == "stats/reset" and method == "POST":
            self.reset_stats()
            payload = self.stats()
        else:
            status, payload = 404, {"error": f"no such control endpoint: {method} {route}"}
        body = json.dumps(payload).encode()
        start_response(
            f"{status} {'OK' if status == 200 else 'Error'}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]


def memoized_dispatcher(create_app: Callable) -> Callable:
    """moto's ``DomainDispatcherApplication`` with its host-to-service lookup remembered.

    moto resolves the service of every request under one process-wide lock by listing its own package
    directory (``os.listdir`` and an ``isdir`` per service, ~200) and then trying its URL patterns in turn
    (``get_backend_for_host``). That lookup depends only on the host name and moto's static tables, yet it
    took half the server's CPU under a copy-heavy load (e.g. ``aws s3 sync``) and, being under the lock,
    made every request thread queue behind it. The answer is remembered per host: same dispatch, once.
    """
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    class MemoizedDispatcher(DomainDispatcherApplication):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.backend_by_host: dict[str, Any] = {}

        def get_backend_for_host(self, host: str | None) -> Any:
            if host is None:
                return None
            try:
                return self.backend_by_host[host]
            except KeyError:
                backend = super().get_backend_for_host(host)
                self.backend_by_host[host] = backend
                return backend

    return MemoizedDispatcher(create_app)


def build_app(settings: Settings, request_log: str | None = None) -> SandboxApp:
    """Patch moto, then wrap its dispatcher as ``ThreadedMotoServer`` builds it (host lookup remembered)."""
    apply_aws_alignment_patches()
    install_strict_mode(settings)
    from moto.moto_server.werkzeug_app import create_backend_app

    return SandboxApp(memoized_dispatcher(create_backend_app), settings, request_log)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--request-log", help="append one JSON line per AWS request to this file")
    args = parser.parse_args(argv)

    # moto builds some URLs (e.g. SQS queue URLs) from MOTO_PORT, as moto_server does.
    os.environ.setdefault("MOTO_PORT", str(args.port))
    app = build_app(Settings.from_env(dict(os.environ)), args.request_log)

    from moto.moto_server.werkzeug_app import MotoRequestHandler

    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    signal.signal(signal.SIGTERM, lambda *_unused: sys.exit(0))
    print(f"nova sandbox (moto {moto.__version__}) listening on http://{args.host}:{args.port}", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
