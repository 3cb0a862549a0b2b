"""Who a request comes from, when the service may sit behind proxies.

The address a request arrives from is its client, unless that address is one of the trusted proxies
(REGISTRY_TRUSTED_PROXIES). Then X-Forwarded-For is read from its right end, where the trusted proxies
appended what they saw: the first address there that is not a trusted proxy is the client. Whatever stands
further left was written by the client itself and is never believed, so no one picks their own address
for the rate limits or the sign-in back-off by sending the header.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from starlette.datastructures import Headers
from starlette.types import Scope

Networks = tuple[IPv4Network | IPv6Network, ...]
UNKNOWN = "unknown"


def client_address(scope: Scope, *, trusted: Networks) -> str:
    """The client's address as text ("unknown" when the server was not told)."""
    peer = scope.get("client")
    address = peer[0] if peer else UNKNOWN
    if not trusted or not _is_trusted(address, trusted):
        return address
    forwarded = ",".join(Headers(scope=scope).getlist("x-forwarded-for"))
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        if _parse(hop) is None:  # not an address: no trusted proxy wrote it, so stop at the last one that did
            return address
        if not _is_trusted(hop, trusted):
            return hop
        address = hop
    return address


def _is_trusted(address: str, trusted: Networks) -> bool:
    parsed = _parse(address)
    return parsed is not None and any(parsed in network for network in trusted)


def _parse(text: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(text)
    except ValueError:
        return None
