"""The probe: a resident votes through the real HTTP flow with a distinctive name, PESEL,
phone and e-mail, the same values also hidden in the user agent, the referer, the query
string and a path; then every place the service keeps or shows anything is searched for
the clear values (and the ways they are written): every column of every table as text
(bytea as bytes), the request log, the application's log output, every Redis key and
value, the public exports and every GET page of the staff console as an admin, a verifier
and a netadmin who do not unmask. The values appear nowhere; the ballot is there (as
ciphertext and keyed hashes), so the search cannot pass on an empty database; and a value
planted on purpose is found, so the search can fail.

Two paths are outside the search, by design, each checked for what guards it:
- ``/my-data.json``: the resident's own data, given only to the holder of the receipt and
  of a one-time code sent to their contact (GDPR art. 15/20, ``test_rights.py``);
- the evidence export: the one bulk path to identities, for evidence or an authority's
  order; here it is refused without a legal basis and audited when given one.

PostgreSQL and Redis (not collected on the embedded backend: no ``flow`` mark)."""

from __future__ import annotations

import logging
import re
import secrets
import string
from dataclasses import dataclass
from datetime import date

import httpx
from redis.asyncio import Redis
from sqlalchemy import delete, select, text

from tests.conftest import REDIS_URL, RUN_REDIS_PREFIX
from tests.factories.editions import edition_create, voting_close
from tests.factories.results import result_files, result_run_add
from tests.factories.staff import asgi_client, csrf_of, staff_client
from tests.factories.voting import ballot_of_receipt, latest_code, pesel_for, receipt_of, vote
from tests.verification.conftest import audit_events, case_make
from tests.world import fill, routes
from urna.core.db import transaction
from urna.editions.models import Pool
from urna.notify.models import OutboxMessage
from urna.privacy.models import DataRequest
from urna.voting.models import Voter

# ---- the probe's person --------------------------------------------------------------


def _letters(count: int) -> str:
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(count))


@dataclass(frozen=True)
class Probe:
    first_name: str
    last_name: str
    pesel: str
    phone_digits: str  # nine digits, as the number is dialled at home
    email: str
    born: date

    @property
    def phone_typed(self) -> str:
        d = self.phone_digits
        return f"+48 {d[:3]} {d[3:6]} {d[6:]}"

    def form(self) -> dict[str, str]:
        return {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "street": "ul. Lipowa",
            "house_number": "7",
            "birth_date": self.born.isoformat(),
            "pesel": self.pesel,
            "phone": self.phone_typed,
            "email": self.email,
        }

    def needles(self) -> dict[str, str]:
        """What must not appear, lower-case: each value and the ways it is written."""
        d = self.phone_digits
        return {
            "first name": self.first_name.lower(),
            "last name": self.last_name.lower(),
            "PESEL": self.pesel,
            "phone": d,
            "phone +48": "+48" + d,
            "phone 0048": "0048" + d,
            "phone grouped": f"{d[:3]} {d[3:6]} {d[6:]}",
            "phone dashed": f"{d[:3]}-{d[3:6]}-{d[6:]}",
            "e-mail": self.email.lower(),
            "e-mail local part": self.email.split("@")[0].lower(),
            "e-mail url-encoded": self.email.lower().replace("@", "%40"),
        }


def probe_person() -> Probe:
    rng = secrets.SystemRandom()
    born = date(rng.randint(1950, 1990), rng.randint(1, 12), rng.randint(1, 28))
    return Probe(
        first_name="Hortensja" + _letters(6),
        last_name="Wrzosowiak" + _letters(8),
        pesel=pesel_for(born),
        phone_digits="60" + "".join(rng.choice(string.digits) for _ in range(7)),
        email=f"Probe.{_letters(10)}@Sondowanie-Example.org",
        born=born,
    )


# ---- the searches ----------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    where: str
    what: str


def hits_in(where: str, content: str | bytes | None, needles: dict[str, str]) -> list[Hit]:
    if content is None:
        return []
    if isinstance(content, bytes):
        lowered = content.lower()
        return [Hit(where, what) for what, n in needles.items() if n.encode() in lowered]
    lowered = content.lower()
    return [Hit(where, what) for what, n in needles.items() if n in lowered]


async def database_hits(app, needles: dict[str, str]) -> tuple[list[Hit], int]:
    """Every column of every table of the schema (from information_schema, so a table
    added later is searched too): text-like columns cast to text, bytea as bytes. Returns
    the hits and the number of columns searched."""
    hits: list[Hit] = []
    async with app.state.ctx.db() as session:
        columns = (
            await session.execute(
                text(
                    "SELECT c.table_name, c.column_name, c.data_type"
                    " FROM information_schema.columns c"
                    " JOIN information_schema.tables t"
                    "   ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
                    " WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'"
                    " ORDER BY 1, 2"
                )
            )
        ).all()
        for table, column, data_type in columns:
            cast = f'"{column}"' if data_type == "bytea" else f'"{column}"::text'
            rows = await session.execute(
                # names from information_schema, not from input
                text(f'SELECT {cast} FROM "{table}" WHERE "{column}" IS NOT NULL')  # noqa: S608
            )
            for (value,) in rows:
                hits += hits_in(f"{table}.{column}", value, needles)
    return hits, len(columns)


async def redis_hits(needles: dict[str, str]) -> tuple[list[Hit], int]:
    """Every key under the run's prefix (sessions, rate limits, caches, the counter): its
    name and its value, whatever the type."""
    client = Redis.from_url(REDIS_URL)
    hits: list[Hit] = []
    count = 0
    try:
        async for key in client.scan_iter(match=RUN_REDIS_PREFIX + "*", count=1000):
            count += 1
            name = key.decode(errors="replace")
            hits += hits_in(f"redis key {name}", key, needles)
            kind = (await client.type(key)).decode()
            if kind == "string":
                values = [await client.get(key)]
            elif kind == "hash":
                values = [b"%s=%s" % kv for kv in (await client.hgetall(key)).items()]
            elif kind == "list":
                values = await client.lrange(key, 0, -1)
            elif kind == "set":
                values = list(await client.smembers(key))
            elif kind == "zset":
                values = [m for m, _ in await client.zrange(key, 0, -1, withscores=True)]
            else:
                values = []
            for value in values:
                hits += hits_in(f"redis value of {name}", value, needles)
    finally:
        await client.aclose()
    return hits, count


# ---- the console's pages -----------------------------------------------------------------

# Not console pages to read: the login steps and the language switch (no data).
NOT_PAGES = {"/staff/login", "/staff/login/code", "/staff/lang/{code}"}
# Outside the search by design (see the module's docstring): the resident's own data.
OWN_DATA = {"/my-data.json"}


def get_paths(app, *, staff: bool) -> list[str]:
    """The app's GET routes of the console or of the public site, the static mount left out."""
    return [path for _, path in routes(app, {"GET"}, static=False)
            if path.startswith("/staff") == staff]  # fmt: skip


async def pages_hits(http: httpx.AsyncClient, urls: list[str], needles, who: str):
    """Fetch each URL; returns the hits and the URLs that answered 200."""
    hits, shown = [], []
    for url in urls:
        response = await http.get(url)
        assert response.status_code < 500, f"{who} {url}: {response.status_code}"
        if response.status_code == 200:
            shown.append(url)
        hits += hits_in(f"{who} {url}", response.content, needles)
    return hits, shown


# ---- the test --------------------------------------------------------------------------


def _hide(probe: Probe):
    """An httpx request hook: every request of the vote carries the values in its user
    agent, its referer and its query string, as a careless link or a tracking script
    would put them there."""
    d = probe.phone_digits
    agent = f"Mozilla/5.0 (X11; {probe.pesel}; +48 {d[:3]} {d[3:6]} {d[6:]}; {probe.email})"
    referer = (
        f"https://forum.example/u/{probe.email}/{probe.pesel}"
        f"?phone={d}&name={probe.first_name}+{probe.last_name}&contact={probe.email}"
    )
    query = {
        "pesel": probe.pesel,
        "tel": probe.phone_typed,
        "first_name": probe.first_name,
        "last_name": probe.last_name,
        "ref": probe.email,
        "utm_term": d,
    }

    async def hook(request: httpx.Request) -> None:
        request.headers["user-agent"] = agent
        request.headers["referer"] = referer
        request.url = request.url.copy_merge_params(query)

    return hook


async def test_clear_identity_values_appear_nowhere_but_the_residents_own_data(app, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    probe = probe_person()
    needles = probe.needles()
    edition = await edition_create(
        app,
        required_fields=[
            "first_name",
            "last_name",
            "address",
            "birth_date",
            "pesel",
            "phone",
            "email",
        ],  # fmt: skip
        confirmation_channel="sms",
    )

    # 1. the vote, through the real HTTP flow, with the values hidden everywhere a
    # request can carry them; a 404 with them in the path too
    resident = asgi_client(app, ip="198.51.100.77")
    resident.event_hooks["request"] = [_hide(probe)]
    async with resident:
        response = await vote(resident, app, edition.slug, probe.form(), ["C1", "N2"])
        assert response.status_code == 303, response.text
        receipt = await receipt_of(resident, edition.slug)
        missing = await resident.get(f"/e/{edition.slug}/{probe.pesel}/{probe.email}")
        assert missing.status_code == 404
        # the resident's rights: a request filed with their receipt and a one-time code
        page = (await resident.get("/my-data")).text
        sent = await resident.post("/my-data", data={"code": receipt, "csrf_token": csrf_of(page)})
        assert sent.status_code == 303
        page = (await resident.get("/my-data/code")).text
        code = await latest_code(app, "+48" + probe.phone_digits)
        confirmed = await resident.post(
            "/my-data/code", data={"code": code, "csrf_token": csrf_of(page)}
        )
        assert confirmed.status_code == 303
        page = (await resident.get("/my-data")).text
        filed = await resident.post(
            "/my-data/request",
            data={
                "kind": "restriction",
                "text": "Proszę o ograniczenie.",
                "csrf_token": csrf_of(page),
            },  # fmt: skip
        )
        assert filed.status_code == 303
    await app.state.request_log.flush()

    ctx = app.state.ctx
    async with ctx.db() as session:
        ballot = await ballot_of_receipt(session, ctx.crypto, receipt)
        voter = await session.get(Voter, ballot.voter_id)
        pool = (await session.execute(select(Pool).where(Pool.edition_id == edition.id))).scalars()
        pool_id = next(iter(pool)).id
        request_id = (
            await session.execute(select(DataRequest.id).where(DataRequest.ballot_id == ballot.id))
        ).scalar_one()
    # not vacuous: the ballot and its voter are there, as ciphertext and keyed hashes
    assert voter.identity_enc and len(voter.identity_enc) > 50
    assert re.fullmatch(r"[0-9a-f]{64}", voter.pesel_key or "")
    assert voter.contact_key and voter.identity_key
    assert ballot.user_agent and "[redacted]" in ballot.user_agent

    # 2. a fraud case holding the ballot, results published: every console page and
    # export has something to show
    case_id = await case_make(app, edition.id, [ballot.id], ip="198.51.100.77")
    await voting_close(app, edition.id)
    async with transaction(ctx.db) as session:  # the open-data files, served by their hash
        run_id = await result_run_add(session, edition.id, publish=True)
        files = await result_files(session, run_id)
    assert files

    # 3. the evidence export, the one bulk path to identities: refused without a legal
    # basis, audited with one (and then it does hold the identity: the search can see it)
    export_url = f"/staff/verify/{edition.slug}/export"
    basis = {"category": "prosecutor", "basis": "Prokuratura Rejonowa, PR 1 Ds. 7.2027"}
    async with await staff_client(app, "verifier") as verifier:
        page = (await verifier.get(export_url)).text
        form = {"scope": "case", "case_id": str(case_id), "csrf_token": csrf_of(page)}
        refused = await verifier.post(export_url, data=form)
        assert refused.status_code == 400
        assert await audit_events(app, "verification.export", f"case:{case_id}") == []
        package = await verifier.post(export_url, data={**form, **basis})
        assert package.status_code == 200
    assert hits_in("evidence", _unzipped(package.content), needles)  # the legal path
    assert len(await audit_events(app, "verification.export", f"case:{case_id}")) == 1

    # 4. every GET page of the console, filled with this vote's ids, as each reader
    ids = {
        "slug": edition.slug,
        "ballot_id": ballot.id,
        "case_id": case_id,
        "run_id": run_id,
        "pool_id": pool_id,
        "number": "C1",
        "entry_id": 1,
        "point_id": 1,
        "request_id": request_id,
        "session_hash": ballot.session_hash,
        "kind": "projects",
        "document": "policy",
        "sha256": files[0],
        "user_id": "{user_id}",  # each reader's own account, filled below
    }
    staff_urls = [fill(p, ids) for p in get_paths(app, staff=True) if p not in NOT_PAGES]
    staff_urls += ["/staff/logs?ip=198.51.100.77", f"/staff/logs?session={ballot.session_hash}"]
    hits: list[Hit] = []
    shown: dict[str, list[str]] = {}
    for role in ("admin", "verifier", "netadmin"):
        async with await staff_client(app, role) as http:
            ids["user_id"] = http.staff_user.id
            found_hits, shown[role] = await pages_hits(
                http, [fill(u, ids) for u in staff_urls], needles, role
            )
            hits += found_hits
    ballot_page = f"/staff/verify/{edition.slug}/ballots/{ballot.id}"
    case_page = f"/staff/verify/{edition.slug}/cases/{case_id}"
    trail_page = f"/staff/logs/ballot/{ballot.id}"
    assert {ballot_page, case_page, trail_page} <= set(shown["admin"])
    assert {ballot_page, case_page} <= set(shown["verifier"])
    assert "/staff/logs" in shown["netadmin"]
    assert len(shown["admin"]) >= 30, shown["admin"]

    # 5. every public GET page and export (results.pb/csv/json ...), the resident's own
    # data excepted
    public = [fill(p, ids | {"image_id": 1, "code": "pl"}) for p in get_paths(app, staff=False)
              if p not in OWN_DATA]  # fmt: skip
    async with asgi_client(app) as anyone:
        found_hits, public_shown = await pages_hits(anyone, public, needles, "public")
        hits += found_hits
    assert f"/e/{edition.slug}/results.pb" in public_shown

    # 6. the database, the request log within it, Redis and the log output
    found_hits, columns = await database_hits(app, needles)
    hits += found_hits
    assert columns > 100
    async with ctx.db() as session:
        logged = (
            await session.execute(
                text("SELECT url, user_agent, referer FROM request_log WHERE ip = :ip"),
                {"ip": "198.51.100.77"},
            )
        ).all()
    assert len(logged) >= 10  # the vote's requests are logged, redacted
    assert all("[redacted]" in (row.url + row.user_agent + row.referer) for row in logged)
    found_hits, keys = await redis_hits(needles)
    hits += found_hits
    assert keys > 0
    app_records = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    hits += hits_in("log records", "\n".join(map(formatter.format, app_records)), needles)
    out, err = capfd.readouterr()
    hits += hits_in("stdout", out, needles) + hits_in("stderr", err, needles)

    assert hits == [], "\n".join(f"{h.what} in {h.where}" for h in hits)
    with capfd.disabled():
        print(f"\nprobe: {len(staff_urls)} console URLs (200 for "
              + ", ".join(f"{role} {len(urls)}" for role, urls in shown.items())
              + f"), {len(public)} public URLs ({len(public_shown)} answered 200), "
              f"{columns} columns, {keys} Redis keys")  # fmt: skip


def _unzipped(content: bytes) -> bytes:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return b"\n".join(archive.read(name) for name in archive.namelist())


async def test_the_probe_finds_a_value_planted_on_purpose(app):
    """The search can fail: a clear value put into a text column, a bytea column and a
    Redis key is found in each."""
    probe = probe_person()
    needles = probe.needles()
    edition = await edition_create(app)
    planted_key = f"{RUN_REDIS_PREFIX}probe-plant"
    async with transaction(app.state.ctx.db) as session:
        await session.execute(
            text("UPDATE edition SET name = :value WHERE id = :id"),
            {"value": f"Budżet {probe.last_name.upper()}", "id": edition.id},
        )
        planted = OutboxMessage(
            channel="sms", purpose="probe", payload_enc=f"to {probe.phone_typed}".encode()
        )
        session.add(planted)
    redis = Redis.from_url(REDIS_URL)
    try:
        await redis.set(planted_key, f'{{"mail": "{probe.email}"}}', ex=60)
        found, _ = await database_hits(app, needles)
        in_redis, _ = await redis_hits(needles)
    finally:
        await redis.delete(planted_key)
        await redis.aclose()
        async with transaction(app.state.ctx.db) as session:
            await session.execute(delete(OutboxMessage).where(OutboxMessage.id == planted.id))
    assert Hit("edition.name", "last name") in found
    assert Hit(f"{OutboxMessage.__tablename__}.payload_enc", "phone grouped") in found
    assert Hit(f"redis value of {planted_key}", "e-mail") in in_redis
