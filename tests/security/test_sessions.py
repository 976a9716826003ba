"""Session rotation and timeouts, with a fake clock (``FakeClock``: the sessions' wall
clock for the absolute lifetime and the in-process store's clock for idle expiry, both
moved forward by the test; nothing waits).

- the resident's id changes at the one-time-code confirmation, the staff id at the
  password and again at the TOTP step; the resident's old id lives on for the 60 s grace
  (a lost response must not lose the vote) and not a second longer, even if it is used
  meanwhile; the staff's old id dies at once;
- residents' and staff sessions end after the idle time and after the absolute lifetime
  even when used all along; an expired staff session gets the login page, an expired
  resident mid-vote a clear message and no ballot.
On Redis the idle timeout is the key's expiry (Redis's clock): checked by its TTL."""

from __future__ import annotations

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import func, select

from tests.conftest import make_settings
from tests.factories.editions import edition_create
from tests.factories.staff import csrf_of
from tests.factories.voting import person, post_form, reach_choices, reach_code
from tests.security.checklist import (
    FakeClock,
    clock_install,
    plain_client,
    staff_login_client,
    text_of,
)
from urna.core.cookies import ROTATION_GRACE_SECONDS
from urna.core.errors import CsrfRejected
from urna.main import create_app
from urna.voting.models import Ballot, Voter
from urna.voting.state import FlowOutOfOrder, VoteSessionEnded

pytestmark = pytest.mark.flow

IDLE, ABSOLUTE = 600, 1800  # residents'; staff get twice as long
LOGIN_PAGE = "/staff/login?next="


@pytest.fixture(scope="module")
async def timed(tmp_path_factory):
    """An app on the in-process store (its expiry is on a clock the test moves)."""
    from tests.conftest import fresh_database

    url, drop = await fresh_database(tmp_path_factory.mktemp("timed"))
    settings = make_settings(
        url,
        redis_url=None,
        session_idle_seconds=IDLE,
        session_absolute_seconds=ABSOLUTE,
        staff_session_idle_seconds=2 * IDLE,
        staff_session_absolute_seconds=2 * ABSOLUTE,
    )
    app = create_app(settings)
    async with LifespanManager(app):
        async with plain_client(app) as http:
            await http.get("/healthz")  # builds the middleware stack
        yield app
    await drop()


@pytest.fixture
def clock(timed) -> FakeClock:
    fake = FakeClock()
    clock_install(timed, fake)
    return fake


def _with_cookie(app, name: str, value: str) -> httpx.AsyncClient:
    http = plain_client(app)
    http.cookies.set(name, value)
    return http


async def _ballots(app, edition_id: int) -> tuple[int, int]:
    async with app.state.ctx.db() as session:
        ballots = await session.scalar(
            select(func.count()).select_from(Ballot).where(Ballot.edition_id == edition_id)
        )
        voters = await session.scalar(
            select(func.count()).select_from(Voter).where(Voter.edition_id == edition_id)
        )
    return ballots, voters


# ---- rotation -----------------------------------------------------------------------


async def test_the_resident_id_rotates_at_the_code_and_the_old_one_lives_only_the_grace(
    timed, clock
):
    edition = await edition_create(timed)
    choices = f"/e/{edition.slug}/vote/choices"
    async with plain_client(timed) as resident:
        page, code = await reach_code(resident, timed, edition.slug, person())
        old = resident.cookies.get("urna_sid")
        done = await post_form(resident, f"/e/{edition.slug}/vote/code", {"code": code}, page)
        new = resident.cookies.get("urna_sid")
        assert done.status_code == 303 and new and new != old

        async with _with_cookie(timed, "urna_sid", old) as lost:  # the response was lost
            clock.advance(ROTATION_GRACE_SECONDS - 20)
            assert (await lost.get(f"/e/{edition.slug}/vote/code")).status_code == 200
            clock.advance(15)  # used again within the grace: that does not extend it
            assert (await lost.get(f"/e/{edition.slug}/vote/code")).status_code == 200
            clock.advance(6)  # 61 s after the rotation
            gone = await lost.get(f"/e/{edition.slug}/vote/code")
            assert gone.status_code == FlowOutOfOrder.status_code
        assert (await resident.get(choices)).status_code == 200  # the new id carries on


async def test_the_staff_id_rotates_at_the_password_and_at_the_code_and_the_old_dies(timed, clock):
    from tests.factories.staff import staff_user_create, totp_code

    user, password, secret = await staff_user_create(timed, "admin", enrolled=True)
    async with plain_client(timed) as staff:
        page = (await staff.get("/staff/login")).text
        before = staff.cookies.get("urna_staff")
        step1 = await staff.post(
            "/staff/login",
            data={"email": user.email, "password": password, "csrf_token": csrf_of(page)},
        )
        middle = staff.cookies.get("urna_staff")
        page = (await staff.get("/staff/login/code")).text
        step2 = await staff.post(
            "/staff/login/code", data={"code": totp_code(secret), "csrf_token": csrf_of(page)}
        )
        after = staff.cookies.get("urna_staff")
        assert step1.status_code == 303 and step2.status_code == 303
        assert len({before, middle, after}) == 3 and None not in {before, middle, after}
        assert (await staff.get("/staff")).status_code == 200
        for stale in (before, middle):  # no grace for staff: dead at once
            async with _with_cookie(timed, "urna_staff", stale) as old:
                assert (await old.get("/staff/login/code")).status_code == 303
                answer = await old.get("/staff")
                assert answer.status_code == 303
                assert answer.headers["location"].startswith(LOGIN_PAGE)


# ---- timeouts -----------------------------------------------------------------------


async def test_an_idle_resident_mid_vote_is_told_and_nothing_is_stored(timed, clock):
    edition = await edition_create(timed)
    async with plain_client(timed) as resident:
        page = await reach_choices(resident, timed, edition.slug, person())
        clock.advance(IDLE - 30)
        assert (await resident.get(f"/e/{edition.slug}/vote/choices")).status_code == 200
        clock.advance(IDLE + 1)  # idle since the last request
        # the choices form posted after the session ended
        from tests.factories.voting import project_ids

        ids = project_ids(page)
        late = await post_form(
            resident, f"/e/{edition.slug}/vote/choices", {"project": [ids["C1"]]}, page
        )
        # one step: what happened and the way to the start, not "reload the form" first
        # and "start again" after the reload
        assert late.status_code == 403 and _session_ended(late.text, edition.slug)
        assert text_of(CsrfRejected.message) not in late.text
    assert await _ballots(timed, edition.id) == (0, 0)


def _session_ended(page: str, slug: str, lang: str = "pl", start: str | None = None) -> bool:
    """The page says the session ended after the idle time, nothing was cast, and its
    button leads to the start of voting in the edition (``start``: through a language)."""
    said = text_of(VoteSessionEnded.message, lang) % {"minutes": IDLE // 60}
    start = start or f"/e/{slug}/vote"
    return said in page and f'href="{start}">{text_of("Start voting again", lang)}' in page


async def test_a_vote_step_posted_after_its_session_ended_leads_to_the_start(timed, clock):
    """Every step's form, posted once the session ended, gets the one page that leads to
    the start, never a 500. The language lived in the session: the header's switch, a
    button of the identity and choices forms, is honoured; otherwise Polish, the message in
    English too. A live session's wrong token, and a cross-site post, stay plain refusals."""
    edition = await edition_create(timed)
    slug = edition.slug
    async with plain_client(timed) as resident:
        await resident.get("/lang/en")
        page = await reach_choices(resident, timed, slug, person())
        clock.advance(IDLE + 1)
        for step in ("choices", "cast", "code", "code/resend", "identity"):
            late = await post_form(resident, f"/e/{slug}/vote/{step}", {}, page)
            assert late.status_code == 403 and _session_ended(late.text, slug), step
            english = text_of(VoteSessionEnded.message, "en") % {"minutes": IDLE // 60}
            assert f'<p lang="en">{english}</p>' in late.text
            assert f'href="/lang/en?next=/e/{slug}/vote"' in late.text  # the header's switch
        switched = await post_form(resident, f"/e/{slug}/vote/choices", {"language": "en"}, page)
        start = f"/lang/en?next=/e/{slug}/vote"
        assert _session_ended(switched.text, slug, "en", start)
        assert '<html lang="en"' in switched.text and '<p lang="en">' not in switched.text
        assert f'href="/lang/pl?next=/e/{slug}/vote"' in switched.text  # the header's switch
        cross = await post_form(
            resident, f"/e/{slug}/vote/cast", {}, page, headers={"Sec-Fetch-Site": "cross-site"}
        )
        assert cross.status_code == 403 and text_of(CsrfRejected.message) in cross.text
        fresh = await resident.get(f"/e/{slug}/vote")  # a live session again
        stale = await post_form(resident, f"/e/{slug}/vote", {"acknowledge": "yes"}, page)
        assert stale.status_code == 403 and text_of(CsrfRejected.message) in stale.text
        assert (
            await post_form(resident, f"/e/{slug}/vote", {"acknowledge": "yes"}, fresh.text)
        ).status_code == 303
    assert await _ballots(timed, edition.id) == (0, 0)


async def test_an_active_resident_session_ends_at_the_absolute_lifetime(timed, clock):
    edition = await edition_create(timed)
    choices = f"/e/{edition.slug}/vote/choices"
    async with plain_client(timed) as resident:
        page = await reach_choices(resident, timed, edition.slug, person())
        elapsed = 0
        while elapsed + IDLE // 2 < ABSOLUTE:  # never idle, always within the lifetime
            clock.advance(IDLE // 2)
            elapsed += IDLE // 2
            assert (await resident.get(choices)).status_code == 200, elapsed
        clock.advance(ABSOLUTE - elapsed + 1)
        assert (await resident.get(choices)).status_code == 409
        cast = await post_form(resident, f"/e/{edition.slug}/vote/cast", {}, page)
        assert cast.status_code == 403
    assert await _ballots(timed, edition.id) == (0, 0)


async def test_an_idle_staff_session_gets_the_login_page(timed, clock):
    async with await staff_login_client(timed) as staff:
        clock.advance(2 * IDLE - 30)
        assert (await staff.get("/staff")).status_code == 200
        clock.advance(2 * IDLE + 1)
        answer = await staff.get("/staff/users")
        assert answer.status_code == 303
        assert answer.headers["location"] == LOGIN_PAGE + "%2Fstaff%2Fusers"


async def test_an_active_staff_session_ends_at_the_absolute_lifetime(timed, clock):
    async with await staff_login_client(timed) as staff:
        elapsed = 0
        while elapsed + IDLE < 2 * ABSOLUTE:
            clock.advance(IDLE)
            elapsed += IDLE
            assert (await staff.get("/staff")).status_code == 200, elapsed
        clock.advance(2 * ABSOLUTE - elapsed + 1)
        answer = await staff.get("/staff")
        assert answer.status_code == 303 and answer.headers["location"].startswith(LOGIN_PAGE)
