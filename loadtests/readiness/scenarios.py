"""People as they behave, as locust users: residents who browse then vote through the whole
flow, readers who only browse, bots that hammer the cast or replay forms from a few
addresses, verifiers working the console. ``CONFIG`` is set by the runner before it starts.

Every request of a resident carries the resident's own address in X-Forwarded-For (the
generator is a trusted proxy of the staging copy), so per-address limits and the fraud
signals see many residents, as they would in town."""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field

import pyotp
from locust import HttpUser, between, constant_pacing, task

from loadtests.readiness.people import resident

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PROJECT = re.compile(r'name="project" value="(\d+)"')
STREET = re.compile(r'<option value="([^"]+)">')
CODE = re.compile(r"\b(\d{6})\b")
RECEIPT = re.compile(r'id="receipt-code">([^<]+)<')
BOT_ADDRESSES = ["198.51.100.7", "198.51.100.8", "198.51.100.9"]  # TEST-NET-2


@dataclass
class Config:
    edition: str = ""
    pacing_seconds: float = 30.0
    staff_email: str | None = None
    staff_password: str | None = None
    staff_totp_secret: str | None = None
    streets: list[str] = field(default_factory=list)
    receipts: list[str] = field(default_factory=list)  # acknowledged casts
    lock: threading.Lock = field(default_factory=threading.Lock)
    rng: random.Random = field(default_factory=lambda: random.Random(2027))


CONFIG = Config()


def _token(text: str) -> str:
    match = CSRF.search(text)
    return match.group(1) if match else ""


class Resident(HttpUser):
    """Browses the edition, then votes once per pacing interval as a new resident."""

    weight = 1

    def wait_time(self):  # noqa: D401 - locust's hook
        return constant_pacing(CONFIG.pacing_seconds)(self)

    @task
    def vote(self) -> None:
        person = resident(CONFIG.streets, CONFIG.rng)
        slug = CONFIG.edition
        self.client.cookies.clear()
        xff = {"X-Forwarded-For": person.ip}
        get, post = self.client.get, self.client.post
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
            if "/vote/code" not in response.url and "/vote/choices" not in response.url:
                response.failure("the identity form was refused")
                return
        if "/vote/code" in response.url:
            sms = get(
                "/_loadtest/code",
                params={"to": person.phone},
                headers=xff,
                name="4 code (read SMS)",
            )
            found = CODE.search(sms.text)
            if not found:
                return
            response = post(
                f"/e/{slug}/vote/code",
                data={"code": found.group(1), "csrf_token": _token(response.text)},
                headers=xff,
                name="4 code (submit)",
            )
        projects = PROJECT.findall(response.text)
        if not projects:
            return
        response = post(
            f"/e/{slug}/vote/choices",
            data={"project": [random.choice(projects)], "csrf_token": _token(response.text)},
            headers=xff,
            name="5 choices (submit)",
        )
        with post(
            f"/e/{slug}/vote/cast",
            data={"csrf_token": _token(response.text)},
            headers=xff,
            name="6 cast",
            catch_response=True,
        ) as cast:
            receipt = RECEIPT.search(cast.text)
            if not receipt:
                cast.failure("no receipt after casting")
                return
        code = receipt.group(1).strip()
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
            if "status-counted" not in check.text:
                check.failure("an acknowledged ballot is not counted")


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
    """A member of the verification team reading the console while residents vote."""

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
        response = self.client.post(
            "/staff/login/code",
            data={
                "code": pyotp.TOTP(CONFIG.staff_totp_secret).now(),
                "csrf_token": _token(page),
            },
            name="staff: second factor",
        )
        self.logged_in = "/staff/login" not in response.url

    @task
    def work(self) -> None:
        if not self.logged_in:
            return
        for path, name in (
            ("/staff", "staff: console home"),
            ("/staff/logs", "staff: request logs"),
            ("/staff/stats", "staff: statistics"),
        ):
            self.client.get(path, name=name)
