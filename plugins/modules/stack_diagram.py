#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: stack_diagram
version_added: 0.1.0
short_description: Draw the deployed nova stack as a self-contained HTML page with an SVG diagram
description:
  - Writes O(dest), one HTML page with an inline SVG diagram of the stack as M(nova.infra.stack_audit) read it back
    from AWS (its RV(nova.infra.stack_audit#module:snapshot)), with that audit's findings marked on the elements they
    concern.
  - "Drawn: the region and its VPC (CIDR, flow log); the internet gateway; one column per availability zone with
    its public and private subnets (Name, id, CIDR, free IP addresses, route table and the routes leaving the VPC);
    the NAT gateways in their subnets with their Elastic IPs; route arrows from each subnet to the NAT gateway or
    internet gateway its C(0.0.0.0/0) route goes to (private subnet -> NAT gateway -> internet gateway); the bastion
    instances and the Auto Scaling group spanning its subnets; the security groups with their ingress rules; the VPC
    endpoints (service, route tables or subnets, private DNS, state); the
    buckets with Block Public Access, versioning and encryption, and replication arrows to the replicas in the DR
    region."
  - Each finding gets a number; a badge with the number and the colour of its severity sits on every element the
    finding's C(resource) names (by AWS id first, by C(Name) tag or name otherwise), and a table under the
    diagram lists all findings with where they are marked. Findings about something not drawn (for example a missing
    security group) are in the table only.
  - The page has no scripts and loads nothing (inline CSS and SVG), so it opens offline. Every element is an SVG
    group with a unique C(id) and C(data-kind) (V(region), V(vpc), V(az), V(subnet), V(igw), V(nat), V(bastion),
    V(instance), V(asg), V(sg), V(endpoint), V(bucket)), C(data-id) (the AWS id or name) and, where they apply, C(data-az),
    C(data-type) (V(public)/V(private)), C(data-region) and C(data-findings).
  - The output depends only on the input (no clock, sorted by AWS id), so the file changes only when the stack or
    the findings do.
author:
  - nova.infra engineers (!UNKNOWN)
options:
  snapshot:
    description:
      - The RV(nova.infra.stack_audit#module:snapshot) a M(nova.infra.stack_audit) task returned (register the task and
        pass C(<registered>.snapshot)). It is what was read from AWS for the audit, so the picture and the findings
        describe the same state and the stack is not read twice.
      - Required with O(state=present).
    type: dict
  findings:
    description:
      - The RV(nova.infra.stack_audit#module:findings) of the same audit, to mark on the diagram.
    type: list
    elements: dict
    default: []
  dest:
    description:
      - The HTML file to write, for example C(reports/stack-us-west-2.html). Its directory must exist.
    type: path
    required: true
  title:
    description:
      - The page title. Defaults to C(<name_prefix> in <region>).
    type: str
  generated_at:
    description:
      - A time to print in the page header, for example the play's start time from the C(now) Jinja2 function (see
        EXAMPLES). Unset by default, so that the file only changes when the stack does.
    type: str
  state:
    description:
      - V(present) writes the page, V(absent) removes O(dest).
    type: str
    choices: [present, absent]
    default: present
notes:
  - Makes no AWS calls; the reading is done by M(nova.infra.stack_audit).
  - Check mode reports what would change without writing; diff mode shows the old and new page.
  - Bad input (a O(snapshot) that is not a stack_audit snapshot, malformed O(findings), a missing directory) fails
    before anything is written, naming the option, the value and the fix.
extends_documentation_fragment:
  - ansible.builtin.files
seealso:
  - module: nova.infra.stack_audit
"""

EXAMPLES = r"""
- name: Audit the stack (never failing here, so the diagram is drawn first)
  nova.infra.stack_audit:
    region: us-west-2
    fail_on: none
  register: audit

- name: Draw the stack with the audit findings
  nova.infra.stack_diagram:
    snapshot: "{{ audit.snapshot }}"
    findings: "{{ audit.findings }}"
    dest: reports/stack-us-west-2.html
    mode: "0644"

- name: Draw it with a time stamp in the header
  nova.infra.stack_diagram:
    snapshot: "{{ audit.snapshot }}"
    findings: "{{ audit.findings }}"
    dest: reports/stack-us-west-2.html
    title: nova-production after the nightly run
    generated_at: "{{ now(utc=true).isoformat() }}"

- name: Remove the page
  nova.infra.stack_diagram:
    dest: reports/stack-us-west-2.html
    state: absent
"""

RETURN = r"""
dest:
  description: The file written or removed.
  type: str
  returned: always
  sample: reports/stack-us-west-2.html
elements:
  description:
    - How many distinct resources of each kind are drawn (the C(data-kind) values), and the numbers of route and
      replication arrows.
  type: dict
  returned: when O(state=present)
  sample: {region: 2, vpc: 1, az: 2, subnet: 4, igw: 1, nat: 2, bastion: 1, asg: 1, sg: 3, bucket: 4,
           route_arrows: 4, replication_arrows: 2}
findings:
  description: The findings as numbered on the page, each with the DOM ids of the elements it is marked on.
  type: list
  elements: dict
  returned: when O(state=present)
  contains:
    number:
      description: The number on the badges and in the table.
      type: int
      sample: 1
    id:
      description: The check id.
      type: str
      sample: NOVA-SG-003
    severity:
      description: The severity.
      type: str
      sample: critical
    resource:
      description: The finding's resource.
      type: str
      sample: sg-0123456789abcdef0 (nova-production-bastion-sg)
    drawn_on:
      description: DOM ids of the elements the badge is on; empty when the resource is not drawn.
      type: list
      elements: str
      sample: [sg-sg-0123456789abcdef0]
size:
  description: The size of the page in bytes.
  type: int
  returned: when O(state=present)
  sample: 48213
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.nova.infra.plugins.module_utils import diagram


class StackDiagram:
    def __init__(self, module):
        self.module = module
        self.dest = module.params["dest"]
        self.result = dict(changed=False, dest=self.dest)

    def current(self):
        if not os.path.exists(self.dest):
            return None
        with open(self.dest, "rb") as f:
            return to_text(f.read(), errors="surrogate_or_strict")

    def record_change(self, before, after):
        self.result["changed"] = True
        if self.module._diff:
            self.result["diff"] = dict(
                before=before or "", after=after or "", before_header=self.dest, after_header=self.dest
            )

    def ensure_present(self):
        params = self.module.params
        problems = diagram.validate(params["snapshot"], params["findings"])
        directory = os.path.dirname(os.path.abspath(self.dest))
        if not os.path.isdir(directory):
            problems.append(
                f"dest: directory {directory} does not exist. Fix: create it first (ansible.builtin.file "
                "state=directory) or point dest into an existing directory."
            )
        if problems:
            self.module.fail_json(msg=f"{len(problems)} bad option(s), nothing was written: " + " ".join(problems))
        page = diagram.render_html(params["snapshot"], params["findings"], params["title"], params["generated_at"])
        self.result.update(
            elements=page["elements"],
            size=len(to_bytes(page["html"])),
            findings=[
                {k: f[k] for k in ("number", "id", "severity", "resource", "drawn_on")} for f in page["findings"]
            ],
        )
        before = self.current()
        if before != page["html"]:
            self.record_change(before, page["html"])
            if not self.module.check_mode:
                self.write(directory, page["html"])
        file_args = self.module.load_file_common_arguments(params)
        if not self.module.check_mode or before is not None:
            self.result["changed"] = self.module.set_fs_attributes_if_different(file_args, self.result["changed"])

    def write(self, directory, text):
        # Written beside dest and moved over it, so a reader never sees half a page.
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".stack_diagram.", suffix=".html")
        with os.fdopen(fd, "wb") as f:
            f.write(to_bytes(text))
        self.module.atomic_move(tmp, self.dest, unsafe_writes=self.module.params["unsafe_writes"])

    def ensure_absent(self):
        before = self.current()
        if before is None:
            return
        self.record_change(before, None)
        if not self.module.check_mode:
            os.remove(self.dest)


def main():
    argument_spec = dict(
        snapshot=dict(type="dict"),
        findings=dict(type="list", elements="dict", default=[]),
        dest=dict(type="path", required=True),
        title=dict(type="str"),
        generated_at=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ("snapshot",))],
        add_file_common_args=True,
        supports_check_mode=True,
    )
    manager = StackDiagram(module)
    manager.ensure_present() if module.params["state"] == "present" else manager.ensure_absent()
    module.exit_json(**manager.result)


if __name__ == "__main__":
    main()
