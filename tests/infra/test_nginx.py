"""The proxies in infra/: every request reaches the app (its request log records every
HTTP request, static files included: the privacy policy's promise and the page views the
fraud signals read), per-address limits answer 429 before Python runs, and the visitor's
address is set by the proxy, never passed on from the client.

Checked on each location's effective directives, as nginx resolves them: what the
location sets, else what its server sets, else the file's top level; a directive set at
a level replaces all its lines from above (``proxy_set_header``, ``limit_req``: one set
in a location and the server's are gone)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

INFRA = Path(__file__).resolve().parents[2] / "infra"
CONFIGS = sorted(INFRA.glob("nginx*.conf"))
TOKEN = re.compile(r'"[^"]*"|\'[^\']*\'|[{};]|[^\s{};]+')


@dataclass
class Block:
    """A level of the config: its directives (name: each line's arguments) and blocks."""

    directives: dict[str, list[str]] = field(default_factory=dict)
    blocks: list[tuple[str, Block]] = field(default_factory=list)


def _parse(config: str) -> Block:
    text = re.sub(r"#[^\n]*", "", config)  # no '#' in these files but comments
    stack, words = [Block()], []
    for token in TOKEN.findall(text):
        if token == ";":
            stack[-1].directives.setdefault(words[0], []).append(" ".join(words[1:]))
            words = []
        elif token == "{":
            block = Block()
            stack[-1].blocks.append((" ".join(words), block))
            stack.append(block)
            words = []
        elif token == "}":
            stack.pop()
        else:
            words.append(token)
    assert len(stack) == 1 and not words, "unbalanced config"
    return stack[0]


def _children(block: Block, kind: str) -> list[tuple[str, Block]]:
    return [(head, child) for head, child in block.blocks if head.split()[0] == kind]


def _effective(*levels: Block) -> dict[str, list[str]]:
    """The directives in force at the innermost of ``levels`` (outermost first)."""
    merged: dict[str, list[str]] = {}
    for level in levels:
        merged.update(level.directives)
    return merged


def _locations(config: str) -> dict[str, dict[str, list[str]]]:
    """Each location (by its head) with its effective directives."""
    top = _parse(config)
    return {
        head: _effective(top, server, location)
        for _, server in _children(top, "server")
        for head, location in _children(server, "location")
    }


def _refusals(effective: dict[str, list[str]]) -> list[str]:
    """What a location lacks of the promises in this file's docstring."""
    headers = effective.get("proxy_set_header", [])
    wanted = {
        "proxy_pass": ["http://urna_app"],
        "proxy_http_version": ["1.1"],
        # the proxy's own view of the visitor, never the client's header appended to
        "X-Forwarded-For": ["X-Forwarded-For $remote_addr"],
        "X-Forwarded-Proto": ["X-Forwarded-Proto $scheme"],
        "Host": ["Host $host"],
        "Connection": ['Connection ""'],  # kept alive to the upstream
    }
    found = {name: [h for h in headers if h.split()[0] == name] for name in wanted}
    found |= {name: effective.get(name, []) for name in ("proxy_pass", "proxy_http_version")}
    missing = [name for name, lines in wanted.items() if found[name] != lines]
    limits = effective.get("limit_req", [])
    if not any(re.fullmatch(r"zone=\w+ burst=\d+ nodelay", line) for line in limits):
        missing.append("limit_req")
    return missing + [name for name in ("alias", "root", "return") if name in effective]


@pytest.mark.parametrize("path", CONFIGS, ids=lambda path: path.name)
def test_every_request_goes_to_the_app_within_a_per_address_limit(path):
    config = path.read_text()
    locations = _locations(config)
    assert locations
    for head, effective in locations.items():
        assert _refusals(effective) == [], head
    assert "limit_req_status 429;" in config
    zones = set(re.findall(r"limit_req_zone \$binary_remote_addr zone=(\w+):", config))
    assert zones and zones == set(re.findall(r"limit_req zone=(\w+)", config))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda path: path.name)
def test_pages_are_never_compressed(path):
    """Only /static/ turns gzip on (BREACH: a page carries the CSRF token)."""
    for head, effective in _locations(path.read_text()).items():
        assert (effective.get("gzip") == ["on"]) == (head == "location /static/"), head


def test_a_location_setting_one_header_loses_the_servers():
    """The check reads nginx's rule, not the text: a location that sets a header of its
    own (or a limit of its own) inherits none of the server's."""
    config = """
    server {
        limit_req zone=pages burst=60 nodelay;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        location / { proxy_pass http://urna_app; }
        location /own/ { proxy_pass http://urna_app; proxy_set_header X-Extra 1; }
        location /forms/ { proxy_pass http://urna_app; limit_req zone=forms burst=40 nodelay; }
    }
    """
    locations = _locations(config)
    refusals = {head: _refusals(effective) for head, effective in locations.items()}
    assert refusals == {
        "location /": [],
        "location /own/": ["X-Forwarded-For", "X-Forwarded-Proto", "Host", "Connection"],
        "location /forms/": [],
    }
    assert locations["location /forms/"]["limit_req"] == ["zone=forms burst=40 nodelay"]


def test_both_proxies_are_checked():
    assert [path.name for path in CONFIGS] == ["nginx.compose.conf", "nginx.conf"]
