# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stack's facts, stated once: the design's defaults and the names the stack gives its resources.

The roles' defaults, the playbooks (pre-flight, audit, DR failover) and the modules take these values from here:
Python imports this file; YAML reads it through the ``nova.infra.stack`` lookup and the ``nova.infra.bucket_name``
filter. Change a default here and the build, the pre-flight, the audit and the DR playbook change with it.

The input rules the roles, the playbooks and the modules share live here too (YAML uses them as Jinja tests:
``nova_region is nova.infra.region``, plugins/test/stack.py), so that a value one of them accepts no other refuses.
"""

import copy
import re
from typing import Any
from typing import Dict
from typing import List
from typing import Optional

# The design (docs/architecture.md): one VPC over two AZs in us-west-2, SSH to the bastion from one office range,
# two buckets (application logs with a lifecycle, backups) replicated to us-east-1, flow logs, two kinds of alarm and
# a one-instance bastion group. The audit (stack_audit) compares the stack with these values.
DESIGN: Dict[str, Any] = {
    "region": "us-west-2",
    "dr_region": "us-east-1",
    "name_prefix": "nova-production",
    "vpc_cidr": "10.0.0.0/16",
    "az_count": 2,
    "ssh_cidrs": ["203.0.113.0/24"],
    "tags": {"Project": "nova", "Environment": "production", "ManagedBy": "ansible"},
    # Short names (the full name is bucket_name()); app-logs gets the log lifecycle and receives the VPC flow logs.
    "buckets": [
        {"name": "app-logs", "lifecycle": True, "log_delivery": True},
        {"name": "backup", "lifecycle": False, "log_delivery": False},
    ],
    # Cross-region replication (the storage role): the replicas' storage class, and S3 Replication Time Control
    # (15 minutes, with the replication metrics the monitoring role alarms on).
    "replication_storage_class": "STANDARD_IA",
    "replication_time_control": True,
    # VPC flow logs (the monitoring role): which traffic, and the key prefix in the log-delivery bucket above.
    "flow_log_traffic_type": "ALL",
    "flow_log_prefix": "vpc-flow-logs/",
    # The monitoring role's CloudWatch alarms: each NAT gateway's egress (AWS/NATGateway, bytes per period) and the
    # bastion Auto Scaling group's CPU (AWS/EC2, percent).
    "nat_alarm": {
        "metric": "BytesOutToDestination",
        "statistic": "Sum",
        "period": 300,
        "evaluation_periods": 1,
        "threshold": 1000000000,
        "comparison": "GreaterThanThreshold",
    },
    "bastion_cpu_alarm": {
        "metric": "CPUUtilization",
        "statistic": "Average",
        "period": 300,
        "evaluation_periods": 1,
        "threshold": 80,
        "comparison": "GreaterThanThreshold",
    },
    # The bastion's Auto Scaling group: one instance, and room for a second while one is replaced.
    "bastion_asg": {"min_size": 1, "max_size": 2, "desired_capacity": 1},
    # The bastion's instance type; the network role only takes zones that offer it.
    "bastion_instance_type": "t3.micro",
    # How operators reach the bastion: "ssh" (SSH from ssh_cidrs with the key pair), "ssm" (AWS Systems Manager
    # Session Manager only: an instance profile with ssm_managed_policy and no SSH ingress at all) or "both".
    "bastion_access": "ssh",
    # The AWS managed policy an instance needs to be managed by Systems Manager (Session Manager included).
    "ssm_managed_policy": "AmazonSSMManagedInstanceCore",
    # Egress, least privilege. Security groups do not filter traffic to the link-local services every instance uses:
    # DNS through the VPC resolver (169.254.169.253, the VPC's base + 2), NTP to the Amazon Time Sync Service
    # (169.254.169.123) and the instance metadata service (169.254.169.254), so no rule is needed for them.
    # The bastion: SSH to the VPC's own CIDR (to the private hosts; the role and the audit add that rule from the VPC
    # CIDR) and these. HTTPS reaches the package repositories (Amazon Linux 2023's are on S3 and CloudFront over
    # HTTPS) and the Systems Manager endpoints (ssm, ssmmessages, ec2messages).
    "bastion_egress": [
        {"proto": "tcp", "ports": [443], "cidr_ip": "0.0.0.0/0",
         "rule_desc": "HTTPS: package repositories and Systems Manager"},
    ],
    # The private group's egress (the bastion role's bastion_private_egress): HTTPS through the NAT gateways, for
    # package repositories, AWS APIs and Systems Manager.
    "private_egress": [
        {"proto": "tcp", "ports": [443], "cidr_ip": "0.0.0.0/0",
         "rule_desc": "HTTPS: package repositories, AWS APIs and Systems Manager"},
    ],
}

BASTION_ACCESS_MODES = ("ssh", "ssm", "both")


def design(key: str) -> Any:
    """One design default (a copy: callers may change what they get)."""
    if key not in DESIGN:
        raise KeyError(f"{key!r} is not a design default of the stack; known: {', '.join(sorted(DESIGN))}")
    return copy.deepcopy(DESIGN[key])


def required_tags(prefix: str) -> Dict[str, str]:
    """The tags every resource of the stack named ``prefix`` carries when the inventory sets none
    (``nova_common_tags``): the design's tags and ``Stack: <prefix>``."""
    return dict(design("tags"), Stack=prefix)


def bucket_name(bucket: str, prefix: str, account: str, region: str) -> str:
    """A bucket's full name: ``<prefix>-<bucket>-<account id>-<region>``.

    The account id and region make the name unique in S3's global namespace; the same short name in the DR
    region is the replica's name.
    """
    return f"{prefix}-{bucket}-{account}-{region}"


def bucket_names(buckets: List[str], prefix: str, account: str, region: str) -> List[str]:
    return [bucket_name(bucket, prefix, account, region) for bucket in buckets]


# ---------------------------------------------------------------- input rules

# Every name of the stack starts with the prefix (Name tags, groups, buckets): 1-40 letters, digits, inner hyphens.
NAME_PREFIX = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,38}[A-Za-z0-9])?$")
# The shape of every AWS region name (us-west-2, us-gov-west-1, us-isob-east-1, ap-southeast-5), checked without
# DescribeRegions: a call in a region that does not exist only fails after the endpoint lookup or connection times
# out. The direction words catch typos (us-wset-2) that a looser shape would let through to a DNS error.
REGION_NAME = re.compile(
    r"^[a-z]{2}(-gov|-iso[a-z]?)?-(north|south|east|west|central|northeast|northwest|southeast|southwest)-[1-9]$"
)
REGION_FIX = "use an AWS region name such as us-west-2 or us-east-1 (lowercase, as in `aws ec2 describe-regions`)"
# General purpose bucket names (the legacy us-east-1 upper-case names cannot take part in replication).
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
# Reserved by S3 for access points, Object Lambda, Multi-Region Access Points and other bucket kinds.
_BUCKET_BAD_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_BAD_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
SNS_TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# An S3 key prefix AWS log delivery accepts: safe characters only, no leading slash, ending in a slash.
S3_KEY_PREFIX = re.compile(r"^[A-Za-z0-9!_.*()'-][A-Za-z0-9!_.*()'/-]*/$")
# An OpenSSH public key line of a type EC2 imports (its comment optional).
SSH_PUBLIC_KEY = re.compile(r"^(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]{60,}={0,2}( |$)")


def is_name_prefix(value: Any) -> bool:
    return isinstance(value, str) and bool(NAME_PREFIX.match(value))


def is_region(value: Any) -> bool:
    return isinstance(value, str) and bool(REGION_NAME.match(value))


def is_sns_topic_name(value: Any) -> bool:
    return isinstance(value, str) and bool(SNS_TOPIC_NAME.match(value))


def is_s3_key_prefix(value: Any) -> bool:
    return isinstance(value, str) and bool(S3_KEY_PREFIX.match(value))


def is_ssh_public_key(value: Any) -> bool:
    return isinstance(value, str) and bool(SSH_PUBLIC_KEY.match(value.strip()))


def bucket_name_problem(bucket: str) -> Optional[str]:
    """Why bucket breaks the S3 bucket naming rules, or None when it is a valid name."""
    if not 3 <= len(bucket) <= 63:
        return f"the bucket name is {len(bucket)} characters long; S3 bucket names have 3 to 63"
    if not BUCKET_NAME.match(bucket):
        return (
            "S3 bucket names have only lowercase letters, digits, dots and hyphens, "
            "and start and end with a letter or digit"
        )
    if ".." in bucket:
        return "S3 bucket names cannot have two adjacent dots"
    if _IPV4.match(bucket):
        return "S3 bucket names cannot look like an IP address"
    if bucket.startswith(_BUCKET_BAD_PREFIXES) or bucket.endswith(_BUCKET_BAD_SUFFIXES):
        return "the bucket name uses a prefix or suffix S3 reserves for other bucket kinds"
    return None


def is_s3_bucket_name(value: Any) -> bool:
    return isinstance(value, str) and bucket_name_problem(value) is None


def tag_problem(key: Any, value: Any) -> Optional[str]:
    """Why AWS would refuse the tag, or None: keys of 1-128 characters not starting with aws:, values up to 256."""
    key, value = str(key), "" if value is None else str(value)
    if not 1 <= len(key) <= 128:
        return f"the key is {len(key)} characters long; AWS takes 1 to 128"
    if key.lower().startswith("aws:"):
        return "keys starting with aws: are reserved for AWS"
    if len(value) > 256:
        return f"the value is {len(value)} characters long; AWS takes up to 256"
    return None


def is_aws_tag(pair: Any) -> bool:
    """A (key, value) pair AWS accepts as a tag."""
    return isinstance(pair, (list, tuple)) and len(pair) == 2 and tag_problem(*pair) is None
