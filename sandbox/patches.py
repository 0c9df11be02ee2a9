"""AWS-alignment patches of the sandbox: where moto 5.2.5 differs from AWS in ways the collection depends on,
it is patched here, at start-up (server.build_app applies them), and nowhere else."""

from __future__ import annotations

import copy
from typing import Any

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


def patch_launch_template_instance_profile() -> None:
    """RunInstances from a launch template (also an Auto Scaling group's launch): the instance gets the template's
    IamInstanceProfile, as on AWS. moto associates a profile only when RunInstances names one itself."""
    from moto.ec2.models.instances import InstanceBackend

    original = InstanceBackend.run_instances

    def run_instances(self: Any, *args: Any, **kwargs: Any) -> Any:
        reservation = original(self, *args, **kwargs)
        if kwargs.get("launch_template") and not (
            kwargs.get("iam_instance_profile_name") or kwargs.get("iam_instance_profile_arn")
        ):
            profile = self._get_template_from_args(kwargs["launch_template"]).data.get("IamInstanceProfile") or {}
            if profile.get("Arn") or profile.get("Name"):
                for instance in reservation.instances:
                    self.associate_iam_instance_profile(
                        instance_id=instance.id,
                        iam_instance_profile_name=profile.get("Name"),
                        iam_instance_profile_arn=profile.get("Arn"),
                    )
        return reservation

    InstanceBackend.run_instances = run_instances


def patch_delete_launch_template_versions() -> None:
    """DeleteLaunchTemplateVersions, which moto does not implement (HTTP 500, NotImplementedError).

    AWS deletes the versions named, except the default one (refused per version with
    ``launchTemplateVersionIsDefaultVersion``), and answers which were deleted and which not; a deleted version is
    no longer described. amazon.aws.ec2_launch_template state=absent deletes a template's other versions this way
    before the template, so a template with more than one version (the bastion's, after bastion_access changed) could
    not be deleted in the sandbox. Deleted versions are hidden (moto numbers versions by their place in a list).
    """
    from moto.core.responses import ActionResult
    from moto.ec2.models.launch_templates import LaunchTemplateBackend
    from moto.ec2.responses.launch_templates import LaunchTemplates

    def delete_launch_template_versions(self: Any) -> Any:
        name = self._get_param("LaunchTemplateName")
        template_id = self._get_param("LaunchTemplateId")
        self.error_on_dryrun()
        template = (self.ec2_backend.get_launch_template_by_name(name) if name
                    else self.ec2_backend.get_launch_template(template_id))
        deleted = template.__dict__.setdefault("nova_deleted_versions", set())
        done, refused = [], []
        for number in self._get_param("Versions", []):
            entry = {"LaunchTemplateId": template.id, "LaunchTemplateName": template.name, "VersionNumber": int(number)}
            if int(number) == template.default_version_number:
                refused.append({**entry, "ResponseError": {
                    "Code": "launchTemplateVersionIsDefaultVersion",
                    "Message": "Cannot delete the default version of a launch template"}})
            elif 1 <= int(number) <= len(template.versions) and int(number) not in deleted:
                deleted.add(int(number))
                done.append(entry)
            else:
                refused.append({**entry, "ResponseError": {
                    "Code": "launchTemplateVersionDoesNotExist",
                    "Message": "The specified launch template version does not exist"}})
        return ActionResult({"SuccessfullyDeletedLaunchTemplateVersions": done,
                             "UnsuccessfullyDeletedLaunchTemplateVersions": refused})

    original = LaunchTemplateBackend.describe_launch_template_versions

    def describe_launch_template_versions(self: Any, *args: Any, **kwargs: Any) -> Any:
        return [(template, version) for template, version in original(self, *args, **kwargs)
                if version.number not in template.__dict__.get("nova_deleted_versions", ())]

    LaunchTemplates.delete_launch_template_versions = delete_launch_template_versions
    LaunchTemplateBackend.describe_launch_template_versions = describe_launch_template_versions


def patch_launch_template_tags() -> None:
    """DescribeLaunchTemplates: report the template's current tags; CreateLaunchTemplate: its tags are not data.

    AWS shows tags added later with CreateTags; moto copies the tags once, at creation, so a
    template tagged afterwards looked untagged.
    """
    from moto.ec2.models.launch_templates import LaunchTemplate
    from moto.ec2.models.launch_templates import LaunchTemplateBackend

    LaunchTemplate.tags = property(lambda self: self.get_tags(), lambda self, _value: None)

    # CreateLaunchTemplate's TagSpecifications (resource type launch-template) tag the template itself. moto also
    # copied them into the first version's LaunchTemplateData, where AWS has only the tags for the instances, volumes
    # and network interfaces launched from it; a client comparing a version with its settings (amazon.aws's
    # ec2_launch_template with tags) saw a difference and wrote a new version on every run.
    original = LaunchTemplateBackend.create_launch_template

    def create_launch_template(self: Any, name: str, description: str, template_data: dict[str, Any],
                               tag_spec: dict[str, Any]) -> Any:
        specifications = [spec for spec in template_data.get("TagSpecifications", [])
                          if spec.get("ResourceType") != "launch-template"]
        template_data = {key: value for key, value in template_data.items() if key != "TagSpecifications"}
        if specifications:
            template_data["TagSpecifications"] = specifications
        return original(self, name, description, template_data, tag_spec)

    LaunchTemplateBackend.create_launch_template = create_launch_template


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
    {
        "Adjustable": True,
        "GlobalQuota": False,
        "QuotaArn": "arn:aws:servicequotas:{region}::ec2/L-1216C47A",
        "QuotaCode": "L-1216C47A",
        "QuotaName": "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances",
        "ServiceCode": "ec2",
        "ServiceName": "Amazon Elastic Compute Cloud (Amazon EC2)",
        "Unit": "None",
        "Value": 5.0,
    },
]


def patch_service_quotas() -> None:
    """Service Quotas: answer the EC2 Elastic IP and On-Demand vCPU quotas and GetAWSDefaultServiceQuota as AWS does.

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


def patch_replication_requires_versioning() -> None:
    """PutBucketReplication: refused (400 InvalidRequest, nothing stored) unless the source bucket and every
    destination bucket have versioning Enabled, with AWS's messages; moto stored any configuration."""
    from moto.s3.exceptions import S3ClientError
    from moto.s3.models import S3Backend

    original = S3Backend.put_bucket_replication

    def put_bucket_replication(self: Any, bucket_name: str, replication: dict[str, Any]) -> None:
        if self.get_bucket(bucket_name).versioning_status != "Enabled":
            raise S3ClientError("InvalidRequest", "Versioning must be 'Enabled' on the bucket to apply a replication configuration")
        rules = replication.get("Rule") or []
        for rule in rules if isinstance(rules, list) else [rules]:
            destination = (rule.get("Destination") or {}).get("Bucket", "")
            name = destination.split(":::", 1)[-1]
            if name and name in self.buckets and self.buckets[name].versioning_status != "Enabled":
                raise S3ClientError("InvalidRequest", "Destination bucket must have versioning enabled.")
        return original(self, bucket_name, replication)

    S3Backend.put_bucket_replication = put_bucket_replication


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


def offered_zones(region: str, instance_type: str | None) -> set[str]:
    """The zones of ``region`` that offer ``instance_type`` in moto's offerings data, which DescribeInstanceTypeOfferings
    answers from (as on AWS, us-east-1e offers no t3 types); empty for a type moto does not know there."""
    from moto.ec2.models.instance_types import INSTANCE_TYPE_OFFERINGS

    return {
        offering["Location"]
        for offering in INSTANCE_TYPE_OFFERINGS["availability-zone"].get(region, [])
        if offering["InstanceType"] == instance_type
    }


def patch_run_instances_in_unoffered_zones() -> None:
    """RunInstances: refuse an instance type the requested zone does not offer, with AWS's ``Unsupported``.

    AWS answers a launch into a zone (its ``Placement.AvailabilityZone``, or the zone of the subnet) that does not
    offer the type with HTTP 400 ``Unsupported`` ("Your requested instance type (t3.micro) is not supported in your
    requested Availability Zone (us-east-1e). Please retry your request by not specifying an Availability Zone or
    choosing us-east-1a, ..."), and launches nothing. moto launches it anyway. Types moto does not know in the region
    launch as before (moto's own instance type validation is off).
    """
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models.instances import InstanceBackend

    original = InstanceBackend.run_instances

    def requested_zone(backend: Any, kwargs: dict[str, Any]) -> str | None:
        template = {}
        if kwargs.get("launch_template"):
            template = backend._get_template_from_args(kwargs["launch_template"]).data
        nics = kwargs.get("nics") or template.get("NetworkInterfaces") or []
        subnet_id = kwargs.get("subnet_id") or next((n.get("SubnetId") for n in nics if n.get("SubnetId")), None)
        if subnet_id:
            return backend.get_subnet(subnet_id).availability_zone
        return kwargs.get("placement") or (template.get("Placement") or {}).get("AvailabilityZone")

    def run_instances(self: Any, image_id: str, count: int, user_data: Any, security_group_names: Any,
                      **kwargs: Any) -> Any:
        instance_type = kwargs.get("instance_type")
        if kwargs.get("launch_template") and kwargs.get("is_instance_type_default"):
            template = self._get_template_from_args(kwargs["launch_template"]).data
            instance_type = template.get("InstanceType") or instance_type
        offered = offered_zones(self.region_name, instance_type)
        zone = requested_zone(self, kwargs)
        if offered and zone and zone not in offered:
            raise EC2ClientError(
                "Unsupported",
                f"Your requested instance type ({instance_type}) is not supported in your requested Availability Zone"
                f" ({zone}). Please retry your request by not specifying an Availability Zone or choosing"
                f" {', '.join(sorted(offered))}.",
            )
        return original(self, image_id, count, user_data, security_group_names, **kwargs)

    InstanceBackend.run_instances = run_instances


def _activity_time(moment: Any) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def record_activity(group: Any, description: str, status: str, zone: tuple[str | None, str],
                    capacity: tuple[int, int], message: str | None = None, cause: str | None = None) -> None:
    """Record one scaling activity of ``group`` as AWS shows it in DescribeScalingActivities (newest first)."""
    import json as json_module

    from moto.autoscaling.models import Activity
    from moto.core.utils import utcnow

    now = utcnow()
    cause = cause or (f"At {_activity_time(now)} an instance was started in response to a difference between desired"
                      f" and actual capacity, increasing the capacity from {capacity[0]} to {capacity[1]}.")
    activity = Activity(description, cause, group, start_time=now, end_time=now, status_code=status)
    activity.progress = 100
    activity.status_message = message
    details = {"Subnet ID": zone[0], "Availability Zone": zone[1]} if zone[0] else {"Availability Zone": zone[1]}
    activity.details = json_module.dumps(details, separators=(",", ":"))
    activity.auto_scaling_group_arn = group.arn
    if not hasattr(group, "_nova_activities"):
        group._nova_activities = []
    group._nova_activities.append(activity)


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
    from moto.autoscaling.models import FakeAutoScalingGroup
    from moto.autoscaling.responses import AutoScalingResponse
    from moto.core.responses import ActionResult

    from sandbox.zones import impaired_zone_names

    record = record_activity

    original_replace = FakeAutoScalingGroup.replace_autoscaling_group_instances

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
        # An impaired zone (sandbox/zones.py) has no capacity: AWS's launch there fails and the group tries the others.
        impaired = impaired_zone_names()
        for zone in [z for z in zones if z[1] in impaired]:
            message = (f"Could not launch On-Demand Instances. InsufficientInstanceCapacity - We currently do not have"
                       f" sufficient capacity in the Availability Zone you requested ({zone[1]}). Launching EC2"
                       " instance failed.")
            record(self, f"Launching a new EC2 instance.  Status Reason: {message}", "Failed", zone, capacity, message)
        zones = [z for z in zones if z[1] not in impaired]
        if not zones:
            return
        instance_type = None if self.mixed_instances_policy else self.instance_type
        offered = offered_zones(self.region, instance_type)
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


def patch_deleted_vpc_endpoints() -> None:
    """DeleteVpcEndpoints: a deleted endpoint keeps no route tables, subnets or interfaces.

    AWS takes a gateway endpoint's routes and an interface endpoint's interfaces with it, and a ``deleted`` endpoint
    (listed for a while) is associated with nothing. moto removes the routes and interfaces but keeps listing the
    route table and subnet IDs, so amazon.aws.ec2_vpc_endpoint, which finds an endpoint by service, VPC and route
    tables and does not look at its state, took a deleted endpoint for the one it was asked to create.
    """
    from moto.ec2.models.vpcs import VPCBackend

    original = VPCBackend.delete_vpc_endpoints

    def delete_vpc_endpoints(self: Any, vpce_ids: list[str] | None = None) -> Any:
        answer = original(self, vpce_ids)
        for vpce_id in vpce_ids or []:
            endpoint = self.vpc_end_points.get(vpce_id)
            if endpoint is not None and endpoint.state == "deleted":
                endpoint.route_table_ids = []
                endpoint.subnet_ids = []
                endpoint.network_interface_ids = []
        return answer

    VPCBackend.delete_vpc_endpoints = delete_vpc_endpoints


# The AWS managed policies the stack attaches (the bastion's Session Manager role); every account has them on AWS.
AWS_MANAGED_POLICIES = ("AmazonSSMManagedInstanceCore",)


def patch_aws_managed_policies() -> None:
    """Every account has AWS's managed policies (arn:aws:iam::aws:policy/...), attachable to its roles.

    moto loads them only with MOTO_IAM_LOAD_MANAGED_POLICIES=true, all ~1,300 of them for every account's IAM
    backend (seconds, and memory); otherwise AttachRolePolicy answers NoSuchEntity ("Policy ... does not exist or is
    not attachable") as if the policy did not exist. The sandbox loads those the stack uses (AWS_MANAGED_POLICIES),
    from moto's own copy of AWS's documents, unless moto is told to load them all.

    moto's copy is one JSON text of all of them (~1,300 documents): it is parsed once per server, not for every IAM
    backend moto builds (one per account at start-up and again after every reset), which took ~60 % of the
    sandbox's CPU in a test file that resets it before each test (tests/unit/plugins/modules/test_stack_audit.py).
    """
    import functools
    import json

    from moto.iam.aws_managed_policies import aws_managed_policies_data
    from moto.iam.models import AWSManagedPolicy
    from moto.iam.models import IAMBackend
    from moto.settings import load_iam_aws_managed_policies

    original = IAMBackend._init_aws_policies

    @functools.cache
    def stack_policies() -> dict[str, dict[str, Any]]:
        data = json.loads(aws_managed_policies_data)
        return {name: data[name] for name in AWS_MANAGED_POLICIES if name in data}

    def _init_aws_policies(self: Any) -> list[Any]:
        if load_iam_aws_managed_policies():
            return original(self)
        # from_data reads the document (and serialises it again): the parsed copy is shared, never changed.
        return [AWSManagedPolicy.from_data(name, self.account_id, self.region_name, document)
                for name, document in stack_policies().items()]

    IAMBackend._init_aws_policies = _init_aws_policies


def enable_aws_validations() -> None:
    """Refuse unknown AMIs and key pairs (InvalidAMIID.NotFound, InvalidKeyPair.NotFound) as AWS does.

    moto accepts any ImageId and KeyName unless told to validate them.
    """
    from moto import settings as moto_settings

    moto_settings.ENABLE_AMI_VALIDATION = True
    moto_settings.ENABLE_KEYPAIR_VALIDATION = True


def patch_bucket_request_payment() -> None:
    """GetBucketRequestPayment and PutBucketRequestPayment (`?requestPayment`): the bucket's payer, `BucketOwner`
    until set to `Requester` (or back), as on AWS; any other payer is MalformedXML and changes nothing. moto keeps a
    payer per bucket but answers neither call: the GET lists the bucket's objects (no Payer in the answer), and the
    PUT is taken for CreateBucket (IllegalLocationConstraintException outside us-east-1), so amazon.aws.s3_bucket's
    `requester_pays` could not be set. The answers go through moto's own serializer, as its other bucket calls do."""
    from xml.parsers.expat import ExpatError

    import xmltodict
    from moto.core.responses import ActionResult
    from moto.core.responses import EmptyResult
    from moto.s3.exceptions import MalformedXML
    from moto.s3.responses import S3Response

    get, put = S3Response._bucket_response_get, S3Response._bucket_response_put

    def bucket_response_get(self: Any, bucket_name: str, querystring: dict[str, Any]) -> Any:
        if "requestPayment" not in querystring:
            return get(self, bucket_name, querystring)
        payer = self.backend.get_bucket(bucket_name).payer  # NoSuchBucket when there is none
        self.data["Action"] = "GetBucketRequestPayment"
        return self.serialized(ActionResult({"Payer": payer}))

    def bucket_response_put(self: Any, request: Any, bucket_name: str, querystring: dict[str, Any]) -> Any:
        if "requestPayment" not in querystring:
            return put(self, request, bucket_name, querystring)
        bucket = self.backend.get_bucket(bucket_name)
        try:
            payer = xmltodict.parse(self.body)["RequestPaymentConfiguration"]["Payer"]
        except (ExpatError, KeyError, TypeError) as error:
            raise MalformedXML() from error
        if payer not in ("Requester", "BucketOwner"):
            raise MalformedXML()
        bucket.payer = payer
        self.data["Action"] = "PutBucketRequestPayment"
        return self.serialized(EmptyResult())

    S3Response._bucket_response_get = bucket_response_get
    S3Response._bucket_response_put = bucket_response_put


def patch_delete_alarms_drops_their_tags() -> None:
    """DeleteAlarms: the alarm's tags go with it.

    AWS deletes an alarm's tags with the alarm, so an alarm created again under the same name starts untagged.
    moto keeps them in its tagging service by ARN (the same ARN again), and a re-created alarm would show the
    deleted one's tags: the monitoring role's tagging after a teardown would then never be exercised.
    """
    from moto.cloudwatch.models import CloudWatchBackend

    original = CloudWatchBackend.delete_alarms

    def delete_alarms(self: Any, alarm_names: list[str]) -> None:
        arns = [self.alarms[name].alarm_arn for name in alarm_names if name in self.alarms]
        original(self, alarm_names)
        for arn in arns:
            self.tagger.delete_all_tags_for_resource(arn)

    CloudWatchBackend.delete_alarms = delete_alarms


def patch_security_group_ipv6_cidr_filters() -> None:
    """DescribeSecurityGroups: the ip-permission.ipv6-cidr and egress.ip-permission.ipv6-cidr filters, as on AWS.

    AWS matches a group with an inbound (outbound) rule from (to) that IPv6 range. moto raises NotImplementedError
    for both, a 500, so the audit's region-wide search for administration ports open to ::/0 could not run.
    """
    from moto.core.utils import aws_api_matches
    from moto.ec2.models.security_groups import SecurityGroup

    def matching(rules: Any, values: list[Any]) -> bool:
        return any(aws_api_matches(value, rule.ip_range.get("CidrIpv6", "NONE")) for value in values for rule in rules)

    SecurityGroup.filter_ip_permission__ipv6_cidr = lambda self, values: matching(self.ingress_rules, values)
    SecurityGroup.filter_egress__ip_permission__ipv6_cidr = lambda self, values: matching(self.egress_rules, values)


def apply_aws_alignment_patches() -> None:
    """Apply every moto-vs-AWS patch; must run before the first request is served."""
    enable_aws_validations()
    patch_tag_resource_types()
    patch_flow_log_s3_prefix()
    patch_launch_template_metadata_options()
    patch_launch_template_instance_profile()
    patch_delete_launch_template_versions()
    patch_run_instances_in_unoffered_zones()
    patch_launch_template_tags()
    patch_service_quotas()
    patch_bucket_policy_secure_transport()
    patch_replication_requires_versioning()
    patch_bucket_request_payment()
    patch_instance_network_interfaces_on_termination()
    patch_auto_scaling_launch_activities()
    patch_delete_alarms_drops_their_tags()
    patch_deleted_vpc_endpoints()
    patch_aws_managed_policies()
    patch_security_group_ipv6_cidr_filters()
