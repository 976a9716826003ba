"""What a resident and a clerk notice on the edition's side (issue 14): pictures resized
and stripped of their metadata, a project's place on a map, voting extended (never
shortened) with its reason announced, the console's times with their zone, the rules in
words, the municipality in the header, the office on error pages, the favicon."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from tests.factories.editions import edition_create
from tests.factories.staff import csrf_of, staff_client
from urna.core.audit import AuditEvent
from urna.core.db import utcnow
from urna.core.errors import FormInvalid
from urna.core.i18n import LOCAL_ZONE
from urna.editions.models import ClosingExtension, Edition
from urna.editions.project_details import LONGEST_SIDE, image_prepare

pytestmark = pytest.mark.flow


def photo(size=(3000, 2000), *, fmt="JPEG", mode="RGB", gps=True) -> bytes:
    """A picture as a phone takes it: large, with EXIF naming the camera and the place."""
    picture = Image.new(mode, size, (200, 80, 40) if mode == "RGB" else (200, 80, 40, 128))
    exif = Image.Exif()
    exif[0x010F] = "Telefon Sp. z o.o."  # Make
    exif[0x0131] = "Aparat 1.0"  # Software
    if gps:
        exif[0x8825] = {1: "N", 2: (53.0, 24.0, 4.0), 3: "E", 4: (18.0, 26.0, 50.0)}
    out = io.BytesIO()
    picture.save(out, fmt, exif=exif)
    return out.getvalue()


def test_a_picture_is_resized_and_loses_its_metadata():
    prepared = image_prepare(photo())
    assert (prepared.width, prepared.height) == (LONGEST_SIDE, 853)
    stored = Image.open(io.BytesIO(prepared.data))
    assert stored.format == "JPEG"
    assert stored.getexif() == {}
    assert not {"exif", "icc_profile", "xmp", "comment"} & set(stored.info)
    assert b"Telefon" not in prepared.data


def test_a_transparent_png_is_flattened_and_a_non_picture_refused():
    prepared = image_prepare(photo((400, 300), fmt="PNG", mode="RGBA", gps=False))
    assert Image.open(io.BytesIO(prepared.data)).mode == "RGB"
    for raw in (b"GIF89a not really", b"%PDF-1.7", b""):
        with pytest.raises(FormInvalid) as refused:
            image_prepare(raw)
        assert set(refused.value.errors) == {"image"}


async def _upcoming(app) -> Edition:
    now = utcnow()
    return await edition_create(
        app,
        voting_opens_at=(now + timedelta(days=5)).isoformat(),
        voting_closes_at=(now + timedelta(days=10)).isoformat(),
        results_at=(now + timedelta(days=20)).isoformat(),
    )


async def test_staff_attach_a_picture_and_a_place_and_residents_see_them(app, client):
    edition = await _upcoming(app)
    base = f"/staff/editions/{edition.slug}/projects/N1"
    async with await staff_client(app, "admin") as admin:
        token = csrf_of((await admin.get(base)).text)
        missing_alt = await admin.post(
            base + "/images",
            data={"csrf_token": token, "alt_text": ""},
            files={"image": ("lawki.jpg", photo(), "image/jpeg")},
        )
        assert missing_alt.status_code == 400
        assert 'href="#f-alt_text"' in missing_alt.text  # the summary links to the field
        added = await admin.post(
            base + "/images",
            data={"csrf_token": token, "alt_text": "Dwie stare ławki przy ul. Lipowej"},
            files={"image": ("lawki.jpg", photo(), "image/jpeg")},
        )
        assert added.status_code == 303
        half = await admin.post(
            base + "/location",
            data={"csrf_token": token, "location": "ul. Lipowa 12", "latitude": "53,401234"},
        )
        assert half.status_code == 400
        assert 'href="#f-longitude"' in half.text
        placed = await admin.post(
            base + "/location",
            data={
                "csrf_token": token,
                "location": "ul. Lipowa 12",
                "latitude": "53,401234",
                "longitude": "18.447321",
            },
        )
        assert placed.status_code == 303

    page = (await client.get(f"/e/{edition.slug}/projects/N1")).text
    assert 'alt="Dwie stare ławki przy ul. Lipowej"' in page
    assert "ul. Lipowa 12" in page
    assert "openstreetmap.org/?mlat=53.401234&amp;mlon=18.447321" in page
    src = page.split('<img src="')[1].split('"')[0]
    image = await client.get(src)
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/jpeg"
    assert "public" in image.headers["cache-control"]
    assert b"Telefon" not in image.content and Image.open(io.BytesIO(image.content)).width == 1280
    async with app.state.ctx.db() as session:
        actions = set(
            (
                await session.execute(
                    select(AuditEvent.action).where(AuditEvent.target == f"edition:{edition.slug}")
                )
            ).scalars()
        )
    assert {"edition.project_image_add", "edition.project_location"} <= actions


async def test_voting_is_extended_never_shortened_with_its_reason_announced(app, client):
    edition = await edition_create(app)  # open: from yesterday for ten days
    url = f"/staff/editions/{edition.slug}"
    closes = edition.voting_closes_at.astimezone(LOCAL_ZONE).replace(second=0, microsecond=0)
    later = (closes + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    earlier = (closes - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    async with await staff_client(app, "admin") as admin:
        page = await admin.get(url)
        assert "Przedłuż głosowanie" in page.text
        token = csrf_of(page.text)
        shorter = await admin.post(
            url + "/extend",
            data={"csrf_token": token, "voting_closes_at": earlier, "reason": "Pomyłka"},
        )
        assert shorter.status_code == 400
        assert "głosowania nigdy się nie skraca" in shorter.text
        no_reason = await admin.post(
            url + "/extend", data={"csrf_token": token, "voting_closes_at": later, "reason": ""}
        )
        assert no_reason.status_code == 400 and 'href="#f-reason"' in no_reason.text
        extended = await admin.post(
            url + "/extend",
            data={
                "csrf_token": token,
                "voting_closes_at": later,
                "reason": "Awaria serwera 31 maja od 20:00 do 22:30",
            },
        )
        assert extended.status_code == 303
        console = (await admin.get(url)).text
    async with app.state.ctx.db() as session:
        stored = await session.get(Edition, edition.id)
        assert stored.voting_closes_at == closes + timedelta(days=2)
        assert stored.required_fields == edition.required_fields
        extension = (await session.execute(select(ClosingExtension))).scalars().all()[-1]
        assert extension.previous_closes_at == edition.voting_closes_at
        event = (
            (
                await session.execute(
                    select(AuditEvent).where(AuditEvent.action == "edition.closing_extend")
                )
            )
            .scalars()
            .all()[-1]
        )
    assert event.reason == "Awaria serwera 31 maja od 20:00 do 22:30"
    assert event.target == f"edition:{edition.slug}"
    public = (await client.get(f"/e/{edition.slug}")).text
    assert "Głosowanie przedłużono do" in public
    assert "Awaria serwera 31 maja od 20:00 do 22:30" in public
    assert "Awaria serwera" in console


async def test_an_upcoming_edition_is_not_extended_its_rules_change_instead(app):
    edition = await _upcoming(app)
    async with await staff_client(app, "admin") as admin:
        token = csrf_of((await admin.get(f"/staff/editions/{edition.slug}")).text)
        refused = await admin.post(
            f"/staff/editions/{edition.slug}/extend",
            data={"csrf_token": token, "voting_closes_at": "2099-01-01T10:00", "reason": "x"},
        )
    assert refused.status_code == 409


async def test_the_console_speaks_words_and_local_time_with_its_zone(app, client):
    edition = await edition_create(app)
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get(f"/staff/editions/{edition.slug}")).text
    assert "first_name" not in page and "birth_date" not in page
    for words in ("Imię", "Nazwisko", "Data urodzenia", "Numer telefonu komórkowego"):
        assert words in page
    assert ">SMS<" in page
    zone = edition.voting_closes_at.astimezone(LOCAL_ZONE)
    assert f"{zone:%d.%m.%Y, %H:%M} {zone.tzname()}" in page
    public = (await client.get(f"/e/{edition.slug}")).text
    assert f"{zone:%d.%m.%Y, %H:%M}" in public and f"{zone:%H:%M} {zone.tzname()}" not in public


async def test_an_official_site_names_its_municipality_and_office(app, client):
    home = (await client.get("/")).text
    assert "Gmina Testowo" in home.split("</header>")[0]
    assert 'rel="icon"' in home
    assert "Odwiedziny: " in home.split("<footer")[1]
    missing = await client.get("/e/no-such-edition")
    assert missing.status_code == 404
    assert 'href="tel:+48520000000"' in missing.text
    assert "bo@testowo.invalid" in missing.text
    icon = await client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"


async def test_the_edition_page_stacks_its_pools_and_counts_in_polish(app, client):
    edition = await edition_create(app)
    page = (await client.get(f"/e/{edition.slug}")).text
    assert 'class="stack"' in page and 'data-label="Pula"' in page
    assert "najwyżej 2 projekty." in page and "najwyżej 1 projekt." in page


def test_coordinates_are_degrees_as_offices_type_them():
    from urna.core.forms import form_parse
    from urna.editions.forms import LocationForm

    place = form_parse(LocationForm, {"latitude": "53,401234", "longitude": "18.447321"})
    assert (str(place.latitude), str(place.longitude)) == ("53.401234", "18.447321")
    for latitude, longitude in (("53°24'", "18"), ("91", "18"), ("53", "")):
        with pytest.raises(FormInvalid) as refused:
            form_parse(LocationForm, {"latitude": latitude, "longitude": longitude})
        assert set(refused.value.errors) <= {"latitude", "longitude"}
