"""Editions for tests: small, complete, unique per call."""

from __future__ import annotations

import secrets
import string
from datetime import timedelta
from typing import Any

from urna.core.db import utcnow
from urna.privacy import service as privacy


def unique_slug(prefix: str = "test") -> str:
    """``<prefix>-`` and 12 random letters. No digits: a run of nine in a random slug (one
    slug in ninety from ``uuid4().hex``) looks like a phone number to the request log,
    which then stores the address with the slug redacted, and a test that expects the
    slug in a logged URL fails by chance."""
    return prefix + "-" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(12))


def edition_data(**overrides: Any) -> dict[str, Any]:
    now = utcnow()
    data: dict[str, Any] = {
        "slug": unique_slug(),
        "name": "Budżet testowy",
        "municipality": "Gmina Testowo",
        "voting_opens_at": (now - timedelta(days=1)).isoformat(),
        "voting_closes_at": (now + timedelta(days=10)).isoformat(),
        "results_at": (now + timedelta(days=20)).isoformat(),
        "areas": [{"code": "N", "name": "Północ"}, {"code": "S", "name": "Południe"}],
        "streets": [
            {"name": "ul. Lipowa", "area": "N"},
            {"name": "ul. Łąkowa", "area": "N"},
            {"name": "ul. Słoneczna", "area": "S"},
        ],
        "pools": [
            {
                "code": "CITY",
                "name": "Pula ogólnomiejska",
                "kind": "citywide",
                "budget": 100_000_00,
                "max_choices": 2,
            },
            {
                "code": "N",
                "name": "Pula Północ",
                "kind": "district",
                "area": "N",
                "budget": 30_000_00,
                "max_choices": 1,
            },
            {
                "code": "S",
                "name": "Pula Południe",
                "kind": "district",
                "area": "S",
                "budget": 30_000_00,
                "max_choices": 1,
            },
        ],
        "projects": [
            {
                "number": "C1",
                "pool": "CITY",
                "title": "Park kieszonkowy",
                "cost": 60_000_00,
                "category": "zieleń",
            },
            {
                "number": "C2",
                "pool": "CITY",
                "title": "Ścieżka rowerowa",
                "cost": 50_000_00,
                "category": "infrastruktura",
            },
            {
                "number": "C3",
                "pool": "CITY",
                "title": "Koncerty w parku",
                "cost": 10_000_00,
                "category": "kultura",
            },
            {
                "number": "N1",
                "pool": "N",
                "title": "Ławki na Lipowej",
                "cost": 8_000_00,
                "area": "N",
            },
            {
                "number": "N2",
                "pool": "N",
                "title": "Plac zabaw Północ",
                "cost": 25_000_00,
                "area": "N",
            },
            {
                "number": "S1",
                "pool": "S",
                "title": "Siłownia plenerowa",
                "cost": 20_000_00,
                "area": "S",
            },
        ],
        "clause": {
            "title": "Klauzula testowa",
            "body": "## Administrator\n\nBurmistrz Testowa.",
            "body_en": "## Controller\n\nMayor.",
        },
    }
    data.update(overrides)
    return data


def upcoming_data(**overrides: Any) -> dict[str, Any]:
    """``edition_data`` of an edition whose voting opens in three days: its rules, pools,
    projects and streets may still change."""
    later = utcnow() + timedelta(days=3)
    return edition_data(
        voting_opens_at=later.isoformat(),
        voting_closes_at=(later + timedelta(days=7)).isoformat(),
        results_at=(later + timedelta(days=14)).isoformat(),
        **overrides,
    )


async def edition_create(app, **overrides: Any):
    async with app.state.ctx.db() as session:
        edition = await privacy.edition_import(session=session, data=edition_data(**overrides))
        await session.commit()
        return edition


async def voting_close(app, edition_id: int) -> None:
    """Voting of the edition ended a minute ago (results may now be published)."""
    from sqlalchemy import update

    from urna.editions.models import Edition

    async with app.state.ctx.db() as session:
        await session.execute(
            update(Edition)
            .where(Edition.id == edition_id)
            .values(voting_closes_at=utcnow() - timedelta(minutes=1))
        )
        await session.commit()
