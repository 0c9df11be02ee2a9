"""Availability Zone impairment in the sandbox: the AZ-loss drill's fault injector (playbooks/az-loss-drill.yml with
``az_drill_fault_injector: sandbox``). ``POST /_nova/zones {"zone": "us-west-2a", "state": "impaired"}`` does to
the emulator what losing a zone does to AWS, and ``{"zone": ..., "state": "available"}`` ends it:

* DescribeAvailabilityZones reports the zone ``impaired``, with a message (AWS's zone states: available,
  information, impaired, unavailable, constrained), so ``state=available`` filters leave it out;
* every NAT gateway in the zone's subnets goes ``failed`` (FailureCode/FailureMessage set); as on AWS, a failed
  NAT gateway's Elastic IP is disassociated and its interface deleted, so the address can be given to a replacement;
  routes through it carry no traffic;
* every running instance in the zone stops (state reason ``Server.InternalError``);
* Auto Scaling does what its EC2 health check does on AWS: an instance of a group that is stopped is marked
  ``Unhealthy``, terminated (a scaling activity says why) and replaced, in a zone that is not impaired (a launch in
  the impaired zone fails with InsufficientInstanceCapacity, recorded as a ``Failed`` activity: sandbox/patches.py).

Restoring the zone reports it ``available`` again and starts the instances the impairment stopped that still exist
(as FIS's ``aws:ec2:stop-instances`` does with ``startInstancesAfterDuration``). Failed NAT gateways stay failed, as
on AWS (which removes them after about an hour): the network role replaces them (site.yml).
"""

from __future__ import annotations

import threading
from typing import Any

ZONE_STATES = ("impaired", "available")

_LOCK = threading.RLock()
# zone name -> what the impairment did (returned by GET /_nova/zones and by the POST that restores it)
_IMPAIRED: dict[str, dict[str, Any]] = {}


def impaired_zone_names() -> set[str]:
    with _LOCK:
        return set(_IMPAIRED)


def _zone(name: str) -> Any:
    from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend

    for zones in RegionsAndZonesBackend.zones.values():
        for zone in zones:
            if zone.name == name:
                return zone
    raise ValueError(f"no such Availability Zone: {name!r}")


def _backends(region: str) -> list[tuple[Any, Any]]:
    """(EC2 backend, Auto Scaling backend) of every account that has used ``region``."""
    from moto.autoscaling.models import autoscaling_backends
    from moto.ec2.models import ec2_backends

    pairs = []
    for account_id, account in list(ec2_backends.items()):
        if region in account:
            pairs.append((account[region], autoscaling_backends[account_id][region]))
    return pairs


def _fail_nat_gateway(backend: Any, nat: Any, zone: str) -> None:
    nat.state = "failed"
    nat.__dict__.pop("_nova_phase", None)
    nat.failure_code = "InternalError"
    nat.failure_message = f"The NAT gateway failed: Availability Zone {zone} is impaired (nova sandbox)."
    eni = nat._eni
    for eip in list(backend.addresses):
        if eip.eni is eni and eni is not None:
            backend.disassociate_address(address=eip.public_ip)
    if eni is not None and eni.id in backend.enis:
        eni.delete()


def _replace_unhealthy(autoscaling: Any, stopped: set[str], zone: str) -> list[str]:
    """AWS's EC2 health check: a stopped group instance is unhealthy, terminated and replaced elsewhere."""
    from sandbox.patches import record_activity

    replaced = []
    for group in list(autoscaling.autoscaling_groups.values()):
        for state in [s for s in group.instance_states if s.instance.id in stopped]:
            instance = state.instance
            state.health_status = "Unhealthy"
            current = len(group.active_instances())
            cause = ("an instance was taken out of service in response to an EC2 health check indicating it has been"
                     " terminated or stopped.")
            record_activity(group, f"Terminating EC2 instance: {instance.id}", "Successful",
                            (instance.subnet_id, instance.availability_zone), (current, current - 1),
                            cause=f"At {zone} impairment {cause}")
            # Detaching keeps the desired capacity, so the group launches a replacement (in a healthy zone).
            autoscaling.terminate_instance(instance.id, should_decrement=False)
            replaced.append(instance.id)
    return replaced


def impair(zone_name: str, message: str | None = None) -> dict[str, Any]:
    zone = _zone(zone_name)
    with _LOCK:
        if zone_name in _IMPAIRED:
            return _IMPAIRED[zone_name]
        _IMPAIRED[zone_name] = done = {"zone": zone_name, "state": "impaired", "nat_gateways_failed": [],
                                       "instances_stopped": [], "instances_replaced": []}
        zone.state = "impaired"
        zone.messages = [{"Message": message or f"{zone_name} is impaired (nova sandbox AZ-loss drill)"}]
        for backend, autoscaling in _backends(zone.region_name):
            subnets = {s.id for s in backend.describe_subnets() if s.availability_zone == zone_name}
            for nat in list(backend.nat_gateways.values()):
                if nat.subnet_id in subnets and nat.state in ("pending", "available"):
                    _fail_nat_gateway(backend, nat, zone_name)
                    done["nat_gateways_failed"].append(nat.id)
            running = [i.id for i in backend.all_instances()
                       if i.availability_zone == zone_name and i._state.name in ("pending", "running")]
            if running:
                for instance, _previous in backend.stop_instances(running):
                    from moto.ec2.models.instances import StateReason

                    instance.state_reason = StateReason("Server.InternalError: Internal error on launch",
                                                        "Server.InternalError")
                done["instances_stopped"].extend(running)
                done["instances_replaced"].extend(_replace_unhealthy(autoscaling, set(running), zone_name))
        return done


def restore(zone_name: str) -> dict[str, Any]:
    zone = _zone(zone_name)
    with _LOCK:
        done = _IMPAIRED.pop(zone_name, None) or {"instances_stopped": [], "instances_replaced": []}
        zone.state = "available"
        zone.messages = []
        started = []
        for backend, _autoscaling in _backends(zone.region_name):
            stopped = [i for i in backend.all_instances()
                       if i.id in done["instances_stopped"] and i._state.name == "stopped"]
            if stopped:
                backend.start_instances([i.id for i in stopped])
                started.extend(i.id for i in stopped)
        return {"zone": zone_name, "state": "available", "instances_started": started}


def change(request: dict[str, Any]) -> dict[str, Any]:
    """Apply ``{"zone": NAME, "state": "impaired"|"available", "message": TEXT}``; ValueError on bad input."""
    if not isinstance(request, dict) or set(request) - {"zone", "state", "message"}:
        raise ValueError('expected {"zone": NAME, "state": "impaired"|"available"} (and an optional "message")')
    name, state = request.get("zone"), request.get("state")
    if not isinstance(name, str) or state not in ZONE_STATES:
        raise ValueError(f"zone must be a zone name and state one of {', '.join(ZONE_STATES)}")
    return impair(name, request.get("message")) if state == "impaired" else restore(name)


def clear() -> None:
    """Every zone available again, nothing else touched (moto's reset has emptied the backends)."""
    with _LOCK:
        for name in list(_IMPAIRED):
            zone = _zone(name)
            zone.state, zone.messages = "available", []
        _IMPAIRED.clear()


def public() -> dict[str, Any]:
    with _LOCK:
        return {"impaired": [dict(v) for v in _IMPAIRED.values()]}
