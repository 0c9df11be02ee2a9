#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: s3_account_public_access_block
version_added: 0.1.0
short_description: Manage the account-level S3 Block Public Access settings
description:
  - Sets, or removes, the four S3 Block Public Access flags of a whole AWS account (S3 Control
    C(PutPublicAccessBlock), C(DeletePublicAccessBlock)), idempotently, and always returns the settings in place.
  - The account-level flags apply to every bucket and access point of the account, existing and future, on top of
    each bucket's own settings, so a bucket made public by mistake later (a policy, an ACL) stays private.
  - Mind that this is account-wide. Before turning the flags on in an account that serves public content from S3
    (a static website, public downloads), move that content behind CloudFront with origin access control, or it
    stops being reachable. Run with C(--check --diff) first.
  - S3 Control is called at C(<account>.<endpoint host>). With an O(endpoint_url) of the task's own (an emulator, a
    private endpoint) whose account host does not resolve and no proxy set for it (the O(aws_config) C(proxies), or
    the environment), for example an O(endpoint_url) that is an IP address, the task fails at once naming the host
    and how to reach it, instead of after ~30 s of connection retries.
  - An account whose permissions (for example an organization's service control policy) do not allow
    C(s3:PutAccountPublicAccessBlock) fails with the cause and fix, or with O(on_access_denied=warn) is reported
    as a warning and RV(access_denied) without failing.
author:
  - nova.infra engineers (!UNKNOWN)
options:
  account_id:
    description:
      - The 12-digit ID of the account.
      - When omitted, the account of the caller (C(sts:GetCallerIdentity)).
    type: str
  state:
    description:
      - V(present) sets the four flags to the values of the options below.
      - V(absent) deletes the account's configuration, which leaves every flag off. The flag options are then ignored.
    type: str
    choices: [present, absent]
    default: present
  block_public_acls:
    description:
      - Refuse requests that add a public ACL to a bucket or object of the account.
    type: bool
    default: true
  ignore_public_acls:
    description:
      - Ignore every public ACL on the account's buckets and objects.
    type: bool
    default: true
  block_public_policy:
    description:
      - Refuse bucket and access point policies that grant public access.
    type: bool
    default: true
  restrict_public_buckets:
    description:
      - Restrict access to buckets with a public policy to AWS services and the bucket owner's account.
    type: bool
    default: true
  on_access_denied:
    description:
      - What to do when the caller may not read or change the account's settings (C(AccessDenied)).
      - V(fail) fails the task with the missing permission and how to get it.
      - V(warn) leaves the account as it is, returns RV(access_denied=true) and a warning.
    type: str
    choices: [fail, warn]
    default: fail
notes:
  - Supports check mode and diff mode.
  - S3 Control puts the account ID in front of the endpoint's host name (V(123456789012.s3-control.us-west-2.amazonaws.com)).
    Against an endpoint reached by IP address (an emulator, a test proxy) that name does not resolve; route the
    request with O(aws_config), whose C(proxies) key names an HTTP proxy that reaches the endpoint (the nova.infra
    sandbox answers as one itself, so the sandbox inventory sets it to the sandbox's own address).
  - "IAM permissions: C(s3:GetAccountPublicAccessBlock), C(s3:PutAccountPublicAccessBlock) (also for
    O(state=absent)), and C(sts:GetCallerIdentity) when O(account_id) is omitted."
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# Note: These examples do not set authentication details, see the AWS Guide for details.
- name: Block public access to every bucket of the account
  nova.infra.s3_account_public_access_block:
    region: us-west-2

- name: Block public access where the account allows, warn where an SCP forbids it
  nova.infra.s3_account_public_access_block:
    region: us-west-2
    on_access_denied: warn
  register: account_bpa

- name: Keep public policies possible (an account that serves a public website), block everything else
  nova.infra.s3_account_public_access_block:
    region: us-west-2
    account_id: "123456789012"
    block_public_policy: false
    restrict_public_buckets: false

- name: Remove the account-level settings
  nova.infra.s3_account_public_access_block:
    region: us-west-2
    state: absent
"""

RETURN = r"""
account_id:
  description: The account whose settings were read or changed.
  type: str
  returned: always
  sample: "123456789012"
unresolved_host:
  description: The S3 Control host of the account that does not resolve, with no proxy set for it (the task failed).
  type: str
  returned: when S3 Control cannot be reached that way
  sample: "123456789012.127.0.0.1"
public_access_block:
  description:
    - The account's four flags after the task (in check mode, the flags that would be set). All V(false) when the
      account has no configuration. Empty when RV(access_denied).
  type: dict
  returned: always
  contains:
    block_public_acls:
      description: Whether new public ACLs are refused.
      type: bool
    ignore_public_acls:
      description: Whether public ACLs are ignored.
      type: bool
    block_public_policy:
      description: Whether public policies are refused.
      type: bool
    restrict_public_buckets:
      description: Whether buckets with public policies are restricted to the owner and AWS services.
      type: bool
  sample:
    block_public_acls: true
    ignore_public_acls: true
    block_public_policy: true
    restrict_public_buckets: true
access_denied:
  description: Whether the caller was denied reading or changing the settings (only with O(on_access_denied=warn)).
  type: bool
  returned: always
  sample: false
diff:
  description: The flags before and after, in the form of RV(public_access_block).
  type: dict
  returned: in diff mode (--diff), when the settings changed or would change
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.nova.infra.plugins.module_utils import aws_calls
from ansible_collections.nova.infra.plugins.module_utils.problems import format_problems
from ansible_collections.nova.infra.plugins.module_utils.problems import problem
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import aws_failures
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import error_code

# Ansible option name -> S3 Control field name, in the order AWS documents them.
FLAGS = {
    "block_public_acls": "BlockPublicAcls",
    "ignore_public_acls": "IgnorePublicAcls",
    "block_public_policy": "BlockPublicPolicy",
    "restrict_public_buckets": "RestrictPublicBuckets",
}
ALL_OFF = dict.fromkeys(FLAGS, False)
DENIED = ("AccessDenied", "AccessDeniedException")


def account_id_problems(account_id):
    if account_id is None or (len(account_id) == 12 and account_id.isdigit()):
        return []
    return [
        problem(
            "account_id",
            account_id,
            "is not a 12-digit AWS account ID",
            "give the ID as a quoted string of 12 digits (e.g. \"012345678901\"), or omit it for the caller's account",
        )
    ]


class AccountPublicAccessBlockManager:
    def __init__(self, module):
        self.module = module
        self.account_id = module.params["account_id"]
        self.client = aws_calls.connect(module, "s3control")
        self.current = dict(ALL_OFF)
        self.configured = False

    def allowed(self, action, call, *args):
        """call(*args); when AWS denies it: fail, or with on_access_denied=warn leave the account alone and say so."""
        try:
            return call(*args)
        except AnsibleAWSError as error:
            if error_code(error.exception) not in DENIED or self.module.params["on_access_denied"] == "fail":
                raise
        self.module.warn(
            f"Account-level S3 Block Public Access was not {'read' if action.startswith('read') else 'changed'}:"
            f" the caller may not {action} of account {self.account_id} (AccessDenied; an organization's service"
            " control policy or a missing s3:GetAccountPublicAccessBlock / s3:PutAccountPublicAccessBlock permission)."
            " Each bucket's own Block Public Access settings still apply."
        )
        self.module.exit_json(changed=False, account_id=self.account_id, public_access_block={}, access_denied=True)

    def resolve_account(self):
        if not self.account_id:
            self.account_id = aws_calls.get_caller_identity(aws_calls.connect(self.module, "sts"))["Account"]

    def refuse_unreachable(self):
        """Fail before any S3 Control call that can only fail: the account's host does not resolve, no proxy set."""
        host = aws_calls.unresolved_account_host(self.client, self.account_id, self.module.params.get("endpoint_url"))
        if host:
            self.module.fail_json(
                msg=f"S3 Control was not called: it is reached at <account>.<endpoint host>, and {host} does not"
                " resolve with no proxy set for it. Where endpoint_url is an IP address (an emulator such as the"
                " sandbox), give aws_config proxies that reach it (the storage role: storage_s3control_aws_config);"
                " otherwise check endpoint_url and this machine's DNS.",
                account_id=self.account_id,
                unresolved_host=host,
            )

    def read(self):
        config = self.allowed(
            "read the Block Public Access settings", aws_calls.get_account_public_access_block, self.client, self.account_id
        )
        if config is None:
            return
        self.current = {option: bool(config.get(field, False)) for option, field in FLAGS.items()}
        self.configured = True

    def exit(self, flags, changed=False):
        result = dict(changed=changed, account_id=self.account_id, public_access_block=flags, access_denied=False)
        if changed and self.module._diff:
            result["diff"] = dict(before=self.current, after=flags)
        self.module.exit_json(**result)

    def ensure_present(self):
        desired = {option: self.module.params[option] for option in FLAGS}
        # No configuration reads as all flags off, so asking for all off changes nothing.
        if desired == self.current:
            self.exit(self.current)
        if not self.module.check_mode:
            self.allowed(
                "change the Block Public Access settings",
                aws_calls.put_account_public_access_block,
                self.client,
                self.account_id,
                {field: desired[option] for option, field in FLAGS.items()},
            )
        self.exit(desired, changed=True)

    def ensure_absent(self):
        if not self.configured:
            self.exit(self.current)
        if not self.module.check_mode:
            self.allowed(
                "remove the Block Public Access settings",
                aws_calls.delete_account_public_access_block,
                self.client,
                self.account_id,
            )
        self.exit(dict(ALL_OFF), changed=True)


def main():
    argument_spec = dict(
        account_id=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        on_access_denied=dict(type="str", choices=["fail", "warn"], default="fail"),
        **{option: dict(type="bool", default=True) for option in FLAGS},
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    problems = account_id_problems(module.params["account_id"])
    if problems:
        module.fail_json(msg=format_problems(problems, "account Block Public Access", "changed"), problems=problems)
    manager = AccountPublicAccessBlockManager(module)
    with aws_failures(module):
        manager.resolve_account()
        manager.refuse_unreachable()
        manager.read()
        if module.params["state"] == "absent":
            manager.ensure_absent()
        manager.ensure_present()


if __name__ == "__main__":
    main()
