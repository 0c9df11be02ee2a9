# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: stack
version_added: 0.2.0
short_description: The nova stack's design defaults, from their one home
description:
  - Returns design defaults of the stack (the VPC CIDR, the SSH source ranges, the AZ count, the regions, the name
    prefix, the tags, the buckets) as plugins/module_utils/stack.py states them, so that roles and playbooks use
    them instead of re-typing them.
  - Known keys are C(region), C(dr_region), C(name_prefix), C(vpc_cidr), C(az_count), C(ssh_cidrs), C(tags),
    C(buckets), C(replication_storage_class), C(replication_time_control), C(flow_log_traffic_type),
    C(flow_log_prefix), C(nat_alarm), C(bastion_cpu_alarm) (each a dict of C(metric), C(statistic), C(period),
    C(evaluation_periods), C(threshold), C(comparison)), C(bastion_asg) (C(min_size), C(max_size),
    C(desired_capacity)) and C(bastion_instance_type).
  - Use C(lookup) for one key; a list or dict value comes back as that list or dict.
options:
  _terms:
    description: The names of the defaults.
    required: true
    type: list
    elements: str
author: nova.infra engineers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Default the VPC CIDR to the design's
  ansible.builtin.debug:
    msg: "{{ network_vpc_cidr | default(lookup('nova.infra.stack', 'vpc_cidr')) }}"

- name: The design's SSH source ranges (a list)
  ansible.builtin.debug:
    msg: "{{ lookup('nova.infra.stack', 'ssh_cidrs') }}"

- name: One setting of a dict value (the NAT gateway alarm's threshold)
  ansible.builtin.debug:
    msg: "{{ lookup('nova.infra.stack', 'nat_alarm').threshold }}"
"""

RETURN = r"""
_raw:
  description: The value of each default named; one name gives its value itself (a string, number, list or dict).
  type: raw
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.nova.infra.plugins.module_utils.stack import design


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        values = []
        for term in terms:
            try:
                values.append(design(term))
            except KeyError as error:
                raise AnsibleLookupError(f"nova.infra.stack: {error.args[0]}") from None
        # One value per name: lookup() of one name gives that value itself (a list stays a list, not a joined
        # string), query() gives the list of values.
        return values
