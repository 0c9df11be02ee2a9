# -*- coding: utf-8 -*-

# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure logic of the nova.infra pre-flight gate: turn what was read from AWS into checks.

No AWS calls here.  The module gathers raw observations (each either a result or an
``{"code", "message"}`` error) and every ``evaluate_*`` function turns one of them into
check records ``{"name", "status", "detail", "cause"?, "fix"?}``; a check with status
``fail`` is a problem.  Nothing raises on a bad observation, because the operator must see
every problem of the account in one run.
"""

import base64
import binascii
import hashlib
from typing import Any
from typing import Dict
from typing import List
from typing import Optional
from typing import Sequence
from typing import Tuple

from ansible_collections.nova.infra.plugins.module_utils import cidr
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import explain

PASS, FAIL, WARN, SKIP = "pass", "fail", "warn", "skip"

# AWS's documented default values, for when Service Quotas cannot answer.
# standard_vcpus: AWS's default for new accounts (Service Quotas' GetAWSDefaultServiceQuota for L-1216C47A).
# gateway_endpoints_per_region, interface_endpoints_per_vpc: Service Quotas' "vpc" L-1B52E74A and L-29B6F2EB.
DEFAULT_QUOTAS = {
    "vpcs_per_region": 5,
    "eips_per_region": 5,
    "nat_gateways_per_az": 5,
    "standard_vcpus": 5,
    "gateway_endpoints_per_region": 20,
    "interface_endpoints_per_vpc": 50,
}

QUOTAS = {
    "vpcs": {
        "service_code": "vpc",
        "quota_code": "L-F678F1CE",
        "quota_name": "VPCs per Region",
        "default_key": "vpcs_per_region",
        "error": "VpcLimitExceeded",
        "what": "VPC",
    },
    "eips": {
        "service_code": "ec2",
        "quota_code": "L-0263D0A3",
        "quota_name": "EC2-VPC Elastic IPs",
        "default_key": "eips_per_region",
        "error": "AddressLimitExceeded",
        "what": "Elastic IP",
    },
    "nat_gateways": {
        "service_code": "vpc",
        "quota_code": "L-FE5A380F",
        "quota_name": "NAT gateways per Availability Zone",
        "default_key": "nat_gateways_per_az",
        "error": "NatGatewayLimitExceeded",
        "what": "NAT gateway",
    },
    "gateway_endpoints": {
        "service_code": "vpc",
        "quota_code": "L-1B52E74A",
        "quota_name": "Gateway VPC endpoints per Region",
        "default_key": "gateway_endpoints_per_region",
        "error": "VpcEndpointLimitExceeded",
        "what": "gateway VPC endpoint",
    },
    "interface_endpoints": {
        "service_code": "vpc",
        "quota_code": "L-29B6F2EB",
        "quota_name": "Interface VPC endpoints per VPC",
        "default_key": "interface_endpoints_per_vpc",
        "error": "VpcEndpointLimitExceeded",
        "what": "interface VPC endpoint",
    },
    "vcpus": {
        "service_code": "ec2",
        "quota_code": "L-1216C47A",
        "quota_name": "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances",
        "default_key": "standard_vcpus",
        "error": "VcpuLimitExceeded",
        "what": "vCPU",
    },
}

# NAT gateways in these states count against the per-AZ quota (the error catalogue's NatGatewayLimitExceeded).
NAT_GATEWAY_STATES_COUNTED = ("pending", "available", "deleting")
# Instances in these states count against the running On-Demand vCPU quota.
INSTANCE_STATES_COUNTED = ("pending", "running")
# Families outside L-1216C47A although their letters are among A, C, D, H, I, M, R, T, Z: each has a quota of its
# own (Inf, HPC, DL, Trn, Mac instances).
OTHER_VCPU_QUOTA_FAMILIES = ("inf", "hpc", "dl", "trn", "mac")

# Placeholder IDs: a probe never names a real resource, so it cannot touch one even where an
# endpoint ignores DryRun.  AWS may then answer NotFound instead of DryRunOperation, which
# classify_probe() reports as unverified rather than as a failure.
PLACEHOLDER_VPC = "vpc-00000000000000000"
PLACEHOLDER_SUBNET = "subnet-00000000000000000"
PLACEHOLDER_SG = "sg-00000000000000000"
PLACEHOLDER_EIP = "eipalloc-00000000000000000"
PROBE_NAME = "nova-preflight-probe"

# EC2 actions that the stack needs and that take DryRun, with arguments AWS accepts as a request.
PERMISSION_PROBES = {
    "CreateVpc": {"CidrBlock": "10.255.255.240/28"},
    "CreateSubnet": {"VpcId": PLACEHOLDER_VPC, "CidrBlock": "10.255.255.240/28"},
    "CreateInternetGateway": {},
    "AllocateAddress": {"Domain": "vpc"},
    "CreateNatGateway": {"SubnetId": PLACEHOLDER_SUBNET, "AllocationId": PLACEHOLDER_EIP},
    "CreateRouteTable": {"VpcId": PLACEHOLDER_VPC},
    "CreateSecurityGroup": {"GroupName": PROBE_NAME, "Description": PROBE_NAME, "VpcId": PLACEHOLDER_VPC},
    "AuthorizeSecurityGroupIngress": {
        "GroupId": PLACEHOLDER_SG,
        "IpPermissions": [
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "203.0.113.0/24"}]}
        ],
    },
    "ImportKeyPair": {
        "KeyName": PROBE_NAME,
        # A throw-away public key (its private half was discarded): AWS checks the format.
        "PublicKeyMaterial": b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINKw5aSvC83Fgb2u1hx6MHT79FPdVsJGboSv6nM9lONa",
    },
    "CreateLaunchTemplate": {"LaunchTemplateName": PROBE_NAME, "LaunchTemplateData": {"InstanceType": "t3.micro"}},
    "CreateFlowLogs": {
        "ResourceIds": [PLACEHOLDER_VPC],
        "ResourceType": "VPC",
        "TrafficType": "ALL",
        "LogDestinationType": "s3",
        "LogDestination": f"arn:aws:s3:::{PROBE_NAME}/vpc-flow-logs/",
    },
}
DEFAULT_PERMISSION_CHECKS = list(PERMISSION_PROBES)

# STS errors that mean the credentials themselves are wrong, with what is wrong with them.
CREDENTIAL_CAUSES = {
    "NoCredentialsError": "No AWS credentials were found: none in the module options, the environment, "
    "the shared credentials or config file, or an instance role.",
    "PartialCredentialsError": "The AWS credentials are incomplete (an access key without its secret, or the reverse).",
    "InvalidClientTokenId": "AWS does not know the access key ID (mistyped, deleted or deactivated).",
    "UnrecognizedClientException": "AWS does not know the access key ID (mistyped, deleted or deactivated).",
    "SignatureDoesNotMatch": "The secret access key does not belong to the access key ID.",
    "ExpiredToken": "The temporary credentials (session token) have expired.",
    "ExpiredTokenException": "The temporary credentials (session token) have expired.",
    "RequestExpired": "The request's timestamp is too old: the session has expired or the clock is off.",
}
# The design document's resolutions for missing or invalid credentials.
CREDENTIAL_FIX = (
    "configure credentials in one of these ways: run `aws configure` (access key ID, secret access key, region); "
    "or export AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials) "
    "and AWS_DEFAULT_REGION; or use an IAM role (instance profile of the machine running Ansible) or AWS SSO "
    "(`aws sso login --profile NAME`, then profile=NAME); then verify with `aws sts get-caller-identity`"
)

PERMISSION_FIX = (
    "add the denied ec2:* actions to the identity's IAM policy (least-privilege policies: docs/iam/); "
    "`aws sts decode-authorization-message --encoded-message ...` shows what denied a call"
)


def check(name: str, status: str, detail: str, cause: Optional[str] = None, fix: Optional[str] = None):
    record = {"name": name, "status": status, "detail": detail}
    if cause is not None:
        record["cause"] = cause
    if fix is not None:
        record["fix"] = fix
    return record


def read_failure(name: str, what: str, error: Dict[str, Any]) -> Dict[str, Any]:
    """A failed check for an observation that could not be read, with the catalogue's guidance."""
    guidance = explain(error.get("code"))
    return check(
        name,
        FAIL,
        f"could not {what}: {error.get('code')}: {error.get('message')}",
        cause=guidance["cause"],
        fix=" ".join(guidance["fix"]),
    )


def option_problem(option: str, value: Any, what: str, fix: str) -> Dict[str, Any]:
    return check(f"option {option}", FAIL, f"{option}={value!r} {what}", fix=fix)


def validate_options(params: Dict[str, Any]) -> Dict[str, Any]:
    """Every problem with the options, before any AWS call: ``{"problems", "warnings", "quota_defaults"}``."""
    problems = []
    warnings = []
    if params.get("vpc_cidr") is not None:
        # cidr.validate needs an AZ source; one AZ keeps its subnet planning out of the way.
        result = cidr.validate(params["vpc_cidr"], az_count=1, min_azs=1)
        # Name the caller's variable (e.g. network_vpc_cidr), so the message says what to edit.
        name = (params.get("labels") or {}).get("vpc_cidr", "vpc_cidr")
        for record in result["problems"]:
            if record["field"] == "vpc_cidr":
                problems.append(option_problem(name, record["value"], record["problem"], record["fix"]))
        warnings.extend(result["warnings"])
    for option, minimum in (
        ("min_azs", 1),
        ("vpcs_to_create", 0),
        ("eips_to_allocate", 0),
        ("nat_gateways_per_az", 0),
        ("max_instances", 0),
        ("gateway_endpoints", 0),
        ("interface_endpoints", 0),
    ):
        if params.get(option) is not None and params[option] < minimum:
            problems.append(
                option_problem(option, params[option], f"is below {minimum}", f"set it to {minimum} or more")
            )
    quota_defaults = dict(DEFAULT_QUOTAS)
    for key, value in (params.get("quota_defaults") or {}).items():
        if key not in DEFAULT_QUOTAS:
            problems.append(
                option_problem(
                    "quota_defaults",
                    {key: value},
                    f"has an unknown key {key!r}",
                    f"use only {', '.join(sorted(DEFAULT_QUOTAS))}",
                )
            )
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = 0
        if number < 1 or str(number) != str(value).strip():
            problems.append(
                option_problem(
                    "quota_defaults",
                    {key: value},
                    "is not a positive whole number",
                    f"give {key} the account's quota, e.g. {DEFAULT_QUOTAS[key]} (AWS's default)",
                )
            )
            continue
        quota_defaults[key] = number
    for record in cidr.instance_type_problems(params.get("instance_type"), "instance_type"):
        problems.append(option_problem("instance_type", record["value"], record["problem"], record["fix"]))
    if (params.get("max_instances") or 0) > 0 and not params.get("instance_type"):
        problems.append(
            option_problem(
                "max_instances",
                params["max_instances"],
                "counts instances of no type",
                "give instance_type too (e.g. t3.micro), or set max_instances to 0 to skip quota_vcpus",
            )
        )
    problems.extend(key_name_problems(params.get("key_name")))
    if params.get("public_key") is not None and _public_key_blob(params["public_key"]) is None:
        problems.append(
            option_problem(
                "public_key",
                params["public_key"][:20] + "...",
                "is not an OpenSSH public key line (type, base64 key, optional comment)",
                "give the contents of the .pub file ssh-keygen wrote (e.g. ~/.ssh/id_ed25519.pub), or omit it",
            )
        )
    if params.get("iam_policy") is not None:
        problems.extend(validate_iam_policy(params["iam_policy"]))
    unknown = [a for a in params.get("permission_checks") or [] if a not in PERMISSION_PROBES]
    if unknown:
        problems.append(
            option_problem(
                "permission_checks",
                unknown,
                "names EC2 actions this module has no DryRun probe for",
                f"use any of {', '.join(PERMISSION_PROBES)}",
            )
        )
    return {"problems": problems, "warnings": warnings, "quota_defaults": quota_defaults}


def key_name_problems(key_name: Optional[str]) -> List[Dict[str, Any]]:
    """EC2 key pair names are 1-255 ASCII characters without surrounding spaces (None: no key to check)."""
    if key_name is None:
        return []
    if not key_name.strip():
        what = "is empty"
    elif key_name != key_name.strip():
        what = "has leading or trailing spaces, which EC2 key pair names cannot have"
    elif len(key_name) > 255 or not key_name.isascii():
        what = "is not 1-255 ASCII characters, as EC2 key pair names are"
    else:
        return []
    fix = (
        "set key_name to the name of the bastion's key pair, e.g. nova-production-bastion-key, "
        "or omit it (and key_must_exist) to skip the key pair check"
    )
    return [option_problem("key_name", key_name, what, fix)]


# What this collection is built and tested with (galaxy.yml's dependencies, meta/runtime.yml's requires_ansible;
# tests/unit/plugins/modules/test_preflight.py holds them to those files): below a minimum, a problem; at or above an
# upper bound, untested (a warning).
TOOLCHAIN = {
    "ansible-core": {"min": "2.17.0", "below": None},
    "amazon.aws": {"min": "10.1.0", "below": "11.0.0"},
}


def version_tuple(version: Optional[str]) -> Tuple[int, ...]:
    """'10.1.2' -> (10, 1, 2); a pre-release or build suffix is ignored ('2.19.0rc1' -> (2, 19, 0))."""
    numbers = []
    for part in str(version or "").split(".")[:3]:
        digits = ""
        for char in part:
            if not char.isdigit():
                break
            digits += char
        if not digits:
            break
        numbers.append(int(digits))
    return tuple(numbers)


def evaluate_toolchain(versions: Dict[str, Optional[str]], minimums: Dict[str, str]) -> Dict[str, Any]:
    """``versions``: what runs the pre-flight ({"python", "ansible-core", "amazon.aws", "boto3", "botocore"});
    ``minimums``: amazon.aws's own minimum boto3 and botocore. The FAILURE_ANALYSIS pre-deployment checklist's
    'Python environment and dependencies installed' and 'version compatibility confirmed'."""
    wanted = {name: dict(spec) for name, spec in TOOLCHAIN.items()}
    wanted.update({name: {"min": minimum, "below": None} for name, minimum in minimums.items()})
    detail = ", ".join(f"{name} {versions.get(name) or 'unknown'}" for name in ("python", *wanted))
    old = [f"{name} {versions.get(name)} (at least {spec['min']})" for name, spec in wanted.items()
           if versions.get(name) and version_tuple(versions[name]) < version_tuple(spec["min"])]
    if old:
        return check(
            "toolchain", FAIL, f"{', '.join(old)} is older than this collection supports; found {detail}",
            cause="Modules and options the roles use are missing or behave differently in older releases.",
            fix="install the pinned versions: `make venv` (requirements.txt with constraints.txt), or run in the "
            "execution environment (execution-environment.yml); `pip install -U boto3 botocore` for the AWS SDK alone",
        )
    new = [f"{name} {versions.get(name)} (tested below {spec['below']})" for name, spec in wanted.items()
           if spec["below"] and versions.get(name) and version_tuple(versions[name]) >= version_tuple(spec["below"])]
    if new:
        return check(
            "toolchain", WARN, f"{', '.join(new)} is newer than this collection is tested with; found {detail}",
            cause="A major release may change modules or options the roles use.",
            fix="run the pinned versions (`make venv`, or the execution environment), or check the roles' runs closely",
        )
    return check("toolchain", PASS, f"supported versions: {detail}")


def evaluate_credentials(identity: Optional[Dict[str, Any]], error: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    if error is None:
        return check("credentials", PASS, f"authenticated as {identity['Arn']} in account {identity['Account']}")
    code = error.get("code")
    cause = CREDENTIAL_CAUSES.get(code)
    if cause is None:
        # Not a credentials error as such (no endpoint, bad region, network): the catalogue knows more.
        guidance = explain(code)
        return check(
            "credentials",
            FAIL,
            f"sts:GetCallerIdentity failed: {code}: {error.get('message')}; the other checks were skipped",
            cause=guidance["cause"],
            fix="check the region, endpoint_url and network access to AWS; " + " ".join(guidance["fix"]),
        )
    return check(
        "credentials",
        FAIL,
        f"sts:GetCallerIdentity failed: {code}: {error.get('message')}; the other checks were skipped",
        cause=cause,
        fix=CREDENTIAL_FIX,
    )


def skipped(names: Sequence[str]) -> List[Dict[str, Any]]:
    return [check(name, SKIP, "skipped: it needs working AWS credentials") for name in names]


def evaluate_azs(
    region: str,
    zones: Sequence[Dict[str, str]],
    min_azs: int,
    required_azs: Optional[Sequence[str]],
    labels: Optional[Dict[str, str]] = None,
    instance_type: Optional[str] = None,
    offered: Optional[Sequence[str]] = None,
) -> List[Dict[str, Any]]:
    """zones: ``[{"name", "state"}]`` from DescribeAvailabilityZones.

    labels: the caller's variable names for min_azs and required_azs (e.g. network_az_count, network_azs), so the
    messages name what the operator has to edit.
    offered: the zones that offer instance_type (DescribeInstanceTypeOfferings), or None when not read: only those
    count, as the network role builds only in them.
    """
    count_name = (labels or {}).get("min_azs") or "min_azs"
    names_name = (labels or {}).get("required_azs") or "required_azs"
    type_name = (labels or {}).get("instance_type") or "instance_type"
    available = [z["name"] for z in zones if z["state"] == "available"]
    listed = ", ".join(available) or "none"
    working = cidr.offering_zones(available, offered)
    checks = []
    if working is not None and not required_azs and len(available) >= min_azs and len(working) < min_azs:
        checks.append(
            check(
                "availability_zones",
                FAIL,
                f"{region} has {len(available)} available AZs ({listed}), {len(working)} of them offer "
                f"{instance_type} ({', '.join(working) or 'none'}); {count_name} is {min_azs}",
                cause=f"The bastion's Auto Scaling group launches {instance_type} in each AZ of the stack; AWS "
                "refuses the launch (Unsupported) in a zone that does not offer the type, after the network is built.",
                fix=f"lower {count_name}, or set {type_name} (now {instance_type}) to a type offered in {min_azs} or more zones "
                f"(`aws ec2 describe-instance-type-offerings --location-type availability-zone --region {region}`)",
            )
        )
    elif len(available) >= min_azs:
        offering = f"; {len(working)} offer {instance_type}" if working is not None else ""
        checks.append(
            check("availability_zones", PASS, f"{region} has {len(available)} available AZs: {listed}{offering}")
        )
    else:
        checks.append(
            check(
                "availability_zones",
                FAIL,
                f"{region} has {len(available)} available AZ(s) ({listed}); {count_name} is {min_azs}",
                cause="The stack puts one NAT gateway and one bastion in each AZ so that it survives the loss of "
                f"one AZ; it needs at least {min_azs} AZs ({count_name}) in state available.",
                fix=f"use a region with {min_azs} or more available AZs "
                f"(`aws ec2 describe-availability-zones --region REGION`), or lower {count_name}",
            )
        )
    if required_azs:
        states = {z["name"]: z["state"] for z in zones}
        bad = [
            f"{az} is {states[az]}" if az in states else f"{az} is not an AZ of {region}"
            for az in required_azs
            if states.get(az) != "available"
        ]
        not_offering = [az for az in required_azs if states.get(az) == "available" and working is not None and az not in working]
        bad += [
            f"{az} does not offer {instance_type} ({type_name}; zones that do: {', '.join(working or []) or 'none'})"
            for az in not_offering
        ]
        if bad:
            checks.append(
                check(
                    "required_azs",
                    FAIL,
                    "; ".join(bad),
                    cause="Subnets in an AZ that is not available fail with InvalidParameterValue "
                    "(availability zone is not supported)"
                    + (
                        f"; the bastion's {instance_type} cannot launch in a zone that does not offer it (Unsupported)."
                        if not_offering
                        else "."
                    ),
                    fix=f"choose {names_name} from the available AZs of {region}"
                    + (f" that offer {instance_type}: {', '.join(working or []) or 'none'}" if not_offering else f": {listed}"),
                )
            )
        else:
            checks.append(check("required_azs", PASS, f"all available: {', '.join(required_azs)}"))
    return checks


SOURCE_LABELS = {
    "service_quotas": "Service Quotas",
    "aws_default": "Service Quotas' AWS default",
    "default": "quota_defaults, as Service Quotas did not answer",
    "not_needed": "not read, as there is nothing to create",
}


def resolve_quota(kind: str, lookup: Dict[str, Any], quota_defaults: Dict[str, int]) -> Dict[str, Any]:
    """The quota to plan with. lookup: ``{"value": float | None, "source", "errors": [...]}``."""
    spec = QUOTAS[kind]
    entry = {
        "quota_code": spec["quota_code"],
        "service_code": spec["service_code"],
        "quota_name": spec["quota_name"],
        "lookup_errors": list(lookup.get("errors") or []),
    }
    if lookup.get("source") == "not_needed":
        entry.update(value=None, source="not_needed")
    elif lookup.get("value") is not None:
        entry.update(value=int(lookup["value"]), source=lookup["source"])
    else:
        entry.update(value=quota_defaults[spec["default_key"]], source="default")
    return entry


def evaluate_quota(
    kind: str, quota: Dict[str, Any], in_use: int, owned: int, requested: int, region: str, unassociated: int = 0
) -> Dict[str, Any]:
    """Adds usage to the quota entry and returns the check.

    Resources this stack already owns are what a rerun reuses, so they are subtracted from
    what it still has to create (but they stay in the usage count).
    """
    spec = QUOTAS[kind]
    needed = max(requested - owned, 0)
    available = quota["value"] - in_use if quota["value"] is not None else None
    quota.update(in_use=in_use, owned=owned, requested=requested, needed=needed, available=available)
    source = SOURCE_LABELS[quota["source"]]
    detail = (
        f"{in_use} {spec['what']}(s) in use in {region} ({owned} of them this stack's own) + {needed} to create, "
        f"quota {'not read' if quota['value'] is None else quota['value']} ({spec['quota_name']}, "
        f"{spec['quota_code']}, source: {source})"
    )
    name = f"quota_{kind}"
    # Nothing to create (a rerun over the stack's own): nothing can exceed the quota, which was not read.
    if quota["value"] is None or in_use + needed <= quota["value"]:
        return check(name, PASS, detail)
    increase = increase_command(kind, region, in_use + needed)
    if kind in ("gateway_endpoints", "interface_endpoints"):
        fix = (
            f"delete VPC endpoints that are not needed (`aws ec2 describe-vpc-endpoints --region {region} --query "
            "'VpcEndpoints[*].[VpcEndpointId,VpcEndpointType,ServiceName,VpcId,State]' --output table`), plan fewer "
            f"(network_interface_endpoints, network_s3_endpoint), or request more: `{increase}`"
        )
    elif kind == "eips":
        fix = (
            f"release Elastic IPs that are not in use ({unassociated} of them are not associated; list them with "
            f"`aws ec2 describe-addresses --region {region} --query "
            "'Addresses[?AssociationId==null].[PublicIp,AllocationId]' --output table`, release with "
            f"`aws ec2 release-address --region {region} --allocation-id ID`), or request more: `{increase}`"
        )
    else:
        fix = (
            f"delete VPCs that are not needed (`aws ec2 describe-vpcs --region {region} "
            "--query 'Vpcs[*].[VpcId,CidrBlock,IsDefault]' --output table`), or request more: "
            f"`{increase}`"
        )
    return check(
        name,
        FAIL,
        detail,
        cause=f"Creating {needed} more {spec['what']}(s) would exceed the quota and fail with {spec['error']}.",
        fix=fix,
    )


# Endpoints in these states count against the quotas (a deleted one is history).
ENDPOINT_STATES_NOT_COUNTED = ("deleted", "rejected", "failed", "expired")


def endpoint_usage(endpoints: List[Dict[str, Any]], own_vpc_ids: List[str], own_tags: Dict[str, str]) -> Dict[str, Any]:
    """From DescribeVpcEndpoints of the whole region: ``{kind: (in_use, owned)}`` for gateway endpoints (per region)
    and interface endpoints (per VPC: those in the stack's own VPC, none before it exists); ``own_tags`` are the
    stack's tags without Name, and ``tags`` of each endpoint a plain dict under ``"tags"``."""
    live = [e for e in endpoints if str(e.get("State", "")).lower() not in ENDPOINT_STATES_NOT_COUNTED]
    gateway = [e for e in live if str(e.get("VpcEndpointType", "")).lower() == "gateway"]
    interface = [
        e for e in live if str(e.get("VpcEndpointType", "")).lower() == "interface" and e.get("VpcId") in own_vpc_ids
    ]
    return {
        "gateway_endpoints": (len(gateway), sum(has_tags(e.get("tags") or {}, own_tags) for e in gateway)),
        "interface_endpoints": (len(interface), sum(has_tags(e.get("tags") or {}, own_tags) for e in interface)),
    }


def increase_command(kind: str, region: str, desired: int) -> str:
    spec = QUOTAS[kind]
    return (
        f"aws service-quotas request-service-quota-increase --region {region} "
        f"--service-code {spec['service_code']} --quota-code {spec['quota_code']} --desired-value {desired}"
    )


def _quota_label(quota: Dict[str, Any]) -> str:
    return f"{quota['quota_name']}, {quota['quota_code']}, source: {SOURCE_LABELS[quota['source']]}"


def planned_azs(
    available: Sequence[str], count: int, required_azs: Optional[Sequence[str]], offered: Optional[Sequence[str]]
) -> List[str]:
    """The zones the network role builds in: required_azs, else the first ``count`` available zones that offer the
    instance type (all available zones when offered is None), as cidr_validate picks them."""
    if required_azs:
        return list(required_azs)
    candidates = cidr.offering_zones(available, offered)
    return list((candidates if candidates is not None else available)[:count])


def evaluate_nat_gateway_quota(
    quota: Dict[str, Any], usage: Dict[str, Tuple[int, int]], azs: Sequence[str], per_az: int, region: str
) -> Dict[str, Any]:
    """The quota_nat_gateways check: in each zone of azs, the NAT gateways there (usage: ``{az: (in use, this
    stack's own)}``) plus the ones still to create (per_az less the stack's own) fit the per-AZ quota."""
    spec = QUOTAS["nat_gateways"]
    rows = {}
    for az in azs:
        in_use, owned = usage.get(az, (0, 0))
        rows[az] = {"in_use": in_use, "owned": owned, "needed": max(per_az - owned, 0)}
    quota.update(per_az=rows, requested=per_az, needed=sum(r["needed"] for r in rows.values()))
    detail = (
        "; ".join(
            f"{az}: {r['in_use']} in use ({r['owned']} of them this stack's own) + {r['needed']} to create"
            for az, r in rows.items()
        )
        or "no AZs to build in"
    ) + f", quota {'not read' if quota['value'] is None else quota['value']} per AZ ({_quota_label(quota)})"
    over = [
        az for az, r in rows.items() if quota["value"] is not None and r["in_use"] + r["needed"] > quota["value"]
    ]
    if not over:
        return check("quota_nat_gateways", PASS, detail)
    desired = max(rows[az]["in_use"] + rows[az]["needed"] for az in over)
    return check(
        "quota_nat_gateways",
        FAIL,
        detail,
        cause=f"Creating this stack's NAT gateway(s) in {', '.join(over)} would exceed the quota of {quota['value']} "
        f"per AZ and fail with {spec['error']} (gateways pending, available or deleting count).",
        fix=f"delete NAT gateways that are not needed in {', '.join(over)} (`aws ec2 describe-nat-gateways --region "
        f"{region} --filter Name=state,Values=pending,available,deleting "
        "--query 'NatGateways[*].[NatGatewayId,State,SubnetId,VpcId]' --output table`, then "
        f"`aws ec2 delete-nat-gateway --region {region} --nat-gateway-id ID`), build in other AZs (network_azs), "
        f"or request more: `{increase_command('nat_gateways', region, desired)}`",
    )


def is_standard_family(instance_type: str) -> bool:
    """Whether instances of the type count against L-1216C47A (families A, C, D, H, I, M, R, T, Z)."""
    family = instance_type.split(".", 1)[0].lower()
    return family[:1] in "acdhimrtz" and not family.startswith(OTHER_VCPU_QUOTA_FAMILIES)


def vcpu_usage(
    instances: Sequence[Dict[str, Any]], vcpus: Dict[str, int], own_tags: Dict[str, str]
) -> Tuple[int, int]:
    """(vCPUs of the running On-Demand standard instances, those of them this stack's own).

    instances: ``[{"type", "lifecycle", "tags"}]`` of the pending and running instances; Spot instances have
    a quota of their own. A type whose vCPUs are unknown counts 0."""
    in_use = owned = 0
    for instance in instances:
        if instance.get("lifecycle") == "spot" or not is_standard_family(instance["type"]):
            continue
        count = vcpus.get(instance["type"], 0)
        in_use += count
        if has_tags(instance.get("tags") or {}, own_tags):
            owned += count
    return in_use, owned


def evaluate_vcpu_quota(
    quota: Dict[str, Any],
    in_use: int,
    owned: int,
    instance_type: str,
    max_instances: int,
    vcpus_per_instance: int,
    region: str,
) -> Dict[str, Any]:
    """The quota_vcpus check: the vCPUs of the running On-Demand standard instances (in_use, owned: this stack's
    own, which a rerun keeps) plus those of max_instances of instance_type fit L-1216C47A.

    A type outside the standard families (its own quota) needs nothing here."""
    spec = QUOTAS["vcpus"]
    requested = max_instances * vcpus_per_instance if is_standard_family(instance_type) else 0
    needed = max(requested - owned, 0)
    instances_text = f"{max_instances} x {instance_type} ({vcpus_per_instance} vCPUs each)"
    quota.update(in_use=in_use, owned=owned, requested=requested, needed=needed, available=quota["value"] - in_use)
    detail = (
        f"{in_use} vCPU(s) of running On-Demand standard instances in {region} ({owned} of them this stack's own) "
        f"+ {needed} more for {instances_text}, quota {quota['value']} ({_quota_label(quota)})"
    )
    if in_use + needed <= quota["value"]:
        return check("quota_vcpus", PASS, detail)
    return check(
        "quota_vcpus",
        FAIL,
        detail,
        cause=f"Launching {instances_text} would exceed the quota and fail with {spec['error']}: the bastion's Auto "
        "Scaling group would stay short of instances, after the network is built.",
        fix=f"stop or terminate instances that are not needed (`aws ec2 describe-instances --region {region} "
        "--filters Name=instance-state-name,Values=pending,running "
        "--query 'Reservations[].Instances[].[InstanceId,InstanceType]' --output table`), lower the group's "
        f"maximum size (bastion_asg_max_size), or request more: "
        f"`{increase_command('vcpus', region, in_use + needed)}`",
    )


def has_tags(tags: Dict[str, str], wanted: Dict[str, str]) -> bool:
    return bool(wanted) and all(tags.get(k) == v for k, v in wanted.items())


def own_eip_tags(own_tags: Dict[str, str]) -> Dict[str, str]:
    # Every resource has its own Name (the VPC's is not the EIPs'); the other tags mark the stack.
    return {k: v for k, v in own_tags.items() if k != "Name"}


# One rule for both gates (cidr_validate reads the VPCs the same way).
vpc_record = cidr.vpc_record


def evaluate_cidr(
    vpc_cidr: Optional[str], vpcs: Sequence[Dict[str, Any]], own_tags: Dict[str, str], name: str = "vpc_cidr"
) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    """(checks, conflicts): one failed check per existing VPC that overlaps vpc_cidr."""
    if vpc_cidr is None:
        return [check("cidr_conflicts", SKIP, "skipped: no vpc_cidr given")], []
    conflicts = cidr.find_conflicts(vpc_cidr, vpcs, own_tags=own_tags)
    if not conflicts:
        return [check("cidr_conflicts", PASS, f"{vpc_cidr} overlaps none of the {len(vpcs)} VPC(s) in the region")], []
    records = cidr.conflict_problems(vpc_cidr, conflicts, vpcs)
    checks = [
        check(
            "cidr_conflicts",
            FAIL,
            f"{name} {vpc_cidr} {record['problem'].split(';')[0]}",
            cause="Overlapping VPCs cannot be peered or routed to each other (peering, Transit Gateway, VPN).",
            fix=record["fix"],
        )
        for record in records
    ]
    return checks, conflicts


def evaluate_key_pair(
    key_name: Optional[str],
    key: Optional[Dict[str, Any]],
    must_exist: bool,
    region: str,
    public_key: Optional[str] = None,
    replace_key: bool = False,
) -> Dict[str, Any]:
    """key: the DescribeKeyPairs entry (with its PublicKey when ``public_key`` is given), or None when AWS answered
    InvalidKeyPair.NotFound. ``public_key``: the OpenSSH public key the bastion role imports under ``key_name``;
    an existing key pair holding another one fails the check, unless ``replace_key`` (the role replaces it)."""
    if key_name is None:
        return check("key_pair", SKIP, "skipped: no key_name given")
    if key is not None:
        exists = f"key pair {key_name} exists ({key.get('KeyPairId')}) in {region}"
        if not public_key:
            return check("key_pair", PASS, exists)
        same = same_public_key(public_key, key.get("PublicKey"))
        ours = ssh_fingerprint(public_key)
        if same is None:
            return check(
                "key_pair", WARN, f"{exists}; AWS returned no public key to compare with the one given ({ours})",
                cause="DescribeKeyPairs answered without PublicKey, so whether it is the bastion's key is unknown.",
                fix=f"compare its fingerprint {key.get('KeyFingerprint')} with your key's by hand",
            )
        if same:
            return check("key_pair", PASS, f"{exists} and holds the public key given ({ours})")
        theirs = ssh_fingerprint(key.get("PublicKey")) or key.get("KeyFingerprint")
        if replace_key:
            return check(
                "key_pair", PASS,
                f"{exists} and holds another public key ({theirs}); the bastion role replaces it with the one given "
                f"({ours}) as asked (bastion_rotate_key); a running bastion keeps the old key until it is replaced",
            )
        return check(
            "key_pair",
            FAIL,
            f"key pair {key_name} in {region} holds another public key ({theirs}) than the one the bastion role "
            f"imports ({ours})",
            cause="The bastion role keeps an existing key pair as it is, so the bastion would take only the private "
            "half of the key in AWS: SSH with your key fails with 'Permission denied (publickey)'.",
            fix="point bastion_public_key_path at the public key of the key pair in AWS, or set "
            f"bastion_rotate_key=true to replace the key pair with yours, or delete it (`aws ec2 delete-key-pair "
            f"--region {region} --key-name {key_name}`) so that the next run imports yours",
        )
    if not must_exist:
        return check(
            "key_pair", PASS, f"key pair {key_name} does not exist in {region} yet; the bastion role imports it"
        )
    return check(
        "key_pair",
        FAIL,
        f"key pair {key_name} does not exist in {region}",
        cause="Instances launched with this key name would fail with InvalidKeyPair.NotFound.",
        fix=f"create a key (`ssh-keygen -t ed25519 -f ~/.ssh/{key_name}`) and import its public half "
        f"(`aws ec2 import-key-pair --region {region} --key-name {key_name} "
        f"--public-key-material fileb://~/.ssh/{key_name}.pub`), or set key_name to an existing key pair",
    )


def _public_key_blob(line: Optional[str]) -> Optional[bytes]:
    """The key of an OpenSSH public key line (type, base64 key, optional comment), decoded; None if it is not one."""
    if isinstance(line, bytes):
        line = line.decode("ascii", "replace")
    fields = (line or "").split()
    if len(fields) < 2:
        return None
    try:
        blob = base64.b64decode(fields[1], validate=True)
    except (binascii.Error, ValueError):
        return None
    # The key's own first field names its type, as the line's first word does.
    return blob if blob[4:4 + len(fields[0])] == fields[0].encode() else None


def same_public_key(ours: str, theirs: Optional[str]) -> Optional[bool]:
    """Whether two OpenSSH public key lines hold the same key (comments aside); None when ``theirs`` is missing."""
    if not theirs:
        return None
    blob = _public_key_blob(ours)
    return blob is not None and blob == _public_key_blob(theirs)


def ssh_fingerprint(line: Optional[str]) -> Optional[str]:
    """The key's SHA256 fingerprint as `ssh-keygen -l` prints it (SHA256:<base64, no padding>)."""
    blob = _public_key_blob(line)
    if blob is None:
        return None
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def classify_probe(error: Optional[Dict[str, Any]]) -> str:
    """allowed | denied | unverified, from a DryRun call's outcome (None: the call succeeded)."""
    code = (error or {}).get("code")
    if error is None or code == "DryRunOperation":
        return "allowed"
    if code in ("UnauthorizedOperation", "AccessDenied"):
        return "denied"
    # Other errors come from the placeholder arguments (e.g. InvalidVpcID.NotFound), before or
    # instead of the permission check, so they say nothing about the permission.
    return "unverified"


def evaluate_permissions(outcomes: Dict[str, Optional[Dict[str, Any]]]) -> Tuple[Dict[str, Any], Dict[str, str]]:
    """(check, {"ec2:Action": allowed|denied|unverified}) from ``{action: error | None}``."""
    results = {f"ec2:{action}": classify_probe(error) for action, error in outcomes.items()}
    if not results:
        return check("permissions", SKIP, "skipped: permission_checks is empty"), results

    def named(result):
        return [action for action, r in results.items() if r == result]

    denied, unverified = named("denied"), named("unverified")
    detail = f"{len(named('allowed'))} of {len(results)} EC2 actions allowed (DryRun)"
    if unverified:
        codes = ", ".join(f"{a}: {outcomes[a.split(':', 1)[1]]['code']}" for a in unverified)
        detail += f"; unverified (AWS answered with another error for the probe's placeholder arguments): {codes}"
    if denied:
        return (
            check(
                "permissions",
                FAIL,
                f"denied: {', '.join(denied)}; {detail}",
                cause="The identity running the playbook is not allowed these EC2 actions; the build would "
                "stop half-way with UnauthorizedOperation.",
                fix=PERMISSION_FIX,
            ),
            results,
        )
    return check("permissions", WARN if unverified else PASS, detail), results


# IAM policy simulation (iam_policy): the playbook's least-privilege policy (docs/iam/<playbook>.json)
# evaluated against the caller's own policies with iam:SimulatePrincipalPolicy, so a missing action is
# found before the build and not half-way through it.

IAM_POLICY_FIX = (
    "grant the denied actions to the identity running the playbook: attach the playbook's least-privilege policy "
    "(docs/iam/<playbook>.json) or add them to its own policy; mind permission boundaries and SCPs, which also deny"
)


def iam_principal(arn: str) -> Tuple[Optional[str], Optional[str]]:
    """(the ARN SimulatePrincipalPolicy takes for the caller, None) or (None, why the caller cannot be simulated)."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None, f"{arn!r} is not an ARN"
    partition, service, account, resource = parts[1], parts[2], parts[4], parts[5]
    if service == "iam" and resource.split("/", 1)[0] in ("user", "role"):
        return arn, None
    if service == "sts" and resource.startswith("assumed-role/"):
        # STS drops the role's path; roles with a path (AWS SSO's aws-reserved/...) are then not found.
        return f"arn:{partition}:iam::{account}:role/{resource.split('/')[1]}", None
    if service == "iam" and resource == "root":
        return None, "the root user cannot be simulated (it may do everything; use an IAM user or role for automation)"
    return None, f"{arn} (a federated user or another kind of session) cannot be simulated"


def _listed(value: Any) -> List[Any]:
    return [value] if isinstance(value, str) else list(value or [])


def validate_iam_policy(policy: Any) -> List[Dict[str, Any]]:
    """Problems with the iam_policy option: a policy document whose Allow statements name service:Action strings."""
    fix = "pass an IAM policy document, e.g. \"{{ lookup('ansible.builtin.file', 'docs/iam/site.json') | from_json }}\""
    statements = policy.get("Statement") if isinstance(policy, dict) else None
    if not isinstance(statements, (list, dict)) or not statements:
        return [option_problem("iam_policy", policy, "has no Statement list", fix)]
    problems = []
    for number, statement in enumerate(statements if isinstance(statements, list) else [statements], 1):
        actions = _listed(statement.get("Action")) if isinstance(statement, dict) else []
        bad = [a for a in actions if not isinstance(a, str) or a.count(":") != 1 or not all(a.split(":"))]
        if not actions or bad:
            problems.append(
                option_problem(
                    "iam_policy",
                    f"Statement {number}: {statement!r}",
                    "needs an Action of service:Action names" + (f" (not {bad})" if bad else ""),
                    fix,
                )
            )
    return problems


def simulation_batches(policy: Dict[str, Any]) -> List[Dict[str, Any]]:
    """One ``{"actions", "resources"}`` per Allow statement; resources is empty for "*" (the API's default)."""
    statements = policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]
    batches = []
    for statement in statements:
        if statement.get("Effect", "Allow") != "Allow":
            continue
        resources = [r for r in _listed(statement.get("Resource", "*")) if r != "*"]
        batches.append({"actions": sorted(set(_listed(statement["Action"]))), "resources": resources})
    return batches


def evaluate_iam_policy(
    decisions: Dict[str, str], error: Optional[Dict[str, Any]] = None, unsimulated: Optional[str] = None
) -> Dict[str, Any]:
    """The iam_permissions check from ``{action: EvalDecision}``, or from why the simulation could not run.

    Not being able to simulate is a warning, never a problem: the DryRun probes and the build itself still
    find a missing permission, only later.
    """
    if unsimulated is not None:
        return check("iam_permissions", WARN, f"not verified: {unsimulated}")
    if error is not None:
        code = error.get("code")
        if code in ("AccessDenied", "AccessDeniedException"):
            why = "the identity may not call iam:SimulatePrincipalPolicy (add it, as in docs/iam/preflight.json)"
        elif code == "NoSuchEntity":
            why = "IAM does not know the identity as a user or role (a role with a path, e.g. AWS SSO's?)"
        else:
            why = "iam:SimulatePrincipalPolicy is not available at this endpoint"
        return check("iam_permissions", WARN, f"not verified: {why} ({code}: {error.get('message')})")
    denied = sorted(action for action, decision in decisions.items() if decision != "allowed")
    detail = f"{len(decisions) - len(denied)} of {len(decisions)} actions of iam_policy allowed (SimulatePrincipalPolicy)"
    if not denied:
        return check("iam_permissions", PASS, detail)
    named = ", ".join(f"{action} ({decisions[action]})" for action in denied)
    return check(
        "iam_permissions",
        FAIL,
        f"denied: {named}; {detail}",
        cause="The identity running the playbook is not allowed these actions; the run would stop half-way "
        "with AccessDenied or UnauthorizedOperation.",
        fix=IAM_POLICY_FIX,
    )


def problems_of(checks: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [c for c in checks if c["status"] == FAIL]


def format_problem(record: Dict[str, Any]) -> str:
    text = f"[{record['name']}] {record['detail']}."
    if record.get("cause"):
        text += f" Cause: {record['cause']}"
    if record.get("fix"):
        text += f" Fix: {record['fix']}."
    return text


def format_message(problems: Sequence[Dict[str, Any]]) -> str:
    count = len(problems)
    head = f"Pre-flight found {count} problem{'s' if count != 1 else ''}; nothing was created:"
    return " ".join([head] + [f"({i}) {format_problem(p)}" for i, p in enumerate(problems, 1)])
