"""Network guard for tests: loaded by any Python process started with this folder on PYTHONPATH.

Every connection (TCP, UDP send, DNS lookup) to anything but loopback is refused and written to the
file named by IMGCHECK_NETGUARD_LOG (one JSON line each, with the process id), so a test can fail
on any outbound attempt of ``imgcheck check``, ``scan`` or ``serve`` and of their child processes.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket

_LOG = os.environ.get("IMGCHECK_NETGUARD_LOG")
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", socket.gethostname()}


def _record(kind: str, target: object) -> None:
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"pid": os.getpid(), "kind": kind, "target": repr(target)}) + "\n")


def _local_host(host: object) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    host = str(host).split("%")[0].strip("[]")
    if host in _LOCAL_NAMES or host == "" or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or ip.is_unspecified or bool(mapped and mapped.is_loopback)


def _numeric(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    try:
        ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return False
    return True


def _allowed(sock: socket.socket, address: object) -> bool:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return True  # unix sockets, netlink: not the network
    return isinstance(address, tuple) and _local_host(address[0])


def _install() -> None:
    if not _LOG or getattr(socket, "_imgcheck_guard", False):
        return
    socket._imgcheck_guard = True
    cls = socket.socket
    real_connect, real_connect_ex, real_sendto = cls.connect, cls.connect_ex, cls.sendto
    real_getaddrinfo = socket.getaddrinfo

    def connect(self, address):
        if not _allowed(self, address):
            _record("connect", address)
            raise ConnectionRefusedError(111, "outbound connection blocked by the imgcheck test guard")
        return real_connect(self, address)

    def connect_ex(self, address):
        if not _allowed(self, address):
            _record("connect_ex", address)
            return 111
        return real_connect_ex(self, address)

    def sendto(self, data, *args):
        address = args[-1]
        if not _allowed(self, address):
            _record("sendto", address)
            raise ConnectionRefusedError(111, "outbound datagram blocked by the imgcheck test guard")
        return real_sendto(self, data, *args)

    def getaddrinfo(host, *args, **kwargs):
        if not _local_host(host) and not _numeric(host):  # numeric addresses are checked at connect
            _record("dns", host)
            raise socket.gaierror(socket.EAI_NONAME, "name lookup blocked by the imgcheck test guard")
        return real_getaddrinfo(host, *args, **kwargs)

    cls.connect, cls.connect_ex, cls.sendto = connect, connect_ex, sendto
    socket.getaddrinfo = getaddrinfo


_install()
