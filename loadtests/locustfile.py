"""Residents on a staging copy: browse, then vote, as before an edition opens.

    URNA_LOAD_EDITION=zielonowo-2027 .venv/bin/locust -f loadtests/locustfile.py \\
        --host http://127.0.0.1:8000 --headless -u 50 -r 5 -t 2m

Run it against a staging deployment whose edition confirms by ``none`` or shows demo codes
(``URNA_DEMO_SHOW_CODES=true``, never in production): the voting users read the code from
the page as a person reads their SMS. Each simulated resident has a unique identity. The
run fails (exit code 1) if more than 1 % of requests fail or the 95th percentile is over
the budget (``URNA_LOAD_P95_MS``, default 1500 ms), so the office gets a plain yes or no.
"""

from __future__ import annotations

import os
import random
import re

from locust import HttpUser, between, events, task

EDITION = os.environ.get("URNA_LOAD_EDITION", "zielonowo-2027")
P95_BUDGET_MS = float(os.environ.get("URNA_LOAD_P95_MS", "1500"))
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
DEMO_CODE = re.compile(r"(?:Twój kod to|Your code is) (\d{6})")
PROJECT = re.compile(r'name="project" value="(\d+)"')
STREET = re.compile(r'<option value="([^"]+)">')


class Resident(HttpUser):
    wait_time = between(1, 4)

    @task(5)
    def browse(self) -> None:
        self.client.get("/")
        self.client.get(f"/e/{EDITION}")
        self.client.get(f"/e/{EDITION}/projects")
        self.client.get(
            f"/e/{EDITION}/projects?q=park",
            headers={"HX-Request": "true"},
            name="/e/[slug]/projects (htmx)",
        )

    @task(1)
    def vote(self) -> None:
        self.client.cookies.clear()
        page = self.client.get(f"/e/{EDITION}/vote", name="/e/[slug]/vote").text
        token = CSRF.search(page).group(1)
        self.client.post(
            f"/e/{EDITION}/vote",
            data={"acknowledge": "yes", "csrf_token": token},
            name="/e/[slug]/vote (clause)",
        )
        page = self.client.get(f"/e/{EDITION}/vote/identity", name="/e/[slug]/vote/identity").text
        streets = STREET.findall(page) or ["ul. Lipowa"]
        identity = {
            "first_name": "Obciążenie",
            "last_name": "Test" + "".join(random.choice("abcdefghijklmnop") for _ in range(12)),
            "street": random.choice(streets),
            "house_number": str(random.randint(1, 150)),
            "birth_date": f"19{random.randint(40, 99)}-0{random.randint(1, 9)}-{random.randint(10, 28)}",  # noqa: E501
            "phone": "60" + "".join(random.choice("0123456789") for _ in range(7)),
            "csrf_token": CSRF.search(page).group(1),
        }
        response = self.client.post(
            f"/e/{EDITION}/vote/identity", data=identity, name="/e/[slug]/vote/identity (submit)"
        )
        if "/vote/code" in response.url:
            code = DEMO_CODE.search(response.text)
            if not code:
                response.failure("no demo code on the page: use confirmation none or demo codes")
                return
            response = self.client.post(
                f"/e/{EDITION}/vote/code",
                data={"code": code.group(1), "csrf_token": CSRF.search(response.text).group(1)},
                name="/e/[slug]/vote/code (submit)",
            )
        page = response.text
        projects = PROJECT.findall(page)
        if not projects:
            return
        choice = {"project": [projects[0]], "csrf_token": CSRF.search(page).group(1)}
        response = self.client.post(
            f"/e/{EDITION}/vote/choices", data=choice, name="/e/[slug]/vote/choices (submit)"
        )
        token = CSRF.search(response.text).group(1)
        with self.client.post(
            f"/e/{EDITION}/vote/cast",
            data={"csrf_token": token},
            name="/e/[slug]/vote/cast",
            catch_response=True,
        ) as cast:
            if "receipt-code" not in cast.text:
                cast.failure("no receipt after casting")


@events.quitting.add_listener
def verdict(environment, **_kwargs) -> None:
    stats = environment.stats.total
    p95 = stats.get_response_time_percentile(0.95) or 0
    failed = stats.fail_ratio
    holds = failed <= 0.01 and p95 <= P95_BUDGET_MS
    print(
        f"verdict: {'HOLDS' if holds else 'DOES NOT HOLD'} "
        f"(failures {failed:.2%}, p95 {p95:.0f} ms, budget {P95_BUDGET_MS:.0f} ms)"
    )
    if not holds:
        environment.process_exit_code = 1
