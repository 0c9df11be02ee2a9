# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stack's facts, stated once: the design's defaults and the names the stack gives its resources.

The roles' defaults, the playbooks (pre-flight, audit, DR failover) and the modules take these values from here:
Python imports this file; YAML reads it through the ``nova.infra.stack`` lookup and the ``nova.infra.bucket_name``
filter. Change a default here and the build, the pre-flight, the audit and the DR playbook change with it.
"""

import copy
from typing import Any
from typing import Dict
from typing import List

# The design (docs/architecture.md): one VPC over two AZs in us-west-2, SSH to the bastion from one office range,
# two buckets (application logs with a lifecycle, backups) replicated to us-east-1.
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
}


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
