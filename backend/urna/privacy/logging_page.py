"""The public page "what we log and why", generated from the logging code itself: the
request log's columns, its redaction rules, the retention settings and the roles that
may read it. A column, a rule or a role added in code appears here (a column without a
stated purpose breaks the page and its test)."""

from __future__ import annotations

from dataclasses import dataclass

from urna.core.access import LOG_READER_ROLES
from urna.core.config import Settings
from urna.core.i18n import N_
from urna.requestlog.models import COLUMNS
from urna.requestlog.redact import PERSONAL_PATTERNS, SENSITIVE_NAMES

COLUMN_PURPOSES = {
    "request_id": N_("A random number naming the request, to find it when you report a problem."),
    "arrived_at": N_("When the request arrived."),
    "responded_at": N_("When the answer was sent."),
    "duration_us": N_("How long the answer took, to find slow pages."),
    "ip": N_("The address the request came from, to stop attacks and vote fraud."),
    "host": N_("The network name of that address, looked up later."),
    "method": N_("The kind of request (reading a page or sending a form)."),
    "url": N_("The address of the page, with personal-looking parts redacted."),
    "status": N_("Whether the answer succeeded (e.g. 200) or failed (e.g. 404)."),
    "error": N_("The kind of error, if any, without anything you typed."),
    "referer": N_("The site you came from: only its address, the rest redacted."),
    "user_agent": N_("Your browser's name, with personal-looking parts redacted."),
    "session_hash": N_(
        "A salted hash of your session (only if one was created), to follow one visit."
    ),
}
PATTERN_NAMES = {
    "email": N_("e-mail addresses"),
    "pesel": N_("PESEL numbers"),
    "phone": N_("phone numbers"),
    "receipt": N_("receipt codes"),
}
ROLE_NAMES = {
    "admin": N_("administrators of the office"),
    "verifier": N_("the verification team"),
    "netadmin": N_("network administrators"),
}


@dataclass(frozen=True)
class Retention:
    keep_days: int | None
    truncate_ip_after_days: int | None
    drop_session_after_days: int | None


@dataclass(frozen=True)
class LoggingFacts:
    columns: list[tuple[str, str]]  # (column, purpose msgid)
    redacted_patterns: list[str]  # msgids
    redacted_parameters: tuple[str, ...]
    retention: Retention
    readers: list[str]  # msgids


def logging_facts(settings: Settings) -> LoggingFacts:
    return LoggingFacts(
        columns=[(column, COLUMN_PURPOSES[column]) for column in COLUMNS],
        redacted_patterns=[PATTERN_NAMES[kind] for kind in PERSONAL_PATTERNS],
        redacted_parameters=SENSITIVE_NAMES,
        retention=Retention(
            keep_days=settings.request_log_keep_days,
            truncate_ip_after_days=settings.request_log_truncate_ip_after_days,
            drop_session_after_days=settings.request_log_drop_session_after_days,
        ),
        readers=[ROLE_NAMES[role] for role in LOG_READER_ROLES],
    )
