#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: preflight
version_added: 0.1.0
short_description: Pre-flight gate that finds what would stop the nova stack build, before anything is created
description:
  - Reads the account and region and reports B(every) problem that would make the build of the nova stack fail
    half-way, each with its cause and fix, so that a play can stop before the first resource is created.
  - "The checks, in this order:"
  - C(toolchain) - what runs the module (no AWS call) is what this collection supports, Python reported beside it;
    ansible-core at least the C(requires_ansible) of C(meta/runtime.yml), amazon.aws within the range of
    C(galaxy.yml), boto3 and botocore at least amazon.aws's own minimums. Older is a problem; an amazon.aws at or above
    that range's upper bound is untested, a warning.
  - C(credentials) - C(sts:GetCallerIdentity) works. Missing, invalid or expired credentials are a problem with the
    ways to configure them; all other checks are then skipped.
  - C(availability_zones) - the region has at least O(min_azs) availability zones in state C(available), and with
    O(instance_type) at least O(min_azs) of them offer it (C(ec2:DescribeInstanceTypeOfferings)); C(required_azs) -
    every zone of O(required_azs) is available, and offers O(instance_type) when it is given.
  - C(quota_vpcs) and C(quota_eips) - the VPCs and Elastic IPs in use plus those still to be created (O(vpcs_to_create),
    O(eips_to_allocate), less those this stack already owns, see O(own_vpc_tags)) fit the quotas C(L-F678F1CE)
    (VPCs per Region) and C(L-0263D0A3) (EC2-VPC Elastic IPs). The quotas are read from Service Quotas
    (C(GetServiceQuota), then C(GetAWSDefaultServiceQuota)); when it cannot answer, O(quota_defaults) are used.
    A quota is not read when the build creates nothing it counts (a rerun over the stack's own resources).
  - C(cidr_conflicts) - no existing VPC in the region overlaps O(vpc_cidr) (one problem per overlapping VPC).
  - C(quota_nat_gateways) - only with O(nat_gateways_per_az) above 0 - in each zone the build uses (O(required_azs),
    else the first O(min_azs) available zones, only those offering O(instance_type) when it is given, as
    M(nova.infra.cidr_validate) picks them), the NAT gateways there (pending, available or deleting) plus those still
    to create fit the quota C(L-FE5A380F) (NAT gateways per Availability Zone, service C(vpc)).
  - C(quota_gateway_endpoints) and C(quota_interface_endpoints) - only with O(gateway_endpoints) or
    O(interface_endpoints) above 0 - the gateway endpoints of the region, and the interface endpoints of the stack's
    VPC, plus those still to create fit C(L-1B52E74A) (Gateway VPC endpoints per Region) and C(L-29B6F2EB) (Interface
    VPC endpoints per VPC), both service C(vpc); one C(DescribeVpcEndpoints), and the quota read only when something
    is still to be created.
  - C(quota_vcpus) - only with O(max_instances) above 0 - the vCPUs of the running On-Demand instances of the
    standard families plus those of O(max_instances) instances of O(instance_type) (C(DescribeInstanceTypes)) fit the
    quota C(L-1216C47A) (Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances, service C(ec2)).
  - A failed quota check names the quota code and the C(aws service-quotas request-service-quota-increase) command.
  - C(key_pair) - whether the key pair O(key_name) exists; a problem only with O(key_must_exist=true). With
    O(public_key), an existing key pair that holds another public key is a problem (the bastion role keeps an
    existing key pair, so SSH with the given key would be refused), unless O(replace_key).
  - C(permissions) - every EC2 action of O(permission_checks) is allowed, tested with C(DryRun=true).
  - C(iam_permissions) - only with O(iam_policy) - every action of that policy document is allowed to the caller,
    evaluated by IAM with C(iam:SimulatePrincipalPolicy) (the caller's identity and permission policies; SCPs and
    resource policies are not part of it). When the simulation cannot run (the API is denied or not available,
    the identity cannot be simulated) the check is a warning naming the cause, never a problem.
  - Read-only. The permission probes ask AWS with C(DryRun=true), which AWS answers without acting, and name
    placeholder resources only. The module never changes anything and C(changed) is always V(false).
author:
  - nova.infra engineers (!UNKNOWN)
options:
  vpc_cidr:
    description:
      - The IPv4 CIDR block of the VPC to be created, for example V(10.0.0.0/16).
      - It must be a valid VPC block (as M(nova.infra.cidr_validate) checks it); a bad block fails the module before
        any AWS call.
      - When omitted, C(cidr_conflicts) is skipped.
    type: str
  labels:
    description:
      - "Maps option names to the caller's variable names used in messages, for example
        C({vpc_cidr: network_vpc_cidr, min_azs: network_az_count, required_azs: network_azs}), so a problem names
        the variable the operator has to edit. Used for O(vpc_cidr), O(min_azs), O(required_azs) and O(instance_type)."
    type: dict
    default: {}
  min_azs:
    description:
      - The fewest availability zones in state C(available) that the region must have.
      - The stack places one NAT gateway and one bastion per zone, so V(2) is what surviving the loss of one zone needs.
    type: int
    default: 2
  required_azs:
    description:
      - Availability zones, by name, that must exist in the region and be C(available), for example V(us-west-2a).
    type: list
    elements: str
  vpcs_to_create:
    description:
      - How many VPCs the build creates.
      - An existing VPC carrying all of O(own_vpc_tags) is one already created, so it is not counted again.
    type: int
    default: 1
  eips_to_allocate:
    description:
      - How many Elastic IPs the build allocates; one per NAT gateway, so one per availability zone.
      - Elastic IPs carrying all of O(own_vpc_tags) except C(Name) are this stack's own and are not counted again.
    type: int
    default: 2
  nat_gateways_per_az:
    description:
      - How many NAT gateways the build creates in each zone it uses (the network role creates one per zone).
      - NAT gateways carrying all of O(own_vpc_tags) except C(Name) are this stack's own and are not counted again.
      - V(0) skips C(quota_nat_gateways).
    type: int
    default: 0
  gateway_endpoints:
    description:
      - How many gateway VPC endpoints the build creates (the network role's S3 endpoint), checked against
        C(L-1B52E74A) Gateway VPC endpoints per Region as C(quota_gateway_endpoints).
      - Endpoints carrying all of O(own_vpc_tags) except C(Name) are this stack's own and are not counted again;
        when the stack has them all, the quota is not read. V(0) skips the check.
    type: int
    default: 0
  interface_endpoints:
    description:
      - How many interface VPC endpoints the build creates in the stack's VPC (C(network_interface_endpoints)),
        checked against C(L-29B6F2EB) Interface VPC endpoints per VPC as C(quota_interface_endpoints); those of the
        stack's own VPC (found by O(own_vpc_tags)) count as in use, the stack's own are not counted again.
      - V(0) skips the check.
    type: int
    default: 0
  instance_type:
    description:
      - The instance type the build launches, for example V(t3.micro) (the bastion's).
      - The zones that offer it are read once (C(ec2:DescribeInstanceTypeOfferings)) and used by
        C(availability_zones), C(required_azs) and to pick the zones of C(quota_nat_gateways); also used by
        C(quota_vcpus).
      - They are returned (RV(report.offered_zones)) so that the network role of the same run need not read them
        again.
    type: str
  max_instances:
    description:
      - How many instances of O(instance_type) can run at once, for example the Auto Scaling group's maximum size.
      - Running instances carrying all of O(own_vpc_tags) except C(Name) are this stack's own; their vCPUs are not
        counted again.
      - V(0) skips C(quota_vcpus); above V(0) it needs O(instance_type).
    type: int
    default: 0
  check_cidr_conflicts:
    description:
      - Whether to read the region's VPCs for blocks overlapping O(vpc_cidr). AWS accepts overlapping VPCs, but they
        cannot be peered or routed to each other.
    type: bool
    default: true
  own_vpc_tags:
    description:
      - The tags of this stack's own VPC, for example the common tags plus C(Name=nova-production-vpc).
      - A VPC carrying all of them is neither a CIDR conflict nor counted as a VPC still to create, and an Elastic IP
        carrying all of them except C(Name) (every resource has its own C(Name)) is not counted as one still to
        allocate; so on a rerun over a built stack nothing new is needed.
      - When empty, no existing resource is this stack's own.
    type: dict
    default: {}
  key_name:
    description:
      - The name of the bastion's EC2 key pair, for example V(nova-production-bastion-key).
      - When omitted, C(key_pair) is skipped.
    type: str
  key_must_exist:
    description:
      - Whether a missing key pair is a problem.
      - With V(false) a missing key pair is only reported, since the bastion role imports it.
    type: bool
    default: false
  public_key:
    description:
      - The OpenSSH public key (a line of a C(.pub) file) that the bastion role imports as O(key_name).
      - When the key pair exists, C(key_pair) reads its public key (C(DescribeKeyPairs) with C(IncludePublicKey), the
        same one call) and compares the two, comments aside.
      - When omitted, the key pair's public key is not compared.
    type: str
  replace_key:
    description:
      - Whether the bastion role replaces an existing key pair that holds another key than O(public_key) (its
        C(bastion_rotate_key)); then such a key pair is reported, not a problem.
    type: bool
    default: false
  permission_checks:
    description:
      - The EC2 actions to verify with C(DryRun=true). C(DryRunOperation) means allowed, C(UnauthorizedOperation)
        denied (a problem). Any other answer means AWS rejected the probe's placeholder arguments first, so the
        action is reported as C(unverified), a warning.
      - The supported actions are those of the default; an empty list skips C(permissions).
    type: list
    elements: str
    default: [CreateVpc, CreateSubnet, CreateInternetGateway, AllocateAddress, CreateNatGateway, CreateRouteTable,
              CreateSecurityGroup, AuthorizeSecurityGroupIngress, ImportKeyPair, CreateLaunchTemplate, CreateFlowLogs]
  iam_policy:
    description:
      - An IAM policy document whose Allow statements list the actions a playbook needs, normally that playbook's
        least-privilege policy from C(docs/iam/), for example
        V("{{ lookup('ansible.builtin.file', 'docs/iam/site.json') | from_json }}").
      - Each statement's actions are simulated on its C(Resource) (V(*) when it names none), with the context key
        C(aws:RequestedRegion) set to the module's region.
      - When omitted, C(iam_permissions) is not checked.
    type: dict
  quota_defaults:
    description:
      - The quotas to assume when Service Quotas cannot answer (access denied, or the quota not known there);
        the quota's C(source) is then V(default).
      - Keys C(vpcs_per_region), C(eips_per_region), C(nat_gateways_per_az), C(standard_vcpus) (the vCPUs of
        C(L-1216C47A)), C(gateway_endpoints_per_region) (C(L-1B52E74A)) and C(interface_endpoints_per_vpc)
        (C(L-29B6F2EB)); missing keys take AWS's documented defaults.
    type: dict
    default:
      vpcs_per_region: 5
      eips_per_region: 5
      nat_gateways_per_az: 5
      standard_vcpus: 5
      gateway_endpoints_per_region: 20
      interface_endpoints_per_vpc: 50
  fail_on_problems:
    description:
      - Whether the module fails when any check fails.
      - With V(false) it returns the same RV(report) and RV(problems) without failing, for example to print them.
    type: bool
    default: true
notes:
  - Supports check mode and behaves the same in it, since the module only reads.
  - "On failure C(msg) lists every problem as C(Pre-flight found N problem(s); nothing was created: (1) [check]
    detail. Cause: ... Fix: ... (2) ...)."
  - "IAM permissions used: C(sts:GetCallerIdentity), C(ec2:DescribeAvailabilityZones), C(ec2:DescribeVpcs),
    C(ec2:DescribeAddresses), C(ec2:DescribeKeyPairs), C(ec2:DescribeNatGateways) and C(ec2:DescribeSubnets) (with
    O(nat_gateways_per_az)), C(ec2:DescribeInstanceTypeOfferings) (with O(instance_type)), C(ec2:DescribeInstances)
    and C(ec2:DescribeInstanceTypes) (with O(max_instances)), C(ec2:DescribeVpcEndpoints) (with
    O(gateway_endpoints) or O(interface_endpoints)), C(servicequotas:GetServiceQuota),
    C(servicequotas:GetAWSDefaultServiceQuota), C(iam:SimulatePrincipalPolicy) (with O(iam_policy)) and the
    actions probed with C(DryRun)."
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# Note: These examples do not set authentication details, see the AWS Guide for details.

- name: Check the account and region before building the nova stack
  nova.infra.preflight:
    region: us-west-2
    vpc_cidr: 10.0.0.0/16
    own_vpc_tags:
      Project: nova
      Environment: production
      ManagedBy: ansible
      Stack: nova-production
      Name: nova-production-vpc
    key_name: nova-production-bastion-key
  register: preflight

- name: Require three named zones and an imported key, and only check the network permissions
  nova.infra.preflight:
    region: us-west-2
    vpc_cidr: 10.20.0.0/16
    min_azs: 3
    required_azs: [us-west-2a, us-west-2b, us-west-2c]
    eips_to_allocate: 3
    key_name: ops-bastion
    key_must_exist: true
    permission_checks: [CreateVpc, CreateSubnet, CreateInternetGateway, AllocateAddress, CreateNatGateway]

- name: Check that the caller may run every action site.yml calls (the policy the playbook ships)
  nova.infra.preflight:
    region: us-west-2
    vpc_cidr: 10.0.0.0/16
    iam_policy: "{{ lookup('ansible.builtin.file', 'docs/iam/site.json') | from_json }}"

- name: Report without failing, and print the failed checks
  nova.infra.preflight:
    region: us-west-2
    vpc_cidr: 10.0.0.0/16
    quota_defaults:
      vpcs_per_region: 10
    fail_on_problems: false
  register: preflight

- name: Show the problems
  ansible.builtin.debug:
    msg: "{{ preflight.problems | map(attribute='detail') | list }}"
"""

RETURN = r"""
report:
  description: Everything the pre-flight found, on success and on failure.
  type: dict
  returned: when the options are valid
  contains:
    account:
      description: The AWS account ID of the credentials; V(null) without valid credentials.
      type: str
      sample: "123456789012"
    arn:
      description: The ARN of the identity.
      type: str
      sample: arn:aws:iam::123456789012:user/deployer
    user_id:
      description: The unique ID of the identity.
      type: str
      sample: AIDAEXAMPLEUSERID
    region:
      description: The region checked.
      type: str
      sample: us-west-2
    vpc_cidr:
      description: O(vpc_cidr), the block C(cidr_conflicts) compared the region's VPCs with.
      type: str
      sample: 10.0.0.0/16
    checks:
      description: Every check in order, one record each (C(cidr_conflicts) once per overlapping VPC).
      type: list
      elements: dict
      contains:
        name:
          description: >-
            C(credentials), C(availability_zones), C(required_azs), C(quota_vpcs), C(quota_eips), C(cidr_conflicts),
            C(quota_nat_gateways), C(quota_vcpus), C(key_pair), C(permissions) or C(iam_permissions).
          type: str
          sample: quota_eips
        status:
          description: V(pass), V(fail) (a problem), V(warn) (could not be fully verified) or V(skip).
          type: str
          sample: fail
        detail:
          description: What was found.
          type: str
          sample: >-
            5 Elastic IP(s) in use in us-west-2 (0 of them this stack's own) + 2 to create, quota 5
            (EC2-VPC Elastic IPs, L-0263D0A3, source: service_quotas)
        cause:
          description: Why it is a problem. Only on failed checks.
          type: str
          sample: Creating 2 more Elastic IP(s) would exceed the quota and fail with AddressLimitExceeded.
        fix:
          description: How to fix it. Only on failed checks.
          type: str
          sample: >-
            release Elastic IPs that are not in use (...), or request more: `aws service-quotas
            request-service-quota-increase --region us-west-2 --service-code ec2 --quota-code L-0263D0A3
            --desired-value 7`
    quotas:
      description: >-
        The quotas, keyed C(vpcs), C(eips), C(nat_gateways) (with O(nat_gateways_per_az)) and C(vcpus) (with
        O(max_instances)); empty when the checks were skipped.
      type: dict
      contains:
        quota_code:
          description: The Service Quotas code.
          type: str
          sample: L-F678F1CE
        service_code:
          description: The Service Quotas service code.
          type: str
          sample: vpc
        quota_name:
          description: The quota's name.
          type: str
          sample: VPCs per Region
        value:
          description: >-
            The quota; V(null) when it was not read because the build creates nothing it counts (C(source)
            V(not_needed)).
          type: int
          sample: 5
        source:
          description: >-
            V(service_quotas) (the account's applied value), V(aws_default) (GetAWSDefaultServiceQuota), V(default)
            (O(quota_defaults)) or V(not_needed) (not read: C(needed) is 0, as on a rerun over the stack's own
            resources, so nothing can exceed it).
          type: str
          sample: service_quotas
        lookup_errors:
          description: The Service Quotas calls that failed before the value was found, with their error codes.
          type: list
          elements: str
          sample: ["GetServiceQuota: NoSuchResourceException"]
        in_use:
          description: How many exist in the region (vCPUs for C(vcpus); for C(nat_gateways) see C(per_az)).
          type: int
          sample: 2
        owned:
          description: How many of those are this stack's own (see O(own_vpc_tags)).
          type: int
          sample: 1
        per_az:
          description: >-
            C(nat_gateways) only. Per zone the build uses, the NAT gateways C(in_use) there, C(owned) (this stack's)
            and C(needed) (still to create).
          type: dict
          sample: {us-west-2a: {in_use: 1, owned: 0, needed: 1}, us-west-2b: {in_use: 0, owned: 0, needed: 1}}
        requested:
          description: >-
            O(vpcs_to_create), O(eips_to_allocate), O(nat_gateways_per_az), or the vCPUs of O(max_instances)
            instances of O(instance_type).
          type: int
          sample: 1
        needed:
          description: How many the build still has to create, C(requested) less those owned.
          type: int
          sample: 0
        available:
          description: The quota less those in use; V(null) when the quota was not read.
          type: int
          sample: 3
      sample:
        vpcs: {quota_code: L-F678F1CE, service_code: vpc, quota_name: VPCs per Region, value: 5,
               source: service_quotas, lookup_errors: [], in_use: 1, owned: 0, requested: 1, needed: 1, available: 4}
    azs:
      description: The availability zones in state C(available).
      type: list
      elements: str
      sample: [us-west-2a, us-west-2b, us-west-2c, us-west-2d]
    instance_type:
      description: O(instance_type), when given and its offerings were read; else V(null).
      type: str
      sample: t3.micro
    offered_zones:
      description: >-
        The zones of the region that offer O(instance_type) (C(DescribeInstanceTypeOfferings)); V(null) without
        O(instance_type) or when they could not be read.
      type: list
      elements: str
      sample: [us-west-2a, us-west-2b, us-west-2c, us-west-2d]
    conflicts:
      description: Existing VPCs overlapping O(vpc_cidr) that are not this stack's own.
      type: list
      elements: dict
      contains:
        vpc_id:
          description: The VPC's ID.
          type: str
        region:
          description: Its region.
          type: str
        name:
          description: Its C(Name) tag.
          type: str
        cidrs:
          description: Its associated IPv4 blocks.
          type: list
          elements: str
        conflicting_cidrs:
          description: Those overlapping O(vpc_cidr).
          type: list
          elements: str
        tags:
          description: Its tags.
          type: dict
      sample: []
    key_pair:
      description: The key pair O(key_name); V(null) when no O(key_name) was given or it could not be read.
      type: dict
      contains:
        name:
          description: O(key_name).
          type: str
        present:
          description: Whether it exists in the region.
          type: bool
        key_pair_id:
          description: Its ID when it exists.
          type: str
        fingerprint:
          description: Its fingerprint when it exists (as AWS computes it).
          type: str
        matches_public_key:
          description:
            - Whether it holds O(public_key); V(null) when it does not exist, no O(public_key) was given or AWS
              returned no public key.
          type: bool
      sample: {name: nova-production-bastion-key, present: true, key_pair_id: key-0123456789abcdef0,
               fingerprint: "uYVgCZnpnO7cMo6oYNhcBNRBZEwjlhnHn1qU0ZtBCGM=", matches_public_key: true}
    permissions:
      description: The result of each DryRun probe, C(allowed), C(denied) or C(unverified), keyed by IAM action.
      type: dict
      sample: {"ec2:CreateVpc": allowed, "ec2:CreateSubnet": unverified}
    iam_permissions:
      description: >-
        Only with O(iam_policy). The simulated decision for each of its actions, C(allowed), C(implicitDeny) or
        C(explicitDeny); empty when the simulation could not run.
      type: dict
      sample: {"ec2:CreateVpc": allowed, "s3:PutReplicationConfiguration": implicitDeny}
    problems:
      description: The same as RV(problems).
      type: list
      elements: dict
problems:
  description: The failed checks, in the same format as RV(report.checks); the module fails when there is any.
  type: list
  elements: dict
  returned: always
  sample:
    - name: cidr_conflicts
      status: fail
      detail: >-
        vpc_cidr 10.0.0.0/16 overlaps 10.0.0.0/16 of existing VPC vpc-0123456789abcdef0 (Name: legacy) in us-west-2
      cause: Overlapping VPCs cannot be peered or routed to each other (peering, Transit Gateway, VPN).
      fix: >-
        use a block that overlaps no existing VPC, e.g. 10.1.0.0/16; if vpc-0123456789abcdef0 is this stack's own
        VPC, make sure it carries all the tags in own_vpc_tags
region_lists:
  description:
    - The region-wide lists the checks read, as EC2 answered them, so that a later task of the same run can use them
      instead of reading them again (O(nova.infra.network_drift#module:region_lists) of M(nova.infra.network_drift)).
      A list whose read failed or whose check did not run is left out.
    - They are valid only until something of their kind is created, changed or deleted in the region, so site.yml
      hands them to the network role only when its run lock was free at the first ask (no wait for another run, no
      lock taken over or broken), when no other run of the stack can have written since.
  type: dict
  returned: success
  contains:
    region:
      description: The region they were read in.
      type: str
      sample: us-west-2
    vpcs:
      description: Every VPC (C(DescribeVpcs)); read for C(quota_vpcs) and C(cidr_conflicts).
      type: list
      elements: dict
    addresses:
      description: Every Elastic IP (C(DescribeAddresses)); read for C(quota_eips).
      type: list
      elements: dict
    nat_gateways:
      description: >-
        Every NAT gateway that is pending, available or deleting (C(DescribeNatGateways)); read for
        C(quota_nat_gateways).
      type: list
      elements: dict
    vpc_endpoints:
      description: >-
        Every VPC endpoint (C(DescribeVpcEndpoints)); read for C(quota_gateway_endpoints) and
        C(quota_interface_endpoints).
      type: list
      elements: dict
  sample:
    region: us-west-2
    vpcs: []
    addresses: []
    nat_gateways: []
    vpc_endpoints: []
"""

import platform

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible.module_utils.ansible_release import __version__ as ansible_version

from ansible_collections.amazon.aws.plugins.module_utils import botocore as botocore_utils
from ansible_collections.amazon.aws.plugins.module_utils.common import AMAZON_AWS_COLLECTION_VERSION
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.nova.infra.plugins.module_utils import aws_calls
from ansible_collections.nova.infra.plugins.module_utils import preflight
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import error_code

LATER_CHECKS = ("availability_zones", "quota_vpcs", "quota_eips", "cidr_conflicts", "key_pair", "permissions")


def optional_checks(params):
    """The checks that run only when their options ask for them, in report order."""
    names = []
    if params["nat_gateways_per_az"] > 0:
        names.append("quota_nat_gateways")
    if params["max_instances"] > 0:
        names.append("quota_vcpus")
    if params["gateway_endpoints"] > 0:
        names.append("quota_gateway_endpoints")
    if params["interface_endpoints"] > 0:
        names.append("quota_interface_endpoints")
    if params["iam_policy"] is not None:
        names.append("iam_permissions")
    return tuple(names)


def attempt(function, *args, **kwargs):
    """(result, None), or (None, {"code", "message"}): a failed read is an observation, not the end of the run."""
    try:
        return function(*args, **kwargs), None
    except AnsibleAWSError as error:
        cause = error.exception
        if isinstance(cause, botocore.exceptions.ClientError):
            return None, {"code": error_code(cause), "message": cause.response.get("Error", {}).get("Message")}
        # No AWS answer (no credentials, no connection) or one not in AWS's format (ResponseParserError: an HTML
        # error page of a proxy, or of an emulator that lacks the API).
        return None, {"code": type(cause).__name__, "message": str(cause)}


class PreflightGate:
    """Reads the account with one call of the call layer per observation; preflight.py judges what was read."""

    def __init__(self, module, quota_defaults):
        self.module = module
        self.params = module.params
        self.region = module.region
        self.quota_defaults = quota_defaults
        # The VPCs carrying own_vpc_tags (check_vpcs_and_eips): the stack's, whose interface endpoints count.
        self.own_vpc_ids = []
        # The region-wide lists read for the checks, for later tasks of the same run (RV(region_lists)).
        self.region_lists = {"region": self.region}
        self.report = {
            "account": None,
            "arn": None,
            "user_id": None,
            "region": self.region,
            "vpc_cidr": self.params["vpc_cidr"],
            "checks": [],
            "quotas": {},
            "azs": [],
            "instance_type": None,
            "offered_zones": None,
            "conflicts": [],
            "key_pair": None,
            "permissions": {},
        }

    def run(self):
        self.report["checks"].append(preflight.evaluate_toolchain(toolchain_versions(), {
            "boto3": botocore_utils.MINIMUM_BOTO3_VERSION, "botocore": botocore_utils.MINIMUM_BOTOCORE_VERSION,
        }))
        identity, error = attempt(aws_calls.get_caller_identity, aws_calls.connect(self.module, "sts"))
        self.report["checks"].append(preflight.evaluate_credentials(identity, error))
        if error is not None:
            self.report["checks"] += preflight.skipped(LATER_CHECKS + optional_checks(self.params))
        else:
            self.report.update(account=identity["Account"], arn=identity["Arn"], user_id=identity["UserId"])
            ec2 = aws_calls.connect(self.module, "ec2")
            self.check_azs(ec2)
            quotas = aws_calls.connect(self.module, "service-quotas")
            self.check_vpcs_and_eips(ec2, quotas)
            if self.params["nat_gateways_per_az"] > 0:
                self.check_nat_gateways(ec2, quotas)
            if self.params["max_instances"] > 0:
                self.check_vcpus(ec2, quotas)
            if self.params["gateway_endpoints"] > 0 or self.params["interface_endpoints"] > 0:
                self.check_endpoints(ec2, quotas)
            self.check_key_pair(ec2)
            self.check_permissions(ec2)
            if self.params["iam_policy"] is not None:
                self.check_iam_policy(identity["Arn"])
        self.report["problems"] = preflight.problems_of(self.report["checks"])
        return self.report

    def check_azs(self, ec2):
        described, error = attempt(aws_calls.describe_availability_zones, ec2)
        if error is not None:
            self.report["checks"].append(preflight.read_failure("availability_zones", "list the AZs", error))
            return
        zones = [{"name": z["ZoneName"], "state": z["State"]} for z in described]
        self.report["azs"] = [z["name"] for z in zones if z["state"] == "available"]
        instance_type = self.params["instance_type"]
        if instance_type:
            offered, error = attempt(aws_calls.describe_instance_type_offerings, ec2, instance_type)
            if error is not None:
                what = f"list the AZs that offer {instance_type}"
                self.report["checks"].append(preflight.read_failure("availability_zones", what, error))
                return
            self.report.update(instance_type=instance_type, offered_zones=offered)
        self.report["checks"] += preflight.evaluate_azs(
            self.region,
            zones,
            self.params["min_azs"],
            self.params["required_azs"],
            self.params["labels"],
            instance_type,
            self.report["offered_zones"],
        )

    def lookup_quota(self, client, kind, needed=None):
        """The quota from Service Quotas; not read when the build creates nothing it counts (needed == 0: a rerun
        over the stack's own resources), as nothing can then exceed it."""
        if needed == 0:
            return {"value": None, "source": "not_needed", "errors": []}
        spec, errors = preflight.QUOTAS[kind], []
        for read, operation, source in (
            (aws_calls.get_service_quota, "GetServiceQuota", "service_quotas"),
            (aws_calls.get_aws_default_service_quota, "GetAWSDefaultServiceQuota", "aws_default"),
        ):
            found, error = attempt(read, client, spec["service_code"], spec["quota_code"])
            if error is None:
                return {"value": found.get("Value"), "source": source, "errors": errors}
            errors.append(f"{operation}: {error['code']}")
        return {"value": None, "errors": errors}

    def check_vpcs_and_eips(self, ec2, quotas):
        own_tags = self.params["own_vpc_tags"]
        described_vpcs, vpcs_error = attempt(aws_calls.describe_vpcs, ec2)
        if vpcs_error is not None:
            self.report["checks"].append(preflight.read_failure("quota_vpcs", "list the VPCs", vpcs_error))
        else:
            self.region_lists["vpcs"] = described_vpcs
            vpcs = [preflight.vpc_record(v, self.region, self.tags(v)) for v in described_vpcs]
            owned = sum(preflight.has_tags(v["tags"], own_tags) for v in vpcs)
            self.own_vpc_ids = [v["VpcId"] for v in described_vpcs if preflight.has_tags(self.tags(v), own_tags)]
            self.check_quota(quotas, "vpcs", len(vpcs), owned, self.params["vpcs_to_create"])
        addresses, error = attempt(aws_calls.describe_addresses, ec2)
        if error is not None:
            self.report["checks"].append(preflight.read_failure("quota_eips", "list the Elastic IPs", error))
        else:
            self.region_lists["addresses"] = addresses
            eip_tags = preflight.own_eip_tags(own_tags)
            owned = sum(preflight.has_tags(self.tags(a), eip_tags) for a in addresses)
            unassociated = sum("AssociationId" not in a for a in addresses)
            self.check_quota(quotas, "eips", len(addresses), owned, self.params["eips_to_allocate"], unassociated)
        if not self.params["check_cidr_conflicts"]:
            self.report["checks"].append(preflight.check("cidr_conflicts", preflight.SKIP, "skipped: turned off"))
        elif vpcs_error is not None:
            self.report["checks"].append(preflight.read_failure("cidr_conflicts", "list the VPCs", vpcs_error))
        else:
            checks, self.report["conflicts"] = preflight.evaluate_cidr(
                self.params["vpc_cidr"], vpcs, own_tags, (self.params["labels"] or {}).get("vpc_cidr", "vpc_cidr")
            )
            self.report["checks"] += checks

    def check_quota(self, client, kind, in_use, owned, requested, unassociated=0):
        needed = max(requested - owned, 0)
        quota = preflight.resolve_quota(kind, self.lookup_quota(client, kind, needed), self.quota_defaults)
        self.report["quotas"][kind] = quota
        self.report["checks"].append(
            preflight.evaluate_quota(kind, quota, in_use, owned, requested, self.region, unassociated)
        )

    def zones_to_build_in(self):
        """(the zones the network role will build in, None) or (None, the failed check)."""
        if self.params["instance_type"] and self.report["offered_zones"] is None:
            what = f"list the AZs that offer {self.params['instance_type']}"
            error = {"code": "NotRead", "message": "the availability zones check could not read them"}
            return None, preflight.read_failure("quota_nat_gateways", what, error)
        azs = preflight.planned_azs(
            self.report["azs"], self.params["min_azs"], self.params["required_azs"], self.report["offered_zones"]
        )
        return azs, None

    def check_nat_gateways(self, ec2, quotas):
        azs, failed = self.zones_to_build_in()
        if failed is not None:
            self.report["checks"].append(failed)
            return
        counted = [{"Name": "state", "Values": list(preflight.NAT_GATEWAY_STATES_COUNTED)}]
        gateways, error = attempt(aws_calls.describe_nat_gateways, ec2, Filter=counted)
        subnet_ids = sorted({g["SubnetId"] for g in gateways or []})
        subnets = []
        if error is None and subnet_ids:
            subnets, error = attempt(aws_calls.describe_subnets, ec2, SubnetIds=subnet_ids)
        if error is not None:
            self.report["checks"].append(
                preflight.read_failure("quota_nat_gateways", "count the NAT gateways per AZ", error)
            )
            return
        self.region_lists["nat_gateways"] = gateways
        zone_of = {s["SubnetId"]: s["AvailabilityZone"] for s in subnets}
        own_tags = preflight.own_eip_tags(self.params["own_vpc_tags"])
        usage = {}
        for gateway in gateways:
            in_use, owned = usage.get(zone_of.get(gateway["SubnetId"]), (0, 0))
            usage[zone_of.get(gateway["SubnetId"])] = (
                in_use + 1,
                owned + preflight.has_tags(self.tags(gateway), own_tags),
            )
        per_az = self.params["nat_gateways_per_az"]
        needed = sum(max(per_az - usage.get(az, (0, 0))[1], 0) for az in azs)
        quota = preflight.resolve_quota(
            "nat_gateways", self.lookup_quota(quotas, "nat_gateways", needed), self.quota_defaults
        )
        self.report["quotas"]["nat_gateways"] = quota
        self.report["checks"].append(
            preflight.evaluate_nat_gateway_quota(quota, usage, azs, self.params["nat_gateways_per_az"], self.region)
        )

    def check_endpoints(self, ec2, quotas):
        """One DescribeVpcEndpoints of the region; each quota is read only when endpoints are still to be created."""
        wanted = [
            (kind, self.params[kind]) for kind in ("gateway_endpoints", "interface_endpoints") if self.params[kind] > 0
        ]
        endpoints, error = attempt(aws_calls.describe_vpc_endpoints, ec2)
        if error is not None:
            for kind, _unused in wanted:
                self.report["checks"].append(
                    preflight.read_failure(f"quota_{kind}", "count the VPC endpoints", error)
                )
            return
        self.region_lists["vpc_endpoints"] = [dict(endpoint) for endpoint in endpoints]
        for endpoint in endpoints:
            endpoint["tags"] = self.tags(endpoint)
        own_tags = preflight.own_eip_tags(self.params["own_vpc_tags"])
        usage = preflight.endpoint_usage(endpoints, self.own_vpc_ids, own_tags)
        for kind, requested in wanted:
            in_use, owned = usage[kind]
            self.check_quota(quotas, kind, in_use, owned, requested)

    def check_vcpus(self, ec2, quotas):
        instance_type = self.params["instance_type"]
        counted = [{"Name": "instance-state-name", "Values": list(preflight.INSTANCE_STATES_COUNTED)}]
        described, error = attempt(aws_calls.describe_instances, ec2, Filters=counted)
        types = sorted({i["InstanceType"] for i in described or []} | {instance_type})
        vcpus = {}
        if error is None:
            found, error = attempt(aws_calls.describe_instance_types, ec2, types)
            vcpus = {t["InstanceType"]: t["VCpuInfo"]["DefaultVCpus"] for t in found or []}
        if error is None and instance_type not in vcpus:
            error = {"code": "InvalidInstanceType", "message": f"{instance_type} is not an instance type of {self.region}"}
        if error is not None:
            self.report["checks"].append(
                preflight.read_failure("quota_vcpus", "count the vCPUs of the running instances", error)
            )
            return
        instances = [
            {"type": i["InstanceType"], "lifecycle": i.get("InstanceLifecycle"), "tags": self.tags(i)}
            for i in described
        ]
        in_use, owned = preflight.vcpu_usage(instances, vcpus, preflight.own_eip_tags(self.params["own_vpc_tags"]))
        quota = preflight.resolve_quota("vcpus", self.lookup_quota(quotas, "vcpus"), self.quota_defaults)
        self.report["quotas"]["vcpus"] = quota
        self.report["checks"].append(
            preflight.evaluate_vcpu_quota(
                quota, in_use, owned, instance_type, self.params["max_instances"], vcpus[instance_type], self.region
            )
        )

    def check_key_pair(self, ec2):
        name = self.params["key_name"]
        key = None
        if name is not None:
            public_key = self.params["public_key"]
            key, error = attempt(aws_calls.describe_key_pair, ec2, name, include_public_key=bool(public_key))
            if error is not None:
                self.report["checks"].append(preflight.read_failure("key_pair", f"look up key pair {name}", error))
                return
            self.report["key_pair"] = {
                "name": name,
                "present": key is not None,
                "key_pair_id": (key or {}).get("KeyPairId"),
                "fingerprint": (key or {}).get("KeyFingerprint"),
                "matches_public_key": (
                    preflight.same_public_key(public_key, key.get("PublicKey")) if key and public_key else None
                ),
            }
        self.report["checks"].append(
            preflight.evaluate_key_pair(
                name, key, self.params["key_must_exist"], self.region, self.params["public_key"],
                self.params["replace_key"],
            )
        )

    def check_permissions(self, ec2):
        outcomes = {}
        for action in self.params["permission_checks"]:
            outcomes[action] = attempt(aws_calls.dry_run, ec2, action, **preflight.PERMISSION_PROBES[action])[1]
        checked, self.report["permissions"] = preflight.evaluate_permissions(outcomes)
        self.report["checks"].append(checked)

    def check_iam_policy(self, caller_arn):
        principal, unsimulated = preflight.iam_principal(caller_arn)
        decisions, error = {}, None
        if principal is not None:
            iam = aws_calls.connect(self.module, "iam")
            context = [
                {"ContextKeyName": "aws:RequestedRegion", "ContextKeyValues": [self.region], "ContextKeyType": "string"}
            ]
            for batch in preflight.simulation_batches(self.params["iam_policy"]):
                request = dict(ActionNames=batch["actions"], ContextEntries=context)
                if batch["resources"]:
                    request["ResourceArns"] = batch["resources"]
                results, error = attempt(aws_calls.simulate_principal_policy, iam, principal, **request)
                if error is not None:
                    break
                for result in results:
                    # An action in several statements is only as allowed as its most restricted resource.
                    if decisions.get(result["EvalActionName"], "allowed") == "allowed":
                        decisions[result["EvalActionName"]] = result["EvalDecision"]
        self.report["iam_permissions"] = decisions if error is None and unsimulated is None else {}
        self.report["checks"].append(preflight.evaluate_iam_policy(decisions, error, unsimulated))

    @staticmethod
    def tags(resource):
        return boto3_tag_list_to_ansible_dict(resource.get("Tags", []))


def toolchain_versions():
    """The versions of what runs this module (the controller, or the execution environment's image)."""
    import boto3  # pylint: disable=import-outside-toplevel  # AnsibleAWSModule has required it already

    return {
        "python": platform.python_version(),
        "ansible-core": ansible_version,
        "amazon.aws": AMAZON_AWS_COLLECTION_VERSION,
        "boto3": boto3.__version__,
        "botocore": botocore.__version__,
    }


def main():
    argument_spec = dict(
        vpc_cidr=dict(type="str"),
        labels=dict(type="dict", default={}),
        min_azs=dict(type="int", default=2),
        required_azs=dict(type="list", elements="str"),
        vpcs_to_create=dict(type="int", default=1),
        eips_to_allocate=dict(type="int", default=2),
        nat_gateways_per_az=dict(type="int", default=0),
        instance_type=dict(type="str"),
        max_instances=dict(type="int", default=0),
        gateway_endpoints=dict(type="int", default=0),
        interface_endpoints=dict(type="int", default=0),
        check_cidr_conflicts=dict(type="bool", default=True),
        own_vpc_tags=dict(type="dict", default={}),
        key_name=dict(type="str"),
        key_must_exist=dict(type="bool", default=False),
        public_key=dict(type="str"),
        replace_key=dict(type="bool", default=False),
        permission_checks=dict(type="list", elements="str", default=preflight.DEFAULT_PERMISSION_CHECKS),
        iam_policy=dict(type="dict"),
        quota_defaults=dict(type="dict", default=preflight.DEFAULT_QUOTAS),
        fail_on_problems=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec, required_if=[("key_must_exist", True, ["key_name"])], supports_check_mode=True
    )
    options = preflight.validate_options(module.params)
    for warning in options["warnings"]:
        module.warn(warning)
    if options["problems"]:
        module.fail_json(msg=preflight.format_message(options["problems"]), problems=options["problems"])
    gate = PreflightGate(module, options["quota_defaults"])
    report = gate.run()
    if report["problems"] and module.params["fail_on_problems"]:
        module.fail_json(msg=preflight.format_message(report["problems"]), report=report, problems=report["problems"])
    module.exit_json(changed=False, report=report, problems=report["problems"], region_lists=gate.region_lists)


if __name__ == "__main__":
    main()
