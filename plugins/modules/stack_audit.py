#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: stack_audit
version_added: 0.1.0
short_description: Audit the deployed nova stack against the post-deployment and security checklists
description:
  - Reads the nova stack from AWS (read-only, never changes anything) and evaluates named checks, each with a
    severity and the CIS AWS Foundations Benchmark v3.0.0 control it implements, or V(none) and the line of the
    design document (C(docs/design.md)) it comes from.
  - The stack is found by its names in the module's O(region), in the tag C(Name) or the resource name,
    all derived from O(name_prefix) (for example C(nova-production-vpc), C(nova-production-bastion-sg),
    C(nova-production-bastion-asg), C(nova-production-bastion-lt)). Resources in the VPC (subnets, internet
    gateways, NAT gateways, route tables, security groups, flow logs) are read by VPC ID. Buckets are read by the
    names given in O(buckets), each in its own region.
  - "Network: C(NOVA-NET-001) the VPC exists once with O(vpc_cidr); C(NOVA-NET-002) an internet gateway is attached;
    C(NOVA-NET-003) one public and one private subnet (tag C(Type)) in each of O(expected_az_count) AZs;
    C(NOVA-NET-004) every subnet has at least O(min_free_ip_percent) percent of its usable addresses free;
    C(NOVA-NET-005) one available NAT gateway in each AZ's public subnet; C(NOVA-NET-010) each public subnet sends
    V(0.0.0.0/0) to the attached internet gateway and gives its instances public IP addresses; C(NOVA-NET-006) no route table tagged
    C(Type=Private) routes to an internet gateway; C(NOVA-NET-007) each private subnet sends V(0.0.0.0/0) to the NAT
    gateway of its own AZ; C(NOVA-NET-008) no blackhole routes; C(NOVA-NET-009) subnets, available NAT gateways and
    the bastion Auto Scaling group span O(expected_az_count) AZs; C(NOVA-NET-011) no private subnet maps public IP
    addresses (C(MapPublicIpOnLaunch) false); C(NOVA-NET-012) with O(nat_mode=single), each private subnet whose
    egress goes through the one NAT gateway in another AZ, unless O(nat_single_accepted) (C(NOVA-NET-005),
    C(NOVA-NET-007) and C(NOVA-NET-009) then expect that one NAT gateway); C(NOVA-NET-013) an available S3 gateway
    endpoint associated with, and routed from, every private route table (O(s3_endpoint)); C(NOVA-NET-014) each of
    O(interface_endpoints) available in every private subnet, with private DNS and security groups allowing only
    HTTPS from the VPC's CIDR."
  - "Logging: C(NOVA-LOG-001) an C(ACTIVE) flow log with traffic type O(flow_log_traffic_type) (C(ALL)) on the VPC
    (CIS v3.0.0 3.7); C(NOVA-LOG-002) it delivers to the S3 bucket O(flow_log_bucket) under the key prefix
    O(flow_log_prefix)."
  - "Security groups: C(NOVA-SG-001) the bastion SG allows tcp/22 only from O(allowed_ssh_cidrs) (and does allow it);
    C(NOVA-SG-002) the private SG allows SSH only from the bastion SG (a source-group rule, which must exist);
    C(NOVA-SG-006) the bastion and private SGs allow no other ingress (least privilege); C(NOVA-SG-003) and
    C(NOVA-SG-004) no SG in the VPC opens port 22 or 3389 (including all-traffic rules and port ranges covering them)
    to V(0.0.0.0/0) (CIS v3.0.0 5.2) or V(::/0) (CIS v3.0.0 5.3), nor from sources that together hold more public
    addresses than a /8 of IPv4 or a /32 of IPv6 (V(0.0.0.0/1) and V(128.0.0.0/1), say); C(NOVA-SG-008) no other
    security group of the region opens them to V(0.0.0.0/0) or V(::/0) (medium: not the stack's, but the design's
    validation looks at the whole region; two filtered C(DescribeSecurityGroups)); C(NOVA-SG-005) the default SG has no rules
    (CIS v3.0.0 5.4, AWS FSBP EC2.2); C(NOVA-SG-007) the bastion SG sends out only tcp/22 to O(vpc_cidr) and tcp/443,
    the private SG only O(private_egress) (no CIS or FSBP control covers a non-default group's egress). With
    O(bastion_access=ssm), C(NOVA-SG-001) requires that no rule reaches SSH at all."
  - "S3: C(NOVA-S3-001) each bucket of O(buckets) exists in its region; C(NOVA-S3-002) all four Block Public Access
    settings (CIS v3.0.0 2.1.4); C(NOVA-S3-003) default encryption; C(NOVA-S3-004) versioning; C(NOVA-S3-005) each
    pair of O(replicated_buckets) has an C(Enabled) replication rule to the replica with storage class
    O(replication_storage_class), and the replica exists in its region and is versioned; C(NOVA-S3-006) the
    account's own four Block Public Access settings (S3 Control), which cover buckets made outside the stack too
    (CIS v3.0.0 2.1.4; skipped with the reason when the caller may not read them); C(NOVA-S3-007) each Enabled
    replication rule to a replica has S3 Replication Time Control on or off as O(replication_time_control) says."
  - "Monitoring: C(NOVA-MON-001) each available NAT gateway has a C(BytesOutToDestination) alarm and the bastion
    Auto Scaling group a C(CPUUtilization) alarm (alarms named from O(alarm_prefix) that watch a NAT gateway the stack
    no longer has are named too), each notifying the SNS topic O(alarm_topic); C(NOVA-MON-002) that topic has a
    confirmed subscriber (an unconfirmed e-mail subscription notifies nobody); C(NOVA-MON-003) each of those alarms
    has the settings of O(nat_alarm) or O(bastion_cpu_alarm) (metric, statistic, period, evaluation periods,
    threshold, comparison), the one dimension naming what it watches, and no other action than the topic."
  - "Tags: C(NOVA-TAG-001) every resource found carries O(required_tags): VPC, subnets, internet gateways, NAT gateways
    and their Elastic IPs, route tables, security groups, flow logs, bastion instances, launch template, Auto Scaling
    group, key pair, buckets, the replication role (when O(replicated_buckets) is given), the alarm topic and the
    alarms named from O(alarm_prefix) (their tags read with C(ListTagsForResource), as C(DescribeAlarms) returns none)."
  - "Bastion: C(NOVA-EC2-001) the Auto Scaling group has at least its minimum number of healthy running instances;
    C(NOVA-EC2-002) IMDSv2 required on its launch template's default version and its instances (CIS v3.0.0 5.6);
    C(NOVA-EC2-003) it launches only into public subnets, and its running instances have a public IP address;
    C(NOVA-EC2-004) its minimum, maximum and desired sizes are those of O(bastion_asg); C(NOVA-EC2-005) with
    O(bastion_access) V(ssm) or V(both), its launch template has an instance profile whose role has the AWS managed
    policy AmazonSSMManagedInstanceCore; C(NOVA-EC2-006) the key pair its launch template names exists (without it,
    every launch, a replacement of a failed bastion too, fails with C(InvalidKeyPair.NotFound))."
  - A finding of a setting names the resource, the setting, its value and the design's value (for example
    C(threshold is 5000000000, the design says 1000000000)), and the fix (run C(site.yml), naming the role).
  - The expected settings default to the design (C(plugins/module_utils/stack.py), the C(nova.infra.stack) lookup);
    C(playbooks/validate.yml) passes the values the roles were given instead.
  - A check that has nothing to look at (no VPC, no Auto Scaling group, no buckets given) is reported as V(skip)
    with the reason, as are the checks in O(skip_checks).
author:
  - nova.infra engineers (!UNKNOWN)
options:
  name_prefix:
    description:
      - The prefix of every name in the stack (the Ansible variable C(nova_name_prefix)).
      - 1-40 letters, digits and inner hyphens, as the roles require.
    type: str
    default: nova-production
  vpc_cidr:
    description:
      - The CIDR block the stack's VPC must have (C(network_vpc_cidr) of the network role).
    type: str
    default: 10.0.0.0/16
  allowed_ssh_cidrs:
    description:
      - The CIDR blocks the bastion security group may allow SSH from. Narrower blocks inside them are accepted.
    type: list
    elements: str
    default: ["203.0.113.0/24"]
  expected_az_count:
    description:
      - The number of availability zones the stack spans (C(network_az_count)).
    type: int
    default: 2
  min_free_ip_percent:
    description:
      - The smallest share of a subnet's usable addresses (its size minus the 5 AWS reserves) that must be free.
    type: int
    default: 20
  required_tags:
    description:
      - Tags every resource must carry with exactly these values. An empty dict skips C(NOVA-TAG-001).
    type: dict
    default: {Project: nova, Environment: production, ManagedBy: ansible, Stack: nova-production}
  buckets:
    description:
      - The buckets to audit. Empty skips the S3 checks except C(NOVA-S3-005).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The bucket name.
        type: str
        required: true
      region:
        description: The region the bucket must be in. Defaults to the module's O(region).
        type: str
  replicated_buckets:
    description:
      - Source buckets whose cross-region replication C(NOVA-S3-005) checks. Empty skips that check.
    type: list
    elements: dict
    default: []
    suboptions:
      source:
        description: The source bucket, read in its region from O(buckets), else in the module's O(region).
        type: str
        required: true
      destination:
        description: The replica bucket.
        type: str
        required: true
      destination_region:
        description: The region the replica must be in, for example the DR region V(us-east-1).
        type: str
        required: true
  replication_storage_class:
    description:
      - The storage class replication rules must write replicas in (the storage role's
        C(storage_replica_storage_class)).
    type: str
    default: STANDARD_IA
  replication_time_control:
    description:
      - Whether replication rules must have S3 Replication Time Control on (V(true)) or off (C(NOVA-S3-007); the
        storage role's C(storage_replication_time_control)).
    type: bool
    default: true
  flow_log_traffic_type:
    description:
      - The traffic type the VPC's flow log must record (C(NOVA-LOG-001); the monitoring role's
        C(monitoring_flow_log_traffic_type)).
    type: str
    choices: [ALL, ACCEPT, REJECT]
    default: ALL
  flow_log_bucket:
    description:
      - The name of the S3 bucket the VPC's flow log must deliver to (C(NOVA-LOG-002)).
      - Defaults to the stack's log-delivery bucket in the module's O(region),
        C(<name_prefix>-app-logs-<account>-<region>), with the account of O(account_id), else of the caller
        (C(sts:GetCallerIdentity)).
    type: str
  flow_log_prefix:
    description:
      - The key prefix the flow log must deliver under (C(NOVA-LOG-002); the monitoring role's
        C(monitoring_flow_log_prefix)), ending in C(/).
    type: str
    default: vpc-flow-logs/
  nat_alarm:
    description:
      - The settings of each NAT gateway's alarm (namespace C(AWS/NATGateway), dimension C(NatGatewayId), action the
        topic O(alarm_topic)); the monitoring role's C(monitoring_nat_bytes_threshold), C(monitoring_nat_bytes_period)
        and C(monitoring_nat_bytes_evaluation_periods).
      - C(NOVA-MON-001) finds the alarms by O(nat_alarm.metric); C(NOVA-MON-003) compares the other settings.
    type: dict
    suboptions:
      metric:
        description: The metric.
        type: str
        default: BytesOutToDestination
      statistic:
        description: The statistic.
        type: str
        choices: [SampleCount, Average, Sum, Minimum, Maximum]
        default: Sum
      period:
        description: The period in seconds (10, 30 or a multiple of 60).
        type: int
        default: 300
      evaluation_periods:
        description: The number of periods compared with the threshold.
        type: int
        default: 1
      threshold:
        description: The threshold, in bytes per period.
        type: float
        default: 1000000000
      comparison:
        description: How the statistic is compared with the threshold.
        type: str
        choices: [GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold]
        default: GreaterThanThreshold
  bastion_cpu_alarm:
    description:
      - The settings of the bastion Auto Scaling group's alarm (namespace C(AWS/EC2), dimension
        C(AutoScalingGroupName), action the topic O(alarm_topic)); the monitoring role's
        C(monitoring_bastion_cpu_threshold), C(monitoring_bastion_cpu_period) and
        C(monitoring_bastion_cpu_evaluation_periods).
      - C(NOVA-MON-001) finds the alarm by O(bastion_cpu_alarm.metric); C(NOVA-MON-003) compares the other settings.
    type: dict
    suboptions:
      metric:
        description: The metric.
        type: str
        default: CPUUtilization
      statistic:
        description: The statistic.
        type: str
        choices: [SampleCount, Average, Sum, Minimum, Maximum]
        default: Average
      period:
        description: The period in seconds (10, 30 or a multiple of 60).
        type: int
        default: 300
      evaluation_periods:
        description: The number of periods compared with the threshold.
        type: int
        default: 1
      threshold:
        description: The threshold, in percent.
        type: float
        default: 80
      comparison:
        description: How the statistic is compared with the threshold.
        type: str
        choices: [GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold]
        default: GreaterThanThreshold
  bastion_asg:
    description:
      - The sizes of the bastion's Auto Scaling group (C(NOVA-EC2-004); the bastion role's C(bastion_asg_min_size),
        C(bastion_asg_max_size) and C(bastion_asg_desired_capacity)).
    type: dict
    suboptions:
      min_size:
        description: The minimum size.
        type: int
        default: 1
      max_size:
        description: The maximum size.
        type: int
        default: 2
      desired_capacity:
        description: The desired capacity.
        type: int
        default: 1
  expect_bastion:
    description:
      - Whether the bastion (its security groups and Auto Scaling group) must exist. When V(false) and it is absent,
        the bastion checks are skipped; when it exists it is audited either way.
    type: bool
    default: true
  nat_mode:
    description:
      - The network role's C(network_nat_mode). V(single) expects one NAT gateway, in the first AZ, for every private
        subnet; C(NOVA-NET-012) then reports the AZ-failure risk unless O(nat_single_accepted).
    type: str
    choices: [per_az, single]
    default: per_az
  nat_single_accepted:
    description:
      - The single NAT gateway's AZ-failure risk is accepted (C(network_nat_single_accepted)); C(NOVA-NET-012) is
        then skipped with that reason.
    type: bool
    default: false
  s3_endpoint:
    description:
      - Whether an S3 gateway endpoint on every private route table is expected (C(network_s3_endpoint));
        V(false) skips C(NOVA-NET-013).
    type: bool
    default: true
  interface_endpoints:
    description:
      - Short names of the interface endpoints expected in the private subnets (C(network_interface_endpoints));
        empty skips C(NOVA-NET-014).
    type: list
    elements: str
    default: []
  bastion_access:
    description:
      - How the bastion is reached (the bastion role's C(bastion_access)). V(ssh) SSH from O(allowed_ssh_cidrs).
      - V(ssm) Session Manager only, C(NOVA-SG-001) then requires that no ingress rule of the bastion security group
        reaches SSH, from anywhere, and C(NOVA-EC2-005) that the launch template has the Session Manager instance
        profile (two more IAM reads, C(iam:GetInstanceProfile) and C(iam:ListAttachedRolePolicies)).
      - V(both) SSH from O(allowed_ssh_cidrs) and the instance profile.
    type: str
    choices: [ssh, ssm, both]
    default: ssh
  private_egress:
    description:
      - What the private security group may send out (the bastion role's C(bastion_private_egress));
        C(NOVA-SG-007) reports any egress rule wider than these. The bastion group's allowed egress is the design's,
        tcp/22 to O(vpc_cidr) and tcp/443 to V(0.0.0.0/0).
    type: list
    elements: dict
    default: [{proto: tcp, ports: [443], cidr_ip: 0.0.0.0/0, rule_desc: "HTTPS: package repositories, AWS APIs and Systems Manager"}]
    suboptions:
      proto:
        description: The protocol.
        type: str
        choices: [tcp, udp]
        required: true
      ports:
        description: The destination ports.
        type: list
        elements: int
        required: true
      cidr_ip:
        description: The destination, an IPv4 CIDR block; narrower destinations are accepted.
        type: str
        required: true
      rule_desc:
        description: The rule's description (not compared).
        type: str
  fail_on:
    description:
      - The module fails when any finding has this severity or a higher one, listing them all in C(msg); the
        report (RV(findings), RV(checks), RV(summary), RV(markdown)) is returned either way.
      - V(none) never fails on findings.
    type: str
    choices: [critical, high, medium, low, info, none]
    default: high
  skip_checks:
    description:
      - Check ids not to run, for example V(NOVA-EC2-001). They are reported with status V(skip).
      - A skipped check reads nothing for itself (V(NOVA-S3-006) then makes no S3 Control or STS call).
    type: list
    elements: str
    default: []
  alarm_prefix:
    description:
      - The prefix of the stack's alarm names (the monitoring role's C(monitoring_alarm_prefix)). Alarms are read by
        it; those of the NAT gateways and the bastion are then recognised by metric and dimension.
      - Defaults to O(name_prefix).
    type: str
  alarm_topic:
    description:
      - The name of the SNS topic the alarms notify (the monitoring role's C(monitoring_alarm_topic)).
      - Defaults to C(<name_prefix>-alarms).
    type: str
  account_id:
    description:
      - The 12-digit ID of the account whose account-level Block Public Access settings C(NOVA-S3-006) reads.
      - When omitted, the account of the caller (C(sts:GetCallerIdentity)).
    type: str
  s3control_aws_config:
    description:
      - botocore settings for the S3 Control client of C(NOVA-S3-006) only, merged under O(aws_config).
      - S3 Control puts the account ID in front of the endpoint's host name, so an O(endpoint_url) given as an IP
        address needs an HTTP proxy that reaches it, for example C(proxies) set to V(http=http://127.0.0.1:5000)
        (the nova.infra sandbox answers as one; its inventory sets C(nova_aws_proxies)).
      - With an O(endpoint_url) and no proxy (here or in the environment), a host C(<account>.<endpoint host>) that does
        not resolve skips C(NOVA-S3-006) at once, saying why, instead of retrying a call that cannot connect (AWS's own
        endpoints are left to botocore).
    type: dict
    default: {}
notes:
  - Read-only; C(changed) is always V(false) and check mode behaves the same.
  - Bad options fail before any AWS call, naming the option, the value and the fix.
  - "The AWS calls are ec2:Describe* (VPCs, subnets, internet gateways, NAT gateways, addresses, route tables, security
    groups, flow logs, VPC endpoints, instances, launch templates and versions), autoscaling:DescribeAutoScalingGroups and, per
    bucket, s3:GetBucketLocation, GetBucketPublicAccessBlock, GetEncryptionConfiguration, GetBucketVersioning,
    GetBucketTagging and GetReplicationConfiguration; for C(NOVA-S3-006) s3:GetAccountPublicAccessBlock, and
    sts:GetCallerIdentity when O(account_id) is omitted (also for C(NOVA-LOG-002) when O(flow_log_bucket) is
    omitted); for C(NOVA-MON-001), C(NOVA-MON-002) and C(NOVA-MON-003)
    cloudwatch:DescribeAlarms, sns:GetTopicAttributes, sns:ListSubscriptionsByTopic and sns:ListTagsForResource;
    for C(NOVA-TAG-001) cloudwatch:ListTagsForResource per alarm;
    ec2:DescribeKeyPairs; iam:GetRole when O(replicated_buckets) is given."
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# Note: These examples do not set authentication details, see the AWS Guide for details.

- name: Audit the network and bastion, failing on high and critical findings
  nova.infra.stack_audit:
    region: us-west-2

- name: Audit everything, never fail, and keep the report
  nova.infra.stack_audit:
    region: us-west-2
    name_prefix: nova-production
    allowed_ssh_cidrs:
      - 203.0.113.0/24
    buckets:
      - {name: "nova-production-app-logs-{{ account }}-us-west-2", region: us-west-2}
      - {name: "nova-production-backup-{{ account }}-us-west-2", region: us-west-2}
      - {name: "nova-production-app-logs-{{ account }}-us-east-1", region: us-east-1}
      - {name: "nova-production-backup-{{ account }}-us-east-1", region: us-east-1}
    replicated_buckets:
      - source: "nova-production-app-logs-{{ account }}-us-west-2"
        destination: "nova-production-app-logs-{{ account }}-us-east-1"
        destination_region: us-east-1
      - source: "nova-production-backup-{{ account }}-us-west-2"
        destination: "nova-production-backup-{{ account }}-us-east-1"
        destination_region: us-east-1
    fail_on: none
  register: audit

- name: Save the Markdown report
  ansible.builtin.copy:
    content: "{{ audit.markdown }}"
    dest: reports/audit-us-west-2.md
    mode: "0644"

- name: Audit a stack without a bastion, ignoring the tagging check
  nova.infra.stack_audit:
    region: us-west-2
    name_prefix: nova-staging
    expect_bastion: false
    skip_checks:
      - NOVA-TAG-001
    fail_on: critical
"""

RETURN = r"""
findings:
  description: One record per problem, most severe first.
  type: list
  elements: dict
  returned: always
  contains:
    id:
      description: The check id.
      type: str
      sample: NOVA-SG-003
    title:
      description: The check, as a sentence.
      type: str
      sample: No security group allows ingress from 0.0.0.0/0 to remote administration ports
    severity:
      description: V(critical), V(high), V(medium), V(low) or V(info).
      type: str
      sample: critical
    cis:
      description: The CIS control the check implements, V(null) when none fits (see RV(findings[].reference)).
      type: dict
      sample:
        benchmark: CIS AWS Foundations Benchmark
        version: 3.0.0
        control: "5.2"
        title: Ensure no security groups allow ingress from 0.0.0.0/0 to remote server administration ports
    reference:
      description: The design document's checklist line the check comes from.
      type: str
      sample: "docs/design.md Security Validation: 'Security group rules follow least privilege'"
    resource:
      description: The resource, with its C(Name) tag where it has one.
      type: str
      sample: sg-0123456789abcdef0 (nova-production-bastion-sg)
    detail:
      description: What is wrong.
      type: str
      sample: tcp/22 from 0.0.0.0/0 opens port(s) 22 to the whole internet
    fix:
      description: How to fix it.
      type: str
      sample: revoke the rule; allow ports 22 and 3389 only from known CIDR blocks or security groups
checks:
  description: Every check, in catalogue order, with its outcome.
  type: list
  elements: dict
  returned: always
  contains:
    id:
      description: The check id.
      type: str
    title:
      description: The check, as a sentence.
      type: str
    severity:
      description: The severity of its findings.
      type: str
    cis:
      description: As in RV(findings[].cis).
      type: dict
    reference:
      description: As in RV(findings[].reference).
      type: str
    status:
      description: V(pass), V(fail) or V(skip).
      type: str
      sample: pass
    reason:
      description: Why it was skipped; V(null) otherwise.
      type: str
      sample: listed in skip_checks
    findings:
      description: The number of its findings.
      type: int
      sample: 0
summary:
  description: Counts of the findings and checks.
  type: dict
  returned: always
  contains:
    findings:
      description: The number of findings.
      type: int
    by_severity:
      description: Findings per severity.
      type: dict
      sample: {critical: 0, high: 1, medium: 0, low: 2, info: 0}
    by_status:
      description: Checks per status.
      type: dict
      sample: {pass: 20, fail: 2, skip: 2}
    fail_on:
      description: The O(fail_on) threshold.
      type: str
      sample: high
    at_or_above_fail_on:
      description: The number of findings at or above O(fail_on); the module failed if it is not 0.
      type: int
      sample: 1
markdown:
  description: The report rendered as Markdown (summary, findings by severity, table of checks).
  type: str
  returned: always
snapshot:
  description:
    - What was read from AWS and audited (VPC, subnets, gateways, route tables, security groups, flow logs, bastion,
      buckets, replication and the account-level Block Public Access settings), with tags as dicts.
  type: dict
  returned: always
"""


try:
    import botocore
    import botocore.config
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.nova.infra.plugins.module_utils import audit
from ansible_collections.nova.infra.plugins.module_utils import aws_calls
from ansible_collections.nova.infra.plugins.module_utils import stack
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import aws_failures
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import error_code

# An organization's service control policy, or a missing s3:GetAccountPublicAccessBlock.
DENIED = ("AccessDenied", "AccessDeniedException")

ROUTE_TARGETS = (
    ("GatewayId", "gateway"),
    ("NatGatewayId", "nat_gateway"),
    ("TransitGatewayId", "transit_gateway"),
    ("VpcPeeringConnectionId", "vpc_peering_connection"),
    ("NetworkInterfaceId", "network_interface"),
    ("InstanceId", "instance"),
    ("EgressOnlyInternetGatewayId", "egress_only_internet_gateway"),
    ("LocalGatewayId", "local_gateway"),
    ("CarrierGatewayId", "carrier_gateway"),
    ("CoreNetworkArn", "core_network"),
)


def tags_of(item, key="Tags"):
    return boto3_tag_list_to_ansible_dict(item.get(key) or [])


def route_record(route):
    target_key, target_type = next(((k, t) for k, t in ROUTE_TARGETS if route.get(k)), (None, None))
    return {
        "destination": route.get("DestinationCidrBlock")
        or route.get("DestinationIpv6CidrBlock")
        or route.get("DestinationPrefixListId"),
        "target": route.get(target_key) if target_key else None,
        "target_type": target_type,
        "state": route.get("State"),
    }


def s3control_unreachable(cause):
    """Why NOVA-S3-006 could not be read when S3 Control was not reached, and the fix."""
    return (
        f"S3 Control was not reached ({cause}); it is called at <account>.<endpoint host>: where the endpoint is an IP "
        "address, set s3control_aws_config proxies to a proxy that reaches it"
    )


class StackAuditor:
    """Reads the stack into an audit snapshot; all judgement is in module_utils.audit."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.prefix = module.params["name_prefix"]
        self.ec2 = aws_calls.connect(module, "ec2")
        self._s3 = {}
        self.vpc_id = None
        self.s3control_config = None
        self.account_id = None

    def s3(self, region):
        if region not in self._s3:
            self._s3[region] = aws_calls.connect(self.module, "s3", region=region)
        return self._s3[region]

    def snapshot(self):
        snap = audit.empty_snapshot(self.module.region, self.prefix)
        self.read_network(snap)
        self.read_region_security_groups(snap)
        self.read_bastion(snap)
        self.read_buckets(snap)
        self.read_replication(snap)
        self.read_account_public_access_block(snap)
        self.read_monitoring(snap)
        return snap

    def account(self):
        if not self.account_id:
            self.account_id = self.params["account_id"] or aws_calls.get_caller_identity(
                aws_calls.connect(self.module, "sts")
            )["Account"]
        return self.account_id

    def read_monitoring(self, snap):
        """The stack's alarms and the subscribers of the topic they notify."""
        if {"NOVA-MON-001", "NOVA-MON-002", "NOVA-MON-003"} <= set(self.params["skip_checks"]):
            return
        cloudwatch = aws_calls.connect(self.module, "cloudwatch")
        prefix = self.params["alarm_prefix"] or self.prefix
        alarms = aws_calls.describe_metric_alarms(cloudwatch, AlarmNamePrefix=prefix)
        snap["alarms"] = [
            {
                "name": a["AlarmName"],
                "namespace": a.get("Namespace"),
                "metric": a.get("MetricName"),
                "dimensions": {d["Name"]: d["Value"] for d in a.get("Dimensions", [])},
                "statistic": a.get("Statistic") or a.get("ExtendedStatistic"),
                "period": a.get("Period"),
                "evaluation_periods": a.get("EvaluationPeriods"),
                "threshold": a.get("Threshold"),
                "comparison": a.get("ComparisonOperator"),
                "actions_enabled": a.get("ActionsEnabled", False),
                "actions": a.get("AlarmActions", []),
                "arn": a.get("AlarmArn"),
            }
            for a in alarms
        ]
        # DescribeAlarms returns no tags: one ListTagsForResource per alarm, for NOVA-TAG-001.
        if "NOVA-TAG-001" not in self.params["skip_checks"]:
            for alarm in snap["alarms"]:
                if alarm["arn"]:
                    alarm["tags"] = boto3_tag_list_to_ansible_dict(aws_calls.list_alarm_tags(cloudwatch, alarm["arn"]))
        name = self.params["alarm_topic"] or f"{self.prefix}-alarms"
        sns = aws_calls.connect(self.module, "sns")
        arn = f"arn:{self.partition()}:sns:{self.module.region}:{self.account()}:{name}"
        topic = {"name": name, "arn": arn, "exists": False, "confirmed": [], "pending": []}
        if aws_calls.get_topic_attributes(sns, arn) is not None:
            topic["exists"] = True
            topic["tags"] = boto3_tag_list_to_ansible_dict(aws_calls.list_topic_tags(sns, arn))
            for sub in aws_calls.list_subscriptions_by_topic(sns, arn):
                endpoint = f"{sub.get('Protocol')}:{sub.get('Endpoint')}"
                pending = sub.get("SubscriptionArn") == "PendingConfirmation"
                topic["pending" if pending else "confirmed"].append(endpoint)
        snap["alarm_topic"] = topic

    def flow_log_destination(self):
        """The S3 ARN (with the key prefix) the flow log must deliver to, or None when NOVA-LOG-002 is skipped."""
        if "NOVA-LOG-002" in self.params["skip_checks"]:
            return None
        bucket = self.params["flow_log_bucket"]
        if not bucket:
            short = next((b["name"] for b in stack.design("buckets") if b.get("log_delivery")), None)
            if short is None:
                return None
            bucket = stack.bucket_name(short, self.prefix, self.account(), self.module.region)
        return f"arn:{self.partition()}:s3:::{bucket}/{self.params['flow_log_prefix']}"

    def partition(self):
        # The topic's ARN is built (ListTopics is account-wide); its partition follows the region.
        region = self.module.region
        return "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"

    def in_vpc(self, describe, vpc_filter="vpc-id"):
        """What ``describe`` (an aws_calls wrapper) finds in the stack's VPC."""
        return describe(self.ec2, Filters=[{"Name": vpc_filter, "Values": [self.vpc_id]}])

    def read_network(self, snap):
        by_name = [{"Name": "tag:Name", "Values": [f"{self.prefix}-vpc"]}]
        vpcs = aws_calls.describe_vpcs(self.ec2, Filters=by_name)
        if not vpcs:
            return
        vpcs.sort(key=lambda v: v["VpcId"])
        vpc = vpcs[0]
        self.vpc_id = vpc["VpcId"]
        snap["vpc"] = {"id": vpc["VpcId"], "cidr": vpc["CidrBlock"], "tags": tags_of(vpc)}
        snap["duplicate_vpcs"] = [v["VpcId"] for v in vpcs[1:]]
        snap["subnets"] = [
            {
                "id": s["SubnetId"],
                "az": s["AvailabilityZone"],
                "cidr": s["CidrBlock"],
                "type": tags_of(s).get("Type"),
                "available_ips": s["AvailableIpAddressCount"],
                "map_public_ip": bool(s.get("MapPublicIpOnLaunch")),
                "tags": tags_of(s),
            }
            for s in self.in_vpc(aws_calls.describe_subnets)
        ]
        snap["internet_gateways"] = [
            {
                "id": igw["InternetGatewayId"],
                "attached": any(a.get("State") in ("available", "attached") for a in igw.get("Attachments", [])),
                "tags": tags_of(igw),
            }
            for igw in self.in_vpc(aws_calls.describe_internet_gateways, "attachment.vpc-id")
        ]
        # AWS lists deleted NAT gateways for about an hour; they are history, not part of the stack.
        nats = [n for n in self.in_vpc(aws_calls.describe_nat_gateways) if n.get("State") != "deleted"]
        snap["nat_gateways"] = [
            {
                "id": n["NatGatewayId"],
                "subnet_id": n.get("SubnetId"),
                "state": n.get("State"),
                "allocation_ids": [
                    a["AllocationId"] for a in n.get("NatGatewayAddresses", []) if a.get("AllocationId")
                ],
                "tags": tags_of(n),
            }
            for n in nats
        ]
        allocation_ids = sorted({a for n in snap["nat_gateways"] for a in n["allocation_ids"]})
        if allocation_ids:
            addresses = aws_calls.describe_addresses(
                self.ec2, Filters=[{"Name": "allocation-id", "Values": allocation_ids}]
            )
            snap["eips"] = [
                {"allocation_id": a["AllocationId"], "public_ip": a.get("PublicIp"), "tags": tags_of(a)}
                for a in addresses
            ]
        snap["route_tables"] = [
            {
                "id": t["RouteTableId"],
                "main": any(a.get("Main") for a in t.get("Associations", [])),
                "subnet_ids": [a["SubnetId"] for a in t.get("Associations", []) if a.get("SubnetId")],
                "routes": [route_record(r) for r in t.get("Routes", [])],
                "tags": tags_of(t),
            }
            for t in self.in_vpc(aws_calls.describe_route_tables)
        ]
        snap["security_groups"] = [
            {
                "id": g["GroupId"],
                "name": g["GroupName"],
                "is_default": g["GroupName"] == "default",
                "ingress": g.get("IpPermissions", []),
                "egress": g.get("IpPermissionsEgress", []),
                "tags": tags_of(g),
            }
            for g in self.in_vpc(aws_calls.describe_security_groups)
        ]
        snap["flow_logs"] = [
            {
                "id": f["FlowLogId"],
                "status": f.get("FlowLogStatus"),
                "traffic_type": f.get("TrafficType"),
                "deliver_status": f.get("DeliverLogsStatus"),
                "destination": f.get("LogDestination") or f.get("LogGroupName"),
                "tags": tags_of(f),
            }
            for f in self.in_vpc(aws_calls.describe_flow_logs, "resource-id")
        ]
        # AWS lists deleted endpoints for a while; they are history.
        snap["vpc_endpoints"] = [
            {
                "id": e["VpcEndpointId"],
                "type": str(e.get("VpcEndpointType", "")).lower(),
                "service": e.get("ServiceName"),
                "state": e.get("State"),
                "route_table_ids": e.get("RouteTableIds") or [],
                "subnet_ids": e.get("SubnetIds") or [],
                "group_ids": [g["GroupId"] for g in e.get("Groups") or []],
                "private_dns": bool(e.get("PrivateDnsEnabled")),
                "tags": tags_of(e),
            }
            for e in self.in_vpc(aws_calls.describe_vpc_endpoints)
            if str(e.get("State", "")).lower() != "deleted"
        ]

    def read_region_security_groups(self, snap):
        """NOVA-SG-008: the region's other security groups with an inbound rule from 0.0.0.0/0 or ::/0 (two filtered
        reads; the design's validation script looks at every group of the region)."""
        if "NOVA-SG-008" in self.params["skip_checks"]:
            return
        found = {}
        for name, world in (("ip-permission.cidr", "0.0.0.0/0"), ("ip-permission.ipv6-cidr", "::/0")):
            for g in aws_calls.describe_security_groups(self.ec2, Filters=[{"Name": name, "Values": [world]}]):
                if g.get("VpcId") != self.vpc_id:
                    found[g["GroupId"]] = {
                        "id": g["GroupId"],
                        "name": g["GroupName"],
                        "vpc_id": g.get("VpcId"),
                        "ingress": g.get("IpPermissions", []),
                        "tags": tags_of(g),
                    }
        snap["region_security_groups"] = [found[group_id] for group_id in sorted(found)]

    def read_bastion(self, snap):
        name = f"{self.prefix}-bastion-key"
        pair = aws_calls.describe_key_pair(self.ec2, name)
        if pair:
            snap["key_pair"] = {"name": name, "id": pair.get("KeyPairId"), "tags": tags_of(pair)}
        autoscaling = aws_calls.connect(self.module, "autoscaling")
        groups = aws_calls.describe_auto_scaling_groups(
            autoscaling, AutoScalingGroupNames=[f"{self.prefix}-bastion-asg"]
        )
        instance_ids = []
        if groups:
            group = groups[0]
            instance_ids = [i["InstanceId"] for i in group.get("Instances", [])]
            snap["asg"] = {
                "name": group["AutoScalingGroupName"],
                "subnet_ids": [s for s in (group.get("VPCZoneIdentifier") or "").split(",") if s],
                "min_size": group.get("MinSize", 0),
                "max_size": group.get("MaxSize", 0),
                "desired": group.get("DesiredCapacity", 0),
                "instances": [
                    {"id": i["InstanceId"], "lifecycle_state": i.get("LifecycleState"), "health": i.get("HealthStatus")}
                    for i in group.get("Instances", [])
                ],
                "tags": {t["Key"]: t.get("Value", "") for t in group.get("Tags", [])},
            }
        filters = [{"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}]
        by_tag = aws_calls.describe_instances(
            self.ec2, Filters=filters + [{"Name": "tag:Name", "Values": [f"{self.prefix}-bastion"]}]
        )
        by_asg = []
        if instance_ids:
            by_asg = aws_calls.describe_instances(
                self.ec2, Filters=filters + [{"Name": "instance-id", "Values": instance_ids}]
            )
        instances = {i["InstanceId"]: i for i in by_tag + by_asg}
        snap["instances"] = [
            {
                "id": i["InstanceId"],
                "state": i["State"]["Name"],
                "subnet_id": i.get("SubnetId"),
                "az": i.get("Placement", {}).get("AvailabilityZone"),
                "http_tokens": i.get("MetadataOptions", {}).get("HttpTokens"),
                "public_ip": i.get("PublicIpAddress"),
                "tags": tags_of(i),
            }
            for _instance_id, i in sorted(instances.items())
        ]
        lt = aws_calls.describe_launch_template(self.ec2, f"{self.prefix}-bastion-lt")
        if lt:
            versions = aws_calls.describe_launch_template_versions(self.ec2, lt["LaunchTemplateId"], ["$Default"])
            data = versions[0]["LaunchTemplateData"] if versions else {}
            profile = data.get("IamInstanceProfile") or {}
            snap["launch_template"] = {
                "id": lt["LaunchTemplateId"],
                "name": lt["LaunchTemplateName"],
                "http_tokens": data.get("MetadataOptions", {}).get("HttpTokens"),
                "instance_profile": profile.get("Arn") or profile.get("Name"),
                "key_name": data.get("KeyName"),
                # NOVA-EC2-006: the key pair it names (the stack's, read above, or another one: read).
                "key_exists": (
                    None if not data.get("KeyName")
                    else bool(pair) if data["KeyName"] == name
                    else aws_calls.describe_key_pair(self.ec2, data["KeyName"]) is not None
                ),
                "tags": tags_of(lt),
            }
            self.read_instance_profile(snap)

    def read_instance_profile(self, snap):
        """NOVA-EC2-005: the launch template's instance profile and its roles' managed policies (two IAM reads), only
        for a bastion reached through Session Manager (bastion_access ssm or both)."""
        reference = snap["launch_template"]["instance_profile"]
        if self.params["bastion_access"] == "ssh" or not reference or "NOVA-EC2-005" in self.params["skip_checks"]:
            return
        iam = aws_calls.connect(self.module, "iam")
        profile = aws_calls.get_instance_profile(iam, reference.rsplit("/", 1)[-1])
        if profile:
            snap["instance_profile"] = {
                "name": profile["InstanceProfileName"],
                "arn": profile["Arn"],
                "roles": [
                    {
                        "name": role["RoleName"],
                        "policies": [
                            p["PolicyArn"] for p in aws_calls.list_attached_role_policies(iam, role["RoleName"]) or []
                        ],
                    }
                    for role in profile.get("Roles", [])
                ],
            }

    def bucket_region(self, name, region):
        """The region a bucket is in, or None when it does not exist."""
        location = aws_calls.get_bucket_location(self.s3(region), name)
        if location is None:
            return None
        # us-east-1 reports no constraint, and the oldest eu-west-1 buckets report "EU".
        return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(
            location.get("LocationConstraint"), location.get("LocationConstraint")
        )

    def read_buckets(self, snap):
        for wanted in self.params["buckets"]:
            expected = wanted["region"] or self.module.region
            actual = self.bucket_region(wanted["name"], expected)
            bucket = {
                "name": wanted["name"],
                "expected_region": expected,
                "exists": actual is not None,
                "region": actual,
            }
            if actual is not None:
                s3, name = self.s3(actual), wanted["name"]
                encryption = aws_calls.get_bucket_encryption(s3, name)
                bucket.update(
                    public_access_block=aws_calls.get_public_access_block(s3, name),
                    encryption=[
                        r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm")
                        for r in encryption["Rules"]
                    ]
                    if encryption
                    else None,
                    versioning=(aws_calls.get_bucket_versioning(s3, name) or {}).get("Status"),
                    tags=boto3_tag_list_to_ansible_dict(aws_calls.get_bucket_tagging(s3, name) or []),
                )
            snap["buckets"].append(bucket)

    def read_replication(self, snap):
        if self.params["replicated_buckets"]:
            # The role S3 replicates as (the storage role's <prefix>-s3-replication), for its tags.
            name = f"{self.prefix}-s3-replication"
            role = aws_calls.get_role(aws_calls.connect(self.module, "iam"), name)
            if role:
                snap["replication_role"] = {"name": name, "tags": tags_of(role)}
        regions = {b["name"]: b["region"] or self.module.region for b in self.params["buckets"]}
        for pair in self.params["replicated_buckets"]:
            source_region = regions.get(pair["source"], self.module.region)
            config = aws_calls.get_bucket_replication(self.s3(source_region), pair["source"])
            actual = self.bucket_region(pair["destination"], pair["destination_region"])
            versioning = None
            if actual is not None:
                found = aws_calls.get_bucket_versioning(self.s3(actual), pair["destination"])
                versioning = (found or {}).get("Status")
            snap["replication"].append(
                {
                    **pair,
                    "rules": config.get("Rules", []) if config else None,
                    "destination_exists": actual is not None,
                    "destination_actual_region": actual,
                    "destination_versioning": versioning,
                }
            )

    def read_account_public_access_block(self, snap):
        """The account's own flags. Not being allowed to read them, or not reaching S3 Control, is recorded (the
        check then says why it skipped) rather than fatal: the rest of the audit still stands."""
        if "NOVA-S3-006" in self.params["skip_checks"]:
            return
        account = self.account()
        record = {"account_id": account, "configured": False, "flags": {}, "unreadable": None}
        try:
            s3control = aws_calls.connect(self.module, "s3control", config=self.s3control_config)
            unresolved = aws_calls.unresolved_account_host(s3control, account, self.params.get("endpoint_url"))
            if unresolved:
                # botocore would retry the connection with backoff (~30 s in standard mode) before giving up.
                record["unreadable"] = s3control_unreachable(f"{unresolved} does not resolve and no proxy is set")
                snap["account_public_access_block"] = record
                return
            answer = aws_calls.get_account_public_access_block(s3control, account)
        except AnsibleAWSError as error:
            cause = error.exception
            if isinstance(cause, botocore.exceptions.ClientError) and error_code(cause) in DENIED:
                record["unreadable"] = (
                    f"{error_code(cause)}: an organization's service control policy, or no "
                    "s3:GetAccountPublicAccessBlock permission; grant it to audit them"
                )
            elif isinstance(cause, (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError)):
                record["unreadable"] = s3control_unreachable(cause)
            else:
                raise
        else:
            if answer:
                record.update(configured=True, flags=dict(answer))
        snap["account_public_access_block"] = record

    def run(self):
        settings = {k: self.params[k] for k in audit.default_settings() if k in self.params}
        problems = audit.validate_settings(settings)
        problems += audit.validate_flow_log(self.params["flow_log_bucket"], self.params["flow_log_prefix"])
        problems += audit.validate_targets(self.prefix, self.params["buckets"], self.params["replicated_buckets"])
        problems += audit.validate_account(self.params["account_id"])
        problems += audit.validate_monitoring(self.params["alarm_prefix"], self.params["alarm_topic"])
        try:
            self.s3control_config = botocore.config.Config(**self.params["s3control_aws_config"])
        except (TypeError, ValueError, AttributeError, botocore.exceptions.BotoCoreError) as e:
            problems.append(
                f"s3control_aws_config: {e}. Fix: give botocore.config.Config settings, for example "
                "{proxies: {http: 'http://proxy.example:3128'}}"
            )
        if problems:
            self.module.fail_json(msg=f"{len(problems)} bad option(s), nothing was read: " + " ".join(problems))
        with aws_failures(self.module, f"Failed to read the {self.prefix} stack for the audit"):
            snap = self.snapshot()
            settings["flow_log_destination"] = self.flow_log_destination()
        report = audit.evaluate(snap, settings)
        fail_on = self.params["fail_on"]
        report["summary"] = audit.summarize(report["findings"], report["checks"], fail_on)
        markdown = audit.render_markdown(report, snap["region"], self.prefix)
        result = dict(changed=False, snapshot=snap, markdown=markdown, **report)
        blocking = audit.at_or_above(report["findings"], fail_on)
        if blocking:
            self.module.fail_json(msg=audit.failure_message(blocking, fail_on), **result)
        self.module.exit_json(**result)


STATISTICS = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"]
COMPARISONS = [
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
]


def alarm_options(kind):
    """The options of one alarm kind's expected settings, their defaults the design's (stack.DESIGN[kind])."""
    design = stack.design(kind)
    return dict(
        type="dict",
        apply_defaults=True,
        options=dict(
            metric=dict(type="str", default=design["metric"]),
            statistic=dict(type="str", default=design["statistic"], choices=STATISTICS),
            period=dict(type="int", default=design["period"]),
            evaluation_periods=dict(type="int", default=design["evaluation_periods"]),
            threshold=dict(type="float", default=float(design["threshold"])),
            comparison=dict(type="str", default=design["comparison"], choices=COMPARISONS),
        ),
    )


def main():
    argument_spec = dict(
        name_prefix=dict(type="str", default=stack.design("name_prefix")),
        vpc_cidr=dict(type="str", default=stack.design("vpc_cidr")),
        allowed_ssh_cidrs=dict(type="list", elements="str", default=stack.design("ssh_cidrs")),
        expected_az_count=dict(type="int", default=stack.design("az_count")),
        min_free_ip_percent=dict(type="int", default=20),
        required_tags=dict(type="dict", default=dict(audit.DEFAULT_REQUIRED_TAGS)),
        buckets=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(name=dict(type="str", required=True), region=dict(type="str")),
        ),
        replicated_buckets=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                source=dict(type="str", required=True),
                destination=dict(type="str", required=True),
                destination_region=dict(type="str", required=True),
            ),
        ),
        replication_storage_class=dict(type="str", default=stack.design("replication_storage_class")),
        replication_time_control=dict(type="bool", default=stack.design("replication_time_control")),
        flow_log_traffic_type=dict(
            type="str", default=stack.design("flow_log_traffic_type"), choices=["ALL", "ACCEPT", "REJECT"]
        ),
        flow_log_bucket=dict(type="str"),
        flow_log_prefix=dict(type="str", default=stack.design("flow_log_prefix")),
        nat_alarm=alarm_options("nat_alarm"),
        bastion_cpu_alarm=alarm_options("bastion_cpu_alarm"),
        bastion_asg=dict(
            type="dict",
            apply_defaults=True,
            options={key: dict(type="int", default=value) for key, value in stack.design("bastion_asg").items()},
        ),
        expect_bastion=dict(type="bool", default=True),
        nat_mode=dict(type="str", default="per_az", choices=["per_az", "single"]),
        nat_single_accepted=dict(type="bool", default=False),
        s3_endpoint=dict(type="bool", default=True),
        interface_endpoints=dict(type="list", elements="str", default=[]),
        bastion_access=dict(type="str", default=stack.design("bastion_access"), choices=list(stack.BASTION_ACCESS_MODES)),
        private_egress=dict(
            type="list",
            elements="dict",
            default=stack.design("private_egress"),
            options=dict(
                proto=dict(type="str", required=True, choices=["tcp", "udp"]),
                ports=dict(type="list", elements="int", required=True),
                cidr_ip=dict(type="str", required=True),
                rule_desc=dict(type="str"),
            ),
        ),
        fail_on=dict(type="str", default="high", choices=list(audit.FAIL_ON_CHOICES)),
        skip_checks=dict(type="list", elements="str", default=[]),
        account_id=dict(type="str"),
        alarm_prefix=dict(type="str"),
        alarm_topic=dict(type="str"),
        s3control_aws_config=dict(type="dict", default={}),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    StackAuditor(module).run()


if __name__ == "__main__":
    main()
