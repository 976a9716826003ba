"""The staff console's start page: its menu links only to the pages the account's role may
open, and it says who is logged in."""

from __future__ import annotations

import re

import pytest

from tests.factories.staff import staff_client, unique_email
from urna.staff.matrix import role_may_open

pytestmark = pytest.mark.flow

MENU = re.compile(r'<nav aria-label="[^"]*">(.*?)</nav>', re.S)
LINK = re.compile(r'<a href="(/staff[^"?]*)"')


async def _menu_links(app, role: str) -> set[str]:
    async with await staff_client(app, role) as http:
        page = await http.get("/staff")
        assert page.status_code == 200
        menu = MENU.search(page.text)
        assert menu, "no menu on the start page"
        links = set(LINK.findall(menu.group(1)))
        for link in links:  # every link of the menu opens for this role
            assert (await http.get(link)).status_code == 200, (role, link)
    return links


@pytest.mark.parametrize(
    ("role", "logs", "stats"),
    [("verifier", True, False), ("netadmin", True, True), ("admin", True, True)],
)
async def test_the_menu_shows_logs_and_statistics_to_those_who_may_read_them(
    app, role, logs, stats
):
    links = await _menu_links(app, role)
    assert ("/staff/logs" in links) is logs
    assert ("/staff/stats" in links) is stats
    assert ("/staff/editions" in links) is (role == "admin")


def test_the_menu_asks_the_matrix():
    assert role_may_open("verifier", "/staff/logs")
    assert not role_may_open("verifier", "/staff/stats")
    assert role_may_open("netadmin", "/staff/stats")
    assert not role_may_open("netadmin", "/staff/editions")
    assert role_may_open("netadmin", "/staff/login")  # public
    assert not role_may_open("admin", "/staff/nowhere")  # not in the table


async def test_the_start_page_names_an_account_named_by_its_address_once(app):
    address = unique_email("verifier")
    async with await staff_client(app, "verifier", email=address, name=address.upper()) as http:
        page = (await http.get("/staff")).text
    assert f"Zalogowano jako {address}." in page and page.count(address) == 1
    async with await staff_client(app, "verifier", name="Anna Nowak") as http:
        page = (await http.get("/staff")).text
    assert f"Zalogowano jako Anna Nowak ({http.staff_user.email})." in page
