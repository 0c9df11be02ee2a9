#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: run_lock
version_added: 0.1.0
short_description: Take, release or break the run lock of an account and region
description:
  - One run at a time per account and region. A run takes the lock before its first write and releases it at its
    end; a second run meanwhile is refused, naming the holder (playbook, user, host, start time, run id, expiry),
    or waits up to O(wait_timeout) seconds for it.
  - "The lock is an item of a DynamoDB table in the region (O(table), created on demand on the first use:
    on-demand billing, one item per lock, no cost while idle). DynamoDB rather than an SSM parameter because every
    step is one atomic conditional request: taking the lock (C(PutItem) on condition that there is no lock, or
    that it has expired, or that it is this run's own), releasing it (C(DeleteItem) on condition that it is this
    run's), and taking over an expired lock, where of two runs that find it expired at once exactly one succeeds
    (the second one's condition fails against the first one's new item). An SSM parameter can be created
    atomically (C(PutParameter) without overwrite), but neither deleted nor overwritten on a condition, so
    releasing it or taking over an expired one could remove a lock another run has just taken."
  - A lock expires O(ttl) seconds after it was taken. A run killed without releasing it (SIGKILL, a lost CI
    runner) leaves it behind; once expired it is stale, and the next run takes it over and says so
    (RV(taken_over)). Before then, O(state=broken) removes it.
  - Expiry is compared with the clock of the machine taking the lock; keep clocks in sync (AWS refuses signed
    requests from a clock more than a few minutes off anyway).
  - Taking the lock again with this run's O(run_id) renews its expiry (a heartbeat); that is not counted as a
    change.
author:
  - nova.infra engineers (!UNKNOWN)
options:
  name:
    description:
      - The lock's name; one lock per name in O(table), so runs using the same name exclude each other.
      - "Letters, digits and C(. _ - : /), up to 200 characters."
    type: str
    required: true
  state:
    description:
      - V(acquired) takes the lock (or renews this run's, O(run_id)); fails naming the holder when another run
        holds it and it does not come free within O(wait_timeout).
      - V(released) removes the lock only when this run (O(run_id)) holds it; a lock another run holds now (this
        run's expired and was taken over, or was broken) is left in place with a warning.
      - V(broken) removes the lock whoever holds it (with O(run_id), only that run's), for a lock left by a run
        known to be dead that has not yet expired. Breaking the lock of a live run lets a second run write at
        the same time, so check the holder (RV(lock)) first.
    type: str
    choices: [acquired, released, broken]
    default: acquired
  table:
    description:
      - The DynamoDB table holding the locks, in the module's region.
      - 3 to 255 letters, digits and C(_ . -).
    type: str
    default: nova-infra-locks
  create_table:
    description:
      - Create O(table) when it does not exist (on-demand billing, string key C(lock)) and wait until it is active.
      - With V(false) a missing table fails O(state=acquired).
    type: bool
    default: true
  ttl:
    description:
      - Seconds the lock is held from when it is taken; after that it is stale and the next run takes it over.
      - Longer than the longest run (a run that outlives its lock no longer excludes others), shorter than you want
        to wait after a killed run. From 1 to 604800 (7 days).
    type: int
    default: 3600
  wait_timeout:
    description:
      - Seconds to wait for a lock another run holds to be released or to expire, asking every 2 seconds.
      - V(0) refuses at once. Up to 86400.
    type: int
    default: 0
  run_id:
    description:
      - This run's ID. With O(state=acquired), a new random ID when omitted (returned as RV(run_id)); the same ID
        again renews the lock.
      - Required with O(state=released).
      - "Letters, digits and C(. _ - :), up to 128 characters."
    type: str
  playbook:
    description:
      - What holds the lock, as others are told when they are refused (the playbook, and the AWX job).
      - Up to 200 characters.
    type: str
    default: ansible
  user:
    description:
      - Who runs it, as others are told when they are refused.
      - When omitted, the login name of the user running the module. Up to 200 characters.
    type: str
notes:
  - Supports check mode. It reads the lock (C(GetItem)) and reports what it would do; it takes, releases and breaks
    nothing, and does not fail when the lock is held (a warning names the holder).
  - The host named in the lock is the machine running the module (the controller, with C(connection=local)).
  - "IAM permissions on the table: C(dynamodb:PutItem), C(dynamodb:DeleteItem), C(dynamodb:GetItem) (check mode),
    and for its creation C(dynamodb:CreateTable), C(dynamodb:DescribeTable)."
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# Note: These examples do not set authentication details, see the AWS Guide for details.
- name: Take the run lock before the first write (refuse at once when another run holds it)
  nova.infra.run_lock:
    region: us-west-2
    name: nova.infra
    playbook: site.yml
    ttl: 3600
  register: run_lock

- name: Release it at the end, also when the run failed
  nova.infra.run_lock:
    region: us-west-2
    name: nova.infra
    state: released
    run_id: "{{ run_lock.run_id }}"

- name: Wait up to 10 minutes for another run to finish
  nova.infra.run_lock:
    region: us-west-2
    name: nova.infra
    playbook: teardown.yml
    wait_timeout: 600

# From a shell, for a lock left by a killed run:
#   ansible localhost -m nova.infra.run_lock -a 'name=nova.infra state=broken region=us-west-2'
- name: Break a stale lock
  nova.infra.run_lock:
    region: us-west-2
    name: nova.infra
    state: broken
"""

RETURN = r"""
run_id:
  description: This run's ID (O(run_id), or the one made up for it). Release the lock with it.
  type: str
  returned: always
  sample: 3f2b9c0e6d5a4b1f8e7d6c5b4a392817
acquired:
  description: Whether this run holds the lock after the task (in check mode, whether it would).
  type: bool
  returned: always
  sample: true
lock:
  description:
    - The lock after the task (O(state=acquired)), or the lock removed (O(state=released), O(state=broken)).
      Empty when there is none.
  type: dict
  returned: always
  contains:
    name:
      description: The lock's name.
      type: str
    run_id:
      description: The holder's run ID.
      type: str
    playbook:
      description: What holds it.
      type: str
    user:
      description: Who runs it.
      type: str
    host:
      description: The machine it runs on.
      type: str
    started:
      description: When the lock was taken (UTC, ISO 8601).
      type: str
    expires:
      description: When it expires (UTC, ISO 8601).
      type: str
    expires_epoch:
      description: When it expires, in seconds since the epoch.
      type: float
    expired:
      description: Whether it had expired when read.
      type: bool
  sample:
    name: nova.infra
    run_id: 3f2b9c0e6d5a4b1f8e7d6c5b4a392817
    playbook: site.yml
    user: alice
    host: ops-1
    started: "2026-12-03T08:00:00Z"
    expires: "2026-12-03T09:00:00Z"
    expires_epoch: 1796288400.0
    expired: false
held_by:
  description:
    - The lock of another run, in the form of RV(lock), when it was in the way (refused, or, with
      O(state=released), found in place of this run's). Empty otherwise.
  type: dict
  returned: always
  sample: {}
taken_over:
  description: The expired lock of another run this run took over, in the form of RV(lock). Empty otherwise.
  type: dict
  returned: always
  sample: {}
waited:
  description: Seconds spent waiting for the lock.
  type: float
  returned: always
  sample: 0.0
free_at_first_ask:
  description:
    - Whether this run took the lock at its first ask, with no other run in the way. False when it waited for
      another run's lock (O(wait_timeout)), took over an expired one (RV(taken_over)), was refused, or did not
      take the lock (O(state=released), O(state=broken)).
    - Only then can no other run have written to the account and region since before the lock was taken, so a
      playbook may trust what it read just before instead of reading it again.
  type: bool
  returned: always
  sample: true
  version_added: 0.2.0
troubleshooting:
  description: When the lock is held, the cause and the fix (code C(RunLockHeld)).
  type: dict
  returned: on failure
"""

import datetime
import getpass
import re
import socket
import time
import uuid

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.nova.infra.plugins.module_utils import aws_calls
from ansible_collections.nova.infra.plugins.module_utils.problems import format_problems
from ansible_collections.nova.infra.plugins.module_utils.problems import problem
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import aws_failures
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import explain

KEY = "lock"
POLL_SECONDS = 2.0
# Taken when there is none, when it has expired, or when it is this run's own (a renewal; also a retried request
# whose first answer was lost).
TAKE = "attribute_not_exists(#k) OR #e < :now OR #r = :run"
NAMES = {"#k": KEY, "#e": "expires_epoch", "#r": "run_id"}
BREAK_COMMAND = "ansible localhost -m nova.infra.run_lock -a 'name={name} state=broken region={region}{table}'"
NAME_RE = re.compile(r"^[A-Za-z0-9._:/-]{1,200}$")
TABLE_RE = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
RUN_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def iso(epoch):
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def option_problems(params):
    found = []
    if not NAME_RE.match(params["name"]):
        found.append(
            problem("name", params["name"], "is not a lock name", "use letters, digits and . _ - : / (up to 200)")
        )
    if not TABLE_RE.match(params["table"]):
        found.append(
            problem("table", params["table"], "is not a DynamoDB table name", "use 3 to 255 letters, digits and _ . -")
        )
    if not 1 <= params["ttl"] <= 604800:
        found.append(
            problem("ttl", params["ttl"], "is not between 1 and 604800 seconds", "give the seconds a run may hold it")
        )
    if not 0 <= params["wait_timeout"] <= 86400:
        found.append(
            problem(
                "wait_timeout",
                params["wait_timeout"],
                "is not between 0 and 86400 seconds",
                "give 0 to refuse at once, or the seconds to wait for the lock",
            )
        )
    run_id = params["run_id"]
    if run_id is not None and not RUN_ID_RE.match(run_id):
        found.append(
            problem("run_id", run_id, "is not a run ID", "use letters, digits and . _ - : (up to 128), or omit it")
        )
    if run_id is None and params["state"] == "released":
        found.append(
            problem("run_id", None, "is required to release a lock", "give the run_id the acquiring task returned")
        )
    for field in ("playbook", "user"):
        value = params[field]
        if value is not None and not 1 <= len(value.strip()) <= 200:
            found.append(problem(field, value, "is empty or longer than 200 characters", f"name the {field} in words"))
    return found


def decode(item):
    """A lock item as the module returns it ({} for none)."""
    if not item:
        return {}
    values = {k: v.get("S", v.get("N")) for k, v in item.items()}
    expires = float(values.get("expires_epoch", 0))
    return {
        "name": values.get(KEY),
        "run_id": values.get("run_id"),
        "playbook": values.get("playbook"),
        "user": values.get("user"),
        "host": values.get("host"),
        "started": values.get("started"),
        "expires": iso(expires),
        "expires_epoch": expires,
        "expired": expires < time.time(),
    }


class RunLock:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.name = self.params["name"]
        self.table = self.params["table"]
        self.run_id = self.params["run_id"] or uuid.uuid4().hex
        self.client = aws_calls.connect(module, "dynamodb")
        self.key = {KEY: {"S": self.name}}
        self.waited = 0.0
        # Whether another run's lock was in the way at an ask (this run then waited for it, or was refused).
        self.contended = False

    # ---------------------------------------------------------------- results

    def exit(self, changed, acquired, lock=None, held_by=None, taken_over=None):
        self.module.exit_json(
            changed=changed,
            run_id=self.run_id,
            acquired=acquired,
            lock=lock or {},
            held_by=held_by or {},
            taken_over=taken_over or {},
            waited=round(self.waited, 1),
            free_at_first_ask=acquired and not self.contended and not taken_over,
        )

    def describe(self, lock):
        seconds = max(0, int(lock["expires_epoch"] - time.time()))
        return (
            f"{lock['playbook']}, run by {lock['user']} on {lock['host']} since {lock['started']} (run id"
            f" {lock['run_id']}; expires {lock['expires']}, in {seconds} s)"
        )

    def break_command(self):
        table = "" if self.table == "nova-infra-locks" else f" table={self.table}"
        return BREAK_COMMAND.format(name=self.name, region=self.module.region, table=table)

    def refuse(self, holder):
        waited = f" after waiting {int(self.waited)} s" if self.params["wait_timeout"] else ""
        self.module.fail_json(
            msg=(
                f"Run lock {self.name} of {self.module.region} (DynamoDB table {self.table}) is held by"
                f" {self.describe(holder)}{waited}. This run changed nothing. Fix: let that run finish and run again,"
                " or wait for it (wait_timeout; nova_lock_wait=SECONDS in the nova.infra playbooks). If that run is dead"
                f" (killed, its runner lost), its lock expires at {holder['expires']}, or break it now:"
                f" {self.break_command()}"
            ),
            run_id=self.run_id,
            acquired=False,
            lock={},
            held_by=holder,
            taken_over={},
            waited=round(self.waited, 1),
            free_at_first_ask=False,
            troubleshooting=explain("RunLockHeld"),
        )

    # ---------------------------------------------------------------- states

    def item(self, now):
        expires = now + self.params["ttl"]
        fields = {
            KEY: self.name,
            "run_id": self.run_id,
            "playbook": self.params["playbook"],
            "user": self.params["user"] or getpass.getuser(),
            "host": socket.gethostname(),
            "started": iso(now),
        }
        item = {k: {"S": v} for k, v in fields.items()}
        item["expires_epoch"] = {"N": f"{expires:.3f}"}
        return item

    def acquire(self):
        deadline = time.monotonic() + self.params["wait_timeout"]
        started = time.monotonic()
        while True:
            now = time.time()
            item = self.item(now)
            values = {":now": {"N": f"{now:.3f}"}, ":run": {"S": self.run_id}}
            answer = aws_calls.put_item_if(self.client, self.table, item, TAKE, NAMES, values)
            if answer is None:
                self.create_table()
                continue
            old = decode(answer["old"])
            if answer["written"]:
                self.waited = time.monotonic() - started
                mine = old.get("run_id") == self.run_id
                taken_over = old if old and not mine else None
                if taken_over:
                    self.module.warn(
                        f"Took over the expired run lock {self.name} of {self.module.region}, held by"
                        f" {self.describe(taken_over)}: that run did not release it (killed, or it outlived its ttl)."
                    )
                self.exit(changed=not mine, acquired=True, lock=decode(item), taken_over=taken_over)
            self.contended = True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.waited = time.monotonic() - started
                self.refuse(old)
            # Ask again when it may have come free: every POLL_SECONDS, or right after it expires.
            until_expiry = old["expires_epoch"] - time.time() + 0.05 if old else POLL_SECONDS
            time.sleep(max(0.05, min(POLL_SECONDS, until_expiry, remaining)))

    def create_table(self):
        if not self.params["create_table"]:
            self.module.fail_json(
                msg=(
                    f"The run lock's DynamoDB table {self.table} does not exist in {self.module.region}. This run"
                    " changed nothing. Fix: let the module create it (create_table=true), or create it yourself:"
                    f" aws dynamodb create-table --region {self.module.region} --table-name {self.table}"
                    f" --attribute-definitions AttributeName={KEY},AttributeType=S"
                    f" --key-schema AttributeName={KEY},KeyType=HASH --billing-mode PAY_PER_REQUEST"
                ),
                run_id=self.run_id,
                acquired=False,
            )
        aws_calls.create_table(self.client, self.table, KEY)
        aws_calls.wait_table_exists(self.client, self.table)

    def remove(self, only_run_id):
        """Release (only_run_id: this run's lock only) or break the lock."""
        if only_run_id:
            condition, values = "#r = :run", {":run": {"S": only_run_id}}
        else:
            condition, values = "attribute_exists(#k)", None
        names = {"#r": "run_id"} if only_run_id else {"#k": KEY}
        answer = aws_calls.delete_item_if(self.client, self.table, self.key, condition, names, values)
        if answer is None or (not answer["deleted"] and not answer["old"]):
            self.exit(changed=False, acquired=False)  # no table, or no lock: nothing to remove
        old = decode(answer["old"])
        if answer["deleted"]:
            if self.params["state"] == "broken":
                self.module.warn(f"Broke run lock {self.name} of {self.module.region}, held by {self.describe(old)}.")
            self.exit(changed=True, acquired=False, lock=old)
        self.module.warn(
            f"Run lock {self.name} of {self.module.region} was not this run's ({only_run_id}) and is left in place:"
            f" it is held by {self.describe(old)}. This run's lock had expired and was taken over, or was broken."
        )
        self.exit(changed=False, acquired=False, held_by=old)

    def check(self):
        """What the state would do, from one read; changes nothing."""
        state = self.params["state"]
        current = decode(aws_calls.get_item(self.client, self.table, self.key))
        mine = bool(current) and current["run_id"] == self.params["run_id"]
        if state == "acquired":
            if current and not mine and not current["expired"]:
                self.module.warn(
                    f"Check mode: run lock {self.name} is held by {self.describe(current)}; a run would be refused."
                )
                self.exit(changed=False, acquired=False, held_by=current)
            taken_over = current if current and not mine else None
            self.exit(changed=not mine, acquired=True, lock=current if mine else {}, taken_over=taken_over)
        if state == "broken" and self.params["run_id"] is None:
            self.exit(changed=bool(current), acquired=False, lock=current)
        if mine:
            self.exit(changed=True, acquired=False, lock=current)
        self.exit(changed=False, acquired=False, held_by=current)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["acquired", "released", "broken"], default="acquired"),
        table=dict(type="str", default="nova-infra-locks"),
        create_table=dict(type="bool", default=True),
        ttl=dict(type="int", default=3600),
        wait_timeout=dict(type="int", default=0),
        run_id=dict(type="str"),
        playbook=dict(type="str", default="ansible"),
        user=dict(type="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    problems = option_problems(module.params)
    if problems:
        module.fail_json(msg=format_problems(problems, "run lock", "changed"), problems=problems)
    lock = RunLock(module)
    with aws_failures(module):
        if module.check_mode:
            lock.check()
        if module.params["state"] == "acquired":
            lock.acquire()
        # released: this run's lock only (run_id is required); broken: that run's with run_id, else whoever's.
        lock.remove(module.params["run_id"])


if __name__ == "__main__":
    main()
