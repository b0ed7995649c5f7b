"""Ports handed to test and bench servers."""

from __future__ import annotations

import socket
from pathlib import Path

from suite.servers import LISTEN_PORTS, free_port


def ephemeral_ports() -> range:
    low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    return range(int(low), int(high) + 1)


def test_free_ports_lie_outside_the_range_outgoing_connections_take_theirs() -> None:
    ephemeral = ephemeral_ports()
    assert LISTEN_PORTS.stop <= ephemeral.start or LISTEN_PORTS.start >= ephemeral.stop


def test_a_free_port_is_never_handed_twice_and_can_be_bound() -> None:
    ports = [free_port() for _ in range(200)]
    assert len(set(ports)) == len(ports)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", ports[-1]))
