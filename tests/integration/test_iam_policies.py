"""docs/iam/<playbook>.json hold exactly the IAM actions each playbook calls.

One sandbox, one pass: preflight -> site -> validate -> dr-failover (drill, stack kept) -> teardown of both
regions (docs/iam/generate.py record). The sandbox's request log, sliced per playbook, is mapped to IAM actions
(docs/iam/actions.json) and compared with the committed policies both ways.
"""

from __future__ import annotations

import importlib.util
import json
import shutil

import pytest

from helpers import REPO

pytestmark = pytest.mark.integration


def _load_generator():
    spec = importlib.util.spec_from_file_location("iam_generate", REPO / "docs" / "iam" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate = _load_generator()


@pytest.fixture(scope="module")
def recording(sandbox, tmp_path_factory):
    from conftest import sandboxctl

    sandboxctl.reset(sandboxctl.endpoint(sandbox))
    out = tmp_path_factory.mktemp("iam-recording")
    segments = generate.record(sandbox.port, sandbox.state_dir, out)
    shutil.copy(sandbox.state_dir / "requests.jsonl", out / "requests.jsonl")
    (out / "segments.json").write_text(json.dumps(segments))
    return out


def test_every_playbook_left_its_slice_of_the_request_log(recording):
    segments = json.loads((recording / "segments.json").read_text())
    assert set(segments) == set(generate.PLAYBOOKS)
    assert len(segments["teardown"]) == 2  # both regions
    for playbook, spans in segments.items():
        assert all(end > first for first, end in spans), playbook


def test_committed_policies_match_the_actions_called(recording):
    problems = generate.compare(recording)
    assert problems == [], (
        "\n".join(problems) + "\nRegenerate: .venv/bin/python docs/iam/generate.py record && "
        ".venv/bin/python docs/iam/generate.py write .sandbox/iam-recording (and map new operations first)"
    )


def test_a_policy_missing_a_called_action_fails(recording, tmp_path):
    for path in (REPO / "docs" / "iam").glob("*.json"):
        shutil.copy(path, tmp_path / path.name)
    site = json.loads((tmp_path / "site.json").read_text())
    everything = next(s for s in site["Statement"] if s["Sid"] == "Everything")
    everything["Action"].remove("ec2:CreateNatGateway")
    everything["Action"].append("ec2:DeleteVpc")
    (tmp_path / "site.json").write_text(json.dumps(site))
    problems = set(generate.compare(recording, policy_dir=tmp_path)) - set(generate.compare(recording))
    assert problems == {
        "site: ec2:CreateNatGateway is called but missing from docs/iam/site.json",
        "site: ec2:DeleteVpc is in docs/iam/site.json but never called "
        "(and not a documented extra in docs/iam/actions.json)",
    }


def test_extras_are_explained_and_the_only_uncalled_actions(recording):
    mapping = generate.load_mapping()
    wanted, _unused = generate.expected_policies(recording, {**mapping, "extras": []})
    for extra in mapping["extras"]:
        assert extra["why"] and set(extra["playbooks"]) <= set(generate.PLAYBOOKS), extra
        held = generate.policy_actions(json.loads((REPO / "docs" / "iam" / f"{extra['playbooks'][0]}.json").read_text()))
        assert extra["action"] in held
    for playbook in generate.PLAYBOOKS:
        held = generate.policy_actions(json.loads((REPO / "docs" / "iam" / f"{playbook}.json").read_text()))
        assert held - wanted[playbook] == generate.extras_of(playbook, mapping) - wanted[playbook], playbook


def test_policies_are_scoped_to_the_stack(recording):
    for playbook in generate.PLAYBOOKS:
        document = json.loads((REPO / "docs" / "iam" / f"{playbook}.json").read_text())
        for statement in document["Statement"]:
            assert statement["Condition"]["StringEquals"]["aws:RequestedRegion"] == ["us-west-2", "us-east-1"]
            if statement["Resource"] == "*":
                assert not any(a.startswith("s3:") and a != "s3:ListAllMyBuckets" and "Account" not in a
                               for a in statement["Action"]), playbook
                assert "iam:PassRole" not in statement["Action"]
