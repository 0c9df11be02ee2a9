# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drift records from check-mode results (result_drift) and from an Auto Scaling group's read (asg_drift): what
site.yml --check reports for the resources the drift modules do not read."""

from ansible_collections.nova.infra.plugins.filter.drift import asg_drift
from ansible_collections.nova.infra.plugins.filter.drift import drift_lines
from ansible_collections.nova.infra.plugins.filter.drift import result_drift


def test_an_unchanged_or_skipped_result_is_no_drift():
    assert result_drift({"changed": False}, "security group x") == []
    assert result_drift({"skipped": True, "changed": False}, "security group x") == []
    assert result_drift({}, "security group x") == []


def test_each_differing_setting_of_the_diff_is_one_record():
    sg = {
        "changed": True,
        "diff": [{
            "before": {"group_name": "b", "security_group_arn": "arn:sg", "ip_permissions": [{"from_port": 22,
                       "ip_ranges": [{"cidr_ip": "0.0.0.0/0"}, {"cidr_ip": "203.0.113.0/24", "description": "SSH"}]}],
                       "tags": {"Name": "b"}},
            "after": {"group_name": "b", "ip_permissions": [{"from_port": "22", "ip_ranges": [
                {"cidr_ip": "203.0.113.0/24", "description": "SSH"}]}], "tags": {"Name": "b"}},
        }],
    }
    (record,) = result_drift(sg, "security group b", "sg-1")
    assert record == {"resource": "security group b", "id": "sg-1", "setting": "ip_permissions[0].ip_ranges",
                      "desired": [{"cidr_ip": "203.0.113.0/24", "description": "SSH"}],
                      "actual": [{"cidr_ip": "0.0.0.0/0"}, {"cidr_ip": "203.0.113.0/24", "description": "SSH"}]}
    assert drift_lines([record])[0].startswith("security group b (sg-1): ip_permissions[0].ip_ranges is [{'cidr_ip': '0.0.0.0/0'}")


def test_lists_in_another_order_are_no_drift():
    rules = [{"cidr_ip": "a"}, {"cidr_ip": "b"}]
    assert result_drift({"changed": True, "diff": {"before": {"r": rules, "x": 1}, "after": {"r": rules[::-1], "x": 2}}},
                        "g") == [{"resource": "g", "id": None, "setting": "x", "desired": 2, "actual": 1}]


def test_a_missing_resource_is_one_record_and_no_diff_says_how_to_see_it():
    assert result_drift({"changed": True, "diff": {"before": {}, "after": {"traffic_type": "ALL"}}},
                        "VPC flow log", "vpc-1", "flow log") == [
        {"resource": "VPC flow log", "id": "vpc-1", "setting": "flow log", "desired": "present", "actual": "missing"}
    ]
    (record,) = result_drift({"changed": True}, "launch template", None, "template")
    assert record["setting"] == "template" and "--diff" in record["actual"]


def test_a_loop_names_each_item():
    replication = {"results": [
        {"changed": False, "storage_bucket": {"name": "logs"}, "ansible_loop_var": "storage_bucket"},
        {"changed": True, "storage_bucket": {"name": "backup"}, "ansible_loop_var": "storage_bucket",
         "diff": {"before": {"rules": [{"Destination": {"StorageClass": "STANDARD"}}]},
                  "after": {"rules": [{"Destination": {"StorageClass": "STANDARD_IA"}}]}}},
    ]}
    assert result_drift(replication, "replication of bucket") == [
        {"resource": "replication of bucket backup", "id": None, "setting": "rules[0].Destination.StorageClass",
         "desired": "STANDARD_IA", "actual": "STANDARD"}
    ]


DESIRED = {
    "name": "nova-bastion-asg", "min_size": 1, "max_size": 2, "desired_capacity": 1,
    "launch_template_name": "nova-bastion-lt", "launch_template_version": "$Latest", "subnets": ["subnet-b", "subnet-a"],
    "health_check_type": "EC2", "health_check_grace_period": 300, "metrics": True, "tags": {"Name": "nova-bastion"},
}
FOUND = {
    "auto_scaling_group_arn": "arn:aws:autoscaling:us-west-2:1:autoScalingGroup:x", "min_size": 1, "max_size": 2,
    "desired_capacity": 1, "launch_template": {"launch_template_name": "nova-bastion-lt", "version": "$Latest"},
    "vpc_zone_identifier": "subnet-a,subnet-b", "health_check_type": "EC2", "health_check_grace_period": 300,
    "enabled_metrics": [{"metric": "GroupInServiceInstances"}], "tags": [{"key": "Name", "value": "nova-bastion"}],
}


def test_a_group_as_the_settings_say_has_no_drift():
    assert asg_drift([FOUND], DESIRED) == []


def test_each_scaling_setting_that_differs_is_one_record():
    records = asg_drift([dict(FOUND, max_size=3, enabled_metrics=[])], DESIRED)
    assert [(r["setting"], r["desired"], r["actual"]) for r in records] == [("max_size", 2, 3), ("metrics", True, False)]
    assert records[0]["resource"] == "Auto Scaling group nova-bastion-asg"


def test_a_missing_group_is_one_record():
    assert asg_drift([], DESIRED) == [
        {"resource": "Auto Scaling group nova-bastion-asg", "id": None, "setting": "group", "desired": "present",
         "actual": "missing"}
    ]
