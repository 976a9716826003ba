"""The role × route matrix: the one place that says who may call each route of the app.

Every route of the application is listed here (``tests/staff/test_matrix.py`` enumerates
``app.routes`` and fails on any route missing from this table, then calls each route as
an anonymous visitor, as a resident with a voting session and as each staff role, and
checks that each gets exactly what the table allows). ``PUBLIC`` routes need no staff
login; a role set means the route's guard (``core.access``: ``AdminUser``, ``LogReader``,
… or ``require_role(*roles)``): anonymous visitors are sent to ``/staff/login`` (303),
other roles get 403.

Summary (A = admin, V = verifier, N = netadmin):

============================================  ===  ===  ===
route                                          A    V    N
============================================  ===  ===  ===
public pages, the vote, receipts, documents    ✓    ✓    ✓   (and everyone else)
/staff/login…, /staff/lang/…                   ✓    ✓    ✓   (and everyone else)
/staff, /staff/account…, /staff/logout         ✓    ✓    ✓
/staff/users…      (accounts, roles)           ✓
/staff/editions…   (edition setup, results)    ✓
/staff/paper…      (paper ballots)             ✓
/staff/audit…      (audit log)                 ✓
/staff/documents…  (privacy policy, a11y)      ✓
/staff/logs…       (request logs, trails)      ✓    ✓    ✓
/staff/stats       (statistics from the logs)  ✓         ✓
/staff/verify…     (the cases of an edition)   ✓    ✓    ✓
/staff/verify/{slug}/…  (ballots, decisions)   ✓    ✓
/staff/fraud/allow…  (known shared networks)   ✓    ✓
============================================  ===  ===  ===

Add your routes here when you add them to the app.
"""

from __future__ import annotations

from typing import Literal

from urna.core.access import ROLES

PUBLIC: Literal["public"] = "public"
ANY_STAFF = frozenset(ROLES)
ADMIN = frozenset({"admin"})
LOG_READERS = frozenset({"netadmin", "verifier", "admin"})  # the policy: logs go to nobody else
STATS_READERS = frozenset({"netadmin", "admin"})
VERIFIERS = frozenset({"verifier", "admin"})  # decisions, identities, choices

RouteKey = tuple[str, str]  # (method, path template as declared)

ROUTE_ROLES: dict[RouteKey, frozenset[str] | Literal["public"]] = {
    # ---- public site (core, editions, voting, privacy) ------------------------------
    ("GET", "/lang/{code}"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,  # outside production only (main.create_app)
    ("GET", "/"): PUBLIC,
    ("GET", "/e/{slug}"): PUBLIC,
    ("GET", "/e/{slug}/projects"): PUBLIC,
    ("GET", "/e/{slug}/projects/{number}"): PUBLIC,
    ("GET", "/e/{slug}/projects/{number}/images/{image_id}"): PUBLIC,
    ("GET", "/favicon.ico"): PUBLIC,
    ("GET", "/e/{slug}/vote"): PUBLIC,
    ("POST", "/e/{slug}/vote"): PUBLIC,
    ("GET", "/e/{slug}/vote/identity"): PUBLIC,
    ("POST", "/e/{slug}/vote/identity"): PUBLIC,
    ("GET", "/e/{slug}/vote/code"): PUBLIC,
    ("POST", "/e/{slug}/vote/code"): PUBLIC,
    ("POST", "/e/{slug}/vote/code/resend"): PUBLIC,
    ("GET", "/e/{slug}/vote/choices"): PUBLIC,
    ("POST", "/e/{slug}/vote/choices"): PUBLIC,
    ("GET", "/e/{slug}/vote/review"): PUBLIC,
    ("POST", "/e/{slug}/vote/cast"): PUBLIC,
    ("GET", "/e/{slug}/vote/receipt"): PUBLIC,
    ("GET", "/receipt"): PUBLIC,
    ("POST", "/receipt"): PUBLIC,
    ("GET", "/privacy"): PUBLIC,
    ("GET", "/privacy/logging"): PUBLIC,
    ("GET", "/accessibility"): PUBLIC,
    ("GET", "/e/{slug}/clause"): PUBLIC,
    ("GET", "/my-data"): PUBLIC,
    ("POST", "/my-data"): PUBLIC,
    ("GET", "/my-data/code"): PUBLIC,
    ("POST", "/my-data/code"): PUBLIC,
    ("GET", "/my-data.json"): PUBLIC,
    ("POST", "/my-data/request"): PUBLIC,
    ("POST", "/my-data/leave"): PUBLIC,
    ("GET", "/e/{slug}/results"): PUBLIC,
    ("GET", "/e/{slug}/results.json"): PUBLIC,
    ("GET", "/e/{slug}/results.csv"): PUBLIC,
    ("GET", "/e/{slug}/results.pb"): PUBLIC,
    ("GET", "/e/{slug}/results/files/{sha256}"): PUBLIC,  # open data by its digest
    ("GET", "/static"): PUBLIC,
    # ---- staff login (before any role is known) -------------------------------------
    ("GET", "/staff/login"): PUBLIC,
    ("POST", "/staff/login"): PUBLIC,
    ("GET", "/staff/login/code"): PUBLIC,
    ("POST", "/staff/login/code"): PUBLIC,
    ("GET", "/staff/lang/{code}"): PUBLIC,
    # ---- every staff role -----------------------------------------------------------
    ("GET", "/staff"): ANY_STAFF,
    ("POST", "/staff/logout"): ANY_STAFF,
    ("GET", "/staff/account"): ANY_STAFF,
    ("POST", "/staff/account/password"): ANY_STAFF,
    # ---- staff accounts (admin) -----------------------------------------------------
    ("GET", "/staff/documents"): ADMIN,
    ("GET", "/staff/documents/{document}"): ADMIN,
    ("POST", "/staff/documents/{document}"): ADMIN,
    ("GET", "/staff/users"): ADMIN,
    ("POST", "/staff/users"): ADMIN,
    ("GET", "/staff/users/{user_id}"): ADMIN,
    ("POST", "/staff/users/{user_id}/role"): ADMIN,
    ("POST", "/staff/users/{user_id}/active"): ADMIN,
    ("POST", "/staff/users/{user_id}/totp-reset"): ADMIN,
    ("POST", "/staff/users/{user_id}/password-reset"): ADMIN,
    # ---- audit log (admin) ----------------------------------------------------------
    ("GET", "/staff/audit"): ADMIN,
    ("POST", "/staff/audit/verify"): ADMIN,
    # ---- edition setup (admin) ------------------------------------------------------
    ("GET", "/staff/editions"): ADMIN,
    ("POST", "/staff/editions"): ADMIN,
    ("GET", "/staff/editions/new"): ADMIN,
    ("POST", "/staff/editions/import"): ADMIN,
    ("GET", "/staff/editions/{slug}"): ADMIN,
    ("POST", "/staff/editions/{slug}"): ADMIN,
    ("GET", "/staff/editions/{slug}/pools"): ADMIN,
    ("POST", "/staff/editions/{slug}/areas"): ADMIN,
    ("POST", "/staff/editions/{slug}/pools"): ADMIN,
    ("GET", "/staff/editions/{slug}/pools/{pool_id}"): ADMIN,
    ("POST", "/staff/editions/{slug}/pools/{pool_id}"): ADMIN,
    ("GET", "/staff/editions/{slug}/projects"): ADMIN,
    ("POST", "/staff/editions/{slug}/projects"): ADMIN,
    ("GET", "/staff/editions/{slug}/streets"): ADMIN,
    ("GET", "/staff/editions/{slug}/projects/{number}"): ADMIN,
    ("POST", "/staff/editions/{slug}/projects/{number}"): ADMIN,
    ("POST", "/staff/editions/{slug}/projects/{number}/delete"): ADMIN,
    ("POST", "/staff/editions/{slug}/projects/{number}/location"): ADMIN,
    ("POST", "/staff/editions/{slug}/projects/{number}/images"): ADMIN,
    ("POST", "/staff/editions/{slug}/projects/{number}/images/{image_id}/remove"): ADMIN,
    ("POST", "/staff/editions/{slug}/extend"): ADMIN,
    ("GET", "/staff/editions/{slug}/import/{kind}"): ADMIN,
    ("POST", "/staff/editions/{slug}/import/{kind}/preview"): ADMIN,
    ("POST", "/staff/editions/{slug}/import/{kind}"): ADMIN,
    ("GET", "/staff/editions/{slug}/clause"): ADMIN,
    ("GET", "/staff/privacy/requests"): ADMIN,
    ("GET", "/staff/privacy/requests/{request_id}"): ADMIN,
    ("POST", "/staff/privacy/requests/{request_id}"): ADMIN,
    ("POST", "/staff/privacy/requests/{request_id}/erase"): ADMIN,
    ("POST", "/staff/privacy/requests/{request_id}/held"): ADMIN,
    ("POST", "/staff/privacy/requests/{request_id}/correct"): ADMIN,
    ("POST", "/staff/editions/{slug}/clause"): ADMIN,
    ("GET", "/staff/editions/{slug}/results"): ADMIN,
    ("POST", "/staff/editions/{slug}/results"): ADMIN,
    ("GET", "/staff/editions/{slug}/results/{run_id}"): ADMIN,
    ("POST", "/staff/editions/{slug}/results/{run_id}/publish"): ADMIN,
    ("POST", "/staff/editions/{slug}/results/{run_id}/draw"): ADMIN,
    # ---- paper ballots (admin) ------------------------------------------------------
    ("GET", "/staff/paper"): ADMIN,
    ("GET", "/staff/paper/{slug}"): ADMIN,
    ("POST", "/staff/paper/{slug}"): ADMIN,
    ("GET", "/staff/paper/{slug}/points"): ADMIN,
    ("POST", "/staff/paper/{slug}/points"): ADMIN,
    ("GET", "/staff/paper/{slug}/points/{point_id}"): ADMIN,
    ("POST", "/staff/paper/{slug}/points/{point_id}"): ADMIN,
    ("POST", "/staff/paper/{slug}/points/{point_id}/remove"): ADMIN,
    ("GET", "/staff/paper/{slug}/invalid"): ADMIN,
    ("POST", "/staff/paper/{slug}/invalid"): ADMIN,
    ("GET", "/staff/paper/{slug}/void/{entry_id}"): ADMIN,
    ("POST", "/staff/paper/{slug}/void/{entry_id}"): ADMIN,
    ("GET", "/staff/paper/{slug}/withdraw"): ADMIN,
    ("POST", "/staff/paper/{slug}/withdraw/{entry_id}"): ADMIN,
    ("GET", "/staff/paper/{slug}/second"): ADMIN,
    ("GET", "/staff/paper/{slug}/second/{entry_id}"): ADMIN,
    ("POST", "/staff/paper/{slug}/second/{entry_id}"): ADMIN,
    ("GET", "/staff/paper/{slug}/mismatches"): ADMIN,
    ("GET", "/staff/paper/{slug}/mismatches/{entry_id}"): ADMIN,
    ("POST", "/staff/paper/{slug}/mismatches/{entry_id}"): ADMIN,
    # ---- request logs (netadmin, verifier, admin) and statistics (netadmin, admin) --
    ("GET", "/staff/logs"): LOG_READERS,
    ("GET", "/staff/logs/export.csv"): LOG_READERS,
    ("GET", "/staff/logs/session/{session_hash}"): LOG_READERS,
    ("GET", "/staff/logs/ballot/{ballot_id}"): LOG_READERS,
    ("GET", "/staff/stats"): STATS_READERS,
    # ---- verification: cases (log readers), ballots, decisions, evidence (verifiers) --
    ("GET", "/staff/verify"): LOG_READERS,
    ("GET", "/staff/verify/{slug}"): LOG_READERS,
    ("POST", "/staff/verify/{slug}/rules"): ADMIN,
    ("GET", "/staff/verify/{slug}/cases/{case_id}"): VERIFIERS,
    ("POST", "/staff/verify/{slug}/cases/{case_id}/decide"): VERIFIERS,
    ("GET", "/staff/verify/{slug}/ballots/{ballot_id}"): VERIFIERS,
    ("POST", "/staff/verify/{slug}/ballots/{ballot_id}/decide"): VERIFIERS,
    ("POST", "/staff/verify/{slug}/ballots/{ballot_id}/unmask"): VERIFIERS,
    ("POST", "/staff/verify/{slug}/decisions/{decision_id}/confirm"): VERIFIERS,
    ("POST", "/staff/verify/{slug}/decisions/{decision_id}/reverse"): VERIFIERS,
    ("GET", "/staff/verify/{slug}/find"): VERIFIERS,
    ("POST", "/staff/verify/{slug}/find"): VERIFIERS,
    ("GET", "/staff/verify/{slug}/export"): VERIFIERS,
    ("POST", "/staff/verify/{slug}/export"): VERIFIERS,
    ("GET", "/staff/verify/{slug}/turnout"): VERIFIERS,
    # ---- fraud: the allow-list of known shared networks (verifiers) ------------------
    ("GET", "/staff/fraud/allow"): VERIFIERS,
    ("POST", "/staff/fraud/allow"): VERIFIERS,
    ("POST", "/staff/fraud/allow/{allow_id}/remove"): VERIFIERS,
}


def roles_for(method: str, path: str) -> frozenset[str] | Literal["public"] | None:
    return ROUTE_ROLES.get((method.upper(), path))


def role_may_open(role: str, path: str) -> bool:
    """Whether ``role`` may open (GET) the page ``path`` of this table: the staff menu
    shows a link only to those who may follow it."""
    roles = roles_for("GET", path)
    return roles == PUBLIC or (roles is not None and role in roles)


def app_routes(app) -> set[RouteKey]:
    """Every (method, path template) the app answers, mounts as ``GET``.

    Walks included routers too: recent FastAPI keeps ``include_router`` as a branch in
    ``app.routes`` instead of copying its routes."""
    found: set[RouteKey] = set()

    def walk(routes, prefix: str) -> None:
        for route in routes:
            original = getattr(route, "original_router", None)
            if original is not None:
                walk(original.routes, prefix + route.include_context.prefix)
            elif hasattr(route, "methods") and route.methods:
                found.update((method, prefix + route.path) for method in route.methods)
            elif hasattr(route, "path"):
                found.add(("GET", prefix + route.path))  # a mount: static files

    walk(app.routes, "")
    found -= {("HEAD", path) for _, path in found}  # answered with GET's routes
    return found
