# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""aws_calls retry rule: botocore alone retries transient errors; AWSRetry only the codes named."""

import botocore.config
import pytest
from botocore.exceptions import ClientError

from ansible_collections.nova.infra.plugins.module_utils.aws_calls import DEFAULT_RETRIES
from ansible_collections.nova.infra.plugins.module_utils.aws_calls import NonTransientRetry
from ansible_collections.nova.infra.plugins.module_utils.aws_calls import client_config


def failing(code, calls):
    def call():
        calls.append(code)
        raise ClientError({"Error": {"Code": code, "Message": code}}, "CopyObject")

    return call


@pytest.mark.parametrize("code,attempts", [("ServiceUnavailable", 1), ("SlowDown", 1), ("InternalError", 1),
                                           ("Throttling", 1), ("OperationAborted", 3)])
def test_only_named_codes_are_retried(code, attempts):
    calls = []
    retry = NonTransientRetry.jittered_backoff(retries=3, delay=0, catch_extra_error_codes=["OperationAborted"])
    with pytest.raises(ClientError):
        retry(failing(code, calls))()
    assert len(calls) == attempts


def test_client_config_defaults_retries_and_the_tasks_aws_config_wins():
    config = botocore.config.Config(**client_config(max_pool_connections=36))
    assert config.retries == DEFAULT_RETRIES and config.max_pool_connections == 36
    merged = config.merge(botocore.config.Config(retries={"mode": "adaptive", "max_attempts": 3}))
    assert merged.retries == {"mode": "adaptive", "max_attempts": 3} and merged.max_pool_connections == 36
