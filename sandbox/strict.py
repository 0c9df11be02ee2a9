"""Strict mode of the sandbox: moto lets through deletions AWS refuses (a security group, subnet or Elastic IP
still in use, an internet gateway with public IPs mapped, a VPC with endpoints) and has NAT gateways available/deleted at once; with
``strict`` on the sandbox refuses them with AWS's errors and gives NAT gateways their pending/deleting phases."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from sandbox.traffic import Settings

# --------------------------------------------------------------------------
# Strict mode: refuse what AWS refuses, and give NAT gateways a life cycle
# --------------------------------------------------------------------------

# Serialises the NAT gateway phase changes (the server is threaded; a phase must end exactly once).
_NAT_LOCK = threading.RLock()


def _ec2_error(code: str, message: str) -> Exception:
    from moto.ec2.exceptions import EC2ClientError

    return EC2ClientError(code, message)


def _live_nat_gateways(backend: Any) -> list[Any]:
    # A failed NAT gateway has no interface left (AWS): it keeps no subnet or address in use.
    return [nat for nat in list(backend.nat_gateways.values()) if nat.state not in ("deleted", "failed")]


def _is_terminated(instance: Any) -> bool:
    return instance._state.name == "terminated"


def _finish_nat_deletion(nat: Any) -> None:
    """What AWS does once a NAT gateway is ``deleted``: its Elastic IP is free and its interface gone."""
    backend = nat.ec2_backend
    eni = nat._eni
    for eip in list(backend.addresses):
        if eip.eni is eni:
            backend.disassociate_address(address=eip.public_ip)
    if eni.id in backend.enis:
        eni.delete()


def _nat_state(nat: Any) -> str:
    """The NAT gateway's state now; ends its phase (with the effects of deletion) once its time is up.

    Derived whenever the state is read, so DescribeNatGateways (and every check) sees
    pending -> available and deleting -> deleted at the right moment without a background thread.
    """
    with _NAT_LOCK:
        phase = nat.__dict__.get("_nova_phase")
        if phase and time.monotonic() < phase[1]:
            return phase[0]
        if phase:
            nat._nova_phase = None
            if phase[0] == "deleting":
                _finish_nat_deletion(nat)
                nat._nova_state = "deleted"
            else:
                nat._nova_state = "available"
        return nat._nova_state


def install_strict_mode(settings: Settings) -> None:
    """Patch moto so that, while ``settings.strict`` is on, EC2 answers as AWS does for resources in use.

    Each refusal carries AWS's error code and message. Off (the default), moto behaves as before.
    """
    from moto.ec2.models import EC2Backend
    from moto.ec2.models.nat_gateways import NatGateway

    def set_state(self: Any, value: str) -> None:
        self._nova_state = value

    NatGateway.state = property(_nat_state, set_state)

    original_create_nat = EC2Backend.create_nat_gateway
    original_delete_nat = EC2Backend.delete_nat_gateway

    def create_nat_gateway(self: Any, *args: Any, **kwargs: Any) -> Any:
        nat = original_create_nat(self, *args, **kwargs)
        if settings.strict and settings.nat_pending_seconds > 0:
            nat._nova_phase = ("pending", time.monotonic() + settings.nat_pending_seconds)
        return nat

    def delete_nat_gateway(self: Any, nat_gateway_id: str) -> Any:
        nat = self.nat_gateways.get(nat_gateway_id)
        if not settings.strict or nat is None:
            return original_delete_nat(self, nat_gateway_id)
        with _NAT_LOCK:
            if nat.state not in ("deleting", "deleted"):
                nat._nova_phase = ("deleting", time.monotonic() + settings.nat_deleting_seconds)
                _nat_state(nat)  # a zero-second phase ends here
        return nat

    # DeleteSecurityGroup: AWS refuses while an interface (an interface endpoint's too) or a live instance uses the group, or
    # another group's rule references it (a group's rules referencing itself do not count).
    original_delete_sg = EC2Backend.delete_security_group

    def delete_security_group(self: Any, name: str | None = None, group_id: str | None = None) -> Any:
        group = self.get_security_group_from_id(group_id) if group_id else (
            self.get_security_group_by_name_or_id(name) if name else None)
        if settings.strict and group is not None:
            settle(self)
            in_use = any(group.id in {getattr(g, "id", g) for g in eni.group_set}
                         for eni in list(self.enis.values()))
            in_use = in_use or any(
                group.id in {getattr(g, "id", g) for g in instance.security_groups} and not _is_terminated(instance)
                for instance in self.all_instances())
            # An interface endpoint's interfaces carry its groups on AWS; moto's carry none.
            in_use = in_use or any(
                group.id in (endpoint.security_group_ids or []) and endpoint.state != "deleted"
                for endpoint in list(self.vpc_end_points.values()))
            for other in [g for groups in list(self.groups.values()) for g in list(groups.values())]:
                if other.id == group.id:
                    continue
                for rule in [*other.ingress_rules, *other.egress_rules]:
                    ref = rule.source_group or {}
                    if ref.get("GroupId") == group.id or (ref.get("GroupName") == group.name
                                                          and other.vpc_id == group.vpc_id):
                        in_use = True
            if in_use:
                raise _ec2_error("DependencyViolation", f"resource {group.id} has a dependent object")
        return original_delete_sg(self, name=name, group_id=group_id)

    # DeleteSubnet: refused while a NAT gateway (not yet deleted), a live instance or any network
    # interface is in the subnet.
    original_delete_subnet = EC2Backend.delete_subnet

    def delete_subnet(self: Any, subnet_id: str) -> Any:
        if settings.strict:
            settle(self)
            in_use = (
                any(nat.subnet_id == subnet_id for nat in _live_nat_gateways(self))
                or any(instance.subnet_id == subnet_id and not _is_terminated(instance)
                       for instance in self.all_instances())
                or any(eni.subnet.id == subnet_id for eni in list(self.enis.values()))
            )
            if in_use:
                raise _ec2_error("DependencyViolation",
                                 f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
        return original_delete_subnet(self, subnet_id)

    # ReleaseAddress of an associated Elastic IP: AWS answers AuthFailure when a NAT gateway holds
    # it (also while the gateway is pending or deleting), InvalidIPAddress.InUse otherwise.
    original_release = EC2Backend.release_address

    def release_address(self: Any, address: str | None = None, allocation_id: str | None = None) -> Any:
        if settings.strict:
            settle(self)
            eips = [e for e in list(self.addresses)
                    if (address and e.public_ip == address) or (allocation_id and e.allocation_id == allocation_id)]
            for eip in eips:
                if any(nat._eni is eip.eni and eip.eni is not None for nat in self.nat_gateways.values()):
                    raise _ec2_error("AuthFailure", "You do not have permission to access the specified resource.")
                if eip.eni is not None or eip.instance is not None:
                    raise _ec2_error("InvalidIPAddress.InUse", f"Address {eip.public_ip} is in use.")
        return original_release(self, address=address, allocation_id=allocation_id)

    # DetachInternetGateway: refused while any interface in the VPC has a public address (Elastic
    # IPs of NAT gateways and instances, auto-assigned public IPs of live instances).
    original_detach = EC2Backend.detach_internet_gateway

    def detach_internet_gateway(self: Any, internet_gateway_id: str, vpc_id: str) -> Any:
        if settings.strict:
            settle(self)
            mapped = any(
                eni.subnet.vpc_id == vpc_id and eni.public_ip
                and not (eni.instance is not None and _is_terminated(eni.instance))
                for eni in list(self.enis.values())
            )
            if mapped:
                raise _ec2_error(
                    "DependencyViolation",
                    f"Network {vpc_id} has some mapped public address(es). "
                    "Please unmap those public address(es) before detaching the gateway.",
                )
        return original_detach(self, internet_gateway_id, vpc_id)

    # DeleteVpc: moto checks subnets, VPN gateways and route tables; AWS also refuses while an
    # internet gateway is attached, a non-default security group or an interface remains, or a VPC endpoint
    # (gateway endpoints have no interface) is not yet deleted.
    original_delete_vpc = EC2Backend.delete_vpc

    def delete_vpc(self: Any, vpc_id: str) -> Any:
        if settings.strict:
            settle(self)
            in_use = (
                any(igw.vpc is not None and igw.vpc.id == vpc_id for igw in list(self.internet_gateways.values()))
                or any(not sg.is_default and sg.name != "default" for sg in self.groups.get(vpc_id, {}).values())
                or any(eni.subnet.vpc_id == vpc_id for eni in list(self.enis.values()))
                or any(endpoint.vpc_id == vpc_id and endpoint.state != "deleted"
                       for endpoint in list(self.vpc_end_points.values()))
            )
            if in_use:
                raise _ec2_error("DependencyViolation", f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")
        return original_delete_vpc(self, vpc_id)

    EC2Backend.create_nat_gateway = create_nat_gateway
    EC2Backend.delete_nat_gateway = delete_nat_gateway
    EC2Backend.delete_security_group = delete_security_group
    EC2Backend.delete_subnet = delete_subnet
    EC2Backend.release_address = release_address
    EC2Backend.detach_internet_gateway = detach_internet_gateway
    EC2Backend.delete_vpc = delete_vpc


def settle(backend: Any) -> None:
    """End every NAT gateway phase whose time is up, with its effects (Elastic IP freed, interface gone)."""
    for nat in list(backend.nat_gateways.values()):
        _nat_state(nat)


def settle_all() -> None:
    """``settle`` every EC2 backend in use, so any EC2 request (DescribeAddresses too) sees the effects."""
    from moto.ec2.models import ec2_backends

    for account in list(ec2_backends.values()):
        for backend in list(account.values()):
            settle(backend)
