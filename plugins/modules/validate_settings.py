#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: validate_settings
short_description: Check a nova.infra role's settings before any AWS write
version_added: 1.1.0
description:
  - Judges the variables of one of the collection's roles (network, bastion, storage, monitoring) without calling
    AWS, and fails with every problem at once, each as a record naming the variable, its value, what is wrong and
    the fix - the records the collection's modules return for bad input.
  - The roles run it first (C(roles/*/tasks/validate.yml)); C(site.yml) runs every role's before its first AWS call.
  - An action plugin, run on the controller; no module is shipped to the host.
  - The CIDRs, the subnet plan and the AZs of the network role need the region's AZs; M(nova.infra.cidr_validate)
    checks them.
author:
  - nova.infra engineers (!UNKNOWN)
options:
  role:
    description: The role whose settings are given.
    type: str
    required: true
    choices: [network, bastion, storage, monitoring]
  settings:
    description:
      - The role's variables, name to value, for example C(network_name_prefix). Each role's check needs all of its
        variables (the role passes them); a missing one fails the task naming it.
      - C(bastion_public_key_path) is read as M(ansible.builtin.file) would find it; its content is never returned.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Refuse network settings that are malformed or that AWS would reject
  nova.infra.validate_settings:
    role: network
    settings:
      network_name_prefix: "{{ network_name_prefix }}"
      network_wait_timeout: "{{ network_wait_timeout }}"
      network_tags: "{{ network_tags }}"
"""

RETURN = r"""
problems:
  description: One record per problem; empty when the settings are fine.
  returned: always
  type: list
  elements: dict
  contains:
    field:
      description: The variable.
      type: str
      sample: network_wait_timeout
    value:
      description: Its value.
      type: raw
      sample: 0
    problem:
      description: What is wrong with it.
      type: str
      sample: is not a positive number of seconds
    fix:
      description: How to fix it.
      type: str
      sample: e.g. 900
msg:
  description: >-
    On failure, every problem in one numbered message, e.g. C(1 problem in the network settings, nothing was created
    in AWS: (1) network_wait_timeout: 0 - is not a positive number of seconds. Fix: e.g. 900).
  returned: failure
  type: str
"""
