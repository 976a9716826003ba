"""Every request leaves one record with exactly the promised fields, and nothing else."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.factories.editions import edition_create
from tests.factories.voting import csrf_of, person, reach_identity, receipt_of, vote
from tests.requestlog.conftest import all_rows, client_for, logged
from urna.core.sessions import TRAIL_KEY
from urna.requestlog import repository
from urna.requestlog.models import COLUMNS
from urna.requestlog.repository import LogFilters
from urna.voting.models import Ballot

pytestmark = pytest.mark.flow

UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


async def session_trail_of(app, client) -> str:
    """The trail of the client's session: stored with it, or (a form page's cookie not
    sent back yet, nothing stored) the hash of its id, which it will be stored with."""
    sid = client.cookies.get("urna_sid")
    raw = await app.state.ctx.store.get("sess:" + sid)
    return json.loads(raw)[TRAIL_KEY] if raw else app.state.ctx.crypto.session_hash(sid)


def assert_times(row, before: datetime, after: datetime) -> None:
    assert before <= row.arrived_at <= row.responded_at <= after
    assert row.arrived_at.tzinfo is not None and row.arrived_at.utcoffset() == timedelta(0)
    assert row.arrived_at.microsecond or row.responded_at.microsecond  # microseconds kept
    spent = (row.responded_at - row.arrived_at).total_seconds() * 1_000_000
    assert 0 <= row.duration_us <= spent + 2_000


async def test_a_page_is_logged_with_every_field(log_app, log_client):
    before = datetime.now(UTC)
    response = await log_client.get(
        "/my-data?page=2",
        headers={"User-Agent": UA, "Referer": "https://search.example/?q=bud%C5%BCet"},
    )
    after = datetime.now(UTC)
    request_id = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    row = await logged(log_app, request_id)
    assert set(COLUMNS) <= set(row.model_dump())
    assert_times(row, before, after)
    assert row.ip == "127.0.0.1"
    assert row.method == "GET" and row.url == "/my-data?page=2" and row.status == 200
    assert row.error is None
    assert row.referer == "https://search.example/?q=bud%C5%BCet"
    assert row.user_agent == UA
    assert row.session_hash == await session_trail_of(log_app, log_client)
    assert len(row.session_hash) == 32


async def test_a_404_is_logged_with_its_reason(log_app, log_client):
    response = await log_client.get("/no/such/page")
    assert response.status_code == 404
    row = await logged(log_app, response.headers["x-request-id"])
    assert row.status == 404 and row.url == "/no/such/page"
    assert row.error.startswith("NotFound")
    assert row.session_hash is None  # a page without a form creates no session to tie to


async def test_a_500_is_logged_with_the_exception_and_no_personal_data(log_app, log_client):
    response = await log_client.get("/_test/boom")
    assert response.status_code == 500
    assert "kaboom" not in response.text
    row = await logged(log_app, response.headers["x-request-id"])
    assert row.status == 500
    assert row.error == "RuntimeError"  # its text may carry anything a user sent


async def test_a_database_error_is_logged_without_sql_or_parameters(log_app, log_client):
    response = await log_client.get("/_test/sql-boom")
    assert response.status_code == 500
    row = await logged(log_app, response.headers["x-request-id"])
    assert row.error == "IntegrityError (Exception)"
    for leak in ("INSERT", "parameters", "kowalski", "redacted"):
        assert leak not in row.error


async def test_a_refusal_is_logged_with_its_msgid_not_the_values_in_it(log_app, log_client):
    response = await log_client.get("/_test/form-refused")
    assert response.status_code == 400
    row = await logged(log_app, response.headers["x-request-id"])
    assert row.error == "AppError: The value %(value)s is not accepted."


async def test_a_csrf_refusal_is_logged_with_its_reason(log_app, log_client):
    edition = await edition_create(log_app)
    await log_client.get(f"/e/{edition.slug}/vote")
    response = await log_client.post(
        f"/e/{edition.slug}/vote", data={"acknowledge": "yes", "csrf_token": "forged"}
    )
    assert response.status_code == 403
    row = await logged(log_app, response.headers["x-request-id"])
    assert row.method == "POST" and row.status == 403
    assert row.error == "csrf token missing or invalid"
    cross = await log_client.post(
        f"/e/{edition.slug}/vote", headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert (await logged(log_app, cross.headers["x-request-id"])).error == "cross-site request"


async def test_a_static_file_is_logged_and_tied_to_the_session(log_app, log_client):
    await log_client.get("/my-data")
    response = await log_client.get("/static/css/urna.css", headers={"User-Agent": UA})
    assert response.status_code == 200
    row = await logged(log_app, response.headers["x-request-id"])
    assert row.url == "/static/css/urna.css" and row.status == 200 and row.method == "GET"
    assert row.user_agent == UA and row.ip == "127.0.0.1"
    assert row.session_hash == await session_trail_of(log_app, log_client)
    missing = await log_client.get("/static/none.css")
    assert (await logged(log_app, missing.headers["x-request-id"])).status == 404


async def test_forwarded_for_counts_only_from_a_trusted_proxy(log_app):
    async with client_for(log_app, "198.51.100.7") as http:
        spoofed = await http.get("/healthz", headers={"X-Forwarded-For": "1.2.3.4"})
    assert (await logged(log_app, spoofed.headers["x-request-id"])).ip == "198.51.100.7"
    async with client_for(log_app, "127.0.0.1") as http:
        proxied = await http.get("/healthz", headers={"X-Forwarded-For": "1.2.3.4, 10.9.9.9"})
    assert (await logged(log_app, proxied.headers["x-request-id"])).ip == "10.9.9.9"
    async with client_for(log_app, "::1") as http:
        v6 = await http.get("/healthz", headers={"X-Forwarded-For": "2001:DB8::0:1"})
    assert (await logged(log_app, v6.headers["x-request-id"])).ip == "2001:db8::1"


async def test_an_ipv4_address_written_ipv6_style_is_logged_as_ipv4(log_app):
    """``::ffff:198.51.100.7`` (a dual-stack socket, a balancer) is 198.51.100.7: the
    explorer's 198.51.100.0/24 finds it, and a proxy so written is still trusted."""
    async with client_for(log_app, "127.0.0.1") as http:
        proxied = await http.get(
            "/healthz?probe=mapped", headers={"X-Forwarded-For": "::ffff:198.51.100.7"}
        )
    async with client_for(log_app, "::ffff:198.51.100.8") as http:
        direct = await http.get("/healthz")
    async with client_for(log_app, "::ffff:127.0.0.1") as http:
        via_mapped_proxy = await http.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"})
    assert (await logged(log_app, proxied.headers["x-request-id"])).ip == "198.51.100.7"
    assert (await logged(log_app, direct.headers["x-request-id"])).ip == "198.51.100.8"
    assert (await logged(log_app, via_mapped_proxy.headers["x-request-id"])).ip == "203.0.113.9"
    async with log_app.state.ctx.db() as session:
        found = await repository.logs_search(
            session, LogFilters(ip="::ffff:198.51.100.7", path="/healthz?probe=mapped"), limit=5
        )
    assert [row.request_id for row in found] == [proxied.headers["x-request-id"]]


SECRETS = {
    "pesel": "44051401359",
    "phone": "600 700 800",
    "phone_digits": "600700800",
    "email": "jan.kowalski@example.com",
    "password": "Tajne-Haslo-123",
}


async def test_no_secret_or_personal_data_reaches_the_log(log_app, log_client):
    edition = await edition_create(log_app)
    page = await reach_identity(log_client, edition.slug)
    csrf = csrf_of(page)
    sid = log_client.cookies.get("urna_sid")
    assert csrf and sid
    query = (
        f"?pesel={SECRETS['pesel']}&tel={SECRETS['phone']}&email={SECRETS['email']}"
        f"&password={SECRETS['password']}&csrf_token={csrf}&q={SECRETS['phone_digits']}"
        f"&note=call+{SECRETS['phone_digits']}&page=3"
    )
    headers = {
        "User-Agent": f"Mozilla/5.0 bot (+mailto:{SECRETS['email']}; {SECRETS['pesel']})",
        "Referer": f"https://mail.example/read?to={SECRETS['email']}&pesel={SECRETS['pesel']}",
        "X-CSRF-Token": csrf,
    }
    ids = [
        (await log_client.get(f"/e/{edition.slug}/projects{query}", headers=headers)).headers[
            "x-request-id"
        ],
        (await log_client.get(f"/x/{SECRETS['email']}/{SECRETS['pesel']}")).headers["x-request-id"],
    ]
    who = person(phone=SECRETS["phone_digits"])
    form = {**who, "pesel": SECRETS["pesel"], "email": SECRETS["email"], "csrf_token": csrf}
    form["password"] = SECRETS["password"]
    posted = await log_client.post(
        f"/e/{edition.slug}/vote/identity?email={SECRETS['email']}", data=form, headers=headers
    )
    ids.append(posted.headers["x-request-id"])
    rows = await all_rows(log_app)
    # every field of every row, one by one: a secret is found where it stands, never in
    # the joint of two fields
    fields = [
        (row.request_id, column, str(getattr(row, column))) for row in rows for column in COLUMNS
    ]
    for secret in [*SECRETS.values(), csrf, sid, who["last_name"]]:
        leaks = [(request, column) for request, column, text in fields if secret in text]
        assert leaks == [], (secret, leaks)
    first = next(row for row in rows if row.request_id == ids[0])
    # the exact address: the edition's slug (letters only, see unique_slug) stays as it is,
    # and every value that could carry a secret or personal data is redacted
    assert first.url == (
        f"/e/{edition.slug}/projects?pesel=[redacted]&tel=[redacted]&email=[redacted]"
        "&password=[redacted]&csrf_token=[redacted]&q=[redacted]&note=[redacted]&page=3"
    )
    assert first.referer == "https://mail.example/read?to=[redacted]&pesel=[redacted]"
    assert first.user_agent == "Mozilla/5.0 bot (+mailto:[redacted]; [redacted])"
    second = next(row for row in rows if row.request_id == ids[1])
    assert second.url == "/x/[redacted]/[redacted]"


async def test_urls_and_user_agents_are_stored_inert(log_app, log_client):
    response = await log_client.get(
        "/%3Cscript%3Ealert(1)%3C/script%3E%0D%0A?x=%1B[31m",
        headers={"User-Agent": "evil\x1b[2J<b>ua</b>\u202e".encode()},
    )
    row = await logged(log_app, response.headers["x-request-id"])
    assert "<" not in row.url and "\r" not in row.url and "\x1b" not in row.url
    assert row.user_agent == "evil\\u001b[2J<b>ua</b>\\u202e"


async def test_a_ballot_leads_to_its_whole_trail_across_the_id_rotation(log_app, log_client):
    edition = await edition_create(log_app)
    first = await log_client.get("/my-data")
    sid_before = log_client.cookies.get("urna_sid")
    response = await vote(log_client, log_app, edition.slug, person(), ["C1"])
    assert response.status_code == 303
    assert log_client.cookies.get("urna_sid") != sid_before  # rotated at confirmation
    await receipt_of(log_client, edition.slug)
    await log_app.state.request_log.flush()
    async with log_app.state.ctx.db() as session:
        ballot = (
            await session.execute(select(Ballot).where(Ballot.edition_id == edition.id))
        ).scalar_one()
    rows = [row for row in await all_rows(log_app) if row.session_hash == ballot.session_hash]
    urls = [row.url for row in sorted(rows, key=lambda r: r.arrived_at)]
    assert first.headers["x-request-id"] in {row.request_id for row in rows}
    assert ballot.request_id in {row.request_id for row in rows}
    assert f"/e/{edition.slug}/vote/identity" in urls  # before the rotation
    assert urls[-1] == f"/e/{edition.slug}/vote/receipt"  # after it
    cast = next(row for row in rows if row.request_id == ballot.request_id)
    assert cast.method == "POST" and cast.url == f"/e/{edition.slug}/vote/cast"


async def test_a_client_gone_before_its_form_arrived_is_its_499_not_our_500(log_app, caplog):
    """A resident's phone drops the connection mid-POST: nothing written, no traceback,
    and the request log says the client left (as nginx's 499 does)."""
    edition = await edition_create(log_app)
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.disconnect"}  # the body never comes

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": f"/e/{edition.slug}/vote", "raw_path": b"", "root_path": "",
        "query_string": b"", "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", b"80"),
        ],
    }  # fmt: skip
    with caplog.at_level("INFO", logger="urna"):
        await log_app(scope, receive, send)
    start = next(message for message in sent if message["type"] == "http.response.start")
    assert start["status"] == 499
    assert "unhandled error" not in caplog.text
    request_id = dict(start["headers"])[b"x-request-id"].decode()
    row = await logged(log_app, request_id)
    assert row.status == 499 and row.error == "ClientDisconnect"
