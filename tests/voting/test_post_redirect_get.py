"""Every form of the vote works without JavaScript as POST → 303 → GET: "Send a new code",
"Update the summary" and the receipt check answer with a redirect to a page that shows
what was done (a reload repeats nothing); htmx requests keep their fragment."""

import json
import re

import pytest
from httpx import ASGITransport, AsyncClient

from tests.factories.editions import edition_create
from tests.factories.voting import (
    person,
    post_form,
    project_ids,
    reach_choices,
    reach_code,
    receipt_of,
    vote,
)

pytestmark = pytest.mark.flow

SENT = "Wysłaliśmy nowy kod."
TOO_MANY = "W tej puli wybrano więcej projektów, niż pozwalają zasady."
COUNTED = '<section class="result status-counted" role="status">'
NOTICE = re.compile(r'<div id="limit-notice"[^>]*>(.*?)\n</div>', re.S)


async def test_a_new_code_answers_303_and_the_code_page_says_it_once(app, client):
    edition = await edition_create(app)
    page, _ = await reach_code(client, app, edition.slug, person())
    assert SENT not in page
    resend = await post_form(client, f"/e/{edition.slug}/vote/code/resend", {}, page)
    assert resend.status_code == 303
    assert resend.headers["location"] == f"/e/{edition.slug}/vote/code"
    shown = await client.get(resend.headers["location"])
    assert shown.status_code == 200 and SENT in shown.text
    assert SENT not in (await client.get(f"/e/{edition.slug}/vote/code")).text  # once


async def test_update_without_javascript_answers_303_and_the_ballot_names_the_limit(app, client):
    edition = await edition_create(app)
    page = await reach_choices(client, app, edition.slug, person())
    ids = project_ids(page)
    url = f"/e/{edition.slug}/vote/choices"
    assert NOTICE.search(page).group(1).strip() == ""  # the live region, empty
    updated = await post_form(client, url + "?update=1", {"project": [ids["N1"], ids["N2"]]}, page)
    assert updated.status_code == 303 and updated.headers["location"] == url
    ballot = await client.get(url)
    assert ballot.status_code == 200
    # the ticks are kept, and the page says at its top what they break
    for number in ("N1", "N2"):
        assert f'id="p-{ids[number]}" checked' in ballot.text
    top = ballot.text.index('class="error-summary"')
    assert TOO_MANY in ballot.text[top : ballot.text.index('<fieldset class="pool')]
    # the notice a phone keeps at the bottom of the screen, above the summary
    notice = NOTICE.search(ballot.text)
    assert notice and 'class="limit-box"' in notice.group(1)
    assert "Pula Północ" in notice.group(1) and TOO_MANY in notice.group(1)
    assert ballot.text.rindex("</fieldset>") < notice.start() < ballot.text.index('id="summary"')
    # one box fewer: the limit kept, nothing to say
    updated = await post_form(client, url + "?update=1", {"project": [ids["N1"]]}, ballot.text)
    assert updated.status_code == 303
    ballot = (await client.get(url)).text
    assert NOTICE.search(ballot).group(1).strip() == "" and "error-summary" not in ballot


async def test_about_a_project_not_on_the_ballot_goes_back_to_the_ballot(app, client):
    edition = await edition_create(app)
    page = await reach_choices(client, app, edition.slug, person())
    ids = project_ids(page)
    url = f"/e/{edition.slug}/vote/choices"
    read = await post_form(client, url + "?read=Z9", {"project": [ids["C1"]]}, page)
    assert read.status_code == 303 and read.headers["location"] == url
    assert f'id="p-{ids["C1"]}" checked' in (await client.get(url)).text


async def test_htmx_gets_the_summary_with_the_notice_out_of_band(app, client):
    edition = await edition_create(app)
    page = await reach_choices(client, app, edition.slug, person())
    ids = project_ids(page)
    url = f"/e/{edition.slug}/vote/choices"
    htmx = {"HX-Request": "true"}
    live = await post_form(
        client, url + "?live=1", {"project": [ids["N1"], ids["N2"]]}, page, headers=htmx
    )
    assert live.status_code == 200 and "<html" not in live.text
    assert live.text.lstrip().startswith('<section id="summary"')
    notice = NOTICE.search(live.text)
    assert notice and 'hx-swap-oob="innerHTML"' in notice.group(0)
    assert 'role="alert"' in notice.group(0) and TOO_MANY in notice.group(1)
    assert TOO_MANY in live.text.split('<div id="limit-notice"')[0]  # the summary says it too
    # within the limit again: the notice is emptied
    live = await post_form(client, url + "?live=1", {"project": [ids["N1"]]}, page, headers=htmx)
    assert NOTICE.search(live.text).group(1).strip() == ""
    # "Update the summary" sent by htmx keeps its fragment
    update = await post_form(
        client, url + "?update=1", {"project": [ids["C1"]]}, page, headers=htmx
    )
    assert update.status_code == 200 and update.text.lstrip().startswith('<section id="summary"')


async def test_the_receipt_check_answers_303_and_the_code_never_goes_in_the_address(app, client):
    edition = await edition_create(app)
    await vote(client, app, edition.slug, person(), ["C1"])
    receipt = await receipt_of(client, edition.slug)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://testserver") as other:
        page = (await other.get("/receipt")).text
        checked = await post_form(other, "/receipt", {"code": receipt}, page)
        assert checked.status_code == 303 and checked.headers["location"] == "/receipt"
        # the session keeps the status found, never the code
        raw = await app.state.ctx.store.get("sess:" + other.cookies.get("urna_sid"))
        held = json.dumps(json.loads(raw))
        assert receipt not in held and receipt.replace("-", "") not in held
        shown = (await other.get("/receipt")).text
        assert COUNTED in shown and "Budżet testowy" in shown
        assert receipt not in shown  # not even in the form
        again = (await other.get("/receipt")).text
        assert COUNTED not in again and 'class="result' not in again  # shown once
        # a code not found, a code malformed: the form again, with its message (400)
        unknown = await post_form(other, "/receipt", {"code": "0000-0000-0000"}, again)
        assert unknown.status_code == 400 and "Nie ma głosu z takim kodem" in unknown.text
        malformed = await post_form(other, "/receipt", {"code": "ABC"}, again)
        assert malformed.status_code == 400 and 'value="ABC"' in malformed.text
    # another browser is never shown this browser's check
    assert 'class="result' not in (await client.get("/receipt")).text
