"""The identity form as the resident typed it, kept while they change the language of the
page (the header's language switch submits the form; nothing is checked then).

The values are sealed (encrypted and authenticated, ``Crypto.encrypt_text``) before they
go to the session store, as the identity the step checks is, and read once, by the page
the switch leads to. A PESEL number is never kept: the identity step keeps it only as a
keyed hash, and never shows it back even on an error; the page asks for it again."""

from __future__ import annotations

from collections.abc import Mapping

from cryptography.exceptions import InvalidTag

from urna.core.crypto import Crypto, KeyUnavailable
from urna.core.sessions import Session
from urna.voting.flow import notice_put, notice_take

DRAFT_KEY = "identity_draft"
KEPT_FIELDS = (
    "first_name", "last_name", "street", "house_number", "birth_date", "phone", "email",
    "guardian_name", "guardian_declaration",
)  # fmt: skip
NEVER_KEPT = frozenset({"pesel"})
_LONGEST = 254  # the longest field the form reads (an e-mail address): nothing is checked
_CONTEXT = "identity-draft:"


def draft_keep(session: Session, crypto: Crypto, *, edition: str, form: Mapping[str, str]) -> None:
    """Seal what was typed in the fields kept (``KEPT_FIELDS``), for edition ``edition``
    (nothing typed: nothing kept)."""
    values = {name: str(form[name])[:_LONGEST] for name in KEPT_FIELDS if form.get(name)}
    if not values:
        return
    sealed = crypto.encrypt_text(values, context=_CONTEXT + edition)
    notice_put(session, DRAFT_KEY, {"edition": edition, "sealed": sealed})


def draft_take(session: Session, crypto: Crypto, *, edition: str) -> dict[str, str] | None:
    """The values kept for edition ``edition``, forgotten as they are read; None when none
    were kept (or they cannot be opened: another edition's, a key since rotated)."""
    kept = notice_take(session, DRAFT_KEY)
    if not isinstance(kept, dict) or kept.get("edition") != edition:
        return None
    try:
        values = crypto.decrypt_text(str(kept.get("sealed", "")), context=_CONTEXT + edition)
    except (InvalidTag, KeyUnavailable, ValueError):  # damaged, or sealed by another key
        return None
    return {name: str(values[name]) for name in KEPT_FIELDS if name in values}
