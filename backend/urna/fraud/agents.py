"""Which user agents are not a person's web browser: HTTP libraries and command-line
tools, crawlers, headless browsers, and a request that names no client at all.

Read with ``ua-parser`` (as the log statistics read browsers), once per distinct string
among the ballots a scan reads, never when a ballot is cast (the cast's path stays free
of it). Only what announces itself as a program is flagged: anything ua-parser names as a
browser is a person's, in-app browsers (Facebook, Instagram, TikTok), old phones' (Opera
Mini, UC Browser, KaiOS, Series 40) and text browsers included. A script that sends a
browser's string is for the other kinds (pace, timing, page views) to find."""

from __future__ import annotations

from functools import lru_cache

from ua_parser import parse as ua_parse

OTHER = "Other"  # ua-parser's name for a client it does not know
NAME_MAX = 50  # the fact's column; a crawler's name is read out of its own string
# ua-parser's families of HTTP libraries, command-line tools and scripted browsers
# (some it also calls a "Spider" device, most not).
PROGRAMS = frozenset(
    {
        "Apache-HttpClient",
        "axios",
        "curl",
        "Go-http-client",
        "GuzzleHttp",
        "HTTPClient",
        "HTTPie",
        "insomnia",
        "Java",
        "libwww-perl",
        "okhttp",
        "PhantomJS",
        "PostmanRuntime",
        "Python aiohttp",
        "Python Requests",
        "Python-urllib",
        "PycURL",
        "reqwest",
        "Scrapy",
        "Wget",
        "wget2",
    }
)
# Text browsers a person reads with (some with a braille display or a speech synthesiser)
# whose strings name no system ua-parser knows.
TEXT_BROWSERS = ("w3m/", "Lynx/", "Links ", "ELinks/", "URL/Emacs")


def unnamed(result) -> bool:
    """Nothing a browser names: no known browser, no system, no device (a program's own
    name and version, ``node``, ``Dart/3.2 (dart:io)``, a bare ``Mozilla/5.0``)."""
    return result.user_agent is None and result.os is None and result.device is None


@lru_cache(maxsize=50_000)
def agent_program(user_agent: str | None) -> str | None:
    """The client's name when ``user_agent`` is not a person's web browser (``""`` when
    the request named no client), else None."""
    agent = (user_agent or "").strip()
    if not agent:
        return ""
    result = ua_parse(agent)
    family = result.user_agent.family if result.user_agent else OTHER
    device = result.device.family if result.device else None
    if (
        "headless" in agent.lower()
        or family in PROGRAMS
        or device == "Spider"
        or (unnamed(result) and not agent.startswith(TEXT_BROWSERS))
    ):
        return family[:NAME_MAX]
    return None


BROWSER_MAX = 100  # what an evidence quotes of a string ua-parser does not know


@lru_cache(maxsize=50_000)
def agent_browser(user_agent: str | None) -> str:
    """A browser as a verifier tells it from another: its name and major version, its
    system and device, as ua-parser reads them ("Chrome 131 (Android 14, Samsung
    SM-A556B)"); the string itself when ua-parser knows no browser in it, "" for none."""
    agent = (user_agent or "").strip()
    if not agent:
        return ""
    result = ua_parse(agent)
    if result.user_agent is None or result.user_agent.family == OTHER:
        return agent[:BROWSER_MAX]
    name = " ".join(filter(None, (result.user_agent.family, result.user_agent.major)))
    system = result.os and ".".join(filter(None, (result.os.major, result.os.minor)))
    within = [
        f"{result.os.family} {system}".strip() if result.os else "",
        result.device.family if result.device and result.device.family != OTHER else "",
    ]
    within = [part for part in within if part]
    return f"{name} ({', '.join(within)})" if within else name
