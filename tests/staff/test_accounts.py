"""Staff accounts (admin): create, change role, disable; one's own password. Every change
is audited, every refused form names its fields, sessions end where they must."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories.staff import (
    asgi_client,
    audit_events_of,
    csrf_of,
    random_ip,
    staff_client,
    staff_login,
    staff_user_get,
    unique_email,
)
from urna.staff import credentials
from urna.staff.models import StaffUser

pytestmark = pytest.mark.flow


async def test_disabling_an_account_ends_its_sessions_at_once(app):
    async with (
        await staff_client(app, "verifier") as victim,
        await staff_client(app, "admin") as admin,
    ):
        assert (await victim.get("/staff")).status_code == 200
        page = (await admin.get(f"/staff/users/{victim.staff_user.id}")).text
        refused = await admin.post(
            f"/staff/users/{victim.staff_user.id}/active",
            data={"active": "0", "reason": "", "csrf_token": csrf_of(page)},
        )
        assert refused.status_code == 400  # a reason is required
        response = await admin.post(
            f"/staff/users/{victim.staff_user.id}/active",
            data={"active": "0", "reason": "left the team", "csrf_token": csrf_of(page)},
        )
        assert response.status_code == 303
        gone = await victim.get("/staff")
        assert gone.status_code == 303 and gone.headers["location"].startswith("/staff/login")
        # and the password no longer opens a new session
        async with asgi_client(app, ip=random_ip()) as fresh:
            again = await staff_login(
                fresh, victim.staff_user.email, victim.staff_password, victim.staff_secret
            )
        assert again.status_code == 400
    events = await audit_events_of(app, f"staff:{victim.staff_user.id}")
    disabled = [e for e in events if e.action == "staff.disable"]
    assert disabled and disabled[0].reason == "left the team"
    assert disabled[0].actor_id == admin.staff_user.id


async def test_role_change_is_audited_and_applies_at_the_next_request(app):
    async with (
        await staff_client(app, "netadmin") as person,
        await staff_client(app, "admin") as admin,
    ):
        assert (await person.get("/staff/users")).status_code == 403
        page = (await admin.get(f"/staff/users/{person.staff_user.id}")).text
        response = await admin.post(
            f"/staff/users/{person.staff_user.id}/role",
            data={"role": "admin", "reason": "covers for the office", "csrf_token": csrf_of(page)},
        )
        assert response.status_code == 303
        assert (await person.get("/staff/users")).status_code == 200
        own = await admin.post(
            f"/staff/users/{admin.staff_user.id}/role",
            data={"role": "verifier", "reason": "x", "csrf_token": csrf_of(page)},
        )
        assert own.status_code == 409  # nobody demotes or disables themselves
    event = [
        e
        for e in await audit_events_of(app, f"staff:{person.staff_user.id}")
        if e.action == "staff.role_change"
    ][0]
    assert event.details == {"from": "netadmin", "to": "admin"}
    assert event.reason == "covers for the office"


async def test_admin_creates_an_account_and_sees_its_password_once(app):
    email = unique_email("New.Person")  # stored lower-case
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get("/staff/users")).text
        response = await admin.post(
            "/staff/users",
            data={"email": email, "name": "Nowa Osoba", "role": "verifier",
                  "reason": "joins the team", "csrf_token": csrf_of(page)},
        )  # fmt: skip
        assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
        password = response.text.split('id="new-password">')[1].split("<")[0]
        again = await admin.post(
            "/staff/users",
            data={"email": email.lower(), "name": "x", "role": "admin",
                  "csrf_token": csrf_of(page)},
        )  # fmt: skip
        assert again.status_code == 409 and "Konto z tym adresem e-mail już istnieje." in again.text
    async with app.state.ctx.db() as session:
        created = (
            await session.execute(select(StaffUser).where(StaffUser.email == email.lower()))
        ).scalar_one()
    assert created.role == "verifier" and created.totp_enrolled_at is None
    assert credentials.password_verify(created.password_hash, password)
    events = await audit_events_of(app, f"staff:{created.id}")
    [event] = [e for e in events if e.action == "staff.create"]
    assert event.actor_id == admin.staff_user.id and event.reason == "joins the team"


async def test_account_forms_name_each_wrong_field_in_polish_and_english(app):
    async with await staff_client(app, "admin") as admin:
        page = (await admin.get("/staff/users")).text
        form = {"email": "not an address", "name": "  ", "role": "boss"}
        response = await admin.post("/staff/users", data={**form, "csrf_token": csrf_of(page)})
        assert response.status_code == 400
        for polish in (
            "Ten adres e-mail jest nieprawidłowy.",
            "To pole jest wymagane.",
            "Wybierz rolę.",
        ):
            assert polish in response.text
        long_name = {"email": "a@example.pl", "name": "N" * 201, "role": "verifier"}
        response = await admin.post("/staff/users", data={**long_name, "csrf_token": csrf_of(page)})
        assert response.status_code == 400 and "Ten tekst jest za długi." in response.text
        assert "To pole jest wymagane." not in response.text  # it was given: too long
        await admin.get("/staff/lang/en")
        page = (await admin.get("/staff/users")).text
        response = await admin.post("/staff/users", data={**form, "csrf_token": csrf_of(page)})
        for english in (
            "This e-mail address is not valid.",
            "This field is required.",
            "Choose a role.",
        ):
            assert english in response.text
    async with app.state.ctx.db() as session:
        assert (
            await session.scalar(select(StaffUser).where(StaffUser.email.like("not an address%")))
            is None
        )


async def test_password_change_ends_other_sessions(app):
    async with await staff_client(app, "verifier") as first:
        user = first.staff_user
        async with asgi_client(app) as second:
            response = await staff_login(
                second, user.email, first.staff_password, first.staff_secret, step_offset=1
            )
            assert response.status_code == 303
            page = (await first.get("/staff/account")).text
            short = await first.post(
                "/staff/account/password",
                data={"current_password": first.staff_password, "new_password": "short",
                      "repeat_password": "short", "csrf_token": csrf_of(page)},
            )  # fmt: skip
            assert short.status_code == 400
            changed = await first.post(
                "/staff/account/password",
                data={"current_password": first.staff_password,
                      "new_password": "a much longer new password",
                      "repeat_password": "a much longer new password",
                      "csrf_token": csrf_of(page)},
            )  # fmt: skip
            assert changed.status_code == 303
            assert (await first.get("/staff")).status_code == 200  # this session goes on
            assert (await second.get("/staff")).status_code == 303  # the other one ended


async def test_a_refused_password_change_names_each_field_and_changes_nothing(app):
    async with await staff_client(app, "netadmin") as http:
        page = csrf_of((await http.get("/staff/account")).text)
        cases = [
            ({"current_password": "", "new_password": "short", "repeat_password": "other"},
             ["To pole jest wymagane.", "Hasło musi mieć co najmniej 12 znaków."]),
            ({"current_password": http.staff_password, "new_password": "long enough words",
              "repeat_password": "long enough word"}, ["Hasła nie są takie same."]),
            ({"current_password": http.staff_password, "new_password": http.staff_password,
              "repeat_password": http.staff_password}, ["Wybierz hasło inne niż obecne."]),
            ({"current_password": "not my password", "new_password": "long enough words",
              "repeat_password": "long enough words"}, ["Obecne hasło jest nieprawidłowe."]),
        ]  # fmt: skip
        for form, messages in cases:
            response = await http.post("/staff/account/password", data={**form, "csrf_token": page})
            assert response.status_code == 400
            for message in messages:
                assert message in response.text
        assert (await http.get("/staff")).status_code == 200  # the session goes on
    stored = (await staff_user_get(app, http.staff_user.id)).password_hash
    assert credentials.password_verify(stored, http.staff_password)
