"""What the experience tests check on every page they visit, at a phone's 320 px and a
desk's 1280 px: axe-core finds no WCAG 2.1 AA violation, nothing scrolls sideways, the
focused element is never hidden under a sticky box, and a screenshot is written to
``var/screenshots/`` (``<test>-<step>-<width>.png``) for a person to look at.

axe-core comes from npm (``make axe`` puts it in ``var/npm``); it is evaluated in the page
through the DevTools protocol, so the site's CSP (no inline script) stays as it is."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "var" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]  # fmt: skip
PHONE, DESK = 320, 1280
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for the module (Debian's; never downloaded)."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's Chromium.", pytrace=False)
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `make axe` (npm install axe-core).", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def new_page(browser: Browser, width: int, **kw) -> Page:
    context = browser.new_context(
        locale="pl-PL", viewport={"width": width, "height": 640 if width == PHONE else 900}, **kw
    )
    context.set_default_timeout(10_000)
    expect.set_options(timeout=10_000)
    return context.new_page()


def unique_name() -> str:
    return "Budżet UX " + uuid.uuid4().hex[:6]


_axe_source: str | None = None


def axe_violations(page: Page) -> list[dict]:
    """axe-core's WCAG 2.1 A and AA violations on the page as it is now."""
    global _axe_source
    if _axe_source is None:
        _axe_source = AXE.read_text(encoding="utf-8")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def sideways_overflow(page: Page) -> int:
    """How many pixels the page scrolls sideways (0 when it fits its width)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def check(page: Page, step: str, *, test: str) -> None:
    """The checks every visited page must pass, with the screenshot for a person."""
    page.wait_for_load_state("load")
    width = page.viewport_size["width"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{test}-{step}-{width}.png"), full_page=True)
    assert sideways_overflow(page) <= 0, f"{step} at {width} px scrolls sideways"
    violations = axe_violations(page)
    assert violations == [], f"{step} at {width} px:\n" + json.dumps(violations, indent=1)


def focus_hidden(page: Page) -> str | None:
    """What hides the focused element (a fixed or sticky box over it), or None."""
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          if (!el || el === document.body) return null;
          const r = el.getBoundingClientRect();
          if (r.bottom < 0 || r.top > innerHeight) return 'off screen';
          for (const box of document.querySelectorAll('body *')) {
            const pos = getComputedStyle(box).position;
            if ((pos !== 'sticky' && pos !== 'fixed') || box.contains(el)) continue;
            const b = box.getBoundingClientRect();
            const cover = Math.min(r.bottom, b.bottom) - Math.max(r.top, b.top);
            if (cover > 0 && b.left < r.right && b.right > r.left) return box.id || box.className;
          }
          return null;
        }"""
    )
