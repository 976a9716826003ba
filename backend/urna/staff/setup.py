"""Edition setup from the staff console: everything ``urna edition import`` does (JSON
editions, CSV projects and streets), plus forms for editions, areas, pools, projects and
the information clause. Each change is checked by the editions rules (frozen once voting
opens), recorded in the audit log and committed here, in one unit of work."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from urna import seeding
from urna.core import audit
from urna.core.errors import FormInvalid, validation_messages
from urna.core.i18n import LOCAL_ZONE, N_
from urna.editions import service as editions
from urna.editions.models import Edition
from urna.editions.schemas import AreaIn, PoolIn, PoolRulesIn, ProjectIn
from urna.privacy import service as privacy
from urna.privacy.models import PolicyDocument

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MES_OPTION_FIELDS = ("mes_completion", "mes_add1_stop", "mes_add1_start", "mes_comparison")
EDITION_TEXT_FIELDS = ("slug", "name", "municipality", "description", "description_en")
EDITION_TIMES = ("voting_opens_at", "voting_closes_at", "results_at")


class PreviewInvalid(FormInvalid):
    """A CSV import with errors: the preview to show again, nothing written."""

    def __init__(self, preview: seeding.CsvPreview) -> None:
        super().__init__({"file": N_("Correct the rows marked below and import the file again.")})
        self.preview = preview


def money_grosze(text: str) -> int | None:
    """``1 234 567,89`` (zł, as Polish offices write it) → grosze; None if not money."""
    cleaned = text.replace("\u00a0", "").replace(" ", "").replace("zł", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if value < 0 or value != value.quantize(Decimal("0.01")):
        return None
    return int(value * 100)


def percent_text(value: Decimal | None) -> str:
    """A percentage as the office writes it: ``2,5``, ``5`` (not ``5.00``)."""
    return "" if value is None else f"{value.normalize():f}".replace(".", ",")


def local_datetime(text: str) -> datetime | None:
    """A ``datetime-local`` value, Warsaw time → aware datetime."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=LOCAL_ZONE)


def _validated(model, data: dict[str, Any]):
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise FormInvalid(validation_messages(error)) from error


def _money_field(form: Mapping[str, str], name: str, errors: dict[str, str]) -> int | None:
    raw = form.get(name, "").strip()
    if not raw:
        return None
    value = money_grosze(raw)
    if value is None:
        errors[name] = N_("Give an amount in zloty, e.g. 150 000 or 2 499,99.")
    return value


def _whole_field(form: Mapping[str, str], name: str, errors: dict[str, str]) -> int | None:
    raw = form.get(name, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()):
        errors[name] = N_("Give a whole number, 0 or more.")
        return None
    return int(raw)


def _percent_field(form: Mapping[str, str], name: str, errors: dict[str, str]) -> Decimal | None:
    """``2,5`` or ``2.5`` (with or without ``%``) → Decimal; the range is the service's."""
    raw = form.get(name, "").strip().removesuffix("%").strip().replace(",", ".")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        errors[name] = N_("Give a percentage as a number, e.g. 5 or 2,5.")
        return None
    return value


def _pool_rules_fields(form: Mapping[str, str], errors: dict[str, str]) -> dict[str, Any]:
    """The rule settings of a pool form (rule, thresholds, the pool its leftover goes to)."""
    return {
        "rule": form.get("rule", "").strip() or "greedy",
        "min_votes": _whole_field(form, "min_votes", errors),
        "min_votes_percent": _percent_field(form, "min_votes_percent", errors),
        "leftover_to": form.get("leftover_to", "").strip() or None,
        **{
            name: value
            for name in MES_OPTION_FIELDS
            if (value := form.get(name, "").strip())  # absent: the schema's default
        },
    }


async def _record(
    session: AsyncSession, actor_id: int, action: str, slug: str, details: dict[str, Any]
) -> None:
    """Write the change of an edition to the audit log and commit it with the change."""
    await audit.audit_append(
        session=session,
        actor_id=actor_id,
        action=action,
        target=f"edition:{slug}",
        details=details,
    )
    await session.commit()


async def edition_find(*, session: AsyncSession, slug: str) -> Edition:
    return await editions.edition_get(session=session, slug=slug)


async def edition_import_json(*, session: AsyncSession, actor_id: int, raw: bytes) -> Edition:
    if len(raw) > MAX_UPLOAD_BYTES:
        raise FormInvalid({"file": N_("The file is too large.")})
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FormInvalid({"file": N_("The file is not valid JSON.")}) from error
    if not isinstance(data, dict):
        raise FormInvalid({"file": N_("The file is not valid JSON.")})
    edition = await seeding.edition_import(session=session, data=data)
    await _record(
        session,
        actor_id,
        "edition.import",
        edition.slug,
        {"source": "json", "projects": len(data.get("projects") or [])},
    )
    return edition


def _edition_form_data(form: Mapping[str, str], required_fields: Sequence[str]) -> dict:
    errors: dict[str, str] = {}
    data: dict[str, Any] = {name: form.get(name, "").strip() for name in EDITION_TEXT_FIELDS}
    for name in EDITION_TIMES:
        moment = local_datetime(form.get(name, ""))
        if moment is None:
            errors[name] = N_("Give the date and time.")
        data[name] = moment
    data["required_fields"] = list(required_fields)
    data["confirmation_channel"] = form.get("confirmation_channel", "sms")
    data["district_limited_to_area"] = form.get("district_limited_to_area") == "1"
    data["vote_type"] = form.get("vote_type", "approval")
    data["publish_demographics"] = form.get("publish_demographics") == "1"
    for name in ("retention_months", "max_ballots_per_contact"):
        data[name] = form.get(name, "").strip() or None
    return {"data": {k: v for k, v in data.items() if v is not None}, "errors": errors}


async def edition_create(
    *,
    session: AsyncSession,
    actor_id: int,
    form: Mapping[str, str],
    required_fields: Sequence[str],
) -> Edition:
    """A new edition with its first (city-wide) pool; the rest is added on its pages."""
    parsed = _edition_form_data(form, required_fields)
    errors = parsed["errors"]
    budget = _money_field(form, "pool_budget", errors)
    data = parsed["data"]
    data["pools"] = [
        {
            "code": form.get("pool_code", "").strip(),
            "name": form.get("pool_name", "").strip(),
            "budget": budget if budget is not None else -1,
            "max_choices": form.get("pool_max_choices", "").strip() or 1,
        }
    ]
    try:
        edition = await seeding.edition_import(session=session, data=data)
    except FormInvalid as error:
        found = {key.replace("pools.0.", "pool_"): text for key, text in error.errors.items()}
        raise FormInvalid({**found, **errors}) from error
    if errors:
        raise FormInvalid(errors)
    await _record(session, actor_id, "edition.create", edition.slug, {"source": "form"})
    return edition


async def edition_rules_update(
    *,
    session: AsyncSession,
    actor_id: int,
    slug: str,
    form: Mapping[str, str],
    required_fields: Sequence[str],
) -> Edition:
    edition = await editions.edition_get(session=session, slug=slug)
    editions.rules_ensure_editable(edition=edition)
    parsed = _edition_form_data(form, required_fields)
    if parsed["errors"]:
        raise FormInvalid(parsed["errors"])
    changes = {
        name: value
        for name, value in parsed["data"].items()
        if name in editions.EDITABLE_FIELDS and getattr(edition, name) != value
    }
    if changes:
        await editions.edition_update(session=session, edition=edition, changes=changes)
        await _record(session, actor_id, "edition.update", slug, {"fields": sorted(changes)})
    return edition


async def area_create(
    *, session: AsyncSession, actor_id: int, slug: str, form: Mapping[str, str]
) -> None:
    edition = await editions.edition_get(session=session, slug=slug)
    try:
        data = _validated(AreaIn, {k: form.get(f"area_{k}", "").strip() for k in ("code", "name")})
    except FormInvalid as error:
        raise FormInvalid({f"area_{k}": v for k, v in error.errors.items()}) from error
    await editions.area_add(session=session, edition=edition, data=data)
    await _record(session, actor_id, "edition.area_add", slug, {"code": data.code})


async def pool_create(
    *, session: AsyncSession, actor_id: int, slug: str, form: Mapping[str, str]
) -> None:
    edition = await editions.edition_get(session=session, slug=slug)
    errors: dict[str, str] = {}
    budget = _money_field(form, "budget", errors)
    max_total = _money_field(form, "max_total_cost", errors)
    rules = _pool_rules_fields(form, errors)
    if errors:
        raise FormInvalid(errors)
    fields = {k: form.get(k, "").strip() for k in ("code", "name", "kind", "area")}
    fields.update(
        budget=budget if budget is not None else -1,
        min_choices=form.get("min_choices", "").strip() or 0,
        max_choices=form.get("max_choices", "").strip() or 1,
        max_total_cost=max_total,
        **rules,
    )
    data = _validated(PoolIn, {k: v for k, v in fields.items() if v not in ("", None)})
    await editions.pool_add(session=session, edition=edition, data=data)
    await _record(
        session,
        actor_id,
        "edition.pool_add",
        slug,
        {"code": data.code, "budget": data.budget, **_rules_details(data)},
    )


def _rules_details(data: PoolRulesIn) -> dict[str, Any]:
    """The rule settings for the audit log (JSON: the percentage as text)."""
    details = data.model_dump(include=set(PoolRulesIn.model_fields))
    if data.min_votes_percent is not None:
        details["min_votes_percent"] = str(data.min_votes_percent)
    return details


async def pool_rules_change(
    *, session: AsyncSession, actor_id: int, slug: str, pool_id: int, form: Mapping[str, str]
) -> None:
    """New rule settings for a pool, while the edition's rules may still change."""
    edition = await editions.edition_get(session=session, slug=slug)
    editions.rules_ensure_editable(edition=edition)
    pool = await editions.pool_get(session=session, edition=edition, pool_id=pool_id)
    errors: dict[str, str] = {}
    rules = _pool_rules_fields(form, errors)
    if errors:
        raise FormInvalid(errors)
    data = _validated(PoolRulesIn, rules)
    await editions.pool_rules_update(session=session, edition=edition, pool=pool, data=data)
    await _record(
        session, actor_id, "edition.pool_rules", slug, {"code": pool.code, **_rules_details(data)}
    )


async def project_create(
    *, session: AsyncSession, actor_id: int, slug: str, form: Mapping[str, str]
) -> None:
    edition = await editions.edition_get(session=session, slug=slug)
    errors: dict[str, str] = {}
    cost = _money_field(form, "cost", errors)
    if errors:
        raise FormInvalid(errors)
    fields: dict[str, Any] = {
        k: form.get(k, "").strip()
        for k in ("number", "pool", "title", "description", "area", "category", "location")
    }
    fields["cost"] = cost if cost is not None else -1
    data = _validated(ProjectIn, {k: v for k, v in fields.items() if v != ""})
    await editions.edition_add_rows(session=session, edition=edition, projects=[data])
    await _record(session, actor_id, "edition.project_add", slug, {"number": data.number})


async def rows_preview(
    *, session: AsyncSession, slug: str, kind: str, text: str
) -> seeding.CsvPreview:
    edition = await editions.edition_get(session=session, slug=slug)
    editions.rules_ensure_editable(edition=edition)
    return await seeding.csv_preview(session=session, edition=edition, kind=kind, text=text)


async def rows_import(
    *, session: AsyncSession, actor_id: int, slug: str, kind: str, text: str
) -> int:
    """Add the rows of a CSV file, all or none; the same checks as the preview."""
    preview = await rows_preview(session=session, slug=slug, kind=kind, text=text)
    if not preview.ok:
        raise PreviewInvalid(preview)
    edition = await editions.edition_get(session=session, slug=slug)
    count = await seeding.csv_apply(session=session, edition=edition, preview=preview)
    await _record(session, actor_id, f"edition.{kind}_import", slug, {"rows": count})
    return count


async def clause_versions(*, session: AsyncSession, edition: Edition) -> list[PolicyDocument]:
    return list(await privacy.document_register(session=session, kind="clause", edition=edition))


async def clause_publish(
    *, session: AsyncSession, actor_id: int, slug: str, form: Mapping[str, str]
) -> PolicyDocument:
    """A new version of the clause; refused once voting has opened (the clause shown to
    voters must stay the one they acknowledged)."""
    edition = await editions.edition_get(session=session, slug=slug)
    errors = {
        name: N_("This field is required.")
        for name in ("title", "body", "change_summary")
        if not form.get(name, "").strip()
    }
    if errors:
        raise FormInvalid(errors)
    document = await privacy.document_publish(
        session=session,
        kind="clause",
        edition=edition,
        title=form["title"].strip()[:200],
        body=form["body"].strip(),
        body_en=form.get("body_en", "").strip(),
        change_summary=form["change_summary"].strip()[:500],
    )
    await _record(session, actor_id, "clause.publish", slug, {"version": document.version})
    return document
