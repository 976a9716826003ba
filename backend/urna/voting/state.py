"""The unfinished ballot, kept in the server-side session from the clause to the cast:
where the resident is in the flow, their identity sealed, their keys and their picks."""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field, fields
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response

from urna.core.errors import AppError
from urna.core.i18n import LANGUAGES, N_
from urna.core.views import see_other
from urna.voting.ballots import VoterDraft, VoterKeys


class FlowOutOfOrder(AppError):
    status_code = 409
    message = N_(
        "This step of the vote is not available: your session may have ended, or a step "
        "was skipped. Nothing was cast. Start voting again from the beginning."
    )
    restart = True  # the error page links to the start of the edition's vote


class VoteFinished(Exception):  # noqa: N818 - a redirect to the receipt, not an error
    """This browser has cast its ballot in the edition: a step of the vote reached again
    (Back, a bookmark, a resubmitted form) shows the receipt, never "start again"."""

    def __init__(self, slug: str) -> None:
        super().__init__(slug)
        self.slug = slug


class VoteSessionEnded(AppError):
    """A step of the vote posted after its session ended (``core.errors.SessionEnded``):
    one page says what happened and leads to the start, where the refusal of the form
    ("reload the page") used to be followed by "start again" after the reload."""

    status_code = 403  # still the refusal of a form with no session behind it
    title = N_("Your session has ended")
    message = N_(
        "Your session ended after %(minutes)s min without activity, so what you sent was "
        "not kept. Nothing was cast. Start voting again from the beginning."
    )
    restart = True

    def __init__(self, *, slug: str, minutes: int, language: str | None) -> None:
        super().__init__(params={"minutes": minutes})
        self.start = f"/e/{quote(slug, safe='')}/vote"
        # The language lived in the session. A form that names one (the header's switch
        # on the identity and choices pages) is answered in it, and the way back keeps
        # it; otherwise the default language, the message in English too.
        self.language = language
        self.restart_url = f"/lang/{language}?next={quote(self.start)}" if language else None
        self.in_english_too = language is None


async def vote_session_ended(request: Request, *, idle_seconds: int) -> VoteSessionEnded | None:
    """The answer to a step of the vote posted with no session, None for any other form
    (which keeps the CSRF refusal's page)."""
    slug = request.path_params.get("slug")
    path = request.scope.get("path", "")
    start = f"/e/{slug}/vote"
    if not slug or request.method != "POST" or not (path == start or path.startswith(start + "/")):
        return None
    try:
        asked = (await request.form()).get("language")  # read already by the CSRF check
    except Exception:  # noqa: BLE001 - a form that cannot be read names no language
        asked = None
    return VoteSessionEnded(
        slug=slug,
        minutes=max(1, math.ceil(idle_seconds / 60)),
        language=asked if asked in LANGUAGES else None,
    )


def receipt_of(session, slug: str) -> dict | None:
    """The receipt this browser's session holds for edition ``slug`` (after its cast)."""
    done = session.get("receipt")
    return done if done and done.get("edition") == slug else None


async def vote_finished_handler(request: Request, error: VoteFinished) -> Response:
    return see_other(f"/e/{error.slug}/vote/receipt")


@dataclass
class VoteState:
    edition: str
    clause_id: int
    channel: str = "none"
    fields_enc: str | None = None
    identity_key: str | None = None
    contact_key: str | None = None
    pesel_key: str | None = None
    area_id: int | None = None
    age_band: str = ""
    guardian_role: str | None = None
    otp_hash: str | None = None
    otp_expires: float = 0.0
    confirmed: bool = False
    receipt: str | None = None
    choices: dict[str, list[int]] = field(default_factory=dict)
    demo_code: str | None = None
    fraud_keys: dict = field(default_factory=dict)  # voting.fraud_keys, written at the cast

    def choices_seal(self) -> str:
        """The chosen projects as the review page showed them ("3,7,12"): the cast checks
        that the ballot it stores is the one the resident confirmed."""
        return ",".join(map(str, sorted(pid for ids in self.choices.values() for pid in ids)))

    def dump(self) -> dict:
        """The session's copy (``asdict`` without its recursion: the two containers are
        copied by hand, so a later change of this state never edits the session's)."""
        data = {name: getattr(self, name) for name in _FIELDS}
        data["choices"] = {pool: list(ids) for pool, ids in self.choices.items()}
        data["fraud_keys"] = dict(self.fraud_keys)
        return data

    @classmethod
    def load(cls, data: dict | None, *, edition: str) -> VoteState:
        if not data or data.get("edition") != edition:
            raise FlowOutOfOrder()
        # a session saved by an older release may hold keys this one no longer knows
        return cls(**{key: value for key, value in data.items() if key in _FIELDS})

    def voter(self) -> VoterDraft:
        """The voter the identity step kept in the session (its identity sealed there)."""
        return VoterDraft(
            keys=VoterKeys(
                self.identity_key or "", self.contact_key, self.pesel_key, self.fraud_keys
            ),
            identity_enc=base64.urlsafe_b64decode(self.fields_enc) if self.fields_enc else None,
            area_id=self.area_id,
            age_band=self.age_band,
            guardian_role=self.guardian_role,
            key_id=0,  # the sealed identity carries its key id; nothing is sealed again
        )


_FIELDS = tuple(item.name for item in fields(VoteState))
