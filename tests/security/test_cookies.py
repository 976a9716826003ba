"""Cookie attributes on every Set-Cookie the app sends: every GET route (enumerated from
``app.routes``) crawled by an anonymous visitor, a resident mid-vote and an admin, the
whole vote (every POST of it), the staff login (password and TOTP) and logout, over HTTP
and over HTTPS. Each cookie is a session cookie (no Expires/Max-Age: the privacy policy
promises session-only cookies) except an explicit deletion; HttpOnly; SameSite Lax
(residents) or Strict (staff); a Path; no Domain; Secure with the ``__Host-`` /
``__Secure-`` prefix over HTTPS, and only the two session cookies exist."""

from __future__ import annotations

import pytest

from tests.factories.staff import staff_login, staff_user_create
from tests.factories.voting import person, vote
from tests.security.checklist import (
    Recorder,
    SetCookie,
    plain_client,
    set_cookies,
    visitors,
    visitors_close,
)
from tests.world import routes, world_seed

pytestmark = pytest.mark.flow

# name over HTTP, name over HTTPS, SameSite, Path
KINDS = {
    "resident": ("urna_sid", "__Host-urna_sid", "Lax", "/"),
    "staff": ("urna_staff", "__Secure-urna_staff", "Strict", "/staff"),
}


def cookie_faults(cookie: SetCookie, *, https: bool) -> list[str]:
    kinds = {(pair[1] if https else pair[0]): pair for pair in KINDS.values()}
    if cookie.name not in kinds:
        return [f"unexpected cookie {cookie.name}"]
    _, _, same_site, path = kinds[cookie.name]
    a, faults = cookie.attributes, []
    if "httponly" not in a:
        faults.append("HttpOnly")
    if a.get("samesite") != same_site:
        faults.append(f"SameSite={a.get('samesite')}")
    if a.get("path") != path:
        faults.append(f"Path={a.get('path')}")
    if "domain" in a:
        faults.append("Domain")
    if https != ("secure" in a):
        faults.append("Secure" if https else "Secure over plain HTTP")
    if "expires" in a or ("max-age" in a and not cookie.deletion):
        faults.append("not a session cookie")
    if not cookie.deletion and len(cookie.value) < 43:
        faults.append("id shorter than 256 bits")
    return faults


async def _everything(app, world, recorder: Recorder, *, https: bool) -> None:
    clients = await visitors(app, world, https=https)
    for http in clients.values():
        recorder.attach(http)
    try:
        for http in clients.values():
            for _, path in routes(app, frozenset({"GET"})):
                await http.get(world.url(path))
        # the whole vote, every POST of it, in a browser that starts with no cookie
        async with recorder.attach(plain_client(app, https=https)) as resident:
            cast = await vote(resident, app, world.open, person(), ["C2"])
            assert cast.status_code == 303
            await resident.get(cast.headers["location"])
        # the staff login (password, then the TOTP code with enrolment) and logout
        user, password, secret = await staff_user_create(app, "verifier")
        async with recorder.attach(plain_client(app, https=https)) as staff:
            assert (await staff_login(staff, user.email, password, secret)).status_code == 303
            page = (await staff.get("/staff")).text
            token = page.split('"X-CSRF-Token": "')[1].split('"')[0]
            out = await staff.post("/staff/logout", data={"csrf_token": token})
            assert out.status_code == 303
    finally:
        await visitors_close(clients)


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
async def test_every_set_cookie_is_a_httponly_samesite_session_cookie(app, https):
    world = await world_seed(app)
    recorder = Recorder()
    await _everything(app, world, recorder, https=https)

    cookies = [
        (r.request.method, r.request.url.path, cookie)
        for r in recorder.responses
        for cookie in set_cookies(r)
    ]
    faults = [
        (method, path, cookie.raw, found)
        for method, path, cookie in cookies
        if (found := cookie_faults(cookie, https=https))
    ]
    assert faults == []
    # not vacuous: both kinds were set, rotated and deleted along the way
    names = {cookie.name for _, _, cookie in cookies}
    assert names == {KINDS[kind][1 if https else 0] for kind in KINDS}
    assert any(c.deletion for _, _, c in cookies)  # the logout removes the staff cookie
    rotations = [path for method, path, _ in cookies if method == "POST"]
    assert any(p.endswith("/vote/code") for p in rotations)  # the resident's rotation
    assert "/staff/login" in rotations and "/staff/login/code" in rotations
    assert len(recorder.responses) > 150
