"""Trust X-Forwarded-For/-Proto only from configured proxies, so logs and limits see the
real public address and a client cannot spoof one."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(peer: str, forwarded_for: str | None, networks: Sequence[Network]) -> str:
    """The first untrusted address walking X-Forwarded-For from the right."""
    if not forwarded_for or not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer
    return hops[0] if hops else peer


class ProxyHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, trusted: Sequence[Network]) -> None:
        self.app = app
        self.trusted = list(trusted)
        # Whether a peer address is a trusted proxy, remembered per address: a request
        # from anywhere else costs a dictionary lookup, not an address parse.
        self._peers: dict[str, bool] = {}

    def _from_proxy(self, scope: Scope) -> bool:
        peer = scope["client"][0]
        trusted = self._peers.get(peer)
        if trusted is None:
            if len(self._peers) >= 4096:
                self._peers.clear()
            trusted = self._peers[peer] = _trusted(peer, self.trusted)
        return trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("client") and self._from_proxy(scope):
            peer, port = scope["client"]
            headers = dict(scope["headers"])
            forwarded = headers.get(b"x-forwarded-for")
            if forwarded is not None:
                ip = client_address(peer, forwarded.decode("latin-1"), self.trusted)
                scope["client"] = (ip, port)
                proto = headers.get(b"x-forwarded-proto", b"").decode("latin-1").strip()
                if proto in ("http", "https"):
                    scope["scheme"] = proto
        await self.app(scope, receive, send)
