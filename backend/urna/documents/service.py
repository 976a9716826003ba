"""Versioned documents (information clause per edition, privacy policy, accessibility
statement) with a public change register. A clause is frozen once voting opens."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache

from markdown_it import MarkdownIt
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from urna.core.db import transaction, utcnow
from urna.core.errors import AppError, NotFound
from urna.core.i18n import N_
from urna.documents import repository
from urna.documents.models import PolicyDocument
from urna.editions import service as editions
from urna.editions.models import Edition
from urna.editions.service import EditionSnapshot


class ClauseMissing(AppError):
    """An edition without an information clause: nobody may be asked for data before
    reading one (GDPR art. 13), so the vote cannot begin until the office publishes it."""

    status_code = 409
    message = N_(
        "Voting in this edition cannot begin yet: the office has not published its "
        "information clause. Nothing was saved. Please try again later."
    )


def _markdown(top: int) -> MarkdownIt:
    """Markdown without raw HTML (documents are written by staff, rendered inert), with
    tables (a clause lists its data and their purposes), and its headings below the page's
    own: ``#`` is ``<h{top}>``, so the page keeps one outline."""
    markdown = MarkdownIt("commonmark", {"html": False}).enable("table")

    def headings_below(state) -> None:
        for token in state.tokens:
            if token.type in ("heading_open", "heading_close"):
                token.tag = f"h{min(int(token.tag[1]) + top - 1, 6)}"

    markdown.core.ruler.push("headings_below_the_title", headings_below)
    return markdown


_RENDERERS = {top: _markdown(top) for top in (2, 3)}


@lru_cache(maxsize=256)
def document_html(text: str, top: int = 2) -> str:
    """The HTML of a document's Markdown, rendered once per text (≈3 ms for a clause):
    a version never changes, so every view of it after the first is a dictionary lookup.
    Keyed by the text itself, not a row id, so databases (tests) can never mix. ``top``:
    the level of its first headings (2 under the page's title, 3 under a section's)."""
    return _RENDERERS[top].render(text)


def document_body_html(document: PolicyDocument, lang: str | None, *, top: int = 2) -> str:
    """The document in the reader's language (Polish is the binding text)."""
    body = document.body_en if lang == "en" and document.body_en else document.body
    return document_html(body, top)


async def document_publish(
    *,
    session: AsyncSession,
    kind: str,
    title: str,
    body: str,
    body_en: str = "",
    title_en: str = "",
    change_summary: str = "",
    edition: Edition | None = None,
    now: datetime | None = None,
    creating_edition: bool = False,
) -> PolicyDocument:
    """Append a new dated version; earlier versions stay in the change register.

    A clause can change only before voting opens (``creating_edition`` is the first
    version, written together with an imported edition). An edition that opened without
    one may still get its first: until then nobody could vote online (the vote begins by
    acknowledging the clause), so no resident was shown another."""
    if kind == "clause":
        if edition is None:
            raise ValueError("a clause belongs to an edition")
        if not creating_edition and await document_latest(
            session=session, kind=kind, edition=edition
        ):
            editions.rules_ensure_editable(edition=edition, now=now)
    edition_id = edition.id if edition is not None else None
    document = PolicyDocument(
        kind=kind,
        edition_id=edition_id,
        version=await repository.document_next_version(session, kind, edition_id),
        title=title,
        title_en=title_en,
        body=body,
        body_en=body_en,
        change_summary=change_summary,
        published_at=now or utcnow(),
    )
    session.add(document)
    await session.flush()
    return document


async def document_latest(
    *, session: AsyncSession, kind: str, edition: Edition | None = None
) -> PolicyDocument | None:
    """The newest version, or None when none has been published."""
    return await repository.document_latest(
        session, kind, edition.id if edition is not None else None
    )


async def document_current(
    *, session: AsyncSession, kind: str, edition: Edition | None = None
) -> PolicyDocument:
    """The newest version; NotFound when none has been published (an edition's clause:
    ``ClauseMissing``, the vote cannot begin)."""
    document = await document_latest(session=session, kind=kind, edition=edition)
    if document is None:
        raise ClauseMissing() if kind == "clause" and edition is not None else NotFound()
    return document


async def clause_current(
    *, sessions: async_sessionmaker[AsyncSession], snapshot: EditionSnapshot
) -> PolicyDocument:
    """The clause in force for the snapshot's edition, read once per snapshot (in a unit
    of work of its own from ``sessions``) and kept with it, detached: not two queries per
    view. The snapshot cache keeps an edition only once voting has opened, when its clause
    can no longer change, and drops it when the edition generation moves (every staff
    change of an edition or its clause bumps it): in this process at once, in others
    within their generation check."""
    clause = snapshot.documents.get("clause")
    if clause is None:
        async with transaction(sessions) as session:
            clause = await document_current(
                session=session, kind="clause", edition=snapshot.edition
            )
            session.expunge(clause)  # read by later requests, after this session has closed
        snapshot.documents["clause"] = clause
    return clause


async def document_register(
    *, session: AsyncSession, kind: str, edition: Edition | None = None
) -> Sequence[PolicyDocument]:
    return await repository.document_versions(
        session, kind, edition.id if edition is not None else None
    )
