# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The audit rules on fabricated snapshots: a good stack passes every check, and each
mutation of it produces exactly the findings of the check it breaks."""

import copy

import pytest

from ansible_collections.nova.infra.plugins.module_utils import audit

P = "nova-production"
TAGS = dict(audit.DEFAULT_REQUIRED_TAGS)
AZS = ("us-west-2a", "us-west-2b")
# The flow log destination the module works out from flow_log_bucket and flow_log_prefix (the good snapshot's).
FLOW_LOG_DESTINATION = "arn:aws:s3:::logs/vpc-flow-logs/"
SETTINGS = {"flow_log_destination": FLOW_LOG_DESTINATION, "interface_endpoints": ["ssm"]}


def tagged(name, **extra):
    return {**TAGS, "Name": name, **extra}


def ssh_from_cidr(*cidrs, protocol="tcp", low=22, high=22):
    return {"IpProtocol": protocol, "FromPort": low, "ToPort": high, "IpRanges": [{"CidrIp": c} for c in cidrs]}


def good_snapshot():
    snap = audit.empty_snapshot("us-west-2", P)
    snap["vpc"] = {"id": "vpc-1", "cidr": "10.0.0.0/16", "tags": tagged(f"{P}-vpc")}
    for i, az in enumerate(AZS):
        snap["subnets"] += [
            {
                "id": f"subnet-pub-{az}",
                "az": az,
                "cidr": f"10.0.{i}.0/24",
                "type": "Public",
                "available_ips": 250,
                "map_public_ip": True,
                "tags": tagged(f"{P}-public-{az}", Type="Public"),
            },
            {
                "id": f"subnet-priv-{az}",
                "az": az,
                "cidr": f"10.0.{i + 2}.0/24",
                "type": "Private",
                "available_ips": 251,
                "map_public_ip": False,
                "tags": tagged(f"{P}-private-{az}", Type="Private"),
            },
        ]
        snap["nat_gateways"].append(
            {
                "id": f"nat-{az}",
                "subnet_id": f"subnet-pub-{az}",
                "state": "available",
                "allocation_ids": [f"eipalloc-{az}"],
                "tags": tagged(f"{P}-nat-{az}"),
            }
        )
        snap["eips"].append({"allocation_id": f"eipalloc-{az}", "public_ip": "198.51.100.1", "tags": tagged(f"{P}-nat-eip-{az}")})
        snap["route_tables"].append(
            {
                "id": f"rtb-priv-{az}",
                "main": False,
                "subnet_ids": [f"subnet-priv-{az}"],
                "routes": [
                    {"destination": "10.0.0.0/16", "target": "local", "target_type": "gateway", "state": "active"},
                    {"destination": "0.0.0.0/0", "target": f"nat-{az}", "target_type": "nat_gateway", "state": "active"},
                    {"destination": "pl-68a54001", "target": "vpce-s3", "target_type": "gateway", "state": "active"},
                ],
                "tags": tagged(f"{P}-private-rt-{az}", Type="Private"),
            }
        )
    snap["internet_gateways"] = [{"id": "igw-1", "attached": True, "tags": tagged(f"{P}-igw")}]
    snap["route_tables"] += [
        {
            "id": "rtb-pub",
            "main": False,
            "subnet_ids": [f"subnet-pub-{az}" for az in AZS],
            "routes": [
                {"destination": "10.0.0.0/16", "target": "local", "target_type": "gateway", "state": "active"},
                {"destination": "0.0.0.0/0", "target": "igw-1", "target_type": "gateway", "state": "active"},
            ],
            "tags": tagged(f"{P}-public-rt", Type="Public"),
        },
        {
            "id": "rtb-main",
            "main": True,
            "subnet_ids": [],
            "routes": [{"destination": "10.0.0.0/16", "target": "local", "target_type": "gateway", "state": "active"}],
            "tags": tagged(f"{P}-main-rt"),
        },
    ]
    # The design's least-privilege egress (NOVA-SG-007): the bastion SSH into the VPC and HTTPS, private hosts HTTPS.
    https_out = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    ssh_into_vpc = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}
    snap["security_groups"] = [
        {"id": "sg-default", "name": "default", "is_default": True, "ingress": [], "egress": [], "tags": tagged(f"{P}-default-sg")},
        {
            "id": "sg-bastion",
            "name": f"{P}-bastion-sg",
            "is_default": False,
            "ingress": [ssh_from_cidr("203.0.113.0/24")],
            "egress": [ssh_into_vpc, https_out],
            "tags": tagged(f"{P}-bastion-sg"),
        },
        {
            "id": "sg-private",
            "name": f"{P}-private-sg",
            "is_default": False,
            "ingress": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": "sg-bastion"}]}],
            "egress": [https_out],
            "tags": tagged(f"{P}-private-sg"),
        },
    ]
    snap["security_groups"].append(
        {
            "id": "sg-endpoints",
            "name": f"{P}-endpoints-sg",
            "is_default": False,
            "ingress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}],
            "egress": [],
            "tags": tagged(f"{P}-endpoints-sg"),
        }
    )
    snap["vpc_endpoints"] = [
        {
            "id": "vpce-s3",
            "type": "gateway",
            "service": "com.amazonaws.us-west-2.s3",
            "state": "available",
            "route_table_ids": [f"rtb-priv-{az}" for az in AZS],
            "subnet_ids": [],
            "group_ids": [],
            "private_dns": False,
            "tags": tagged(f"{P}-vpce-s3"),
        },
        {
            "id": "vpce-ssm",
            "type": "interface",
            "service": "com.amazonaws.us-west-2.ssm",
            "state": "available",
            "route_table_ids": [],
            "subnet_ids": [f"subnet-priv-{az}" for az in AZS],
            "group_ids": ["sg-endpoints"],
            "private_dns": True,
            "tags": tagged(f"{P}-vpce-ssm"),
        },
    ]
    snap["flow_logs"] = [
        {
            "id": "fl-1",
            "status": "ACTIVE",
            "traffic_type": "ALL",
            "deliver_status": "SUCCESS",
            "destination": FLOW_LOG_DESTINATION,
            "tags": tagged(f"{P}-flow-log"),
        }
    ]
    snap["asg"] = {
        "name": f"{P}-bastion-asg",
        "subnet_ids": [f"subnet-pub-{az}" for az in AZS],
        "min_size": 1,
        "max_size": 2,
        "desired": 1,
        "instances": [{"id": "i-1", "lifecycle_state": "InService", "health": "Healthy"}],
        "tags": tagged(f"{P}-bastion", Role="bastion"),
    }
    snap["instances"] = [
        {
            "id": "i-1",
            "state": "running",
            "subnet_id": "subnet-pub-us-west-2a",
            "az": "us-west-2a",
            "http_tokens": "required",
            "public_ip": "198.51.100.10",
            "tags": tagged(f"{P}-bastion", Role="bastion"),
        }
    ]
    snap["launch_template"] = {"id": "lt-1", "name": f"{P}-bastion-lt", "http_tokens": "required", "key_name": f"{P}-bastion-key",
                               "key_exists": True, "tags": tagged(f"{P}-bastion-lt")}
    for name, region in (("logs-w", "us-west-2"), ("backup-w", "us-west-2"), ("logs-e", "us-east-1"), ("backup-e", "us-east-1")):
        snap["buckets"].append(
            {
                "name": name,
                "expected_region": region,
                "exists": True,
                "region": region,
                "public_access_block": {flag: True for flag in audit.BPA_FLAGS},
                "encryption": ["AES256"],
                "versioning": "Enabled",
                "tags": tagged(name),
            }
        )
    for source, destination in (("logs-w", "logs-e"), ("backup-w", "backup-e")):
        snap["replication"].append(
            {
                "source": source,
                "destination": destination,
                "destination_region": "us-east-1",
                "rules": [
                    {
                        "ID": "to-dr",
                        "Status": "Enabled",
                        "Destination": {
                            "Bucket": f"arn:aws:s3:::{destination}",
                            "StorageClass": "STANDARD_IA",
                            "ReplicationTime": {"Status": "Enabled", "Time": {"Minutes": 15}},
                            "Metrics": {"Status": "Enabled", "EventThreshold": {"Minutes": 15}},
                        },
                    }
                ],
                "destination_exists": True,
                "destination_actual_region": "us-east-1",
                "destination_versioning": "Enabled",
            }
        )
    topic = f"arn:aws:sns:us-west-2:123456789012:{P}-alarms"
    snap["alarms"] = [
        {
            "name": f"{P}-nat-bytes-out-{az}",
            "namespace": "AWS/NATGateway",
            "metric": "BytesOutToDestination",
            "dimensions": {"NatGatewayId": f"nat-{az}"},
            "statistic": "Sum",
            "period": 300,
            "evaluation_periods": 1,
            "threshold": 1000000000.0,
            "comparison": "GreaterThanThreshold",
            "actions_enabled": True,
            "actions": [topic],
            "tags": tagged(f"{P}-nat-bytes-out-{az}"),
        }
        for az in AZS
    ] + [
        {
            "name": f"{P}-bastion-cpu",
            "namespace": "AWS/EC2",
            "metric": "CPUUtilization",
            "dimensions": {"AutoScalingGroupName": f"{P}-bastion-asg"},
            "statistic": "Average",
            "period": 300,
            "evaluation_periods": 1,
            "threshold": 80.0,
            "comparison": "GreaterThanThreshold",
            "actions_enabled": True,
            "actions": [topic],
            "tags": tagged(f"{P}-bastion-cpu"),
        }
    ]
    snap["alarm_topic"] = {
        "name": f"{P}-alarms",
        "arn": topic,
        "exists": True,
        "confirmed": ["email:ops@example.com"],
        "pending": [],
        "tags": tagged(f"{P}-alarms"),
    }
    snap["key_pair"] = {"name": f"{P}-bastion-key", "id": "key-1", "tags": tagged(f"{P}-bastion-key")}
    snap["replication_role"] = {"name": f"{P}-s3-replication", "tags": tagged(f"{P}-s3-replication")}
    snap["account_public_access_block"] = {
        "account_id": "123456789012",
        "configured": True,
        "flags": {flag: True for flag in audit.BPA_FLAGS},
        "unreadable": None,
    }
    return snap


def rtb(snap, table_id):
    return next(t for t in snap["route_tables"] if t["id"] == table_id)


def sg(snap, group_id):
    return next(g for g in snap["security_groups"] if g["id"] == group_id)


def rt(snap, table_id):
    return next(t for t in snap["route_tables"] if t["id"] == table_id)


def single_nat(snap):
    """nat_mode single as built: the first AZ's NAT gateway for both private subnets, the second one gone."""
    snap["nat_gateways"].pop(1)
    snap["eips"].pop(1)
    snap["alarms"].pop(1)
    route = next(r for r in rt(snap, "rtb-priv-us-west-2b")["routes"] if r["destination"] == "0.0.0.0/0")
    route["target"] = "nat-us-west-2a"


def set_default_route(snap, table_id, target, target_type, state="active"):
    route = next(r for r in rt(snap, table_id)["routes"] if r["destination"] == "0.0.0.0/0")
    route.update(target=target, target_type=target_type, state=state)


# Each case: (id, mutation, check ids of the expected findings in order of appearance, a detail fragment).
MUTATIONS = [
    ("no_vpc", lambda s: s.update(vpc=None), ["NOVA-NET-001"], "no VPC tagged Name=nova-production-vpc"),
    ("wrong_vpc_cidr", lambda s: s["vpc"].update(cidr="10.1.0.0/16"), ["NOVA-NET-001"], "expected 10.0.0.0/16"),
    ("duplicate_vpc", lambda s: s.update(duplicate_vpcs=["vpc-2"]), ["NOVA-NET-001"], "a second VPC"),
    (
        "igw_detached",
        lambda s: s["internet_gateways"][0].update(attached=False),
        ["NOVA-NET-002", "NOVA-NET-010"],
        "no internet gateway",
    ),
    (
        "public_default_route_deleted",
        lambda s: rtb(s, "rtb-pub")["routes"].pop(),
        ["NOVA-NET-010"],
        "no 0.0.0.0/0 route in its route table rtb-pub",
    ),
    (
        "public_subnet_on_main_table",
        lambda s: rtb(s, "rtb-pub")["subnet_ids"].remove("subnet-pub-us-west-2b"),
        ["NOVA-NET-010"],
        "no 0.0.0.0/0 route in its route table rtb-main",
    ),
    (
        "public_subnet_no_public_ips",
        lambda s: s["subnets"][0].update(map_public_ip=False),
        ["NOVA-NET-010"],
        "MapPublicIpOnLaunch is off",
    ),
    (
        "bastion_without_public_ip",
        lambda s: s["instances"][0].update(public_ip=None),
        ["NOVA-EC2-003"],
        "has no public IP address",
    ),
    (
        "private_ssh_from_bastion_revoked",
        lambda s: sg(s, "sg-private").update(ingress=[]),
        ["NOVA-SG-002"],
        "no tcp/22 rule from the bastion security group sg-bastion",
    ),
    (
        "bastion_sg_https_from_world",
        lambda s: sg(s, "sg-bastion")["ingress"].append(ssh_from_cidr("0.0.0.0/0", low=443, high=443)),
        ["NOVA-SG-006"],
        "tcp/443 from cidr 0.0.0.0/0 is more than the design's tcp/22",
    ),
    (
        "private_sg_ssh_range_from_bastion",
        lambda s: sg(s, "sg-private")["ingress"][0].update(FromPort=0, ToPort=65535),
        ["NOVA-SG-006"],
        "tcp/0-65535 from group sg-bastion is more than the design's tcp/22",
    ),
    (
        "private_subnet_missing_type",
        lambda s: s["subnets"][3].update(type=None),
        ["NOVA-NET-003"],
        "private subnets (Type=Private) in 1 AZ(s)",
    ),
    ("subnet_nearly_full", lambda s: s["subnets"][1].update(available_ips=40), ["NOVA-NET-004"], "40 of 251"),
    ("nat_failed", lambda s: s["nat_gateways"][1].update(state="failed"), ["NOVA-NET-005", "NOVA-NET-009"], "is failed"),
    (
        "s3_endpoint_off_one_private_table",
        lambda s: (s["vpc_endpoints"][0].update(route_table_ids=["rtb-priv-us-west-2a"]),
                   rt(s, "rtb-priv-us-west-2b")["routes"].pop()),
        ["NOVA-NET-013"],
        "no route to the S3 gateway endpoint",
    ),
    ("s3_endpoint_deleted", lambda s: s["vpc_endpoints"].pop(0), ["NOVA-NET-013"], "no com.amazonaws.us-west-2.s3"),
    (
        "interface_endpoint_without_private_dns",
        lambda s: s["vpc_endpoints"][1].update(private_dns=False),
        ["NOVA-NET-014"],
        "private DNS off",
    ),
    (
        "interface_endpoint_group_open_to_the_world",
        lambda s: sg(s, "sg-endpoints")["ingress"][0]["IpRanges"].append({"CidrIp": "0.0.0.0/0"}),
        ["NOVA-NET-014"],
        "allows more than HTTPS from 10.0.0.0/16",
    ),
    (
        "interface_endpoint_untagged",
        lambda s: s["vpc_endpoints"][1]["tags"].pop("Stack"),
        ["NOVA-TAG-001"],
        "missing Stack",
    ),
    (
        "igw_route_in_private_table",
        lambda s: rt(s, "rtb-priv-us-west-2a")["routes"].append(
            {"destination": "198.51.100.0/24", "target": "igw-1", "target_type": "gateway", "state": "active"}
        ),
        ["NOVA-NET-006"],
        "-> internet gateway igw-1",
    ),
    (
        # FAILURE_ANALYSIS 'Private Subnet Route to IGW': the table a private subnet uses counts, whatever its tags.
        "igw_route_in_an_untagged_table_a_private_subnet_uses",
        lambda s: (rt(s, "rtb-priv-us-west-2a")["tags"].pop("Type"), rt(s, "rtb-priv-us-west-2a")["routes"].append(
            {"destination": "198.51.100.0/24", "target": "igw-1", "target_type": "gateway", "state": "active"}
        )),
        ["NOVA-NET-006"],
        "in the route table of private subnet(s) subnet-priv-us-west-2a",
    ),
    (
        "igw_route_in_the_main_table_an_unassociated_private_subnet_falls_back_to",
        lambda s: (rt(s, "rtb-priv-us-west-2a")["subnet_ids"].clear(), rt(s, "rtb-main")["routes"].append(
            {"destination": "198.51.100.0/24", "target": "igw-1", "target_type": "gateway", "state": "active"}
        )),
        ["NOVA-NET-006", "NOVA-NET-007"],
        "in the route table of private subnet(s) subnet-priv-us-west-2a",
    ),
    (
        "private_subnet_uses_other_az_nat",
        lambda s: set_default_route(s, "rtb-priv-us-west-2b", "nat-us-west-2a", "nat_gateway"),
        ["NOVA-NET-007"],
        "in us-west-2b sends 0.0.0.0/0 to NAT gateway nat-us-west-2a in us-west-2a",
    ),
    (
        "private_default_route_to_igw_untagged_table",
        lambda s: (rt(s, "rtb-priv-us-west-2b")["tags"].pop("Type"), set_default_route(s, "rtb-priv-us-west-2b", "igw-1", "gateway")),
        # The table a private subnet uses routes to the internet gateway: NOVA-NET-006 too, whatever its tags.
        ["NOVA-NET-007", "NOVA-NET-006"],
        "not a NAT gateway",
    ),
    (
        "blackhole_route",
        lambda s: rt(s, "rtb-pub")["routes"].append(
            {"destination": "192.0.2.0/24", "target": "nat-gone", "target_type": "nat_gateway", "state": "blackhole"}
        ),
        ["NOVA-NET-008"],
        "is a blackhole",
    ),
    (
        "asg_in_one_az",
        lambda s: s["asg"].update(subnet_ids=["subnet-pub-us-west-2a"]),
        ["NOVA-NET-009"],
        "bastion Auto Scaling group subnets span 1 AZ(s)",
    ),
    ("flow_log_deleted", lambda s: s.update(flow_logs=[]), ["NOVA-LOG-001"], "no ACTIVE flow log"),
    ("flow_log_rejects_only", lambda s: s["flow_logs"][0].update(traffic_type="REJECT"), ["NOVA-LOG-001"], "traffic REJECT"),
    (
        "bastion_ssh_from_other_cidr",
        lambda s: sg(s, "sg-bastion")["ingress"].append(ssh_from_cidr("198.51.100.0/24")),
        ["NOVA-SG-001"],
        "from cidr 198.51.100.0/24 reaches SSH",
    ),
    (
        "bastion_ssh_rule_gone",
        lambda s: sg(s, "sg-bastion").update(ingress=[]),
        ["NOVA-SG-001"],
        "the bastion is unreachable",
    ),
    (
        "private_ssh_from_cidr",
        lambda s: sg(s, "sg-private")["ingress"].append(ssh_from_cidr("10.0.0.0/16")),
        ["NOVA-SG-002"],
        "from cidr 10.0.0.0/16 reaches SSH",
    ),
    (
        "bastion_ssh_from_world",
        lambda s: sg(s, "sg-bastion")["ingress"].append(ssh_from_cidr("0.0.0.0/0")),
        ["NOVA-SG-003", "NOVA-SG-001"],
        "tcp/22 from 0.0.0.0/0 opens port(s) 22",
    ),
    (
        # The internet split in two: no /0, and still every address (FAILURE_ANALYSIS 'Overly Permissive SSH').
        "bastion_ssh_from_the_world_in_two_halves",
        lambda s: sg(s, "sg-bastion")["ingress"].extend([ssh_from_cidr("0.0.0.0/1"), ssh_from_cidr("128.0.0.0/1")]),
        ["NOVA-SG-003", "NOVA-SG-001"],
        "port(s) 22 from 0.0.0.0/1, 128.0.0.0/1, 203.0.113.0/24 together let in 4,277,075,968 public addresses "
        "(100% of the IPv4 internet), more than a /8",
    ),
    (
        "other_sg_ssh_from_ipv6_halves",
        lambda s: s["security_groups"].append(
            {
                "id": "sg-app",
                "name": "app",
                "is_default": False,
                "ingress": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                             "Ipv6Ranges": [{"CidrIpv6": "::/1"}, {"CidrIpv6": "8000::/1"}]}],
                "egress": [],
                "tags": tagged("app"),
            }
        ),
        ["NOVA-SG-004"],
        "port(s) 22 from ::/1, 8000::/1 together let in about 2^127 public addresses",
    ),
    (
        # FAILURE_ANALYSIS 'Overly Permissive SSH Access': its validation script looks at every group of the region.
        "a_group_of_another_vpc_opens_ssh_to_the_world",
        lambda s: s["region_security_groups"].append(
            {"id": "sg-elsewhere", "name": "legacy", "vpc_id": "vpc-other",
             "ingress": [ssh_from_cidr("0.0.0.0/0")], "tags": tagged("legacy")}
        ),
        ["NOVA-SG-008"],
        "tcp/22 from 0.0.0.0/0 opens port(s) 22 to the whole internet",
    ),
    (
        "other_sg_rdp_range_from_world",
        lambda s: s["security_groups"].append(
            {
                "id": "sg-app",
                "name": "app",
                "is_default": False,
                "ingress": [ssh_from_cidr("0.0.0.0/0", low=3000, high=4000)],
                "egress": [],
                "tags": tagged("app"),
            }
        ),
        ["NOVA-SG-003"],
        "tcp/3000-4000 from 0.0.0.0/0 opens port(s) 3389",
    ),
    (
        "all_traffic_from_world_v6",
        lambda s: s["security_groups"].append(
            {
                "id": "sg-app",
                "name": "app",
                "is_default": False,
                "ingress": [{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}],
                "egress": [],
                "tags": tagged("app"),
            }
        ),
        ["NOVA-SG-004"],
        "all traffic from ::/0 opens port(s) 22, 3389",
    ),
    (
        "private_sg_egress_all_traffic",
        lambda s: sg(s, "sg-private")["egress"].append({"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}),
        ["NOVA-SG-007"],
        "egress all traffic to cidr 0.0.0.0/0 is wider than the settings allow (tcp/443 to 0.0.0.0/0)",
    ),
    (
        "bastion_sg_ssh_out_to_the_internet",
        lambda s: sg(s, "sg-bastion")["egress"].append(ssh_from_cidr("0.0.0.0/0")),
        ["NOVA-SG-007"],
        "egress tcp/22 to cidr 0.0.0.0/0 is wider than the settings allow",
    ),
    (
        "default_sg_has_rules",
        lambda s: sg(s, "sg-default").update(egress=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]),
        ["NOVA-SG-005"],
        "0 ingress and 1 egress",
    ),
    ("bucket_missing", lambda s: s["buckets"][1].update(exists=False, region=None), ["NOVA-S3-001"], "does not exist"),
    ("bucket_wrong_region", lambda s: s["buckets"][2].update(region="us-west-2"), ["NOVA-S3-001"], "is in us-west-2"),
    ("bucket_no_bpa", lambda s: s["buckets"][0].update(public_access_block=None), ["NOVA-S3-002"], "no Block Public Access"),
    (
        "bucket_bpa_flag_off",
        lambda s: s["buckets"][0]["public_access_block"].update(RestrictPublicBuckets=False),
        ["NOVA-S3-002"],
        "flag(s) off: RestrictPublicBuckets",
    ),
    ("bucket_unencrypted", lambda s: s["buckets"][3].update(encryption=None), ["NOVA-S3-003"], "no default encryption"),
    ("bucket_versioning_suspended", lambda s: s["buckets"][0].update(versioning="Suspended"), ["NOVA-S3-004"], "Suspended"),
    ("replication_gone", lambda s: s["replication"][0].update(rules=None), ["NOVA-S3-005"], "no replication configuration"),
    (
        "replication_disabled",
        lambda s: s["replication"][0]["rules"][0].update(Status="Disabled"),
        ["NOVA-S3-005"],
        "the rule is Disabled",
    ),
    (
        "replication_storage_class",
        lambda s: s["replication"][1]["rules"][0]["Destination"].update(StorageClass="STANDARD"),
        ["NOVA-S3-005"],
        "replicates as STANDARD, expected STANDARD_IA",
    ),
    (
        "replica_missing",
        lambda s: s["replication"][1].update(destination_exists=False, destination_actual_region=None),
        ["NOVA-S3-005"],
        "replica bucket of backup-w does not exist",
    ),
    (
        "replica_unversioned",
        lambda s: s["replication"][1].update(destination_versioning=None),
        ["NOVA-S3-005"],
        "is not versioned",
    ),
    (
        "account_bpa_none",
        lambda s: s["account_public_access_block"].update(configured=False, flags={}),
        ["NOVA-S3-006"],
        "the account has no Block Public Access configuration",
    ),
    (
        "account_bpa_flag_off",
        lambda s: s["account_public_access_block"]["flags"].update(BlockPublicPolicy=False),
        ["NOVA-S3-006"],
        "account-level Block Public Access flag(s) off: BlockPublicPolicy",
    ),
    (
        "nat_alarm_deleted",
        lambda s: s["alarms"].pop(0),
        ["NOVA-MON-001"],
        "no BytesOutToDestination alarm watches this NAT gateway",
    ),
    (
        "nat_alarm_on_a_replaced_nat",
        lambda s: s["alarms"][1]["dimensions"].update(NatGatewayId="nat-old"),
        ["NOVA-MON-001"],
        "no BytesOutToDestination alarm watches this NAT gateway",
    ),
    (
        "bastion_alarm_deleted",
        lambda s: s["alarms"].pop(),
        ["NOVA-MON-001"],
        "no CPUUtilization alarm watches the bastion's Auto Scaling group",
    ),
    (
        "alarm_actions_disabled",
        lambda s: s["alarms"][2].update(actions_enabled=False),
        ["NOVA-MON-001"],
        "(its actions are disabled)",
    ),
    (
        "alarm_topic_without_subscribers",
        lambda s: s["alarm_topic"].update(confirmed=[]),
        ["NOVA-MON-002"],
        "no subscriber: the alarms notify nobody",
    ),
    (
        "alarm_subscription_unconfirmed",
        lambda s: s["alarm_topic"].update(confirmed=[], pending=["email:ops@example.com"]),
        ["NOVA-MON-002"],
        "1 subscription(s) pending confirmation (email:ops@example.com)",
    ),
    (
        "alarm_topic_deleted",
        lambda s: s["alarm_topic"].update(exists=False, confirmed=[]),
        ["NOVA-MON-002"],
        "the alarm topic does not exist",
    ),
    (
        "nat_alarm_threshold_raised",
        lambda s: s["alarms"][0].update(threshold=5000000000.0),
        ["NOVA-MON-003"],
        "threshold is 5000000000, the design says 1000000000",
    ),
    (
        "bastion_alarm_statistic_changed",
        lambda s: s["alarms"][2].update(statistic="Maximum"),
        ["NOVA-MON-003"],
        "statistic is Maximum, the design says Average",
    ),
    (
        "alarm_period_changed",
        lambda s: s["alarms"][1].update(period=3600),
        ["NOVA-MON-003"],
        "period is 3600, the design says 300",
    ),
    (
        "alarm_evaluation_periods_changed",
        lambda s: s["alarms"][2].update(evaluation_periods=5),
        ["NOVA-MON-003"],
        "evaluation periods is 5, the design says 1",
    ),
    (
        "alarm_comparison_changed",
        lambda s: s["alarms"][0].update(comparison="LessThanThreshold"),
        ["NOVA-MON-003"],
        "comparison is LessThanThreshold, the design says GreaterThanThreshold",
    ),
    (
        "alarm_extra_dimension",
        lambda s: s["alarms"][1]["dimensions"].update(Direction="out"),
        ["NOVA-MON-003"],
        "dimensions is NatGatewayId=nat-us-west-2b, Direction=out, the design says NatGatewayId=nat-us-west-2b",
    ),
    (
        "alarm_extra_action",
        lambda s: s["alarms"][2]["actions"].append("arn:aws:sns:us-west-2:123456789012:other"),
        ["NOVA-MON-003"],
        "actions is arn:aws:sns:us-west-2:123456789012:nova-production-alarms, arn:aws:sns:us-west-2:123456789012:other,"
        " the design says arn:aws:sns:us-west-2:123456789012:nova-production-alarms",
    ),
    (
        "replication_time_control_off",
        lambda s: s["replication"][0]["rules"][0]["Destination"].pop("ReplicationTime"),
        ["NOVA-S3-007"],
        "rule to-dr to logs-e: Replication Time Control is off, the design says on",
    ),
    (
        "flow_log_to_another_bucket",
        lambda s: s["flow_logs"][0].update(destination="arn:aws:s3:::elsewhere/vpc-flow-logs/"),
        ["NOVA-LOG-002"],
        f"destination is arn:aws:s3:::elsewhere/vpc-flow-logs/, the design says {FLOW_LOG_DESTINATION}",
    ),
    (
        "private_subnet_maps_public_ips",
        lambda s: s["subnets"][1].update(map_public_ip=True),
        ["NOVA-NET-011"],
        "MapPublicIpOnLaunch is true, the design says false",
    ),
    (
        "asg_max_size_changed",
        lambda s: s["asg"].update(max_size=5),
        ["NOVA-EC2-004"],
        "MaxSize is 5, the design says 2",
    ),
    (
        "asg_min_size_zero",
        lambda s: s["asg"].update(min_size=0),
        ["NOVA-EC2-004"],
        "MinSize is 0, the design says 1",
    ),
    ("key_pair_untagged", lambda s: s["key_pair"]["tags"].pop("Project"), ["NOVA-TAG-001"], "missing Project"),
    (
        "replication_role_untagged",
        lambda s: s["replication_role"].update(tags={}),
        ["NOVA-TAG-001"],
        "missing Environment, ManagedBy, Project, Stack",
    ),
    ("alarm_topic_untagged", lambda s: s["alarm_topic"]["tags"].pop("Stack"), ["NOVA-TAG-001"], "missing Stack"),
    ("alarm_untagged", lambda s: s["alarms"][2].update(tags={}), ["NOVA-TAG-001"],
     "missing Environment, ManagedBy, Project, Stack"),
    (
        "alarm_wrong_stack_tag",
        lambda s: s["alarms"][0]["tags"].update(Stack="other"),
        ["NOVA-TAG-001"],
        "wrong Stack=other (expected nova-production)",
    ),
    ("nat_untagged", lambda s: s["nat_gateways"][0]["tags"].pop("Stack"), ["NOVA-TAG-001"], "missing Stack"),
    (
        "bucket_wrong_environment_tag",
        lambda s: s["buckets"][2]["tags"].update(Environment="staging"),
        ["NOVA-TAG-001"],
        "wrong Environment=staging (expected production)",
    ),
    ("asg_missing", lambda s: s.update(asg=None, instances=[]), ["NOVA-EC2-001"], "does not exist"),
    (
        "asg_instance_unhealthy",
        lambda s: s["asg"]["instances"][0].update(health="Unhealthy"),
        ["NOVA-EC2-001"],
        "0 healthy running instance(s)",
    ),
    ("instance_imdsv1", lambda s: s["instances"][0].update(http_tokens="optional"), ["NOVA-EC2-002"], "HttpTokens is optional"),
    ("launch_template_imdsv1", lambda s: s["launch_template"].update(http_tokens=None), ["NOVA-EC2-002"], "unset (optional)"),
    (
        # FAILURE_ANALYSIS 'SSH Key Pair Issues': the Auto Scaling group cannot replace a failed bastion.
        "launch_template_key_pair_deleted",
        lambda s: (s["launch_template"].update(key_exists=False), s.update(key_pair=None)),
        ["NOVA-EC2-006"],
        "names key pair nova-production-bastion-key, which does not exist in us-west-2",
    ),
    (
        "bastion_in_private_subnet",
        lambda s: s["instances"][0].update(subnet_id="subnet-priv-us-west-2a"),
        ["NOVA-EC2-003"],
        "not a public subnet",
    ),
]


def test_single_nat_is_one_finding_with_nat_mode_single_and_none_once_accepted():
    snap = good_snapshot()
    single_nat(snap)
    assert sorted({f["id"] for f in findings_of(snap)}) == ["NOVA-NET-005", "NOVA-NET-007", "NOVA-NET-009"]
    (finding,) = findings_of(snap, nat_mode="single")
    assert finding["id"] == "NOVA-NET-012" and "losing us-west-2a cuts it, and the risk is not accepted" in finding["detail"]
    report = audit.evaluate(snap, {**SETTINGS, "nat_mode": "single", "nat_single_accepted": True})
    assert report["findings"] == []
    (check,) = [c for c in report["checks"] if c["id"] == "NOVA-NET-012"]
    assert check["status"] == "skip" and "accepted" in check["reason"]
    # A second NAT gateway left behind in single mode is named.
    extra = good_snapshot()
    assert "nat_mode single wants one only" in str(findings_of(extra, nat_mode="single", nat_single_accepted=True))


def test_endpoint_checks_skip_when_none_is_expected():
    snap = good_snapshot()
    snap["vpc_endpoints"] = []
    report = audit.evaluate(snap, {**SETTINGS, "s3_endpoint": False, "interface_endpoints": []})
    assert report["findings"] == []
    skipped = {c["id"] for c in report["checks"] if c["status"] == "skip"}
    assert skipped == {"NOVA-NET-013", "NOVA-NET-014"}


def findings_of(snapshot, **settings):
    return audit.evaluate(snapshot, {**SETTINGS, **settings})["findings"]


def test_good_stack_passes_every_check():
    report = audit.evaluate(good_snapshot(), SETTINGS)

    assert report["findings"] == []
    assert [c["id"] for c in report["checks"]] == list(audit.CHECK_IDS)
    assert {c["status"] for c in report["checks"]} == {"pass"}
    assert report["summary"]["by_status"] == {"pass": len(audit.CHECKS), "fail": 0, "skip": 0}


@pytest.mark.parametrize("name, mutate, expected, fragment", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_each_mutation_gives_exactly_its_findings(name, mutate, expected, fragment):
    snap = good_snapshot()
    mutate(snap)
    findings = findings_of(snap)

    assert sorted({f["id"] for f in findings}) == sorted(set(expected)), findings
    first = next(f for f in findings if f["id"] == expected[0])
    assert fragment in first["detail"], first
    spec = next(c for c in audit.CHECKS if c["id"] == expected[0])
    assert (first["severity"], first["cis"], first["title"]) == (spec["severity"], spec["cis"], spec["title"])
    assert first["fix"] and first["resource"]


def test_ssh_from_private_ranges_only_is_not_the_internet():
    """10/8, 172.16/12 and 192.168/16 together are more than a /8, but none of them is an internet address."""
    snap = good_snapshot()
    snap["security_groups"].append({
        "id": "sg-app", "name": "app", "is_default": False,
        "ingress": [ssh_from_cidr("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")], "egress": [], "tags": tagged("app"),
    })
    assert findings_of(snap) == []


def test_every_check_is_covered_by_a_mutation():
    # NOVA-NET-012 depends on the settings (nat_mode), not on the snapshot alone: test_single_nat_is_one_finding...
    # NOVA-EC2-005 asks something only of a Session Manager bastion: its mutations, with bastion_access ssm, are in
    # test_audit_access.py.
    covered = {m[2][0] for m in MUTATIONS} | {"NOVA-NET-012", "NOVA-EC2-005"}

    assert covered == set(audit.CHECK_IDS)


# The CIS AWS Foundations Benchmark v3.0.0 controls the checks implement; the others map to none.
CIS_MAP = {
    "NOVA-LOG-001": ("3.7", "Ensure VPC flow logging is enabled in all VPCs"),
    "NOVA-SG-003": ("5.2", "Ensure no security groups allow ingress from 0.0.0.0/0 to remote server administration ports"),
    "NOVA-SG-004": ("5.3", "Ensure no security groups allow ingress from ::/0 to remote server administration ports"),
    "NOVA-SG-005": ("5.4", "Ensure the default security group of every VPC restricts all traffic"),
    "NOVA-S3-002": ("2.1.4", "Ensure that S3 Buckets are configured with 'Block public access (bucket settings)'"),
    "NOVA-S3-006": ("2.1.4", "Ensure that S3 is configured with 'Block Public Access' enabled (account settings)"),
    "NOVA-EC2-002": ("5.6", "Ensure that EC2 Metadata Service only allows IMDSv2"),
}


@pytest.mark.parametrize("spec", audit.CHECKS, ids=[c["id"] for c in audit.CHECKS])
def test_cis_mapping_and_reference(spec):
    if spec["id"] in CIS_MAP:
        control, title = CIS_MAP[spec["id"]]
        assert spec["cis"] == {"benchmark": "CIS AWS Foundations Benchmark", "version": "3.0.0", "control": control, "title": title}
    else:
        assert spec["cis"] is None
    assert spec["reference"].startswith("docs/design.md ")
    assert spec["severity"] in audit.SEVERITIES


def test_world_ssh_on_bastion_is_critical_and_named():
    snap = good_snapshot()
    sg(snap, "sg-bastion")["ingress"].append(ssh_from_cidr("0.0.0.0/0"))

    findings = findings_of(snap)

    assert findings[0]["id"] == "NOVA-SG-003" and findings[0]["severity"] == "critical"
    assert findings[0]["resource"] == f"sg-bastion ({P}-bastion-sg)"


def test_narrower_allowed_cidr_and_other_groups_web_rule_are_fine():
    snap = good_snapshot()
    sg(snap, "sg-bastion")["ingress"] = [ssh_from_cidr("203.0.113.128/25")]
    # An application's own group may serve the web; only the stack's two groups are kept to SSH (NOVA-SG-006).
    snap["security_groups"].append(
        {
            "id": "sg-web",
            "name": "web",
            "is_default": False,
            "ingress": [ssh_from_cidr("0.0.0.0/0", protocol="tcp", low=443, high=443)],
            "egress": [],
            "tags": tagged("web"),
        }
    )

    assert findings_of(snap) == []


def test_missing_vpc_skips_the_vpc_checks():
    snap = good_snapshot()
    snap["vpc"] = None
    checks = {c["id"]: c for c in audit.evaluate(snap, SETTINGS)["checks"]}

    assert checks["NOVA-NET-001"]["status"] == "fail"
    assert checks["NOVA-NET-007"]["status"] == "skip"
    assert "NOVA-NET-001" in checks["NOVA-NET-007"]["reason"]
    assert checks["NOVA-S3-002"]["status"] == "pass"


@pytest.mark.parametrize(
    "record, fragment",
    [
        (None, "were not read"),
        ({"account_id": "123456789012", "unreadable": "AccessDenied: an organization's SCP"}, "AccessDenied"),
    ],
)
def test_account_settings_not_read_skip_the_account_check(record, fragment):
    snap = good_snapshot()
    snap["account_public_access_block"] = record
    checks = {c["id"]: c for c in audit.evaluate(snap, SETTINGS)["checks"]}

    assert checks["NOVA-S3-006"]["status"] == "skip" and fragment in checks["NOVA-S3-006"]["reason"]
    assert checks["NOVA-S3-002"]["status"] == "pass"


def test_a_stale_nat_alarm_is_named_beside_the_missing_one():
    snap = good_snapshot()
    snap["alarms"][1]["dimensions"]["NatGatewayId"] = "nat-old"

    details = [f["detail"] for f in findings_of(snap) if f["id"] == "NOVA-MON-001"]

    assert len(details) == 2
    assert "watches nat-old, which is not a NAT gateway of the stack (replaced?): it can never fire" in details[1]


@pytest.mark.parametrize(
    "prefix, topic, fragment",
    [("", None, "alarm_prefix: '' is not 1-200 characters"), (None, "ops alarms", "alarm_topic: 'ops alarms' is not")],
)
def test_bad_alarm_options_are_named(prefix, topic, fragment):
    (problem,) = audit.validate_monitoring(prefix, topic)
    assert fragment in problem and "Fix:" in problem


@pytest.mark.parametrize("account_id", ["12345", "1234567890123", "12345678901a", ""])
def test_bad_account_id_is_named(account_id):
    (problem,) = audit.validate_account(account_id)
    assert f"account_id: {account_id!r} is not a 12-digit AWS account ID. Fix:" in problem


def test_good_account_ids_have_no_problems():
    assert audit.validate_account(None) == [] and audit.validate_account("012345678901") == []


def test_no_bastion_expected_skips_bastion_checks():
    snap = good_snapshot()
    snap.update(asg=None, instances=[], launch_template=None)
    snap["security_groups"] = [g for g in snap["security_groups"] if g["id"] == "sg-default"]
    report = audit.evaluate(snap, {**SETTINGS, "expect_bastion": False})
    statuses = {c["id"]: c["status"] for c in report["checks"]}

    assert report["findings"] == []
    assert [i for i, s in statuses.items() if s == "skip"] == [
        "NOVA-SG-001",
        "NOVA-SG-002",
        "NOVA-SG-006",
        "NOVA-SG-007",
        "NOVA-EC2-001",
        "NOVA-EC2-002",
        "NOVA-EC2-003",
        "NOVA-EC2-004",
        "NOVA-EC2-006",  # the key pair check (new): nothing to look at without a launch template
    ]


def test_skip_checks_and_empty_inputs_are_skipped():
    snap = good_snapshot()
    snap.update(buckets=[], replication=[])
    sg(snap, "sg-bastion")["ingress"].append(ssh_from_cidr("0.0.0.0/0"))
    report = audit.evaluate(snap, {**SETTINGS, "skip_checks": ["NOVA-SG-003"], "required_tags": {}})
    checks = {c["id"]: c for c in report["checks"]}

    assert checks["NOVA-SG-003"] == {**checks["NOVA-SG-003"], "status": "skip", "reason": "listed in skip_checks"}
    assert checks["NOVA-S3-002"]["reason"] == "no buckets given (option buckets)"
    assert checks["NOVA-S3-005"]["reason"] == "no replicated buckets given (option replicated_buckets)"
    assert checks["NOVA-TAG-001"]["status"] == "skip"
    assert [f["id"] for f in report["findings"]] == ["NOVA-SG-001"]


@pytest.mark.parametrize(
    "threshold, expected",
    [("critical", ["NOVA-SG-003"]), ("high", ["NOVA-SG-003", "NOVA-SG-001"]), ("low", ["NOVA-SG-003", "NOVA-SG-001", "NOVA-TAG-001"]), ("none", [])],
)
def test_fail_on_threshold(threshold, expected):
    snap = good_snapshot()
    sg(snap, "sg-bastion")["ingress"].append(ssh_from_cidr("0.0.0.0/0"))
    snap["vpc"]["tags"].pop("Project")
    findings = findings_of(snap)

    blocking = audit.at_or_above(findings, threshold)

    assert [f["id"] for f in blocking] == expected
    if blocking:
        message = audit.failure_message(blocking, threshold)
        assert all(f["id"] in message for f in blocking)
        assert message.startswith(f"Stack audit: {len(expected)} finding(s) at or above fail_on={threshold}:")


def test_summary_counts():
    snap = good_snapshot()
    snap["flow_logs"] = []
    snap["buckets"][0]["public_access_block"] = None
    report = audit.evaluate(snap, SETTINGS)
    summary = audit.summarize(report["findings"], report["checks"], "high")

    assert summary["by_severity"] == {"critical": 1, "high": 1, "medium": 0, "low": 0, "info": 0}
    # NOVA-LOG-002 (the flow log's destination) has no flow log to look at.
    assert summary["by_status"] == {"pass": len(audit.CHECKS) - 3, "fail": 2, "skip": 1}
    assert summary["at_or_above_fail_on"] == 2


def test_markdown_report():
    snap = good_snapshot()
    snap["flow_logs"] = []
    report = audit.evaluate(snap, {**SETTINGS, "skip_checks": ["NOVA-TAG-001"]})
    report["summary"] = audit.summarize(report["findings"], report["checks"], "high")

    text = audit.render_markdown(report, "us-west-2", P)

    assert text.startswith(f"# Stack audit: {P} in us-west-2\n")
    assert "### High" in text and "- **NOVA-LOG-001** VPC flow logging is active for all traffic" in text
    assert "CIS: CIS AWS Foundations Benchmark v3.0.0 3.7 Ensure VPC flow logging is enabled in all VPCs" in text
    assert "| NOVA-TAG-001 | Every resource carries the required tags | low | SKIP | none | listed in skip_checks |" in text
    assert "| NOVA-SG-003 |" in text and "| critical | PASS | v3.0.0 5.2 |" in text


@pytest.mark.parametrize(
    "settings, fragment",
    [
        ({"allowed_ssh_cidrs": ["203.0.113.1/24"]}, "allowed_ssh_cidrs[0]: '203.0.113.1/24' is not a CIDR block"),
        ({"allowed_ssh_cidrs": ["203.0.113.1/24"]}, "did you mean 203.0.113.0/24?"),
        ({"allowed_ssh_cidrs": ["office"]}, "allowed_ssh_cidrs[0]: 'office'"),
        ({"allowed_ssh_cidrs": []}, "allowed_ssh_cidrs: [] is empty"),
        ({"vpc_cidr": "10.0.0.0/33"}, "vpc_cidr: '10.0.0.0/33' is not a CIDR block"),
        ({"expected_az_count": 0}, "expected_az_count: 0 is below 1"),
        ({"min_free_ip_percent": 120}, "min_free_ip_percent: 120 is not between 0 and 100"),
        ({"required_tags": {"Cost": 5}}, "required_tags.Cost: 5 is not a string"),
        ({"skip_checks": ["NOVA-XYZ-1"]}, "skip_checks[0]: 'NOVA-XYZ-1' is not a check id. Fix: use one of NOVA-NET-001"),
        ({"replication_storage_class": "CHEAP"}, "replication_storage_class: 'CHEAP' is not a storage class"),
        ({"replication_storage_class": "glacier_ir"}, "Fix: use GLACIER_IR (the names are upper case)"),
        (
            {"nat_alarm": {**audit.default_settings()["nat_alarm"], "period": 90}},
            "nat_alarm.period: 90 is not a CloudWatch period",
        ),
        (
            {"bastion_cpu_alarm": {**audit.default_settings()["bastion_cpu_alarm"], "evaluation_periods": 0}},
            "bastion_cpu_alarm.evaluation_periods: 0 is below 1",
        ),
        (
            {"bastion_asg": {"min_size": 2, "desired_capacity": 1, "max_size": 2}},
            "bastion_asg: min_size 2, desired_capacity 1, max_size 2 is not 0 <= min_size <= desired_capacity",
        ),
    ],
)
def test_bad_settings_name_the_option(settings, fragment):
    problems = audit.validate_settings({**audit.default_settings(), **settings})

    assert len(problems) == 1
    assert fragment in problems[0]
    assert "Fix:" in problems[0]


def test_good_settings_have_no_problems():
    assert audit.validate_settings(audit.default_settings()) == []


@pytest.mark.parametrize(
    "name_prefix, buckets, replicated, fragment",
    [
        ("", [], [], "name_prefix: '' is not 1-40 letters, digits and inner hyphens"),
        ("nova prod", [], [], "name_prefix: 'nova prod'"),
        (P, [{"name": "Bad Bucket", "region": None}], [], "buckets[0].name: Bad Bucket \u2014 S3 bucket names"),
        (P, [{"name": "logs", "region": "moon-1"}], [], "buckets[0].region: moon-1 \u2014 is not an AWS region"),
        (P, [], [{"source": "abc", "destination": "s3://def", "destination_region": "us-east-1"}],
         "replicated_buckets[0].destination: s3://def"),
        (P, [], [{"source": "abc", "destination": "def", "destination_region": "US-EAST-1"}],
         "replicated_buckets[0].destination_region: US-EAST-1 \u2014 is not an AWS region name (they are lower "
         "case). Fix: use us-east-1"),
    ],
)
def test_bad_targets_name_the_option(name_prefix, buckets, replicated, fragment):
    problems = audit.validate_targets(name_prefix, buckets, replicated)

    assert len(problems) == 1
    assert fragment in problems[0]
    assert "Fix:" in problems[0]


@pytest.mark.parametrize(
    "bucket, prefix, fragment",
    [
        ("arn:aws:s3:::logs", "vpc-flow-logs/", "flow_log_bucket: 'arn:aws:s3:::logs' is not a bucket name"),
        (None, "/vpc-flow-logs", "flow_log_prefix: '/vpc-flow-logs' is not a key prefix"),
    ],
)
def test_bad_flow_log_destination_is_named(bucket, prefix, fragment):
    (problem,) = audit.validate_flow_log(bucket, prefix)

    assert fragment in problem and "Fix:" in problem


def test_good_flow_log_destination_has_no_problems():
    assert audit.validate_flow_log(None, "vpc-flow-logs/") == []
    assert audit.validate_flow_log(f"{P}-app-logs-123456789012-us-west-2", "") == []


def test_settings_findings_name_the_setting_the_expected_and_the_actual_value_and_the_fix():
    snap = good_snapshot()
    snap["alarms"][2].update(threshold=99.0)
    snap["asg"].update(desired=2)

    findings = {f["id"]: f for f in findings_of(snap)}

    alarm = findings["NOVA-MON-003"]
    assert (alarm["severity"], alarm["resource"]) == ("medium", f"alarm {P}-bastion-cpu")
    assert alarm["detail"] == "threshold is 99, the design says 80"
    assert alarm["fix"] == "run site.yml (the monitoring role puts each alarm with the design's settings)"
    asg = findings["NOVA-EC2-004"]
    assert (asg["resource"], asg["detail"]) == (f"Auto Scaling group {P}-bastion-asg", "DesiredCapacity is 2, the design says 1")
    assert asg["fix"].startswith("run site.yml (the bastion role")


def test_the_expected_settings_are_the_options_not_fixed_values():
    """A stack built to other settings (the inventory's) passes when the audit is given them, and the design's
    values are then the findings."""
    snap = good_snapshot()
    for alarm in snap["alarms"][:2]:
        alarm.update(threshold=5000000000.0, period=60, evaluation_periods=3)
    snap["asg"].update(max_size=4)
    snap["flow_logs"][0].update(traffic_type="REJECT")
    for pair in snap["replication"]:
        pair["rules"][0]["Destination"].update(StorageClass="GLACIER_IR", ReplicationTime={"Status": "Disabled"})
    nat_alarm = {**audit.default_settings()["nat_alarm"], "threshold": 5e9, "period": 60, "evaluation_periods": 3}
    given = {
        "nat_alarm": nat_alarm,
        "bastion_asg": {"min_size": 1, "max_size": 4, "desired_capacity": 1},
        "flow_log_traffic_type": "REJECT",
        "replication_storage_class": "GLACIER_IR",
        "replication_time_control": False,
    }

    assert findings_of(snap, **given) == []
    by_design = findings_of(snap)
    assert sorted({f["id"] for f in by_design}) == ["NOVA-EC2-004", "NOVA-LOG-001", "NOVA-MON-003", "NOVA-S3-005", "NOVA-S3-007"]
    details = [f["detail"] for f in by_design]
    assert "rule to-dr to logs-e: Replication Time Control is off, the design says on" in " | ".join(details)
    assert "MaxSize is 4, the design says 2" in details
    assert "threshold is 5000000000, the design says 1000000000" in details
    snap["replication"][0]["rules"][0]["Destination"]["ReplicationTime"] = {"Status": "Enabled"}
    (rtc,) = [f for f in findings_of(snap, **given) if f["id"] == "NOVA-S3-007"]
    assert rtc["detail"] == "rule to-dr to logs-e: Replication Time Control is on, the design says off"


def test_an_alarm_without_the_topic_is_named_once_not_again_as_a_setting():
    snap = good_snapshot()
    snap["alarms"][0]["actions"] = ["arn:aws:sns:us-west-2:123456789012:other"]

    findings = findings_of(snap)

    assert [f["id"] for f in findings] == ["NOVA-MON-001"]
    assert "does not notify the alarm topic" in findings[0]["detail"]


def test_the_settings_checks_skip_with_the_reason_when_there_is_nothing_to_compare():
    snap = good_snapshot()
    snap.update(alarms=[], asg=None, instances=[])
    checks = {c["id"]: c for c in audit.evaluate(snap, {})["checks"]}

    assert checks["NOVA-LOG-002"]["reason"] == "no expected flow log destination (option flow_log_bucket)"
    assert "no alarm watches a NAT gateway" in checks["NOVA-MON-003"]["reason"]
    assert "see NOVA-EC2-001" in checks["NOVA-EC2-004"]["reason"]
    assert {checks[i]["status"] for i in ("NOVA-LOG-002", "NOVA-MON-003", "NOVA-EC2-004")} == {"skip"}


def test_good_targets_have_no_problems():
    buckets = [{"name": f"{P}-backup-123456789012-us-west-2", "region": "us-west-2"}, {"name": "logs", "region": None}]
    replicated = [{"source": buckets[0]["name"], "destination": "a.b-c", "destination_region": "us-gov-west-1"}]

    assert audit.validate_targets(P, buckets, replicated) == []


def test_usable_addresses_reserve_five():
    assert audit.usable_addresses("10.0.0.0/24") == 251
    assert audit.usable_addresses("10.0.0.0/28") == 11


def test_snapshot_is_not_modified():
    snap = good_snapshot()
    before = copy.deepcopy(snap)
    audit.evaluate(snap, {"skip_checks": ["NOVA-NET-001"]})

    assert snap == before


def test_a_failed_nat_gateway_beside_its_replacement_is_not_a_finding():
    """After a zone loss the network role replaces the failed NAT gateway; AWS removes the failed one later."""
    snap = good_snapshot()
    replaced = copy.deepcopy(snap["nat_gateways"][0])
    replaced.update(id="nat-failed-1", state="failed")
    snap["nat_gateways"].append(replaced)
    assert findings_of(snap) == []
