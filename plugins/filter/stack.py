# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja filters over the stack's facts (plugins/module_utils/stack.py)."""

from ansible_collections.nova.infra.plugins.module_utils.stack import bucket_name
from ansible_collections.nova.infra.plugins.module_utils.stack import required_tags


class FilterModule:
    def filters(self):
        return {"bucket_name": bucket_name, "stack_tags": required_tags}
