"""People as they behave, as locust users: residents who browse then vote through the whole
flow, replayed voters of a pabulib file, readers who only browse, bots that hammer the cast
or replay forms from a few addresses, verifiers working the console. ``CONFIG`` is set by
the runner before it starts.

Every request of a resident carries the resident's own address in X-Forwarded-For (the
generator is a trusted proxy of the staging copy), so per-address limits and the fraud
signals see many residents, as they would in town."""

from __future__ import annotations

import html
import random
import re
import threading
from collections import deque
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pyotp
from locust import HttpUser, between, constant_pacing, task

from loadtests.readiness.people import Resident as Person
from loadtests.readiness.people import resident

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CHOICE = re.compile(
    r'<input type="checkbox" name="project" value="(\d+)"[^>]*>\s*<span class="choice">'
    r'<label for="[^"]*"><span class="number">([^<]*)</span>'
)
STREET = re.compile(r'<option value="([^"]+)">')
CODE = re.compile(r"\b(\d{6})\b")
RECEIPT = re.compile(r'id="receipt-code">([^<]+)<')
ERROR = re.compile(r'<p class="error" id="([^"]+)-error">([^<]+)<')
BOT_ADDRESSES = ["198.51.100.7", "198.51.100.8", "198.51.100.9"]  # TEST-NET-2


@dataclass
class Config:
    edition: str = ""
    pacing_seconds: float = 30.0
    staff_email: str | None = None
    staff_password: str | None = None
    staff_totp_secret: str | None = None
    streets: list[str] = field(default_factory=list)
    acknowledged: int = 0  # casts the server answered with the way to their receipt
    receipts: list[str] = field(default_factory=list)  # receipt codes residents read
    replay: deque = field(default_factory=deque)  # pabulib votes still to cast
    replayed: list[Any] = field(default_factory=list)  # votes whose cast was acknowledged
    replay_failed: list[Any] = field(default_factory=list)  # votes whose flow failed
    stopping: bool = False  # no resident starts a new flow
    in_flight: int = 0  # residents between the clause and the receipt
    lock: threading.Lock = field(default_factory=threading.Lock)
    rng: random.Random = field(default_factory=lambda: random.Random(2027))


CONFIG = Config()


def why(page: str) -> str:
    """The page's first error (field: message), to say why a form was refused."""
    found = ERROR.search(page)
    return f"; {found.group(1)}: {html.unescape(found.group(2))}" if found else ""


def _token(text: str) -> str:
    match = CSRF.search(text)
    return match.group(1) if match else ""


@contextmanager
def _in_flight():
    """A resident between the clause and the receipt: the runner waits for these to finish
    before it stops a stage, so no cast is cut off between the server and the generator."""
    CONFIG.in_flight += 1
    try:
        yield
    finally:
        CONFIG.in_flight -= 1


def ballot_of(page: str) -> dict[str, str]:
    """Project number -> the id its box sends, as the choices page lists them."""
    return {html.unescape(number): pid for pid, number in CHOICE.findall(page)}


def vote_through(user: HttpUser, person: Person, pick: Callable[[dict[str, str]], list[str]]):
    """One resident's whole flow: the edition's page, the clause, the identity, the code
    read from the outbox, the choices (``pick`` gets the ballot: number -> id), the cast,
    the receipt page, the receipt checked. True once the cast is acknowledged."""
    slug = CONFIG.edition
    user.client.cookies.clear()
    xff = {"X-Forwarded-For": person.ip}
    get, post = user.client.get, user.client.post
    get(f"/e/{slug}", headers=xff, name="1 edition page")
    page = get(f"/e/{slug}/vote", headers=xff, name="2 clause").text
    post(
        f"/e/{slug}/vote",
        data={"acknowledge": "yes", "csrf_token": _token(page)},
        headers=xff,
        name="2 clause (acknowledge)",
    )
    page = get(f"/e/{slug}/vote/identity", headers=xff, name="3 identity").text
    form = person.form() | {"csrf_token": _token(page)}
    if not CONFIG.streets and (streets := STREET.findall(page)):
        form["street"] = random.choice(streets)
    with post(
        f"/e/{slug}/vote/identity",
        data=form,
        headers=xff,
        name="3 identity (submit)",
        catch_response=True,
    ) as response:
        if response.status_code != 200 or not (
            "/vote/code" in response.url or "/vote/choices" in response.url
        ):
            response.failure(f"the identity form was refused ({response.status_code}"
                             f"{why(response.text)})")  # fmt: skip
            return False
    if "/vote/code" in response.url:
        with get(
            "/_loadtest/code",
            params={"to": person.phone},
            headers=xff,
            name="4 code (read SMS)",
            catch_response=True,
        ) as sms:
            found = CODE.search(sms.text)
            if not found:
                sms.failure("no code in the outbox (is the target in load-test mode?)")
                return False
        with post(
            f"/e/{slug}/vote/code",
            data={"code": found.group(1), "csrf_token": _token(response.text)},
            headers=xff,
            name="4 code (submit)",
            catch_response=True,
        ) as response:
            if response.status_code != 200 or "/vote/choices" not in response.url:
                response.failure(f"the code was refused ({response.status_code}"
                                 f"{why(response.text)})")  # fmt: skip
                return False
    ballot = ballot_of(response.text)
    with post(
        f"/e/{slug}/vote/choices",
        data={"project": pick(ballot), "csrf_token": _token(response.text)},
        headers=xff,
        name="5 choices (submit)",
        catch_response=True,
    ) as response:
        if response.status_code != 200 or "/vote/review" not in response.url:
            response.failure(f"the choices were refused ({response.status_code}"
                             f"{why(response.text)})")  # fmt: skip
            return False
    with post(
        f"/e/{slug}/vote/cast",
        data={"csrf_token": _token(response.text)},
        headers=xff,
        name="6 cast",
        catch_response=True,
        allow_redirects=False,
    ) as cast:
        # The answer to the cast is the acknowledgment: to the receipt page, the receipt
        # (signed) in the address, whatever happens to that page afterwards.
        if cast.status_code != 303 or "/vote/receipt" not in cast.headers.get("location", ""):
            cast.failure(f"the cast was not acknowledged ({cast.status_code}{why(cast.text)})")
            return False
    with CONFIG.lock:
        CONFIG.acknowledged += 1
    code = None
    for attempt in ("6 receipt page", "6 receipt page (reloaded)"):  # as a resident would
        with get(cast.headers["location"], headers=xff, name=attempt, catch_response=True) as page:
            found = RECEIPT.search(page.text)
            if found:
                code = found.group(1).strip()
                break
            page.failure(f"no receipt on the receipt page ({page.status_code})")
    if code is None:
        return True
    with CONFIG.lock:
        CONFIG.receipts.append(code)
    page = get("/receipt", headers=xff, name="7 receipt check").text
    with post(
        "/receipt",
        data={"code": code, "csrf_token": _token(page)},
        headers=xff,
        name="7 receipt check (submit)",
        catch_response=True,
    ) as check:
        if check.status_code != 200:
            check.failure(f"the receipt check failed ({check.status_code})")
        elif "status-counted" not in check.text:
            check.failure("an acknowledged ballot is not counted")
    return True


class Resident(HttpUser):
    """Browses the edition, then votes once per pacing interval as a new resident for
    one project of the ballot."""

    weight = 1

    def wait_time(self):  # noqa: D401 - locust's hook
        return constant_pacing(CONFIG.pacing_seconds)(self)

    @task
    def vote(self) -> None:
        if CONFIG.stopping:
            return
        with _in_flight():
            person = resident(CONFIG.streets, CONFIG.rng)
            vote_through(self, person, lambda ballot: [random.choice(list(ballot.values()))])


class ReplayResident(HttpUser):
    """One voter of a pabulib file per pacing interval: a new resident with the voter's age
    (and sex) who ticks exactly the voter's projects (``CONFIG.replay``, a queue filled
    by the runner)."""

    weight = 1

    def wait_time(self):  # noqa: D401 - locust's hook
        return constant_pacing(CONFIG.pacing_seconds)(self)

    @task
    def vote(self) -> None:
        if CONFIG.stopping or not CONFIG.replay:
            return
        vote = CONFIG.replay.popleft()
        with _in_flight():
            person = resident(CONFIG.streets, CONFIG.rng, age=vote.age, sex=vote.sex)
            missing: list[str] = []

            def exactly(ballot: dict[str, str]) -> list[str]:
                missing.extend(number for number in vote.vote if number not in ballot)
                return [ballot[number] for number in vote.vote if number in ballot]

            acknowledged = vote_through(self, person, exactly)
            with CONFIG.lock:
                if acknowledged and not missing:
                    CONFIG.replayed.append(vote)
                else:
                    CONFIG.replay_failed.append(vote)


class Reader(HttpUser):
    """Reads the catalogue and never votes (most visitors)."""

    weight = 3
    wait_time = between(2, 6)

    @task
    def browse(self) -> None:
        xff = {"X-Forwarded-For": resident(CONFIG.streets, CONFIG.rng).ip}
        slug = CONFIG.edition
        self.client.get("/", headers=xff, name="read: home")
        page = self.client.get(f"/e/{slug}/projects", headers=xff, name="read: catalogue").text
        self.client.get(
            f"/e/{slug}/projects?q=a",
            headers=xff | {"HX-Request": "true"},
            name="read: catalogue filter (htmx)",
        )
        numbers = re.findall(rf'href="/e/{re.escape(slug)}/projects/(\d+)"', page)
        if numbers:
            self.client.get(
                f"/e/{slug}/projects/{random.choice(numbers)}", headers=xff, name="read: project"
            )


class Bot(HttpUser):
    """Hammers the cast and replays a form from a few addresses: every answer must be a
    refusal (4xx), never a ballot and never a server error."""

    weight = 1
    wait_time = between(0.2, 1.0)

    def _refused(self, response) -> None:
        if 400 <= response.status_code < 500:
            response.success()
        else:
            response.failure(f"a bot's request was not refused ({response.status_code})")

    @task
    def hammer(self) -> None:
        xff = {"X-Forwarded-For": random.choice(BOT_ADDRESSES)}
        slug = CONFIG.edition
        with self.client.post(
            f"/e/{slug}/vote/cast",
            data={"csrf_token": "replayed"},
            headers=xff,
            name="bot: cast without a session",
            catch_response=True,
            allow_redirects=False,
        ) as response:
            self._refused(response)
        with self.client.post(
            f"/e/{slug}/vote/identity",
            data=resident(CONFIG.streets, CONFIG.rng).form() | {"csrf_token": "replayed"},
            headers=xff,
            name="bot: replayed identity form",
            catch_response=True,
            allow_redirects=False,
        ) as response:
            self._refused(response)


class Verifier(HttpUser):
    """A member of the verification team working the console while residents vote: the
    cases of the edition, its turnout, a ballot found by the receipt a resident brought
    and opened, a case opened; the request logs."""

    weight = 1
    wait_time = between(3, 8)

    def on_start(self) -> None:
        self.logged_in = False
        if not (CONFIG.staff_email and CONFIG.staff_password and CONFIG.staff_totp_secret):
            return
        page = self.client.get("/staff/login", name="staff: login").text
        page = self.client.post(
            "/staff/login",
            data={
                "email": CONFIG.staff_email,
                "password": CONFIG.staff_password,
                "csrf_token": _token(page),
            },
            name="staff: login (submit)",
        ).text
        with self.client.post(
            "/staff/login/code",
            data={
                "code": pyotp.TOTP(CONFIG.staff_totp_secret).now(),
                "csrf_token": _token(page),
            },
            name="staff: second factor",
            catch_response=True,
        ) as response:
            self.logged_in = "/staff/login" not in response.url
            if not self.logged_in:
                response.failure("the verifier could not log in")

    @task
    def work(self) -> None:
        if not self.logged_in:
            return
        console = f"/staff/verify/{CONFIG.edition}"
        cases = self.client.get(console, name="verify: cases").text
        self.client.get(f"{console}/turnout", name="verify: turnout")
        with CONFIG.lock:
            receipt = random.choice(CONFIG.receipts) if CONFIG.receipts else None
        if receipt:
            page = self.client.get(f"{console}/find", name="verify: find").text
            with self.client.post(
                f"{console}/find",
                data={"by": "receipt", "code": receipt, "csrf_token": _token(page)},
                name="verify: find by receipt (submit)",
                catch_response=True,
            ) as found:
                ballots = re.findall(rf'href="{re.escape(console)}/ballots/(\d+)"', found.text)
                if not ballots:
                    found.failure("the ballot of an acknowledged receipt was not found")
            if ballots:
                self.client.get(f"{console}/ballots/{ballots[0]}", name="verify: a ballot")
        numbers = re.findall(rf'href="{re.escape(console)}/cases/(\d+)"', cases)
        if numbers:
            self.client.get(f"{console}/cases/{random.choice(numbers)}", name="verify: a case")
        self.client.get("/staff/logs", name="staff: request logs")
