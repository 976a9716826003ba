"""``urna edition import`` from JSON: an edition whose file has no information clause is
imported, and the command says that nobody can vote online until the office publishes one
(the vote refuses to begin without it)."""

from __future__ import annotations

import json

import pytest

from tests.factories.editions import edition_data
from tests.staff.test_cli import urna
from urna.documents import service as documents
from urna.editions import repository

pytestmark = pytest.mark.flow

NO_CLAUSE = "imported without an information clause: nobody can vote online until the office"


async def test_an_import_says_when_its_file_has_no_information_clause(app, settings, tmp_path):
    with_clause, without_clause = edition_data(), edition_data()
    del without_clause["clause"]
    said = {}
    for data in (with_clause, without_clause):
        path = tmp_path / f"{data['slug']}.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        done = urna(settings.database_url, tmp_path, "edition", "import", str(path))
        assert done.returncode == 0, done.stdout + done.stderr
        said[data["slug"]] = " ".join(done.stdout.split())  # however the terminal wraps it
    warned, quiet = said[without_clause["slug"]], said[with_clause["slug"]]
    assert f"edition {without_clause['slug']} {NO_CLAUSE} publishes one" in warned
    assert f"edition {with_clause['slug']} imported" in quiet
    assert "information clause" not in quiet
    async with app.state.ctx.db() as session:  # what it says is so
        for data, versions in ((with_clause, 1), (without_clause, 0)):
            edition = await repository.edition_by_slug(session, data["slug"])
            clauses = await documents.document_register(
                session=session, kind="clause", edition=edition
            )
            assert len(clauses) == versions, data["slug"]
