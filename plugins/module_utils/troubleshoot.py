# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Catalogue of AWS error codes with their root cause and the fix, shared by modules and the callback.

Pure data and lookups: no AWS calls. Modules report AWS failures through fail_aws() so that the
result carries the error code and the guidance; the nova.infra.troubleshoot callback prints the
same guidance under any failed task (amazon.aws modules included) whose result has an error code,
found by classify().

Besides AWS error codes, the catalogue holds a few botocore / Python exception names
(NoCredentialsError, EndpointConnectionError, ModuleNotFoundError, ...): those failures carry no
AWS response, so their name stands in for the code.

Catalogue text is printed as is under failed tasks. It never contains curly braces, because
machine readers of ansible-playbook's stdout (the json callback, tests/integration/helpers.py)
find the JSON document by its first brace.
"""

from __future__ import annotations

import contextlib
import re

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

_QUOTA_INCREASE = (
    "Request more: `aws service-quotas request-service-quota-increase --service-code {service} "
    "--quota-code {quota} --desired-value N` (current value: `aws service-quotas get-service-quota "
    "--service-code {service} --quota-code {quota}`)."
)
_CLOCK = (
    "Sync the clock of the machine running Ansible: AWS rejects requests whose signing time is more than "
    "a few minutes off (5 to 15 depending on the service) (`timedatectl status`, `chronyc tracking`; in "
    "containers and VMs check the host clock)."
)
_WHOAMI = "Check which identity and account are used: `aws sts get-caller-identity`."
_RETRIES = (
    "Raise the retry budget: set `nova_aws_config` with `retries.mode: adaptive` and "
    "`retries.max_attempts: 15` (default: standard mode, 10 attempts; see playbooks/site.yml)."
)

_THROTTLED = {
    "cause": "AWS throttled the API calls of this account and region: too many requests in a short time, "
    "from this run or from other tools using the same account.",
    "fix": [
        _RETRIES,
        "Run fewer playbooks (and lower `forks`) against the account at the same time.",
        "Find the noisy caller in CloudTrail: `aws cloudtrail lookup-events --max-results 50` around the failure time.",
    ],
}
_SERVER_ERROR = {
    "cause": "An AWS-side error (HTTP 5xx). It is usually transient and botocore retries it; this run "
    "ran out of attempts.",
    "fix": [
        "Re-run the playbook: every nova.infra and amazon.aws task is idempotent and resumes where it stopped.",
        _RETRIES,
        "If it persists, check the AWS Health Dashboard: `aws health describe-events --region us-east-1` "
        "(needs a Business support plan) or https://health.aws.amazon.com/health/status.",
    ],
}
_ACCESS_DENIED = {
    "cause": "The IAM identity running the playbook is not allowed to make this call (identity policy, "
    "permissions boundary, SCP, or the resource's own policy such as an S3 bucket policy).",
    "fix": [
        _WHOAMI,
        "Attach the least-privilege policy for this playbook from docs/iam/ to that identity; the message names "
        "the missing action and resource.",
        "For S3, also read the bucket policy (`aws s3api get-bucket-policy --bucket NAME`): the TLS-only "
        "statement denies every request made over plain HTTP.",
    ],
}
_EXPIRED = {
    "cause": "The temporary credentials (session token from SSO, `aws sts assume-role` or an MFA session) "
    "have expired.",
    "fix": [
        "Renew them: `aws sso login --profile NAME` for SSO, or assume the role again and re-export "
        "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.",
        "Stale AWS_* variables override the profile: `env | grep ^AWS_` and unset the old ones.",
        _WHOAMI,
    ],
}
_ENDPOINT = {
    "cause": "botocore could not open a connection to the AWS endpoint: a misspelt region, a wrong "
    "endpoint_url, no network / DNS / proxy path to AWS, or (with inventories/sandbox) the sandbox is not running.",
    "fix": [
        "Check the region name (`nova_region`, `region:`, AWS_DEFAULT_REGION) against "
        "`aws ec2 describe-regions --query 'Regions[].RegionName'`.",
        "Check `nova_aws_endpoint_url` / `endpoint_url`: leave it unset for real AWS.",
        "Sandbox inventory: start the emulator with `make sandbox-up`, check it with `make sandbox-status`, and "
        "make NOVA_SANDBOX_PORT match the port it listens on.",
        "Behind a proxy set HTTPS_PROXY (and NO_PROXY for 127.0.0.1); test with "
        "`curl -sI https://ec2.us-west-2.amazonaws.com`.",
    ],
}

# The guidance per error code, in the sections of docs/troubleshooting.md (rendered from here: reference_markdown).
SECTIONS = {
    "Setup: Python libraries, credentials, region, connection": {
        "ModuleNotFoundError": {
            "cause": "boto3 / botocore are not installed in the Python interpreter that runs the module; amazon.aws "
            "reports 'Failed to import the required Python library (botocore and boto3)'.",
            "fix": [
                "Create the project venv with the pinned requirements: `make site` (or `make venv`), or "
                "`python -m pip install -r requirements.txt -c constraints.txt` in your venv.",
                "Run the venv's `.venv/bin/ansible-playbook`; the inventories set ansible_python_interpreter to "
                "ansible_playbook_python, so modules then use the same venv. With your own inventory set "
                "ansible_python_interpreter to /path/to/.venv/bin/python.",
                "Verify: `.venv/bin/python -c 'import boto3, botocore; print(boto3.__version__, botocore.__version__)'`.",
            ],
        },
        "NoCredentialsError": {
            "cause": "botocore found no credentials ('Unable to locate credentials'): none in the module options, "
            "the environment, ~/.aws/credentials or config, the SSO cache, or an instance / container role.",
            "fix": [
                "Configure a profile: `aws configure` (access key, secret key, region us-west-2), or for AWS SSO "
                "`aws configure sso` then `aws sso login --profile NAME` and `export AWS_PROFILE=NAME`.",
                "Or export AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_DEFAULT_REGION=us-west-2 "
                "(plus AWS_SESSION_TOKEN for temporary keys).",
                "On EC2, ECS or CI runners prefer an IAM role / instance profile: no keys on disk.",
                "Verify: `aws sts get-caller-identity`.",
                "For the emulator use the sandbox inventory (the default in ansible.cfg), which passes throw-away keys.",
            ],
        },
        "PartialCredentialsError": {
            "cause": "Only half of a key pair is set, e.g. AWS_ACCESS_KEY_ID without AWS_SECRET_ACCESS_KEY, or a "
            "profile missing aws_secret_access_key.",
            "fix": [
                "List what is set: `env | grep ^AWS_` and `aws configure list`.",
                "Set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or unset both to fall back to the profile or role.",
            ],
        },
        "ProfileNotFound": {
            "cause": "The AWS profile named by AWS_PROFILE or `nova_aws_profile` is not in ~/.aws/config or "
            "~/.aws/credentials.",
            "fix": [
                "List the profiles: `aws configure list-profiles`; fix the name or unset AWS_PROFILE.",
                "Create it with `aws configure --profile NAME` or `aws configure sso`.",
            ],
        },
        "NoRegionError": {
            "cause": "No AWS region was given: not in the module options, AWS_DEFAULT_REGION / AWS_REGION or the profile.",
            "fix": [
                "Set `nova_region` in the inventory (us-west-2; us-east-1 for DR), `region:` on the task, or "
                "`export AWS_DEFAULT_REGION=us-west-2`.",
            ],
        },
        "EndpointConnectionError": _ENDPOINT,
        "ConnectTimeoutError": _ENDPOINT,
        "ExpiredToken": _EXPIRED,
        "ExpiredTokenException": _EXPIRED,
        "InvalidClientTokenId": {
            "cause": "AWS does not know the access key ID: the key was deleted or rotated, is mistyped, belongs to "
            "another partition (China, GovCloud), or is a temporary (ASIA...) key sent without its session token.",
            "fix": [
                "See where the key comes from: `aws configure list`; stale AWS_* variables win over profiles "
                "(`env | grep ^AWS_`).",
                "For temporary keys also set AWS_SESSION_TOKEN; for long-term keys check "
                "`aws iam list-access-keys --user-name NAME` (from a working identity) and create a new key if needed.",
                _WHOAMI,
            ],
        },
        "SignatureDoesNotMatch": {
            "cause": "The request signature is wrong: the secret access key does not match the key ID (typo, "
            "trailing whitespace, rotated secret), or the local clock is off.",
            "fix": [
                "Re-enter the secret key (`aws configure`) or re-export AWS_SECRET_ACCESS_KEY without quotes or spaces.",
                _CLOCK,
                _WHOAMI,
            ],
        },
        "AuthFailure": {
            "cause": "EC2 could not validate the credentials: wrong or expired keys, a clock out of sync, or an "
            "account not (yet) allowed to use EC2 in this region.",
            "fix": [
                _WHOAMI,
                _CLOCK,
                "If credentials are fine, check the account: a new or suspended account, or a region that is not "
                "enabled (`aws account list-regions --region-opt-status-contains ENABLED ENABLED_BY_DEFAULT`).",
            ],
        },
        "RequestExpired": {
            "cause": "The request reached EC2 too long after the time stamp it was signed with: the local clock "
            "is off, or a request was held back too long.",
            "fix": [_CLOCK, "Re-run the playbook once the clock is synced."],
        },
        "RequestTimeTooSkewed": {
            "cause": "S3 refused the request: the difference between the local clock and the S3 server time is too large.",
            "fix": [_CLOCK, "Re-run the playbook once the clock is synced."],
        },
        "OptInRequired": {
            "cause": "The account is not subscribed to the service or the region is an opt-in region that is not enabled.",
            "fix": [
                "Enable the region: `aws account enable-region --region-name REGION` (or use us-west-2 / us-east-1, "
                "enabled by default).",
                "New accounts: wait for account activation to complete and check the e-mail of the root user.",
            ],
        },
    },
    "Authorisation": {
        "AccessDenied": _ACCESS_DENIED,
        "AccessDeniedException": _ACCESS_DENIED,
        "AuthorizationError": _ACCESS_DENIED,
        "UnauthorizedOperation": {
            "cause": "The IAM identity is not allowed to perform this EC2 action (identity policy, permissions "
            "boundary or an organisation SCP).",
            "fix": [
                "Decode the message to see the action, resource and condition that failed: "
                "`aws sts decode-authorization-message --encoded-message ENCODED --query DecodedMessage --output text` "
                "(needs sts:DecodeAuthorizationMessage).",
                "Add the missing ec2:* action to the identity's policy: the per-playbook least-privilege policies "
                "are in docs/iam/.",
                _WHOAMI,
            ],
        },
    },
    "Throttling and AWS-side errors": {
        "RequestLimitExceeded": _THROTTLED,
        "Throttling": _THROTTLED,
        "ThrottlingException": _THROTTLED,
        "Throttled": _THROTTLED,
        "TooManyRequestsException": _THROTTLED,
        "SlowDown": {
            "cause": "S3 asked to reduce the request rate (HTTP 503 SlowDown) for this bucket or prefix.",
            "fix": [
                _RETRIES,
                "Avoid running several playbooks that write to the same bucket at the same time.",
            ],
        },
        "InternalError": _SERVER_ERROR,
        "InternalFailure": _SERVER_ERROR,
        "ServiceUnavailable": _SERVER_ERROR,
        "Unavailable": _SERVER_ERROR,
        "IdempotentParameterMismatch": {
            "cause": "A client token was reused for a request with different parameters: AWS ties a client token to "
            "the first request made with it, so a retry after changed inputs is refused instead of creating a duplicate.",
            "fix": [
                "Find what the first request created (by its Name tag, e.g. `aws ec2 describe-nat-gateways --filter "
                "Name=tag:Name,Values=nova-production-nat-*`) and delete it if it is not what you want now.",
                "Re-run the playbook. If it fails again with unchanged inputs, report it as a nova.infra bug: the "
                "module should derive a new token when the parameters change.",
            ],
        },
    },
    "VPC, subnets, availability zones": {
        "InvalidVpc.Range": {
            "cause": "The VPC CIDR block is not accepted: the prefix must be between /16 and /28 (and the block must "
            "be a valid network address). AWS does not reject a block that overlaps another VPC; overlap only "
            "breaks peering, VPN and transit gateway routing.",
            "fix": [
                "Set `network_vpc_cidr` to a /16 to /28 RFC 1918 block, e.g. 10.0.0.0/16; the network role checks it "
                "with nova.infra.cidr_validate before creating anything.",
                "To pick a block no other VPC uses: "
                "`aws ec2 describe-vpcs --query 'Vpcs[*].[VpcId,CidrBlock]' --output table`.",
            ],
        },
        "InvalidSubnet.Range": {
            "cause": "The subnet CIDR block is not inside the VPC's CIDR block, or its prefix is not between /16 and /28.",
            "fix": [
                "Keep `network_public_subnet_cidrs` and `network_private_subnet_cidrs` inside `network_vpc_cidr` "
                "(e.g. 10.0.0.0/24 and 10.0.1.0/24 public, 10.0.2.0/24 and 10.0.3.0/24 private), or leave both empty "
                "so the subnets are planned from the VPC block.",
                "Check the VPC's blocks: "
                "`aws ec2 describe-vpcs --vpc-ids VPC_ID --query 'Vpcs[].CidrBlockAssociationSet[].CidrBlock'`.",
            ],
        },
        "InvalidSubnet.Conflict": {
            "cause": "The subnet CIDR block overlaps a subnet that already exists in the VPC, often one left by an "
            "earlier run with different subnet CIDRs.",
            "fix": [
                "List the VPC's subnets: `aws ec2 describe-subnets --filters Name=vpc-id,Values=VPC_ID "
                "--query 'Subnets[*].[SubnetId,CidrBlock,AvailabilityZone]' --output table`.",
                "Choose free blocks, or delete the stale subnet (`aws ec2 delete-subnet --subnet-id SUBNET_ID`, after "
                "removing what runs in it) and re-run.",
            ],
        },
        "VpcLimitExceeded": {
            "cause": "The account has reached its quota of VPCs in this region ('VPCs per Region', quota "
            "L-F678F1CE, service code vpc, default 5; the default VPC counts).",
            "fix": [
                "Count them: `aws ec2 describe-vpcs --query 'Vpcs[*].[VpcId,CidrBlock,IsDefault]' "
                "--output table`, and tear down stacks nobody uses (`ansible-playbook site.yml -e network_state=absent` "
                "with their nova_name_prefix).",
                _QUOTA_INCREASE.format(service="vpc", quota="L-F678F1CE"),
            ],
        },
        "InvalidParameterValue": {
            "cause": "A parameter value is not valid for this call; the message names it. In this stack it is most "
            "often an availability zone the region or account does not offer ('Value (us-west-2d) for parameter "
            "availabilityZone is invalid').",
            "fix": [
                "Pick AZs from `aws ec2 describe-availability-zones --region us-west-2 --filters "
                "Name=state,Values=available --query 'AvailabilityZones[].ZoneName'`; AZ names differ per account, "
                "so leave `network_azs` empty to use the first available ones.",
                "Otherwise compare the value named in the message with the role defaults and the module documentation "
                "(`ansible-doc MODULE`).",
            ],
        },
        "Unsupported": {
            "cause": "The request is valid but not supported here: typically the instance type is not offered in the "
            "chosen availability zone, or the zone is constrained.",
            "fix": [
                "Pick AZs from `aws ec2 describe-availability-zones --filters Name=state,Values=available`.",
                "Check where the type is offered: `aws ec2 describe-instance-type-offerings --location-type "
                "availability-zone --filters Name=instance-type,Values=t3.micro --region us-west-2`; change "
                "`network_azs` or `bastion_instance_type` accordingly.",
            ],
        },
        "InvalidParameterCombination": {
            "cause": "Parameters that cannot be used together, or one that needs another, were sent; the message names "
            "them (e.g. security groups given both on the instance and on its network interface in a launch template).",
            "fix": [
                "Read the message for the two parameters, then fix the task or launch template so only one of them is set.",
                "Compare with the module documentation (`ansible-doc MODULE`) and the role defaults.",
            ],
        },
        "InsufficientFreeAddressesInSubnet": {
            "cause": "The subnet has no free private IP address left for the instance: every address of its CIDR block "
            "(minus the five AWS reserves) is held by an instance, network interface, NAT gateway or endpoint. An Auto "
            "Scaling group reports it as 'There are not enough free addresses in subnet ...' and tries its other subnets.",
            "fix": [
                "See what is left: `aws ec2 describe-subnets --subnet-ids SUBNET_ID "
                "--query 'Subnets[].[SubnetId,CidrBlock,AvailableIpAddressCount]'`.",
                "Find what holds the addresses: `aws ec2 describe-network-interfaces "
                "--filters Name=subnet-id,Values=SUBNET_ID "
                "--query 'NetworkInterfaces[*].[NetworkInterfaceId,InterfaceType,Description,Status]' --output table`; "
                "delete the stray interfaces (status available) or the resources nobody uses.",
                "Or give the subnets larger blocks (`network_subnet_prefix`, e.g. 24) and rebuild them.",
            ],
        },
        "InvalidVpcID.NotFound": {
            "cause": "The VPC ID does not exist in this region: deleted, from another region or account, or just "
            "created and not yet visible (EC2 is eventually consistent).",
            "fix": [
                "Look the VPC up by tag: `aws ec2 describe-vpcs --filters Name=tag:Name,Values=nova-production-vpc`.",
                "Check the region of the task; re-run if the VPC was created seconds ago.",
            ],
        },
        "InvalidSubnetID.NotFound": {
            "cause": "The subnet ID does not exist in this region: deleted, from another region, or just created.",
            "fix": [
                "Look subnets up by tag: `aws ec2 describe-subnets --filters Name=tag:Name,Values=nova-production-*`.",
                "Re-run the network role so dependent resources pick up the current subnet IDs.",
            ],
        },
        "DependencyViolation": {
            "cause": "The resource is still used by another one, so AWS refuses to delete or detach it. Teardown must "
            "go in reverse order: instances / Auto Scaling group, NAT gateways (their network interfaces take a few "
            "minutes to go), Elastic IPs, internet gateway, subnets, route tables, security groups, VPC.",
            "fix": [
                "Find what still holds the VPC: `aws ec2 describe-network-interfaces --filters Name=vpc-id,Values=VPC_ID "
                "--query 'NetworkInterfaces[*].[NetworkInterfaceId,InterfaceType,Description,Status]' --output table`.",
                "Internet gateway ('has some mapped public address(es)'): delete the NAT gateways and disassociate or "
                "release the Elastic IPs first.",
                "Security group: another group's rule references it (nova-production-private-sg references the bastion "
                "group) or an interface still uses it: `aws ec2 describe-security-groups --filters "
                "Name=ip-permission.group-id,Values=SG_ID` and `aws ec2 describe-network-interfaces --filters "
                "Name=group-id,Values=SG_ID`; delete the referencing group or interface first.",
                "Re-run the teardown (`ansible-playbook site.yml -e network_state=absent`): it deletes in dependency "
                "order and waits for NAT gateways to be deleted.",
            ],
        },
    },
    "Elastic IPs and NAT gateways": {
        "AddressLimitExceeded": {
            "cause": "The account has reached its Elastic IP quota in this region ('EC2-VPC Elastic IPs', quota "
            "L-0263D0A3, service code ec2, default 5). This stack needs one per NAT gateway (one per AZ).",
            "fix": [
                "Find unassociated addresses: `aws ec2 describe-addresses --query "
                "'Addresses[?AssociationId==null].[PublicIp,AllocationId]' --output table`.",
                "Release the ones nobody needs: `aws ec2 release-address --allocation-id eipalloc-...` (a released "
                "address is gone for good).",
                _QUOTA_INCREASE.format(service="ec2", quota="L-0263D0A3"),
            ],
        },
        "InvalidAllocationID.NotFound": {
            "cause": "The Elastic IP allocation ID does not exist in this region: released by hand, from another region, "
            "or allocated seconds ago and not yet visible.",
            "fix": [
                "Look the addresses up by tag: `aws ec2 describe-addresses --filters "
                "Name=tag:Name,Values=nova-production-nat-eip-*`.",
                "Re-run the network role: it finds or allocates each NAT EIP by its Name tag.",
            ],
        },
        "NatGatewayLimitExceeded": {
            "cause": "The availability zone has reached the NAT gateway quota ('NAT gateways per Availability Zone', "
            "quota L-FE5A380F, service code vpc, default 5); gateways in pending, available and deleting state count.",
            "fix": [
                "List them: `aws ec2 describe-nat-gateways --filter Name=state,Values=pending,available,deleting "
                "--query 'NatGateways[*].[NatGatewayId,State,SubnetId,VpcId]' --output table`.",
                "Delete unused gateways and wait until they are deleted, then re-run.",
                _QUOTA_INCREASE.format(service="vpc", quota="L-FE5A380F"),
            ],
        },
    },
    "Security groups and key pairs": {
        "InvalidGroup.Duplicate": {
            "cause": "A security group with this name already exists in the VPC (group names are unique per VPC), "
            "e.g. left by an earlier run or created by hand.",
            "fix": [
                "Find it: `aws ec2 describe-security-groups --filters Name=vpc-id,Values=VPC_ID "
                "Name=group-name,Values=nova-production-* --query 'SecurityGroups[*].[GroupId,GroupName]' --output table`.",
                "Let the role adopt it (amazon.aws.ec2_security_group matches by name and VPC) or delete the stray "
                "group (`aws ec2 delete-security-group --group-id SG_ID`) and re-run.",
            ],
        },
        "InvalidPermission.Duplicate": {
            "cause": "The security group rule already exists: the same protocol, ports and source are authorised twice, "
            "usually by a rule added outside Ansible.",
            "fix": [
                "List the rules: `aws ec2 describe-security-group-rules --filters Name=group-id,Values=SG_ID`.",
                "Revoke the duplicate, e.g. `aws ec2 revoke-security-group-ingress --group-id SG_ID --protocol tcp "
                "--port 22 --cidr 203.0.113.0/24`, then re-run; manage the rules only through the bastion role.",
            ],
        },
        "InvalidGroup.NotFound": {
            "cause": "The security group does not exist in this VPC and region: deleted, from another VPC, or created "
            "seconds ago.",
            "fix": [
                "Look it up: `aws ec2 describe-security-groups --filters Name=group-name,Values=nova-production-*`.",
                "Re-run the bastion role, which creates both groups before anything references them.",
            ],
        },
        "InvalidKeyPair.NotFound": {
            "cause": "The EC2 key pair does not exist in this region (key pairs are regional), e.g. "
            "nova-production-bastion-key was never imported or was deleted.",
            "fix": [
                "Run the bastion role: it imports the key pair itself (from `bastion_public_key_path`, or a key it "
                "generates once in .secrets/).",
                "Or import one by hand: `ssh-keygen -t ed25519 -f ~/.ssh/nova-production-bastion-key` then "
                "`aws ec2 import-key-pair --region us-west-2 --key-name nova-production-bastion-key "
                "--public-key-material fileb://~/.ssh/nova-production-bastion-key.pub`.",
                "Check: `aws ec2 describe-key-pairs --region us-west-2 --key-names nova-production-bastion-key`.",
            ],
        },
        "InvalidKeyPair.Duplicate": {
            "cause": "A key pair with this name already exists in the region.",
            "fix": [
                "Keep it (the bastion role adopts an existing key pair; the pre-flight checks that it holds the public key "
                "of `bastion_public_key_path` or `.secrets/`), or replace it with yours: `bastion_rotate_key: true`.",
                "Or delete it first: `aws ec2 delete-key-pair --key-name nova-production-bastion-key`.",
            ],
        },
    },
    "Instances": {
        "InvalidAMIID.NotFound": {
            "cause": "The AMI ID does not exist in this region (AMIs are regional) or has been deregistered.",
            "fix": [
                "Leave `bastion_ami_id` empty: the newest Amazon Linux 2023 image is then resolved in the target region.",
                "Or look one up: `aws ssm get-parameter --region us-west-2 --name "
                "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64 "
                "--query Parameter.Value --output text`.",
            ],
        },
        "InsufficientInstanceCapacity": {
            "cause": "AWS has not enough on-demand capacity for this instance type in this availability zone right now. "
            "Nothing is wrong with the request.",
            "fix": [
                "Retry later; the Auto Scaling group keeps trying and spreads over both public subnets.",
                "Use another type (`bastion_instance_type`, e.g. t3a.micro) or let the request go to another AZ.",
            ],
        },
        "VcpuLimitExceeded": {
            "cause": "Launching would exceed the account's vCPU quota for on-demand instances ('Running On-Demand "
            "Standard (A, C, D, H, I, M, R, T, Z) instances', quota L-1216C47A, service code ec2).",
            "fix": [
                "Stop or terminate unused instances: `aws ec2 describe-instances --filters "
                "Name=instance-state-name,Values=running --query 'Reservations[].Instances[].[InstanceId,InstanceType]'`.",
                _QUOTA_INCREASE.format(service="ec2", quota="L-1216C47A"),
            ],
        },
        "InvalidInstanceID.NotFound": {
            "cause": "The instance ID does not exist in this region: terminated and gone, replaced by the Auto Scaling "
            "group, from another region, or launched seconds ago and not yet visible.",
            "fix": [
                "Find the bastion by tag, not by a saved ID: `aws ec2 describe-instances --filters "
                "Name=tag:Name,Values=nova-production-bastion Name=instance-state-name,Values=pending,running "
                "--query 'Reservations[].Instances[].InstanceId'`.",
                "Re-run: if the instance was just launched, it is visible a few seconds later.",
            ],
        },
    },
    "Auto Scaling, CloudWatch, IAM": {
        "ValidationError": {
            "cause": "Auto Scaling, CloudWatch, IAM or STS rejected the input; the message says which field "
            "(e.g. desired capacity outside min..max, a launch template that does not exist, an alarm period that "
            "is not 10, 20, 30 or a multiple of 60).",
            "fix": [
                "Read the message; keep "
                "`bastion_asg_min_size` <= `bastion_asg_desired_capacity` <= `bastion_asg_max_size`.",
                "Check the launch template exists: `aws ec2 describe-launch-templates --launch-template-names "
                "nova-production-bastion-lt`.",
                "Alarms: period 10, 20, 30 or any multiple of 60 seconds; dimensions NatGatewayId / "
                "AutoScalingGroupName must name existing resources.",
            ],
        },
        "LimitExceeded": {
            "cause": "A quota of Auto Scaling (groups or launch configurations per region), IAM (roles, policies, "
            "policy size, 10 managed policies per role) or CloudWatch was reached; the message names it.",
            "fix": [
                "Auto Scaling: `aws service-quotas list-service-quotas --service-code autoscaling` and "
                "`aws autoscaling describe-account-limits`; delete unused groups.",
                "IAM: `aws iam get-account-summary`; delete unused roles and policies, or merge inline policies.",
                "Request an increase with `aws service-quotas request-service-quota-increase` for adjustable quotas.",
            ],
        },
        "AlreadyExists": {
            "cause": "An Auto Scaling group or launch configuration with this name already exists.",
            "fix": [
                "Let the bastion role adopt it (it matches nova-production-bastion-asg by name), or delete the stray one: "
                "`aws autoscaling delete-auto-scaling-group --auto-scaling-group-name NAME --force-delete`.",
            ],
        },
        "ResourceInUse": {
            "cause": "The Auto Scaling group or launch configuration is still in use (instances or a scaling activity "
            "in the group, or a group using the launch configuration).",
            "fix": [
                "Delete the group with its instances (the bastion role's absent state does so), or scale it to 0 first: "
                "`aws autoscaling update-auto-scaling-group --auto-scaling-group-name NAME "
                "--min-size 0 --desired-capacity 0`.",
            ],
        },
        "ScalingActivityInProgress": {
            "cause": "The Auto Scaling group cannot be changed or deleted while a scaling activity runs.",
            "fix": [
                "Wait for it: `aws autoscaling describe-scaling-activities --auto-scaling-group-name NAME --max-items 5`, "
                "then re-run.",
            ],
        },
        "EntityAlreadyExists": {
            "cause": "An IAM role, policy or instance profile with this name already exists in the account "
            "(IAM names are global to the account, not regional).",
            "fix": [
                "Adopt it by running the role that manages it, or inspect it: `aws iam get-role --role-name "
                "nova-production-s3-replication`.",
            ],
        },
        "NoSuchEntity": {
            "cause": "The IAM role, policy, user or instance profile does not exist (e.g. the replication role "
            "nova-production-s3-replication was not created yet or was deleted).",
            "fix": [
                "Check: `aws iam get-role --role-name nova-production-s3-replication`; run the storage playbook, which "
                "creates the role before configuring replication.",
            ],
        },
        "MalformedPolicyDocument": {
            "cause": "IAM rejected a policy document: invalid JSON or grammar, an unknown action, or a principal that "
            "does not exist.",
            "fix": [
                "Validate it: `aws accessanalyzer validate-policy --policy-type IDENTITY_POLICY --policy-document "
                "file://policy.json` (RESOURCE_POLICY for trust policies).",
            ],
        },
    },
    "S3": {
        "BucketAlreadyExists": {
            "cause": "The bucket name is taken by another AWS account: bucket names are global across all accounts.",
            "fix": [
                "Bucket names here embed the account ID and region (nova-production-app-logs-ACCOUNT-REGION); check "
                "the account with `aws sts get-caller-identity` and the name the task used.",
                "If the name is really taken, change `nova_name_prefix`.",
            ],
        },
        "BucketAlreadyOwnedByYou": {
            "cause": "Your account already owns this bucket (CreateBucket was repeated, or the bucket exists in "
            "another region; us-east-1 answers a repeated create with success instead).",
            "fix": [
                "Treat it as existing: `aws s3api get-bucket-location --bucket NAME` shows its region.",
                "If it is in the wrong region, empty and delete it, then create it in the right one (a deleted name "
                "may take a while to become available again).",
            ],
        },
        "NoSuchBucket": {
            "cause": "The bucket does not exist: not created yet (e.g. the us-east-1 replica before replication is "
            "configured, or the log bucket before the flow log), deleted, or a name with the wrong account ID / region.",
            "fix": [
                "List them: `aws s3api list-buckets --query \"Buckets[?starts_with(Name, 'nova-production')].Name\"`.",
                "Run the storage playbook first: it creates the replica buckets in us-east-1 before the replication "
                "rules that point at them.",
            ],
        },
        "BucketNotEmpty": {
            "cause": "A bucket must be empty to be deleted; with versioning, old object versions and delete markers count.",
            "fix": [
                "List what is left: `aws s3api list-object-versions --bucket NAME --max-items 20`.",
                "Delete all versions and delete markers (or let an expiry lifecycle rule do it), then re-run the teardown.",
            ],
        },
        "InvalidRequest": {
            "cause": "S3 refused a request that is well-formed but not allowed in the bucket's state; in this stack "
            "usually replication configured while versioning is off on the source or the destination bucket. "
            "(EC2 also uses this code for requests that are invalid as a whole; the message says why.)",
            "fix": [
                "Check both buckets: `aws s3api get-bucket-versioning --bucket NAME` must say Enabled.",
                "Enable it: `aws s3api put-bucket-versioning --bucket NAME --versioning-configuration Status=Enabled`, "
                "then re-run (the storage playbook enables versioning before replication).",
            ],
        },
        "MalformedPolicy": {
            "cause": "S3 rejected the bucket policy: invalid JSON, a Resource that is not this bucket "
            "('Policy has invalid resource'), or a Principal that does not exist (e.g. a deleted or just-created "
            "IAM role).",
            "fix": [
                "Resources must be arn:aws:s3:::BUCKET and arn:aws:s3:::BUCKET/* of this very bucket.",
                "Validate: `aws accessanalyzer validate-policy --policy-type RESOURCE_POLICY "
                "--validate-policy-resource-type AWS::S3::Bucket --policy-document file://policy.json`.",
                "If a principal role was just created, re-run a few seconds later (IAM is eventually consistent).",
            ],
        },
        "IllegalLocationConstraintException": {
            "cause": "The bucket's LocationConstraint does not match the region the CreateBucket request was sent to "
            "(e.g. the us-east-1 replica created through a us-west-2 client).",
            "fix": [
                "Create each bucket with `region:` set to its own region: `nova_dr_region` (us-east-1) for the replicas, "
                "`nova_region` for the sources.",
                "Check where a bucket lives: `aws s3api get-bucket-location --bucket NAME`.",
            ],
        },
        "ReplicationConfigurationNotFoundError": {
            "cause": "The bucket has no replication configuration (GetBucketReplication found none).",
            "fix": [
                "Check: `aws s3api get-bucket-replication --bucket nova-production-app-logs-ACCOUNT-us-west-2`.",
                "Run the storage playbook to configure replication; the role nova-production-s3-replication and "
                "versioning on both buckets must exist first.",
            ],
        },
        "OperationAborted": {
            "cause": "A conflicting operation is in progress on this bucket (e.g. it is being deleted or created "
            "elsewhere, or its name was just freed).",
            "fix": ["Wait a few minutes and re-run; do not run two playbooks on the same bucket at once."],
        },
    },
    "Run lock: one run per account and region": {
        "RunLockHeld": {
            "cause": "Another run of site.yml, teardown.yml or dr-failover.yml holds the run lock of this account and "
            "region (nova.infra.run_lock, an item of the DynamoDB table nova-infra-locks): two runs at once would "
            "interleave their reads and writes. The message names the holder: playbook, user, host, start time, "
            "run id and expiry. This run stopped before its first write.",
            "fix": [
                "Let the other run finish, then run again; or wait for it: `-e nova_lock_wait=600` (seconds).",
                "If the holder is dead (killed, its AWX job or CI runner lost), its lock expires by itself "
                "(`nova_lock_ttl`, default 3600 s) and the next run takes it over. To go on before then, break it: "
                "`ansible-playbook site.yml -e nova_break_lock=true` (the same for teardown.yml, dr-failover.yml), or "
                "`ansible localhost -m nova.infra.run_lock -a 'name=nova.infra state=broken region=REGION'`.",
                "Check the holder is really gone before breaking its lock (the AWX job list, `ps` on its host): "
                "breaking the lock of a live run lets two runs write at once.",
                "See the locks and their holders: `aws dynamodb scan --table-name nova-infra-locks --region REGION`.",
            ],
        },
    },
}
CATALOGUE = {code: entry for section in SECTIONS.values() for code, entry in section.items()}


def _anchor(code: str) -> str:
    """The anchor GitHub and MkDocs give the heading of ``code``."""
    return re.sub(r"[^a-z0-9-]", "", code.lower())


def reference_markdown() -> str:
    """docs/troubleshooting.md from its "## Contents" on: every code's cause and fix, by section. A code sharing
    an earlier code's entry points to it. `make troubleshooting-doc` writes it; a unit test fails when they differ."""
    lines = ["## Contents", ""]
    for heading, codes in SECTIONS.items():
        lines.append(f"- **{heading}**: " + ", ".join(f"[`{code}`](#{_anchor(code)})" for code in codes))
    first_of = {}
    for heading, codes in SECTIONS.items():
        lines += ["", f"## {heading}"]
        for code, entry in codes.items():
            lines += ["", f"### `{code}`", ""]
            if id(entry) in first_of:
                lines.append(f"Same cause and fix as [`{first_of[id(entry)]}`](#{_anchor(first_of[id(entry)])}).")
                continue
            first_of[id(entry)] = code
            lines += [f"**Cause.** {entry['cause']}", "", "**Fix.**", ""]
            lines += [f"{number}. {step}" for number, step in enumerate(entry["fix"], 1)]
    return "\n".join(lines) + "\n"


def write_reference(path: str) -> bool:
    """Rewrite the generated part of the troubleshooting page at ``path``; True when it changed."""
    with open(path, encoding="utf-8") as handle:
        page = handle.read()
    head = page[: page.index("\n## Contents\n") + 1]
    updated = head + reference_markdown()
    if updated != page:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(updated)
    return updated != page


FALLBACK = {
    "cause": "AWS refused the request.",
    "fix": [
        "Read the AWS message above; `aws sts get-caller-identity` and the region settings are the usual suspects.",
    ],
}

# Failures without an AWS response are known by their message only (amazon.aws puts it in msg).
# A ClientError's text names its code, which also finds codes in modules that do not return `error`.
MESSAGE_PATTERNS = (
    (re.compile(r"An error occurred \(([A-Za-z0-9_.:-]+)\) when calling"), None),
    (re.compile(r"Unable to locate credentials"), "NoCredentialsError"),
    (re.compile(r"Partial credentials found"), "PartialCredentialsError"),
    (re.compile(r"The config profile \(.*\) could not be found"), "ProfileNotFound"),
    (re.compile(r"requires a region and none was found|You must specify a region"), "NoRegionError"),
    (re.compile(r"Could not connect to the endpoint URL"), "EndpointConnectionError"),
    (re.compile(r"Connect timeout on endpoint URL"), "ConnectTimeoutError"),
    (
        re.compile(
            r"Failed to import the required Python library \((?:botocore|boto3)"
            r"|No module named '(?:boto3|botocore)'"
        ),
        "ModuleNotFoundError",
    ),
)


def explain(code):
    """Guidance for an AWS error code: {'code', 'cause', 'fix': [...], 'known': bool}."""
    entry = CATALOGUE.get(code)
    guidance = dict(code=code, known=entry is not None, **(entry or FALLBACK))
    # Callers get their own list: entries are shared between codes and with every later call.
    guidance["fix"] = list(guidance["fix"])
    return guidance


def error_code(exception):
    """The AWS error code of a botocore ClientError, or None."""
    response = getattr(exception, "response", None) or {}
    return response.get("Error", {}).get("Code")


def exception_code(exception):
    """error_code(), or for a botocore / import error without an AWS response its catalogued class name."""
    code = error_code(exception)
    if code:
        return code
    # Walk the class hierarchy: botocore subclasses (ConnectTimeoutError < EndpointConnectionError) keep guidance.
    for cls in type(exception).__mro__:
        if cls.__name__ in CATALOGUE:
            return cls.__name__
    return None


def fail_aws(module, exception, msg):
    """fail_json_aws with the catalogue's guidance added as `troubleshooting` (code, cause, fix)."""
    code = exception_code(exception)
    extra = {"troubleshooting": explain(code)} if code else {}
    module.fail_json_aws(exception, msg=msg, **extra)


def fail_aws_error(module, error, msg=None):
    """fail_aws for amazon.aws's AnsibleAWSError, which the collection's call layer (module_utils/aws_calls.py)
    raises with the botocore exception inside and what it was doing as its message ("Failed to ...")."""
    if error.exception is None:
        module.fail_json(msg=f"{msg}: {error.message}" if msg else error.message)
    fail_aws(module, error.exception, f"{msg} ({error.message})" if msg else error.message)


@contextlib.contextmanager
def aws_failures(module, msg=None):
    """Where a module's main() runs its work: an AWS error of the call layer (AnsibleAWSError) or of a call made
    outside it (a waiter, botocore itself) becomes fail_json with the troubleshooting guidance, in one place."""
    # Imported here: the troubleshoot callback loads this file on the controller, where botocore is not needed.
    import botocore.exceptions

    try:
        yield
    except AnsibleAWSError as error:
        fail_aws_error(module, error, msg)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        fail_aws(module, e, msg or "The AWS call failed")


def code_from_message(text):
    """The error code named by a failure message, or None."""
    if not isinstance(text, str):
        return None
    for pattern, code in MESSAGE_PATTERNS:
        match = pattern.search(text)
        if match:
            return code or match.group(1)
    return None


# An Auto Scaling group launches instances on its own, so a failed launch is no API error but a scaling activity
# whose StatusMessage holds the EC2 error. Groups with a launch template name the code ("Could not launch
# On-Demand Instances. Unsupported - Your requested instance type ... Launching EC2 instance failed."); launch
# configurations and older activities give the EC2 message alone, known here by its wording.
ACTIVITY_CODE = re.compile(
    r"Could not launch (?:On-Demand|Spot) Instances\. ([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)*) - "
)
ACTIVITY_MESSAGES = (
    (re.compile(r"The key pair '[^']*' does not exist"), "InvalidKeyPair.NotFound"),
    (re.compile(r"The image id '[^']*' does not exist"), "InvalidAMIID.NotFound"),
    (re.compile(r"The security group '[^']*' does not exist"), "InvalidGroup.NotFound"),
    (re.compile(r"We currently do not have sufficient \S+ capacity"), "InsufficientInstanceCapacity"),
    (
        re.compile(
            r"is not supported in your requested Availability Zone"
            r"|The requested configuration is currently not supported"
        ),
        "Unsupported",
    ),
    (re.compile(r"You have requested more vCPU capacity than your current vCPU limit"), "VcpuLimitExceeded"),
    (re.compile(r"There are not enough free addresses in subnet"), "InsufficientFreeAddressesInSubnet"),
)
# Launch errors confined to one availability zone: the group tries its other zones by itself.
ZONAL_LAUNCH_ERRORS = frozenset({"InsufficientInstanceCapacity", "Unsupported", "InsufficientFreeAddressesInSubnet"})


def code_from_activity(status_message):
    """The EC2 error code of a failed scaling activity's StatusMessage, or None."""
    if not isinstance(status_message, str):
        return None
    match = ACTIVITY_CODE.search(status_message)
    if match:
        return match.group(1)
    for pattern, code in ACTIVITY_MESSAGES:
        if pattern.search(status_message):
            return code
    return code_from_message(status_message)


def classify(result):
    """The error code of a failed Ansible task result, or None.

    Looks at `error.code` (amazon.aws fail_json_aws copies the botocore response there), then
    `troubleshooting.code` (fail_aws), then known messages in `msg` / `module_stderr`, then the
    loop results in `results`, in item order.
    """
    codes = classify_all(result)
    return codes[0] if codes else None


def classify_all(result):
    """Every distinct error code in a task result and its loop results, in order of appearance."""
    codes = []
    for item in _results(result):
        code = _own_code(item)
        if code and code not in codes:
            codes.append(code)
    return codes


def _results(result):
    if not isinstance(result, dict):
        return
    yield result
    for item in result.get("results") or []:
        # A loop's item results may be strings or skipped items; only dicts carry failures.
        if isinstance(item, dict):
            yield from _results(item)


def _own_code(result):
    for key in ("error", "troubleshooting"):
        section = result.get(key)
        if isinstance(section, dict) and isinstance(section.get("code"), str) and section["code"]:
            return section["code"]
    for key in ("msg", "module_stderr"):
        code = code_from_message(result.get(key))
        if code:
            return code
    return None
