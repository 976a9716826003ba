"""Trust X-Forwarded-For/-Proto only from configured proxies, so logs and limits see the
real public address and a client cannot spoof one.

An IPv4 address written IPv6-style (``::ffff:198.51.100.7``, from a dual-stack socket or
a balancer) is the IPv4 address: so it is trusted, logged, limited and grouped (its /24,
not one /48 holding every such address) as the IPv4 address it is."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_plain(text: str) -> Address:
    """The address ``text`` holds, an IPv4-mapped IPv6 one as IPv4; ValueError if none."""
    ip = ipaddress.ip_address(text)
    return (ip.ipv4_mapped or ip) if ip.version == 6 else ip


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = address_plain(address)
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
                return str(address_plain(hop))
            except ValueError:
                return peer
    return str(address_plain(hops[0])) if hops else peer


class ProxyHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, trusted: Sequence[Network]) -> None:
        self.app = app
        self.trusted = list(trusted)
        # Per peer address, whether it is a trusted proxy and the address as written
        # plainly, remembered: a request costs a dictionary lookup, not an address parse.
        self._peers: dict[str, tuple[bool, str]] = {}

    def _peer(self, peer: str) -> tuple[bool, str]:
        known = self._peers.get(peer)
        if known is None:
            if len(self._peers) >= 4096:
                self._peers.clear()
            try:
                plain = str(address_plain(peer))
            except ValueError:
                plain = peer
            known = self._peers[peer] = (_trusted(peer, self.trusted), plain)
        return known

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope.get("client"):
            await self.app(scope, receive, send)
            return
        peer, port = scope["client"]
        from_proxy, plain = self._peer(peer)
        if plain != peer:
            scope["client"] = (plain, port)
        if from_proxy:
            headers = dict(scope["headers"])
            forwarded = headers.get(b"x-forwarded-for")
            if forwarded is not None:
                ip = client_address(plain, forwarded.decode("latin-1"), self.trusted)
                scope["client"] = (ip, port)
                proto = headers.get(b"x-forwarded-proto", b"").decode("latin-1").strip()
                if proto in ("http", "https"):
                    scope["scheme"] = proto
        await self.app(scope, receive, send)
