"""Which address a request is counted under, and when X-Forwarded-For is believed."""

from __future__ import annotations

import ipaddress

import pytest

from accord.cli import build_parser
from accord.config import ConfigError, load_settings
from accord.http.client_address import MAX_FORWARDED_HOPS, client_address, client_key

PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8"))


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        # No trusted peer: the header is whatever the client wrote.
        ("203.0.113.5", ["198.51.100.1"], "203.0.113.5"),
        # A trusted proxy appended the address it saw.
        ("10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
        # The client's own entries, left of the proxy's, are ignored.
        ("10.0.0.2", ["6.6.6.6, 198.51.100.1"], "198.51.100.1"),
        # Two trusted proxies in a chain, the header split over two lines.
        ("10.0.0.2", ["6.6.6.6, 198.51.100.1", "10.1.1.1"], "198.51.100.1"),
        # Garbage where the client should be: the last trusted hop is all we know.
        ("10.0.0.2", ["not-an-address"], "10.0.0.2"),
        ("10.0.0.2", ["198.51.100.1, junk, 10.1.1.1"], "10.1.1.1"),
        # No header at all from a trusted proxy.
        ("10.0.0.2", [], "10.0.0.2"),
        # Ports and brackets as some proxies write them; IPv4 seen through a dual-stack socket.
        ("10.0.0.2", ["198.51.100.1:4321"], "198.51.100.1"),
        ("fd00::1", ["[2001:db8::7]:443"], "2001:db8::7"),
        ("::ffff:10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
        # Nothing but trusted proxies: the leftmost one.
        ("10.0.0.2", ["10.9.9.9, 10.1.1.1"], "10.9.9.9"),
    ],
)
def test_client_address(peer, forwarded, client):
    assert client_address(peer, forwarded, PROXIES) == client


def test_without_trusted_proxies_the_peer_is_the_client():
    assert client_address("10.0.0.2", ["198.51.100.1"], ()) == "10.0.0.2"
    assert client_address(None, ["198.51.100.1"], PROXIES) == ""


def test_a_long_chain_is_read_only_to_the_bound():
    chain = ", ".join(["198.51.100.1"] + ["10.0.0.9"] * (MAX_FORWARDED_HOPS + 5))
    assert client_address("10.0.0.2", [chain], PROXIES) == "10.0.0.9"


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("198.51.100.1", "ip:198.51.100.1"),
        ("2001:db8:1:2:3:4:5:6", "ip:2001:db8:1:2::/64"),
        ("2001:db8:1:2::ffff", "ip:2001:db8:1:2::/64"),
        ("", "ip:"),
    ],
)
def test_client_key_counts_ipv6_by_its_64(address, key):
    assert client_key(address) == key


def _settings(argv, env=None):
    return load_settings(build_parser().parse_args(["serve", *argv]), env or {})


def test_trusted_proxies_setting():
    assert _settings([]).trusted_proxies == ()
    from_env = _settings([], {"ACCORD_TRUSTED_PROXIES": "10.0.0.0/8, ::1"}).trusted_proxies
    assert from_env == (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1"))
    flag = _settings(["--trusted-proxies", "192.0.2.1"], {"ACCORD_TRUSTED_PROXIES": "::1"})
    assert flag.trusted_proxies == (ipaddress.ip_network("192.0.2.1/32"),)
    with pytest.raises(ConfigError, match="ACCORD_TRUSTED_PROXIES"):
        _settings([], {"ACCORD_TRUSTED_PROXIES": "10.0.0.0/33"})
