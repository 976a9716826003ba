"""Residents voting over HTTP while the services under them fail: each a browser of its
own (an ``httpx.Client`` with its cookie jar) in a thread, going clause → identity → code
(read at ``/_loadtest/code`` as a person reads an SMS) → choices → review → cast →
receipt, and carrying on after every failure as a person would: press again, reload the
page, go back a step. Each request has a timeout, so a request that gets no answer is
recorded as such, never waited for for ever.

What a resident saw is recorded: every answer by status (or the transport error), the
receipt the site acknowledged, and whether the cast was ever sent."""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from tests.factories.voting import CSRF, RECEIPT, e164, person, project_ids

CHOSEN = ["C3", "N1"]  # ul. Lipowa is in area N: one citywide project, one district
TIMEOUT = httpx.Timeout(20.0, connect=5.0)
TRANSIENT = {500, 502, 503, 504}
SMS_CODE = re.compile(r"\b(\d{6})\b")


class Retry(Exception):  # noqa: N818 - a step to try again, not an error
    """The step did not go through (no answer, an outage page): try it again."""


class Back(Exception):  # noqa: N818
    """The site is elsewhere in the flow than this step: go to ``step``."""

    def __init__(self, step: str) -> None:
        super().__init__(step)
        self.step = step


@dataclass
class Resident:
    base_url: str
    slug: str
    who: dict[str, str] = field(default_factory=lambda: _lipowa())
    answers: Counter = field(default_factory=Counter)  # "GET 200", "POST ReadError", …
    receipt: str | None = None  # as the receipt page showed it
    casts: int = 0  # cast forms sent (more than one: pressed again after no answer)
    step: str = "clause"  # where this resident is: a later call to vote() goes on from here
    acknowledged_at: float | None = None
    failures: list[str] = field(default_factory=list)  # answers no outage explains

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.base_url, timeout=TIMEOUT)
        self.prefix = f"/e/{self.slug}/vote"

    # ---- one request, recorded ---------------------------------------------------

    def _request(self, method: str, url: str, **kw) -> httpx.Response:
        try:
            response = self.client.request(method, url, **kw)
        except httpx.TransportError as error:  # refused, reset, no answer in time
            self.answers[f"{method} {type(error).__name__}"] += 1
            raise Retry(type(error).__name__) from error
        self.answers[f"{method} {response.status_code}"] += 1
        if response.status_code in TRANSIENT:
            if response.status_code != 503 or "Retry-After" not in response.headers:
                self.failures.append(f"{method} {url} {response.status_code}")
            raise Retry(str(response.status_code))
        return response

    def _page(self, path: str) -> str:
        """A step's page with its form; a redirect says where the flow really is."""
        response = self._request("GET", self.prefix + path)
        if response.status_code == 303:
            location = response.headers["location"]
            if "/vote/receipt" in location:
                self._receipt(location)
                raise Back("done")
            raise Back(_step_of(location, self.prefix))
        if response.status_code == 409:  # flow out of order (the session is gone)
            raise Back("clause")
        if response.status_code != 200 or not CSRF.search(response.text):
            self.failures.append(f"GET {path} {response.status_code}")
            raise Back("clause")
        return response.text

    def _post(self, path: str, data: dict, page: str) -> httpx.Response:
        token = CSRF.search(page).group(1)
        return self._request("POST", self.prefix + path, data={**data, "csrf_token": token})

    def _receipt(self, location: str) -> None:
        """The receipt page (its token in the address: no session needed); retried."""
        for _ in range(200):
            try:
                response = self._request("GET", location)
            except Retry:
                time.sleep(0.2)
                continue
            match = RECEIPT.search(response.text)
            if response.status_code == 200 and match:
                self.receipt = match.group(1)
                self.acknowledged_at = time.monotonic()
                return
            self.failures.append(f"receipt page {response.status_code}")
            return
        raise Retry("the receipt page never answered")

    # ---- the steps -----------------------------------------------------------------

    def clause(self) -> str:
        page = self._page("")
        response = self._post("", {"acknowledge": "yes"}, page)
        if response.status_code != 303:
            raise Back("clause")
        return "identity"

    def identity(self) -> str:
        page = self._page("/identity")
        response = self._post("/identity", self.who, page)
        if response.status_code != 303:
            if response.status_code == 409:
                raise Back("clause")
            self.failures.append(f"identity {response.status_code}")
            raise Back("clause")
        return _step_of(response.headers["location"], self.prefix)

    def code(self) -> str:
        page = self._page("/code")
        answer = self._request("GET", "/_loadtest/code", params={"to": e164(self.who["phone"])})
        if answer.status_code != 200:
            raise Back("identity")  # no code sent yet (or it was lost): identify again
        code = SMS_CODE.search(answer.text).group(1)
        response = self._post("/code", {"code": code}, page)
        if response.status_code != 303:
            raise Back("identity")  # used up or expired: a new code
        return "choices"

    def choices(self) -> str:
        page = self._page("/choices")
        ids = project_ids(page)
        response = self._post("/choices", {"project": [ids[n] for n in CHOSEN]}, page)
        if response.status_code != 303:
            self.failures.append(f"choices {response.status_code}")
            raise Back("choices")
        return "review"

    def review(self) -> str:
        page = self._page("/review")
        self.casts += 1
        response = self._post("/cast", {}, page)
        location = response.headers.get("location", "")
        if response.status_code == 303 and "/vote/receipt?receipt=" in location:
            self._receipt(location)
            return "done"
        self.failures.append(f"cast {response.status_code} {response.text[:200]!r}")
        raise Back("review")

    # ---- the whole vote ----------------------------------------------------------

    def vote(self, deadline: float, stop: threading.Event | None = None) -> None:
        """Vote until the receipt is shown or ``deadline`` (monotonic) passes."""
        steps = {
            "clause": self.clause,
            "identity": self.identity,
            "code": self.code,
            "choices": self.choices,
            "review": self.review,
        }
        pause = 0.1
        while self.step != "done" and time.monotonic() < deadline:
            if stop is not None and stop.is_set():
                return
            try:
                self.step = steps[self.step]()
                pause = 0.1
            except Retry:
                time.sleep(pause + random.random() * pause)  # noqa: S311 - jitter only
                pause = min(pause * 2, 2.0)
            except Back as back:
                self.step = back.step

    def close(self) -> None:
        self.client.close()


def _step_of(location: str, prefix: str) -> str:
    """The step a redirect leads to (the clause for anything outside the vote)."""
    path = location.split("?")[0]
    rest = path.removeprefix(prefix).strip("/")
    known = {"identity", "code", "choices", "review"}
    return rest if path.startswith(prefix) and rest in known else "clause"


def _lipowa() -> dict[str, str]:
    return person(street="ul. Lipowa")


class Crowd:
    """``count`` residents voting at once, each followed by a new one when done, until
    ``stop()`` (or the end of its ``with`` block); then ``finish()`` lets the unfinished
    go on from where they were."""

    def __init__(self, base_url: str, slug: str, count: int, *, longest: float = 600) -> None:
        self.base_url, self.slug = base_url, slug
        self.residents: list[Resident] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._longest = longest
        self._threads = [
            threading.Thread(target=self._one_after_another, daemon=True) for _ in range(count)
        ]
        for thread in self._threads:
            thread.start()

    def _one_after_another(self) -> None:
        while not self.stopping.is_set():
            resident = Resident(self.base_url, self.slug)
            with self._lock:
                self.residents.append(resident)
            resident.vote(time.monotonic() + self._longest, stop=self.stopping)

    def __enter__(self) -> Crowd:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()  # also when the test failed half-way: no resident left running

    def stop(self) -> None:
        self.stopping.set()
        for thread in self._threads:
            thread.join(60)
        assert not any(thread.is_alive() for thread in self._threads), "a resident hung"

    def finish(self, seconds: float) -> None:
        """The residents shown no receipt yet go on, on a healthy app, for ``seconds``."""
        deadline = time.monotonic() + seconds
        threads = [
            threading.Thread(target=r.vote, args=(deadline,))
            for r in self.residents
            if r.receipt is None
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(seconds + 60)
        for resident in self.residents:
            resident.close()

    def answers(self) -> Counter:
        return sum((r.answers for r in self.residents), Counter())

    def failures(self) -> list[str]:
        return [f for r in self.residents for f in r.failures]

    def receipts_shown(self) -> int:
        return sum(r.receipt is not None for r in self.residents)
