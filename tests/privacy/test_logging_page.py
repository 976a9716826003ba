"""The public page "what we log and why" is generated from the logging code: every
request-log column, every redaction rule, the retention settings and the roles that read
logs; and the cookie notice sets nothing when it is closed."""

from __future__ import annotations

import pytest

from tests.conftest import make_settings
from urna.core.access import LOG_READER_ROLES
from urna.privacy.logging_page import COLUMN_PURPOSES, ROLE_NAMES, logging_facts
from urna.requestlog.models import COLUMNS
from urna.requestlog.redact import PERSONAL_PATTERNS, SENSITIVE_NAMES
from urna.staff.matrix import ROUTE_ROLES

pytestmark = pytest.mark.flow


def test_every_column_has_a_purpose_and_the_readers_are_the_policy():
    assert set(COLUMN_PURPOSES) == set(COLUMNS)
    assert set(LOG_READER_ROLES) == set(ROUTE_ROLES["GET", "/staff/logs"])
    assert set(ROLE_NAMES) >= set(LOG_READER_ROLES)


def test_the_retention_shown_is_the_configured_one():
    settings = make_settings(
        "sqlite+aiosqlite:///unused.db",
        request_log_keep_days=90,
        request_log_truncate_ip_after_days=30,
        request_log_drop_session_after_days=7,
    )
    retention = logging_facts(settings).retention
    assert (retention.keep_days, retention.truncate_ip_after_days) == (90, 30)
    assert retention.drop_session_after_days == 7


async def test_the_page_lists_what_the_code_logs(client):
    response = await client.get("/privacy/logging")
    assert response.status_code == 200
    page = response.text
    assert "Co zapisujemy w dziennikach i dlaczego" in page
    for column in COLUMNS:
        assert f"<code>{column}</code>" in page
    for word in SENSITIVE_NAMES:
        assert f"<code>{word}</code>" in page
    assert len(PERSONAL_PATTERNS) == 4 and "numery PESEL" in page and "kody potwierdzeń" in page
    assert "zespół weryfikacyjny" in page and "administratorzy sieci" in page
    assert "set-cookie" not in response.headers  # reading it creates no session


async def test_the_cookie_notice_closes_without_storing_anything(client):
    page = (await client.get("/privacy/logging")).text
    notice = page.split('<aside class="cookie-notice">', 1)[1].split("</aside>", 1)[0]
    assert "wyłącznie sesyjnych plików cookie" in notice
    # closed by a checkbox and CSS: no form, no script, no link that could store a choice
    assert 'type="checkbox"' in notice and "<form" not in notice and "<script" not in notice
    assert "onclick" not in notice and "localStorage" not in page
