"""The request log redacts receipt codes exactly as `urna.voting.receipts` issues them,
and nothing that merely has their shape of dashes (ordinary slugs)."""

from __future__ import annotations

from urna.requestlog import redact
from urna.voting import receipts


def test_the_copied_receipt_pattern_agrees_with_the_receipts_module():
    assert redact.RECEIPT_ALPHABET == receipts.RECEIPT_ALPHABET
    assert redact.RECEIPT_LENGTH == receipts.RECEIPT_LENGTH


def test_issued_receipts_are_redacted_as_issued_and_grouped():
    for _ in range(200):
        code = receipts.receipt_new()
        for shown in (code, receipts.receipt_format(code)):
            assert redact.redact_url(f"/e/lodz/receipt/{shown}") == "/e/lodz/receipt/[redacted]"
            assert redact.scrub_text(f"receipt {shown} checked") == "receipt [redacted] checked"


def test_ordinary_slugs_are_kept():
    for path in ("/no-such-page-bars", "/make-page-bars", "/e/lodz-2027-park/projects"):
        assert redact.redact_url(path) == path
    # not the alphabet (I, L, O, U), not the length, not the grouping
    for text in ("ABCD-EFGH-JKLM", "ABCD-EFGH-JKM", "ABCDEFGHJKMNP", "ABC-DEFGH-JKMN"):
        assert redact.redact_url(f"/x/{text}") == f"/x/{text}"
