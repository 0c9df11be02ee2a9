"""module_utils/botocore_share: every botocore session of a process shares one data loader once install() ran.

Each check runs in a fresh interpreter: install() registers a process-wide botocore initializer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest


def run_python(code: str, env: dict | None = None) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=False, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_sessions_share_one_loader_and_each_model_is_parsed_once():
    out = run_python("""
        import boto3
        from ansible_collections.nova.infra.plugins.module_utils import botocore_share
        assert botocore_share.shared_loader() is None
        assert botocore_share.install() is True
        assert botocore_share.install() is False          # once per process
        loaders, cached = set(), []
        for _ in range(3):
            session = boto3.session.Session(region_name="us-west-2", aws_access_key_id="a", aws_secret_access_key="b")
            session.client("ec2")
            loaders.add(id(session._session.get_component("data_loader")))
            cached.append(len(botocore_share.shared_loader()._cache))
        loader = botocore_share.shared_loader()
        assert loaders == {id(loader)}
        # boto3 appends its data path on every Session: the shared list holds it once.
        assert len(loader.search_paths) == len(set(loader.search_paths))
        print(cached[0] > 0 and cached[0] == cached[1] == cached[2])
    """)
    assert out == "True"


def test_without_install_every_session_has_a_loader_of_its_own():
    out = run_python("""
        import boto3
        ids = {id(boto3.session.Session(region_name="us-west-2")._session.get_component("data_loader"))
               for _ in range(3)}
        print(len(ids))
    """)
    assert out == "3"


def test_a_session_with_its_own_data_path_keeps_its_own_loader(tmp_path):
    out = run_python("""
        import botocore.session
        from ansible_collections.nova.infra.plugins.module_utils import botocore_share
        botocore_share.install()
        session = botocore.session.get_session()
        print(session.get_component("data_loader") is botocore_share.shared_loader())
    """, env={**os.environ, "AWS_DATA_PATH": str(tmp_path)})
    assert out == "False"


def test_equal_client_requests_get_one_client_and_any_difference_a_new_one():
    out = run_python("""
        import json, os
        from ansible_collections.nova.infra.plugins.module_utils import botocore_share
        from ansible_collections.amazon.aws.plugins.module_utils import botocore as aws_botocore
        assert botocore_share.install_client_cache() is True
        assert botocore_share.install_client_cache() is False      # once per process
        conn = aws_botocore._boto3_conn
        base = dict(conn_type="client", resource="ec2", region="us-west-2", endpoint="http://127.0.0.1:9",
                    aws_access_key_id="a", aws_secret_access_key="b",
                    aws_config={"retries": {"mode": "standard", "max_attempts": 10}})
        first = conn(**base)
        same = [conn(**dict(base)) is first,
                conn(**dict(base, aws_config={"retries": {"max_attempts": 10, "mode": "standard"}})) is first]
        differs = [conn(**dict(base, **change)) is first for change in (
            {"region": "us-east-1"}, {"resource": "s3"}, {"endpoint": "http://127.0.0.1:10"},
            {"aws_access_key_id": "other"}, {"aws_session_token": "t"},
            {"aws_config": {"retries": {"mode": "standard", "max_attempts": 3}}})]
        os.environ["AWS_MAX_ATTEMPTS"] = "4"                        # a task's environment
        differs.append(conn(**base) is first)
        del os.environ["AWS_MAX_ATTEMPTS"]
        same.append(conn(**base) is first)
        resource = conn(**dict(base, conn_type="resource"))          # resources are never shared
        differs.append(resource is conn(**dict(base, conn_type="resource")))
        print(json.dumps([same, differs]))
    """)
    assert json.loads(out) == [[True, True, True], [False] * 8]


def test_a_setting_that_cannot_be_keyed_exactly_gets_a_new_client():
    out = run_python("""
        from ansible_collections.nova.infra.plugins.module_utils import botocore_share
        import botocore.config
        key = botocore_share.client_key
        config = botocore.config.Config(retries={"mode": "standard"})
        print(key("ec2", "us-west-2", None, {"verify": object()}, "ua", {}) is None,
              key("ec2", "us-west-2", None, {"verify": False}, "ua", {}) is not None,
              key("ec2", "us-west-2", None, {"config": config}, "ua", {}) is not None,
              key("ec2", "us-west-2", None, {}, "ua", {"_ANSIBLE_PLACEBO_RECORD": "/tmp/pills"}) is None)
        del config._user_provided_options
        print(key("ec2", "us-west-2", None, {"config": config}, "ua", {}) is None)
    """)
    assert out.split() == ["True"] * 5


def test_a_rewritten_credentials_file_changes_the_key(tmp_path):
    out = run_python(f"""
        import os, time
        from ansible_collections.nova.infra.plugins.module_utils import botocore_share
        env = {{"AWS_SHARED_CREDENTIALS_FILE": "{tmp_path}/credentials"}}
        before = botocore_share.client_key("ec2", "us-west-2", None, {{}}, "ua", env)
        with open("{tmp_path}/credentials", "w") as f:
            f.write("[default]\\naws_access_key_id = x\\naws_secret_access_key = y\\n")
        print(before != botocore_share.client_key("ec2", "us-west-2", None, {{}}, "ua", env))
    """)
    assert out == "True"


ISO_UTC = ["2026-12-04T21:38:37.000Z", "2026-12-04T21:38:37Z", "2026-12-04T21:38:37.123Z", "2026-12-04T21:38:37.123456Z"]
OTHER_FORMS = [1796420317, 1796420317.5, "1796420317", "Fri, 04 Dec 2026 21:38:37 GMT", "2026-12-04T23:38:37+02:00",
               "2026-12-04 21:38:37", "2026-12-04T21:38:37.1234Z"]


def test_timestamps_read_fast_are_the_instants_botocore_reads():
    """AWS's ISO 8601 UTC form by the standard library, in UTC; any other form is botocore's own parse."""
    from botocore.utils import parse_timestamp as botocores

    from ansible_collections.nova.infra.plugins.module_utils.botocore_share import parse_timestamp

    for value in ISO_UTC:
        fast = parse_timestamp(value)
        assert fast == botocores(value) and fast.utcoffset().total_seconds() == 0, value
    for value in OTHER_FORMS:
        theirs = botocores(value)
        ours = parse_timestamp(value)
        assert ours == theirs and ours.tzinfo.__class__ is theirs.tzinfo.__class__, value
    for bad in ("not a time", "2026-13-45T99:99:99.000Z"):
        with pytest.raises(ValueError) as theirs:
            botocores(bad)
        with pytest.raises(theirs.type):
            parse_timestamp(bad)


def test_clients_made_inside_fast_timestamps_parse_their_responses_with_it():
    """A listing by a client of a session made in the block reads its LastModified with parse_timestamp; a client of
    a session made after the block is botocore's as before (the initializer is gone)."""
    out = run_python(
        """
        import json, os
        os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
            os.environ.pop(name, None)
        import boto3
        from moto import mock_aws
        from ansible_collections.nova.infra.plugins.module_utils import botocore_share

        seen = []
        real = botocore_share.parse_timestamp
        botocore_share.parse_timestamp = lambda value: seen.append(value) or real(value)
        with mock_aws():
            with botocore_share.fast_timestamps():
                inside = boto3.session.Session().client("s3", region_name="us-east-1")
            outside = boto3.session.Session().client("s3", region_name="us-east-1")
            inside.create_bucket(Bucket="nova-timestamps")
            for key in ("k1", "k2"):
                inside.put_object(Bucket="nova-timestamps", Key=key, Body=b"x")
            listed = inside.list_objects_v2(Bucket="nova-timestamps")["Contents"]
            after_inside = len(seen)
            outside.list_objects_v2(Bucket="nova-timestamps")
        print(json.dumps({"inside": after_inside, "after": len(seen) - after_inside,
                          "utc": [o["LastModified"].utcoffset().total_seconds() for o in listed]}))
        """
    )
    result = json.loads(out)
    assert result["inside"] >= 2 and result["after"] == 0 and result["utc"] == [0, 0], result
