"""What the edition setup refuses, found by a tester in the staff console: a project number
that cannot be a segment of its pages' addresses, a project that costs nothing, a pool
without money, and a picture with too many pixels or none at all; and the warning on a
project no pool's budget can ever fund. Messages are checked in the English console (or
as msgids), so that they hold before and after the Polish catalogue is updated."""

from __future__ import annotations

import io
import json
import struct
import warnings
import zlib

import pytest
from PIL import Image

from tests.editions.test_console import edition_create_upcoming
from tests.editions.test_console_forms import _counts
from tests.factories.editions import edition_data
from tests.factories.staff import csrf_of, staff_client
from urna.core.errors import FormInvalid
from urna.core.forms import form_parse
from urna.editions import imports
from urna.editions.forms import EditionNewForm, PoolForm, ProjectForm, ProjectRow
from urna.editions.project_details import (
    IMAGE_MISSING,
    IMAGE_TOO_LARGE,
    IMAGE_TOO_MANY_PIXELS,
    image_prepare,
)
from urna.editions.schemas import (
    BUDGET_NOT_POSITIVE,
    COST_NOT_POSITIVE,
    OUTSIDE_POOL_AREA,
    PROJECT_NUMBER_INVALID,
    SPEND_LIMIT_NOT_POSITIVE,
)

pytestmark = pytest.mark.flow

# What offices and pabulib files number projects with (pabulib: digits, or "L001").
GOOD_NUMBERS = ["12", "L001", "ZP-07", "2027.04", "B_3", "Ś-1", "żł9"]
# "/" splits the address; "?", "#" and "%" end or escape it; "." and ".." are folders.
BAD_NUMBERS = ["a/b c", "a/b", "12 A", "P?1", "P#1", "50%", "%2F", ".", "..", "-1", ".P1",
               "_1", "P+1", "P:1", "P\\1", "P;1", "P&1", "P'1", 'P"1', "P<1>", "Пр-1"]  # fmt: skip


def _project(**changes) -> dict[str, str]:
    return {"number": "P1", "pool": "CITY", "title": "Park", "cost": "60 000", **changes}


def _refused(model, values) -> dict[str, str]:
    with pytest.raises(FormInvalid) as caught:
        form_parse(model, values)
    return caught.value.errors


def _json_errors(data: dict) -> dict[str, str]:
    with pytest.raises(FormInvalid) as caught:
        imports.edition_parse(data)
    return caught.value.errors


@pytest.mark.parametrize("number", GOOD_NUMBERS)
def test_project_numbers_offices_use_are_taken_everywhere(number):
    assert form_parse(ProjectForm, _project(number=f" {number} ")).number == number
    assert form_parse(ProjectRow, _project(number=number, cost="100")).number == number
    data = edition_data()
    data["projects"][0]["number"] = number
    assert imports.edition_parse(data).projects[0].number == number


@pytest.mark.parametrize("number", BAD_NUMBERS)
def test_a_project_number_that_breaks_its_address_is_refused_everywhere(number):
    assert _refused(ProjectForm, _project(number=number)) == {"number": PROJECT_NUMBER_INVALID}
    assert _refused(ProjectRow, _project(number=number, cost="100")) == {
        "number": PROJECT_NUMBER_INVALID
    }
    data = edition_data()
    data["projects"][1]["number"] = number
    assert _json_errors(data) == {"projects.1.number": PROJECT_NUMBER_INVALID}


def test_nothing_is_free_and_no_pool_is_empty():
    assert _refused(ProjectForm, _project(cost="0")) == {"cost": COST_NOT_POSITIVE}
    assert _refused(ProjectForm, _project(cost="0,00 zł")) == {"cost": COST_NOT_POSITIVE}
    assert form_parse(ProjectForm, _project(cost="0,01")).cost == 1
    assert _refused(ProjectRow, _project(cost="0")) == {"cost": COST_NOT_POSITIVE}
    pool = {"code": "N", "name": "Pula", "budget": "0"}
    assert _refused(PoolForm, pool) == {"budget": BUDGET_NOT_POSITIVE}
    limited = {"code": "N", "name": "Pula", "budget": "100 000", "max_total_cost": "0"}
    assert _refused(PoolForm, limited) == {"max_total_cost": SPEND_LIMIT_NOT_POSITIVE}
    assert form_parse(PoolForm, {**limited, "max_total_cost": ""}).max_total_cost is None
    new = {"slug": "bo-2027", "name": "Budżet", "municipality": "Gmina", "pool_code": "CITY",
           "pool_name": "Pula", "pool_budget": "0", "voting_opens_at": "01.05.2027",
           "voting_closes_at": "31.05.2027", "results_at": "15.06.2027",
           "required_fields": ["first_name", "last_name"],
           "confirmation_channel": "none"}  # fmt: skip
    assert _refused(EditionNewForm, new) == {"pool_budget": BUDGET_NOT_POSITIVE}
    for value in (0, -100):
        data = edition_data()
        data["projects"][2]["cost"] = value
        data["pools"][1]["budget"] = value
        data["pools"][0]["max_total_cost"] = value
        assert _json_errors(data) == {
            "pools.0.max_total_cost": SPEND_LIMIT_NOT_POSITIVE,
            "pools.1.budget": BUDGET_NOT_POSITIVE,
            "projects.2.cost": COST_NOT_POSITIVE,
        }


async def test_the_console_refuses_a_bad_number_and_a_free_project_and_keeps_a_good_one(
    app, client
):
    slug = await edition_create_upcoming(app)
    before = await _counts(app, slug)
    async with await staff_client(app, "admin") as admin:
        await admin.get("/staff/lang/en")
        token = csrf_of((await admin.get(f"/staff/editions/{slug}/projects")).text)
        for wrong, field, message in [
            ({"number": "a/b c"}, "number", PROJECT_NUMBER_INVALID),
            ({"cost": "0"}, "cost", COST_NOT_POSITIVE),
        ]:
            response = await admin.post(
                f"/staff/editions/{slug}/projects",
                data={**_project(number="P9"), **wrong, "csrf_token": token},
            )
            assert response.status_code == 400, wrong
            assert f'id="{field}-error">{message}' in response.text
        response = await admin.post(
            f"/staff/editions/{slug}/pools",
            data={"code": "EXTRA", "name": "Pula", "budget": "0", "csrf_token": token},
        )
        assert response.status_code == 400
        assert f'id="budget-error">{BUDGET_NOT_POSITIVE}' in response.text
        assert await _counts(app, slug) == before

        response = await admin.post(
            f"/staff/editions/{slug}/projects",
            data={**_project(number="ZP-07"), "csrf_token": token},
        )
        assert response.status_code == 303
        assert (await admin.get(f"/staff/editions/{slug}/projects/ZP-07")).status_code == 200
    assert (await client.get(f"/e/{slug}/projects/ZP-07")).status_code == 200


async def test_the_imports_refuse_bad_numbers_and_free_projects_on_their_rows(app):
    slug = await edition_create_upcoming(app)
    before = await _counts(app, slug)
    rows = (
        "number;pool;title;cost\n"
        "P8;CITY;Ławki;800000\n"
        "a/b c;CITY;Zły numer;100\n"
        "P9;CITY;Za darmo;0\n"
    )
    async with await staff_client(app, "admin") as admin:
        await admin.get("/staff/lang/en")
        token = csrf_of((await admin.get(f"/staff/editions/{slug}/import/projects")).text)
        preview = await admin.post(
            f"/staff/editions/{slug}/import/projects/preview",
            data={"text": rows, "csrf_token": token},
        )
        assert preview.status_code == 400
        table = preview.text.split("<tbody>")[1]
        assert table.count('class="row-error"') == 2
        assert f"<strong>number</strong>: {PROJECT_NUMBER_INVALID}" in table
        assert f"<strong>cost</strong>: {COST_NOT_POSITIVE}" in table

        data = edition_data()
        data["projects"][0]["number"] = "C/1"
        response = await admin.post(
            "/staff/editions/import",
            files={"file": ("edycja.json", json.dumps(data).encode(), "application/json")},
            data={"csrf_token": token},
        )
        assert response.status_code == 400
        assert f"<code>projects.0.number</code>: {PROJECT_NUMBER_INVALID}" in response.text
    assert await _counts(app, slug) == before


async def test_a_project_dearer_than_its_whole_pool_is_taken_with_a_warning(app):
    slug = await edition_create_upcoming(app)  # the pool N has 30 000 zł
    async with await staff_client(app, "admin") as admin:
        await admin.get("/staff/lang/en")
        page = await admin.get(f"/staff/editions/{slug}/projects")
        assert 'id="over-budget"' not in page.text
        dearer = _project(number="N9", pool="N", cost="30 000,01")
        response = await admin.post(
            f"/staff/editions/{slug}/projects", data={**dearer, "csrf_token": csrf_of(page.text)}
        )
        assert response.status_code == 303
        page = (await admin.get(f"/staff/editions/{slug}/projects")).text
    assert 'id="over-budget"' in page
    row = next(line for line in page.splitlines() if ">N9<" in line)
    assert "More than the whole budget of the pool (PLN\u00a030,000)" in row
    assert "never be funded" in row
    others = [line for line in page.splitlines() if "<tr><td" in line and ">N9<" not in line]
    assert others and not any("never be funded" in line for line in others)


def _png_header(width: int, height: int) -> bytes:
    """A PNG that names its size and holds no pixels: read no further than its header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def _big_png() -> bytes:
    """A real 12000 × 9000 picture (108 million pixels) in a small file."""
    out = io.BytesIO()
    Image.new("1", (12000, 9000)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_picture_of_too_many_pixels_says_so_not_that_it_is_too_large():
    raw = _big_png()
    assert len(raw) < 1024 * 1024
    for picture in (raw, _png_header(30000, 30000), _png_header(8000, 6251)):
        with pytest.raises(FormInvalid) as refused:
            image_prepare(picture)
        assert refused.value.errors == {"image": IMAGE_TOO_MANY_PIXELS}
    with warnings.catch_warnings():  # where Pillow's warning is an error, the same message
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with pytest.raises(FormInvalid) as refused:
            image_prepare(raw)
    assert refused.value.errors == {"image": IMAGE_TOO_MANY_PIXELS}
    assert IMAGE_TOO_MANY_PIXELS != IMAGE_TOO_LARGE and "50 million pixels" in IMAGE_TOO_MANY_PIXELS


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
async def test_the_upload_form_names_the_pixels_and_asks_for_a_missing_file(app):
    slug = await edition_create_upcoming(app)
    url = f"/staff/editions/{slug}/projects/C1/images"
    async with await staff_client(app, "admin") as admin:
        await admin.get("/staff/lang/en")
        token = csrf_of((await admin.get(f"/staff/editions/{slug}/projects/C1")).text)
        alt = {"csrf_token": token, "alt_text": "Plac zabaw"}
        huge = await admin.post(
            url, data=alt, files={"image": ("plac.png", _big_png(), "image/png")}
        )
        assert huge.status_code == 400
        assert f'id="image-error">{IMAGE_TOO_MANY_PIXELS}' in huge.text
        assert "10 MB." not in huge.text.split('id="image-error">')[1].split("</p>")[0]
        empty = await admin.post(
            url, data=alt, files={"image": ("", b"", "application/octet-stream")}
        )
        assert empty.status_code == 400 and f'id="image-error">{IMAGE_MISSING}' in empty.text
        none = await admin.post(url, data={"csrf_token": token})  # neither file nor text
        assert none.status_code == 400
        assert (
            f'id="image-error">{IMAGE_MISSING}' in none.text and 'id="alt_text-error"' in none.text
        )


async def test_a_district_project_elsewhere_than_its_pool_is_refused_everywhere(app):
    """A project of the district pool N placed in area S was taken: the catalogue listed it
    to S's residents, who cannot vote for it, and hid it from N's. The console, the CSV
    import and the JSON import refuse it on its area; a city-wide project may be anywhere."""
    slug = await edition_create_upcoming(app)
    before = await _counts(app, slug)
    async with await staff_client(app, "admin") as admin:
        await admin.get("/staff/lang/en")
        token = csrf_of((await admin.get(f"/staff/editions/{slug}/projects")).text)
        response = await admin.post(
            f"/staff/editions/{slug}/projects",
            data={**_project(number="N8", pool="N", area="S"), "csrf_token": token},
        )
        assert response.status_code == 400
        assert 'href="#f-area"' in response.text and OUTSIDE_POOL_AREA in response.text
        rows = "number;pool;title;cost;area\nN9;N;Ławki;800000;S\nC9;CITY;Zieleń;800000;S\n"
        preview = await admin.post(
            f"/staff/editions/{slug}/import/projects/preview",
            data={"text": rows, "csrf_token": token},
        )
        table = preview.text.split("<tbody>")[1]
        assert preview.status_code == 400 and table.count('class="row-error"') == 1
        assert f"<strong>area</strong>: {OUTSIDE_POOL_AREA}" in table
    assert await _counts(app, slug) == before
    data = edition_data()
    district = next(i for i, p in enumerate(data["projects"]) if p["pool"] == "N")
    data["projects"][district]["area"] = "S"
    assert _json_errors(data) == {f"projects.{district}.area": OUTSIDE_POOL_AREA}
