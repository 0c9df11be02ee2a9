#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cidr_validate
version_added: 0.1.0
short_description: Validate and plan the VPC and subnet IPv4 CIDR blocks before anything is created
description:
  - Checks a VPC CIDR block, the chosen availability zones and the public and private subnet blocks against the
    AWS rules, and plans one public and one private subnet per availability zone when no subnet blocks are given.
  - Reports B(every) problem at once, each naming the caller's variable (see O(labels)), the bad value and how to
    fix it, so the network role can run it first and stop the play before any AWS resource is created.
  - "The checks, each reported as a problem (naming the AWS error it prevents, where there is one), are:"
  - Text that is not an IPv4 CIDR block; host bits set (for example V(10.0.0.1/16), the network V(10.0.0.0/16) is
    suggested); a prefix outside V(/16) to V(/28) (C(InvalidVpc.Range), C(InvalidSubnet.Range)); blocks in the
    loopback, link-local, multicast or reserved ranges.
  - A subnet outside the VPC block (C(InvalidSubnet.Range)); subnets overlapping or duplicating each other
    (C(InvalidSubnet.Conflict)); a number of public or private subnets different from the number of availability
    zones.
  - Fewer availability zones than O(min_azs); an availability zone listed twice; an availability zone not in
    O(available_zones); a subnet with fewer usable addresses than O(min_usable_addresses) (AWS reserves 5 addresses
    in every subnet).
  - With O(check_existing_vpcs=true), existing VPCs whose primary or secondary CIDR blocks overlap O(vpc_cidr).
  - A VPC block outside the private RFC 1918 ranges is only a warning, since AWS accepts it.
  - A zone that does not offer O(instance_type), when given; instances of that type fail to launch there with
    C(Unsupported).
  - This module never changes anything in AWS. Without O(check_existing_vpcs) and O(instance_type) it makes no AWS
    call at all.
author:
  - nova.infra engineers (!UNKNOWN)
options:
  vpc_cidr:
    description:
      - The IPv4 CIDR block of the VPC, for example V(10.0.0.0/16).
    type: str
    required: true
  availability_zones:
    description:
      - The availability zones to spread the subnets over, in order. Subnet number I(i) of each tier goes to the
        I(i)th zone.
      - Mutually exclusive with O(az_count); one of them is required.
    type: list
    elements: str
  az_count:
    description:
      - How many availability zones to use, when the caller does not name them.
      - The planned subnets take the first O(az_count) zones of O(available_zones); without O(available_zones)
        their RV(subnets[].az) is V(null).
      - Mutually exclusive with O(availability_zones); one of them is required.
    type: int
  available_zones:
    description:
      - The availability zones the region currently offers, for example the C(zone_name) values returned by
        M(amazon.aws.aws_az_info) with C(state=available).
      - When given, every zone in O(availability_zones) must be one of them and O(az_count) must not exceed their
        number. When omitted, zone names are not checked.
    type: list
    elements: str
  instance_type:
    description:
      - An EC2 instance type that must be offered in every zone used, for example V(t3.micro) (the bastion's).
      - When given, the zones that offer it are read with C(ec2:DescribeInstanceTypeOfferings) (location type
        C(availability-zone)) in the module's O(region). O(az_count) then takes the first zones of
        O(available_zones) that offer it, in their order, and a zone of O(availability_zones) that does not offer it
        is a problem naming the zone, the type and the zones that offer it.
      - When omitted, instance type offerings are not checked.
    type: str
  offered_zones:
    description:
      - The zones that offer O(instance_type), when a step of the same run has read them already, for example the
        RV(nova.infra.preflight#module:report.offered_zones) of the pre-flight. They are used as read and
        C(ec2:DescribeInstanceTypeOfferings) is not called.
      - Requires O(instance_type).
    type: list
    elements: str
  min_azs:
    description:
      - The fewest distinct availability zones accepted.
      - The default of V(2) is what tolerating the loss of one availability zone needs, with one NAT gateway and one
        bastion per zone. Values below V(1) count as V(1).
    type: int
    default: 2
  public_subnet_cidrs:
    description:
      - The public subnet blocks, one per availability zone, in zone order.
      - When both O(public_subnet_cidrs) and O(private_subnet_cidrs) are empty, the subnets are planned instead
        (see O(subnet_prefix)). When either is given, both are validated as given.
    type: list
    elements: str
    default: []
  private_subnet_cidrs:
    description:
      - The private subnet blocks, one per availability zone, in zone order. See O(public_subnet_cidrs).
    type: list
    elements: str
    default: []
  subnet_prefix:
    description:
      - The prefix length of planned subnets. Only used when no subnet blocks are given.
      - For N availability zones the public subnets are the first N blocks of this size in O(vpc_cidr) and the
        private subnets the next N, so the same input always gives the same plan.
      - For example V(10.0.0.0/16) over two zones with V(24) gives public V(10.0.0.0/24) and V(10.0.1.0/24), and
        private V(10.0.2.0/24) and V(10.0.3.0/24).
    type: int
    default: 24
  min_usable_addresses:
    description:
      - The fewest usable addresses (block size minus the 5 AWS reserves) every subnet must have.
      - For example V(300) rejects a V(/24) (251 usable) and suggests a V(/23) (507 usable).
      - V(0) turns this check off.
    type: int
    default: 0
  check_existing_vpcs:
    description:
      - Whether to read the existing VPCs (C(ec2:DescribeVpcs)) in each region of O(conflict_regions) and report
        those with a CIDR block overlapping O(vpc_cidr), with VPC ID, region, CIDR and C(Name) tag.
      - AWS itself accepts overlapping VPCs, but they cannot be peered or routed to each other through VPC
        peering, a transit gateway or a VPN.
    type: bool
    default: false
  conflict_regions:
    description:
      - The regions to read VPCs from when O(check_existing_vpcs=true).
      - Defaults to the module's O(region).
    type: list
    elements: str
  own_vpc_tags:
    description:
      - Tags that mark this stack's own VPC. An existing VPC carrying all of them is not a conflict, so that a second
        run does not fail on the VPC the first run created.
      - When empty, every overlapping VPC is a conflict.
    type: dict
    default: {}
  labels:
    description:
      - "Maps this module's option names to the caller's variable names, so that problems name the variable the
        user has to edit. For example C({vpc_cidr: network_vpc_cidr}) makes a bad VPC block reported as
        C(network_vpc_cidr) rather than C(vpc_cidr)."
      - List items are reported with their index, for example C(network_public_subnet_cidrs[1]).
      - Options not in the map are named as the option.
    type: dict
    default: {}
notes:
  - Supports check mode, and behaves the same in it since the module only reads.
  - "On failure the result has RV(problems), one record per problem, and C(msg) listing them all as
    C(<variable>: <value> — <problem>. Fix: <fix>)."
  - The AWS connection options (O(region), credentials, O(endpoint_url)) are only used with
    O(check_existing_vpcs=true) or O(instance_type).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# Note: These examples do not set authentication details, see the AWS Guide for details.

- name: Plan two public and two private /24 subnets over two availability zones
  nova.infra.cidr_validate:
    vpc_cidr: 10.0.0.0/16
    availability_zones:
      - us-west-2a
      - us-west-2b
  register: network_plan
# network_plan.public_subnets[1].cidr == "10.0.1.0/24", network_plan.private_subnets[0].cidr == "10.0.2.0/24"

- name: Read the region's availability zones
  amazon.aws.aws_az_info:
    region: us-west-2
    filters:
      state: available
  register: region_azs

- name: Validate the network variables before creating anything, naming the variables in any message
  nova.infra.cidr_validate:
    region: us-west-2
    vpc_cidr: "{{ network_vpc_cidr }}"
    availability_zones: "{{ network_azs }}"
    available_zones: "{{ region_azs.availability_zones | map(attribute='zone_name') | list }}"
    public_subnet_cidrs: "{{ network_public_subnet_cidrs }}"
    private_subnet_cidrs: "{{ network_private_subnet_cidrs }}"
    min_usable_addresses: 300
    check_existing_vpcs: true
    own_vpc_tags:
      Stack: nova-prod
    labels:
      vpc_cidr: network_vpc_cidr
      availability_zones: network_azs
      public_subnet_cidrs: network_public_subnet_cidrs
      private_subnet_cidrs: network_private_subnet_cidrs
  register: network_plan

- name: Create the planned private subnets
  amazon.aws.ec2_vpc_subnet:
    region: us-west-2
    vpc_id: "{{ vpc.vpc.id }}"
    cidr: "{{ item.cidr }}"
    az: "{{ item.az }}"
    tags:
      Name: "nova-prod-private-{{ item.index }}"
  loop: "{{ network_plan.private_subnets }}"

- name: Plan subnets in the first two available zones that offer the bastion's instance type
  nova.infra.cidr_validate:
    region: us-east-1
    vpc_cidr: 10.0.0.0/16
    az_count: 2
    available_zones: "{{ region_azs.availability_zones | map(attribute='zone_name') | list }}"
    instance_type: t3.micro
    labels:
      instance_type: bastion_instance_type

- name: Plan /23 subnets in the first two available zones and check other regions for overlapping VPCs
  nova.infra.cidr_validate:
    region: us-west-2
    vpc_cidr: 10.20.0.0/16
    az_count: 2
    available_zones: "{{ region_azs.availability_zones | map(attribute='zone_name') | list }}"
    subnet_prefix: 23
    check_existing_vpcs: true
    conflict_regions:
      - us-west-2
      - us-east-1
"""

RETURN = r"""
vpc:
  description: The validated VPC block.
  type: dict
  returned: success
  contains:
    cidr:
      description: The VPC CIDR block.
      type: str
      sample: 10.0.0.0/16
    prefix_length:
      description: Its prefix length.
      type: int
      sample: 16
    total_addresses:
      description: The number of addresses in the block. Usable addresses are counted per subnet (see RV(subnets)).
      type: int
      sample: 65536
    rfc1918:
      description: Whether the block is inside a private RFC 1918 range.
      type: bool
      sample: true
subnets:
  description:
    - All subnets, public ones first, each tier in availability zone order.
    - The plan when no subnet blocks were given, otherwise the given blocks.
  type: list
  elements: dict
  returned: success
  contains:
    tier:
      description: V(public) or V(private).
      type: str
      sample: public
    index:
      description: The subnet's position in its tier, the same as its availability zone's position.
      type: int
      sample: 0
    az:
      description: The subnet's availability zone; V(null) when O(az_count) was given without O(available_zones).
      type: str
      sample: us-west-2a
    cidr:
      description: The subnet's CIDR block.
      type: str
      sample: 10.0.0.0/24
    total_addresses:
      description: The number of addresses in the block.
      type: int
      sample: 256
    usable_addresses:
      description: The addresses left for resources after the 5 that AWS reserves in every subnet.
      type: int
      sample: 251
  sample:
    - {tier: public, index: 0, az: us-west-2a, cidr: 10.0.0.0/24, total_addresses: 256, usable_addresses: 251}
    - {tier: public, index: 1, az: us-west-2b, cidr: 10.0.1.0/24, total_addresses: 256, usable_addresses: 251}
    - {tier: private, index: 0, az: us-west-2a, cidr: 10.0.2.0/24, total_addresses: 256, usable_addresses: 251}
    - {tier: private, index: 1, az: us-west-2b, cidr: 10.0.3.0/24, total_addresses: 256, usable_addresses: 251}
public_subnets:
  description: The public entries of RV(subnets), in availability zone order.
  type: list
  elements: dict
  returned: success
  sample:
    - {tier: public, index: 0, az: us-west-2a, cidr: 10.0.0.0/24, total_addresses: 256, usable_addresses: 251}
private_subnets:
  description: The private entries of RV(subnets), in availability zone order.
  type: list
  elements: dict
  returned: success
  sample:
    - {tier: private, index: 0, az: us-west-2a, cidr: 10.0.2.0/24, total_addresses: 256, usable_addresses: 251}
offered_zones:
  description:
    - The zones of the region that offer O(instance_type), as C(DescribeInstanceTypeOfferings) listed them.
  type: list
  elements: str
  returned: when O(instance_type) is given
  sample: [us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1f]
conflicts:
  description:
    - Existing VPCs overlapping O(vpc_cidr) that do not carry all of O(own_vpc_tags).
    - Always empty on success, since any conflict fails the module; on failure it lists them.
  type: list
  elements: dict
  returned: always
  contains:
    vpc_id:
      description: The ID of the overlapping VPC.
      type: str
      sample: vpc-0123456789abcdef0
    region:
      description: The region of the overlapping VPC.
      type: str
      sample: us-west-2
    name:
      description: Its C(Name) tag, V(null) when it has none.
      type: str
      sample: legacy
    cidrs:
      description: All its associated IPv4 CIDR blocks.
      type: list
      elements: str
      sample: [10.0.0.0/16, 10.1.0.0/16]
    conflicting_cidrs:
      description: The ones overlapping O(vpc_cidr).
      type: list
      elements: str
      sample: [10.0.0.0/16]
    tags:
      description: Its tags.
      type: dict
      sample: {Name: legacy}
  sample: []
problems:
  description: One record per problem found; the module fails when there is any.
  type: list
  elements: dict
  returned: failure
  contains:
    field:
      description: The caller's variable (see O(labels)), with the list index for list items.
      type: str
      sample: network_public_subnet_cidrs[1]
    value:
      description: The bad value.
      type: raw
      sample: 10.0.0.0/23
    problem:
      description: What is wrong.
      type: str
      sample: >-
        overlaps network_public_subnet_cidrs[0] (10.0.0.0/24); AWS would fail with InvalidSubnet.Conflict
        (the CIDR conflicts with another subnet)
    fix:
      description: How to fix it.
      type: str
      sample: give each subnet a distinct, non-overlapping block
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.nova.infra.plugins.module_utils import aws_calls
from ansible_collections.nova.infra.plugins.module_utils import cidr
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import aws_failures

# Options passed straight to cidr.validate(), which takes the same names.
VALIDATE_OPTIONS = (
    "vpc_cidr",
    "availability_zones",
    "az_count",
    "available_zones",
    "min_azs",
    "public_subnet_cidrs",
    "private_subnet_cidrs",
    "subnet_prefix",
    "min_usable_addresses",
    "labels",
    "instance_type",
)


def existing_vpcs(module, regions):
    """Every VPC in regions as cidr.find_conflicts() expects it, secondary CIDR blocks included."""
    vpcs = []
    for region in regions:
        with aws_failures(module, f"Failed to describe the VPCs in {region} to look for overlapping CIDR blocks"):
            described = aws_calls.describe_vpcs(aws_calls.connect(module, "ec2", region=region))
        for vpc in described:
            vpcs.append(cidr.vpc_record(vpc, region, boto3_tag_list_to_ansible_dict(vpc.get("Tags", []))))
    return vpcs


def main():
    argument_spec = dict(
        vpc_cidr=dict(type="str", required=True),
        availability_zones=dict(type="list", elements="str"),
        az_count=dict(type="int"),
        available_zones=dict(type="list", elements="str"),
        instance_type=dict(type="str"),
        offered_zones=dict(type="list", elements="str"),
        min_azs=dict(type="int", default=2),
        public_subnet_cidrs=dict(type="list", elements="str", default=[]),
        private_subnet_cidrs=dict(type="list", elements="str", default=[]),
        subnet_prefix=dict(type="int", default=24),
        min_usable_addresses=dict(type="int", default=0),
        check_existing_vpcs=dict(type="bool", default=False),
        conflict_regions=dict(type="list", elements="str"),
        own_vpc_tags=dict(type="dict", default={}),
        labels=dict(type="dict", default={}),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[("availability_zones", "az_count")],
        required_one_of=[("availability_zones", "az_count")],
        required_by={"offered_zones": "instance_type"},
        supports_check_mode=True,
    )
    params = module.params

    offered = params["offered_zones"]
    type_problems = cidr.instance_type_problems(
        params["instance_type"], params["labels"].get("instance_type", "instance_type")
    )
    if type_problems:
        module.fail_json(msg=cidr.format_problems(type_problems), problems=type_problems, conflicts=[])
    if params["instance_type"] and offered is None:
        with aws_failures(module, f"Failed to list the availability zones that offer {params['instance_type']}"):
            offered = aws_calls.describe_instance_type_offerings(
                aws_calls.connect(module, "ec2"), params["instance_type"]
            )
    result = cidr.validate(**{name: params[name] for name in VALIDATE_OPTIONS}, offered_zones=offered)
    region_problems = cidr.region_problems(params["conflict_regions"], params["labels"])
    problems = result["problems"] + region_problems
    conflicts = []
    # An unparsable VPC block is already a problem; there is nothing to compare then.
    if params["check_existing_vpcs"] and result["vpc"] is not None and not region_problems:
        vpcs = existing_vpcs(module, params["conflict_regions"] or [module.region])
        conflicts = cidr.find_conflicts(result["vpc"]["cidr"], vpcs, own_tags=params["own_vpc_tags"])
        problems += cidr.conflict_problems(result["vpc"]["cidr"], conflicts, vpcs, labels=params["labels"])

    for warning in result["warnings"]:
        module.warn(warning)
    if problems:
        module.fail_json(msg=cidr.format_problems(problems), problems=problems, conflicts=conflicts)

    subnets = result["subnets"]
    module.exit_json(
        changed=False,
        vpc=result["vpc"],
        subnets=subnets,
        public_subnets=[s for s in subnets if s["tier"] == "public"],
        private_subnets=[s for s in subnets if s["tier"] == "private"],
        conflicts=conflicts,
        **({"offered_zones": offered} if offered is not None else {}),
    )


if __name__ == "__main__":
    main()
