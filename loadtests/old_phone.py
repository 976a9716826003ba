"""A resident on an old phone: the whole vote in Chromium with a slow network and a slow CPU.

    python loadtests/old_phone.py [--profile slow-4g|3g|both] [--runs 3]   (make bench-phone)

The demo (``urna demo`` in a scratch directory, embedded SQLite, load-test mode so the
one-time code is read from the outbox) and, in the same run, the floor's bare app
(``../shared/bench/floor_app.py``); Debian's Chromium at 360×640 with the DevTools
protocol's network and CPU throttling:

- ``slow-4g``: Lighthouse's mobile profile (150 ms round trip, 1.6 Mb/s down, 750 kb/s up,
  CPU 4× slower);
- ``3g``: an old phone on a weak signal (300 ms, 400 kb/s both ways, CPU 6× slower).

The resident's path: home page, the edition, "Głosuj", the information clause ticked, the
identity typed, the code typed, one project ticked (the live summary updates), the review,
the cast, the receipt. Each step is timed from the click to the next page's ``load`` event
(the person's reading and typing is not counted: Playwright types at once); the bytes each
step moved over the network and its requests are counted. The floor is one page load of
the floor's bare app over the same network: the least any page can cost there, so the
journey's ratio to it (the time of its page loads ÷ as many floor loads) says how much of
the wait is Urna's and how much the network's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loadtests.bench_cast import (  # noqa: E402
    PG,
    ROOT,
    SHARED_BENCH,
    create_db,
    drop_db,
    free_port,
    start,
    stop,
    wait_ready,
)

CHROMIUM = "/usr/bin/chromium"
PROFILES = {
    # latency ms, download and upload bytes/s, CPU slowdown
    "slow-4g": (150, 1_600_000 / 8, 750_000 / 8, 4),
    "3g": (300, 400_000 / 8, 400_000 / 8, 6),
}


@dataclass
class Step:
    name: str
    seconds: float
    transferred: int  # bytes on the wire (headers and compressed bodies)
    requests: int


@dataclass
class Traffic:
    """What the page moved over the network, from the DevTools protocol's events."""

    transferred: int = 0
    requests: int = 0

    def on_finished(self, event: dict) -> None:
        self.transferred += int(event.get("encodedDataLength") or 0)
        self.requests += 1


def throttled_page(browser, profile: str) -> tuple[Page, Traffic]:
    latency, down, up, cpu = PROFILES[profile]
    context = browser.new_context(
        locale="pl-PL",
        viewport={"width": 360, "height": 640},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        user_agent=(
            "Mozilla/5.0 (Linux; Android 8.1.0; SM-J530F) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/109.0.0.0 Mobile Safari/537.36"
        ),
    )
    context.set_default_timeout(60_000)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    traffic = Traffic()
    cdp.on("Network.loadingFinished", traffic.on_finished)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": latency, "downloadThroughput": down,
         "uploadThroughput": up},
    )  # fmt: skip
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": cpu})
    return page, traffic


class Timer:
    def __init__(self, page: Page, traffic: Traffic) -> None:
        self.page, self.traffic, self.steps = page, traffic, []

    def step(self, name: str, action, arrived) -> None:
        """``action()`` (a click, a goto), then ``arrived()`` waits for the next page."""
        before_bytes, before_requests = self.traffic.transferred, self.traffic.requests
        began = time.perf_counter()
        action()
        arrived()
        self.page.wait_for_load_state("load")
        seconds = time.perf_counter() - began
        self.page.wait_for_timeout(300)  # late events of this step's requests
        self.steps.append(
            Step(
                name,
                seconds,
                self.traffic.transferred - before_bytes,
                self.traffic.requests - before_requests,
            )
        )


def vote(page: Page, traffic: Traffic, base: str, slug: str, code_of) -> list[Step]:
    timer = Timer(page, traffic)
    phone = f"+48600{secrets.randbelow(1_000_000):06d}"  # as the outbox writes it
    url = re.escape(base)
    timer.step("home page", lambda: page.goto(base + "/"), lambda: None)
    timer.step(
        "the edition",
        lambda: page.locator(f"a[href='/e/{slug}']").first.click(),
        lambda: expect(page).to_have_url(f"{base}/e/{slug}"),
    )
    timer.step(
        "the clause",
        lambda: page.locator(f"a[href='/e/{slug}/vote']").first.click(),
        lambda: expect(page).to_have_url(f"{base}/e/{slug}/vote"),
    )
    page.locator("#f-acknowledge").check()
    timer.step(
        "identity form",
        lambda: page.get_by_role("button", name="Dalej", exact=True).click(),
        lambda: expect(page).to_have_url(f"{base}/e/{slug}/vote/identity"),
    )
    street = page.locator("#streets option").first.get_attribute("value")
    for name, value in (
        ("first_name", "Jan"),
        ("last_name", "Telefon" + "".join(c for c in uuid.uuid4().hex if c.isalpha())[:6]),
        ("street", street),
        ("house_number", "7"),
        ("birth_date", "1961-05-04"),
        ("phone", phone),
    ):
        if page.locator(f"#f-{name}").count():
            page.fill(f"#f-{name}", value)
    timer.step(
        "identity sent",
        lambda: page.get_by_role("button", name="Dalej", exact=True).click(),
        lambda: expect(page).to_have_url(re.compile(rf"{url}/e/{slug}/vote/(code|choices)")),
    )
    if page.url.endswith("/code"):
        demo = page.locator("p.notice.demo")  # the demo shows the code it did not send
        shown = re.search(r"\b\d{6}\b", demo.inner_text()) if demo.count() else None
        page.fill("#f-code", shown.group(0) if shown else code_of(phone))
        timer.step(
            "code sent",
            lambda: page.get_by_role("button", name="Potwierdź", exact=True).click(),
            lambda: expect(page).to_have_url(f"{base}/e/{slug}/vote/choices"),
        )
    box = page.locator("input[type=checkbox][name=project]").first
    timer.step(
        "a project ticked (live summary)",
        lambda: box.check(),
        lambda: expect(page.locator("#summary")).to_contain_text(re.compile(r"[1-9] z ")),
    )
    timer.step(
        "the review",
        lambda: page.locator("button.primary", has_text="Przejdź do podsumowania").click(),
        lambda: expect(page).to_have_url(f"{base}/e/{slug}/vote/review"),
    )
    timer.step(
        "cast → receipt",
        lambda: page.get_by_role("button", name="Oddaję głos").click(),
        lambda: expect(page).to_have_url(re.compile(rf"{url}/e/{slug}/vote/receipt")),
    )
    expect(page.locator("#receipt-code")).to_be_visible()
    return timer.steps


def floor_load(browser, profile: str, floor_url: str) -> float:
    page, _ = throttled_page(browser, profile)
    page.goto(floor_url)  # the connection made, as the journey's are after its first page
    began = time.perf_counter()
    page.goto(floor_url + "/?again=1")
    seconds = time.perf_counter() - began
    page.context.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", choices=[*PROFILES, "both"], default="both")
    parser.add_argument("--runs", type=int, default=3, help="journeys per profile (median)")
    options = parser.parse_args()
    profiles = list(PROFILES) if options.profile == "both" else [options.profile]
    if not os.access(CHROMIUM, os.X_OK):
        sys.exit(f"{CHROMIUM} is missing: `make chromium` (Debian's Chromium)")
    port, floor_port = free_port(), free_port()
    floor_db = f"floorphone_{uuid.uuid4().hex[:8]}"
    asyncio.run(create_db(floor_db))
    procs = []
    with tempfile.TemporaryDirectory(prefix="urna-phone-") as scratch:
        try:
            env = {"URNA_LOADTEST_MODE": "true", "PYTHONPATH": str(ROOT / "backend")}
            env |= {"URNA_OTP_SEND_PER_IP": "1000/minute"}
            demo = start([sys.executable, "-m", "urna.cli", "demo", "--port", str(port)], env,
                         Path(scratch))  # fmt: skip
            procs.append(demo)
            floor = start(
                [sys.executable, "-m", "uvicorn", "floor_app:app", "--port", str(floor_port),
                 "--no-access-log", "--log-level", "warning"],
                {"LIMIT_DSN": f"{PG}/{floor_db}"}, SHARED_BENCH,
            )  # fmt: skip
            procs.append(floor)
            base, floor_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{floor_port}"
            wait_ready(base + "/healthz", demo, timeout=180)
            wait_ready(floor_url + "/", floor)
            slug = httpx.get(base + "/_loadtest/editions").json()["voting"][0]["slug"]

            def code_of(phone: str) -> str:
                text = httpx.get(base + "/_loadtest/code", params={"to": phone}).text
                return re.search(r"\b\d{6}\b", text).group(0)

            report(profiles, options.runs, base, slug, code_of, floor_url)
        finally:
            for proc in procs:
                stop(proc)
            asyncio.run(drop_db(floor_db))


def report(profiles, runs, base, slug, code_of, floor_url) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        for profile in profiles:
            journeys, floors = [], []
            for _ in range(runs):
                page, traffic = throttled_page(browser, profile)
                journeys.append(vote(page, traffic, base, slug, code_of))
                page.context.close()
                floors.append(floor_load(browser, profile, floor_url))
            latency, down, up, cpu = PROFILES[profile]
            print(f"\n{profile}: {latency} ms round trip, {down * 8 / 1000:.0f} kb/s down, "
                  f"{up * 8 / 1000:.0f} kb/s up, CPU {cpu}× slower; median of {runs}")  # fmt: skip
            print(f"{'step':34} {'seconds':>8} {'KB':>7} {'requests':>9}")
            for index, step in enumerate(journeys[0]):
                seconds = statistics.median(j[index].seconds for j in journeys)
                kb = statistics.median(j[index].transferred for j in journeys) / 1024
                requests = statistics.median(j[index].requests for j in journeys)
                print(f"{step.name:34} {seconds:8.2f} {kb:7.1f} {requests:9.0f}")
            total = statistics.median(sum(s.seconds for s in j) for j in journeys)
            kb = statistics.median(sum(s.transferred for s in j) for j in journeys) / 1024
            floor = statistics.median(floors)
            loads = len(journeys[0])
            print(f"{'whole vote (waiting only)':34} {total:8.2f} {kb:7.1f}")
            ratio = total / (loads * floor)
            print(f"floor: one bare page over the same network {floor:.2f} s; the vote's "
                  f"{loads} steps = {ratio:.2f}× as many floor pages")  # fmt: skip
        browser.close()


if __name__ == "__main__":
    main()
