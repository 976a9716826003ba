"""The open-data files of a published run, built once and served by their SHA-256.

Publishing a run stores its JSON, its CSV and each pool's `.pb` (`ResultFile`): the ballots
are read once then, and every download after that is one indexed query for the file's
digest and size (an ``If-None-Match`` that names the digest is answered 304 without the
bytes) and one for its bytes. What is stored is what `opendata` produces: the same bytes,
the ballots in the permutation the run's seed fixed at publication. The CSV begins with a
byte order mark: without it Excel in Polish reads the UTF-8 as Windows-1250 and "Łódź"
comes out as "ĹĂłdĹş". The digest (and so the ETag) is of the bytes stored, BOM included.

A run published before files were stored, or the other choice of an edition's
demographics, gets its file at its first download, after the same check as before (the
ballots still match the published tally). Withdrawing a run (publishing another) removes
its files."""

from __future__ import annotations

import hashlib

import anyio
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.errors import AppError, NotFound
from urna.core.i18n import N_
from urna.editions.models import Edition
from urna.results import opendata, repository
from urna.results.models import ResultFile, ResultRun
from urna.results.repository import FileInfo
from urna.results.schemas import ResultsPayload, canonical_json

JSON_NAME = "results.json"
CSV_NAME = "results.csv"
JSON_TYPE = "application/json"
CSV_TYPE = "text/csv; charset=utf-8"
PB_TYPE = "text/plain; charset=utf-8"
NOT_PUBLISHED = N_("The results of this edition have not been published yet.")


class BallotsChanged(AppError):
    status_code = 409
    message = N_(
        "Ballots have changed since the results were published; the office must "
        "compute and publish them again."
    )


def pabulib_name(pool_code: str, demographics: bool) -> str:
    """The stored name of a pool's `.pb` (pool codes are free text: the code comes last)."""
    return f"pb:{int(demographics)}:{pool_code}"


def _pabulib_parts(name: str) -> tuple[str, bool] | None:
    kind, _, rest = name.partition(":")
    flag, _, code = rest.partition(":")
    if kind != "pb" or flag not in ("0", "1") or not code:
        return None
    return code, flag == "1"


async def run_ensure_current(*, session: AsyncSession, edition: Edition, run: ResultRun) -> None:
    """Refuse what would read ballots live when they no longer match the published run
    (a verifier's decision after publication): the office must compute and publish again."""
    statuses = await repository.ballot_status_counts(session, edition.id)
    if not opendata.ballots_unchanged(statuses, run):
        raise BallotsChanged()


async def files_build(*, session: AsyncSession, edition: Edition, run: ResultRun) -> None:
    """Store every open-data file of ``run`` (being published): the JSON, the CSV and each
    pool's `.pb` as the edition publishes demographics now. The ballots are read once for
    all pools; the text is written in a worker thread, off the event loop."""
    payload = ResultsPayload.model_validate(run.payload)
    reader = await opendata.BallotReader.read(session, edition)
    demographics = edition.publish_demographics

    def pabulib_files() -> list[tuple[str, str, str]]:
        return [
            (
                pabulib_name(pool.code, demographics),
                PB_TYPE,
                reader.pabulib_text(payload, pool, run, demographics),
            )
            for pool in payload.pools
        ]

    files = [
        (JSON_NAME, JSON_TYPE, canonical_json(run.payload)),
        (CSV_NAME, CSV_TYPE, opendata.results_csv(run)),
        *await anyio.to_thread.run_sync(pabulib_files),
    ]
    for name, media_type, text in files:
        session.add(_file_new(run, name, media_type, text))
    await session.flush()


def file_bytes(name: str, text: str) -> bytes:
    """What is stored and served of the file ``name``: UTF-8, the CSV with its BOM."""
    return text.encode("utf-8-sig" if name == CSV_NAME else "utf-8")


def _file_new(run: ResultRun, name: str, media_type: str, text: str) -> ResultFile:
    content = file_bytes(name, text)
    return ResultFile(
        run_id=run.id,
        name=name,
        media_type=media_type,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        content=content,
    )


async def file_get(*, session: AsyncSession, edition: Edition, name: str) -> FileInfo:
    """The file ``name`` of the edition's published run: the stored one, or built and
    stored now (a run published before files were kept, the other demographics choice)."""
    found = await repository.file_published(session, edition.id, name)
    if found is not None:
        return found
    run = await repository.run_published(session, edition.id)
    if run is None:
        raise NotFound(NOT_PUBLISHED)
    media_type, text = await _file_build(session, edition, run, name)
    file = _file_new(run, name, media_type, text)
    try:
        async with session.begin_nested():  # a download at the same moment stored it first
            session.add(file)
    except IntegrityError:
        found = await repository.file_published(session, edition.id, name)
        if found is None:
            raise
        return found
    return FileInfo(file.id, file.name, file.media_type, file.sha256, file.size)


async def _file_build(
    session: AsyncSession, edition: Edition, run: ResultRun, name: str
) -> tuple[str, str]:
    if name == JSON_NAME:
        return JSON_TYPE, canonical_json(run.payload)
    if name == CSV_NAME:
        return CSV_TYPE, opendata.results_csv(run)
    parts = _pabulib_parts(name)
    if parts is None:
        raise NotFound()
    code, demographics = parts
    payload = ResultsPayload.model_validate(run.payload)
    pool = payload.pool(code)
    if pool is None:
        raise NotFound()
    # The .pb file lists each ballot, read now: it must match the published tally.
    await run_ensure_current(session=session, edition=edition, run=run)
    reader = await opendata.BallotReader.read(session, edition)
    text = await anyio.to_thread.run_sync(reader.pabulib_text, payload, pool, run, demographics)
    return PB_TYPE, text


async def file_by_sha256(*, session: AsyncSession, edition: Edition, sha256: str) -> FileInfo:
    found = await repository.file_by_sha256(session, edition.id, sha256.lower())
    if found is None:
        raise NotFound()
    return found


async def file_content(*, session: AsyncSession, file: FileInfo) -> bytes:
    return await repository.file_content(session, file.id)


def download_filename(slug: str, name: str) -> str:
    """What the browser saves a file as: ``<slug>-results.json``, ``<slug>-<pool>.pb``."""
    parts = _pabulib_parts(name)
    return f"{slug}-{parts[0]}.pb" if parts is not None else f"{slug}-{name}"


def etag_matches(if_none_match: str | None, sha256: str) -> bool:
    """Whether an ``If-None-Match`` header names this digest (weak comparison, as RFC 9110
    asks for this header; ``*`` matches any current file)."""
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or f'"{sha256}"' in tags
