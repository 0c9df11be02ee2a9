# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One retry layer per error class, for nova.infra modules.

botocore's retry handler retries throttling (SlowDown, Throttling, RequestLimitExceeded, ...), HTTP
500/502/503/504, RequestTimeout and connection errors, within one budget per call: the client's
``retries`` setting (``aws_config``; ``nova_aws_config`` in the playbooks). amazon.aws's AWSRetry
decorators always retry ServiceUnavailable, InternalError, Throttling and more on top of that, so a
region answering 503 to everything costs botocore's attempts times AWSRetry's (10 x 10, with sleeps of
up to 60 s): minutes per call instead of seconds. Modules built on this keep botocore as the only layer
for those classes, and use AWSRetry only for codes botocore gives up on at once.
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# Used unless the task's aws_config sets retries: botocore's default (legacy mode, 5 attempts) gives up on
# sustained throttling too early; standard mode also stops retrying when most calls fail (retry quota).
DEFAULT_RETRIES = {"mode": "standard", "max_attempts": 10}


class NonTransientRetry(AWSRetry):
    """AWSRetry for exactly the codes given in catch_extra_error_codes, none of AWSRetry's defaults."""

    @staticmethod
    def found(response_code, catch_extra_error_codes=None):
        return response_code in (catch_extra_error_codes or ())


def client_config(**settings):
    """botocore Config arguments with DEFAULT_RETRIES; amazon.aws merges the task's aws_config over them."""
    return dict(settings, retries=dict(DEFAULT_RETRIES))
