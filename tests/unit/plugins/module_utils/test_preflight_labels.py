# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The AZ checks name the caller's variables (labels), as playbooks/preflight.yml passes them."""

from ansible_collections.nova.infra.plugins.module_utils import preflight as logic

ZONES = [{"name": "us-west-2a", "state": "available"}, {"name": "us-west-2b", "state": "available"}]
LABELS = {"vpc_cidr": "network_vpc_cidr", "min_azs": "network_az_count", "required_azs": "network_azs"}


def test_az_problems_name_the_callers_variables():
    checks = logic.evaluate_azs("us-west-2", ZONES, 3, ["us-west-2a", "us-west-2z"], LABELS)

    problems = {c["name"]: c for c in logic.problems_of(checks)}
    assert problems["availability_zones"]["detail"].endswith("network_az_count is 3")
    assert problems["availability_zones"]["fix"].endswith("or lower network_az_count")
    assert problems["required_azs"]["detail"] == "us-west-2z is not an AZ of us-west-2"
    assert (
        problems["required_azs"]["fix"]
        == "choose network_azs from the available AZs of us-west-2: us-west-2a, us-west-2b"
    )


def test_without_labels_the_options_are_named():
    checks = logic.evaluate_azs("us-west-2", ZONES, 3, ["us-west-2z"])

    fixes = [c["fix"] for c in logic.problems_of(checks)]
    assert fixes[0].endswith("or lower min_azs") and fixes[1].startswith("choose required_azs from")
