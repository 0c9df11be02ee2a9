"""nova.infra.ec2_vpc_net, ec2_vpc_subnet and ec2_vpc_igw (amazon.aws 10.1.2's modules without the reads whose answer
they already hold, docs/upstream-patches.md) against amazon.aws's own, on twin resources in the sandbox: the same
check-mode result without a write, the same result and resource afterwards, the same writes with the exact number of
requests fewer, and the same idempotent rerun (changed=false, the same requests)."""

from __future__ import annotations

import json
import re

import pytest

from helpers import aws
from helpers import run_tasks_counted
from helpers import sandbox_play

pytestmark = pytest.mark.integration

UPSTREAM, COPY = "amazon.aws", "nova.infra"

# AWS ids differ between the twins: masked to their kind.
_ID = re.compile(r"\b(vpc-cidr-assoc|subnet-cidr-assoc|vpc|subnet|igw)-[0-9a-f]{8,17}\b")


def _task(collection: str, module: str, options: str, check: bool) -> tuple[str, str]:
    """A step of run_tasks_counted: `collection`.`module` with `options`, in check mode if asked."""
    return "The resource", f"""    - name: The resource
      {collection}.{module}:
{options}
      check_mode: {str(check).lower()}
"""


def _writes(requests: dict) -> dict:
    return {action: n for action, n in requests.items() if not action.split(":")[1].startswith(("Describe", "Get"))}


def _twins(port: int, tmp_path, module: str, options_of, names: dict, saved: int, resource_of, check_saved: int = 0) -> dict:
    """Check mode, build and rerun with upstream and with the copy, each on its own twin; asserts what the copies
    promise (`saved` requests fewer to build, `check_saved` in check mode) and returns the copy's built result."""
    # Check mode, build and rerun of upstream's, then the copy's, in one ansible-playbook run; each step's requests
    # are its own. Results have the ids masked to their kind and the name to NAME.
    steps = [_task(collection, module, options_of(collection), check)
             for collection in (UPSTREAM, COPY) for check in (True, False, False)]
    counted = run_tasks_counted(port, tmp_path, sandbox_play(f"{module}, upstream's and the copy"), steps)
    runs = {
        collection: [(_masked(result, names[collection]), requests) for result, requests in counted[3 * i:3 * i + 3]]
        for i, collection in enumerate((UPSTREAM, COPY))
    }
    (up_check, up_check_requests), (up_built, up_requests), (up_again, up_again_requests) = runs[UPSTREAM]
    (check, check_requests), (built, requests), (again, again_requests) = runs[COPY]

    # Check mode: nothing written, the same answer.
    assert check["changed"] is True and check == up_check
    assert _writes(check_requests) == _writes(up_check_requests) == {}
    assert sum(up_check_requests.values()) - sum(check_requests.values()) == check_saved, (up_check_requests, check_requests)

    # The build: the same result, the same writes, exactly `saved` reads fewer, the same resource afterwards.
    assert built["changed"] is True and built == up_built
    assert _writes(requests) == _writes(up_requests) != {}
    assert sum(up_requests.values()) - sum(requests.values()) == saved, (up_requests, requests)
    assert resource_of(names[COPY]) == resource_of(names[UPSTREAM])

    # The rerun of an existing resource is upstream's: unchanged, the same result and the same requests.
    assert again["changed"] is False and again == up_again == {**up_built, "changed": False}
    assert again_requests == up_again_requests and _writes(again_requests) == {}
    return built


def _masked(value, name: str):
    return json.loads(_ID.sub(r"\1-ID", json.dumps(value, default=str)).replace(name, "NAME"))


def test_the_vpc_copy_creates_a_vpc_as_upstream_does_with_eight_reads_fewer(empty_sandbox, tmp_path):
    port = empty_sandbox.port
    ec2 = aws(port, "ec2")

    def options_of(collection):
        name = f"copy-test-{collection}"
        return f"""        name: {name}
        cidr_block: 10.40.0.0/16
        dns_support: true
        dns_hostnames: true
        tags:
          Project: nova"""

    def vpc_state(name):
        (vpc,) = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"]
        attributes = {attribute: ec2.describe_vpc_attribute(VpcId=vpc["VpcId"], Attribute=attribute)
                      for attribute in ("enableDnsSupport", "enableDnsHostnames")}
        return _masked({"vpc": vpc, "dns_support": attributes["enableDnsSupport"]["EnableDnsSupport"],
                        "dns_hostnames": attributes["enableDnsHostnames"]["EnableDnsHostnames"]}, name)

    names = {collection: f"copy-test-{collection}" for collection in (UPSTREAM, COPY)}
    # Saved: the lookup's repeated query (also in check mode), 2 of the 3 waits for the new VPC, the 2 DNS reads before
    # writing them, the read-back of the DNS support it did not write, and the final waiter and read.
    built = _twins(port, tmp_path, "ec2_vpc_net", options_of, names, 8, vpc_state, check_saved=1)
    assert built["vpc"]["tags"] == {"Project": "nova", "Name": "NAME"} and built["vpc"]["state"] == "available"
    assert vpc_state(names[COPY])["dns_hostnames"] == {"Value": True}


@pytest.mark.parametrize("tier", ["public", "private"])
def test_the_subnet_copy_creates_a_subnet_as_upstream_does_with_three_reads_fewer(empty_sandbox, tmp_path, tier):
    port = empty_sandbox.port
    ec2 = aws(port, "ec2")
    # Twin VPCs with the same CIDR, so the twin subnets have the same CIDR too.
    vpc_ids = {collection: ec2.create_vpc(CidrBlock="10.41.0.0/16")["Vpc"]["VpcId"] for collection in (UPSTREAM, COPY)}
    az = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]

    def options_of(collection):
        return f"""        vpc_id: {vpc_ids[collection]}
        cidr: 10.41.1.0/24
        az: {az}
        map_public: {str(tier == "public").lower()}
        wait: true
        tags:
          Project: nova
          Name: copy-test-{collection}-{tier}"""

    def subnet_state(name):
        (subnet,) = ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": [name]}])["Subnets"]
        return _masked(subnet, name)

    names = {collection: f"copy-test-{collection}-{tier}" for collection in (UPSTREAM, COPY)}
    # Saved: DescribeTags, and 2 of upstream's 3 reads of the new subnet in a row.
    built = _twins(port, tmp_path, "ec2_vpc_subnet", options_of, names, 3, subnet_state)
    assert built["subnet"]["map_public_ip_on_launch"] is (tier == "public")
    assert built["subnet"]["state"] == "available" and built["subnet"]["tags"]["Project"] == "nova"


def test_the_igw_copy_creates_and_attaches_a_gateway_as_upstream_does_with_two_reads_fewer(empty_sandbox, tmp_path):
    port = empty_sandbox.port
    ec2 = aws(port, "ec2")
    vpc_ids = {collection: ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"] for collection in (UPSTREAM, COPY)}

    def options_of(collection):
        return f"""        vpc_id: {vpc_ids[collection]}
        tags:
          Project: nova
          Name: copy-test-{collection}-igw"""

    def igw_state(name):
        (igw,) = ec2.describe_internet_gateways(Filters=[{"Name": "tag:Name", "Values": [name]}])["InternetGateways"]
        return _masked(igw, name)

    names = {collection: f"copy-test-{collection}-igw" for collection in (UPSTREAM, COPY)}
    # Saved: DescribeTags, and the attachment waiter's read before the final read.
    built = _twins(port, tmp_path, "ec2_vpc_igw", options_of, names, 2, igw_state)
    assert built["gateway_id"] == "igw-ID" and built["tags"] == {"Project": "nova", "Name": "NAME"}
    assert igw_state(names[COPY])["Attachments"] == [{"State": "available", "VpcId": "vpc-ID"}]


ROUTE_TABLE = """    - name: The route table
      {module}:
        vpc_id: {vpc_id}
        lookup: tag
        tags:
          Name: {name}
        subnets: [{subnet}]
        routes: []
      register: route_table
"""


def test_the_route_table_copy_takes_a_subnet_from_another_table_in_one_run(empty_sandbox, tmp_path):
    """A subnet associated with another table (changed by hand): upstream disassociates it and returns, which leaves it
    on the VPC's main table until the next run (and the copy, waiting for the association, used to wait 30 s); the
    copy associates it with its table in the same run."""
    port = empty_sandbox.port
    ec2 = aws(port, "ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    modules = ("amazon.aws.ec2_vpc_route_table", "nova.infra.ec2_vpc_route_table")
    setups = {}
    for index, module in enumerate(modules):
        subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{index}.0/24")["Subnet"]["SubnetId"]
        other = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=other, SubnetId=subnet)
        setups[module] = subnet, other
    # Upstream's table, the copy's, and the copy's again, in one run (each twin has its own subnet and table).
    steps = [("The route table", ROUTE_TABLE.format(module=module, vpc_id=vpc_id, name=f"twin-{index}", subnet=setups[module][0]))
             for index, module in enumerate(modules)]
    counted = run_tasks_counted(port, tmp_path, sandbox_play("Twin route tables"), steps + steps[1:])
    placed = {}
    for module, (result, _requests) in zip(modules, counted[:2], strict=True):
        subnet, other = setups[module]
        assert result["changed"] is True
        tables = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])
        placed[module] = [table["RouteTableId"] for table in tables["RouteTables"]], result["route_table"]["id"], other
    again, again_requests = counted[2]
    assert again["changed"] is False
    assert not [action for action in again_requests if not action.split(":")[1].startswith("Describe")]

    upstream_tables = placed["amazon.aws.ec2_vpc_route_table"][0]
    assert upstream_tables == []  # upstream: on the main table, its own table not associated yet
    copy_tables, copy_table, other = placed["nova.infra.ec2_vpc_route_table"]
    assert copy_tables == [copy_table] and other not in copy_tables
