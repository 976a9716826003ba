"""Before any load: the target answers, is in load-test mode (codes read from its outbox
at ``/_loadtest/code``; the mode is refused in production) and takes this generator's
X-Forwarded-For as the client's address (each resident's own). A target that fails any of
these would turn the whole run into errors or rate-limit refusals that say nothing about
its capacity, so the run stops here, with what to fix, in Polish and English."""

from __future__ import annotations

from urllib.parse import quote

import requests

from loadtests.readiness.replaydb import Refused

MODE_PATH = "/_loadtest/mode"
EDITIONS_PATH = "/_loadtest/editions"
PROBE_ADDRESS = "203.0.113.77"  # TEST-NET-3 (RFC 5737): never a real resident's
TIMEOUT_SECONDS = 10.0


def preflight(target: str, edition: str | None = None) -> None:
    """Return when the target is ready for a load test (and, given an ``edition``, votes
    in it); ``Refused`` with what to fix."""
    url = target.rstrip("/") + MODE_PATH
    try:
        response = requests.get(
            url, headers={"X-Forwarded-For": PROBE_ADDRESS}, timeout=TIMEOUT_SECONDS
        )
    except requests.RequestException as error:
        raise Refused(
            f"Cel {target} nie odpowiada ({type(error).__name__}). Sprawdź --target.\n"
            f"The target {target} does not answer ({type(error).__name__}). Check --target."
        ) from error
    if response.status_code == 404:
        raise Refused(
            f"Cel {target} nie jest w trybie testu obciążenia ({MODE_PATH}: 404). Uruchom kopię "
            "testową z URNA_LOADTEST_MODE=true (kody zostają w skrzynce nadawczej; tryb jest "
            "odrzucany w produkcji). Nie wygenerowano żadnego obciążenia.\n"
            f"The target {target} is not in load-test mode ({MODE_PATH}: 404). Start the staging "
            "copy with URNA_LOADTEST_MODE=true (codes stay in its outbox; the mode is refused "
            "in production). No load was generated."
        )
    try:
        answer = response.json() if response.status_code == 200 else {}
    except ValueError:
        answer = {}
    if not answer.get("loadtest_mode"):
        raise Refused(
            f"Cel {target} odpowiada na {MODE_PATH} kodem {response.status_code}, nie trybem "
            "testu obciążenia. Nie wygenerowano żadnego obciążenia.\n"
            f"The target {target} answers {MODE_PATH} with {response.status_code}, not with "
            "load-test mode. No load was generated."
        )
    client = answer.get("client")
    if client != PROBE_ADDRESS:
        raise Refused(
            f"Cel nie ufa nagłówkowi X-Forwarded-For od generatora (widzi adres {client}): "
            f"dodaj adres generatora do URNA_TRUSTED_PROXIES celu, inaczej wszyscy głosujący "
            "mają jeden adres i trafiają w limity. Nie wygenerowano żadnego obciążenia.\n"
            f"The target does not trust the generator's X-Forwarded-For (it sees {client}): "
            "add the generator's address to the target's URNA_TRUSTED_PROXIES, or every "
            "resident shares one address and meets the rate limits. No load was generated."
        )
    if edition is not None:
        edition_votes(target, edition)


def edition_votes(target: str, edition: str) -> None:
    """The edition exists on the target and its vote can begin (open, with its clause):
    else every resident's journey would end at its first step, and the verdict would blame
    the load for what is the setup."""
    url = f"{target.rstrip('/')}/e/{quote(edition, safe='')}/vote"
    try:
        status = requests.get(
            url, headers={"X-Forwarded-For": PROBE_ADDRESS}, timeout=TIMEOUT_SECONDS
        ).status_code
    except requests.RequestException as error:
        status = type(error).__name__
    if status == 404:
        raise Refused(
            f"Cel nie ma edycji {edition} (sprawdź --edition). Nie wygenerowano żadnego "
            "obciążenia.\n"
            f"The target has no edition {edition} (check --edition). No load was generated."
        )
    if status != 200:
        raise Refused(
            f"Głosowanie w edycji {edition} nie może się zacząć: {url} odpowiada {status} "
            "(czy głosowanie trwa i czy jest klauzula informacyjna?). Nie wygenerowano "
            "żadnego obciążenia.\n"
            f"Voting in edition {edition} cannot begin: {url} answers {status} (is voting open, "
            "is its information clause published?). No load was generated."
        )


def edition_pick(target: str) -> str:
    """The edition to load when the operator named none: the target's only edition open for
    online voting; ``Refused`` naming them when there are none or several."""
    url = target.rstrip("/") + EDITIONS_PATH
    try:
        response = requests.get(url, timeout=TIMEOUT_SECONDS)
        voting = response.json()["voting"] if response.status_code == 200 else None
    except (requests.RequestException, ValueError, KeyError, TypeError):
        voting = None
    if voting is None:
        raise Refused(
            f"Nie udało się odczytać edycji celu ({url}): podaj --edition (make loadtest "
            "EDITION=…). Nie wygenerowano żadnego obciążenia.\n"
            f"Could not read the target's editions ({url}): give --edition (make loadtest "
            "EDITION=…). No load was generated."
        )
    slugs = [item["slug"] for item in voting]
    if len(slugs) == 1:
        return slugs[0]
    if not slugs:
        raise Refused(
            "Na celu nie trwa głosowanie internetowe w żadnej edycji: otwórz głosowanie w "
            "panelu albo podaj --edition. Nie wygenerowano żadnego obciążenia.\n"
            "No edition is open for online voting at the target: open voting in the console "
            "or give --edition. No load was generated."
        )
    listed = ", ".join(slugs)
    raise Refused(
        f"Głosowanie trwa w kilku edycjach ({listed}): wybierz jedną przez --edition "
        "(make loadtest EDITION=…). Nie wygenerowano żadnego obciążenia.\n"
        f"Voting is open in several editions ({listed}): choose one with --edition "
        "(make loadtest EDITION=…). No load was generated."
    )
