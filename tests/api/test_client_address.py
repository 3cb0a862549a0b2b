"""Which address a request's client has, behind trusted proxies or none."""

from __future__ import annotations

from ipaddress import ip_network

from api.client_address import client_address

PROXIES = (ip_network("10.0.0.0/24"), ip_network("fd00::/64"))


def scope(peer: str | None, *forwarded: str) -> dict[str, object]:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return {"type": "http", "client": (peer, 5000) if peer else None, "headers": headers}


def test_without_trusted_proxies_the_header_is_ignored():
    assert client_address(scope("198.51.100.20", "203.0.113.7"), trusted=()) == "198.51.100.20"


def test_a_request_not_from_a_trusted_proxy_keeps_its_own_address():
    assert client_address(scope("198.51.100.20", "203.0.113.7"), trusted=PROXIES) == "198.51.100.20"


def test_the_first_untrusted_address_from_the_right_is_the_client():
    assert client_address(scope("10.0.0.5", "192.0.2.1, 203.0.113.7, 10.0.0.9"), trusted=PROXIES) == "203.0.113.7"
    assert (
        client_address(scope("10.0.0.5", "192.0.2.1", "203.0.113.7"), trusted=PROXIES) == "203.0.113.7"
    )  # two headers
    assert client_address(scope("fd00::5", "2001:db8::7"), trusted=PROXIES) == "2001:db8::7"


def test_a_proxy_that_forwards_nothing_usable_is_the_client():
    assert client_address(scope("10.0.0.5"), trusted=PROXIES) == "10.0.0.5"
    assert client_address(scope("10.0.0.5", "not-an-address"), trusted=PROXIES) == "10.0.0.5"
    assert client_address(scope("10.0.0.5", "garbage, 10.0.0.9"), trusted=PROXIES) == "10.0.0.9"
    assert client_address(scope(None, "203.0.113.7"), trusted=PROXIES) == "unknown"
