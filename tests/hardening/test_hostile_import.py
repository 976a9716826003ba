"""A hostile edition file, through the console's import and the command line: deep
nesting, a huge file, bytes that are not UTF-8, a wrong type at every level, numbers
beyond any column, repeated keys. Each is refused with a message in Polish (English after
the language switch), nothing is stored, and never a 5xx. Strings with ``%``, markup and
template syntax that are valid names are stored as typed and shown escaped, never as
HTML and never breaking a translated message. And an import by the command line reaches
residents at once: it bumps the edition snapshot's generation."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import REDIS_URL, RUN_REDIS_PREFIX
from tests.factories.editions import edition_data, unique_slug
from tests.factories.staff import csrf_of, staff_client
from tests.hardening.corpus import digest_changes, state_digest
from tests.staff.test_cli import urna
from urna.core.db import utcnow
from urna.core.errors import FormInvalid
from urna.editions.models import Edition
from urna.editions.snapshot import GENERATION_KEY
from urna.privacy import service as privacy

WRONG_VALUES: list[Any] = [
    None, [], {}, "", "x", -1, 1.5, True, 10**30, -(10**30), "\x00", "a\u202eb",
    "%(x)s %s %", "<b>x</b>", "9" * 5000, [[[]]], {"a": {"b": {}}},
]  # fmt: skip
MARKUP = "Łąka %(x)s 100% <b>pogrubione</b> {{7*7}} {% raw %}"


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    """The path of every value of ``data``, containers included (not the root)."""
    found = []
    items = (
        data.items()
        if isinstance(data, dict)
        else enumerate(data)
        if isinstance(data, list)
        else []
    )
    for key, value in items:
        found.append((*prefix, key))
        found.extend(_paths(value, (*prefix, key)))
    return found


def _with(data: Any, path: tuple, value: Any) -> Any:
    changed = copy.deepcopy(data)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


async def _editions(app) -> int:
    async with app.state.ctx.db() as session:
        return await session.scalar(select(func.count()).select_from(Edition))


async def test_a_wrong_type_at_every_level_is_refused_and_stores_nothing(app):
    """Every value of a valid file replaced by each wrong one, through the import service
    in one unit of work each (as the console and the command line run it)."""
    base = edition_data()
    before = await state_digest(app)
    tried = refused = 0
    for path in _paths(base):
        for value in WRONG_VALUES:
            data = _with(base, path, value)
            data["slug"] = data["slug"] if path == ("slug",) else unique_slug("wrong")
            tried += 1
            async with app.state.ctx.db() as session:
                try:
                    await privacy.edition_import(session=session, data=data)
                except FormInvalid as error:
                    refused += 1
                    assert error.errors, (path, value)
                    assert all(
                        "%" not in message or "%(" in message for message in error.errors.values()
                    )
                finally:
                    await session.rollback()
    paths = len(_paths(base))
    print(f"\nedition import: {paths} paths × {len(WRONG_VALUES)}: {refused}/{tried} refused")
    assert digest_changes(before, await state_digest(app)) == []
    assert refused > len(_paths(base)) * 5  # most wrong values are refused


def _deep(depth: int) -> bytes:
    return b'{"slug": ' + b"[" * depth + b"]" * depth + b"}"


HOSTILE_FILES = {
    "deep JSON": _deep(100_000),
    "deep object": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "nested 20 deep": _deep(20),
    "huge file": b'{"slug": "' + b"x" * (6 * 1024 * 1024) + b'"}',
    "invalid UTF-8": b'{"slug": "\xff\xfe\xc0\xaf"}',
    "UTF-16": json.dumps({"slug": "a"}).encode("utf-16"),
    "not an object": b"[1, 2, 3]",
    "a number of 5,000 digits": b'{"slug": "a", "retention_months": ' + b"9" * 5000 + b"}",
    "NaN": b'{"slug": "a", "retention_months": NaN}',
    "empty": b"",
}


async def test_hostile_files_in_the_console_import_are_refused_with_a_message(app):
    async with await staff_client(app, "admin") as admin:
        token = csrf_of((await admin.get("/staff/editions")).text)

        async def send(content: bytes):
            return await admin.post(
                "/staff/editions/import",
                files={"file": ("edycja.json", content, "application/json")},
                data={"csrf_token": token},
            )

        files = dict(HOSTILE_FILES)
        valid = edition_data()
        files["repeated key"] = json.dumps(valid)[:-1].encode() + b', "slug": "other"}'
        files["beyond int64"] = json.dumps(_with(valid, ("pools", 0, "budget"), 2**63)).encode()
        files["percent beyond its column"] = json.dumps(
            _with(valid, ("pools", 0, "min_votes_percent"), 5000)
        ).encode()
        files["min votes beyond INTEGER"] = json.dumps(
            _with(valid, ("pools", 0, "min_votes"), 2**40)
        ).encode()
        twice = copy.deepcopy(valid)
        twice["streets"].append(dict(twice["streets"][0]))
        twice["areas"].append(dict(twice["areas"][0]))
        files["a street and an area twice"] = json.dumps(twice).encode()
        unknown = _with(valid, ("streets", 0, "area"), "<b>%(x)s %</b>")
        files["unknown area with markup"] = json.dumps(unknown).encode()
        files["control characters in a name"] = json.dumps(
            _with(valid, ("areas", 0, "name"), "Pół\x00noc\u202e")
        ).encode()
        before, editions = await state_digest(app), await _editions(app)
        for label, content in files.items():
            response = await send(content)
            assert response.status_code == 400, (label, response.status_code, response.text[:300])
            assert 'class="error"' in response.text or "error-summary" in response.text, label
            assert "<b>pogrubione</b>" not in response.text, label
            assert "<b>%(x)s %</b>" not in response.text, label
            assert digest_changes(before, await state_digest(app)) == [], label
        assert await _editions(app) == editions
        deep = await send(HOSTILE_FILES["deep JSON"])
        assert "Plik nie opisuje edycji: jego wartości są zagnieżdżone zbyt głęboko." in deep.text
        repeated = await send(files["repeated key"])
        assert "Plik podaje to samo pole dwa razy w jednym miejscu." in repeated.text
        twice_page = await send(files["a street and an area twice"])
        assert "Ta ulica powtarza się w pliku." in twice_page.text
        assert "Ten kod obszaru powtarza się w pliku." in twice_page.text
        await admin.get("/staff/lang/en")
        deep = await send(HOSTILE_FILES["deep JSON"])
        assert "The file is not an edition: its values are nested too deeply." in deep.text
        unknown_page = await send(files["unknown area with markup"])
        assert "Unknown area code." in unknown_page.text and "streets.0.area" in unknown_page.text


async def test_percent_and_markup_in_imported_names_are_shown_escaped(app):
    data = edition_data(voting_opens_at=(utcnow() + timedelta(days=2)).isoformat())
    data["areas"][0]["name"] = MARKUP
    data["streets"][0]["name"] = "ul. " + MARKUP
    data["pools"][0]["name"] = "Pula " + MARKUP
    data["projects"][0]["title"] = "Projekt " + MARKUP
    data["projects"][0]["category"] = "<i>kat</i> 5%"
    async with await staff_client(app, "admin") as admin:
        token = csrf_of((await admin.get("/staff/editions")).text)
        response = await admin.post(
            "/staff/editions/import",
            files={"file": ("edycja.json", json.dumps(data).encode(), "application/json")},
            data={"csrf_token": token},
        )
        assert response.status_code == 303, response.text[:500]
        slug = data["slug"]
        pages = [
            f"/staff/editions/{slug}/{section}" for section in ("pools", "projects", "streets")
        ]
        pages += [f"/staff/editions/{slug}", f"/staff/editions/{slug}/projects/C1"]
        for url in pages:
            page = await admin.get(url)
            assert page.status_code == 200, (url, page.text[:300])
            assert "<b>pogrubione</b>" not in page.text and "<i>kat</i>" not in page.text, url
        streets = (await admin.get(f"/staff/editions/{slug}/streets")).text
        assert "&lt;b&gt;pogrubione&lt;/b&gt;" in streets and "%(x)s 100%" in streets
        # a refused street whose name holds "%" and markup: the message stays whole
        page = await admin.get(f"/staff/editions/{slug}/import/streets")
        refused = await admin.post(
            f"/staff/editions/{slug}/import/streets",
            data={"text": f"name;area\n{MARKUP};N\n{MARKUP};N\n", "csrf_token": csrf_of(page.text)},
        )
        assert refused.status_code == 400 and "<b>pogrubione</b>" not in refused.text
        assert "Ta ulica powtarza się w pliku." in refused.text
    async with app.state.ctx.db() as session:
        stored = await session.scalar(select(Edition).where(Edition.slug == slug))
    for url in (f"/e/{slug}", f"/e/{slug}/projects", f"/e/{slug}/projects/C1"):
        async with __import__("httpx").AsyncClient(
            transport=__import__("httpx").ASGITransport(app=app), base_url="http://testserver"
        ) as resident:
            page = await resident.get(url)
        assert page.status_code == 200, url
        assert "<b>pogrubione</b>" not in page.text and "&lt;b&gt;pogrubione" in page.text, url
    assert stored is not None


@pytest.mark.parametrize("kind", ["streets"])
async def test_a_csv_import_by_the_command_line_bumps_the_snapshot_generation(
    app, settings, tmp_path, kind
):
    """``urna edition import rows.csv``: committed, then the generation moves, so every
    process's snapshot cache drops the edition at once."""
    from tests.factories.editions import edition_create

    edition = await edition_create(app, voting_opens_at=(utcnow() + timedelta(days=2)).isoformat())
    store = app.state.ctx.store
    before = int(await store.get(GENERATION_KEY) or 0)
    rows = tmp_path / "ulice.csv"
    rows.write_text("name;area\nul. Nowa %(x)s <b>;N\n", encoding="utf-8")
    env = {"URNA_REDIS_URL": REDIS_URL, "URNA_REDIS_PREFIX": RUN_REDIS_PREFIX}
    done = urna(
        settings.database_url, tmp_path, "edition", "import", str(rows),
        "--slug", edition.slug, "--kind", kind, **env,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"1 street added to {edition.slug}" in done.stdout  # one, not "1 streets"
    assert int(await store.get(GENERATION_KEY) or 0) == before + 1
    deep = tmp_path / "edycja.json"
    deep.write_bytes(_deep(100_000))
    refused = urna(settings.database_url, tmp_path, "edition", "import", str(deep), **env)
    assert refused.returncode == 1 and "Traceback" not in refused.stdout + refused.stderr
    assert "nested too deeply" in refused.stdout
    data = edition_data()
    deep.write_text(json.dumps(data), encoding="utf-8")
    imported = urna(settings.database_url, tmp_path, "edition", "import", str(deep), **env)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert f"edition {data['slug']} imported" in imported.stdout
