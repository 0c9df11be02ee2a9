#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: network_drift
version_added: 0.2.0
short_description: Compare the nova network with its plan in one read, and say what drifted
description:
  - Reads the whole network of the nova stack in eleven read-only EC2 calls (the VPC with the C(Name) tag
    C(<name_prefix>-vpc), its DNS attributes, subnets, attached internet gateway, NAT gateways, route tables, VPC
    endpoints, default security group and interface endpoints' security group C(<name_prefix>-endpoints-sg), and the
    Elastic IPs named C(<name_prefix>-nat-eip-<az>)), and compares it with the plan the network role builds.
  - With O(region_lists), the VPCs, Elastic IPs, NAT gateways and VPC endpoints come from the region-wide lists a
    task of the same run has already read (the pre-flight's), and only what they do not cover is read.
  - Returns every difference as a drift record (resource, ID, setting, desired and actual value). None means that
    every task of the network role would change nothing; the role then skips them and publishes the IDs this
    module returns (RV(outputs)), which saves about 25 module runs and 95 AWS requests on a converged stack.
  - The comparison is at least as strict as the amazon.aws modules it stands in for (tags exactly where they purge
    tags, routes and subnet associations exactly, DNS attributes, public-IP mapping, NAT state and Elastic IP), and
    counts as drift whatever it cannot account for (a second VPC with the stack's name, a NAT gateway still pending,
    a blackhole route). A false drift costs only the full run, whose modules then change nothing.
  - It never changes anything.
author:
  - nova.infra engineers (!UNKNOWN)
options:
  name_prefix:
    description:
      - Prefix of every C(Name) tag of the stack, as the network role's C(network_name_prefix).
    type: str
    default: nova-production
  vpc_cidr:
    description:
      - IPv4 CIDR block the VPC should have.
    type: str
    required: true
  subnets:
    description:
      - The planned subnets, as C(nova.infra.cidr_validate) returns them in C(subnets); each item needs C(cidr),
        C(az) and C(tier) (V(public) or V(private)), other keys are ignored.
      - The AZs are taken from them, in order.
    type: list
    elements: dict
    required: true
  tags:
    description:
      - The tags every resource carries besides C(Name) (and C(Type) on subnets and route tables).
    type: dict
    default: {}
  nat_mode:
    description:
      - V(per_az) plans a NAT gateway (and its Elastic IP) in each AZ's public subnet, each private subnet routing
        through its own AZ's; V(single) plans one, in the first AZ, that every private subnet routes through.
    type: str
    choices: [per_az, single]
    default: per_az
  s3_endpoint:
    description:
      - Whether an S3 gateway endpoint associated with every private route table is planned.
    type: bool
    default: false
  s3_endpoint_policy:
    description:
      - The policy the S3 gateway endpoint must have (compared as JSON); unset means AWS's full-access policy.
    type: dict
  interface_endpoints:
    description:
      - Short service names (V(ssm), V(logs), ...) of the interface endpoints planned in the private subnets, with
        the security group C(<name_prefix>-endpoints-sg) (HTTPS from O(vpc_cidr) only) and private DNS.
    type: list
    elements: str
    default: []
  region_lists:
    description:
      - Region-wide lists a task of the same run has already read, as M(nova.infra.preflight) returns them
        (RV(nova.infra.preflight#module:region_lists)) - C(region) and any of C(vpcs), C(addresses), C(nat_gateways)
        (at least every NAT gateway that is not deleted or failed) and C(vpc_endpoints), as EC2 answered them.
      - Each list given stands for the read it covers (DescribeVpcs, DescribeAddresses, DescribeNatGateways,
        DescribeVpcEndpoints), filtered here by the C(Name) tag or the VPC as that read filters; a list not given is
        read. Ignored when C(region) is not the region of the module.
      - Give only lists read before anything of their kind was created, changed or deleted since, or the network is
        compared with what was, not with what is.
    type: dict
notes:
  - Supports check mode; it only reads, so it does the same in check mode.
  - "IAM permissions: C(ec2:DescribeVpcs), C(ec2:DescribeVpcAttribute), C(ec2:DescribeSubnets),
    C(ec2:DescribeInternetGateways), C(ec2:DescribeNatGateways), C(ec2:DescribeAddresses),
    C(ec2:DescribeRouteTables), C(ec2:DescribeSecurityGroups), C(ec2:DescribeVpcEndpoints)."
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# Note: These examples do not set authentication details, see the AWS Guide for details.
- name: Plan the subnets
  nova.infra.cidr_validate:
    vpc_cidr: 10.0.0.0/16
    az_count: 2
    available_zones: [us-west-2a, us-west-2b, us-west-2c]
  register: plan

- name: Compare the network with the plan
  nova.infra.network_drift:
    name_prefix: nova-production
    vpc_cidr: 10.0.0.0/16
    subnets: "{{ plan.subnets }}"
    tags: {Project: nova, Environment: production, ManagedBy: ansible}
  register: network

- name: Say what drifted
  ansible.builtin.debug:
    msg: "{{ network.summary }}"
  when: not network.in_sync
"""

RETURN = r"""
in_sync:
  description: Whether the network is exactly as planned (no drift record).
  type: bool
  returned: always
  sample: true
vpc_id:
  description: ID of the VPC with the stack's name, when there is exactly one.
  type: str
  returned: always
  sample: vpc-0123456789abcdef0
missing:
  description:
    - The planned resources that do not exist and whose IDs the network role's later tasks take from the task that
      creates them (the VPC, subnets, internet gateway, NAT Elastic IPs and NAT gateways), as RV(drift) names them.
    - Check mode makes no ID for what it would create, so C(site.yml --check) cannot look past them.
  type: list
  elements: str
  returned: always
  sample: [public subnet 10.0.0.0/24, NAT gateway in us-west-2a]
drift:
  description: One record per difference from the plan; empty when RV(in_sync).
  type: list
  elements: dict
  returned: always
  contains:
    resource:
      description: What differs, for example V(route table nova-production-private-rt-us-west-2a).
      type: str
    id:
      description: Its AWS ID, or null where it is missing.
      type: str
    setting:
      description: The setting that differs (V(tags), V(routes), V(subnets), V(dns_hostnames), V(count), ...).
      type: str
    desired:
      description: What the plan says.
      type: raw
    actual:
      description: What AWS has.
      type: raw
  sample:
    - resource: route table nova-production-private-rt-us-west-2a
      id: rtb-0123456789abcdef0
      setting: routes
      desired: [["0.0.0.0/0", "nat-0123456789abcdef0", "active"]]
      actual: [["0.0.0.0/0", "igw-0123456789abcdef0", "active"]]
elastic_ips:
  description:
    - The Elastic IPs named C(<name_prefix>-nat-eip-<az>) for the AZs of O(subnets), as read (or taken from
      O(region_lists)), in the form of amazon.aws.ec2_eip_info's C(addresses) (keys in snake_case, C(tags) a dict).
    - The network role takes from them the AZs whose NAT gateway still needs an Elastic IP, without reading them again.
  type: list
  elements: dict
  returned: always
  sample:
    - allocation_id: eipalloc-0123456789abcdef0
      association_id: eipassoc-0123456789abcdef0
      domain: vpc
      public_ip: 198.51.100.7
      tags: {Name: nova-production-nat-eip-us-west-2a, Project: nova}
vpc_endpoints:
  description:
    - The VPC endpoints of the VPC of RV(vpc_id), as read (or taken from O(region_lists)), in the form of
      amazon.aws.ec2_vpc_endpoint_info's C(vpc_endpoints) (keys in snake_case, C(tags) a list of C(key) and C(value)).
      Empty when there is not exactly one VPC with the stack's name.
    - The network role takes from them the stack's endpoints that it must delete, without reading them again.
  type: list
  elements: dict
  returned: always
  sample:
    - vpc_endpoint_id: vpce-0123456789abcdef0
      vpc_endpoint_type: Gateway
      service_name: com.amazonaws.us-west-2.s3
      state: available
      route_table_ids: [rtb-0123456789abcdef0, rtb-0123456789abcdef1]
      tags: [{key: Name, value: nova-production-vpce-s3}]
summary:
  description: One line per drift record.
  type: list
  elements: str
  returned: always
outputs:
  description:
    - The IDs the network role publishes in C(network_outputs), when RV(in_sync); empty otherwise.
  type: dict
  returned: always
  contains:
    vpc_id:
      description: The VPC.
      type: str
    vpc_cidrs:
      description: The VPC's associated IPv4 blocks, the primary first (the private hosts' address range).
      type: list
      elements: str
    public_subnet_ids:
      description: The public subnets, in AZ order.
      type: list
      elements: str
    private_subnet_ids:
      description: The private subnets, in AZ order.
      type: list
      elements: str
    igw_id:
      description: The attached internet gateway.
      type: str
    nat_gateway_ids:
      description: The NAT gateways, in AZ order.
      type: list
      elements: str
    nat_public_ips:
      description: Their public IP addresses, in AZ order.
      type: list
      elements: str
    public_route_table_id:
      description: The public route table.
      type: str
    private_route_table_ids:
      description: The private route tables, in AZ order.
      type: list
      elements: str
    default_security_group_id:
      description: The VPC's default security group.
      type: str
    endpoint_ids:
      description: The planned VPC endpoints' IDs by service name (com.amazonaws.<region>.s3, ...).
      type: dict
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import normalize_boto3_result
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.nova.infra.plugins.module_utils import aws_calls
from ansible_collections.nova.infra.plugins.module_utils import drift
from ansible_collections.nova.infra.plugins.module_utils import network_drift
from ansible_collections.nova.infra.plugins.module_utils import stack
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import aws_failures


class NetworkReader:
    """Reads what network_drift.compare looks at, as EC2 returns it; a region-wide list the run has already read
    (region_lists) is filtered instead of read again."""

    def __init__(self, module, lists=None):
        self.ec2 = aws_calls.connect(module, "ec2")
        self.lists = lists or {}

    def read(self, prefix, azs):
        names = network_drift.desired_names(prefix, azs)
        lists = self.lists
        eip_names = list(names["eip"].values())
        found = {
            "vpcs": (
                network_drift.named(lists["vpcs"], names["vpc"]) if "vpcs" in lists
                else aws_calls.describe_vpcs(self.ec2, Filters=[network_drift.tag_filter("Name", names["vpc"])])
            ),
            "eips": (
                network_drift.named(lists["addresses"], *eip_names) if "addresses" in lists
                else aws_calls.describe_addresses(self.ec2, Filters=[network_drift.tag_filter("Name", *eip_names)])
            ),
        }
        if len(found["vpcs"]) != 1:
            return found
        vpc_id = found["vpcs"][0]["VpcId"]
        in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
        for setting, attribute in (("dns_support", "enableDnsSupport"), ("dns_hostnames", "enableDnsHostnames")):
            found[setting] = aws_calls.describe_vpc_attribute(self.ec2, vpc_id, attribute)
        found["subnets"] = aws_calls.describe_subnets(self.ec2, Filters=in_vpc)
        found["igws"] = aws_calls.describe_internet_gateways(
            self.ec2, Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
        )
        found["nats"] = (
            network_drift.in_vpc(lists["nat_gateways"], vpc_id) if "nat_gateways" in lists
            else aws_calls.describe_nat_gateways(self.ec2, Filter=in_vpc)
        )
        found["route_tables"] = aws_calls.describe_route_tables(self.ec2, Filters=in_vpc)
        found["endpoints"] = (
            network_drift.in_vpc(lists["vpc_endpoints"], vpc_id) if "vpc_endpoints" in lists
            else aws_calls.describe_vpc_endpoints(self.ec2, Filters=in_vpc)
        )
        # The default group and the interface endpoints' group, in one call.
        found["default_sgs"] = aws_calls.describe_security_groups(
            self.ec2, Filters=in_vpc + [{"Name": "group-name", "Values": ["default", names["endpoints_sg"]]}]
        )
        return found


def main():
    argument_spec = dict(
        name_prefix=dict(type="str", default=stack.design("name_prefix")),
        vpc_cidr=dict(type="str", required=True),
        subnets=dict(type="list", elements="dict", required=True),
        tags=dict(type="dict", default={}),
        nat_mode=dict(type="str", default="per_az", choices=list(network_drift.NAT_MODES)),
        s3_endpoint=dict(type="bool", default=False),
        s3_endpoint_policy=dict(type="dict"),
        interface_endpoints=dict(type="list", elements="str", default=[]),
        region_lists=dict(type="dict"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    problems = network_drift.problems(params["name_prefix"], params["vpc_cidr"], params["subnets"], params["tags"])
    if problems:
        module.fail_json(msg=drift.refusal(problems))
    tags = {str(k): str(v) for k, v in params["tags"].items()}
    azs = list(dict.fromkeys(s["az"] for s in params["subnets"]))
    # Lists of another region stand for nothing here.
    lists = params["region_lists"] if (params["region_lists"] or {}).get("region") == module.region else {}
    with aws_failures(module, f"Failed to read the {params['name_prefix']} network"):
        found = NetworkReader(module, lists).read(params["name_prefix"], azs)
    plan = network_drift.endpoint_plan(
        module.region, params["s3_endpoint"], params["s3_endpoint_policy"], params["interface_endpoints"]
    )
    result = network_drift.compare(
        found, params["name_prefix"], params["vpc_cidr"], params["subnets"], tags, params["nat_mode"], plan
    )
    module.exit_json(**drift.report(
        result["drift"], outputs=result["outputs"], vpc_id=result["vpc_id"],
        missing=network_drift.missing_structure(result["drift"]), elastic_ips=elastic_ips(found["eips"]),
        vpc_endpoints=vpc_endpoints(found.get("endpoints", [])),
    ))


def elastic_ips(addresses):
    """The addresses as amazon.aws.ec2_eip_info returns them (its ``addresses``)."""
    records = [camel_dict_to_snake_dict(address) for address in addresses]
    for record in records:
        if "tags" in record:
            record["tags"] = boto3_tag_list_to_ansible_dict(record["tags"])
    return records


def vpc_endpoints(endpoints):
    """The endpoints as amazon.aws.ec2_vpc_endpoint_info returns them (its ``vpc_endpoints``)."""
    return [camel_dict_to_snake_dict(endpoint) for endpoint in normalize_boto3_result(endpoints)]


if __name__ == "__main__":
    main()
