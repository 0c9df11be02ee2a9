# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja tests of the stack's input rules (plugins/module_utils/stack.py), so that the roles' and playbooks' checks
and the modules' checks are one rule each."""

from ansible_collections.nova.infra.plugins.module_utils import stack


class TestModule:
    def tests(self):
        return {
            "name_prefix": stack.is_name_prefix,
            "region": stack.is_region,
            "s3_bucket_name": stack.is_s3_bucket_name,
            "sns_topic_name": stack.is_sns_topic_name,
            "s3_key_prefix": stack.is_s3_key_prefix,
            "ssh_public_key": stack.is_ssh_public_key,
            "aws_tag": stack.is_aws_tag,
        }
