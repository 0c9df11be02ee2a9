# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import json

import boto3
import botocore.client
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from ansible_collections.nova.infra.plugins.modules import s3_account_public_access_block

REGION = "us-west-2"
ACCOUNT = "123456789012"
ALL_ON = {"block_public_acls": True, "ignore_public_acls": True, "block_public_policy": True, "restrict_public_buckets": True}


@pytest.fixture
def run_module(run_module):
    """Run main() with args in-process (tests/conftest.py); return (failed, result) from the JSON it prints."""

    def run(args, check=False, diff=True):
        args = {"region": REGION, **args, "_ansible_check_mode": check, "_ansible_diff": diff}
        result = run_module(s3_account_public_access_block, args)
        return bool(result.get("failed")), result

    return run


@pytest.fixture
def s3control(monkeypatch):
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield boto3.client("s3control", region_name=REGION)


def stored(client):
    """The account's flags read back from the emulator, or None when it has no configuration."""
    try:
        config = client.get_public_access_block(AccountId=ACCOUNT)["PublicAccessBlockConfiguration"]
    except ClientError as e:
        assert e.response["Error"]["Code"] == "NoSuchPublicAccessBlockConfiguration"
        return None
    return {
        "block_public_acls": config["BlockPublicAcls"],
        "ignore_public_acls": config["IgnorePublicAcls"],
        "block_public_policy": config["BlockPublicPolicy"],
        "restrict_public_buckets": config["RestrictPublicBuckets"],
    }


def deny(monkeypatch, operations):
    """Answer the given S3 Control operations with AccessDenied, as an SCP would."""
    real = botocore.client.BaseClient._make_api_call

    def fake(self, operation_name, api_params):
        if operation_name in operations:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, operation_name)
        return real(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", fake)


def test_turns_all_flags_on_for_the_callers_account_then_changes_nothing(run_module, s3control):
    failed, result = run_module({})
    assert not failed and result["changed"]
    assert result["account_id"] == ACCOUNT
    assert result["public_access_block"] == ALL_ON
    assert result["diff"]["before"] == dict.fromkeys(ALL_ON, False)
    assert result["diff"]["after"] == ALL_ON
    assert stored(s3control) == ALL_ON

    failed, again = run_module({})
    assert not failed and not again["changed"] and "diff" not in again
    assert again["public_access_block"] == ALL_ON


def test_check_mode_reports_the_change_and_writes_nothing(run_module, s3control):
    failed, result = run_module({}, check=True)
    assert not failed and result["changed"]
    assert result["diff"]["after"] == ALL_ON
    assert stored(s3control) is None


def test_changes_one_flag_and_leaves_the_others(run_module, s3control):
    run_module({"account_id": ACCOUNT})
    failed, result = run_module({"account_id": ACCOUNT, "block_public_policy": False})
    assert not failed and result["changed"]
    assert stored(s3control) == {**ALL_ON, "block_public_policy": False}
    assert result["diff"]["before"]["block_public_policy"] is True


def test_all_off_with_no_configuration_is_no_change(run_module, s3control):
    failed, result = run_module({flag: False for flag in ALL_ON})
    assert not failed and not result["changed"]
    assert stored(s3control) is None


def test_absent_removes_the_configuration_once(run_module, s3control):
    run_module({})
    failed, result = run_module({"state": "absent"})
    assert not failed and result["changed"]
    assert stored(s3control) is None
    failed, again = run_module({"state": "absent"})
    assert not failed and not again["changed"]


@pytest.mark.parametrize("account_id", ["12345", "12345678901a", "1234567890123", ""])
def test_a_malformed_account_id_fails_before_any_call(run_module, s3control, account_id):
    failed, result = run_module({"account_id": account_id})
    assert failed
    assert "account_id" in result["msg"] and "12-digit" in result["msg"] and "nothing was changed" in result["msg"]
    assert stored(s3control) is None


def test_access_denied_fails_with_the_permission_to_ask_for(run_module, s3control, monkeypatch):
    deny(monkeypatch, {"PutPublicAccessBlock"})
    failed, result = run_module({"account_id": ACCOUNT})
    assert failed
    assert "AccessDenied" in result["msg"] or result.get("error", {}).get("code") == "AccessDenied", result


@pytest.mark.parametrize("operation", ["GetPublicAccessBlock", "PutPublicAccessBlock"])
def test_access_denied_is_a_warning_where_the_account_does_not_allow_it(run_module, s3control, monkeypatch, operation):
    deny(monkeypatch, {operation})
    failed, result = run_module({"account_id": ACCOUNT, "on_access_denied": "warn"})
    assert not failed and not result["changed"]
    assert result["access_denied"] is True and result["public_access_block"] == {}
    assert "AccessDenied" in json.dumps(result["warnings"])
    monkeypatch.undo()
    assert stored(s3control) is None


def test_the_diff_is_returned_only_when_asked(run_module, s3control):
    failed, result = run_module({}, check=True, diff=False)
    assert not failed and result["changed"] and "diff" not in result


def test_an_endpoint_whose_account_host_does_not_resolve_fails_at_once_without_a_call(run_module, s3control, monkeypatch):
    """With an IP endpoint_url, S3 Control's <account>.<ip> never resolves: without a proxy the task fails at once,
    naming the host and the way to reach it, instead of retrying the connection for ~30 s."""
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    calls = []
    real = botocore.client.BaseClient._make_api_call
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call",
                        lambda client, operation, params: calls.append(operation) or real(client, operation, params))
    failed, result = run_module({"account_id": ACCOUNT, "endpoint_url": "http://127.0.0.1:9"})
    assert failed and result["unresolved_host"] == f"{ACCOUNT}.127.0.0.1", result
    assert "does not resolve" in result["msg"] and "proxies" in result["msg"], result["msg"]
    assert calls == []
