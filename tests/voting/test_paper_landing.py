"""After a second entry the clerk lands where the work goes on: the list of sheets still
waiting for theirs, told how the sheet just typed stands; the desk once none waits. Sent
back to the first-entry desk after each one, the clerk had to find the list again for
every sheet of the pile."""

from __future__ import annotations

import pytest

from tests.factories.voting import person
from tests.voting.test_paper_console import paper_edition
from tests.voting.test_paper_desk import two_clerks

pytestmark = pytest.mark.flow


async def test_a_second_entry_lands_on_the_sheets_still_waiting_then_on_the_desk(app):
    edition = await paper_edition(app)
    first_who, second_who = person(), person()
    async with two_clerks(app, edition) as desk:
        first = await desk.typed_once(first_who, "L-1")
        second = await desk.typed_once(second_who, "L-2")
        typed = await desk.typed_again(first, first_who)
        assert typed.status_code == 303
        assert typed.headers["location"] == f"{desk.url}/second?entered={first.id}"
        landed = (await desk.second.get(typed.headers["location"])).text
        assert 'id="outcome"' in landed and "Karta L-1:" in landed and "Policzona" in landed
        assert f'href="{desk.url}/second/{second.id}"' in landed  # the next one, at hand
        last = await desk.typed_again(second, second_who)
        assert last.headers["location"] == f"{desk.url}?entered={second.id}"
        assert "Karta L-2:" in (await desk.second.get(last.headers["location"])).text
