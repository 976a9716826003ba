"""Staff accounts and login: argon2id, TOTP second factor, the staff session."""

from __future__ import annotations

import json
import time

import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import update

from tests.factories.staff import (
    asgi_client,
    audit_events_of,
    csrf_of,
    random_ip,
    staff_client,
    staff_login,
    staff_user_create,
    staff_user_get,
    totp_code,
    unique_email,
)
from urna.staff import credentials
from urna.staff.models import StaffUser

pytestmark = pytest.mark.flow


# ---- passwords ----------------------------------------------------------------------


async def test_passwords_are_hashed_with_argon2id_at_least_owasp_parameters(app):
    user, password, _ = await staff_user_create(app, "verifier")
    stored = (await staff_user_get(app, user.id)).password_hash
    assert stored.startswith("$argon2id$v=19$")
    params = dict(item.split("=") for item in stored.split("$")[3].split(","))
    assert int(params["m"]) >= 19 * 1024 and int(params["t"]) >= 2 and int(params["p"]) >= 1
    assert password not in stored
    assert len(password) >= 20  # generated: ~99 bits


async def test_a_weaker_hash_is_replaced_at_the_next_login(app):
    user, password, secret = await staff_user_create(app, "netadmin")
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1, type=Type.ID)
    async with app.state.ctx.db() as session:
        await session.execute(
            update(StaffUser)
            .where(StaffUser.id == user.id)
            .values(password_hash=weak.hash(password))
        )
        await session.commit()
    async with asgi_client(app) as http:
        response = await staff_login(http, user.email, password, secret)
    assert response.status_code == 303
    stored = (await staff_user_get(app, user.id)).password_hash
    assert "m=19456,t=2,p=1" in stored and credentials.HASHER.verify(stored, password)


def test_an_unknown_account_costs_one_argon2_verification_like_a_known_one(monkeypatch):
    calls = []
    real = credentials.HASHER

    class CountingHasher:
        def verify(self, stored, password):
            calls.append(stored)
            return real.verify(stored, password)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(credentials, "HASHER", CountingHasher())
    known = credentials.password_hash("correct horse battery")
    assert credentials.password_verify(known, "wrong") is False
    assert credentials.password_verify(None, "anything") is False  # unknown: dummy hash
    assert credentials.password_verify(known, "correct horse battery") is True
    assert len(calls) == 3
    assert calls[1].startswith("$argon2id$v=19$m=19456,t=2,p=1$")  # same parameters

    # The work each costs, as CPU time of this thread's process (argon2 runs here), the two
    # measured in turns: other processes on a loaded machine change neither.
    spent: dict[object, list[float]] = {None: [], known: []}
    for _ in range(7):
        for stored in spent:
            start = time.process_time()
            credentials.password_verify(stored, "not it")
            spent[stored].append(time.process_time() - start)
    ratio = sorted(spent[None])[3] / sorted(spent[known])[3]
    assert 0.5 < ratio < 2.0  # no timing oracle between unknown and known accounts


async def test_unknown_and_wrong_password_get_the_same_answer_and_are_logged(app):
    user, _, _ = await staff_user_create(app, "verifier")
    ip = random_ip()
    async with asgi_client(app, ip=ip) as http:
        wrong = await staff_login(http, user.email, "not the password", "X" * 32)
        unknown = await staff_login(http, unique_email("nobody"), "not the password", "X" * 32)
    assert wrong.status_code == unknown.status_code == 400
    assert "Adres e-mail lub hasło są nieprawidłowe." in wrong.text
    assert "Adres e-mail lub hasło są nieprawidłowe." in unknown.text
    events = await audit_events_of(app, f"staff:{user.id}")
    assert [e.action for e in events][-1] == "staff.login_failed"
    assert events[-1].details["stage"] == "password" and events[-1].details["ip"] == ip
    assert "not the password" not in json.dumps(events[-1].details)


# ---- TOTP ---------------------------------------------------------------------------


async def test_first_login_enrols_totp_with_a_qr_code_then_asks_for_codes(app):
    user, password, secret = await staff_user_create(app, "admin")
    async with asgi_client(app, ip=random_ip()) as http:
        page = (await http.get("/staff/login")).text
        response = await http.post(
            "/staff/login",
            data={"email": user.email, "password": password, "csrf_token": csrf_of(page)},
        )
        assert response.status_code == 303 and response.headers["location"] == "/staff/login/code"
        assert (await http.get("/staff")).status_code == 303  # not logged in before the code
        page = await http.get("/staff/login/code")
        assert 'src="data:image/svg+xml' in page.text and secret in page.text
        assert page.headers["cache-control"] == "no-store"
        wrong = await http.post(
            "/staff/login/code", data={"code": "000000", "csrf_token": csrf_of(page.text)}
        )
        assert wrong.status_code == 400 and "Kod jest nieprawidłowy" in wrong.text
        response = await http.post(
            "/staff/login/code", data={"code": totp_code(secret), "csrf_token": csrf_of(page.text)}
        )
        assert response.status_code == 303 and response.headers["location"] == "/staff"
        assert (await http.get("/staff")).status_code == 200
    enrolled = await staff_user_get(app, user.id)
    assert enrolled.totp_enrolled_at is not None and enrolled.last_login_at is not None
    actions = [e.action for e in await audit_events_of(app, f"staff:{user.id}")]
    assert actions[-3:] == ["staff.login_failed", "staff.totp_enrol", "staff.login"]
    # the next login shows no QR code any more, and a used code cannot be replayed
    async with asgi_client(app, ip=random_ip()) as http:
        replay = await staff_login(http, user.email, password, secret)
        assert replay.status_code == 400
        page = (await http.get("/staff/login/code")).text
        assert "data:image/svg+xml" not in page and secret not in page
        response = await http.post(
            "/staff/login/code",
            data={"code": totp_code(secret, step_offset=1), "csrf_token": csrf_of(page)},
        )
        assert response.status_code == 303


async def test_the_secret_is_stored_encrypted(app):
    user, _, secret = await staff_user_create(app, "admin")
    stored = await staff_user_get(app, user.id)
    assert secret.encode() not in stored.totp_secret_enc
    assert credentials.totp_secret_of(app.state.ctx.crypto, stored) == secret


# ---- the staff session --------------------------------------------------------------


async def test_staff_cookie_is_strict_scoped_to_staff_and_a_session_cookie(app):
    async with asgi_client(app) as http:
        response = await http.get("/staff/login")
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("urna_staff=")
        attributes = [part.strip().lower() for part in cookie.split(";")[1:]]
        assert "samesite=strict" in attributes and "path=/staff" in attributes
        assert "httponly" in attributes
        assert not any(a.startswith(("expires", "max-age")) for a in attributes)
        assert "urna_sid" not in cookie  # the residents' session is not used here
    async with asgi_client(app) as http:
        https = await http.get(
            "/staff/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "1.2.3.4"}
        )
    secure = https.headers["set-cookie"]
    assert secure.startswith("__Secure-urna_staff=") and "Secure" in secure
    assert "Path=/staff" in secure


async def test_login_needs_the_pre_login_csrf_token(app):
    user, password, _ = await staff_user_create(app, "admin")
    async with asgi_client(app) as http:
        await http.get("/staff/login")
        response = await http.post("/staff/login", data={"email": user.email, "password": password})
    assert response.status_code == 403


async def test_session_id_rotates_at_login_and_old_ids_die(app):
    user, password, secret = await staff_user_create(app, "verifier")
    store = app.state.ctx.store
    async with asgi_client(app) as http:
        await http.get("/staff/login")
        before = http.cookies.get("urna_staff")
        response = await staff_login(http, user.email, password, secret)
        assert response.status_code == 303
        after = http.cookies.get("urna_staff")
        assert before and after and before != after
        assert await store.get("staff:" + before) is None
        data = json.loads(await store.get("staff:" + after))
        assert data["staff"] == {"id": user.id, "gen": 1}
        assert "pending" not in data


async def test_idle_timeout_is_thirty_minutes_in_the_store(app):
    async with await staff_client(app, "netadmin") as http:
        await http.get("/staff")
        sid = http.cookies.get("urna_staff")
        store = app.state.ctx.store
        if hasattr(store, "_redis"):
            ttl = await store._redis.ttl(store.key("staff:" + sid))
        else:
            ttl = store._data["staff:" + sid][1] - time.monotonic()
    assert 25 * 60 < ttl <= 30 * 60


async def test_absolute_timeout_of_eight_hours_ends_the_session(app):
    async with await staff_client(app, "verifier") as http:
        sid = http.cookies.get("urna_staff")
        store = app.state.ctx.store
        data = json.loads(await store.get("staff:" + sid))
        data["created"] = time.time() - 8 * 3600 - 5
        await store.set("staff:" + sid, json.dumps(data).encode(), ttl=600)
        response = await http.get("/staff")
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")


async def test_logout_ends_the_session_on_the_server_and_clears_site_data(app):
    async with await staff_client(app, "admin") as http:
        sid = http.cookies.get("urna_staff")
        page = (await http.get("/staff")).text
        response = await http.post("/staff/logout", data={"csrf_token": csrf_of(page)})
        assert response.status_code == 303 and response.headers["location"] == "/staff/login"
        assert response.headers["clear-site-data"] == '"cache", "cookies", "storage"'
        assert "Max-Age=0" in response.headers["set-cookie"]
        assert await app.state.ctx.store.get("staff:" + sid) is None
        http.cookies.set("urna_staff", sid, path="/staff")  # a copied old cookie is no good
        assert (await http.get("/staff")).status_code == 303
    events = await audit_events_of(app, f"staff:{http.staff_user.id}")
    assert events[-1].action == "staff.logout"


async def test_a_code_that_is_not_six_digits_is_refused_without_counting_as_a_guess(app):
    user, password, secret = await staff_user_create(app, "verifier", enrolled=True)
    async with asgi_client(app, ip=random_ip()) as http:
        page = (await http.get("/staff/login")).text
        await http.post(
            "/staff/login",
            data={"email": user.email, "password": password, "csrf_token": csrf_of(page)},
        )
        page = (await http.get("/staff/login/code")).text
        response = await http.post(
            "/staff/login/code", data={"code": "12 34", "csrf_token": csrf_of(page)}
        )
        assert response.status_code == 400
        assert "Wpisz 6 cyfr, które pokazuje aplikacja uwierzytelniająca." in response.text
        spaced = totp_code(secret)[:3] + " " + totp_code(secret)[3:]  # as the apps show it
        response = await http.post(
            "/staff/login/code", data={"code": spaced, "csrf_token": csrf_of(page)}
        )
        assert response.status_code == 303
    actions = [e.action for e in await audit_events_of(app, f"staff:{user.id}")]
    assert "staff.login_failed" not in actions and actions[-1] == "staff.login"


async def test_an_empty_login_form_asks_for_each_field(app):
    async with asgi_client(app, ip=random_ip()) as http:
        page = (await http.get("/staff/login")).text
        response = await http.post(
            "/staff/login", data={"email": "  ", "password": "", "csrf_token": csrf_of(page)}
        )
    assert response.status_code == 400
    # each field's message beside it, and in the error summary linked to it
    assert response.text.count("To pole jest wymagane.") == 4
    assert 'id="email-error"' in response.text and 'id="password-error"' in response.text
    assert 'href="#f-email"' in response.text and 'href="#f-password"' in response.text
